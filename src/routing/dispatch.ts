// The router: follows a target down to the endpoint that serves a request, retrying an endpoint
// and moving on to other destinations as the config says, and records what happened on the
// request context (attempts, fallbacks, variant, the endpoint that finally served).
import { setTimeout as sleep } from 'node:timers/promises';
import type { RequestContext } from '../core/context.js';
import { GatewayError } from '../core/errors.js';
import type { EndpointRuntime, RouteRuntime, Target } from '../core/runtime.js';
import { UPSTREAM_HEADER_PREFIX } from '../providers/http.js';
import { Attempt } from './attempt.js';
import { retryDelayMs } from './backoff.js';
import { count } from './counters.js';
import { RequestFacts, type RoutedRequest } from './request-facts.js';
import { candidates, type RouteDestination } from './strategy.js';
import { isRefusal, matches, UNAVAILABLE_CODES } from './triggers.js';

/** One provider call the pipeline wants made, on whichever endpoint routing picks. */
export interface Operation<R extends RoutedRequest, T> {
  /** Stream results are AsyncIterables; an attempt at one succeeds with its first chunk. */
  stream: boolean;
  run(ctx: RequestContext, endpoint: EndpointRuntime, req: R, signal: AbortSignal): Promise<T>;
}

/** Serves `req` through `target`. A plain endpoint (no retries, timeouts, breaker, health checks or capacity) takes the direct path. */
export function dispatch<R extends RoutedRequest, T>(ctx: RequestContext, target: Target, req: R, op: Operation<R, T>): Promise<T> {
  ctx.trace?.request(req);
  // A traced request takes the full path: each attempt needs its span, ended when its answer (or stream) is done.
  if (target.kind === 'endpoint' && !target.guarded && !ctx.trace) {
    enter(ctx, target);
    target.limiter?.take(ctx.clientIp);
    ctx.attempts = 1;
    return ctx.upstream(op.run(ctx, target, req, ctx.signal));
  }
  return new Dispatch(ctx, req, op).serve(target);
}

function enter(ctx: RequestContext, endpoint: EndpointRuntime): void {
  ctx.endpoint = endpoint.name;
  ctx.provider = endpoint.provider;
  ctx.model = endpoint.model;
  ctx.accounting = endpoint.accounting;
}

class Dispatch<R extends RoutedRequest, T> {
  private facts?: RequestFacts;

  constructor(
    private readonly ctx: RequestContext,
    private readonly req: R,
    private readonly op: Operation<R, T>,
  ) {}

  serve(target: Target): Promise<T> {
    return target.kind === 'endpoint' ? this.endpoint(target) : this.route(target);
  }

  private async route(route: RouteRuntime): Promise<T> {
    const { ctx } = this;
    ctx.route ??= route.name;
    const tries = candidates(route, (this.facts ??= new RequestFacts(this.req, ctx.headers, ctx.identity)));
    if (route.strategy === 'TRAFFIC_SPLIT') {
      ctx.variant = ctx.variant === undefined ? tries[0].name : `${ctx.variant},${tries[0].name}`;
      count('variants', { route: route.name, variant: tries[0].name });
    }
    for (let i = 0; ; i++) {
      const last = i === tries.length - 1;
      try {
        const result = await this.serve(tries[i].target);
        if (!last && !this.op.stream && route.fallbackOn.includes('content_policy') && isRefusal(result)) {
          this.movedOn(route, tries[i], 'content_policy', tries[i + 1]);
          continue;
        }
        return result;
      } catch (err) {
        if (last || ctx.signal.aborted || !(isUnavailable(err) || matches(err, route.fallbackOn))) throw err;
        this.movedOn(route, tries[i], err, tries[i + 1]);
      }
    }
  }

  private async endpoint(endpoint: EndpointRuntime): Promise<T> {
    const { ctx } = this;
    const { live } = endpoint;
    enter(ctx, endpoint);
    if (!live.healthy) throw unavailable(endpoint, 'its last health check failed');
    endpoint.limiter?.take(ctx.clientIp);
    const retry = endpoint.config.retry;
    for (let n = 0; ; n++) {
      if (live.breaker && !live.breaker.acquire()) throw unavailable(endpoint, 'its circuit breaker is open', 'circuit_open');
      try {
        return await this.attempt(endpoint);
      } catch (err) {
        const delay = retry && n < retry.attempts && !ctx.signal.aborted && matches(err, retry.on) ? retryDelayMs(n, retry, err) : undefined;
        ctx.log?.warn(
          { request_id: ctx.id, endpoint: endpoint.name, attempt: ctx.attempts, error: describe(err), breaker: live.breaker?.state, retry_in_ms: delay === undefined ? undefined : Math.round(delay) },
          'upstream attempt failed',
        );
        if (delay === undefined) throw err;
        count('retries', { endpoint: endpoint.name });
        await this.pause(delay);
      }
    }
  }

  private async attempt(endpoint: EndpointRuntime): Promise<T> {
    const { ctx, op } = this;
    ctx.attempts++;
    // Upstream headers an earlier, failed attempt exposed describe a different answer; the gateway's
    // own (the cache's status, the caller's rate limits) still hold.
    const exposed = ctx.exposedHeaders;
    if (exposed) for (const name of Object.keys(exposed)) if (name.startsWith(UPSTREAM_HEADER_PREFIX)) delete exposed[name];
    ctx.droppedParams = undefined;
    const attempt = new Attempt(ctx, endpoint, op.stream);
    try {
      const result = await ctx.upstream(op.run(ctx, endpoint, this.req, attempt.signal));
      if (op.stream) return (await attempt.firstChunk(result as AsyncIterable<unknown>)) as T;
      attempt.succeeded(result);
      return result;
    } catch (err) {
      attempt.finish(err);
      throw err;
    }
  }

  /** Waits between retries; the wait is the upstream's doing, so it is booked as upstream time. */
  private async pause(ms: number): Promise<void> {
    try {
      await this.ctx.upstream(sleep(ms, undefined, { signal: this.ctx.signal }));
    } catch {
      throw new GatewayError(499, 'The client closed the request', { code: 'client_closed_request' });
    }
  }

  private movedOn(route: RouteRuntime, from: RouteDestination, why: unknown, to: RouteDestination): void {
    const { ctx } = this;
    ctx.fallbacks++;
    count('fallbacks', { route: route.name, from: from.name });
    ctx.log?.warn({ request_id: ctx.id, route: route.name, from: from.name, to: to.name, reason: typeof why === 'string' ? why : describe(why) }, 'falling back');
  }
}

const isUnavailable = (err: unknown) => err instanceof GatewayError && err.code !== null && UNAVAILABLE_CODES.has(err.code);

function unavailable(endpoint: EndpointRuntime, why: string, code = 'no_healthy_destination'): GatewayError {
  return new GatewayError(503, `Endpoint '${endpoint.name}' is not taking requests: ${why}`, { code, headers: { 'retry-after': '1' } });
}

/** A failure for the log: the error code and the upstream status, never a body. */
function describe(err: unknown): string {
  if (!(err instanceof GatewayError)) return 'internal_error';
  return err.upstreamStatus === undefined ? String(err.code ?? err.status) : `${err.code ?? err.type} (upstream ${err.upstreamStatus})`;
}
