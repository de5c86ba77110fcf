// Fixed-concurrency load with autocannon, run as its own process (its CLI with --json) so the load
// generator's CPU lands neither in the gateway being measured nor in this orchestrator. Only 2xx
// responses count as throughput; any non-2xx, error or timeout is reported next to the number.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { readCpuMs } from './procs.js';

const require = createRequire(import.meta.url);
const AUTOCANNON_CLI = require.resolve('autocannon/autocannon.js');

export interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  headers: Record<string, string>;
  body: string;
}

export interface LoadResult {
  connections: number;
  durationSeconds: number;
  /** 2xx responses per second over the whole run. */
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Latency of 2xx responses, ms (autocannon's histogram has 1 ms resolution). */
  latency: { mean: number; p50: number; p90: number; p99: number; max: number };
  /** Response bytes per second. */
  bytesPerSecond: number;
  /** CPU the load generator itself used (sampled every 100 ms, so slightly low), ms. */
  generatorCpuMs: number;
}

interface AutocannonJson {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  latency: { mean: number; p50: number; p90: number; p99: number; max: number };
  throughput: { average: number };
}

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const args = [
    AUTOCANNON_CLI,
    '--json',
    '--connections',
    String(options.connections),
    '--duration',
    String(options.durationSeconds),
    '--timeout',
    '10',
    '--method',
    'POST',
    '--body',
    options.body,
  ];
  for (const [name, value] of Object.entries(options.headers)) args.push('--headers', `${name}=${value}`);
  args.push(options.url);

  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    // /proc/<pid> vanishes at exit, so keep the last reading taken while it ran.
    let generatorCpuMs = 0;
    const sampler = setInterval(() => {
      const cpu = child.pid === undefined ? null : readCpuMs(child.pid);
      if (cpu !== null) generatorCpuMs = cpu;
    }, 100);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString('utf8')));
    child.stderr.on('data', (data: Buffer) => (stderr = (stderr + data.toString('utf8')).slice(-4000)));
    // Bounded: autocannon stops itself after the duration; this is the backstop.
    const timer = setTimeout(() => child.kill('SIGKILL'), (options.durationSeconds + 30) * 1000);
    child.on('error', (err) => {
      clearTimeout(timer);
      clearInterval(sampler);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      clearInterval(sampler);
      const line = stdout.trim().split('\n').pop() ?? '';
      let parsed: AutocannonJson;
      try {
        parsed = JSON.parse(line) as AutocannonJson;
      } catch {
        return reject(new Error(`autocannon exited ${code} without JSON output: ${stderr.trim().slice(-500)}`));
      }
      const duration = parsed.duration || options.durationSeconds;
      resolve({
        connections: options.connections,
        durationSeconds: duration,
        rps: parsed['2xx'] / duration,
        ok: parsed['2xx'],
        non2xx: parsed.non2xx,
        errors: parsed.errors,
        timeouts: parsed.timeouts,
        latency: {
          mean: parsed.latency.mean,
          p50: parsed.latency.p50,
          p90: parsed.latency.p90,
          p99: parsed.latency.p99,
          max: parsed.latency.max,
        },
        bytesPerSecond: parsed.throughput.average,
        generatorCpuMs,
      });
    });
  });
}
