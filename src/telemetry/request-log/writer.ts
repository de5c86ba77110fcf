// Writes the request log in batches, off the request path: the observer only queues a row. A batch
// is one multi-row insert, written when `batch_size` rows wait or every `flush_interval`. The queue
// is bounded: when the database cannot keep up, new rows are dropped and counted. close() writes
// everything still queued, so a shutdown (SIGTERM) loses nothing. Old rows are purged hourly.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database, RequestLogRow } from '../../store/tables.js';
import type { RequestLogConfig } from '../config.js';
import type { FinishedRequest, RequestObserver } from '../observers.js';
import { toRow } from './row.js';
import { countDropped, watchDepth } from './stats.js';

const PURGE_EVERY_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Paths that are not API calls: probes and scrapes would drown the log. */
const UNLOGGED = new Set(['/health', '/healthz', '/readyz', '/livez', '/metrics']);

export class RequestLogWriter {
  private queue: RequestLogRow[] = [];
  private flushing?: Promise<void>;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unwatch: () => void;

  constructor(
    private readonly db: Kysely<Database>,
    /** Read on every use, so a reload changes the settings (except the flush interval) at once. */
    private readonly settings: () => RequestLogConfig,
    private readonly log: Logger,
  ) {
    this.unwatch = watchDepth(() => this.queue.length);
    this.timers.push(setInterval(() => void this.flush(), settings().flush_interval));
    this.timers.push(setInterval(() => void this.purge(), PURGE_EVERY_MS));
    for (const t of this.timers) t.unref();
    void this.purge();
  }

  /** The request observer: queues one row. */
  readonly observe: RequestObserver = (done: FinishedRequest) => {
    const { enabled, queue_size, batch_size } = this.settings();
    if (!enabled || UNLOGGED.has(done.path)) return;
    if (this.queue.length >= queue_size) return countDropped(1);
    this.queue.push(toRow(done));
    if (this.queue.length >= batch_size) void this.flush();
  };

  /** Writes what is queued; one flush runs at a time, and a call during one waits for it and then writes the rest. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Deletes rows older than the retention. */
  async purge(now = Date.now()): Promise<number> {
    const before = new Date(now - this.settings().retention_days * DAY_MS).toISOString();
    try {
      const result = await this.db.deleteFrom('request_log').where('at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'request log purge failed');
      return 0;
    }
  }

  /** Stops the timers and writes everything queued (called after the server stopped taking requests). */
  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.flushing;
    await this.flush();
    if (this.queue.length > 0) {
      countDropped(this.queue.length);
      this.log.error({ rows: this.queue.length }, 'request log rows could not be written before shutdown');
    }
    this.unwatch();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.settings().batch_size);
      try {
        await this.db.insertInto('request_log').values(batch).onConflict((oc) => oc.column('id').doNothing()).execute();
      } catch (err) {
        // Put the batch back (as far as the queue has room) and retry on the next interval.
        const room = Math.max(0, this.settings().queue_size - this.queue.length);
        this.queue.unshift(...batch.slice(0, room));
        if (batch.length > room) countDropped(batch.length - room);
        this.log.error({ err: (err as Error).message, rows: batch.length }, 'request log write failed; will retry');
        return;
      }
    }
  }
}
