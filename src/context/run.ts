// What the context protocol knows of one request: the envelope, the session it continues, the new
// turns to store once answered, and what was assembled (for body logging). Held on
// RequestContext.context; present only on requests that carry an envelope or name a target with
// a `context:` key.
import type { RequestContext } from '../core/context.js';
import type { ChatMessage } from '../core/types.js';
import type { Envelope } from './envelope.js';
import type { ContextService } from './service.js';
import type { SessionKey } from './session.js';

/** The assembled context of a request, after input guardrails (so redacted as it went upstream). */
export interface AssembledContext {
  version: string;
  session_id?: string;
  /** The messages sent upstream: system, context message, history, new turns. */
  messages: ChatMessage[];
  /** Source ids of the documents rendered into the prompt. */
  document_ids: string[];
  summary?: string;
  /** History messages included, and left out to fit the budget. */
  history_messages: number;
  dropped_messages: number;
}

export class ContextRun {
  /** The session this request continues; set once the caller's scope is known. */
  key?: SessionKey;
  /** The client's new non-system messages, stored with the answer. */
  newTurns: ChatMessage[] = [];
  ttlMs = 0;
  maxTurns = 0;
  historyMessages = 0;
  droppedMessages = 0;
  documentIds: string[] = [];
  summary?: string;
  assembled?: AssembledContext;

  constructor(
    readonly envelope: Envelope | undefined,
    readonly service: ContextService | undefined,
  ) {}

  /**
   * Stores the exchange once the answer is complete, before the response ends: the next turn, on
   * any replica, finds it. That costs a memory update (embedded) or one Redis call (shared); the
   * database write happens later, in a batch. A failed store is logged and the answer still sent.
   */
  async remember(ctx: RequestContext, answer: ChatMessage | undefined): Promise<void> {
    if (!this.key || !this.service || !answer || this.envelope?.parameters?.remember === false) return;
    const at = new Date().toISOString();
    const turns = [...this.newTurns, answer].map((message) => ({ message, request_id: ctx.id, at }));
    try {
      await this.service.sessions.append(this.key, turns, this.ttlMs, this.maxTurns);
    } catch (err) {
      ctx.log?.error({ request_id: ctx.id, err: (err as Error).message }, 'session update failed');
    }
  }

  /** Called with the request as it goes upstream (after input guardrails). */
  record(messages: ChatMessage[]): void {
    this.assembled = {
      version: this.envelope?.version ?? '1',
      session_id: this.key?.id,
      messages,
      document_ids: this.documentIds,
      summary: this.summary,
      history_messages: this.historyMessages,
      dropped_messages: this.droppedMessages,
    };
  }
}
