// Config rollout across two gateway processes in shared mode (Postgres + Redis, an isolated schema
// and key prefix): an apply on one is served by the other at once, a rollback too, a restarted
// process comes up on the latest applied version, and a version the Redis notice missed is still
// picked up by the poll. Skipped (saying why) without GATEHOUSE_TEST_DATABASE_URL / _REDIS_URL.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE, REDIS, sharedRun } from '../helpers/shared-mode.js';
import { ADMIN_KEY, accessConfig, admin, chat } from '../access/helpers.js';
import { eventually, runCli, startServer, type ServerProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/config.js';

const shared = sharedRun('r');
const { schema, prefix } = shared;

const storage = `storage:
  database: ${shared.database}
  redis: ${REDIS}
  redis_prefix: "${prefix}"
gitops:
  poll_interval: 1s
`;
const config = (reply?: string) => {
  const base = accessConfig(storage);
  return reply ? base.replace('model: { provider: mock, name: mock-chat }', `model: { provider: mock, name: mock-chat, config: { response: "${reply}" } }`) : base;
};

async function answer(url: string): Promise<string> {
  const res = await chat(url, undefined, 'chat');
  return ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content;
}

const serves = (url: string, text: string) => eventually(async () => ((await answer(url)) === text ? true : undefined), `${url} to serve "${text}"`, 10_000);

describe.skipIf(shared.skip)(shared.title('config rollout in shared mode'), () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let c: ServerProcess | undefined;
  let dir: string;
  let file: string;
  const serveArgs = () => ['serve', '--config', file, '--port', '0', '--host', '127.0.0.1', '--no-watch'];

  beforeAll(async () => {
    dir = tempDir();
    file = join(dir, 'gatehouse.yaml');
    writeFileSync(file, config());
    [a, b] = await Promise.all([0, 1].map(() => startServer(serveArgs())));
  }, 60_000);

  afterAll(async () => {
    for (const p of [a, b, c]) p?.signal('SIGTERM');
    await Promise.all([a?.exited, b?.exited, c?.exited]);
    await shared.cleanup();
  });

  it('records the file once although both processes started on it', async () => {
    const history = await admin(a.url, 'GET', '/admin/config/versions');
    expect(history.body.data.filter((v: { source: string }) => v.source === 'file').length).toBeGreaterThanOrEqual(1);
    expect(new Set(history.body.data.map((v: { sha256: string }) => v.sha256)).size).toBe(1);
  });

  it('serves a config applied on one process on the other at once', async () => {
    const applyFile = join(dir, 'next.yaml');
    writeFileSync(applyFile, config('version two'));
    const applied = await runCli(['apply', applyFile, '--gateway', a.url, '--admin-key', ADMIN_KEY, '-m', 'two']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(await answer(a.url)).toBe('version two');
    await serves(b.url, 'version two');
    const current = await admin(b.url, 'GET', '/admin/config');
    expect(current.body).toMatchObject({ message: 'two', source: 'api', overrides_file: true });
  }, 60_000);

  it('refuses a bad config on either process and changes nothing anywhere', async () => {
    const res = await fetch(`${b.url}/admin/config?file=bad.yaml`, { method: 'PUT', headers: { authorization: `Bearer ${ADMIN_KEY}` }, body: config('bad').replace('endpoint_type: llm/v1/embeddings', 'endpoint_type: embeddings') });
    expect(res.status).toBe(400);
    expect((await res.json()).issues[0]).toMatchObject({ file: 'bad.yaml', path: 'endpoints[2].endpoint_type' });
    expect(await answer(a.url)).toBe('version two');
    expect(await answer(b.url)).toBe('version two');
  });

  it('comes up on the latest applied version after a restart', async () => {
    b.signal('SIGTERM');
    await b.exited;
    c = await startServer(serveArgs());
    expect(await answer(c.url)).toBe('version two');
  }, 60_000);

  it('rolls back everywhere from any process', async () => {
    const history = await admin(a.url, 'GET', '/admin/config/versions');
    const first = history.body.data[history.body.data.length - 1].version;
    const rolled = await runCli(['rollback', String(first), '--gateway', c!.url, '--admin-key', ADMIN_KEY]);
    expect(rolled.code, rolled.stderr).toBe(0);
    await serves(a.url, 'This is a mock response to: Hello there');
    await serves(c!.url, 'This is a mock response to: Hello there');
  }, 60_000);

  it('picks up a version whose notice was missed, through the poll', async () => {
    const text = config('written straight to the database');
    const client = new pg.Client({ connectionString: DATABASE });
    await client.connect();
    await client.query(`set search_path to ${schema}`);
    const { rows } = await client.query('select max(version) as top from config_versions');
    await client.query('insert into config_versions (version, text, sha256, applied_by, applied_at, source, message, identity) values ($1, $2, $3, $4, $5, $6, $7, $8)', [
      Number(rows[0].top) + 1, text, createHash('sha256').update(text).digest('hex'), 'test', new Date().toISOString(), 'api', null, '{}',
    ]);
    await client.end();
    await serves(a.url, 'written straight to the database');
    await serves(c!.url, 'written straight to the database');
  }, 30_000);
});
