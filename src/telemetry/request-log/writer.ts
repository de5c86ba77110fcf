// The request log's observer: one row per finished request, written off the request path. The
// observer only builds the row and queues it; rows go to a writer thread (worker.ts) in small
// groups, which batches them into the database, so neither inserts nor commits run on the
// gateway's event loop. SQLite in memory cannot be opened from another thread: there the batching
// runs here (batcher.ts). Either way the queue is bounded over everything not yet written: when the
// database cannot keep up, new rows are dropped and counted. close() writes everything still
// queued, so a shutdown (SIGTERM) loses nothing.
import type { Logger } from 'pino';
import { connectionPrivate, type Store } from '../../store/database.js';
import type { RequestLogRow } from '../../store/tables.js';
import type { RequestLogConfig } from '../config.js';
import type { FinishedRequest, RequestObserver } from '../observers.js';
import { RowBatcher } from './batcher.js';
import { toRow } from './row.js';
import { rowSink } from './sink.js';
import { countDropped, watchDepth } from './stats.js';
import { WorkerChannel } from './worker-channel.js';

/** Paths that are not API calls: probes and scrapes would drown the log. */
const UNLOGGED = new Set(['/health', '/healthz', '/readyz', '/livez', '/metrics']);
/** Rows sent to the writer thread together; fewer, and under load the messages cost more than the rows. */
const GROUP_ROWS = 64;
/** The longest a row waits here before it is sent (it is written by the next batch after that). */
const GROUP_WAIT_MS = 20;

/** The writer thread, or the batcher itself where the database is this thread's alone. */
interface Destination {
  add(rows: RequestLogRow[]): boolean | void;
  flush(): Promise<unknown>;
  purge(now?: number): Promise<number>;
  close(): Promise<number>;
}

export class RequestLogWriter {
  /** Rows built and not yet sent on. */
  private group: RequestLogRow[] = [];
  private groupTimer?: NodeJS.Timeout;
  /** Rows taken and not yet written or dropped: the queue the bound applies to. */
  private pending = 0;
  private readonly destination: Destination;
  private readonly unwatch: () => void;

  constructor(
    store: Store,
    /** Read on every use, so a reload changes the settings (except the flush interval) at once. */
    private readonly settings: () => RequestLogConfig,
    private readonly log: Logger,
  ) {
    const settled = (written: number, dropped: number) => {
      this.pending -= written + dropped;
      countDropped(dropped);
    };
    const interval = settings().flush_interval;
    this.destination = connectionPrivate(store.url)
      ? new RowBatcher(rowSink(store), settings, interval, { settled, report: (level, fields, msg) => log[level](fields, msg) })
      : new WorkerChannel(store.url, settings, interval, { settled, lost: () => this.lost() }, log);
    this.unwatch = watchDepth(() => this.pending);
  }

  /** The request observer: queues one row. */
  readonly observe: RequestObserver = (done: FinishedRequest) => {
    const { enabled, queue_size } = this.settings();
    if (!enabled || UNLOGGED.has(done.path)) return;
    if (this.pending >= queue_size) return countDropped(1);
    this.pending++;
    this.group.push(toRow(done));
    if (this.group.length >= GROUP_ROWS) this.send();
    else this.groupTimer ??= setTimeout(this.send, GROUP_WAIT_MS).unref();
  };

  /** Writes everything queued so far (the usage and log APIs call it before they read). */
  async flush(): Promise<void> {
    this.send();
    await this.destination.flush();
  }

  /** Deletes rows older than the retention; returns how many. */
  purge(now?: number): Promise<number> {
    return this.destination.purge(now);
  }

  /** Writes everything queued and stops (called after the server stopped taking requests). */
  async close(): Promise<void> {
    this.send();
    const unwritten = await this.destination.close();
    if (unwritten > 0) this.log.error({ rows: unwritten }, 'request log rows could not be written before shutdown');
    countDropped(unwritten);
    this.pending = 0;
    this.unwatch();
  }

  private readonly send = () => {
    clearTimeout(this.groupTimer);
    this.groupTimer = undefined;
    if (this.group.length === 0) return;
    const rows = this.group;
    this.group = [];
    if (this.destination.add(rows) === false) {
      countDropped(rows.length);
      this.pending -= rows.length;
    }
  };

  /** The writer thread died with rows it had not written. */
  private lost(): void {
    const rows = this.pending - this.group.length;
    if (rows > 0) this.log.error({ rows }, 'request log writer thread stopped; rows it held were lost');
    countDropped(rows);
    this.pending = this.group.length;
  }
}
