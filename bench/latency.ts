// Sequential (concurrency 1) measurements with a small undici client and process.hrtime: the
// latency of one request at a time (where a gateway's own overhead is not hidden by queueing), and
// the time to first token of streamed completions. autocannon's histogram has 1 ms resolution,
// too coarse for sub-millisecond overheads, hence this loop.
//
// Paired baseline: on a 2-core machine shared with other work, latency drifts by more than a
// gateway's overhead from one minute to the next. So while a gateway is measured, every request
// through it is paired with one request straight to the mock (alternating which goes first, never
// both in flight), and "added" latency is taken against that interleaved baseline, not against a
// baseline measured earlier.

import { Client, Pool, type Dispatcher } from 'undici';
import { anthropicStreamBody, chatBody, streamBody } from './requests.js';
import { summarize, type Summary } from './stats.js';
import type { Mock, Target } from './targets.js';

function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface SerialResult {
  latencyMs: Summary;
  /** Direct-to-mock requests interleaved with this target's (absent for the direct target itself). */
  baselineLatencyMs?: Summary;
  /** The gateway's own x-gatehouse-overhead-ms response header, when it sends one. */
  selfReportedOverheadMs?: Summary;
  failures: number;
  lastError?: string;
}

export interface SerialOptions {
  requests: number;
  warmupRequests: number;
  maxSeconds: number;
}

export interface Timed {
  ms: number;
  overheadHeader: number | null;
}

export async function timedChat(client: Client, target: Target, body: string): Promise<Timed> {
  const started = nowMs();
  const res = await client.request({ path: target.chatPath, method: 'POST', headers: target.headers, body });
  const text = await res.body.text();
  const ms = nowMs() - started;
  if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
  const header = res.headers['x-gatehouse-overhead-ms'];
  const overhead = typeof header === 'string' ? Number(header) : NaN;
  return { ms, overheadHeader: Number.isFinite(overhead) ? overhead : null };
}

/** One connection per side, one request in flight: each sample is a full round trip. */
export async function measureSerial(target: Target, options: SerialOptions, baseline?: Target): Promise<SerialResult> {
  const client = new Client(target.origin, { pipelining: 1, keepAliveTimeout: 60_000 });
  const baseClient = baseline ? new Client(baseline.origin, { pipelining: 1, keepAliveTimeout: 60_000 }) : null;
  const body = chatBody(target.chatModel);
  const baseBody = baseline ? chatBody(baseline.chatModel) : '';
  const samples: number[] = [];
  const baseSamples: number[] = [];
  const selfReported: number[] = [];
  let failures = 0;
  let lastError: string | undefined;
  const deadline = nowMs() + options.maxSeconds * 1000;
  try {
    for (let i = 0; i < options.warmupRequests + options.requests && nowMs() < deadline; i++) {
      try {
        const baseFirst = i % 2 === 0;
        let base: Timed | null = null;
        if (baseClient && baseline && baseFirst) base = await timedChat(baseClient, baseline, baseBody);
        const timed = await timedChat(client, target, body);
        if (baseClient && baseline && !baseFirst) base = await timedChat(baseClient, baseline, baseBody);
        if (i < options.warmupRequests) continue;
        samples.push(timed.ms);
        if (base) baseSamples.push(base.ms);
        if (timed.overheadHeader !== null) selfReported.push(timed.overheadHeader);
      } catch (err) {
        failures++;
        lastError = message(err);
        if (failures > 50) break; // a broken target: stop early, the report shows the error
      }
    }
  } finally {
    await client.close().catch(() => undefined);
    await baseClient?.close().catch(() => undefined);
  }
  return {
    latencyMs: summarize(samples),
    ...(baseSamples.length ? { baselineLatencyMs: summarize(baseSamples) } : {}),
    ...(selfReported.length ? { selfReportedOverheadMs: summarize(selfReported) } : {}),
    failures,
    lastError,
  };
}

export interface StreamResult {
  /** From sending the request to the first chunk with non-empty delta content. */
  ttftMs: Summary;
  /** The same for direct-to-mock streams interleaved with this target's (absent for direct itself). */
  baselineTtftMs?: Summary;
  /** From sending the request to the end of the stream. */
  totalMs: Summary;
  /** From the first to the last content token: near (tokens - 1) x token delay unless something buffers. */
  spreadMs: Summary;
  /** Streams that arrived complete: every token, the usage and the end marker ([DONE], or message_stop for Anthropic). */
  complete: number;
  failures: number;
  lastError?: string;
}

/** One streamed request: where it goes, and the wire format of the events that come back. */
export interface StreamCall {
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  wire: 'openai' | 'anthropic';
}

/** A target's OpenAI chat stream; `model` overrides the target's chat model (another Gatehouse endpoint). */
export function openaiStream(target: Target, model = target.chatModel): StreamCall {
  return { origin: target.origin, path: target.chatPath, headers: target.headers, body: streamBody(model), wire: 'openai' };
}

/** The mock's Anthropic Messages stream, called directly: the baseline for an Anthropic upstream. */
export function anthropicStream(mock: Mock, apiKey: string): StreamCall {
  return {
    origin: mock.origin,
    path: '/v1/messages',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey, 'anthropic-version': '2023-06-01' },
    body: anthropicStreamBody('claude-sonnet-4-5'),
    wire: 'anthropic',
  };
}

