// The counting behind every limit, quota and concurrency cap. A request's checks are taken all or
// nothing: if one is full, none is counted, so a refused request costs no one anything. Two
// implementations: in this process (embedded) and in Redis (shared, see redis-counters.ts).

/** A token bucket: holds up to `capacity`, refills `perMs` per millisecond; a request takes `cost`. */
export interface BucketCheck {
  kind: 'bucket';
  id: string;
  capacity: number;
  perMs: number;
  cost: number;
}

/** A fixed window that ends at `resetAt` (epoch ms): at most `limit` per window. `id` names the window. */
export interface WindowCheck {
  kind: 'window';
  id: string;
  limit: number;
  resetAt: number;
  cost: number;
}

/** Requests in flight: taken on admission, given back by `release` when the response ends. */
export interface GaugeCheck {
  kind: 'gauge';
  id: string;
  limit: number;
}

export type Check = BucketCheck | WindowCheck | GaugeCheck;

export interface Verdict {
  /** Index of the first check that was full, or -1 when all were taken. */
  failed: number;
  /** When refused: how long until the request could pass. */
  retryMs: number;
  /** Per check: what is left after this request, and when the check is whole again. */
  remaining: number[];
  resetMs: number[];
}

export interface Counters {
  take(checks: Check[]): Promise<Verdict>;
  /** Takes `amount` more from a bucket regardless of its level (negative gives back): token usage corrected after the call. */
  adjust(check: BucketCheck, amount: number): Promise<void>;
  release(gauges: GaugeCheck[]): Promise<void>;
  close(): Promise<void>;
}

/** Fills what a bucket may demand at once: a request larger than the bucket waits for a full one. */
export const need = (check: BucketCheck) => Math.min(check.cost, check.capacity);

const MAX_ENTRIES = 200_000;

interface Bucket {
  level: number;
  at: number;
}

/** Counters in this process, for one gateway without Redis. */
export class MemoryCounters implements Counters {
  private readonly buckets = new Map<string, Bucket>();
  private readonly counts = new Map<string, { count: number; resetAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async take(checks: Check[]): Promise<Verdict> {
    const now = this.now();
    const levels = checks.map((c) => this.level(c, now));
    let failed = -1;
    let retryMs = 0;
    checks.forEach((c, i) => {
      const wait = waitFor(c, levels[i], now);
      if (wait > 0) {
        if (failed < 0) failed = i;
        retryMs = Math.max(retryMs, wait);
      }
    });
    if (failed < 0) checks.forEach((c, i) => (levels[i] = this.commit(c, levels[i], now)));
    return verdict(checks, levels, now, failed, retryMs);
  }

  async adjust(check: BucketCheck, amount: number): Promise<void> {
    const now = this.now();
    this.buckets.set(check.id, { level: this.level(check, now) - amount, at: now });
  }

  async release(gauges: GaugeCheck[]): Promise<void> {
    for (const g of gauges) {
      const entry = this.counts.get(g.id);
      if (entry) entry.count = Math.max(0, entry.count - 1);
    }
  }

  async close(): Promise<void> {}

  private level(check: Check, now: number): number {
    if (check.kind === 'bucket') {
      const b = this.buckets.get(check.id);
      return b ? Math.min(check.capacity, b.level + (now - b.at) * check.perMs) : check.capacity;
    }
    const entry = this.counts.get(check.id);
    return entry && (check.kind === 'gauge' || entry.resetAt > now) ? entry.count : 0;
  }

  private commit(check: Check, level: number, now: number): number {
    if (this.buckets.size + this.counts.size >= MAX_ENTRIES) this.evict(now);
    if (check.kind === 'bucket') {
      this.buckets.set(check.id, { level: level - check.cost, at: now });
      return level - check.cost;
    }
    const count = level + (check.kind === 'gauge' ? 1 : check.cost);
    this.counts.set(check.id, { count, resetAt: check.kind === 'window' ? check.resetAt : Infinity });
    return count;
  }

  /** Keeps memory bounded: forgets full buckets, ended windows and idle gauges (all equal to a fresh entry). */
  private evict(now: number): void {
    for (const [id, b] of this.buckets) if (now - b.at > 86_400_000) this.buckets.delete(id);
    for (const [id, c] of this.counts) if (c.resetAt <= now || c.count === 0) this.counts.delete(id);
  }
}

/** Milliseconds until `check` could admit the request, 0 when it can now. */
export function waitFor(check: Check, level: number, now: number): number {
  if (check.kind === 'bucket') return level >= need(check) ? 0 : Math.ceil((need(check) - level) / check.perMs);
  if (check.kind === 'window') return level + check.cost <= check.limit ? 0 : check.resetAt - now;
  return level < check.limit ? 0 : 1000;
}

/** Remaining and reset per check, from the levels after the request. */
export function verdict(checks: Check[], levels: number[], now: number, failed: number, retryMs: number): Verdict {
  return {
    failed,
    retryMs,
    remaining: checks.map((c, i) => Math.max(0, Math.floor(c.kind === 'bucket' ? levels[i] : c.limit - levels[i]))),
    resetMs: checks.map((c, i) => (c.kind === 'bucket' ? Math.ceil(Math.max(0, c.capacity - levels[i]) / c.perMs) : c.kind === 'window' ? c.resetAt - now : 0)),
  };
}
