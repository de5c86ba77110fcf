// The response cache scenario: how much sooner a cache hit answers than a pass-through, on one
// Gatehouse process in the same run, one request at a time and interleaved pairwise (latency.ts
// says why), for whole answers and for streams' first token.
//
// Whole answers are measured against two upstreams (docs/caching.md, "What the bench measures"):
// - realistic: `chat-slow-cached` against `chat-slow`, whose mock model answers only after a whole
//   answer's generation time, as a real model does. What a client gains from a hit; the 3x goal is
//   judged on this one.
// - instant: `chat-cached` against `chat`, whose mock answers at once. A pass-through is then almost
//   all gateway overhead, so this compares the gateway's hit path with its pass-through path.
// Streams already take the mock's generation time, so their first token is compared as it is.
import { measureSerial, measureStreams, openaiStream, type SerialResult, type StreamResult } from './latency.js';
import { chatBody } from './requests.js';
import type { BenchSettings } from './settings.js';
import type { Target } from './targets.js';

export const CACHED_MODEL = 'chat-cached';
const SLOW_MODEL = 'chat-slow';
const SLOW_CACHED_MODEL = 'chat-slow-cached';

export interface CacheScenario {
  /** Instant mock: hits, with pass-throughs (uncached endpoint) interleaved as the baseline. */
  serial: SerialResult;
  stream: StreamResult;
  /** Instant mock: pass-through p50 / hit p50, whole answers. */
  ratio: number;
  /** Pass-through p50 / hit p50, time to first token of streams. */
  streamRatio: number;
  /** The same as serial and ratio against the realistic upstream, which takes `generationMs` per answer. */
  realistic: { serial: SerialResult; ratio: number; generationMs: number };
}

/** Stores the answer once and checks that the next request is a hit. */
async function prime(target: Target, model: string): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${target.origin}${target.chatPath}`, { method: 'POST', headers: target.headers, body: chatBody(model) });
    await res.arrayBuffer();
    if (i === 1 && res.headers.get('x-gatehouse-cache') !== 'hit') throw new Error(`cache scenario (${model}): expected a hit, got x-gatehouse-cache: ${res.headers.get('x-gatehouse-cache')}`);
  }
}

const ratioOf = (serial: SerialResult) => (serial.baselineLatencyMs?.p50 ?? NaN) / serial.latencyMs.p50;

export async function measureCache(target: Target, settings: BenchSettings): Promise<CacheScenario> {
  await prime(target, CACHED_MODEL);
  await prime(target, SLOW_CACHED_MODEL);
  const serial = await measureSerial({ ...target, chatModel: CACHED_MODEL }, { requests: Math.min(settings.serialRequests, 1000), warmupRequests: 200, maxSeconds: settings.serialMaxSeconds }, target);
  // Each pass-through waits a whole generation: fewer pairs keep this to seconds.
  const slow = await measureSerial(
    { ...target, chatModel: SLOW_CACHED_MODEL },
    { requests: Math.min(settings.serialRequests, 100), warmupRequests: 10, maxSeconds: settings.serialMaxSeconds },
    { ...target, chatModel: SLOW_MODEL },
  );
  // A replayed stream carries the answer in one content chunk: one "token" is complete.
  const stream = await measureStreams(openaiStream(target, CACHED_MODEL), { streams: settings.streams, warmupStreams: 3, parallelWarmupStreams: 100, expectedTokens: 1, maxSeconds: 40 }, openaiStream(target));
  const streamRatio = (stream.baselineTtftMs?.p50 ?? NaN) / stream.ttftMs.p50;
  const generationMs = settings.ttftMs + settings.streamTokens * settings.tokenDelayMs;
  return { serial, stream, ratio: ratioOf(serial), streamRatio, realistic: { serial: slow, ratio: ratioOf(slow), generationMs } };
}
