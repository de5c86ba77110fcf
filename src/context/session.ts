// A conversation session as the gateway keeps it: the turns in canonical form (OpenAI chat
// messages, whatever provider answered them), the summary of turns condensed away, and times.
import type { ChatMessage } from '../core/types.js';

export interface StoredTurn {
  message: ChatMessage;
  /** The request that added the turn (feedback names it). */
  request_id: string;
  at: string;
}

/** Sessions are keyed by their tenant scope and the client's id: equal ids of two tenants are two sessions. */
export interface SessionKey {
  scope: string;
  id: string;
}

export interface SessionData {
  scope: string;
  id: string;
  turns: StoredTurn[];
  /** history_summary: what the turns condensed away said. */
  summary?: string;
  /** Turns removed from the front so far (summarised or over max_turns): guards concurrent summaries. */
  base: number;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
}

export type SessionSummary = Pick<SessionData, 'id' | 'createdAt' | 'updatedAt' | 'expiresAt'>;

export interface SessionStore {
  /** The live session, or undefined (never stored, expired or deleted). */
  load(key: SessionKey): Promise<SessionData | undefined>;
  /** Adds one request's turns at the end, atomically, and extends the TTL. Keeps at most `maxTurns`. */
  append(key: SessionKey, turns: StoredTurn[], ttlMs: number, maxTurns: number): Promise<void>;
  /** Replaces the first `count` turns by `summary`, if nobody changed the front since `base` was read. */
  summarise(key: SessionKey, base: number, count: number, summary: string): Promise<boolean>;
  delete(key: SessionKey): Promise<boolean>;
  /** The live sessions of a scope, most recently updated first (from the database, after writing what is pending). */
  list(scope: string, limit: number): Promise<SessionSummary[]>;
  /** The scope and session of a request whose turns this store holds (for feedback), when still known. */
  requestOwner(requestId: string): Promise<{ scope: string; sessionId: string } | undefined>;
  /** Writes everything pending and stops timers. */
  close(): Promise<void>;
}

export const keyString = (key: SessionKey) => `${key.id}/${key.scope}`;

export const isLive = (s: SessionData, now = Date.now()) => Date.parse(s.expiresAt) > now;

/** A new, empty session. */
export function emptySession(key: SessionKey, now: number, ttlMs: number): SessionData {
  const at = new Date(now).toISOString();
  return { scope: key.scope, id: key.id, turns: [], base: 0, createdAt: at, updatedAt: at, expiresAt: new Date(now + ttlMs).toISOString() };
}

/** Appends in place and keeps at most `maxTurns` (dropping from the front). */
export function appendTurns(s: SessionData, turns: StoredTurn[], now: number, ttlMs: number, maxTurns: number): void {
  s.turns.push(...turns);
  const over = s.turns.length - maxTurns;
  if (over > 0) {
    s.turns.splice(0, over);
    s.base += over;
  }
  s.updatedAt = new Date(now).toISOString();
  s.expiresAt = new Date(now + ttlMs).toISOString();
}
