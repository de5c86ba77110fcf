// The pure parts of routing: backoff arithmetic, Retry-After forms, the breaker's window, and
// sticky points.
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../src/core/errors.js';
import { retryAfterMs, retryDelayMs } from '../src/routing/backoff.js';
import { CircuitBreaker } from '../src/routing/breaker.js';
import { stickyPoint } from '../src/routing/sticky.js';

const policy = { backoff: 100, max_backoff: 1000, max_retry_after: 5000 };
const rateLimited = (retryAfter: string) => new GatewayError(429, 'slow down', { headers: { 'retry-after': retryAfter } });

describe('backoff', () => {
  it('doubles per retry, with half of each step random, up to max_backoff', () => {
    expect([0, 1, 2, 3, 6].map((n) => retryDelayMs(n, policy, undefined, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([0, 1, 2, 3, 6].map((n) => retryDelayMs(n, policy, undefined, () => 1))).toEqual([100, 200, 400, 800, 1000]);
  });

  it('waits at least the Retry-After, and not at all when it is over max_retry_after', () => {
    expect(retryDelayMs(0, policy, rateLimited('2'), () => 1)).toBe(2000);
    expect(retryDelayMs(0, policy, rateLimited('6'), () => 1)).toBeUndefined();
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('1.5', now)).toBe(1500);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:03 GMT', now)).toBe(3000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
  });
});

describe('circuit breaker window', () => {
  it('opens only when the failures fall within the window', () => {
    let now = 0;
    const moves: string[] = [];
    const breaker = new CircuitBreaker({ failures: 3, window: 1000, cooldown: 500 }, (from, to) => moves.push(`${from}->${to}`), () => now);
    for (const t of [0, 600, 1200, 1800]) {
      now = t;
      breaker.failure();
    }
    expect(breaker.state).toBe('closed');
    now = 2000;
    breaker.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.available()).toBe(false);
    now = 2500;
    expect(breaker.acquire()).toBe(true);
    expect(breaker.acquire()).toBe(false);
    breaker.success();
    expect(moves).toEqual(['closed->open', 'open->half_open', 'half_open->closed']);
  });
});

describe('sticky points', () => {
  it('spread keys evenly over [0, 100) and differ per route', () => {
    const points = Array.from({ length: 10_000 }, (_, i) => stickyPoint('route', `user-${i}`));
    const deciles = new Array(10).fill(0);
    for (const p of points) deciles[Math.floor(p / 10)]++;
    for (const n of deciles) expect(Math.abs(n - 1000)).toBeLessThan(150);
    expect(stickyPoint('a', 'user-1')).not.toBe(stickyPoint('b', 'user-1'));
  });
});
