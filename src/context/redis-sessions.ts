// Sessions shared by every replica (storage.redis): Redis holds active sessions and is the truth
// for them; the database keeps a copy written behind, which also brings a session back after Redis
// lost it. Each session is a list of turns (appended with RPUSH, so concurrent requests on any
// replica never lose turns) and a hash of its summary, base and times; both expire with the TTL.
import type { Logger } from 'pino';
import type { Shared } from '../store/redis.js';
import { isLive, keyString, type SessionData, type SessionKey, type SessionStore, type SessionSummary, type StoredTurn } from './session.js';
import { SessionTable, WriteBehind } from './session-table.js';

// KEYS: turns, meta, request index prefix. ARGV: ttl ms, max turns, now ms, now iso, expires iso, session id, scope, turns...
const APPEND = `
local n = redis.call('RPUSH', KEYS[1], unpack(ARGV, 8))
local max = tonumber(ARGV[2])
if n > max then
  redis.call('LTRIM', KEYS[1], n - max, -1)
  redis.call('HINCRBY', KEYS[2], 'base', n - max)
end
redis.call('HSETNX', KEYS[2], 'base', 0)
redis.call('HSETNX', KEYS[2], 'created_at', ARGV[4])
redis.call('HSET', KEYS[2], 'updated_at', ARGV[4], 'expires_at', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
for i = 8, #ARGV do
  local rid = cjson.decode(ARGV[i]).request_id
  redis.call('SET', KEYS[3] .. rid, cjson.encode({ARGV[7], ARGV[6]}), 'PX', ARGV[1])
end
return n`;

// KEYS: turns, meta. ARGV: expected base, count, summary.
const SUMMARISE = `
local base = tonumber(redis.call('HGET', KEYS[2], 'base') or '0')
if base ~= tonumber(ARGV[1]) then return 0 end
redis.call('LTRIM', KEYS[1], ARGV[2], -1)
redis.call('HSET', KEYS[2], 'base', base + tonumber(ARGV[2]), 'summary', ARGV[3])
return 1`;

// KEYS: turns, meta. ARGV: ttl ms, base, created, updated, expires, summary or '', turns...
// Puts a session read from the database back, unless a replica recreated it meanwhile.
const RESTORE = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if #ARGV >= 7 then redis.call('RPUSH', KEYS[1], unpack(ARGV, 7)) end
redis.call('HSET', KEYS[2], 'base', ARGV[2], 'created_at', ARGV[3], 'updated_at', ARGV[4], 'expires_at', ARGV[5])
if ARGV[6] ~= '' then redis.call('HSET', KEYS[2], 'summary', ARGV[6]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1`;

/** The scripts, sent once and then called by their SHA (ioredis reloads them if Redis lost them). */
interface SessionScripts {
  gatehouseSessionAppend(...args: string[]): Promise<number>;
  gatehouseSessionSummarise(...args: string[]): Promise<number>;
  gatehouseSessionRestore(...args: string[]): Promise<number>;
}

export class RedisSessions implements SessionStore {
  private readonly writes: WriteBehind;
  private readonly scripts: SessionScripts;

  constructor(
    private readonly shared: Shared,
    private readonly table: SessionTable,
    log: Logger,
  ) {
    this.writes = new WriteBehind(table, (key) => this.read(key), log);
    const redis = shared.redis;
    redis.defineCommand('gatehouseSessionAppend', { numberOfKeys: 3, lua: APPEND });
    redis.defineCommand('gatehouseSessionSummarise', { numberOfKeys: 2, lua: SUMMARISE });
    redis.defineCommand('gatehouseSessionRestore', { numberOfKeys: 2, lua: RESTORE });
    this.scripts = redis as unknown as SessionScripts;
  }

  async load(key: SessionKey): Promise<SessionData | undefined> {
    const live = await this.read(key);
    if (live) return live;
    const stored = await this.table.get(key);
    if (!stored || !isLive(stored)) return undefined;
    await this.restore(stored);
    return this.read(key);
  }

  async append(key: SessionKey, turns: StoredTurn[], ttlMs: number, maxTurns: number): Promise<void> {
    const now = Date.now();
    const [turnsKey, metaKey] = this.keys(key);
    const args = [ttlMs, maxTurns, now, new Date(now).toISOString(), new Date(now + ttlMs).toISOString(), key.id, key.scope, ...turns.map((t) => JSON.stringify(t))];
    await this.scripts.gatehouseSessionAppend(turnsKey, metaKey, this.requestPrefix(), ...args.map(String));
    this.writes.changed(key);
  }

  async summarise(key: SessionKey, base: number, count: number, summary: string): Promise<boolean> {
    const done = await this.scripts.gatehouseSessionSummarise(...this.keys(key), String(base), String(count), summary);
    if (done === 1) this.writes.changed(key);
    return done === 1;
  }

  async delete(key: SessionKey): Promise<boolean> {
    const removed = await this.shared.redis.del(...this.keys(key));
    this.writes.forget(key);
    await this.writes.flush();
    return (await this.table.delete(key)) || removed > 0;
  }

  async list(scope: string, limit: number): Promise<SessionSummary[]> {
    await this.writes.flush();
    return this.table.list(scope, limit);
  }

  async requestOwner(requestId: string): Promise<{ scope: string; sessionId: string } | undefined> {
    const found = await this.shared.redis.get(this.requestPrefix() + requestId);
    if (!found) return undefined;
    const [scope, sessionId] = JSON.parse(found) as [string, string];
    return { scope, sessionId };
  }

  close(): Promise<void> {
    return this.writes.close();
  }

  private async read(key: SessionKey): Promise<SessionData | undefined> {
    const [turnsKey, metaKey] = this.keys(key);
    const results = await this.shared.redis.multi().lrange(turnsKey, 0, -1).hgetall(metaKey).exec();
    const turns = results?.[0]?.[1] as string[] | undefined;
    const meta = results?.[1]?.[1] as Record<string, string> | undefined;
    if (!meta?.expires_at) return undefined;
    return {
      scope: key.scope,
      id: key.id,
      turns: (turns ?? []).map((t) => JSON.parse(t) as StoredTurn),
      summary: meta.summary,
      base: Number(meta.base ?? 0),
      createdAt: meta.created_at,
      updatedAt: meta.updated_at,
      expiresAt: meta.expires_at,
    };
  }

  private async restore(s: SessionData): Promise<void> {
    const ttl = Math.max(1, Date.parse(s.expiresAt) - Date.now());
    const args = [ttl, s.base, s.createdAt, s.updatedAt, s.expiresAt, s.summary ?? '', ...s.turns.map((t) => JSON.stringify(t))];
    await this.scripts.gatehouseSessionRestore(...this.keys(s), ...args.map(String));
  }

  private keys(key: SessionKey): [string, string] {
    const base = `${this.shared.prefix}session:${keyString(key)}`;
    return [`${base}:turns`, `${base}:meta`];
  }

  private requestPrefix(): string {
    return `${this.shared.prefix}session-request:`;
  }
}
