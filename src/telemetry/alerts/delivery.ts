// Sends alert calls off the request path: one bounded queue per channel, worked in order (so a
// resolve never overtakes its fire), each call retried with exponential backoff on network
// errors, 429 and 5xx. Logs name the channel and rule, never the URL or headers (they hold secrets).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Call } from './channels.js';

/** Calls waiting per channel; past this, new ones are dropped (and logged). */
export const MAX_QUEUED = 1_000;
const ATTEMPTS = 5;
const FIRST_DELAY_MS = 1_000;
const MAX_DELAY_MS = 30_000;
const TIMEOUT_MS = 10_000;

export interface Delivery {
  channel: string;
  rule: string;
  call: () => Call | undefined;
}

export interface DeliveryOptions {
  /** The delay before retry n (0-based); tests shorten it. */
  backoffMs?: (n: number) => number;
}

export class DeliveryQueue {
  private readonly queues = new Map<string, Delivery[]>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly controller = new AbortController();
  private readonly backoffMs: (n: number) => number;

  constructor(
    private readonly log: Logger,
    options: DeliveryOptions = {},
  ) {
    this.backoffMs = options.backoffMs ?? ((n) => Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** n));
  }

  push(delivery: Delivery): void {
    if (this.controller.signal.aborted) return;
    let queue = this.queues.get(delivery.channel);
    if (!queue) this.queues.set(delivery.channel, (queue = []));
    if (queue.length >= MAX_QUEUED) {
      this.log.warn({ channel: delivery.channel, rule: delivery.rule }, 'alert dropped: the channel queue is full');
      return;
    }
    queue.push(delivery);
    if (!this.running.has(delivery.channel)) {
      const worker = this.work(queue).finally(() => this.running.delete(delivery.channel));
      this.running.set(delivery.channel, worker);
    }
  }

  /** Resolves when every queue is empty (or `ms` passed); for shutdown and tests. */
  async idle(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.running.size > 0 && Date.now() < deadline) await Promise.race([Promise.all(this.running.values()), sleep(Math.max(1, deadline - Date.now()), undefined, { ref: false })]);
  }

  /** Stops retrying; what is still queued is dropped. */
  close(): void {
    this.controller.abort();
  }

  private async work(queue: Delivery[]): Promise<void> {
    for (let next = queue.shift(); next; next = queue.shift()) await this.deliver(next);
  }

  private async deliver({ channel, rule, call }: Delivery): Promise<void> {
    for (let n = 0; n < ATTEMPTS && !this.controller.signal.aborted; n++) {
      const request = call();
      if (!request) return; // nothing to do (a GitLab issue that was never opened)
      const outcome = await send(request, this.controller.signal);
      if (outcome === 'ok') return;
      if (outcome !== 'retry') {
        this.log.warn({ channel, rule, status: outcome }, 'alert refused by its channel; not retried');
        return;
      }
      if (n < ATTEMPTS - 1) {
        try {
          await sleep(this.backoffMs(n), undefined, { signal: this.controller.signal });
        } catch {
          return;
        }
      }
    }
    if (!this.controller.signal.aborted) this.log.warn({ channel, rule, attempts: ATTEMPTS }, 'alert not delivered; gave up');
  }
}

/** 'ok', 'retry', or the status of a refusal that retrying will not fix. */
async function send(call: Call, stop: AbortSignal): Promise<'ok' | 'retry' | number> {
  try {
    const res = await fetch(call.url, {
      method: call.method,
      headers: call.headers,
      body: JSON.stringify(call.body),
      signal: AbortSignal.any([stop, AbortSignal.timeout(TIMEOUT_MS)]),
    });
    const text = await res.text();
    if (res.ok) {
      call.answered?.(parseJson(text));
      return 'ok';
    }
    return res.status === 429 || res.status >= 500 || res.status === 408 ? 'retry' : res.status;
  } catch {
    return 'retry';
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
