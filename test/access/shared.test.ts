// Shared mode on real Postgres and Redis: two gateway processes on one database and one Redis
// enforce one limit exactly under concurrent load, see each other's revocations within a second,
// and share spend. Skipped (saying why) where GATEHOUSE_TEST_DATABASE_URL / _REDIS_URL are unset.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS, sharedRun } from '../helpers/shared-mode.js';
import { RedisCounters } from '../../src/access/redis-counters.js';
import { tempDir } from '../helpers/config.js';
import { eventually, runCli, startServer, type ServerProcess } from '../helpers/cli.js';
import { accessConfig, admin, chat } from './helpers.js';

const shared = sharedRun('t');
const { schema, prefix } = shared;

describe.skipIf(shared.skip)(shared.title('shared mode on Postgres and Redis'), () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let config: string;

  beforeAll(async () => {
    const dir = tempDir();
    config = join(dir, 'gatehouse.yaml');
    writeFileSync(
      config,
      accessConfig(`storage:
  database: ${shared.database}
  redis: ${REDIS}
  redis_prefix: "${prefix}"
teams:
  - name: shared
    limits: [ { rpd: 20 } ]
    budgets: [ { usd: 1, period: daily } ]
`, 1000),
    );
    // Both start at once: migrations on a new schema must not race.
    [a, b] = await Promise.all([0, 1].map(() => startServer(['serve', '--config', config, '--port', '0', '--host', '127.0.0.1', '--no-watch'])));
  }, 60_000);

  afterAll(async () => {
    a?.signal('SIGTERM');
    b?.signal('SIGTERM');
    await Promise.all([a?.exited, b?.exited]);
    await shared.cleanup();
  });

  it('says where its data and shared state live', () => {
    expect(a.output().stderr).toMatch(new RegExp(`data: Postgres 127\\.0\\.0\\.1:5432/test schema ${schema}`));
    expect(a.output().stderr).toMatch(/shared state: Redis 127\.0\.0\.1:6379/);
    expect(a.output().stderr).not.toMatch(/postgres:\/\/[^ ]*:[^ ]*@/);
  });

  it('enforces one limit exactly across two processes under concurrent load', async () => {
    const { body: key } = await admin(a.url, 'POST', '/admin/keys', { name: 'both', team: 'shared' });
    // The key reaches the other process through Redis at once (or the version poll within a second).
    await eventually(async () => (await chat(b.url, key.secret, 'cheap')).status === 200 || undefined, 'the key on the other process');
    const used = 1;
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => chat(i % 2 ? a.url : b.url, key.secret, 'cheap').then((r) => r.status)));
    expect(results.filter((s) => s === 200)).toHaveLength(20 - used);
    expect(results.filter((s) => s === 429)).toHaveLength(40 - (20 - used));
  });

  it('sees a revocation made on one process on the other within a second', async () => {
    const { body: key } = await admin(a.url, 'POST', '/admin/keys', { name: 'revoked-soon' });
    await eventually(async () => (await chat(b.url, key.secret, 'cheap')).status === 200 || undefined, 'the key on the other process');
    await admin(a.url, 'DELETE', `/admin/keys/${key.id}`);
    const revokedAt = Date.now();
    await eventually(async () => (await chat(b.url, key.secret, 'cheap')).status === 401 || undefined, 'the revocation on the other process', 1_000);
    expect(Date.now() - revokedAt).toBeLessThan(1_000);
  });

  it('sees a key revoked with `gatehouse keys revoke` on both processes', async () => {
    const created = await runCli(['keys', 'create', '--config', config, '--name', 'from-cli', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout);
    await eventually(async () => ((await chat(a.url, key.secret, 'cheap')).status === 200 && (await chat(b.url, key.secret, 'cheap')).status === 200) || undefined, 'the key on both processes');
    const listed = await runCli(['keys', 'list', '--config', config]);
    expect(listed.stdout).toContain(`${key.prefix}…  from-cli`);
    expect(listed.stdout).not.toContain(key.secret);
    expect((await runCli(['keys', 'revoke', '--config', config, key.id])).code).toBe(0);
    await eventually(async () => ((await chat(a.url, key.secret, 'cheap')).status === 401 && (await chat(b.url, key.secret, 'cheap')).status === 401) || undefined, 'the revocation on both processes', 1_000);
   }, 60_000);

  it('shares spend: what one process books, the other counts', async () => {
    const { body: key } = await admin(a.url, 'POST', '/admin/keys', { name: 'spender' });
    await eventually(async () => (await chat(a.url, key.secret, 'chat')).status === 200 || undefined, 'a priced call');
    await eventually(async () => {
      const spend = await admin(b.url, 'GET', `/admin/keys/${key.id}/spend`);
      return Object.values(spend.body.by_day as Record<string, number>)[0] > 0 || undefined;
    }, 'the spend on the other process', 3_000);
  });

  it('applies migrations with `gatehouse db migrate`', async () => {
    const fresh = `${shared.database}_m`;
    const first = await runCli(['db', 'migrate', '--database', fresh]);
    expect(first.stdout).toMatch(/applied 0001_identity/);
    const again = await runCli(['db', 'migrate', '--database', fresh]);
    expect(again.stdout).toMatch(/nothing to apply/);
    await shared.query(`drop schema ${schema}_m cascade`);
  });
});

describe.skipIf(!REDIS)(`Redis counters${REDIS ? '' : ' (skipped: set GATEHOUSE_TEST_REDIS_URL)'}`, () => {
  it('take all of a request\'s checks or none, atomically across connections', async () => {
    const connections = [new Redis(REDIS!), new Redis(REDIS!)];
    const counters = connections.map((r) => new RedisCounters(r, `${prefix}unit:`));
    const checks = [
      { kind: 'bucket' as const, id: 'b', capacity: 10, perMs: 1e-9, cost: 1 },
      { kind: 'window' as const, id: 'w', limit: 15, resetAt: Date.now() + 60_000, cost: 1 },
    ];
    const verdicts = await Promise.all(Array.from({ length: 30 }, (_, i) => counters[i % 2].take(checks)));
    expect(verdicts.filter((v) => v.failed < 0)).toHaveLength(10);
    // The window counted only the 10 admitted requests, not the refused ones.
    const window = await counters[0].take([{ ...checks[1], cost: 5 }]);
    expect(window).toMatchObject({ failed: -1, remaining: [0] });
    for (const r of connections) r.disconnect();
  });

  it('corrects token buckets and frees concurrency slots', async () => {
    const redis = new Redis(REDIS!);
    const counters = new RedisCounters(redis, `${prefix}unit2:`);
    const tokens = { kind: 'bucket' as const, id: 'tpm', capacity: 100, perMs: 1e-9, cost: 10 };
    expect((await counters.take([tokens])).remaining).toEqual([90]);
    // The call used 50 tokens, not the 10 estimated: 40 more are taken.
    await counters.adjust(tokens, 40);
    expect((await counters.take([tokens])).remaining).toEqual([40]);
    const slot = { kind: 'gauge' as const, id: 'conc', limit: 1 };
    expect((await counters.take([slot])).failed).toBe(-1);
    expect((await counters.take([slot])).failed).toBe(0);
    await counters.release([slot]);
    await counters.release([slot]);
    expect((await counters.take([slot])).failed).toBe(-1);
    redis.disconnect();
  });
});

