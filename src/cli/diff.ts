// `gatehouse diff OLD NEW`: what a config change does, for a person. OLD and NEW are files, or git
// revisions written `REV:path` (e.g. origin/main:gatehouse.yaml), so a merge-request job can compare
// the target branch's config with the one under review.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { diffConfigs, renderMarkdown, renderText, type Change } from '../config/diff.js';
import { formatIssue, type ConfigIssue } from '../config/issues.js';
import { loadConfigText } from '../config/load.js';
import { normalizeConfig } from '../config/normalize.js';
import type { GatewayConfig } from '../config/schema.js';
import { parseYaml } from '../config/yaml-source.js';

export type DiffFormat = 'text' | 'markdown' | 'json';

export interface DiffOutcome {
  changes: Change[];
  issues: ConfigIssue[];
  output: string;
}

/** Reads a file, or `REV:path` from git when no such file exists. */
export function readSource(spec: string): string {
  if (existsSync(spec)) return readFileSync(spec, 'utf8');
  if (/^[^:]+:.+/.test(spec)) {
    try {
      return execFileSync('git', ['show', spec], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const reason = String((err as { stderr?: string }).stderr ?? '').trim().split('\n')[0];
      throw new Error(`${spec}: not a file, and git cannot show it${reason ? ` (${reason})` : ''}`);
    }
  }
  throw new Error(`${spec}: file not found (for a git revision write REV:path, e.g. origin/main:gatehouse.yaml)`);
}

/**
 * Both sides must be valid configs (environment variables need not be set: CI jobs that diff have no
 * production secrets). The comparison is on the config as written, after MLflow spellings are
 * normalized: references like $OPENAI_API_KEY are compared as text, and no secret is ever resolved.
 */
export function diffSources(oldSpec: string, newSpec: string, format: DiffFormat): DiffOutcome {
  const sides = [oldSpec, newSpec].map((spec) => {
    const text = readSource(spec);
    const checked = loadConfigText(text, spec, process.env, { requireEnv: false });
    return { issues: checked.issues, written: normalizeConfig(parseYaml(text).value).value as GatewayConfig };
  });
  const issues = sides.flatMap((s) => s.issues);
  if (issues.length > 0) return { changes: [], issues, output: issues.map(formatIssue).join('\n') };
  const changes = diffConfigs(withDefaults(sides[0].written), withDefaults(sides[1].written));
  const output = format === 'markdown' ? renderMarkdown(changes) : format === 'json' ? JSON.stringify({ changes }, null, 2) : renderText(changes);
  return { changes, issues, output };
}

/** Absent lists and an empty file compare as empty lists, so `routes: []` vs nothing is no change. */
function withDefaults(config: GatewayConfig): GatewayConfig {
  return { ...config, endpoints: config.endpoints ?? [], routes: config.routes ?? [] };
}
