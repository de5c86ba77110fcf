// The cache stage of the pipeline, between the input guardrails and routing. It looks the request
// up (exactly, then by similarity in semantic mode) and, on a miss, stores the upstream's answer
// once it is complete: a whole response at once, a stream when it ended with every choice finished
// (never one that failed, was cut or was abandoned). What is stored is the upstream's raw answer to
// the request as the input guardrails left it; the output guardrails run on every answer, served
// from the cache or not, so placeholders are restored with the current caller's own values.
import type { RequestContext } from '../core/context.js';
import { GatewayError } from '../core/errors.js';
import { withKnownJson } from '../core/known-json.js';
import type { Target } from '../core/runtime.js';
import type { ChatRequest, CompletionRequest, Usage } from '../core/types.js';
import type { EntryStore } from './backend.js';
import { cacheControls } from './controls.js';
import { servedEntry, storedEntry, type Served } from './entry.js';
import { partitionKey, partitionOf, promptText, requestKeys, type CachedKind } from './key.js';
import { countCacheRequest, countSaved, type CacheResult } from './metrics.js';
import type { CachePolicy } from './policy.js';
import { priceOf } from './pricing.js';
import type { AnswerShape } from './replay.js';

type CacheableRequest = ChatRequest | CompletionRequest;
type Answer = { id: string; created: number; usage?: Usage };

/** One request's way through the cache: the found answer, or how to store the upstream's. */
interface Lookup<R> {
  hit?: Served<R>;
  /** Stores an answer (in the background; a failure is logged). Absent when nothing may be stored. */
  store?: (answer: R) => void;
}

export interface CheckedRequest<Q> {
  target: Target;
  request: Q;
}

/** Answers from the cache, or calls `upstream` and stores its answer. */
export async function cachedAnswer<R extends Answer>(ctx: RequestContext, policy: CachePolicy, kind: CachedKind, checked: CheckedRequest<CacheableRequest>, upstream: () => Promise<R>): Promise<R> {
  const lookup = await look<R>(ctx, policy, kind, checked);
  // The stored JSON goes out as it is (see known-json.ts), unless something makes a new answer of it.
  if (lookup.hit) return withKnownJson(lookup.hit.answer, lookup.hit.json);
  const answer = await upstream();
  lookup.store?.(answer);
  return answer;
}

/** The stream version: a hit is replayed as chunks; a miss's stream is recorded as it passes and stored when it ends well. */
export async function cachedStream<R extends Answer, C>(
  ctx: RequestContext,
  policy: CachePolicy,
  kind: CachedKind,
  checked: CheckedRequest<CacheableRequest>,
  shape: AnswerShape<R, C>,
  includeUsage: boolean,
  upstream: () => Promise<AsyncIterable<C>>,
): Promise<AsyncIterable<C>> {
  const lookup = await look<R>(ctx, policy, kind, checked);
  // A replayed usage chunk carries this request's cost (none upstream), as a miss's carries its own.
  const hit = lookup.hit?.answer;
  if (hit) return replay(shape.replay(withUsage(hit, hit.usage && { ...hit.usage, cost_usd: 0 }), includeUsage));
  const stream = await upstream();
  return lookup.store ? record(ctx, stream, shape, lookup.store) : stream;
}

async function* replay<C>(chunks: C[]): AsyncGenerator<C> {
  yield* chunks;
}

async function* record<R extends Answer, C>(ctx: RequestContext, source: AsyncIterable<C>, shape: AnswerShape<R, C>, store: (answer: R) => void): AsyncGenerator<C> {
  const answer = shape.assembler();
  for await (const chunk of source) {
    answer.add(chunk);
    yield chunk;
  }
  // Only reached when the upstream's stream ended normally: a failure throws past this, and a client that goes away returns early.
  if (answer.complete() && !ctx.signal.aborted) store(answer.result(ctx.usage));
}

/** Not cacheable at all: answers meant to vary, and answers the stored form would lose part of (log probabilities). */
function cacheable(policy: CachePolicy, request: CacheableRequest): boolean {
  const temperature = request.temperature;
  if (typeof temperature === 'number' && temperature > policy.maxTemperature) return false;
  return !request.logprobs && request.top_logprobs === undefined;
}

