// Turns a trickle of request-log rows into batched writes: a batch is written when `batch_size` rows
// wait or every flush interval, one write at a time. A failed write is put back (as far as the
// queue has room) and retried on the next interval. Old rows are purged hourly. It runs on the
// request log's writer thread, or in the gateway's own thread when the database cannot be shared
// with another thread (SQLite in memory).
import type { RequestLogRow } from '../../store/tables.js';
import type { RowSink } from './sink.js';

const PURGE_EVERY_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface BatcherSettings {
  batch_size: number;
  queue_size: number;
  retention_days: number;
}

/** What the batcher tells its owner: rows that left the queue (written, or dropped after a failure), and problems. */
export interface BatcherEvents {
  settled(written: number, dropped: number): void;
  report(level: 'warn' | 'error', fields: Record<string, unknown>, msg: string): void;
}

export class RowBatcher {
  private queue: RequestLogRow[] = [];
  private flushing?: Promise<void>;
  private readonly timers: NodeJS.Timeout[];

  constructor(
    private readonly sink: RowSink,
    private readonly settings: () => BatcherSettings,
    flushIntervalMs: number,
    private readonly events: BatcherEvents,
  ) {
    this.timers = [setInterval(() => void this.flush(), flushIntervalMs), setInterval(() => void this.purge(), PURGE_EVERY_MS)];
    for (const t of this.timers) t.unref();
    void this.purge();
  }

  get depth(): number {
    return this.queue.length;
  }

  add(rows: RequestLogRow[]): void {
    for (const row of rows) this.queue.push(row);
    if (this.queue.length >= this.settings().batch_size) void this.flush();
  }

  /** Writes what is queued; one flush runs at a time, and a call during one waits for it and then writes the rest. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Deletes rows older than the retention; returns how many. */
  async purge(now = Date.now()): Promise<number> {
    try {
      return await this.sink.purge(new Date(now - this.settings().retention_days * DAY_MS).toISOString());
    } catch (err) {
      this.events.report('warn', { err: (err as Error).message }, 'request log purge failed');
      return 0;
    }
  }

  /** Stops the timers and writes everything queued; returns the rows that could not be written. */
  async close(): Promise<number> {
    for (const t of this.timers) clearInterval(t);
    await this.flushing;
    await this.flush();
    const unwritten = this.queue.length;
    this.queue = [];
    return unwritten;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.settings().batch_size);
      try {
        await this.sink.insert(batch);
        this.events.settled(batch.length, 0);
      } catch (err) {
        const room = Math.max(0, this.settings().queue_size - this.queue.length);
        this.queue.unshift(...batch.slice(0, room));
        this.events.settled(0, Math.max(0, batch.length - room));
        this.events.report('error', { err: (err as Error).message, rows: batch.length }, 'request log write failed; will retry');
        return;
      }
    }
  }
}
