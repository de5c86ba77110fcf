// server.trust_proxy: behind an ingress the client address comes from X-Forwarded-For, so per-IP
// limits count each client, not the proxy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { accessLog, chatBody, postJson } from './helpers/http.js';

const config = (trust: string) => `
server: { trust_proxy: ${trust} }
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-chat }
    limit: { renewal_period: minute, calls: 1 }
`;

const from = (gw: TestGateway, ip: string) => postJson(`${gw.url}/v1/chat/completions`, chatBody('chat'), { headers: { 'x-forwarded-for': ip } });

describe('server.trust_proxy', () => {
  let trusted: TestGateway;
  let direct: TestGateway;
  beforeAll(async () => {
    trusted = await startGateway(config('1'));
    direct = await startGateway(config('false'));
  });
  afterAll(async () => {
    await trusted?.close();
    await direct?.close();
  });

  it('with one trusted hop, takes the client address from X-Forwarded-For (limits and logs)', async () => {
    const first = await from(trusted, '203.0.113.7');
    expect(first.status).toBe(200);
    expect((await accessLog(trusted, first.headers.get('x-gatehouse-request-id'))).client_ip).toBe('203.0.113.7');
    expect((await from(trusted, '203.0.113.8')).status).toBe(200);
    expect((await from(trusted, '203.0.113.7')).status).toBe(429);
  });

  it('by default ignores X-Forwarded-For: a client cannot pick its own address', async () => {
    expect((await from(direct, '203.0.113.7')).status).toBe(200);
    expect((await from(direct, '203.0.113.8')).status).toBe(429);
  });
});
