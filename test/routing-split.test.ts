// Choosing a destination: weighted traffic splits (within statistical bounds), sticky assignment,
// the variant header, load balancing strategies, and conditional routing.
import { afterEach, describe, expect, it } from 'vitest';
import { snapshot } from '../src/routing/counters.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { accessLog } from './helpers/http.js';
import { configOf, mockEndpoint, routedChat, tally } from './helpers/routing.js';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

const split = (name: string, shares: Record<string, number>, extra: Record<string, unknown> = {}) => ({
  name,
  task_type: 'llm/v1/chat',
  destinations: Object.entries(shares).map(([d, traffic_percentage]) => ({ name: d, traffic_percentage })),
  ...extra,
});

describe('TRAFFIC_SPLIT', () => {
  it('spreads 2000 requests by percentage, names the variant, and counts it', { timeout: 60_000 }, async () => {
    gw = await startGateway(configOf([mockEndpoint('stable'), mockEndpoint('canary')], [split('assistant', { stable: 80, canary: 20 })]));
    const variants: Record<string, number> = {};
    const counts = await tally(2000, 16, async () => {
      const r = await routedChat(gw!.url, 'assistant');
      expect(r.variant).toBe(r.endpoint);
      variants[r.variant!] = (variants[r.variant!] ?? 0) + 1;
      return r;
    });
    // Binomial(2000, 0.2): sd ~ 18, so 400 +- 90 is five standard deviations.
    expect(counts.canary).toBeGreaterThan(310);
    expect(counts.canary).toBeLessThan(490);
    expect(counts.stable + counts.canary).toBe(2000);
    expect(snapshot().find((s) => s.name === 'variants' && s.labels.route === 'assistant' && s.labels.variant === 'canary')?.value).toBe(counts.canary);
    const r = await routedChat(gw.url, 'assistant');
    expect(await accessLog(gw, r.requestId)).toMatchObject({ route: 'assistant', variant: r.variant, endpoint: r.endpoint });
  });

  it('keeps each user on one variant (sticky by user), and still splits users by percentage', async () => {
    gw = await startGateway(configOf([mockEndpoint('a'), mockEndpoint('b')], [split('ab', { a: 50, b: 50 }, { sticky: { by: 'user' } })]));
    const seen = new Map<string, Set<string>>();
    await tally(600, 12, async (i) => {
      const user = `user-${i % 200}`;
      const r = await routedChat(gw!.url, 'ab', { user });
      if (!seen.has(user)) seen.set(user, new Set());
      seen.get(user)!.add(r.variant!);
      return r;
    });
    expect([...seen.values()].every((s) => s.size === 1)).toBe(true);
    const onB = [...seen.values()].filter((s) => s.has('b')).length;
    // Binomial(200, 0.5): sd ~ 7.
    expect(onB).toBeGreaterThan(65);
    expect(onB).toBeLessThan(135);
  });

  it('is sticky by a header, by API key and by session', async () => {
    const routes = [
      split('by-header', { a: 50, b: 50 }, { sticky: { by: 'header', header: 'x-tenant' } }),
      split('by-key', { a: 50, b: 50 }, { sticky: { by: 'api_key' } }),
      split('by-session', { a: 50, b: 50 }, { sticky: { by: 'session' } }),
    ];
    // The session header also opens the session, which callers without a key may use only when enabled.
    const config = { ...JSON.parse(configOf([mockEndpoint('a'), mockEndpoint('b')], routes)), context: { sessions: { allow_anonymous: true } } };
    gw = await startGateway(JSON.stringify(config));
    const headersFor: Record<string, (i: number) => Record<string, string>> = {
      'by-header': (i) => ({ 'x-tenant': `tenant-${i}` }),
      'by-key': (i) => ({ authorization: `Bearer sk-test-${i}` }),
      'by-session': (i) => ({ 'x-gatehouse-session-id': `session-${i}` }),
    };
    for (const [route, headers] of Object.entries(headersFor)) {
      const variants = new Set<string>();
      for (let key = 0; key < 20; key++) {
        const answers = new Set<string>();
        for (let n = 0; n < 5; n++) answers.add((await routedChat(gw.url, route, {}, headers(key))).variant!);
        expect(answers.size, `${route} key ${key}`).toBe(1);
        variants.add([...answers][0]);
      }
      expect(variants, route).toEqual(new Set(['a', 'b']));
    }
  });

  it('moves only the users in the band that changes hands when a canary is promoted', async () => {
    const users = Array.from({ length: 300 }, (_, i) => `u${i}`);
    const assign = async () => new Map(await Promise.all(users.map(async (u) => [u, (await routedChat(gw!.url, 'rollout', { user: u })).variant!] as const)));
    gw = await startGateway(configOf([mockEndpoint('stable'), mockEndpoint('canary')], [split('rollout', { stable: 90, canary: 10 }, { sticky: { by: 'user' } })]));
    const before = await assign();
    gw.writeConfig(configOf([mockEndpoint('stable'), mockEndpoint('canary')], [split('rollout', { stable: 60, canary: 40 }, { sticky: { by: 'user' } })]));
    expect(gw.gateway.reloader.reload('test').ok).toBe(true);
    const after = await assign();
    const leftCanary = users.filter((u) => before.get(u) === 'canary' && after.get(u) !== 'canary');
    const joined = users.filter((u) => before.get(u) === 'stable' && after.get(u) === 'canary');
    expect(leftCanary).toEqual([]);
    expect(joined.length).toBeGreaterThan(50);
  });
});

