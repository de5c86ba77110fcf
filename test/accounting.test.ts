// Accounting over real HTTP: tokens as the provider reports them (cached ones priced apart) or
// counted with the tokenizer when it reports none (marked estimated), stream and non-stream; the
// cost in x-gatehouse-cost-usd (a trailer on streams, and cost_usd on the usage chunk); prices from
// an endpoint's `price`, the config's `pricing` table and the built-in list; budgets charged the same.
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_REPLY, openaiEndpoint, startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { eventually } from './helpers/cli.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { chatBody, postJson } from './helpers/http.js';
import { postRaw, ssePayloads } from './helpers/trailers.js';

const ADMIN = 'admin-key-for-accounting-tests';
const PROMPT = 'one two three four five six seven eight nine ten';
let fake: FakeOpenAI;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  const config = { openai_api_key: 'sk-fake' };
  gw = await startGateway(
    JSON.stringify({
      auth: { admin_key: ADMIN },
      endpoints: [
        openaiEndpoint(fake, 'mini', 'llm/v1/chat', 'gpt-4o-mini-2024-07-18', { config }),
        openaiEndpoint(fake, 'tabled', 'llm/v1/chat', 'house-model-v2', { config }),
        openaiEndpoint(fake, 'own', 'llm/v1/chat', 'gpt-4o-mini', { config, price: { input_per_million: 1, output_per_million: 2 } }),
        openaiEndpoint(fake, 'unpriced', 'llm/v1/chat', 'somebody-elses-model', { config }),
        openaiEndpoint(fake, 'instruct', 'llm/v1/completions', 'gpt-3.5-turbo-instruct', { config }),
        { name: 'free', endpoint_type: 'llm/v1/chat', model: { provider: 'mock', name: 'mock-chat' } },
      ],
      pricing: { 'openai/house-model*': { input_per_million: 10, output_per_million: 20 } },
    }),
  );
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const chatUrl = () => `${gw.url}/v1/chat/completions`;
const cost = (res: Response) => Number(res.headers.get('x-gatehouse-cost-usd'));

