// Delays between retries: exponential backoff with jitter, never shorter than the upstream's Retry-After.
import type { GatewayError } from '../core/errors.js';

export interface BackoffPolicy {
  backoff: number;
  max_backoff: number;
  max_retry_after: number;
}

/**
 * The delay before retry number `retry` (0 = the first retry), or undefined when the upstream asks
 * for a longer wait than `max_retry_after`: then waiting is worse than moving on.
 * "Equal jitter": half the exponential step is fixed, half random, so retries stay spread out but
 * the delay still grows.
 */
export function retryDelayMs(retry: number, policy: BackoffPolicy, err: unknown, random: () => number = Math.random): number | undefined {
  const step = Math.min(policy.max_backoff, policy.backoff * 2 ** retry);
  const jittered = step / 2 + random() * (step / 2);
  const asked = retryAfterMs((err as GatewayError | undefined)?.headers?.['retry-after']);
  if (asked === undefined) return jittered;
  if (asked > policy.max_retry_after) return undefined;
  return Math.max(jittered, asked);
}

/** Retry-After as seconds or as an HTTP date, in milliseconds from now. */
export function retryAfterMs(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