describe('LOAD_BALANCE', () => {
  const balanced = (balance: string, destinations: object[]) => ({ name: 'pool', task_type: 'llm/v1/chat', routing_strategy: 'LOAD_BALANCE', balance, destinations });

  it('round_robin follows the weights exactly', async () => {
    gw = await startGateway(configOf([mockEndpoint('east'), mockEndpoint('west')], [balanced('round_robin', [{ name: 'east', weight: 3 }, { name: 'west' }])]));
    expect(await tally(400, 1, () => routedChat(gw!.url, 'pool'))).toEqual({ east: 300, west: 100 });
  });

  it('least_in_flight sends new requests to the idle deployment while the other is busy', async () => {
    const slow = { response: 'one two three four five six', token_delay: '100ms' };
    gw = await startGateway(configOf([mockEndpoint('busy', {}, slow), mockEndpoint('idle', {}, slow)], [balanced('least_in_flight', [{ name: 'busy' }, { name: 'idle' }])]));
    // Eight concurrent requests over two deployments: four each, never five on one.
    const counts = await tally(8, 8, () => routedChat(gw!.url, 'pool'));
    expect(counts).toEqual({ busy: 4, idle: 4 });
  });

  it('lowest_latency moves traffic to the faster deployment', async () => {
    gw = await startGateway(configOf([mockEndpoint('slow', {}, { ttft: '100ms' }), mockEndpoint('fast')], [balanced('lowest_latency', [{ name: 'slow' }, { name: 'fast' }])]));
    const counts = await tally(60, 1, () => routedChat(gw!.url, 'pool'));
    expect(counts.fast).toBeGreaterThan(55);
  });

  it('lowest_cost picks the cheapest deployment by resolved price (its own, else the pricing table)', async () => {
    const priced = (input: number, output: number) => ({ price: { input_per_million: input, output_per_million: output } });
    // 'tabled' is priced by the config's table; without it, the mock's built-in price (0) would make it the cheapest.
    const config = JSON.parse(
      configOf([mockEndpoint('premium', priced(5, 15)), mockEndpoint('budget', priced(0.15, 0.6)), mockEndpoint('tabled')], [balanced('lowest_cost', [{ name: 'premium' }, { name: 'tabled' }, { name: 'budget' }])]),
    );
    gw = await startGateway(JSON.stringify({ ...config, pricing: { 'mock/mock-tabled': { input_per_million: 1, output_per_million: 1 } } }));
    expect(await tally(20, 4, () => routedChat(gw!.url, 'pool'))).toEqual({ budget: 20 });
  });

  it('usage keeps each deployment under its rpm, then answers 429', async () => {
    gw = await startGateway(
      configOf([mockEndpoint('small', { capacity: { rpm: 3 } }), mockEndpoint('large', { capacity: { rpm: 5 } })], [balanced('usage', [{ name: 'small' }, { name: 'large' }])]),
    );
    expect(await tally(10, 1, () => routedChat(gw!.url, 'pool'))).toEqual({ small: 3, large: 5, 'status 429': 2 });
  });

  it('usage keeps a deployment under its tpm, counted from the tokens each answer used', async () => {
    // The mock's answer to "Hello" costs 12 tokens (4 prompt, 8 completion): 30 tpm is full after 3.
    gw = await startGateway(configOf([mockEndpoint('small', { capacity: { tpm: 30 } })], [balanced('usage', [{ name: 'small' }])]));
    expect(await tally(6, 1, () => routedChat(gw!.url, 'pool'))).toEqual({ small: 3, 'status 429': 3 });
  });

  it('moves on to another deployment when one fails', async () => {
    gw = await startGateway(
      configOf([mockEndpoint('broken', {}, { error_rate: 1, error_status: 503 }), mockEndpoint('ok')], [balanced('round_robin', [{ name: 'broken' }, { name: 'ok' }])]),
    );
    expect(await tally(20, 2, () => routedChat(gw!.url, 'pool'))).toEqual({ ok: 20 });
  });
});

describe('CONDITIONAL', () => {
  const conditional = {
    name: 'smart',
    task_type: 'llm/v1/chat',
    routing_strategy: 'CONDITIONAL',
    destinations: [
      { name: 'experimental', when: { header: { name: 'x-beta', equals: 'true' } } },
      { name: 'long-context', when: { prompt_tokens: { over: 1000 } } },
      { name: 'premium', when: { tier: ['gold', 'platinum'] } },
      { name: 'eu', when: { metadata: { key: 'region', in: ['eu-west', 'eu-central'] } } },
      { name: 'standard' },
    ],
  };
  const names = ['experimental', 'long-context', 'premium', 'eu', 'standard'];

  it('sends each request to the first destination whose condition holds', async () => {
    gw = await startGateway(configOf(names.map((n) => mockEndpoint(n)), [conditional]));
    const served = async (extra: Record<string, unknown>, headers: Record<string, string> = {}, content = 'Hello') => (await routedChat(gw!.url, 'smart', extra, headers, content)).endpoint;
    expect(await served({}, { 'x-beta': 'true' })).toBe('experimental');
    expect(await served({}, { 'x-beta': 'no' })).toBe('standard');
    expect(await served({}, {}, 'word '.repeat(1000))).toBe('long-context');
    expect(await served({}, { 'x-gatehouse-tier': 'gold' })).toBe('premium');
    expect(await served({ metadata: { tier: 'platinum' } })).toBe('premium');
    expect(await served({ metadata: { region: 'eu-west' } })).toBe('eu');
    expect(await served({ metadata: { region: 'us-east' } })).toBe('standard');
    expect(await served({})).toBe('standard');
  });
});
