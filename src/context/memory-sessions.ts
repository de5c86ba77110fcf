// Sessions of one process (no storage.redis): a bounded in-memory cache of active sessions is the
// truth, and the database keeps a copy written behind. Appends are synchronous mutations of the
// cached session, so concurrent requests of one session never lose each other's turns. Several
// processes on one SQLite file do not share live sessions: use Redis for that.
import type { Logger } from 'pino';
import { emptySession, appendTurns, isLive, keyString, type SessionData, type SessionKey, type SessionStore, type SessionSummary, type StoredTurn } from './session.js';
import { SessionTable, WriteBehind } from './session-table.js';

/** Request ids remembered for feedback (their scope and session). */
const MAX_REQUESTS = 10_000;

export class MemorySessions implements SessionStore {
  private readonly cache = new Map<string, SessionData>();
  private readonly loading = new Map<string, Promise<SessionData | undefined>>();
  private readonly requests = new Map<string, { scope: string; sessionId: string }>();
  private readonly writes: WriteBehind;

  constructor(
    private readonly table: SessionTable,
    private readonly cacheSize: number,
    log: Logger,
  ) {
    this.writes = new WriteBehind(table, async () => undefined, log);
  }

  async load(key: SessionKey): Promise<SessionData | undefined> {
    const id = keyString(key);
    const cached = this.cache.get(id);
    if (cached) {
      if (!isLive(cached)) return void this.drop(key);
      // Re-inserted: the Map's order is the eviction order.
      this.cache.delete(id);
      this.cache.set(id, cached);
      return cached;
    }
    let pending = this.loading.get(id);
    if (!pending) {
      pending = this.readThrough(key).finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }

  async append(key: SessionKey, turns: StoredTurn[], ttlMs: number, maxTurns: number): Promise<void> {
    const now = Date.now();
    // Looked up again after the await: a concurrent append may have created the session meanwhile.
    const loaded = await this.load(key);
    const session = this.cache.get(keyString(key)) ?? loaded ?? this.remember(emptySession(key, now, ttlMs));
    appendTurns(session, turns, now, ttlMs, maxTurns);
    for (const t of turns) this.noteRequest(t.request_id, key);
    this.writes.changed(key, session);
  }

  async summarise(key: SessionKey, base: number, count: number, summary: string): Promise<boolean> {
    const session = await this.load(key);
    if (!session || session.base !== base) return false;
    session.turns.splice(0, count);
    session.base += count;
    session.summary = summary;
    this.writes.changed(key, session);
    return true;
  }

  async delete(key: SessionKey): Promise<boolean> {
    const live = (await this.load(key)) !== undefined;
    this.drop(key);
    await this.writes.flush();
    return (await this.table.delete(key)) || live;
  }

  async list(scope: string, limit: number): Promise<SessionSummary[]> {
    await this.writes.flush();
    return this.table.list(scope, limit);
  }

  async requestOwner(requestId: string): Promise<{ scope: string; sessionId: string } | undefined> {
    return this.requests.get(requestId);
  }

  close(): Promise<void> {
    return this.writes.close();
  }

  private async readThrough(key: SessionKey): Promise<SessionData | undefined> {
    const found = this.writes.pendingData(key) ?? (await this.table.get(key));
    if (!found || !isLive(found)) return undefined;
    // A concurrent append may have created it while the database was read: that one wins.
    return this.cache.get(keyString(key)) ?? this.remember(found);
  }

  private remember(session: SessionData): SessionData {
    this.cache.set(keyString(session), session);
    // Evicted sessions with unwritten changes stay in the write queue until written.
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    return session;
  }

  private drop(key: SessionKey): void {
    this.cache.delete(keyString(key));
    this.writes.forget(key);
  }

  private noteRequest(requestId: string, key: SessionKey): void {
    this.requests.set(requestId, { scope: key.scope, sessionId: key.id });
    if (this.requests.size > MAX_REQUESTS) this.requests.delete(this.requests.keys().next().value!);
  }
}
