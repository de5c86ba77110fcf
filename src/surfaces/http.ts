// What every surface does around the pipeline: the gateway's response headers, error bodies,
// SSE writing with backpressure, client-disconnect aborts and the access log line.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { RequestContext } from '../core/context.js';
import { streamAccounted } from '../telemetry/accounting.js';
import { COST_HEADER, costHeaders } from '../telemetry/cost-headers.js';
import { requestFinished, requestStarted } from '../telemetry/metrics.js';
import { notifyObservers } from '../telemetry/observers.js';
import { asGatewayError, type GatewayError } from '../core/errors.js';
import { jsonOf } from '../core/known-json.js';

/** Renders an error as a response body. OpenAI's shape by default; a surface may add fields (MLflow's `detail`). */
export type ErrorShape = (e: GatewayError) => unknown;

export const openAIErrorBody: ErrorShape = (e) => e.toBody();

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The error body of this route's surface, also used for errors Fastify raises before the handler (bad JSON, too large). */
    errorShape?: ErrorShape;
  }
}

/** Starts a request: creates its context, aborts upstream work if the client goes away, logs when done. */
export function beginRequest(request: FastifyRequest, reply: FastifyReply, log: Logger): RequestContext {
  const ctx = new RequestContext(request.ip);
  ctx.headers = request.headers;
  ctx.log = log;
  ctx.access = request.server.gatehouseAccess?.begin(request.headers);
  request.server.gatehouseTracing?.begin(ctx, request.headers);
  const res = reply.raw;
  const metered = request.server.gatehouseMetricsOn();
  if (metered) requestStarted();
  res.once('close', () => {
    const aborted = !res.writableFinished;
    if (aborted) ctx.controller.abort();
    // A stream the client left is accounted once its upstream call has wound down (what was
    // generated was charged); budgets, metrics and the log wait for that.
    const accounting = aborted ? streamAccounted(ctx) : undefined;
    if (accounting) void accounting.then(finished);
    else finished();
  });
  const finished = () => {
    ctx.access?.finish(ctx);
    const status = res.writableFinished ? res.statusCode : 499;
    if (metered) requestFinished(ctx, status);
    const path = request.routeOptions.url ?? request.url.split('?')[0];
    accessLog(log, request, path, status, ctx);
    const observers = request.server.gatehouseObservers;
    if (observers.length > 0) notifyObservers(observers, { ctx, status, method: request.method, path }, (err) => log.error({ err }, 'request observer failed'));
  };
  return ctx;
}

export function gatewayHeaders(ctx: RequestContext): Record<string, string> {
  const headers: Record<string, string> = {
    'x-gatehouse-request-id': ctx.id,
    'x-gatehouse-overhead-ms': ctx.overheadMs().toFixed(3),
  };
  if (ctx.endpoint) headers['x-gatehouse-endpoint'] = ctx.endpoint;
  if (ctx.route) headers['x-gatehouse-route'] = ctx.route;
  if (ctx.attempts > 0) {
    headers['x-gatehouse-attempts'] = String(ctx.attempts);
    headers['x-gatehouse-fallbacks'] = String(ctx.fallbacks);
  }
  if (ctx.variant) headers['x-gatehouse-variant'] = ctx.variant;
  if (ctx.promptVersion) headers['x-gatehouse-prompt'] = ctx.promptVersion;
  // The session the request used (from the body or a header), so a client can tell its memory applied.
  if (ctx.sessionId) headers['x-gatehouse-session-id'] = ctx.sessionId;
  if (ctx.droppedParams) headers['x-gatehouse-dropped-params'] = ctx.droppedParams.join(',');
  Object.assign(headers, costHeaders(ctx));
  return ctx.exposedHeaders ? { ...ctx.exposedHeaders, ...headers } : headers;
}

export function sendJson(reply: FastifyReply, ctx: RequestContext, body: unknown, status = 200): void {
  const payload = jsonOf(body);
  reply.raw.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...gatewayHeaders(ctx) });
  reply.raw.end(payload);
  reply.hijack();
}

export function sendError(reply: FastifyReply, ctx: RequestContext, err: unknown, shape: ErrorShape = openAIErrorBody): void {
  const error = asGatewayError(err);
  ctx.errorCode = error.code ?? error.type;
  if (reply.raw.headersSent) return;
  const payload = JSON.stringify(shape(error));
  reply.raw.writeHead(error.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...error.headers,
    ...gatewayHeaders(ctx),
  });
  reply.raw.end(payload);
  reply.hijack();
}

