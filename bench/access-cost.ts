// The CPU cost of access control alone, in process: one admission (key lookup by hash, permissions,
// budget, the keyed bench config's limit check, rate-limit headers) and its finish per iteration,
// with no HTTP or upstream around it. The whole-gateway comparison
// is the "Gatehouse keyed+limited" column of `npm run bench`; on a busy machine its throughput ratio
// swings with other load, while this number stays put.
//
// Usage: npx tsx bench/access-cost.ts
import path from 'node:path';
import pino from 'pino';
import { RequestContext } from '../src/core/context.js';
import { createGateway } from '../src/gateway.js';
import { ROOT } from './targets.js';

const gw = await createGateway({
  configFile: path.join(ROOT, 'bench', 'gatehouse.keyed.bench.yaml'),
  // Nothing is sent upstream: the loop stops at the pipeline's door.
  env: { BENCH_MOCK_URL: 'http://127.0.0.1:1/v1', GATEHOUSE_DATABASE_URL: 'sqlite://:memory:' },
  logger: pino({ level: 'silent' }),
  watch: false,
});
const target = gw.state.current.targets.get('chat')!;
const body = { model: 'chat', messages: [{ role: 'user', content: 'Hello there, how are you?' }] };
const headers = { authorization: 'Bearer ghk_bench-client-key-for-the-keyed-target-000', 'content-type': 'application/json' };
async function once(): Promise<void> {
  const ctx = new RequestContext('127.0.0.1');
  ctx.access = gw.access.begin(headers);
  await ctx.access!.admit(ctx, target, body);
  ctx.usage = { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 };
  ctx.endpoint = 'chat';
  ctx.access!.finish(ctx);
}
// Warm-up, so the JIT has compiled the path before it is timed.
for (let i = 0; i < 20000; i++) await once();
const n = 200000;
const t0 = performance.now();
for (let i = 0; i < n; i++) await once();
console.log(`admission (key lookup, permissions, budget, limit check, headers): ${((performance.now() - t0) * 1000 / n).toFixed(2)} µs per request`);
await gw.close();
