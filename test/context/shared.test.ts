// Shared mode on real Postgres and Redis: two gateway processes continue one session (a turn on
// one, the next on the other), concurrent turns across both are all kept, a delete on one is seen
// by the other, and the database holds the copy written behind. Skipped (saying why) where
// GATEHOUSE_TEST_DATABASE_URL / _REDIS_URL are unset.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE, REDIS, sharedRun } from '../helpers/shared-mode.js';
import { hashSecret } from '../../src/access/secrets.js';
import { openaiEndpoint, startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-upstream.js';
import { eventually, startServer, type ServerProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/config.js';
import { postJson } from '../helpers/http.js';

const shared = sharedRun('c');
const { schema, prefix } = shared;
const KEY = 'ghk_shared-context-key-00000000000000000000000';

describe.skipIf(shared.skip)(shared.title('sessions shared by two processes on Postgres and Redis'), () => {
  let openai: FakeOpenAI;
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    openai = await startFakeOpenAI();
    const config = join(tempDir(), 'gatehouse.yaml');
    writeFileSync(
      config,
      JSON.stringify({
        storage: { database: `${shared.database}`, redis: REDIS, redis_prefix: prefix },
        endpoints: [
          openaiEndpoint(openai, 'gpt', 'llm/v1/chat', 'gpt-4o-mini'),
          { ...openaiEndpoint(openai, 'short', 'llm/v1/chat', 'gpt-4o-mini'), context: { max_tokens: 60, strategy: 'summarise', summariser: 'gpt' } },
        ],
        teams: [{ name: 'shared' }],
        keys: [{ name: 'k', team: 'shared', hash: `sha256:${hashSecret(KEY)}` }],
      }),
    );
    const serve = () => startServer(['serve', '--config', config, '--port', '0', '--host', '127.0.0.1', '--no-watch']);
    a = await serve();
    b = await serve();
  }, 60_000);

  afterAll(async () => {
    a?.signal('SIGTERM');
    b?.signal('SIGTERM');
    await Promise.all([a?.exited, b?.exited]);
    await openai?.close();
    await shared.cleanup();
  });

  const say = (url: string, session: string, text: string, model = 'gpt') =>
    postJson(`${url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: text }], context: { session_id: session } }, { headers: { authorization: `Bearer ${KEY}` } });
  const read = (url: string, id: string) => fetch(`${url}/v1/sessions/${id}`, { headers: { authorization: `Bearer ${KEY}` } });

  it('continues a session on the other process', async () => {
    openai.next({ text: 'First answer from A.' });
    expect((await say(a.url, 'shared-1', 'Hello A.')).status).toBe(200);
    expect((await say(b.url, 'shared-1', 'Hello B.')).status).toBe(200);
    expect(openai.last().body.messages.map((m: { content: string }) => m.content)).toEqual(['Hello A.', 'First answer from A.', 'Hello B.']);
    const session = await (await read(a.url, 'shared-1')).json();
    expect(session.messages).toHaveLength(4);
  });

  it('keeps every turn of concurrent requests on both processes', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => say(i % 2 ? a.url : b.url, 'shared-2', `Parallel ${i}`)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const session = await (await read(b.url, 'shared-2')).json();
    expect(session.messages).toHaveLength(20);
  });

  it('writes sessions behind to Postgres, and a delete on one process is seen by the other', async () => {
    await say(a.url, 'shared-3', 'Persist me.');
    const client = new pg.Client({ connectionString: DATABASE });
    await client.connect();
    try {
      await eventually(async () => (await client.query(`select turns from ${schema}.context_sessions where id = 'shared-3'`)).rows[0]?.turns.includes('Persist me.') || undefined, 'the session row', 5_000);
      expect((await fetch(`${b.url}/v1/sessions/shared-3`, { method: 'DELETE', headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
      expect((await read(a.url, 'shared-3')).status).toBe(404);
      expect((await client.query(`select 1 from ${schema}.context_sessions where id = 'shared-3'`)).rows).toHaveLength(0);
    } finally {
      await client.end();
    }
  });

  it('brings a session back from Postgres after Redis lost it', async () => {
    await say(a.url, 'shared-4', 'Survive a Redis loss.');
    const client = new pg.Client({ connectionString: DATABASE });
    await client.connect();
    try {
      await eventually(async () => (await client.query(`select 1 from ${schema}.context_sessions where id = 'shared-4'`)).rows[0] || undefined, 'the session row', 5_000);
    } finally {
      await client.end();
    }
    const redis = new Redis(REDIS!);
    await redis.del(...(await redis.keys(`${prefix}session:shared-4/*`)));
    redis.disconnect();
    await say(b.url, 'shared-4', 'Still there?');
    expect(openai.last().body.messages[0].content).toBe('Survive a Redis loss.');
  });

  it('stores a summary made on one process for the other', async () => {
    const long = (i: number) => `Turn ${i}: ${'lorem ipsum dolor sit amet '.repeat(2)}`;
    for (let i = 1; i <= 4; i++) {
      openai.next({ text: i === 4 ? 'SUMMARY: four turns of lorem.' : `Answer ${i}.` });
      await say(i % 2 ? a.url : b.url, 'shared-5', long(i), 'short');
    }
    const session = await (await read(b.url, 'shared-5')).json();
    expect(session.history_summary).toBe('SUMMARY: four turns of lorem.');
    expect(session.messages[0].content).not.toBe(long(1));
  });
});
