import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOCK_CONFIG, startGateway, type TestGateway } from './helpers/gateway.js';

describe('gateway on the mock provider', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway(MOCK_CONFIG);
  });
  afterAll(() => gw.close());

  it('answers a chat completion with the gateway headers', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Hello' }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gatehouse-endpoint')).toBe('chat');
    expect(res.headers.get('x-gatehouse-request-id')).toMatch(/[0-9a-f-]{36}/);
    expect(Number(res.headers.get('x-gatehouse-overhead-ms'))).toBeGreaterThanOrEqual(0);
    const body = await res.json();
    expect(body.choices[0].message.content).toBe('This is a mock response to: Hello');
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
  });
});
