// The provider's rate-limit headers reach the client, renamed so they are not taken for the gateway's own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openaiEndpoint, startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { chatBody, postJson } from './helpers/http.js';

let fake: FakeOpenAI;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  const endpoint = (name: string) => openaiEndpoint(fake, name, 'llm/v1/chat', 'gpt-4o-mini', { config: { openai_api_key: 'k-123456' } });
  gw = await startGateway(
    JSON.stringify({
      endpoints: [endpoint('chat'), endpoint('backup')],
      routes: [{ name: 'safe', task_type: 'llm/v1/chat', routing_strategy: 'FALLBACK', destinations: [{ name: 'chat' }, { name: 'backup' }] }],
    }),
  );
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

describe('upstream rate-limit headers', () => {
  const upstreamHeaders = { 'x-ratelimit-remaining-requests': '4999', 'x-ratelimit-remaining-tokens': '159000', 'x-request-id': 'req_abc' };

  it('are passed on as x-gatehouse-upstream-* on answers and streams', async () => {
    for (const stream of [false, true]) {
      fake.next({ headers: upstreamHeaders });
      const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('chat', { stream }));
      expect(res.status).toBe(200);
      await res.text();
      expect(res.headers.get('x-gatehouse-upstream-x-ratelimit-remaining-requests')).toBe('4999');
      expect(res.headers.get('x-gatehouse-upstream-x-ratelimit-remaining-tokens')).toBe('159000');
      expect(res.headers.get('x-ratelimit-remaining-requests')).toBeNull();
      expect(res.headers.get('x-gatehouse-upstream-x-request-id')).toBeNull();
    }
  });

  it('come from the attempt that answered, when a route falls back', async () => {
    // The first upstream sends its headers, then fails before the stream's first event: the route moves on.
    fake.next(
      { headers: { 'x-ratelimit-remaining-requests': '0' }, failAfter: { events: 0, how: 'error-event' } },
      { headers: { 'x-ratelimit-remaining-tokens': '7' } },
    );
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('safe', { stream: true }));
    expect(res.status).toBe(200);
    await res.text();
    expect(res.headers.get('x-gatehouse-fallbacks')).toBe('1');
    expect(res.headers.get('x-gatehouse-upstream-x-ratelimit-remaining-tokens')).toBe('7');
    expect(res.headers.get('x-gatehouse-upstream-x-ratelimit-remaining-requests')).toBeNull();
  });
});
