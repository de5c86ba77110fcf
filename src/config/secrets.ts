// Resolves environment references and secrets in provider settings, following MLflow's rule:
// "$VAR" reads the environment, a path to an existing file reads the file, anything else is the literal.
// Also accepted: "${VAR}" and "{{ VAR }}" as the whole value, and "${VAR}" inside a longer string.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Path } from './issues.js';

const WHOLE_REF = /^\s*(?:\$([A-Za-z_][A-Za-z0-9_]*)|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\})\s*$/;
const INLINE_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export interface SecretContext {
  env: NodeJS.ProcessEnv;
  /** Folder of the config file: relative secret file paths are tried against it after the working directory. */
  baseDir: string;
  problems: { path: Path; message: string }[];
}

/** Resolves every string in a provider's settings in place. `secretKeys` may also name a file. */
export function resolveProviderConfig(config: unknown, at: Path, secretKeys: readonly string[], ctx: SecretContext): unknown {
  if (typeof config === 'string') return resolveString(config, at, secretKeys.includes(String(at[at.length - 1])), ctx);
  if (Array.isArray(config)) return config.map((v, i) => resolveProviderConfig(v, [...at, i], secretKeys, ctx));
  if (config && typeof config === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config)) out[key] = resolveProviderConfig(value, [...at, key], secretKeys, ctx);
    return out;
  }
  return config;
}

function resolveString(value: string, at: Path, mayBeFile: boolean, ctx: SecretContext): string {
  const whole = WHOLE_REF.exec(value);
  if (whole) {
    const name = whole[1] ?? whole[2] ?? whole[3];
    const found = ctx.env[name];
    if (found === undefined || found === '') {
      ctx.problems.push({ path: at, message: `environment variable ${name} is not set` });
      return '';
    }
    return found;
  }
  if (value.includes('${')) {
    return value.replace(INLINE_REF, (_, name: string) => {
      const found = ctx.env[name];
      if (found === undefined) ctx.problems.push({ path: at, message: `environment variable ${name} is not set` });
      return found ?? '';
    });
  }
  if (mayBeFile) {
    const file = secretFile(value, ctx.baseDir);
    if (file) return readFileSync(file, 'utf8').trim();
  }
  return value;
}

function secretFile(value: string, baseDir: string): string | undefined {
  if (value.length > 4096 || value.includes('\n')) return undefined;
  const candidates = isAbsolute(value) ? [value] : [resolve(value), resolve(baseDir, value)];
  for (const candidate of candidates) {
    try {
      if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
    } catch {
      // Unreadable paths are treated as literals, as MLflow does.
    }
  }
  return undefined;
}
