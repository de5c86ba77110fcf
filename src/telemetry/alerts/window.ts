// A sliding window of finished requests in fixed time slots: counts, 5xx, spend and (for latency
// rules) a log-scale latency histogram. Memory is fixed per window; old slots are reused.

const SLOTS = 30;
/** Latency histogram: bucket i holds values up to BASE_MS * GROWTH^i (1 ms .. ~1 h, 15% apart). */
const BASE_MS = 1;
const GROWTH = 1.15;
export const BUCKETS = 110;
const LOG_GROWTH = Math.log(GROWTH);

export interface WindowSample {
  error: boolean;
  usd: number;
  /** The latency the rule measures, or undefined when the request has none (ttft of a non-stream). */
  latencyMs?: number;
}

export interface WindowTotals {
  requests: number;
  errors: number;
  usd: number;
  /** Requests with a latency, and their 95th percentile (when the window keeps latencies). */
  timed: number;
  p95Ms?: number;
  /** The latency histogram behind p95Ms, for adding windows of other replicas. */
  histogram?: Uint32Array;
}

interface Slot {
  start: number;
  requests: number;
  errors: number;
  usd: number;
  timed: number;
  latency?: Uint32Array;
}

export class SlidingWindow {
  private readonly slotMs: number;
  private readonly slots: Slot[];

  constructor(
    readonly windowMs: number,
    private readonly latencies: boolean,
  ) {
    this.slotMs = Math.max(1, Math.ceil(windowMs / SLOTS));
    this.slots = Array.from({ length: SLOTS }, () => ({ start: -Infinity, requests: 0, errors: 0, usd: 0, timed: 0 }));
  }

  add(now: number, sample: WindowSample): void {
    const slot = this.slotAt(now);
    slot.requests++;
    if (sample.error) slot.errors++;
    slot.usd += sample.usd;
    if (this.latencies && sample.latencyMs !== undefined) {
      slot.timed++;
      (slot.latency ??= new Uint32Array(BUCKETS))[bucketOf(sample.latencyMs)]++;
    }
  }

  totals(now: number): WindowTotals {
    const totals: WindowTotals = { requests: 0, errors: 0, usd: 0, timed: 0 };
    const merged = this.latencies ? new Uint32Array(BUCKETS) : undefined;
    for (const slot of this.slots) {
      if (!this.live(slot, now)) continue;
      totals.requests += slot.requests;
      totals.errors += slot.errors;
      totals.usd += slot.usd;
      totals.timed += slot.timed;
      if (merged && slot.latency) for (let i = 0; i < BUCKETS; i++) merged[i] += slot.latency[i];
    }
    if (merged && totals.timed > 0) Object.assign(totals, { histogram: merged, p95Ms: percentile(merged, totals.timed, 0.95) });
    return totals;
  }

  /** True once every slot has aged out: the window can be forgotten. */
  empty(now: number): boolean {
    return this.slots.every((slot) => !this.live(slot, now) || slot.requests === 0);
  }

  private live(slot: Slot, now: number): boolean {
    return slot.start > now - this.windowMs - this.slotMs && slot.start <= now;
  }

  private slotAt(now: number): Slot {
    const start = Math.floor(now / this.slotMs) * this.slotMs;
    const slot = this.slots[Math.floor(now / this.slotMs) % SLOTS];
    if (slot.start !== start) {
      slot.start = start;
      slot.requests = slot.errors = slot.usd = slot.timed = 0;
      slot.latency?.fill(0);
    }
    return slot;
  }
}

/** The totals of several windows of the same rule (one per replica) as one window. */
export function addTotals(parts: readonly WindowTotals[]): WindowTotals {
  const sum: WindowTotals = { requests: 0, errors: 0, usd: 0, timed: 0 };
  let histogram: Uint32Array | undefined;
  for (const part of parts) {
    sum.requests += part.requests;
    sum.errors += part.errors;
    sum.usd += part.usd;
    sum.timed += part.timed;
    if (part.histogram) {
      histogram ??= new Uint32Array(BUCKETS);
      for (let i = 0; i < BUCKETS; i++) histogram[i] += part.histogram[i] ?? 0;
    }
  }
  if (histogram && sum.timed > 0) Object.assign(sum, { histogram, p95Ms: percentile(histogram, sum.timed, 0.95) });
  return sum;
}

function bucketOf(ms: number): number {
  if (ms <= BASE_MS) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / BASE_MS) / LOG_GROWTH));
}

/** The upper bound of the bucket holding the q-th value. */
function percentile(buckets: Uint32Array, count: number, q: number): number {
  const rank = Math.ceil(q * count);
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    seen += buckets[i];
    if (seen >= rank) return BASE_MS * GROWTH ** i;
  }
  return BASE_MS * GROWTH ** (buckets.length - 1);
}
