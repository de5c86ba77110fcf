// Loads a config file: YAML with positions -> MLflow spellings normalized -> secrets resolved ->
// schema validated -> cross-references checked. Every problem comes back with file:line:column.
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { checkAccessReferences } from '../access/config-checks.js';
import { loadPrompts, promptInputsOf } from '../prompts/load.js';
import type { PromptLibrary } from '../prompts/library.js';
import { findProvider } from '../providers/index.js';
import { checkModelEndpoints, resolveRegistrySettings } from '../registry/settings.js';
import { formatPath, type ConfigIssue, type Path } from './issues.js';
import { normalizeConfig } from './normalize.js';
import { ConfigSchema, type GatewayConfig } from './schema.js';
import { resolveProviderConfig, type SecretContext } from './secrets.js';
import { checkReferences } from './semantic.js';
import { parseYaml } from './yaml-source.js';
import { describeZodIssue } from './zod-issues.js';

export interface LoadOptions {
  /**
   * Whether a reference to an unset environment variable is a problem (the default). A CI check
   * without the production secrets passes false: everything else is still checked.
   */
  requireEnv?: boolean;
  /** Where relative secret file paths start; default: the file's folder (an applied config uses the config file's). */
  baseDir?: string;
}

export interface SkippedEndpoint {
  name: string;
  /** The `requires_env` variables that are not set. */
  missing: string[];
}

export interface LoadResult {
  file: string;
  /** Present when the file is valid (and, with requireEnv off, every served variable is set). */
  config?: GatewayConfig;
  /** Empty when the file is valid. */
  issues: ConfigIssue[];
  /** Endpoints left out because their `requires_env` variables are not set. */
  skipped?: SkippedEndpoint[];
  /** The compiled prompts of the config's prompts folder (present with `config`). */
  prompts?: PromptLibrary;
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): LoadResult {
  const read = readConfigFile(file);
  return 'issue' in read ? { file, issues: [read.issue] } : loadConfigText(read.text, file, env, options);
}

/** The file's text, or why it cannot be read (as a located issue). */
export function readConfigFile(file: string): { text: string } | { issue: ConfigIssue } {
  try {
    return { text: readFileSync(file, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'this is a folder, not a file' : `cannot read the file (${code ?? (err as Error).message})`;
    return { issue: { file, line: 1, column: 1, path: '(file)', message: reason } };
  }
}

export function loadConfigText(text: string, file: string, env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): LoadResult {
  const requireEnv = options.requireEnv !== false;
  const source = parseYaml(text);
  if (source.errors.length > 0) {
    return { file, issues: source.errors.map((e) => ({ file, ...e.position, path: '(yaml)', message: e.message })) };
  }
  if (source.value === null) {
    return { file, issues: [{ file, line: 1, column: 1, path: '(file)', message: 'the file holds no settings; a config needs at least an `endpoints:` list' }] };
  }

  const normalized = normalizeConfig(source.value);
  const issues: ConfigIssue[] = [];
  const addAtSource = (path: Path, message: string, onKey = false) => {
    issues.push({ file, ...source.locate(path, onKey), path: formatPath(path), message });
  };
  const add = (path: Path, message: string, onKey = false) => addAtSource(normalized.sourcePath(path), message, onKey);
  for (const p of normalized.problems) addAtSource(p.path, p.message, true);
  // A key the rewrite already complained about (e.g. `route_type: mlflow-model`) needs no schema complaint.
  const rewriteProblems = new Set(normalized.problems.map((p) => formatPath(p.path)));

  const skipped = skippedEndpoints(normalized.value, env);
  const secrets = new Set<string>();
  // Paths whose reference did not resolve: the schema's complaint about the empty value adds nothing.
  const unresolved = new Set<string>();
  const value = resolveSecrets(normalized.value, options.baseDir ?? dirname(file), env, secrets, (path, variable, endpoint) => {
    unresolved.add(formatPath(path));
    if (!requireEnv || skipped.has(endpoint)) return;
    const unset = `environment variable ${variable} is not set (or is empty)`;
    add(path, endpoint < 0 ? unset : `${unset}; set it, or add \`requires_env: ${variable}\` to serve this endpoint only when it is`);
  });
  const registry: SecretContext = { env, baseDir: dirname(file), secretKeys: [], missing: [], secrets };
  resolveRegistrySettings(value, registry);
  for (const m of registry.missing) {
    unresolved.add(formatPath(m.path));
    if (requireEnv) add(m.path, `environment variable ${m.variable} is not set (or is empty)`);
  }

  const parsed = ConfigSchema.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (unresolved.has(formatPath(issue.path as Path))) continue;
      for (const d of describeZodIssue(issue, value)) {
        if (!rewriteProblems.has(formatPath(normalized.sourcePath(d.path)))) add(d.path, d.message, d.onKey);
      }
    }
  }
  const references = checkReferences(parsed.success ? parsed.data : value, {
    skipped: requireEnv ? new Map([...skipped.values()].map((s) => [s.name, s.missing])) : undefined,
    where: (path) => `line ${source.locate(normalized.sourcePath(path)).line}`,
  });
  references.push(...checkAccessReferences(parsed.success ? parsed.data : value));
  references.push(...checkModelEndpoints(parsed.success ? parsed.data : value, requireEnv));
  for (const p of references) add(p.path, p.message, p.path[p.path.length - 1] === 'name');
  const promptInputs = parsed.success ? parsed.data : promptInputsOf(value);
  // Config text applied through the admin API has no file of its own: its prompts folder is found from baseDir.
  const prompts = promptInputs && loadPrompts(promptInputs, options.baseDir ? join(options.baseDir, basename(file)) : file);
  if (prompts) {
    issues.push(...prompts.issues);
    for (const p of prompts.problems) add(p.path, p.message);
  }

  if (issues.length > 0) return { file, issues: tidy(issues, secrets) };
  // Left-out endpoints may hold unresolved references that failed the schema quietly, so what is
  // served is parsed on its own. It fails only when requireEnv is off and a served endpoint needs a variable.
  const served = ConfigSchema.safeParse(withoutSkipped(value, skipped));
  return { file, config: served.success ? served.data : undefined, issues: [], skipped: [...skipped.values()], prompts: prompts?.library };
}