async function look<R extends Answer>(ctx: RequestContext, policy: CachePolicy, kind: CachedKind, checked: CheckedRequest<CacheableRequest>): Promise<Lookup<R>> {
  const controls = cacheControls(ctx.headers);
  if (!cacheable(policy, checked.request) || (!controls.read && !controls.write)) {
    if (controls.onlyIfCached) throw notCached(policy.target);
    settle(ctx, policy, 'bypass');
    return {};
  }
  const partition = partitionKey(partitionOf(policy.target, policy.scope, ctx.identity));
  const keys = requestKeys(kind, `${checked.target.name}@${policy.models}`, checked.request, policy.semantic !== undefined);
  const exactKey = `${partition}|${keys.exact}`;
  // Semantic mode only: the vectors compared are those of the same partition and parameters.
  const vectorPartition = `${partition}|${keys.params}`;
  const text = policy.semantic ? promptText(kind, checked.request) : undefined;
  let store: EntryStore;
  let vector: Float32Array | undefined;
  try {
    const backend = policy.service.backend(policy.backend);
    store = backend.entries(policy.target, policy.maxEntries, policy.maxBytes);
    if (controls.read) {
      // The memory backend answers at once: awaiting only a promise (Redis) saves a turn of the event loop.
      const found = store.get(exactKey);
      const stored = typeof found === 'object' ? await found : found;
      const exact = stored === undefined ? undefined : servedEntry<R>(stored);
      if (exact) return { hit: serve(ctx, policy, exact, 'hit') };
      if (policy.semantic && text !== undefined) {
        vector = await policy.semantic.embed(ctx, text);
        const near = await backend.vectors(policy.target).nearest(vectorPartition, vector);
        const similar = near && near.similarity >= policy.semantic.threshold ? await store.get(near.id) : undefined;
        const entry = similar ? servedEntry<R>(similar) : undefined;
        if (entry) return { hit: serve(ctx, policy, entry, 'semantic-hit', near!.similarity) };
      }
    }
  } catch (err) {
    // The cache is an optimisation: when its backend fails the request goes upstream.
    ctx.log?.warn({ err: (err as Error).message, target: policy.target }, 'cache lookup failed');
    if (controls.onlyIfCached) throw notCached(policy.target);
    settle(ctx, policy, 'miss');
    return {};
  }
  if (controls.onlyIfCached) throw notCached(policy.target);
  settle(ctx, policy, 'miss');
  if (!controls.write) return {};
  return {
    store: (answer) => {
      const work = async () => {
        await store.set(exactKey, storedEntry(answer, { endpoint: ctx.endpoint, route: ctx.route, provider: ctx.provider, model: ctx.model }), policy.ttlMs);
        if (!policy.semantic || text === undefined) return;
        vector ??= await policy.semantic.embed(ctx, text);
        await policy.service.backend(policy.backend).vectors(policy.target).add(vectorPartition, exactKey, vector, policy.ttlMs, policy.semantic.maxEntries);
      };
      work().catch((err: Error) => ctx.log?.warn({ err: err.message, target: policy.target }, 'cache store failed'));
    },
  };
}

function notCached(target: string): GatewayError {
  return new GatewayError(504, `No cached answer for this request on '${target}' (x-gatehouse-cache: only-if-cached)`, { code: 'cache_miss', type: 'invalid_request_error' });
}

/** Records the cache's result on the request: its status, the response header and the metric. */
function settle(ctx: RequestContext, policy: CachePolicy, result: CacheResult, similarity?: number): void {
  ctx.cacheStatus = result;
  const headers = (ctx.exposedHeaders ??= {});
  headers['x-gatehouse-cache'] = result;
  if (similarity !== undefined) headers['x-gatehouse-cache-similarity'] = similarity.toFixed(4);
  countCacheRequest(policy.target, result);
}

/** The answer with `usage` replaced (or removed when undefined). */
function withUsage<R extends Answer>(answer: R, usage: Usage | undefined): R {
  const { usage: _, ...rest } = answer;
  return (usage ? { ...rest, usage } : rest) as R;
}

/**
 * Serves a stored answer: a new response (entry.ts gives it a fresh id and time) with the usage the
 * answer cost when it was made (the client sees it, and the request log records it;
 * ctx.upstreamUsage tells budgets and limits it cost nothing now). Its cost is 0: no upstream cost,
 * whatever the endpoint's price.
 */
function serve<R extends Answer>(ctx: RequestContext, policy: CachePolicy, served: Served<R>, result: 'hit' | 'semantic-hit', similarity?: number): Served<R> {
  const { origin, answer } = served;
  ctx.endpoint = origin.endpoint;
  ctx.route = origin.route;
  ctx.provider = origin.provider;
  ctx.model = origin.model;
  ctx.usage = answer.usage;
  ctx.costUsd = 0;
  settle(ctx, policy, result, similarity);
  if (answer.usage) {
    const usd = origin.endpoint ? priceOf(policy.config, origin.endpoint, answer.usage) : undefined;
    countSaved(policy.target, answer.usage.total_tokens ?? 0, usd);
  }
  return served;
}
