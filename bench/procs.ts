// Child-process plumbing for the bench: start a process with its output in a log file, wait until it
// answers HTTP, sample its memory and CPU from /proc, and stop it again. Every wait is bounded, and
// only processes this bench started are ever signalled (by pid).

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  logFile: string;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  exited: Promise<string>;
  hasExited: () => boolean;
}

const live = new Set<Child>();

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
  /** Keep stdout piped to the parent (the mock reports its port there) instead of the log file. */
  pipeStdout?: boolean;
}

export function startProcess(name: string, command: string, args: string[], options: StartOptions): Child {
  const log = openSync(options.logFile, 'w');
  // stdin stays a pipe: a child that watches it (the mock) exits when this process dies.
  const proc = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['pipe', options.pipeStdout ? 'pipe' : log, log],
  });
  closeSync(log);
  if (proc.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  let done = false;
  const exited = new Promise<string>((resolve) => {
    proc.once('exit', (code, signal) => {
      done = true;
      resolve(signal ?? String(code));
    });
    proc.once('error', (err) => {
      done = true;
      resolve(`error: ${err.message}`);
    });
  });
  const child: Child = { name, proc, pid: proc.pid, logFile: options.logFile, exited, hasExited: () => done };
  live.add(child);
  void exited.then(() => live.delete(child));
  return child;
}

/** Reads lines from a piped stdout until one parses as JSON with `ready: true` (the mock's handshake). */
export function waitForReadyLine(child: Child, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const stdout = child.proc.stdout;
    if (!stdout) return reject(new Error(`${child.name}: stdout is not piped`));
    let buffered = '';
    const timer = setTimeout(() => finish(new Error(`${child.name}: no ready line within ${timeoutMs} ms (see ${child.logFile})`)), timeoutMs);
    const onData = (data: Buffer) => {
      buffered += data.toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          if (parsed.ready === true) return finish(null, parsed);
        } catch {
          // not the handshake line; ignore
        }
      }
    };
    const onExit = () => finish(new Error(`${child.name} exited before it was ready (see ${child.logFile})`));
    function finish(err: Error | null, value?: Record<string, unknown>) {
      clearTimeout(timer);
      stdout?.off('data', onData);
      child.proc.off('exit', onExit);
      // Keep draining so the child never blocks on a full pipe.
      stdout?.resume();
      if (err) reject(err);
      else resolve(value as Record<string, unknown>);
    }
    stdout.on('data', onData);
    child.proc.once('exit', onExit);
  });
}

/** Polls `url` with GET until it answers 200, the child exits, or the time runs out. */
export async function waitForHttp(child: Child, url: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  let lastError = '';
  while (performance.now() - started < timeoutMs) {
    if (child.hasExited()) throw new Error(`${child.name} exited during start-up (see ${child.logFile})`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return performance.now() - started;
      lastError = `HTTP ${res.status}`;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await sleep(100);
  }
  throw new Error(`${child.name} did not answer 200 on ${url} within ${timeoutMs} ms (last: ${lastError}; see ${child.logFile})`);
}

/** SIGTERM, then SIGKILL after `graceMs`. Returns how the process ended. */
export async function stopProcess(child: Child, graceMs = 5000): Promise<string> {
  if (child.hasExited()) return child.exited;
  child.proc.stdin?.end();
  child.proc.kill('SIGTERM');
  const result = await Promise.race([child.exited, sleep(graceMs).then(() => null)]);
  if (result !== null) return result;
  child.proc.kill('SIGKILL');
  return child.exited;
}

/** Last-resort cleanup when the bench itself is interrupted: kill only what we started. */
export function killAllChildren(): void {
  for (const child of live) {
    try {
      child.proc.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

// ---------- /proc sampling (Linux) ----------

export interface MemoryStatus {
  /** Current resident set size, KiB. */
  rssKb: number;
  /** Peak resident set size since start (the kernel's high-water mark), KiB. */
  hwmKb: number;
}

export function readMemory(pid: number): MemoryStatus | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
  } catch {
    return null;
  }
}

// USER_HZ is 100 on every mainstream Linux build; /proc/<pid>/stat reports CPU time in those ticks.
const TICK_MS = 10;

/** User + system CPU time the process has used so far, in milliseconds. */
export function readCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after the closing paren are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) * TICK_MS;
  } catch {
    return null;
  }
}

export interface MachineCpu {
  /** Busy time summed over all cores (user, nice, system, irq, softirq, steal), ms. */
  busyMs: number;
  /** Time the hypervisor gave our virtual cores to someone else, ms. */
  stealMs: number;
}

/** Machine-wide CPU counters from /proc/stat, to see what else was running during a measurement. */
export function readMachineCpu(): MachineCpu | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    const parts = [user, nice, system, irq, softirq, steal].map((v) => v ?? 0);
    return { busyMs: parts.reduce((a, b) => a + b, 0) * TICK_MS, stealMs: (steal ?? 0) * TICK_MS };
  } catch {
    return null;
  }
}

/** Samples VmRSS every `intervalMs` while running; VmHWM (read at stop) is the authoritative peak. */
export class MemorySampler {
  private maxRssKb = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number, intervalMs = 200) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    const memory = readMemory(this.pid);
    if (memory && Number.isFinite(memory.rssKb)) this.maxRssKb = Math.max(this.maxRssKb, memory.rssKb);
  }

  stop(): { maxSampledRssKb: number; hwmKb: number | null } {
    this.sample();
    clearInterval(this.timer);
    const memory = readMemory(this.pid);
    return { maxSampledRssKb: this.maxRssKb, hwmKb: memory && Number.isFinite(memory.hwmKb) ? memory.hwmKb : null };
  }
}

/** A loopback port that was free a moment ago (the OS picks it; the tiny race is acceptable here). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
