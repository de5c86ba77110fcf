// The spans of one request: a SERVER span for the request as the client made it, and a CLIENT
// span per upstream attempt under it, so retries and fallbacks show as sibling calls. Loaded only
// when tracing is on (see index.ts).
import { SpanKind, SpanStatusCode, trace, ROOT_CONTEXT, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { RequestContext } from '../../core/context.js';
import type { RoutedRequest } from '../../routing/request-facts.js';
import type { FinishedRequest } from '../observers.js';
import {
  answerAttributes,
  defined,
  errorType,
  operationOf,
  providerAttributes,
  readAnswer,
  requestAttributes,
  usageAttributes,
  type AnswerFacts,
  type Attributes,
} from './attributes.js';
import { traceparentOf } from './trace-context.js';
import type { AttemptTrace, RequestTrace, TracedEndpoint } from './types.js';

export class SpanRequestTrace implements RequestTrace {
  private readonly context: Context;
  private requestAttrs: Attributes = {};
  private operation?: string;
  private requestedModel?: string;
  private current?: SpanAttempt;
  /** What the last successful attempt answered, for the server span. */
  answer?: AnswerFacts;

  constructor(
    private readonly tracer: Tracer,
    readonly span: Span,
    private readonly propagate: boolean,
  ) {
    this.context = trace.setSpan(ROOT_CONTEXT, span);
  }

  request(req: RoutedRequest): void {
    if (this.operation) return; // the first routed form is what the client asked for
    this.operation = operationOf(req);
    this.requestedModel = (req as { model?: string }).model;
    this.requestAttrs = requestAttributes(req);
  }

  attempt(endpoint: TracedEndpoint): AttemptTrace {
    const number = (this.current?.number ?? 0) + 1;
    const span = this.tracer.startSpan(
      `${this.operation ?? 'chat'} ${endpoint.model}`,
      {
        kind: SpanKind.CLIENT,
        attributes: defined({
          ...this.requestAttrs,
          ...providerAttributes(endpoint.provider),
          'gen_ai.request.model': endpoint.model,
          'gatehouse.endpoint': endpoint.name,
          'gatehouse.attempt': number,
        }),
      },
      this.context,
    );
    this.current = new SpanAttempt(span, number, (facts) => (this.answer = facts));
    return this.current;
  }

  upstreamHeaders(): Record<string, string> | undefined {
    if (!this.propagate || !this.current) return undefined;
    return traceparentOf(this.current.span.spanContext());
  }

  /** Ends the server span with what the request became. */
  finish({ ctx, status, method, path }: FinishedRequest): void {
    const { span } = this;
    if (span.isRecording()) {
      // What the client named: the body's model, or (MLflow paths) the endpoint or route in the URL.
      const asked = this.requestedModel ?? ctx.route ?? ctx.endpoint;
      span.updateName(this.operation ? `${this.operation} ${asked ?? ''}`.trim() : `${method} ${path}`);
      span.setAttributes(defined({ ...this.requestAttrs, ...serverAttributes(ctx, status, method, path), ...this.answerAttributes(ctx), 'gen_ai.request.model': asked }));
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: ctx.errorCode });
    }
    span.end();
  }

  private answerAttributes(ctx: RequestContext): Attributes {
    return { ...(this.answer ? answerAttributes(this.answer) : {}), ...usageAttributes(ctx.usage) };
  }
}

function serverAttributes(ctx: RequestContext, status: number, method: string, path: string): Attributes {
  return {
    'http.request.method': method,
    'http.route': path,
    'http.response.status_code': status,
    ...(ctx.provider ? providerAttributes(ctx.provider) : {}),
    'error.type': status >= 400 ? (ctx.errorCode ?? String(status)) : undefined,
    'gatehouse.request_id': ctx.id,
    'gatehouse.endpoint': ctx.endpoint,
    'gatehouse.route': ctx.route,
    'gatehouse.variant': ctx.variant,
    'gatehouse.upstream_model': ctx.model,
    'gatehouse.attempts': ctx.attempts,
    'gatehouse.fallbacks': ctx.fallbacks,
    'gatehouse.stream': ctx.stream,
    'gatehouse.cache': ctx.cacheStatus,
    'gatehouse.cost_usd': ctx.costUsd,
    'gatehouse.usage_estimated': ctx.usageEstimated,
    'gatehouse.team': ctx.identity?.team,
    'gatehouse.overhead_ms': Math.round(ctx.overheadMs() * 1000) / 1000,
    'gatehouse.ttft_ms': ctx.ttftMs === undefined ? undefined : Math.round(ctx.ttftMs * 1000) / 1000,
    'gatehouse.guardrails': ctx.guardrails?.map((e) => `${e.rule}:${e.action}`),
  };
}

class SpanAttempt implements AttemptTrace {
  private readonly facts: AnswerFacts = { finishReasons: [] };
  private ended = false;

  constructor(
    readonly span: Span,
    readonly number: number,
    private readonly succeeded: (facts: AnswerFacts) => void,
  ) {}

  response(answer: unknown): void {
    if (this.span.isRecording()) readAnswer(answer, this.facts);
  }

  end(failure?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    const { span } = this;
    if (failure === undefined) {
      this.succeeded(this.facts);
      span.setAttributes(defined(answerAttributes(this.facts)));
    } else {
      const upstreamStatus = (failure as { upstreamStatus?: number } | null)?.upstreamStatus;
      span.setAttributes(defined({ 'error.type': errorType(failure), 'http.response.status_code': upstreamStatus }));
      span.setStatus({ code: SpanStatusCode.ERROR, message: failure instanceof Error ? failure.message : undefined });
    }
    span.end();
  }
}
