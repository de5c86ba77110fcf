// One cached answer as it is stored: a header line (the endpoint that made the answer) and the
// answer's JSON without its `id` and `created`, which every hit replaces. Kept as JSON text, not as
// an object, so a whole-answer hit sends those bytes with a new id and time put in front, without
// serialising the answer again. JSON text never holds a raw newline, so the first one ends the header.
import { randomUUID } from 'node:crypto';
import type { Usage } from '../core/types.js';

type Answer = { id: string; created: number; usage?: Usage | null };

/** Which endpoint made a stored answer, for the log line and for pricing what a hit saved. */
export interface Origin {
  endpoint?: string;
  route?: string;
  provider?: string;
  model?: string;
}

/**
 * The stored form of an answer. A `cost_usd` its usage carries (what the original call cost) is
 * dropped: a hit costs nothing upstream, so it is never replayed.
 */
export function storedEntry(answer: Answer, origin: Origin): string {
  const { id, created: _, ...rest } = answer;
  if (rest.usage && 'cost_usd' in rest.usage) {
    const { cost_usd: _cost, ...usage } = rest.usage as Usage & { cost_usd?: number };
    rest.usage = usage;
  }
  // The id's prefix ("chatcmpl") is kept for the new ids of hits.
  return `${JSON.stringify({ ...origin, idPrefix: id.split('-')[0] })}\n${JSON.stringify(rest)}`;
}

/** A stored answer as one hit serves it: a new response, with a fresh id and time. */
export interface Served<R> {
  origin: Origin;
  /** The answer (parsed: the pipeline, output guardrails and other surfaces read it). */
  answer: R;
  /** The same answer as JSON, for sending unchanged. */
  json: string;
}

/** Undefined for text that is no entry of this format (one an earlier version stored: a miss, replaced on store). */
export function servedEntry<R extends Answer>(stored: string): Served<R> | undefined {
  const split = stored.indexOf('\n');
  if (split < 0) return undefined;
  const { idPrefix, ...origin } = JSON.parse(stored.slice(0, split)) as Origin & { idPrefix: string };
  const body = stored.slice(split + 1);
  const id = `${idPrefix}-${randomUUID().replaceAll('-', '')}`;
  const created = Math.floor(Date.now() / 1000);
  const answer = JSON.parse(body) as R;
  answer.id = id;
  answer.created = created;
  const rest = body.length > 2 ? `,${body.slice(1)}` : '}';
  return { origin, answer, json: `{"id":${JSON.stringify(id)},"created":${created}${rest}` };
}