/**
 * Streams `source` as Server-Sent Events, chunk by chunk. The first chunk is awaited before the
 * headers go out, so an upstream failure before the first byte is still a normal JSON error.
 * A failure after streaming began ends the stream with an error event. `done: false` leaves out
 * OpenAI's closing `data: [DONE]` (MLflow's streams just end). `event` names each event (Anthropic's
 * streams carry `event: <type>` lines, and its SDK skips unnamed events); the error event is then `error`.
 */
export async function sendSse<T>(
  reply: FastifyReply,
  ctx: RequestContext,
  source: AsyncIterable<T>,
  render: (item: T) => string,
  opts: { done?: boolean; errorShape?: ErrorShape; event?: (item: T) => string } = {},
): Promise<void> {
  const res = reply.raw;
  const iterator = source[Symbol.asyncIterator]();
  let first: IteratorResult<T>;
  try {
    first = await iterator.next();
  } catch (err) {
    await iterator.return?.();
    return sendError(reply, ctx, err, opts.errorShape);
  }
  reply.hijack();
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    ...gatewayHeaders(ctx),
    // The cost is known once the stream has ended: it follows as a trailer (see docs/cost.md).
    ...(ctx.accounting?.price ? { trailer: COST_HEADER } : undefined),
  });
  // Events that are ready together (one upstream read often carries several, e.g. the role chunk
  // and the first token) leave in one write, with the headers, once the current tick's work is done.
  let batch = '';
  const flush = () => {
    if (batch === '') return;
    const text = batch;
    batch = '';
    res.write(text);
  };
  const write = (text: string): void => {
    if (batch === '') process.nextTick(flush);
    batch += text;
  };
  try {
    let next = first;
    while (!next.done) {
      if (ctx.ttftMs === undefined) ctx.ttftMs = ctx.elapsedMs();
      const name = opts.event ? `event: ${opts.event(next.value)}\n` : '';
      write(`${name}data: ${render(next.value)}\n\n`);
      if (res.writableNeedDrain) await drained(res, ctx.signal);
      if (ctx.signal.aborted) return;
      next = await iterator.next();
    }
    if (opts.done !== false) write('data: [DONE]\n\n');
  } catch (err) {
    const error = asGatewayError(err);
    ctx.errorCode = error.code ?? error.type;
    const name = opts.event ? 'event: error\n' : '';
    if (!ctx.signal.aborted) write(`${name}data: ${JSON.stringify((opts.errorShape ?? openAIErrorBody)(error))}\n\n`);
  } finally {
    await iterator.return?.();
    flush();
    if (ctx.accounting?.price) res.addTrailers(costHeaders(ctx));
    res.end();
  }
}

function drained(res: NodeJS.WritableStream, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

function accessLog(log: Logger, request: FastifyRequest, path: string, status: number, ctx: RequestContext): void {
  if (!log.isLevelEnabled('info')) return;
  log.info(
    {
      msg: 'request',
      request_id: ctx.id,
      trace_id: ctx.traceId,
      method: request.method,
      // The route pattern, or the bare path: a query string may carry secrets.
      path,
      status,
      endpoint: ctx.endpoint,
      route: ctx.route,
      variant: ctx.variant,
      prompt: ctx.promptVersion,
      attempts: ctx.attempts,
      fallbacks: ctx.fallbacks,
      provider: ctx.provider,
      model: ctx.model,
      stream: ctx.stream,
      latency_ms: round(ctx.elapsedMs()),
      upstream_ms: round(ctx.upstreamMs),
      overhead_ms: round(ctx.overheadMs()),
      ttft_ms: ctx.ttftMs === undefined ? undefined : round(ctx.ttftMs),
      prompt_tokens: ctx.usage?.prompt_tokens,
      completion_tokens: ctx.usage?.completion_tokens,
      total_tokens: ctx.usage?.total_tokens,
      error: ctx.errorCode,
      dropped_params: ctx.droppedParams,
      guardrails: ctx.guardrails?.map((e) => ({ rule: e.rule, stage: e.stage, action: e.action })),
      client_ip: request.ip,
      ...ctx.access?.logFields(),
    },
  );
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
