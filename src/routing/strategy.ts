// How each routing strategy picks among a route's destinations. `candidates` gives the
// destinations to try for one request, in order; only FALLBACK and LOAD_BALANCE give more than one.
import type { RouteRuntime, Target } from '../core/runtime.js';
import { GatewayError } from '../core/errors.js';
import type { Condition } from './config.js';
import { conditionHolds } from './conditions.js';
import type { RequestFacts } from './request-facts.js';
import { stickyKey, stickyPoint } from './sticky.js';

export interface RouteDestination {
  /** Position in the route's list. */
  index: number;
  name: string;
  target: Target;
  /** TRAFFIC_SPLIT share (0 for other strategies). */
  percentage: number;
  /** LOAD_BALANCE weight (default 1). */
  weight: number;
  when?: Condition;
}

/** Whether a target could take a request now: an endpoint that is healthy with its breaker letting requests through, or a route with such a destination. */
export function isAvailable(target: Target): boolean {
  if (target.kind === 'endpoint') return target.live.available();
  return target.destinations.some((d) => takesTraffic(target, d) && isAvailable(d.target));
}

/** A TRAFFIC_SPLIT destination at 0% gets nothing; every destination of the other strategies can. */
const takesTraffic = (route: RouteRuntime, d: RouteDestination) => route.strategy !== 'TRAFFIC_SPLIT' || d.percentage > 0;

export function candidates(route: RouteRuntime, facts: RequestFacts): RouteDestination[] {
  if (route.strategy === 'CONDITIONAL') return [route.destinations.find((d) => !d.when || conditionHolds(d.when, facts))!];
  const available = route.destinations.filter((d) => takesTraffic(route, d) && isAvailable(d.target));
  if (available.length === 0) {
    throw new GatewayError(503, `No destination of route '${route.name}' is available: their circuit breakers are open or their health checks fail`, {
      code: 'no_healthy_destination',
    });
  }
  if (route.strategy === 'TRAFFIC_SPLIT') {
    const key = route.sticky ? stickyKey(route.sticky, facts) : undefined;
    return [split(available, key === undefined ? Math.random() * 100 : stickyPoint(route.name, key))];
  }
  if (route.strategy === 'LOAD_BALANCE') return route.balancer!.order(available, facts);
  return available;
}

/**
 * The destination whose band holds `point` (0..100). Destinations that are not available are left
 * out and the others' bands stretched over the whole range, so a sticky key still lands the same
 * way for as long as the same destinations are up.
 */
export function split<T extends { percentage: number }>(available: T[], point: number): T {
  let total = 0;
  for (const d of available) total += d.percentage;
  const scaled = (point / 100) * total;
  let upTo = 0;
  for (const d of available) {
    upTo += d.percentage;
    if (scaled < upTo) return d;
  }
  return available[available.length - 1];
}

/** A request-free guess at the destination (for estimates such as token counts): a random split share, else the first (or default) destination. */
export function previewChoice(route: RouteRuntime): RouteDestination {
  if (route.strategy === 'TRAFFIC_SPLIT') return split(route.destinations.filter((d) => d.percentage > 0), Math.random() * 100);
  return route.strategy === 'CONDITIONAL' ? route.destinations[route.destinations.length - 1] : route.destinations[0];
}
