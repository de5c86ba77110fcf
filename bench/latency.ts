// Sequential (concurrency 1) measurements with a small undici client and process.hrtime: the
// latency of one request at a time (where a gateway's own overhead is not hidden by queueing), and
// the time to first token of streamed completions. autocannon's histogram has 1 ms resolution,
// too coarse for sub-millisecond overheads, hence this loop.

import { Client } from 'undici';
import { chatBody, streamBody } from './requests.js';
import { summarize, type Summary } from './stats.js';
import type { Target } from './targets.js';

function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export interface SerialResult {
  latencyMs: Summary;
  failures: number;
  lastError?: string;
}

export interface SerialOptions {
  requests: number;
  warmupRequests: number;
  maxSeconds: number;
}

/** One connection, one request in flight: each sample is a full request/response round trip. */
export async function measureSerial(target: Target, options: SerialOptions): Promise<SerialResult> {
  const client = new Client(target.origin, { pipelining: 1, keepAliveTimeout: 60_000 });
  const body = chatBody(target.chatModel);
  const samples: number[] = [];
  let failures = 0;
  let lastError: string | undefined;
  const deadline = nowMs() + options.maxSeconds * 1000;
  try {
    for (let i = 0; i < options.warmupRequests + options.requests && nowMs() < deadline; i++) {
      const started = nowMs();
      try {
        const res = await client.request({ path: target.chatPath, method: 'POST', headers: target.headers, body });
        const text = await res.body.text();
        const elapsed = nowMs() - started;
        if (res.statusCode !== 200) {
          failures++;
          lastError = `HTTP ${res.statusCode}: ${text.slice(0, 200)}`;
        } else if (i >= options.warmupRequests) {
          samples.push(elapsed);
        }
      } catch (err) {
        failures++;
        lastError = err instanceof Error ? err.message : String(err);
      }
      if (failures > 50) break; // a broken target: stop early, the report shows the error
    }
  } finally {
    await client.close().catch(() => undefined);
  }
  return { latencyMs: summarize(samples), failures, lastError };
}

export interface StreamResult {
  /** From sending the request to the first chunk with non-empty delta content. */
  ttftMs: Summary;
  /** From sending the request to the end of the stream. */
  totalMs: Summary;
  /** From the first to the last content token: near (tokens - 1) x token delay unless something buffers. */
  spreadMs: Summary;
  /** Streams that arrived complete: every token, the usage chunk and [DONE]. */
  complete: number;
  failures: number;
  lastError?: string;
}

export interface StreamOptions {
  streams: number;
  warmupStreams: number;
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

async function oneStream(client: Client, target: Target, body: string): Promise<StreamObservation> {
  const started = nowMs();
  const res = await client.request({ path: target.chatPath, method: 'POST', headers: target.headers, body });
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
        const data = line.slice(5).trim();
        if (data === '[DONE]') {
          done = true;
          continue;
        }
        const chunk = JSON.parse(data) as { choices?: { delta?: { content?: string } }[]; usage?: unknown };
        if (chunk.usage) usage = true;
        const content = chunk.choices?.[0]?.delta?.content;
        if (content) {
          tokens++;
          if (Number.isNaN(firstToken)) firstToken = at - started;
          lastToken = at - started;
        }
      }
    }
  }
  return { ttft: firstToken, total: nowMs() - started, spread: lastToken - firstToken, tokens, usage, done };
}

export async function measureStreams(target: Target, options: StreamOptions): Promise<StreamResult> {
  const client = new Client(target.origin, { pipelining: 1, keepAliveTimeout: 60_000 });
  const body = streamBody(target.chatModel);
  const ttft: number[] = [];
  const total: number[] = [];
  const spread: number[] = [];
  let complete = 0;
  let failures = 0;
  let lastError: string | undefined;
  const deadline = nowMs() + options.maxSeconds * 1000;
  try {
    for (let i = 0; i < options.warmupStreams + options.streams && nowMs() < deadline; i++) {
      try {
        const seen = await oneStream(client, target, body);
        if (i < options.warmupStreams) continue;
        if (!Number.isNaN(seen.ttft)) {
          ttft.push(seen.ttft);
          total.push(seen.total);
          spread.push(seen.spread);
        }
        if (seen.tokens === options.expectedTokens && seen.usage && seen.done) complete++;
        else lastError = `incomplete stream: ${seen.tokens}/${options.expectedTokens} tokens, usage ${seen.usage}, [DONE] ${seen.done}`;
      } catch (err) {
        failures++;
        lastError = err instanceof Error ? err.message : String(err);
        if (failures > 10) break;
      }
    }
  } finally {
    await client.close().catch(() => undefined);
  }
  return { ttftMs: summarize(ttft), totalMs: summarize(total), spreadMs: summarize(spread), complete, failures, lastError };
}
