// The request log's writer thread: rows observed on the gateway's thread end up in the database
// (an SQLite file, and Postgres where GATEHOUSE_TEST_DATABASE_URL is set), the bound covers rows
// the thread holds, flush and purge reach the thread, and close() writes everything it still holds.
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { RequestContext } from '../src/core/context.js';
import { openStore, type Store } from '../src/store/database.js';
import type { RequestLogConfig } from '../src/telemetry/config.js';
import { droppedRows, queueDepth } from '../src/telemetry/request-log/stats.js';
import { RequestLogWriter } from '../src/telemetry/request-log/writer.js';
import { tempDir } from './helpers/config.js';
import { sharedRun } from './helpers/shared-mode.js';

const SETTINGS: RequestLogConfig = { enabled: true, retention_days: 30, batch_size: 100, flush_interval: 3_600_000, queue_size: 50_000 };
const silent = pino({ level: 'silent' });

function finished(endpoint = 'chat') {
  const ctx = new RequestContext('127.0.0.1');
  ctx.endpoint = endpoint;
  return { ctx, status: 200, method: 'POST', path: '/v1/chat/completions' };
}

const count = async (store: Store) => Number((await store.db.selectFrom('request_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

function suite(title: string, url: () => string, skip = false) {
  describe.skipIf(skip)(title, () => {
    const stores: Store[] = [];
    const open = async () => {
      const store = await openStore(url());
      stores.push(store);
      await store.db.deleteFrom('request_log').execute(); // Postgres: one schema for the whole suite
      return store;
    };
    afterAll(async () => {
      for (const store of stores) await store.close();
    });

    it('writes observed rows through its thread; flush makes them readable', async () => {
      const store = await open();
      const writer = new RequestLogWriter(store, () => SETTINGS, silent);
      const ids = Array.from({ length: 250 }, () => {
        const done = finished();
        writer.observe(done);
        return done.ctx.id;
      });
      await writer.flush();
      const rows = await store.db.selectFrom('request_log').select(['id', 'endpoint']).execute();
      expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
      expect(queueDepth()).toBe(0);
      await writer.close();
    });

    it('bounds the queue over rows the thread holds, and counts what it drops', async () => {
      const store = await open();
      const before = droppedRows();
      const writer = new RequestLogWriter(store, () => ({ ...SETTINGS, queue_size: 5, batch_size: 1000 }), silent);
      for (let i = 0; i < 8; i++) writer.observe(finished());
      expect(queueDepth()).toBe(5);
      expect(droppedRows() - before).toBe(3);
      await writer.flush();
      expect(await count(store)).toBe(5);
      expect(queueDepth()).toBe(0);
      await writer.close();
    });

    it('purges old rows on its thread, and writes what it holds on close', async () => {
      const store = await open();
      const writer = new RequestLogWriter(store, () => SETTINGS, silent);
      for (let i = 0; i < 40; i++) writer.observe(finished());
      await writer.flush();
      await store.db.updateTable('request_log').set({ at: new Date(Date.now() - 40 * 86_400_000).toISOString() }).where('id', 'in', store.db.selectFrom('request_log').select('id').limit(10)).execute();
      expect(await writer.purge()).toBe(10);
      for (let i = 0; i < 25; i++) writer.observe(finished());
      await writer.close();
      expect(await count(store)).toBe(30 + 25);
    });
  });
}

suite('request log writer thread on an SQLite file', () => `sqlite://${join(tempDir(), 'gatehouse.db')}`);

const shared = sharedRun('rlw');
afterAll(() => (shared.skip ? undefined : shared.cleanup()));
suite(shared.title('request log writer thread on Postgres'), () => shared.database, shared.skip);
