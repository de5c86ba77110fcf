// Raw-HTTP helpers for tests against a running gateway: JSON posts, SSE reading, error and header
// checks, access-log lookups.
import { expect } from 'vitest';
import type { TestGateway } from './gateway.js';

export function postJson(url: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    ...init,
    headers: { 'content-type': 'application/json', ...init.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** A minimal chat request body. */
export function chatBody(model: string, extra: Record<string, unknown> = {}, content = 'Hello'): Record<string, unknown> {
  return { model, messages: [{ role: 'user', content }], ...extra };
}

/** Yields each `data:` payload of an SSE response as soon as its bytes arrive. */
export async function* sseData(res: Response): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(bytes, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const event = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const data = event
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (data) yield data;
    }
  }
}

export async function allSseData(res: Response): Promise<string[]> {
  const out: string[] = [];
  for await (const data of sseData(res)) out.push(data);
  return out;
}

/** Checks the headers the gateway puts on every response. */
export function expectGatewayHeaders(res: Response, endpoint?: string): void {
  expect(res.headers.get('x-gatehouse-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  expect(res.headers.get('x-gatehouse-overhead-ms')).toMatch(/^\d+\.\d{3}$/);
  expect(res.headers.get('x-gatehouse-endpoint')).toBe(endpoint ?? null);
}

export interface ErrorFields {
  message: string;
  type: string;
  code: string | null;
  param: string | null;
  upstream_status?: number;
}

/** Checks an OpenAI-shaped error answer: status, exactly {error: {message, type, code, param}} (+ upstream_status), headers. */
export async function expectError(res: Response, status: number, endpoint?: string): Promise<ErrorFields> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expectGatewayHeaders(res, endpoint);
  const body = (await res.json()) as { error: ErrorFields };
  expect(Object.keys(body)).toEqual(['error']);
  const keys = ['message', 'type', 'code', 'param', ...('upstream_status' in body.error ? ['upstream_status'] : [])];
  expect(Object.keys(body.error).sort()).toEqual(keys.sort());
  expect(typeof body.error.message).toBe('string');
  return body.error;
}

/** The access-log line of a request; waits for it, since it is written when the response closes. */
export async function accessLog(gw: TestGateway, requestId: string | null): Promise<Record<string, unknown>> {
  for (let i = 0; i < 200; i++) {
    const line = gw.logs.find((l) => l.msg === 'request' && l.request_id === requestId);
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no access-log line for request ${requestId}`);
}
