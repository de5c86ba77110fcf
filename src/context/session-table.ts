// The durable copy of sessions in storage.database (SQLite or Postgres), one row per session, and
// the write-behind queue that keeps it current: requests mark sessions changed, a timer writes the
// changed ones in one batch, and close() writes what is left. No request waits on the database.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database, SessionRow } from '../store/tables.js';
import { keyString, type SessionData, type SessionKey, type SessionSummary } from './session.js';

const FLUSH_MS = 1_000;
const SWEEP_MS = 60_000;
/** Changed sessions waiting to be written; beyond it a flush starts at once. */
const MAX_PENDING = 5_000;

export class SessionTable {
  constructor(readonly db: Kysely<Database>) {}

  async get(key: SessionKey): Promise<SessionData | undefined> {
    const row = await this.db.selectFrom('context_sessions').selectAll().where('scope', '=', key.scope).where('id', '=', key.id).executeTakeFirst();
    return row && fromRow(row);
  }

  async put(sessions: SessionData[]): Promise<void> {
    if (sessions.length === 0) return;
    await this.db
      .insertInto('context_sessions')
      .values(sessions.map(toRow))
      .onConflict((oc) =>
        oc.columns(['scope', 'id']).doUpdateSet((eb) => ({
          turns: eb.ref('excluded.turns'),
          summary: eb.ref('excluded.summary'),
          base: eb.ref('excluded.base'),
          updated_at: eb.ref('excluded.updated_at'),
          expires_at: eb.ref('excluded.expires_at'),
        })),
      )
      .execute();
  }

  async delete(key: SessionKey): Promise<boolean> {
    const result = await this.db.deleteFrom('context_sessions').where('scope', '=', key.scope).where('id', '=', key.id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async list(scope: string, limit: number, now = Date.now()): Promise<SessionSummary[]> {
    const rows = await this.db
      .selectFrom('context_sessions')
      .select(['id', 'created_at', 'updated_at', 'expires_at'])
      .where('scope', '=', scope)
      .where('expires_at', '>', new Date(now).toISOString())
      .orderBy('updated_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.id, createdAt: r.created_at, updatedAt: r.updated_at, expiresAt: r.expires_at }));
  }

  async sweep(now = Date.now()): Promise<void> {
    await this.db.deleteFrom('context_sessions').where('expires_at', '<=', new Date(now).toISOString()).execute();
  }
}

/**
 * Sessions changed since the last write. A change carries the session itself (embedded mode, where
 * memory is the truth) or nothing, and is read back at write time (shared mode, where Redis is).
 */
export class WriteBehind {
  private pending = new Map<string, { key: SessionKey; data?: SessionData }>();
  private readonly timers: NodeJS.Timeout[] = [];
  private flushing?: Promise<void>;

  constructor(
    private readonly table: SessionTable,
    private readonly read: (key: SessionKey) => Promise<SessionData | undefined>,
    private readonly log: Logger,
  ) {
    this.timers.push(setInterval(() => void this.flush(), FLUSH_MS), setInterval(() => void this.sweep(), SWEEP_MS));
    for (const t of this.timers) t.unref();
  }

  changed(key: SessionKey, data?: SessionData): void {
    this.pending.set(keyString(key), { key, data });
    if (this.pending.size >= MAX_PENDING) void this.flush();
  }

  forget(key: SessionKey): void {
    this.pending.delete(keyString(key));
  }

  /** The not yet written state of a session, for a read that missed the cache. */
  pendingData(key: SessionKey): SessionData | undefined {
    return this.pending.get(keyString(key))?.data;
  }

  flush(): Promise<void> {
    // One write at a time: a later flush waits, so rows are never written out of order.
    const run = (this.flushing ?? Promise.resolve()).then(() => this.write());
    this.flushing = run.finally(() => {
      if (this.flushing === run) this.flushing = undefined;
    });
    return run;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.flush();
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    try {
      const sessions = await Promise.all(batch.map((p) => p.data ?? this.read(p.key)));
      await this.table.put(sessions.filter((s): s is SessionData => s !== undefined));
    } catch (err) {
      for (const p of batch) if (!this.pending.has(keyString(p.key))) this.pending.set(keyString(p.key), p);
      this.log.error({ err: (err as Error).message }, 'session write failed; will retry');
    }
  }

  private async sweep(): Promise<void> {
    try {
      await this.table.sweep();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'expired session sweep failed');
    }
  }
}

function toRow(s: SessionData): SessionRow {
  return { scope: s.scope, id: s.id, turns: JSON.stringify(s.turns), summary: s.summary ?? null, base: s.base, created_at: s.createdAt, updated_at: s.updatedAt, expires_at: s.expiresAt };
}

function fromRow(r: SessionRow): SessionData {
  return { scope: r.scope, id: r.id, turns: JSON.parse(r.turns), summary: r.summary ?? undefined, base: Number(r.base), createdAt: r.created_at, updatedAt: r.updated_at, expiresAt: r.expires_at };
}
