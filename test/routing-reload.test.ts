// Promoting a canary is a config change: the file's percentages change while requests are in
// flight, and no request fails. Live routing state (breaker, latency, in flight) of unchanged
// endpoints survives the reload.
import { afterEach, describe, expect, it } from 'vitest';
import type { EndpointRuntime } from '../src/core/runtime.js';
import { eventually } from './helpers/cli.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { allSseData, chatBody, postJson } from './helpers/http.js';
import { configOf, mockEndpoint, routedChat } from './helpers/routing.js';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

const SLOW = { response: 'a b c d e', token_delay: '5ms' };
const rollout = (canary: number) =>
  configOf(
    [mockEndpoint('stable', {}, SLOW), mockEndpoint('canary', { circuit_breaker: { failures: 3 } }, SLOW)],
    [{ name: 'assistant', task_type: 'llm/v1/chat', sticky: { by: 'user' }, destinations: [{ name: 'stable', traffic_percentage: 100 - canary }, { name: 'canary', traffic_percentage: canary }] }],
  );

/** One request, stream or not; resolves to a failure description or undefined. */
async function oneRequest(url: string, i: number): Promise<string | undefined> {
  const stream = i % 2 === 0;
  const res = await postJson(`${url}/v1/chat/completions`, chatBody('assistant', { stream, user: `user-${i % 50}` }));
  if (res.status !== 200) return `status ${res.status}: ${await res.text()}`;
  if (!stream) return (await res.json()).choices?.[0]?.message?.content === 'a b c d e' ? undefined : 'wrong answer';
  const data = await allSseData(res);
  return data[data.length - 1] === '[DONE]' && !data.some((d) => d.includes('"error"')) ? undefined : `broken stream: ${data.join(' | ')}`;
}

describe('reloading routes under load', () => {
  it('changes percentages several times while requests run, and no request fails', { timeout: 60_000 }, async () => {
    gw = await startGateway(rollout(0), { watch: true });
    const url = gw.url;
    const failures: string[] = [];
    let sent = 0;
    let running = true;
    const worker = async (w: number) => {
      for (let i = w; running; i += 8) {
        sent++;
        const failure = await oneRequest(url, i).catch((err: Error) => `thrown: ${err.message}`);
        if (failure) failures.push(failure);
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    const logs = gw.logs;
    const reloads = () => logs.filter((l) => l.msg === 'config reloaded').length;
    for (const [n, canary] of [10, 25, 50, 75, 100].entries()) {
      gw.writeConfig(rollout(canary));
      await eventually(() => (reloads() > n ? true : undefined), `reload ${n + 1}`);
    }
    const variants = new Set<string>();
    for (let i = 0; i < 5; i++) variants.add((await routedChat(url, 'assistant', { user: `user-${i}` })).variant!);
    running = false;
    await Promise.all(workers);
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(20);
    expect(variants).toEqual(new Set(['canary']));
  });

  it('keeps the live state of unchanged endpoints and starts afresh for changed ones', async () => {
    gw = await startGateway(rollout(10));
    const live = (name: string) => (gw!.gateway.state.current.targets.get(name) as EndpointRuntime).live;
    const stable = live('stable');
    const canary = live('canary');
    gw.writeConfig(rollout(30));
    expect(gw.gateway.reloader.reload('test').ok).toBe(true);
    expect(live('stable')).toBe(stable);
    expect(live('canary')).toBe(canary);
    gw.writeConfig(rollout(30).replace('"failures":3', '"failures":4'));
    expect(gw.gateway.reloader.reload('test').ok).toBe(true);
    expect(live('stable')).toBe(stable);
    expect(live('canary')).not.toBe(canary);
  });
});
