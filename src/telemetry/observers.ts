// What happens after a request is answered: the request log, traces, alerts. Each observer gets
// every finished request once, after the response is complete (or the client went away), off the
// response's critical path. Observers must not throw and must not block: they queue their work.
import type { RequestContext } from '../core/context.js';

export interface FinishedRequest {
  ctx: RequestContext;
  /** The HTTP status sent, or 499 when the client went away first. */
  status: number;
  method: string;
  /** The route pattern or bare path, never the query string (it may carry secrets). */
  path: string;
}

export type RequestObserver = (done: FinishedRequest) => void;

declare module 'fastify' {
  interface FastifyInstance {
    /** Called for every finished request; see src/telemetry/observers.ts. */
    gatehouseObservers: RequestObserver[];
  }
}

/** Runs every observer; one that throws is reported and does not stop the others. */
export function notifyObservers(observers: readonly RequestObserver[], done: FinishedRequest, onError: (err: unknown) => void): void {
  for (const observe of observers) {
    try {
      observe(done);
    } catch (err) {
      onError(err);
    }
  }
}
