// Bench settings: one place for every knob, each overridable by an environment variable so a
// developer can run a quicker or longer bench without editing code. Defaults keep a full run
// (build + Portkey install + three targets) under about five minutes on a 2-core machine.

export interface BenchSettings {
  /** Connections for the throughput / under-load run (autocannon -c). */
  connections: number;
  /** Seconds of warm-up load per target before anything is measured (JIT, pools, caches). */
  warmupSeconds: number;
  /** Seconds of measured non-stream chat load per target, over all rounds. */
  durationSeconds: number;
  /** Rounds the chat throughput time is split into, visiting the targets in turn (see chat-rounds.ts). */
  rounds: number;
  /** Seconds of the embeddings throughput run (0 skips it). */
  embeddingsSeconds: number;
  /** Requests in the sequential (concurrency 1) latency loop, after its own warm-up. */
  serialRequests: number;
  /** Wall-clock cap on the serial loop, in case a target is very slow. */
  serialMaxSeconds: number;
  /** Request pairs (without, with the default guardrail set) in the guardrail scenario; 0 skips it. */
  guardrailPairs: number;
  /** Streams in the time-to-first-token loop. */
  streams: number;
  /** Mock upstream: delay before the first streamed token. */
  ttftMs: number;
  /** Mock upstream: delay between streamed tokens. */
  tokenDelayMs: number;
  /** Mock upstream: tokens per streamed completion. */
  streamTokens: number;
  /** Set BENCH_SKIP_FLOOR=1 to skip the bare-proxy reference column. */
  skipFloor: boolean;
  /** Set BENCH_SKIP_PORTKEY=1 to skip the Portkey comparison. */
  skipPortkey: boolean;
  /** Portkey gateway version installed into bench/.scratch (pinned so runs are comparable). */
  portkeyVersion: string;
  /** Set BENCH_CPU_PROF=1 to run Gatehouse with --cpu-prof and print its hottest functions. */
  cpuProfile: boolean;
}

function num(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
}

function flag(name: string): boolean {
  const raw = process.env[name];
  return raw !== undefined && raw !== '' && raw !== '0' && raw.toLowerCase() !== 'false';
}

export function loadSettings(): BenchSettings {
  return {
    connections: num('BENCH_CONNECTIONS', 64),
    warmupSeconds: num('BENCH_WARMUP', 5),
    durationSeconds: num('BENCH_DURATION', 15),
    rounds: num('BENCH_ROUNDS', 3),
    embeddingsSeconds: num('BENCH_EMBEDDINGS_DURATION', 5),
    serialRequests: num('BENCH_SERIAL_REQUESTS', 2000),
    serialMaxSeconds: num('BENCH_SERIAL_MAX_SECONDS', 15),
    guardrailPairs: num('BENCH_GUARDRAIL_PAIRS', 1000),
    streams: num('BENCH_STREAMS', 40),
    ttftMs: num('BENCH_TTFT_MS', 20),
    tokenDelayMs: num('BENCH_TOKEN_DELAY_MS', 2),
    streamTokens: num('BENCH_STREAM_TOKENS', 20),
    skipFloor: flag('BENCH_SKIP_FLOOR'),
    skipPortkey: flag('BENCH_SKIP_PORTKEY'),
    portkeyVersion: process.env.BENCH_PORTKEY_VERSION || '1.15.2',
    cpuProfile: flag('BENCH_CPU_PROF'),
  };
}
