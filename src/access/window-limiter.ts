// MLflow's per-endpoint limit: at most `calls` per fixed window, counted per client address
// (as MLflow's limiter keys on the remote address) or for all callers together.
// Counters live outside the runtime config, so a config reload does not reset anyone's window.
import { GatewayError } from '../core/errors.js';

// A month is 30 days and a year 365, as in the `limits` library MLflow uses.
const PERIOD_MS = { second: 1_000, minute: 60_000, hour: 3_600_000, day: 86_400_000, month: 2_592_000_000, year: 31_536_000_000 } as const;
const MAX_KEYS = 100_000;

export interface LimitSpec {
  calls: number;
  renewal_period: keyof typeof PERIOD_MS;
  key: 'client_ip' | 'global';
}

interface Window {
  count: number;
  resetAt: number;
}

export class WindowLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly periodMs: number;

  constructor(
    readonly spec: LimitSpec,
    private readonly now: () => number = Date.now,
  ) {
    this.periodMs = PERIOD_MS[spec.renewal_period];
  }

  /** Counts one call; throws a 429 GatewayError with Retry-After when the window is full. */
  take(clientIp: string): void {
    const key = this.spec.key === 'global' ? '*' : clientIp;
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      if (!window && this.windows.size >= MAX_KEYS) this.evict(now);
      window = { count: 0, resetAt: now + this.periodMs };
      this.windows.set(key, window);
    }
    if (window.count >= this.spec.calls) {
      const retryAfter = Math.max(1, Math.ceil((window.resetAt - now) / 1000));
      const periodWord = this.spec.renewal_period;
      throw new GatewayError(429, `Rate limit exceeded: ${this.spec.calls} per 1 ${periodWord}`, {
        code: 'rate_limit_exceeded',
        headers: {
          'retry-after': String(retryAfter),
          'x-ratelimit-limit-requests': String(this.spec.calls),
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': `${retryAfter}s`,
        },
      });
    }
    window.count++;
  }

  /** Keeps the table bounded: drop finished windows, then the oldest if it is still full. */
  private evict(now: number): void {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
    if (this.windows.size >= MAX_KEYS) {
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
  }
}

/** Limiters by endpoint and spec, kept across config reloads while the spec is unchanged. */
export class LimiterRegistry {
  private limiters = new Map<string, WindowLimiter>();

  get(endpoint: string, spec: LimitSpec): WindowLimiter {
    const id = `${endpoint}\u0000${spec.calls}/${spec.renewal_period}/${spec.key}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = new WindowLimiter(spec);
      this.limiters.set(id, limiter);
    }
    return limiter;
  }

  /** Drops limiters that the current config no longer uses. */
  retain(inUse: Set<WindowLimiter>): void {
    for (const [id, limiter] of this.limiters) if (!inUse.has(limiter)) this.limiters.delete(id);
  }
}
