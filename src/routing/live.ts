// What routing knows about one endpoint while the gateway runs: requests in flight, latency
// (peak EWMA), the circuit breaker, the last health probe and the last minute's usage.
// A config reload carries it over to the new runtime while the endpoint's config is unchanged.
import type { Logger } from 'pino';
import { type BreakerSpec, type BreakerState, CircuitBreaker } from './breaker.js';
import { count } from './counters.js';
import { UsageWindow } from './usage-window.js';

/** How fast old latency samples fade: after this long a sample weighs 1/e. */
const LATENCY_DECAY_MS = 10_000;

export class LiveState {
  inFlight = 0;
  healthy = true;
  readonly breaker?: CircuitBreaker;
  readonly usage = new UsageWindow();
  /** Where breaker and health changes are logged (the gateway's logger, set when the runtime goes live). */
  log?: Logger;
  private latency = 0;
  private latencyAt = 0;

  constructor(
    readonly endpoint: string,
    breaker: BreakerSpec | undefined,
  ) {
    if (breaker) this.breaker = new CircuitBreaker(breaker, (from, to) => this.breakerMoved(from, to));
  }

  /** Whether routes may send this endpoint a request now. */
  available(): boolean {
    return this.healthy && (this.breaker?.available() ?? true);
  }

  /**
   * Peak EWMA: a slower sample counts at once, faster ones pull the estimate down gradually, so a
   * deployment that starts to struggle is avoided quickly and trusted again slowly.
   */
  observeLatency(ms: number, now: number = performance.now()): void {
    if (ms > this.latency) this.latency = ms;
    else {
      const w = Math.exp(-(now - this.latencyAt) / LATENCY_DECAY_MS);
      this.latency = this.latency * w + ms * (1 - w);
    }
    this.latencyAt = now;
  }

  /** Expected wait for one more request: latency scaled by the queue in front of it. Unmeasured endpoints score 0, so they get tried. */
  latencyScore(): number {
    return this.latency * (this.inFlight + 1);
  }

  setHealthy(healthy: boolean, reason?: string): void {
    if (healthy === this.healthy) return;
    this.healthy = healthy;
    if (healthy) this.log?.info({ endpoint: this.endpoint }, 'endpoint healthy again: health probe succeeded');
    else this.log?.warn({ endpoint: this.endpoint, reason }, 'endpoint unhealthy: health probe failed; routes skip it');
  }

  private breakerMoved(from: BreakerState, to: BreakerState): void {
    count('breaker_transitions', { endpoint: this.endpoint, to });
    const line = { endpoint: this.endpoint, breaker_from: from, breaker_to: to };
    if (to === 'open') this.log?.warn(line, 'circuit breaker opened: endpoint skipped until the cooldown ends');
    else this.log?.info(line, to === 'closed' ? 'circuit breaker closed: probe succeeded' : 'circuit breaker half-open: sending a probe');
  }
}