async function logRows(): Promise<Record<string, any>[]> {
  const res = await fetch(`${gw.url}/admin/logs?limit=1000`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return (await res.json()).data;
}

async function logRow(id: string | null): Promise<Record<string, any>> {
  const row = (await logRows()).find((r) => r.id === id);
  if (!row) throw new Error(`no log row for ${id}`);
  return row;
}

/** OpenAI's chat framing: 3 tokens to prime the reply, 3 per message plus its role and content. */
const chatPromptTokens = (content: string) => 3 + 3 + countTokens('user') + countTokens(content);

describe('reported usage', () => {
  it('prices a non-stream answer at the built-in price of the dated model, cached input apart', async () => {
    fake.next({ cachedTokens: 4 });
    const res = await postJson(chatUrl(), chatBody('mini', {}, PROMPT));
    const body = await res.json();
    expect(body.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 6 });
    // gpt-4o-mini: $0.15 input, $0.075 cached input, $0.60 output per million.
    expect(cost(res)).toBeCloseTo((6 * 0.15 + 4 * 0.075 + 6 * 0.6) / 1e6, 12);
    expect(res.headers.get('x-gatehouse-usage-estimated')).toBeNull();
    const row = await logRow(res.headers.get('x-gatehouse-request-id'));
    expect(row).toMatchObject({ prompt_tokens: 10, completion_tokens: 6, cached_tokens: 4, usage_estimated: 0, status: 200, endpoint: 'mini', provider: 'openai' });
    expect(row.cost_usd).toBeCloseTo(cost(res), 12);
  });

  it("prefers the endpoint's price, then the pricing table; an unknown model has no cost", async () => {
    const own = await postJson(chatUrl(), chatBody('own', {}, PROMPT));
    expect(cost(own)).toBeCloseTo((10 * 1 + 6 * 2) / 1e6, 12);
    const tabled = await postJson(chatUrl(), chatBody('tabled', {}, PROMPT));
    expect(cost(tabled)).toBeCloseTo((10 * 10 + 6 * 20) / 1e6, 12);
    const unpriced = await postJson(chatUrl(), chatBody('unpriced', {}, PROMPT));
    expect(unpriced.status).toBe(200);
    expect(unpriced.headers.get('x-gatehouse-cost-usd')).toBeNull();
    expect((await logRow(unpriced.headers.get('x-gatehouse-request-id'))).cost_usd).toBeNull();
  });

  it('the mock provider costs 0', async () => {
    const res = await postJson(chatUrl(), chatBody('free'));
    expect(res.headers.get('x-gatehouse-cost-usd')).toBe('0');
  });

  it('streams: the cost follows in a trailer and on the usage chunk the client asked for', async () => {
    const res = await postRaw(chatUrl(), chatBody('mini', { stream: true, stream_options: { include_usage: true } }, PROMPT));
    expect(res.headers.trailer).toBe('x-gatehouse-cost-usd');
    const usageChunk = ssePayloads(res.body).at(-1);
    expect(usageChunk.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 6 });
    const expected = (10 * 0.15 + 6 * 0.6) / 1e6;
    expect(usageChunk.usage.cost_usd).toBeCloseTo(expected, 12);
    expect(Number(res.trailers['x-gatehouse-cost-usd'])).toBeCloseTo(expected, 12);
    const row = await logRow(res.headers['x-gatehouse-request-id'] as string);
    expect(row).toMatchObject({ stream: 1, prompt_tokens: 10, completion_tokens: 6, usage_estimated: 0 });
  });

  it('streams without include_usage still account, and the client sees no usage chunk', async () => {
    const res = await postRaw(chatUrl(), chatBody('mini', { stream: true }, PROMPT));
    expect(ssePayloads(res.body).every((c) => !c.usage)).toBe(true);
    expect(Number(res.trailers['x-gatehouse-cost-usd'])).toBeCloseTo((10 * 0.15 + 6 * 0.6) / 1e6, 12);
  });
});

describe('no usage reported: counted with the tokenizer, marked estimated', () => {
  const completion = countTokens(FAKE_REPLY);

  it('non-stream', async () => {
    fake.next({ noUsage: true });
    const res = await postJson(chatUrl(), chatBody('mini', {}, PROMPT));
    expect(res.headers.get('x-gatehouse-usage-estimated')).toBe('true');
    const prompt = chatPromptTokens(PROMPT);
    expect(cost(res)).toBeCloseTo((prompt * 0.15 + completion * 0.6) / 1e6, 12);
    const row = await logRow(res.headers.get('x-gatehouse-request-id'));
    expect(row).toMatchObject({ prompt_tokens: prompt, completion_tokens: completion, usage_estimated: 1 });
  });

  it('stream', async () => {
    fake.next({ noUsage: true });
    const res = await postRaw(chatUrl(), chatBody('mini', { stream: true, stream_options: { include_usage: true } }, PROMPT));
    const prompt = chatPromptTokens(PROMPT);
    expect(Number(res.trailers['x-gatehouse-cost-usd'])).toBeCloseTo((prompt * 0.15 + completion * 0.6) / 1e6, 12);
    const row = await logRow(res.headers['x-gatehouse-request-id'] as string);
    expect(row).toMatchObject({ prompt_tokens: prompt, completion_tokens: completion, usage_estimated: 1, stream: 1 });
  });

  it('a stream the client leaves is accounted for what was generated, then logged as 499', async () => {
    fake.next({ eventDelayMs: 300 });
    const controller = new AbortController();
    const res = await postJson(chatUrl(), chatBody('mini', { stream: true }, PROMPT), { signal: controller.signal });
    const id = res.headers.get('x-gatehouse-request-id');
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain('data: ');
    controller.abort();
    const row = await eventually(async () => (await logRows()).find((r) => r.id === id), 'the row of the abandoned stream');
    expect(row).toMatchObject({ status: 499, usage_estimated: 1, prompt_tokens: chatPromptTokens(PROMPT) });
    expect(row.completion_tokens).toBeLessThan(countTokens(FAKE_REPLY));
    expect(row.cost_usd).toBeGreaterThan(0);
  });

  it('completions, counted with the older encoding of gpt-3.5', async () => {
    fake.next({ noUsage: true });
    const res = await postJson(`${gw.url}/v1/completions`, { model: 'instruct', prompt: PROMPT });
    expect(res.status).toBe(200);
    const row = await logRow(res.headers.get('x-gatehouse-request-id'));
    const cl100k = await import('gpt-tokenizer/encoding/cl100k_base');
    expect(row).toMatchObject({ prompt_tokens: cl100k.countTokens(PROMPT), completion_tokens: cl100k.countTokens(FAKE_REPLY), usage_estimated: 1 });
  });
});

