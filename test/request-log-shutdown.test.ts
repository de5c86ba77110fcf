// Nothing is lost across a SIGTERM under load: a real `gatehouse serve` whose request log only
// writes on shutdown (batches and interval far away) takes concurrent requests, gets SIGTERM while
// they are in flight, and exits; the SQLite file then holds a row for every request answered.
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { startServer } from './helpers/cli.js';
import { tempDir } from './helpers/config.js';
import { chatBody, postJson } from './helpers/http.js';

describe('request log across SIGTERM', () => {
  it('writes a row for every answered request before exiting', async () => {
    const dir = tempDir();
    const database = join(dir, 'gatehouse.db');
    const config = join(tempDir({ 'gatehouse.yaml': `
server: { log_level: warn }
storage: { database: "sqlite://${database}" }
request_log: { batch_size: 1000, flush_interval: 1h, queue_size: 100000 }
endpoints:
  - { name: chat, endpoint_type: llm/v1/chat, model: { provider: mock, name: mock-chat, config: { ttft: 0.3 } } }
` }), 'gatehouse.yaml');
    const server = await startServer(['serve', '--config', config, '--port', '0', '--host', '127.0.0.1', '--no-watch']);

    // Waves of concurrent requests until the signal; those in flight at SIGTERM are finished.
    let stopping = false;
    const answered: number[] = [];
    const client = async () => {
      while (!stopping) {
        try {
          const res = await postJson(`${server.url}/v1/chat/completions`, chatBody('chat'));
          await res.text();
          answered.push(res.status);
        } catch {
          return; // the listener closed
        }
      }
    };
    const clients = Array.from({ length: 20 }, client);
    await new Promise((r) => setTimeout(r, 1500));
    server.signal('SIGTERM');
    stopping = true;
    expect(await server.exited).toBe(0);
    await Promise.all(clients);

    const ok = answered.filter((s) => s === 200).length;
    expect(ok).toBeGreaterThan(20);
    const db = new SQLite(database, { readonly: true });
    try {
      const stored = db.prepare("select count(*) as n from request_log where path = '/v1/chat/completions' and status = 200").get() as { n: number };
      expect(stored.n).toBe(ok);
    } finally {
      db.close();
    }
  }, 60_000);
});
