// What the rest of the gateway sees of tracing. Kept free of OpenTelemetry imports: the SDK is
// loaded (dynamically) only when tracing is on, so a gateway without it never pays for it.
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestContext } from '../../core/context.js';
import type { RoutedRequest } from '../../routing/request-facts.js';
import type { RequestObserver } from '../observers.js';

/** The endpoint an attempt goes to, as the router knows it. */
export interface TracedEndpoint {
  name: string;
  provider: string;
  model: string;
}

/** The client span of one upstream attempt. */
export interface AttemptTrace {
  /** Reads the answer (or each stream chunk): response model, finish reasons, usage. */
  response(answer: unknown): void;
  /** Ends the span; `failure` is the error when the attempt failed. */
  end(failure?: unknown): void;
}

/** The server span of one request, set on the request context when tracing is on. */
export interface RequestTrace {
  /** The request as routed: its operation and parameters (temperature, max_tokens…). */
  request(req: RoutedRequest): void;
  /** Starts the client span of an upstream attempt; it is the current attempt until the next one starts. */
  attempt(endpoint: TracedEndpoint): AttemptTrace;
  /** W3C trace-context headers for the current attempt's upstream call (absent when propagation is off). */
  upstreamHeaders(): Record<string, string> | undefined;
}

export interface Tracing {
  /** Starts a request's server span, continuing the client's `traceparent`, and sets ctx.trace and ctx.traceId. */
  begin(ctx: RequestContext, headers: IncomingHttpHeaders): void;
  /** Ends each request's server span with what the request became (status, usage, cost). */
  readonly observer: RequestObserver;
  /** Exports the spans still queued and stops. */
  shutdown(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Set when tracing is on; see src/telemetry/tracing. */
    gatehouseTracing?: Tracing;
  }
}
