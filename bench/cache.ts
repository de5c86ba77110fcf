// The response cache scenario: how much sooner a cache hit answers than a pass-through to the
// mock, on one Gatehouse process in the same run. Hits go to `chat-cached` (bench config: the same
// upstream with `cache: {}`), pass-throughs to the uncached `chat`, one request at a time and
// interleaved pairwise (latency.ts says why), for whole answers and for streams' first token.
import { measureSerial, measureStreams, openaiStream, type SerialResult, type StreamResult } from './latency.js';
import { chatBody } from './requests.js';
import type { BenchSettings } from './settings.js';
import type { Target } from './targets.js';

export const CACHED_MODEL = 'chat-cached';

export interface CacheScenario {
  /** Hits, with pass-throughs (uncached endpoint) interleaved as the baseline. */
  serial: SerialResult;
  stream: StreamResult;
  /** Pass-through p50 / hit p50, whole answers. */
  ratio: number;
  /** Pass-through p50 / hit p50, time to first token of streams. */
  streamRatio: number;
}

/** Stores the answer once, checks the next request is a hit, then measures. */
export async function measureCache(target: Target, settings: BenchSettings): Promise<CacheScenario> {
  const cached: Target = { ...target, chatModel: CACHED_MODEL };
  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${target.origin}${target.chatPath}`, { method: 'POST', headers: target.headers, body: chatBody(CACHED_MODEL) });
    await res.arrayBuffer();
    if (i === 1 && res.headers.get('x-gatehouse-cache') !== 'hit') throw new Error(`cache scenario: expected a hit, got x-gatehouse-cache: ${res.headers.get('x-gatehouse-cache')}`);
  }
  const serial = await measureSerial(cached, { requests: Math.min(settings.serialRequests, 1000), warmupRequests: 200, maxSeconds: settings.serialMaxSeconds }, target);
  // A replayed stream carries the answer in one content chunk: one "token" is complete.
  const stream = await measureStreams(openaiStream(target, CACHED_MODEL), { streams: settings.streams, warmupStreams: 3, parallelWarmupStreams: 100, expectedTokens: 1, maxSeconds: 40 }, openaiStream(target));
  const ratio = (serial.baselineLatencyMs?.p50 ?? NaN) / serial.latencyMs.p50;
  const streamRatio = (stream.baselineTtftMs?.p50 ?? NaN) / stream.ttftMs.p50;
  return { serial, stream, ratio, streamRatio };
}
