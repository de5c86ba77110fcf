// Spend per scope ("key:<id>", "team:<name>") and UTC day. Reads come from memory, so budget checks
// cost nothing on the request path. Every booking is written to the database in batches (a
// restart loses none of it); with Redis the live totals are shared by all replicas and each
// replica refreshes the scopes it serves every second.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Shared } from '../store/redis.js';
import type { Database } from '../store/tables.js';

/** Days kept in memory: enough for a rolling 30 days and a calendar month. */
const KEEP_DAYS = 62;
const FLUSH_MS = 2_000;
const REFRESH_MS = 1_000;

export const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export class SpendLedger {
  private readonly days = new Map<string, Map<string, number>>();
  private pending = new Map<string, { scope: string; day: string; usd: number }>();
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly log: Logger,
    private readonly shared?: Shared,
  ) {}

  async start(now = Date.now()): Promise<void> {
    const since = dayOf(now - KEEP_DAYS * 86_400_000);
    const rows = await this.db.selectFrom('spend').selectAll().where('day', '>=', since).execute();
    for (const row of rows) this.set(row.scope, row.day, row.usd);
    if (this.shared) {
      // The first replica to start after a Redis loss puts the database's totals back.
      await Promise.all(rows.map((r) => this.shared!.redis.hsetnx(this.redisKey(r.scope), r.day, String(r.usd))));
      await this.refresh();
      this.timers.push(setInterval(() => void this.refresh(), REFRESH_MS));
    }
    this.timers.push(setInterval(() => void this.flush(), FLUSH_MS));
    for (const t of this.timers) t.unref();
  }

  /** USD spent by `scope` from `fromDay` (YYYY-MM-DD) through today. */
  total(scope: string, fromDay: string): number {
    let sum = 0;
    for (const [day, usd] of this.scopeDays(scope)) if (day >= fromDay) sum += usd;
    return sum;
  }

  /** Spend by day, for the admin API. */
  byDay(scope: string): Record<string, number> {
    return Object.fromEntries([...this.scopeDays(scope)].sort());
  }

  book(scopes: string[], usd: number, now = Date.now()): void {
    if (!(usd > 0)) return;
    const day = dayOf(now);
    for (const scope of scopes) {
      this.set(scope, day, (this.days.get(scope)?.get(day) ?? 0) + usd);
      const id = `${scope}\u0000${day}`;
      const entry = this.pending.get(id) ?? { scope, day, usd: 0 };
      entry.usd += usd;
      this.pending.set(id, entry);
      if (this.shared) {
        const key = this.redisKey(scope);
        this.shared.redis
          .hincrbyfloat(key, day, usd)
          .then((total) => this.set(scope, day, Number(total)))
          .then(() => this.shared!.redis.pexpire(key, KEEP_DAYS * 86_400_000))
          .catch((err: Error) => this.log.warn({ err: err.message }, 'shared spend update failed; kept locally'));
      }
    }
  }

  /** Writes the bookings since the last flush, adding to the stored totals. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    try {
      await this.db
        .insertInto('spend')
        .values(batch)
        .onConflict((oc) => oc.columns(['scope', 'day']).doUpdateSet((eb) => ({ usd: eb('spend.usd', '+', eb.ref('excluded.usd')) })))
        .execute();
    } catch (err) {
      // Put the batch back so the next flush retries it.
      for (const e of batch) {
        const id = `${e.scope}\u0000${e.day}`;
        const later = this.pending.get(id);
        this.pending.set(id, { ...e, usd: e.usd + (later?.usd ?? 0) });
      }
      this.log.error({ err: (err as Error).message }, 'spend write failed; will retry');
    }
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.flush();
  }

  /** A scope's days; one first asked about is registered, so the next refresh brings other replicas' spend. */
  private scopeDays(scope: string): Map<string, number> {
    let days = this.days.get(scope);
    if (!days && this.shared) this.days.set(scope, (days = new Map()));
    return days ?? new Map();
  }

  private set(scope: string, day: string, usd: number): void {
    let days = this.days.get(scope);
    if (!days) this.days.set(scope, (days = new Map()));
    days.set(day, usd);
    if (days.size > KEEP_DAYS) days.delete([...days.keys()].sort()[0]);
  }

  /** Reads the shared totals of every scope this replica has seen. */
  private async refresh(): Promise<void> {
    const scopes = [...this.days.keys()];
    try {
      const all = await Promise.all(scopes.map((s) => this.shared!.redis.hgetall(this.redisKey(s))));
      scopes.forEach((scope, i) => {
        for (const [day, usd] of Object.entries(all[i])) this.set(scope, day, Number(usd));
      });
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'shared spend refresh failed');
    }
  }

  private redisKey(scope: string): string {
    return `${this.shared!.prefix}spend:${scope}`;
  }
}