export interface StreamOptions {
  streams: number;
  warmupStreams: number;
  /**
   * Streams run before the measurement, `WARM_PARALLEL` at a time, so the stream path is compiled
   * by the JIT as it is in a gateway that has served traffic: the load warm-up only sends
   * non-stream requests, and a few sequential streams leave the streaming code interpreted.
   */
  parallelWarmupStreams: number;
  expectedTokens: number;
  maxSeconds: number;
}

interface StreamObservation {
  ttft: number;
  total: number;
  spread: number;
  tokens: number;
  usage: boolean;
  done: boolean;
}

interface EventReading {
  /** The text of a content token, or '' when the event carries none. */
  token: string;
  usage: boolean;
  done: boolean;
}

/** What one SSE `data:` payload says, in OpenAI's wire format (chunks, then [DONE]). */
function readOpenAIEvent(data: string): EventReading {
  if (data === '[DONE]') return { token: '', usage: false, done: true };
  const chunk = JSON.parse(data) as { choices?: { delta?: { content?: string } }[]; usage?: unknown };
  return { token: chunk.choices?.[0]?.delta?.content ?? '', usage: Boolean(chunk.usage), done: false };
}

/** The same in Anthropic's (typed events: text deltas, usage on message_delta, message_stop at the end). */
function readAnthropicEvent(data: string): EventReading {
  const event = JSON.parse(data) as { type?: string; delta?: { text?: string }; usage?: unknown };
  return {
    token: event.type === 'content_block_delta' ? (event.delta?.text ?? '') : '',
    usage: event.type === 'message_delta' && Boolean(event.usage),
    done: event.type === 'message_stop',
  };
}

/** Reads one SSE stream to its end, noting when each content token arrived. */
async function oneStream(client: Dispatcher, call: StreamCall): Promise<StreamObservation> {
  const read = call.wire === 'openai' ? readOpenAIEvent : readAnthropicEvent;
  const started = nowMs();
  const res = await client.request({ path: call.path, method: 'POST', headers: call.headers, body: call.body });
  if (res.statusCode !== 200) {
    const text = await res.body.text();
    throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
  }
  let buffer = '';
  let firstToken = NaN;
  let lastToken = NaN;
  let tokens = 0;
  let usage = false;
  let done = false;
  for await (const part of res.body) {
    const at = nowMs();
    buffer += (part as Buffer).toString('utf8').replace(/\r\n/g, '\n');
    let boundary: number;
    while ((boundary = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      for (const line of event.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const seen = read(line.slice(5).trim());
        if (seen.done) done = true;
        if (seen.usage) usage = true;
        if (seen.token) {
          tokens++;
          if (Number.isNaN(firstToken)) firstToken = at - started;
          lastToken = at - started;
        }
      }
    }
  }
  return { ttft: firstToken, total: nowMs() - started, spread: lastToken - firstToken, tokens, usage, done };
}

const WARM_PARALLEL = 16;

/** Runs `count` streams, WARM_PARALLEL at a time, and ignores what they measure (failures show up in the measured streams). */
async function warmStreams(call: StreamCall, count: number): Promise<void> {
  if (count <= 0) return;
  const pool = new Pool(call.origin, { connections: WARM_PARALLEL, keepAliveTimeout: 60_000 });
  let left = count;
  const worker = async () => {
    while (left-- > 0) await oneStream(pool, call).catch(() => undefined);
  };
  try {
    await Promise.all(Array.from({ length: WARM_PARALLEL }, worker));
  } finally {
    await pool.close().catch(() => undefined);
  }
}

export async function measureStreams(call: StreamCall, options: StreamOptions, baseline?: StreamCall): Promise<StreamResult> {
  await warmStreams(call, options.parallelWarmupStreams);
  if (baseline) await warmStreams(baseline, options.parallelWarmupStreams);
  const client = new Client(call.origin, { pipelining: 1, keepAliveTimeout: 60_000 });
  const baseClient = baseline ? new Client(baseline.origin, { pipelining: 1, keepAliveTimeout: 60_000 }) : null;
  const ttft: number[] = [];
  const baseTtft: number[] = [];
  const total: number[] = [];
  const spread: number[] = [];
  let complete = 0;
  let failures = 0;
  let lastError: string | undefined;
  const deadline = nowMs() + options.maxSeconds * 1000;
  try {
    for (let i = 0; i < options.warmupStreams + options.streams && nowMs() < deadline; i++) {
      try {
        const baseFirst = i % 2 === 0;
        let base: StreamObservation | null = null;
        if (baseClient && baseline && baseFirst) base = await oneStream(baseClient, baseline);
        const seen = await oneStream(client, call);
        if (baseClient && baseline && !baseFirst) base = await oneStream(baseClient, baseline);
        if (i < options.warmupStreams) continue;
        if (!Number.isNaN(seen.ttft)) {
          ttft.push(seen.ttft);
          total.push(seen.total);
          spread.push(seen.spread);
        }
        if (base && !Number.isNaN(base.ttft)) baseTtft.push(base.ttft);
        if (seen.tokens === options.expectedTokens && seen.usage && seen.done) complete++;
        else lastError = `incomplete stream: ${seen.tokens}/${options.expectedTokens} tokens, usage ${seen.usage}, [DONE] ${seen.done}`;
      } catch (err) {
        failures++;
        lastError = message(err);
        if (failures > 10) break;
      }
    }
  } finally {
    await client.close().catch(() => undefined);
    await baseClient?.close().catch(() => undefined);
  }
  return {
    ttftMs: summarize(ttft),
    ...(baseTtft.length ? { baselineTtftMs: summarize(baseTtft) } : {}),
    totalMs: summarize(total),
    spreadMs: summarize(spread),
    complete,
    failures,
    lastError,
  };
}
