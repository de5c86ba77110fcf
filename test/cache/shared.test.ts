// The Redis backend: two gateway processes on one Redis share cached answers (exact and semantic),
// keep tenants apart, and a purge on one empties the cache for both. Skipped (saying why) where
// GATEHOUSE_TEST_REDIS_URL is unset. Each run uses its own Redis prefix and removes its keys.
import { hashSecret } from '../../src/access/secrets.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS, sharedRun } from '../helpers/shared-mode.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { tempDir } from '../helpers/config.js';
import { startServer, type ServerProcess } from '../helpers/cli.js';
import { admin, ADMIN_KEY } from '../access/helpers.js';
import { answer, ask, cacheConfig } from './helpers.js';

const RED = 'ghk_red-key-for-the-shared-cache-test';
const BLUE = 'ghk_blue-key-for-the-shared-cache-test';
const shared = sharedRun('cache-', { redisOnly: true });
const { prefix } = shared;

describe.skipIf(shared.skip)(shared.title('shared cache on Redis'), () => {
  let fake: FakeOpenAI;
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    const file = join(tempDir(), 'gatehouse.yaml');
    const extra = `storage: { redis: "${REDIS}", redis_prefix: "${prefix}" }
cache: { backend: redis }
auth: { admin_key: ${ADMIN_KEY} }
keys:
  - { name: red, hash: "sha256:${hashSecret(RED)}", team: red }
  - { name: blue, hash: "sha256:${hashSecret(BLUE)}", team: blue }`;
    writeFileSync(file, cacheConfig(fake, '{ mode: semantic, semantic: { threshold: 0.8 } }', extra));
    // Each process has its own in-memory database: only Redis is shared.
    const env = { GATEHOUSE_DATABASE_URL: 'sqlite://:memory:' };
    [a, b] = await Promise.all([0, 1].map(() => startServer(['serve', '--config', file, '--port', '0', '--host', '127.0.0.1', '--no-watch'], env)));
  }, 60_000);

  afterAll(async () => {
    a?.signal('SIGTERM');
    b?.signal('SIGTERM');
    await Promise.all([a?.exited, b?.exited]);
    await fake?.close();
    await shared.cleanup();
  });

  it('serves on one process what the other stored, exactly and by similarity, within the team only', async () => {
    expect((await answer(await ask(a.url, 'Shared across replicas?', { key: RED }))).cache).toBe('miss');
    // The store happens right after the answer; the other process sees it at once or a moment later.
    let hit = await answer(await ask(b.url, 'Shared across replicas?', { key: RED }));
    for (let i = 0; i < 20 && hit.cache !== 'hit'; i++) hit = await answer(await ask(b.url, 'Shared across replicas?', { key: RED }));
    expect(hit.cache).toBe('hit');
    expect((await answer(await ask(b.url, 'shared across replicas', { key: RED }))).cache).toBe('semantic-hit');
    expect((await answer(await ask(b.url, 'Shared across replicas?', { key: BLUE }))).cache).toBe('miss');
    expect(fake.requests).toHaveLength(2);
  });

  it('purges for every process', async () => {
    await ask(a.url, 'Purge me', { key: RED });
    await new Promise((r) => setTimeout(r, 100));
    expect((await answer(await ask(b.url, 'Purge me', { key: RED }))).cache).toBe('hit');
    const purged = await admin(b.url, 'POST', '/admin/cache/purge', { endpoint: 'chat', team: 'red' });
    expect(purged.body.purged).toBeGreaterThanOrEqual(2);
    expect((await answer(await ask(a.url, 'Purge me', { key: RED, headers: { 'x-gatehouse-cache': 'only-if-cached' } }))).status).toBe(504);
  });
});
