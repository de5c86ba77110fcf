// The scaffold the provider fakes share: a loopback HTTP server that records each request
// (method, path, query, headers, parsed JSON or form body) and answers it through the fake's own
// handler, which sees the behaviour a test queued for that request. Answers are JSON or SSE events.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fakeControls } from './controls.js';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: any;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** A JSON body. */
  json?: unknown;
  /** A plain-text body (an upstream that does not answer JSON). */
  text?: string;
  /** Server-Sent Events, sent in order; `event` names the SSE event type. */
  events?: { event?: string; data: unknown }[];
}

export interface RecordingServer<B> {
  url: string;
  requests: RecordedRequest[];
  last(): RecordedRequest;
  /** Queues behaviours, one per coming request; with an empty queue the handler gets `{}`. */
  next(...behaviours: B[]): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startRecordingServer<B extends object>(handle: (req: RecordedRequest, behaviour: B) => Reply): Promise<RecordingServer<B>> {
  const requests: RecordedRequest[] = [];
  const queue: B[] = [];
  const server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const url = new URL(req.url ?? '/', 'http://fake');
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: parseBody(raw, req.headers) };
    requests.push(recorded);
    const reply = handle(recorded, queue.shift() ?? ({} as B));
    if (reply.events) {
      res.writeHead(reply.status ?? 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...reply.headers });
      for (const { event, data } of reply.events) res.write(`${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
      return void res.end();
    }
    if (reply.text !== undefined) {
      res.writeHead(reply.status ?? 200, { 'content-type': 'text/plain', ...reply.headers });
      return void res.end(reply.text);
    }
    const payload = JSON.stringify(reply.json ?? {});
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...reply.headers });
    res.end(payload);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    ...fakeControls(server, requests, queue),
  };
}

function parseBody(raw: string, headers: IncomingHttpHeaders): any {
  if (!raw) return undefined;
  if (String(headers['content-type']).startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Words with their leading space: the fakes' tokens. */
export const words = (text: string): string[] => text.match(/\s*\S+/g) ?? [];
