// LOAD_BALANCE routes: puts a route's available destinations in the order to try them. The first
// serves the request; the others are where it goes if that one fails with a fallback trigger.
import { GatewayError } from '../core/errors.js';
import type { BalanceStrategy } from './config.js';
import type { RequestFacts } from './request-facts.js';
import type { RouteDestination } from './strategy.js';

/** What one endpoint costs per million tokens: its resolved price (its `price`, the `pricing` table or the built-in list). */
export type PriceLookup = (destination: RouteDestination) => { input_per_million: number; output_per_million: number } | undefined;

const configuredPrice: PriceLookup = (d) => (d.target.kind === 'endpoint' ? d.target.accounting.price : undefined);

export class Balancer {
  /** Smooth weighted round-robin state (nginx's algorithm), one number per destination, by position. */
  private readonly current: number[];
  /** Rotates the tie-break, so equal scores share the traffic instead of all going to the first. */
  private turn = 0;

  constructor(
    private readonly strategy: BalanceStrategy,
    destinations: readonly RouteDestination[],
    private readonly price: PriceLookup = configuredPrice,
  ) {
    this.current = destinations.map(() => 0);
  }

  order(available: RouteDestination[], facts: RequestFacts): RouteDestination[] {
    if (this.strategy === 'round_robin') return this.roundRobin(available);
    const scored = available.map((d) => ({ d, score: this.score(d, facts) }));
    const usable = this.strategy === 'usage' ? scored.filter((s) => s.score < 1) : scored;
    if (usable.length === 0) {
      throw new GatewayError(429, 'Every deployment of this route is at its configured capacity (rpm/tpm); retry shortly', {
        code: 'capacity_exceeded',
        headers: { 'retry-after': '10' },
      });
    }
    const n = this.current.length;
    const turn = this.turn++ % n;
    const rank = (s: { d: RouteDestination }) => (s.d.index - turn + n) % n;
    return usable.sort((a, b) => a.score - b.score || rank(a) - rank(b)).map((s) => s.d);
  }

  /** Lower is better. Destinations that are routes have no live state and score as idle. */
  private score(d: RouteDestination, facts: RequestFacts): number {
    const live = d.target.kind === 'endpoint' ? d.target.live : undefined;
    switch (this.strategy) {
      case 'least_in_flight':
        return (live?.inFlight ?? 0) / d.weight;
      case 'lowest_latency':
        return (live?.latencyScore() ?? 0) / d.weight;
      case 'lowest_cost': {
        const price = this.price(d);
        if (!price) return Number.POSITIVE_INFINITY;
        return price.input_per_million * facts.promptTokens() + price.output_per_million * facts.maxOutputTokens();
      }
      default:
        return utilisation(d);
    }
  }

  private roundRobin(available: RouteDestination[]): RouteDestination[] {
    let total = 0;
    let best: RouteDestination | undefined;
    for (const d of available) {
      this.current[d.index] += d.weight;
      total += d.weight;
      if (!best || this.current[d.index] > this.current[best.index]) best = d;
    }
    this.current[best!.index] -= total;
    return [best!, ...available.filter((d) => d !== best)];
  }
}

/** The larger of the shares of its rpm and tpm an endpoint used in the last minute; 1 or more = full. */
function utilisation(d: RouteDestination): number {
  if (d.target.kind !== 'endpoint') return 0;
  const capacity = d.target.config.capacity;
  if (!capacity) return 0;
  const used = d.target.live.usage.totals();
  const byRequests = capacity.rpm ? used.requests / capacity.rpm : 0;
  const byTokens = capacity.tpm ? used.tokens / capacity.tpm : 0;
  return Math.max(byRequests, byTokens);
}
