// Loads a config file: YAML with positions -> MLflow spellings normalized -> secrets resolved ->
// schema validated -> cross-references checked. Every problem comes back with file:line:column.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { findProvider, providers } from '../providers/index.js';
import { closest, didYouMean, formatPath, type ConfigIssue, type Path } from './issues.js';
import { normalizeConfig } from './normalize.js';
import { ConfigSchema, configJsonSchema, type GatewayConfig } from './schema.js';
import { resolveProviderConfig } from './secrets.js';
import { checkReferences } from './semantic.js';

export interface LoadResult {
  file: string;
  config?: GatewayConfig;
  issues: ConfigIssue[];
  /** Endpoints left out because their `requires_env` variables are not set. */
  skipped?: { name: string; missing: string[] }[];
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `cannot read the file (${(err as Error).message})`;
    return { file, issues: [{ file, line: 1, column: 1, path: '(file)', message: reason }] };
  }
  return loadConfigText(text, file, env);
}

export function loadConfigText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lineCounter.linePos(offset);
  if (doc.errors.length > 0) {
    return {
      file,
      issues: doc.errors.map((e) => {
        const pos = at(e.pos[0]);
        return { file, line: pos.line, column: pos.col, path: '(yaml)', message: yamlMessage(e.message) };
      }),
    };
  }

  const raw = doc.toJS() ?? {};
  const normalized = normalizeConfig(raw, env);
  const issues: ConfigIssue[] = [];
  const report = (normalizedPath: Path, message: string, onKey = false) => {
    const source = normalized.sourcePath(normalizedPath);
    const offset = offsetOf(doc, source, onKey);
    const pos = at(offset);
    issues.push({ file, line: pos.line, column: pos.col, path: formatPath(source), message });
  };
  const reportSource = (sourcePath: Path, message: string) => {
    const pos = at(offsetOf(doc, sourcePath, true));
    issues.push({ file, line: pos.line, column: pos.col, path: formatPath(sourcePath), message });
  };
  for (const p of normalized.problems) reportSource(p.path, p.message);

  const unresolved = new Set<string>();
  const value = resolveSecrets(normalized.value, dirname(file), env, (path, message) => {
    unresolved.add(formatPath(path));
    report(path, message);
  });
  const parsed = ConfigSchema.safeParse(value);
  if (!parsed.success) {
    // A value whose secret did not resolve was reported already; its schema complaint adds nothing.
    for (const issue of parsed.error.issues) if (!unresolved.has(formatPath(issue.path as Path))) describeZodIssue(issue, value, report);
  }
  for (const p of checkReferences(parsed.success ? parsed.data : value)) report(p.path, p.message, p.path[p.path.length - 1] === 'name');
  if (issues.length > 0 || !parsed.success) return { file, issues: sortIssues(issues) };
  return { file, config: parsed.data, issues, skipped: normalized.skipped };
}

/** Provider settings are resolved before validation, so the schema checks the real values. */
function resolveSecrets(value: unknown, baseDir: string, env: NodeJS.ProcessEnv, report: (p: Path, m: string) => void): unknown {
  const endpoints = (value as { endpoints?: unknown }).endpoints;
  if (!Array.isArray(endpoints)) return value;
  const problems: { path: Path; message: string }[] = [];
  endpoints.forEach((endpoint, i) => {
    const model = (endpoint as { model?: { provider?: unknown; config?: unknown } } | null)?.model;
    if (!model || typeof model !== 'object' || model.config === undefined) return;
    const provider = typeof model.provider === 'string' ? findProvider(model.provider) : undefined;
    model.config = resolveProviderConfig(model.config, ['endpoints', i, 'model', 'config'], provider?.secretKeys ?? [], { env, baseDir, problems });
  });
  for (const p of problems) report(p.path, p.message);
  return value;
}

