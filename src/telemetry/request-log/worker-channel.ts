// The gateway thread's side of the request log's writer thread (worker.ts): starts it, sends it
// rows, and turns flush / purge / close into calls answered by message. If the thread dies, what it
// held is reported as lost and the next rows start a new one (at most one start per RESTART_MS).
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { RequestLogRow } from '../../store/tables.js';
import type { BatcherSettings } from './batcher.js';

export interface WorkerData {
  url: string;
  settings: BatcherSettings;
  flushIntervalMs: number;
}

export type ToWorker =
  | { t: 'rows'; rows: RequestLogRow[]; settings?: BatcherSettings }
  | { t: 'flush'; id: number }
  | { t: 'purge'; id: number; now?: number }
  | { t: 'close'; id: number };

type FromWorker =
  | { t: 'settled'; written: number; dropped: number }
  | { t: 'reply'; id: number; value: number }
  | { t: 'report'; level: 'warn' | 'error'; fields: Record<string, unknown>; msg: string };

export interface ChannelEvents {
  /** Rows that left the writer: written, or dropped after failures. */
  settled(written: number, dropped: number): void;
  /** The thread died: every row sent to it and not yet settled is gone. */
  lost(): void;
}

const RESTART_MS = 5_000;

/** The worker's module next to this one: built JavaScript, or TypeScript run through tsx (tests, `npm run dev`). */
function spawn(data: WorkerData): Worker {
  const url = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData: data });
  const load = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(load, { eval: true, workerData: data });
}

export class WorkerChannel {
  private worker?: Worker;
  private startedAt = 0;
  private nextId = 0;
  private readonly calls = new Map<number, (value: number) => void>();
  private sentSettings?: BatcherSettings;

  constructor(
    private readonly url: string,
    private readonly settings: () => BatcherSettings,
    private readonly flushIntervalMs: number,
    private readonly events: ChannelEvents,
    private readonly log: Logger,
  ) {
    this.start();
  }

  /** Sends rows; false when the thread is down and not due to restart (the rows are not taken). */
  add(rows: RequestLogRow[]): boolean {
    if (!this.worker && !this.start()) return false;
    const settings = this.settings();
    const changed = settings !== this.sentSettings;
    this.sentSettings = settings;
    this.post({ t: 'rows', rows, settings: changed ? settings : undefined });
    return true;
  }

  flush(): Promise<number> {
    return this.call((id) => ({ t: 'flush', id }));
  }

  purge(now?: number): Promise<number> {
    return this.call((id) => ({ t: 'purge', id, now }));
  }

  /** Writes what the thread holds and stops it; returns the rows it could not write. */
  async close(): Promise<number> {
    const unwritten = await this.call((id) => ({ t: 'close', id }));
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
    return unwritten;
  }

  private start(): boolean {
    if (Date.now() - this.startedAt < RESTART_MS && this.startedAt > 0) return false;
    this.startedAt = Date.now();
    const settings = this.settings();
    this.sentSettings = settings;
    const worker = spawn({ url: this.url, settings, flushIntervalMs: this.flushIntervalMs });
    worker.unref();
    worker.on('message', (message: FromWorker) => this.receive(message));
    worker.on('error', (err) => this.log.error({ err: err.message }, 'request log writer thread failed'));
    worker.on('exit', () => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.events.lost();
      for (const [id, resolve] of this.calls) {
        this.calls.delete(id);
        resolve(0);
      }
    });
    this.worker = worker;
    return true;
  }

  private receive(message: FromWorker): void {
    if (message.t === 'settled') return this.events.settled(message.written, message.dropped);
    if (message.t === 'report') return void this.log[message.level](message.fields, message.msg);
    const resolve = this.calls.get(message.id);
    this.calls.delete(message.id);
    resolve?.(message.value);
  }

  private call(message: (id: number) => ToWorker): Promise<number> {
    if (!this.worker) return Promise.resolve(0);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.calls.set(id, resolve);
      this.post(message(id));
    });
  }

  private post(message: ToWorker): void {
    this.worker!.postMessage(message);
  }
}
