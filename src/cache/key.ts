// What identifies a cached answer: the normalised request (the API, the endpoint or route that
// serves it, the messages or prompt, and every parameter that can change the output) within one
// tenant scope. Never the caller's credential or the request id: they are not in the request body.
import { hash } from 'node:crypto';
import type { Caller } from '../core/context.js';
import type { ChatRequest, CompletionRequest } from '../core/types.js';
import type { CacheScope } from './schema.js';

export type CachedKind = 'chat' | 'completion';

/** Request fields that never change the answer: how it is delivered, who is billed or tracked. */
const DELIVERY_ONLY = new Set(['model', 'stream', 'stream_options', 'user', 'store', 'metadata', 'service_tier']);
/** What the parameters part of a key leaves out: delivery fields, and the text (keyed on its own). */
const NOT_PARAMS = new Set([...DELIVERY_ONLY, 'messages', 'prompt']);

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` are one request; nulls are dropped (`stop: null` is no stop). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
    return `${out}]`;
  }
  return objectJson(value as Record<string, unknown>);
}

/**
 * An object's canonical JSON, leaving out the fields `skip` names. Built in one pass over the sorted
 * keys (no entry arrays), as the key is made on every request to a cached target.
 */
function objectJson(object: Record<string, unknown>, skip?: ReadonlySet<string>): string {
  let out = '{';
  for (const name of Object.keys(object).sort()) {
    const value = object[name];
    if (value === undefined || value === null || skip?.has(name)) continue;
    out += `${out.length === 1 ? '' : ','}${JSON.stringify(name)}:${canonicalJson(value)}`;
  }
  return `${out}}`;
}

const sha256 = (text: string) => hash('sha256', text, 'base64url');

/** Where entries of one target and tenant live: `<target>|<team>|<scope>`; purges match on its parts. */
export interface Partition {
  target: string;
  /** The caller's team ("~" for none; "~global" for entries every caller shares), so a team's entries can be purged. */
  team: string;
  /** team:<name>, key:<id>, global, or anonymous. */
  scope: string;
}

export function partitionOf(target: string, scope: CacheScope, caller: Caller | undefined): Partition {
  if (scope === 'global') return { target, team: '~global', scope: 'global' };
  if (!caller) return { target, team: '~', scope: 'anonymous' };
  const team = caller.team ?? '~';
  // A key without a team shares with nobody but itself under the team scope.
  const byTeam = scope === 'team' && caller.team !== undefined;
  return { target, team, scope: byTeam ? `team:${caller.team}` : `${caller.kind}:${caller.id}` };
}

export const partitionKey = (p: Partition) => `${p.target}|${p.team}|${p.scope}`;

export interface RequestKeys {
  /** The exact-match key: the whole normalised request. */
  exact: string;
  /** The parameters without the messages or prompt: a semantic match must agree on them exactly. Only made when asked for. */
  params?: string;
}

/**
 * Hashes of a request as the input guardrails left it (so redacted values are never part of a key).
 * `via` is the target that serves it, which differs from the one called when a budget downgrades it
 * or a guardrail routes it elsewhere. `withParams` adds the parameters' own hash (semantic mode).
 */
export function requestKeys(kind: CachedKind, via: string, request: ChatRequest | CompletionRequest, withParams = true): RequestKeys {
  const text = kind === 'chat' ? (request as ChatRequest).messages : (request as CompletionRequest).prompt;
  const head = `${kind}\n${via}\n${objectJson(request as unknown as Record<string, unknown>, NOT_PARAMS)}`;
  const exact = sha256(`${head}\n${canonicalJson(text)}`);
  return withParams ? { exact, params: sha256(head) } : { exact };
}

/**
 * The text the semantic cache embeds: every message's role, text and tool calls, or the prompt.
 * Undefined when the request carries more than text (images, audio, files, token ids): two such
 * requests with similar words may ask about different things, so they are matched exactly only.
 */
export function promptText(kind: CachedKind, request: ChatRequest | CompletionRequest): string | undefined {
  if (kind === 'completion') {
    const prompt = (request as CompletionRequest).prompt;
    return typeof prompt === 'string' ? prompt : undefined;
  }
  const lines: string[] = [];
  for (const m of (request as ChatRequest).messages) {
    let text = '';
    if (typeof m.content === 'string') text = m.content;
    else if (Array.isArray(m.content)) {
      if (m.content.some((part) => part.type !== 'text')) return undefined;
      text = m.content.map((part) => part.text ?? '').join(' ');
    }
    if (m.tool_calls) text += ` ${canonicalJson(m.tool_calls)}`;
    lines.push(`${m.role}: ${text}`);
  }
  return lines.join('\n');
}
