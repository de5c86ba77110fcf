// One finished request as a request_log row. Built when the response closes, from the context
// only: no body is read, and nothing secret is there to leak (the key's id, never its secret).
import type { RequestLogRow } from '../../store/tables.js';
import type { FinishedRequest } from '../observers.js';
import { cacheTokens } from '../pricing.js';

const ms = (value: number) => Math.round(value * 1000) / 1000;

export function toRow({ ctx, status, method, path }: FinishedRequest, now = Date.now()): RequestLogRow {
  const usage = ctx.usage;
  const user = ctx.headers?.['x-gatehouse-user'];
  return {
    id: ctx.id,
    at: new Date(now - ctx.elapsedMs()).toISOString(),
    key_id: ctx.identity?.id ?? null,
    key_name: ctx.identity?.name ?? null,
    team: ctx.identity?.team ?? null,
    end_user: ctx.endUser ?? (typeof user === 'string' ? user.slice(0, 200) : null),
    endpoint: ctx.endpoint ?? null,
    route: ctx.route ?? null,
    variant: ctx.variant ?? null,
    provider: ctx.provider ?? null,
    model: ctx.model ?? null,
    method,
    path,
    status,
    error: ctx.errorCode ?? null,
    stream: ctx.stream ? 1 : 0,
    attempts: ctx.attempts,
    fallbacks: ctx.fallbacks,
    latency_ms: ms(ctx.elapsedMs()),
    ttft_ms: ctx.ttftMs === undefined ? null : ms(ctx.ttftMs),
    overhead_ms: ms(ctx.overheadMs()),
    upstream_ms: ms(ctx.upstreamMs),
    prompt_tokens: usage ? usage.prompt_tokens : null,
    completion_tokens: usage ? usage.completion_tokens : null,
    cached_tokens: usage ? cacheTokens(usage).read : null,
    usage_estimated: ctx.usageEstimated ? 1 : 0,
    cost_usd: ctx.costUsd ?? null,
    cache_status: ctx.cacheStatus ?? null,
    session_id: ctx.sessionId ?? null,
    prompt_version: ctx.promptVersion ?? null,
    trace_id: ctx.traceId ?? null,
    request_body: ctx.loggedBodies?.request ?? null,
    response_body: ctx.loggedBodies?.response ?? null,
  };
}
