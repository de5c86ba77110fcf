// The upstream SSE reader: payloads as their bytes arrive, UTF-8 split across reads, [DONE], errors,
// and a body that ends normally keeping its keep-alive connection.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../src/core/errors.js';
import { readSseJson } from '../src/providers/sse.js';

/** Each request's path names the parts the server writes, a few milliseconds apart. */
const SCRIPTS: Record<string, (string | Buffer)[]> = {
  '/done': ['data: {"n":1}\n\ndata: {"n":2}\n\n', 'data: [DONE]\n\n'],
  '/split': [Buffer.from('\uFEFFdata: {"t":"caf'), Buffer.from([0xc3]), Buffer.from([0xa9, 0x22, 0x7d, 0x0a, 0x0a])],
  '/bad': ['data: {"n":1}\n\n', 'data: not json\n\n'],
  '/endless': ['data: {"n":1}\n\n', 'data: {"n":2}\n\n', 'data: {"n":3}\n\n', 'data: {"n":4}\n\n'],
};

let server: http.Server;
let origin: string;
const agent = new Agent({ keepAliveTimeout: 10_000 });
const sockets = new Set<unknown>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    sockets.add(req.socket);
    const parts = [...(SCRIPTS[req.url ?? ''] ?? [])];
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const step = () => {
      const part = parts.shift();
      if (part === undefined) return req.url === '/endless' ? undefined : res.end();
      res.write(part);
      setTimeout(step, 5);
    };
    step();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await agent.close();
});

async function open(path: string) {
  const res = await request(`${origin}${path}`, { dispatcher: agent });
  return { res, events: readSseJson(res.body, 'test', (err) => new GatewayError(502, String(err))) };
}

async function collect(events: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const event of events) out.push(event);
  return out;
}

describe('readSseJson', () => {
  it('yields each payload parsed and ends at [DONE], keeping the connection for the next request', async () => {
    const before = sockets.size;
    expect(await collect((await open('/done')).events)).toEqual([{ n: 1 }, { n: 2 }]);
    // The body's last bytes (the end of the chunked body) follow [DONE] a moment later.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(await collect((await open('/done')).events)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(sockets.size - before).toBeLessThanOrEqual(1);
  });

  it('decodes a character split between reads and drops a leading byte-order mark', async () => {
    expect(await collect((await open('/split')).events)).toEqual([{ t: 'café' }]);
  });

  it('fails on a payload that is not JSON, after the ones before it', async () => {
    const { events } = await open('/bad');
    const seen: unknown[] = [];
    await expect(
      (async () => {
        for await (const event of events) seen.push(event);
      })(),
    ).rejects.toMatchObject({ status: 502, code: 'upstream_invalid_response' });
    expect(seen).toEqual([{ n: 1 }]);
  });

  it('stops a body that is still sending once the consumer is done', async () => {
    const { res, events } = await open('/endless');
    for await (const event of events) {
      expect(event).toEqual({ n: 1 });
      break;
    }
    await new Promise((resolve) => res.body.once('close', resolve));
    expect(res.body.destroyed).toBe(true);
  });
});