function describeZodIssue(issue: z.core.$ZodIssue, value: unknown, report: (p: Path, m: string, onKey?: boolean) => void): void {
  const path = issue.path as Path;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeys(path, value);
      for (const key of issue.keys) {
        const hint = didYouMean(key, known);
        report([...path, key], `unknown key "${key}"${hint || (known.length ? `; expected one of: ${known.join(', ')}` : '')}`, true);
      }
      return;
    }
    case 'invalid_union': {
      if ((issue as { note?: string }).note === 'No matching discriminator') {
        const given = valueAt(value, path);
        const names = providers.map((p) => p.name);
        const hint = typeof given === 'string' ? didYouMean(given, names) : '';
        report(path, given === undefined ? `is required: one of ${names.join(', ')}` : `unknown provider "${String(given)}"${hint}; known providers: ${names.join(', ')}`);
        return;
      }
      report(path, issue.message);
      return;
    }
    case 'invalid_type': {
      const given = valueAt(value, path);
      report(path, given === undefined ? 'is required' : `must be ${article(issue.expected)} (got ${describe(given)})`);
      return;
    }
    case 'invalid_value': {
      const given = valueAt(value, path);
      const options = issue.values.map(String);
      const hint = typeof given === 'string' ? closest(given, options) : undefined;
      report(path, `${given === undefined ? 'is required' : `"${String(given)}" is not allowed`}: use ${options.length === 1 ? `"${options[0]}"` : `one of ${options.join(', ')}`}${hint ? ` (did you mean "${hint}"?)` : ''}`);
      return;
    }
    default:
      report(path, issue.message);
  }
}

/** Keys the schema allows at a path, for "did you mean" hints; union branches follow the data's provider. */
function knownKeys(path: Path, value: unknown): string[] {
  let node = schemaRoot();
  let data: unknown = value;
  const pick = (n: JsonSchema, d: unknown): JsonSchema => {
    const branches = n.anyOf ?? n.oneOf;
    if (!branches) return n;
    const provider = (d as { provider?: unknown } | null)?.provider;
    return branches.find((b) => b.properties?.provider?.const === provider) ?? { properties: Object.assign({}, ...branches.map((b) => b.properties ?? {})) };
  };
  node = pick(node, data);
  for (const key of path) {
    const next: JsonSchema | undefined = typeof key === 'number' ? node.items : node.properties?.[key];
    if (!next) return [];
    data = (data as Record<string | number, unknown> | undefined)?.[key];
    node = pick(next, data);
  }
  return Object.keys(node.properties ?? {});
}

interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  const?: unknown;
}

let cachedSchema: JsonSchema | undefined;
const schemaRoot = (): JsonSchema => (cachedSchema ??= configJsonSchema() as JsonSchema);

/** Source offset of the node at a path, or of its nearest existing ancestor. With onKey, of the key itself. */
function offsetOf(doc: Document, path: Path, onKey: boolean): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const parentPath = path.slice(0, Math.max(0, depth - 1));
    const parent = depth === 0 ? doc.contents : (doc.getIn(parentPath, true) as Node | undefined);
    if (depth === 0) return (parent as Node | null)?.range?.[0] ?? 0;
    const key = path[depth - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((item) => (item.key as { value?: unknown } | null)?.value === key);
      if (pair) {
        const keyNode = pair.key as Node;
        const valueNode = pair.value as Node | null;
        if ((onKey && depth === path.length) || !valueNode?.range) return keyNode.range?.[0] ?? 0;
        return valueNode.range[0];
      }
    } else if (isSeq(parent) && typeof key === 'number') {
      const item = parent.items[key] as Node | undefined;
      if (item?.range) return item.range[0];
    }
  }
  return 0;
}

function valueAt(value: unknown, path: Path): unknown {
  let node = value;
  for (const key of path) node = (node as Record<string | number, unknown> | undefined)?.[key];
  return node;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the text "${value.length > 40 ? `${value.slice(0, 40)}...` : value}"`;
  return `${typeof value} ${String(value)}`;
}

function article(expected: string): string {
  const words: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a text', number: 'a number', int: 'a whole number', boolean: 'true or false' };
  return words[expected] ?? `a ${expected}`;
}

function yamlMessage(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return issues.sort((a, b) => a.line - b.line || a.column - b.column);
}
