// Turns zod's validation issues into sentences a person understands, with "did you mean" hints.
import type { z } from 'zod';
import { GUARDRAIL_RULE_TYPES } from '../guardrails/config/schema.js';
import { providers } from '../providers/index.js';
import { closest, didYouMean, type Path } from './issues.js';
import { configJsonSchema } from './schema.js';

export interface Described {
  path: Path;
  message: string;
  /** Point at the key rather than its value (unknown keys). */
  onKey?: boolean;
}

/** `schema`: the JSON Schema of the document being checked, for "did you mean" hints (default: the config's). */
export function describeZodIssue(issue: z.core.$ZodIssue, value: unknown, schema: () => object = schemaRoot): Described[] {
  const path = issue.path as Path;
  const given = valueAt(value, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeys(path, value, schema() as JsonSchema);
      return issue.keys.map((key) => ({
        path: [...path, key],
        message: `unknown key "${key}"${didYouMean(key, known) || (known.length ? `; expected one of: ${known.join(', ')}` : '')}`,
        onKey: true,
      }));
    }
    case 'invalid_union': {
      if ((issue as { note?: string }).note !== 'No matching discriminator') return [{ path, message: unionMessage(issue, given, path) }];
      // The config's discriminated unions: a model's provider, a guardrail rule's type.
      const isRule = (issue as { discriminator?: string }).discriminator === 'type';
      const names: readonly string[] = isRule ? GUARDRAIL_RULE_TYPES : providers.map((p) => p.name);
      const noun = isRule ? 'guardrail type' : 'provider';
      if (given === undefined) return [{ path, message: `is required: one of ${names.join(', ')}` }];
      const hint = typeof given === 'string' ? didYouMean(given, names) : '';
      return [{ path, message: `unknown ${noun} ${quote(given, path)}${hint}; known ${noun}s: ${names.join(', ')}` }];
    }
    case 'invalid_type':
      return [{ path, message: given === undefined ? 'is required' : `must be ${kindOf(issue.expected)} (got ${describe(given, path)})` }];
    case 'invalid_value': {
      const options = issue.values.map(String);
      if (given === undefined) return [{ path, message: `is required: use ${oneOf(options)}` }];
      const hint = typeof given === 'string' ? closest(given, options) : undefined;
      return [{ path, message: `${quote(given, path)} is not allowed: use ${oneOf(options)}${hint ? ` (did you mean "${hint}"?)` : ''}` }];
    }
    case 'too_small':
      return [{ path, message: tooSmall(issue) }];
    case 'too_big':
      return [{ path, message: issue.origin === 'array' ? `has more than ${issue.maximum} items` : `must be at most ${issue.maximum}` }];
    default:
      return [{ path, message: issue.message }];
  }
}

/** A value that is none of a union's types ("a number or a text"); zod only says "Invalid input". */
function unionMessage(issue: z.core.$ZodIssueInvalidUnion, given: unknown, path: Path): string {
  if (given === undefined) return 'is required';
  const expected = issue.errors.map((branch) => branch.find((i) => i.code === 'invalid_type' && i.path.length === 0));
  if (expected.some((i) => i === undefined)) return issue.message;
  const kinds = [...new Set(expected.map((i) => kindOf((i as z.core.$ZodIssueInvalidType).expected)))];
  return `must be ${kinds.join(' or ')} (got ${describe(given, path)})`;
}

function tooSmall(issue: z.core.$ZodIssueTooSmall): string {
  const min = Number(issue.minimum);
  if (issue.origin === 'array') return `needs at least ${min} item${min === 1 ? '' : 's'}`;
  if (issue.origin === 'string') return min === 1 ? 'must not be empty' : `must be at least ${min} characters long`;
  return issue.inclusive ? `must be at least ${min}` : `must be greater than ${min}`;
}

/**
 * Values under `model` other than its provider and name are settings that may hold a key (written
 * or resolved from the environment), so messages describe them without quoting them.
 */
function quotable(path: Path): boolean {
  const at = path.indexOf('model');
  return at < 0 || path[at + 1] === 'provider' || path[at + 1] === 'name';
}

function quote(value: unknown, path: Path): string {
  return quotable(path) ? `"${String(value)}"` : 'the value given';
}

function describe(value: unknown, path: Path): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (!quotable(path)) {
    if (typeof value === 'number' && !Number.isInteger(value)) return 'a number with a fraction';
    return typeof value === 'string' ? 'a text' : `a ${typeof value}`;
  }
  if (typeof value === 'string') return `the text "${value.length > 40 ? `${value.slice(0, 40)}...` : value}"`;
  return `${typeof value} ${String(value)}`;
}

function kindOf(expected: string): string {
  const words: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a text', number: 'a number', int: 'a whole number', boolean: 'true or false' };
  return words[expected] ?? `a ${expected}`;
}

function oneOf(options: string[]): string {
  return options.length === 1 ? `"${options[0]}"` : `one of ${options.join(', ')}`;
}

function valueAt(value: unknown, path: Path): unknown {
  let node = value;
  for (const key of path) node = (node as Record<string | number, unknown> | undefined)?.[key];
  return node;
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

/** Keys the schema allows at a path, for "did you mean" hints; union branches follow the data's provider. */
function knownKeys(path: Path, value: unknown, root: JsonSchema): string[] {
  const pick = (n: JsonSchema, d: unknown): JsonSchema => {
    const branches = n.anyOf ?? n.oneOf;
    if (!branches) return n;
    const provider = (d as { provider?: unknown } | null)?.provider;
    return branches.find((b) => b.properties?.provider?.const === provider) ?? { properties: Object.assign({}, ...branches.map((b) => b.properties ?? {})) };
  };
  let data: unknown = value;
  let node = pick(root, data);
  for (const key of path) {
    const next: JsonSchema | undefined = typeof key === 'number' ? node.items : node.properties?.[key];
    if (!next) return [];
    data = (data as Record<string | number, unknown> | undefined)?.[key];
    node = pick(next, data);
  }
  return Object.keys(node.properties ?? {});
}