function withoutSkipped(value: unknown, skipped: Map<number, SkippedEndpoint>): unknown {
  const endpoints = (value as { endpoints?: unknown }).endpoints;
  if (!Array.isArray(endpoints) || skipped.size === 0) return value;
  return { ...(value as object), endpoints: endpoints.filter((_, i) => !skipped.has(i)) };
}

/** Endpoints whose `requires_env` names an unset variable, by their index in the normalized list. */
function skippedEndpoints(value: unknown, env: NodeJS.ProcessEnv): Map<number, SkippedEndpoint> {
  const skipped = new Map<number, SkippedEndpoint>();
  const endpoints = (value as { endpoints?: unknown }).endpoints;
  if (!Array.isArray(endpoints)) return skipped;
  endpoints.forEach((entry, i) => {
    const required = (entry as { requires_env?: unknown } | null)?.requires_env;
    const names = (Array.isArray(required) ? required : [required]).filter((n): n is string => typeof n === 'string');
    const missing = names.filter((n) => !env[n]);
    if (missing.length > 0) skipped.set(i, { name: String((entry as { name?: unknown }).name), missing });
  });
  return skipped;
}

type OnMissing = (path: Path, variable: string, endpoint: number) => void;

/** Provider (and telemetry) settings are resolved before validation, so the schema checks the real values. */
function resolveSecrets(value: unknown, baseDir: string, env: NodeJS.ProcessEnv, secrets: Set<string>, onMissing: OnMissing): unknown {
  const endpoints = (value as { endpoints?: unknown }).endpoints;
  if (Array.isArray(endpoints)) endpoints.forEach((endpoint, i) => {
    const model = (endpoint as { model?: { provider?: unknown; config?: unknown } } | null)?.model;
    if (!model || typeof model !== 'object' || model.config === undefined) return;
    const provider = typeof model.provider === 'string' ? findProvider(model.provider) : undefined;
    const ctx: SecretContext = { env, baseDir, secretKeys: provider?.secretKeys ?? [], missing: [], secrets };
    model.config = resolveProviderConfig(model.config, ['endpoints', i, 'model', 'config'], ctx);
    for (const m of ctx.missing) onMissing(m.path, m.variable, i);
  });
  resolveTelemetrySecrets(value, baseDir, env, secrets, onMissing);
  resolveAdminKey(value, baseDir, env, secrets, onMissing);
  return value;
}

/** Alert channels and trace export settings take references too (webhook URLs, tokens, headers). */
function resolveTelemetrySecrets(value: unknown, baseDir: string, env: NodeJS.ProcessEnv, secrets: Set<string>, onMissing: OnMissing): void {
  const root = value as { telemetry?: unknown } | null;
  if (!root?.telemetry || typeof root.telemetry !== 'object') return;
  const ctx: SecretContext = { env, baseDir, secretKeys: ['token'], missing: [], secrets };
  root.telemetry = resolveProviderConfig(root.telemetry, ['telemetry'], ctx);
  // -1: not an endpoint's, so `requires_env` cannot leave it out.
  for (const m of ctx.missing) onMissing(m.path, m.variable, -1);
}

/**
 * `auth.admin_key` is written as $GATEHOUSE_ADMIN_KEY (or a file path) like a provider key: applied
 * configs come from Git, so the literal reference must never become the key itself.
 */
function resolveAdminKey(value: unknown, baseDir: string, env: NodeJS.ProcessEnv, secrets: Set<string>, onMissing: OnMissing): void {
  const auth = (value as { auth?: { admin_key?: unknown } | null }).auth;
  if (!auth || typeof auth !== 'object' || typeof auth.admin_key !== 'string') return;
  const ctx: SecretContext = { env, baseDir, secretKeys: ['admin_key'], missing: [], secrets };
  auth.admin_key = resolveProviderConfig(auth.admin_key, ['auth', 'admin_key'], ctx);
  for (const m of ctx.missing) onMissing(m.path, m.variable, -1);
}

/** Sorts by position and scrubs any secret value a message might quote. */
function tidy(issues: ConfigIssue[], secrets: Set<string>): ConfigIssue[] {
  const scrub = [...secrets].sort((a, b) => b.length - a.length);
  return issues
    .map((issue) => ({ ...issue, message: scrub.reduce((message, secret) => message.split(secret).join('[redacted]'), issue.message) }))
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}
