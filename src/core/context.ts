// Per-request bookkeeping: ids, timing (gateway time vs upstream time), what served the request.
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { GuardrailEvent } from '../guardrails/engine/events.js';
import type { RequestAccess } from '../access/admission.js';
import type { Identity } from '../access/identity.js';
import type { RequestTrace } from '../telemetry/tracing/types.js';
import type { ContextRun } from '../context/run.js';
import type { EndpointAccounting } from '../telemetry/pricing.js';
import { newRequestId } from './request-id.js';
import type { Usage } from './types.js';

/** What the rest of the pipeline may know of the caller: not its policies. */
export type Caller = Pick<Identity, 'kind' | 'id' | 'name' | 'team'>;

export class RequestContext {
  readonly id = newRequestId();
  readonly startedAt = performance.now();
  readonly controller = new AbortController();
  /** Time spent waiting on the upstream; everything else is the gateway's overhead. */
  upstreamMs = 0;
  endpoint?: string;
  route?: string;
  provider?: string;
  model?: string;
  usage?: Usage | null;
  stream = false;
  /** Time from the start of the request to the first streamed chunk sent to the client. */
  ttftMs?: number;
  errorCode?: string;
  /** Request parameters an adapter left out because the provider cannot take them. */
  droppedParams?: string[];
  /** Upstream response headers passed on to the client. */
  exposedHeaders?: Record<string, string>;
  /** Upstream attempts made (retries and fallbacks included). */
  attempts = 0;
  /** Times routing moved on to another destination after a failure. */
  fallbacks = 0;
  /** The destination(s) traffic splits chose, outermost first. */
  variant?: string;
  /** The request's headers, for routes that read them (sticky keys, conditions). */
  headers?: IncomingHttpHeaders;
  /** Guardrails that fired on this request (never the matched text). */
  guardrails?: GuardrailEvent[];
  /** The gateway's logger, for routing events (attempts, fallbacks, breaker changes). */
  log?: Logger;
  /** Access control of this request (keys, limits, budgets); absent when nothing applies. */
  access?: RequestAccess;
  /** The caller, once access control has identified it (absent for anonymous callers): routing conditions read it. */
  identity?: Caller;
  /** The serving endpoint's price and body-logging switch (set by routing with `endpoint`). */
  accounting?: EndpointAccounting;
  /** Prompt and response as recorded in the request log, when the endpoint logs bodies (JSON text). */
  loggedBodies?: { request?: string; response?: string };
  /** The end user the request names (OpenAI's `user` field), for the request log. */
  endUser?: string;
  /** USD the request cost upstream (priced from its usage): 0 for a cache hit, absent when no price is known. */
  costUsd?: number;
  /** The usage was counted by the gateway's tokenizer, not reported by the provider. */
  usageEstimated?: boolean;
  /** How the response cache served the request: hit, semantic-hit, miss, bypass; absent when no cache applies. */
  cacheStatus?: string;
  /** The prompt template used, as id@version. */
  promptVersion?: string;
  /** The conversation session the request belongs to (context protocol). */
  sessionId?: string;
  /**
   * Context protocol state (src/context/run.ts): the envelope, the session, and `assembled`, the
   * messages that went upstream after input guardrails (history, documents, summary), for body logging.
   */
  context?: ContextRun;
  /** The W3C trace id of the request's span, when tracing is on. */
  traceId?: string;
  /** The request's spans, when tracing is on (src/telemetry/tracing). */
  trace?: RequestTrace;

  constructor(readonly clientIp: string) {}

  /** The usage the upstream consumed for this request: none when the cache answered (`usage` still holds what the client is shown). */
  get upstreamUsage(): Usage | null | undefined {
    return this.cacheStatus === 'hit' || this.cacheStatus === 'semantic-hit' ? undefined : this.usage;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  overheadMs(): number {
    return Math.max(0, this.elapsedMs() - this.upstreamMs);
  }

  /** Runs an upstream wait and books its duration as upstream time. */
  async upstream<T>(wait: Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await wait;
    } finally {
      this.upstreamMs += performance.now() - start;
    }
  }
}
