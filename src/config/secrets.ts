// Resolves environment references and secrets in provider settings. MLflow's rule for API keys:
// "$VAR" reads the environment, a path to an existing file reads the file, anything else is the literal.
// Also accepted anywhere in provider settings: "$VAR", "${VAR}" and "{{ VAR }}" as the whole value,
// and "${VAR}" inside a longer string (e.g. a base URL).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Path } from './issues.js';

const WHOLE_REF = /^\s*(?:\$([A-Za-z_][A-Za-z0-9_]*)|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\})\s*$/;
const INLINE_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
/** Shorter values are not scrubbed from messages: they would garble them and reveal nothing. */
const MIN_SCRUBBED_LENGTH = 8;

export interface SecretContext {
  env: NodeJS.ProcessEnv;
  /** Folder of the config file: relative secret file paths are tried against it after the working directory. */
  baseDir: string;
  /** The provider's secret keys besides the `*_api_key` ones MLflow treats as secrets. */
  secretKeys: readonly string[];
  /** References to variables that are unset or empty. The caller decides whether each is a problem. */
  missing: { path: Path; variable: string }[];
  /** Every secret value met (written, from the environment or from a file), to scrub from messages. */
  secrets: Set<string>;
}

/** Returns a copy of a provider's settings with every reference resolved. */
export function resolveProviderConfig(config: unknown, at: Path, ctx: SecretContext): unknown {
  if (typeof config === 'string') return resolveString(config, at, ctx);
  if (Array.isArray(config)) return config.map((v, i) => resolveProviderConfig(v, [...at, i], ctx));
  if (config && typeof config === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(config)) out[key] = resolveProviderConfig(value, [...at, key], ctx);
    return out;
  }
  return config;
}

/** MLflow resolves files for `*_api_key` fields; providers may name more keys. */
function isApiKey(key: unknown, ctx: SecretContext): boolean {
  return typeof key === 'string' && (key.endsWith('_api_key') || ctx.secretKeys.includes(key));
}

function resolveString(value: string, at: Path, ctx: SecretContext): string {
  const key = at[at.length - 1];
  const fromEnv = resolveReferences(value, at, ctx);
  const resolved = fromEnv ?? (isApiKey(key, ctx) ? readSecretFile(value, ctx.baseDir) : undefined) ?? value;
  // Whatever came from the environment may be a key put in the wrong place, so it is scrubbed too.
  const secret = isApiKey(key, ctx) || at[at.length - 2] === 'headers' || fromEnv !== undefined;
  if (secret && resolved.length >= MIN_SCRUBBED_LENGTH) ctx.secrets.add(resolved);
  return resolved;
}

/** The value with its environment references replaced, or undefined when it has none. */
function resolveReferences(value: string, at: Path, ctx: SecretContext): string | undefined {
  const lookup = (variable: string): string => {
    const found = ctx.env[variable];
    // MLflow treats an empty variable as unset: an empty key is never what was meant.
    if (found === undefined || found === '') ctx.missing.push({ path: at, variable });
    return found ?? '';
  };
  const whole = WHOLE_REF.exec(value);
  if (whole) return lookup(whole[1] ?? whole[2] ?? whole[3]);
  if (!value.includes('${')) return undefined;
  return value.replace(INLINE_REF, (_, variable: string) => lookup(variable));
}

/**
 * The contents of the file the value names, or undefined when it names none. Surrounding whitespace
 * is dropped (MLflow keeps it): the newline an editor adds would break the Authorization header.
 */
function readSecretFile(value: string, baseDir: string): string | undefined {
  if (value.length > 4096 || value.includes('\n')) return undefined;
  const candidates = isAbsolute(value) ? [value] : [resolve(value), resolve(baseDir, value)];
  for (const candidate of candidates) {
    try {
      if (existsSync(candidate) && statSync(candidate).isFile()) return readFileSync(candidate, 'utf8').trim();
    } catch {
      // An unreadable path is taken as the literal, as MLflow does.
    }
  }
  return undefined;
}
