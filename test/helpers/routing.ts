// Helpers for routing tests: configs as JSON (JSON is YAML), a port nobody listens on, chat calls
// that return the routing headers, and counting which endpoint served a batch of requests.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { chatBody, postJson } from './http.js';

/** A loopback port that refuses connections: it was free a moment ago and nobody listens on it. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A gateway config from endpoint and route objects. */
export const configOf = (endpoints: object[], routes: object[] = []) => JSON.stringify({ endpoints, routes });

/** A mock-provider chat endpoint. */
export const mockEndpoint = (name: string, extra: Record<string, unknown> = {}, config: Record<string, unknown> = {}) => ({
  name,
  endpoint_type: 'llm/v1/chat',
  model: { provider: 'mock', name: `mock-${name}`, config },
  ...extra,
});

export interface Routed {
  status: number;
  endpoint: string | null;
  attempts: string | null;
  fallbacks: string | null;
  variant: string | null;
  requestId: string | null;
  body: any;
}

/** Posts a chat request and reads the answer with its routing headers. */
export async function routedChat(url: string, model: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}, content = 'Hello'): Promise<Routed> {
  const res = await postJson(`${url}/v1/chat/completions`, chatBody(model, extra, content), { headers });
  const h = (name: string) => res.headers.get(name);
  return {
    status: res.status,
    endpoint: h('x-gatehouse-endpoint'),
    attempts: h('x-gatehouse-attempts'),
    fallbacks: h('x-gatehouse-fallbacks'),
    variant: h('x-gatehouse-variant'),
    requestId: h('x-gatehouse-request-id'),
    body: await res.json(),
  };
}

/** Sends `total` requests, `concurrency` at a time, and counts the answers by serving endpoint (and "status <n>" for failures). */
export async function tally(total: number, concurrency: number, send: (i: number) => Promise<Routed>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const r = await send(next++);
      const key = r.status === 200 ? String(r.endpoint) : `status ${r.status}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return counts;
}
