// A circuit breaker per endpoint: closed (normal) -> open after `failures` deployment failures
// within `window` (requests skip the endpoint) -> half-open after `cooldown` (one probe request is
// let through) -> closed if the probe succeeds, open again if it fails.

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerSpec {
  failures: number;
  window: number;
  cooldown: number;
}

export class CircuitBreaker {
  state: BreakerState = 'closed';
  /** Times of recent failures, oldest first; at most `failures` are kept. */
  private readonly recent: number[] = [];
  private openedAt = 0;
  private probing = false;

  constructor(
    private readonly spec: BreakerSpec,
    private readonly onChange: (from: BreakerState, to: BreakerState) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a request could be sent now (does not claim the half-open probe). */
  available(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open') return this.now() - this.openedAt >= this.spec.cooldown;
    return !this.probing;
  }

  /** Claims the right to send one request: always when closed; the single probe when the cooldown is over. */
  acquire(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open') {
      if (this.now() - this.openedAt < this.spec.cooldown) return false;
      this.move('half_open');
    }
    if (this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    if (this.state === 'half_open') {
      this.probing = false;
      this.recent.length = 0;
      this.move('closed');
    }
  }

  failure(): void {
    const now = this.now();
    if (this.state === 'half_open') {
      this.probing = false;
      this.trip(now);
      return;
    }
    if (this.state === 'open') return;
    this.recent.push(now);
    if (this.recent.length > this.spec.failures) this.recent.shift();
    if (this.recent.length === this.spec.failures && now - this.recent[0] <= this.spec.window) this.trip(now);
  }

  /** A probe that ended without a verdict (the client left): let the next request probe instead. */
  release(): void {
    if (this.state === 'half_open') this.probing = false;
  }

  private trip(now: number): void {
    this.openedAt = now;
    this.recent.length = 0;
    this.move('open');
  }

  private move(to: BreakerState): void {
    const from = this.state;
    this.state = to;
    this.onChange(from, to);
  }
}
