// One attempt at one endpoint: its live bookkeeping (in flight, usage, latency, breaker verdict)
// and its timeouts. A stream attempt succeeds only once its first chunk arrived, so a stream that
// fails before its first byte can still be retried or fall back; after that, failures reach the
// client as the surface's error event.
import type { RequestContext } from '../core/context.js';
import { GatewayError } from '../core/errors.js';
import type { EndpointRuntime } from '../core/runtime.js';
import type { AttemptTrace } from '../telemetry/tracing/types.js';
import { count } from './counters.js';
import { failureKind, isDeploymentFailure } from './triggers.js';

export class Attempt {
  readonly signal: AbortSignal;
  private readonly controller?: AbortController;
  private totalTimer?: NodeJS.Timeout;
  private firstTokenTimer?: NodeJS.Timeout;
  private readonly startedAt = performance.now();
  private finished = false;
  /** The attempt's client span, when the request is traced. */
  private readonly trace?: AttemptTrace;

  constructor(
    private readonly ctx: RequestContext,
    private readonly endpoint: EndpointRuntime,
    private readonly stream: boolean,
  ) {
    const { live } = endpoint;
    this.trace = ctx.trace?.attempt(endpoint);
    live.inFlight++;
    live.usage.addRequest();
    const timeouts = endpoint.config.timeouts;
    const firstToken = stream ? timeouts?.first_token : undefined;
    if (timeouts?.total === undefined && firstToken === undefined) {
      this.signal = ctx.signal;
      return;
    }
    // Own timeouts need their own abort; the client's disconnect still aborts too.
    this.controller = new AbortController();
    this.signal = AbortSignal.any([ctx.signal, this.controller.signal]);
    if (timeouts?.total !== undefined) this.totalTimer = this.expireAfter(timeouts.total, 'total timeout');
    if (firstToken !== undefined) this.firstTokenTimer = this.expireAfter(firstToken, 'first_token timeout');
  }

  /** A non-stream answer arrived. */
  succeeded(result: unknown): void {
    this.trace?.response(result);
    this.endpoint.live.observeLatency(performance.now() - this.startedAt);
    this.endpoint.live.breaker?.success();
    this.finish(undefined, (result as { usage?: { total_tokens?: number } | null } | null)?.usage?.total_tokens);
  }

  /** Waits for a stream's first chunk; the stream returned replays it and then passes the rest through. */
  async firstChunk<C>(stream: AsyncIterable<C>): Promise<AsyncIterable<C>> {
    const iterator = stream[Symbol.asyncIterator]();
    let first: IteratorResult<C>;
    try {
      first = await this.ctx.upstream(iterator.next());
    } catch (err) {
      await iterator.return?.().catch(() => undefined);
      throw err;
    }
    clearTimeout(this.firstTokenTimer);
    this.endpoint.live.observeLatency(performance.now() - this.startedAt);
    this.endpoint.live.breaker?.success();
    return this.rest(first, iterator);
  }

  /** Ends the attempt; the first call counts. */
  finish(failure?: unknown, tokens?: number): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.totalTimer);
    clearTimeout(this.firstTokenTimer);
    const { live, name } = this.endpoint;
    live.inFlight--;
    if (tokens) live.usage.addTokens(tokens);
    if (failure !== undefined) {
      if (isDeploymentFailure(failure)) live.breaker?.failure();
      else live.breaker?.release();
    }
    count('attempts', { endpoint: name, outcome: failure === undefined ? 'ok' : (failureKind(failure) ?? 'error') });
    this.trace?.end(failure);
  }

  private async *rest<C>(first: IteratorResult<C>, iterator: AsyncIterator<C>): AsyncGenerator<C> {
    let failure: unknown;
    try {
      let next = first;
      while (!next.done) {
        this.trace?.response(next.value);
        yield next.value;
        next = await iterator.next();
      }
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      this.finish(failure, this.ctx.usage?.total_tokens);
      await iterator.return?.();
    }
  }

  private expireAfter(ms: number, what: string): NodeJS.Timeout {
    const { provider, name } = this.endpoint;
    return setTimeout(() => {
      this.controller!.abort(new GatewayError(504, `Upstream ${provider} of endpoint '${name}' timed out (${what} of ${ms} ms)`, { code: 'upstream_timeout' }));
    }, ms);
  }
}
