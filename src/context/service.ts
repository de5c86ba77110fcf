// The context protocol of a running gateway: the session store (Redis-backed in shared mode,
// memory-cached otherwise, with the database behind both) and feedback. Built once per process;
// the settings are read from the live config, so reloads apply at once (cache size at restart).
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { GatewayState } from '../core/runtime.js';
import type { Store } from '../store/database.js';
import type { Shared } from '../store/redis.js';
import type { ContextSection } from './config.js';
import { MemorySessions } from './memory-sessions.js';
import { RedisSessions } from './redis-sessions.js';
import type { SessionStore } from './session.js';
import { SessionTable } from './session-table.js';

export interface FeedbackInput {
  request_id: string;
  score: number;
  comment?: string;
}

export class ContextService {
  readonly sessions: SessionStore;

  constructor(
    private readonly store: Store,
    shared: Shared | undefined,
    private readonly state: GatewayState,
    log: Logger,
  ) {
    const table = new SessionTable(store.db);
    this.sessions = shared ? new RedisSessions(shared, table, log) : new MemorySessions(table, this.settings().sessions.cache_size, log);
  }

  settings(): ContextSection {
    return this.state.current.config.context;
  }

  /**
   * Stores feedback. A request this gateway remembers belongs to its tenant: feedback from another
   * is refused as unknown (404, nothing revealed). Otherwise it is kept under the caller's scope.
   */
  async feedback(callerScope: string, input: FeedbackInput): Promise<{ id: string; scope: string; session_id: string | null } | undefined> {
    const owner = await this.sessions.requestOwner(input.request_id);
    if (owner && owner.scope !== callerScope) return undefined;
    const row = {
      id: randomUUID(),
      request_id: input.request_id,
      scope: callerScope,
      session_id: owner?.sessionId ?? null,
      score: input.score,
      comment: input.comment ?? null,
      created_at: new Date().toISOString(),
    };
    await this.store.db.insertInto('feedback').values(row).execute();
    return { id: row.id, scope: row.scope, session_id: row.session_id };
  }

  close(): Promise<void> {
    return this.sessions.close();
  }
}
