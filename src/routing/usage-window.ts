// Requests and tokens an endpoint took in the last minute, in six 10-second buckets, for usage-based
// balancing: a deployment is kept under its own rpm/tpm.

const BUCKET_MS = 10_000;
const BUCKETS = 6;

export class UsageWindow {
  private readonly requests = new Array<number>(BUCKETS).fill(0);
  private readonly tokens = new Array<number>(BUCKETS).fill(0);
  private bucketStart = 0;
  private index = 0;

  constructor(private readonly now: () => number = Date.now) {}

  addRequest(): void {
    this.advance();
    this.requests[this.index]++;
  }

  addTokens(n: number): void {
    this.advance();
    this.tokens[this.index] += n;
  }

  /** Requests and tokens in the last minute. */
  totals(): { requests: number; tokens: number } {
    this.advance();
    let requests = 0;
    let tokens = 0;
    for (let i = 0; i < BUCKETS; i++) {
      requests += this.requests[i];
      tokens += this.tokens[i];
    }
    return { requests, tokens };
  }

  /** Moves to the current bucket, clearing the buckets that fell out of the minute. */
  private advance(): void {
    const now = this.now();
    const start = now - (now % BUCKET_MS);
    if (start === this.bucketStart) return;
    const steps = Math.min(BUCKETS, Math.floor((start - this.bucketStart) / BUCKET_MS));
    for (let i = 0; i < steps; i++) {
      this.index = (this.index + 1) % BUCKETS;
      this.requests[this.index] = 0;
      this.tokens[this.index] = 0;
    }
    this.bucketStart = start;
  }
}