describe('/metrics', () => {
  /** The sum of the samples of `name` whose labels include `labels`. */
  const sample = (text: string, name: string, labels: Record<string, string>) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);

  it('counts cost by endpoint, provider and model, and cached and estimated tokens apart', async () => {
    const before = await (await fetch(`${gw.url}/metrics`)).text();
    fake.next({ cachedTokens: 4 }, { noUsage: true });
    const reported = await postJson(chatUrl(), chatBody('tabled', {}, PROMPT));
    const estimated = await postJson(chatUrl(), chatBody('tabled', {}, PROMPT));
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    const delta = (name: string, labels: Record<string, string>) => sample(text, name, labels) - sample(before, name, labels);

    const labels = { endpoint: 'tabled', provider: 'openai', model: 'house-model-v2' };
    expect(delta('gatehouse_cost_usd_total', labels)).toBeCloseTo(cost(reported) + cost(estimated), 12);
    expect(delta('gatehouse_tokens_total', { ...labels, type: 'cached', estimated: 'false' })).toBe(4);
    expect(delta('gatehouse_tokens_total', { ...labels, type: 'prompt', estimated: 'false' })).toBe(10);
    expect(delta('gatehouse_tokens_total', { ...labels, type: 'completion', estimated: 'true' })).toBe(countTokens(FAKE_REPLY));
    expect(text).toMatch(/^gatehouse_request_log_queue_depth \d+$/m);
    expect(text).toMatch(/^gatehouse_request_log_dropped_total 0$/m);
  });
});

describe('budgets', () => {
  it('book the same cost the header reports, from the built-in price', async () => {
    const budgeted = await startGateway(
      JSON.stringify({ auth: { admin_key: ADMIN }, endpoints: [openaiEndpoint(fake, 'mini', 'llm/v1/chat', 'gpt-4o-mini', { config: { openai_api_key: 'sk-fake' } })] }),
    );
    try {
      const admin = (method: string, path: string, body?: unknown) =>
        fetch(`${budgeted.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then((r) => r.json());
      const key = await admin('POST', '/admin/keys', { name: 'spender', budgets: [{ usd: 10, period: 'daily' }] });
      const res = await postJson(`${budgeted.url}/v1/chat/completions`, chatBody('mini', {}, PROMPT), { headers: { authorization: `Bearer ${key.secret}` } });
      expect(res.status).toBe(200);
      await res.text();
      // Booked when the response has closed, which may be a moment after the client has the body.
      const spent = await eventually(async () => (await admin('GET', `/admin/keys/${key.id}/spend`)).budgets[0].spent_usd || undefined, 'the spend booked');
      expect(spent).toBeCloseTo(cost(res), 12);
      expect(cost(res)).toBeGreaterThan(0);
    } finally {
      await budgeted.close();
    }
  });
});
