// The things the bench sends load to: the mock itself (the baseline every "added" number is measured
// against), Gatehouse, and Portkey. Each target knows how to start its process, when it is ready, and
// how a client addresses it (paths, headers, model names). All listen on, and are called at, 127.0.0.1.

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startProcess, stopProcess, waitForHttp, waitForReadyLine, type Child } from './procs.js';
import type { BenchSettings } from './settings.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SCRATCH = path.join(ROOT, 'bench', '.scratch');
const LOGS = path.join(SCRATCH, 'logs');
const PROFILES = path.join(SCRATCH, 'profiles');

/** Client key for direct and Portkey calls; Gatehouse gets it from its config instead. */
export const UPSTREAM_KEY = 'bench-key';

export type TargetId = 'direct' | 'floor' | 'gatehouse' | 'gatehouse-keyed' | 'gatehouse-unlogged' | 'portkey';

/** The client key of the keyed target; its hash is in bench/gatehouse.keyed.bench.yaml. */
const KEYED_CLIENT_KEY = 'ghk_bench-client-key-for-the-keyed-target-000';

export interface Target {
  id: TargetId;
  label: string;
  version: string;
  origin: string;
  chatPath: string;
  embeddingsPath: string;
  headers: Record<string, string>;
  chatModel: string;
  embeddingsModel: string;
  /** The process whose memory and CPU are reported for this target. */
  pid: number;
  startupMs: number;
  /** Log file of the target's process. */
  logFile: string;
  stop(): Promise<string>;
}

export interface Mock {
  child: Child;
  port: number;
  /** Base URL a gateway is configured with, including /v1. */
  url: string;
  origin: string;
}

function ensureDirs(): void {
  mkdirSync(LOGS, { recursive: true });
  mkdirSync(PROFILES, { recursive: true });
}

/**
 * Node flags for a profiled gateway run (BENCH_CPU_PROF=1). --cpu-prof writes the profile only on a
 * normal exit, and a process killed by SIGTERM's default action never gets there, so a one-line
 * preload turns SIGTERM into process.exit(0) (only in profiled runs).
 */
function profileFlags(settings: BenchSettings, name: string): string[] {
  if (!settings.cpuProfile) return [];
  return [
    '--cpu-prof',
    // A directory per run: each thread (the gateway's, the request log writer's) writes its own file there.
    `--cpu-prof-dir=${path.join(PROFILES, `${name}-${Date.now()}`)}`,
    '--import=data:text/javascript,process.once("SIGTERM",()=>process.exit(0))',
  ];
}

export function profilesDir(): string {
  return PROFILES;
}

export async function startMock(settings: BenchSettings): Promise<Mock> {
  ensureDirs();
  // Run through tsx's loader in its own process: esbuild-compiled code runs at plain Node speed.
  const child = startProcess(
    'mock-upstream',
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(ROOT, 'bench', 'mock-upstream.ts'),
      '--port',
      '0',
      '--ttft-ms',
      String(settings.ttftMs),
      '--token-delay-ms',
      String(settings.tokenDelayMs),
      '--tokens',
      String(settings.streamTokens),
      '--api-key',
      UPSTREAM_KEY,
    ],
    { cwd: ROOT, logFile: path.join(LOGS, 'mock-upstream.log'), pipeStdout: true, env: { ...process.env, NODE_ENV: 'production' } },
  );
  const ready = await waitForReadyLine(child, 20_000);
  const port = Number(ready.port);
  const origin = `http://127.0.0.1:${port}`;
  await waitForHttp(child, `${origin}/health`, 5_000);
  return { child, port, origin, url: `${origin}/v1` };
}

export function directTarget(mock: Mock): Target {
  return {
    id: 'direct',
    label: 'direct to mock',
    version: 'mock',
    origin: mock.origin,
    chatPath: '/v1/chat/completions',
    embeddingsPath: '/v1/embeddings',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${UPSTREAM_KEY}` },
    chatModel: 'gpt-4o-mini',
    embeddingsModel: 'text-embedding-3-small',
    pid: mock.child.pid,
    startupMs: 0,
    logFile: mock.child.logFile,
    // The mock outlives every target; run.ts stops it at the very end.
    stop: async () => 'kept',
  };
}

export function packageVersion(file: string): string {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** A new database file per target and run (under bench/.scratch, which is not kept). */
function freshDatabase(id: TargetId): string {
  const dir = path.join(SCRATCH, 'databases');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${id}.db`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  return file;
}

/** How a Gatehouse target is configured. */
export type GatehouseVariant = 'open' | 'keyed' | 'unlogged';

const GATEHOUSE_TARGETS: Record<GatehouseVariant, { id: TargetId; label: string }> = {
  open: { id: 'gatehouse', label: 'Gatehouse' },
  keyed: { id: 'gatehouse-keyed', label: 'Gatehouse keyed+limited' },
  unlogged: { id: 'gatehouse-unlogged', label: 'Gatehouse, request log and metrics off' },
};

/** The open config with the request log and the metrics switched off, written to the scratch directory. */
function unloggedConfig(): string {
  const file = path.join(SCRATCH, 'gatehouse.unlogged.bench.yaml');
  writeFileSync(file, `${readFileSync(path.join(ROOT, 'bench', 'gatehouse.bench.yaml'), 'utf8')}
request_log: { enabled: false }
telemetry: { metrics: { enabled: false } }
`);
  return file;
}

/**
 * Gatehouse open (no keys, no limits; request log and metrics on, as by default), `keyed`: every
 * request with a key under rate and token limits, or `unlogged`: open with the request log and metrics off.
 */
export async function startGatehouse(mock: Mock, settings: BenchSettings, variant: GatehouseVariant = 'open'): Promise<Target> {
  const { id, label } = GATEHOUSE_TARGETS[variant];
  const keyed = variant === 'keyed';
  ensureDirs();
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/cli/main.js is missing: run `npm run build` first (npm run bench does)');
  }
  const port = await freePort();
  const child = startProcess(
    id,
    process.execPath,
    [
      ...profileFlags(settings, id),
      path.join(ROOT, 'bin', 'gatehouse.js'),
      'serve',
      '--config',
      variant === 'unlogged' ? unloggedConfig() : path.join(ROOT, 'bench', keyed ? 'gatehouse.keyed.bench.yaml' : 'gatehouse.bench.yaml'),
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
    ],
    {
      cwd: ROOT,
      logFile: path.join(LOGS, `${id}.log`),
      // warn: no per-request access log lines; the bench measures the proxy path, not log I/O.
      // A fresh SQLite file, as `npm start` uses: the request log writes to it in batches from its
      // own thread (the hot path never reads it).
      env: { ...process.env, NODE_ENV: 'production', GATEHOUSE_LOG_LEVEL: 'warn', BENCH_MOCK_URL: mock.url, BENCH_MOCK_ORIGIN: mock.origin, GATEHOUSE_DATABASE_URL: `sqlite://${freshDatabase(id)}` },
    },
  );
  const origin = `http://127.0.0.1:${port}`;
  try {
    const startupMs = await waitForHttp(child, `${origin}/health`, 20_000);
    return {
      id,
      label,
      version: packageVersion(path.join(ROOT, 'package.json')),
      origin,
      chatPath: '/v1/chat/completions',
      embeddingsPath: '/v1/embeddings',
      // The open config declares no keys. Model names are Gatehouse endpoint names.
      headers: { 'content-type': 'application/json', ...(keyed ? { authorization: `Bearer ${KEYED_CLIENT_KEY}` } : {}) },
      chatModel: 'chat',
      embeddingsModel: 'embeddings',
      pid: child.pid,
      startupMs,
      logFile: child.logFile,
      stop: () => stopProcess(child),
    };
  } catch (err) {
    await stopProcess(child);
    throw err;
  }
}

export async function startPortkey(mock: Mock, settings: BenchSettings, entry: string, version: string): Promise<Target> {
  ensureDirs();
  const port = await freePort();
  // --headless and NODE_ENV=production: no console UI, no static files; the plain proxy.
  // Portkey has no host option and listens on all interfaces; the bench only calls it on 127.0.0.1.
  const child = startProcess(
    'portkey',
    process.execPath,
    [...profileFlags(settings, 'portkey'), entry, `--port=${port}`, '--headless'],
    { cwd: path.dirname(entry), logFile: path.join(LOGS, 'portkey.log'), env: { ...process.env, NODE_ENV: 'production' } },
  );
  const origin = `http://127.0.0.1:${port}`;
  try {
    const startupMs = await waitForHttp(child, `${origin}/`, 20_000);
    return {
      id: 'portkey',
      label: 'Portkey',
      version,
      origin,
      chatPath: '/v1/chat/completions',
      embeddingsPath: '/v1/embeddings',
      // Portkey's header-only routing to an OpenAI-compatible host; the client key is passed through.
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${UPSTREAM_KEY}`,
        'x-portkey-provider': 'openai',
        'x-portkey-custom-host': mock.url,
      },
      chatModel: 'gpt-4o-mini',
      embeddingsModel: 'text-embedding-3-small',
      pid: child.pid,
      startupMs,
      logFile: child.logFile,
      stop: () => stopProcess(child),
    };
  } catch (err) {
    await stopProcess(child);
    throw err;
  }
}

/** The reference "floor" column: a bare undici pass-through proxy (bench/bare-proxy.ts). */
export async function startBareProxy(mock: Mock): Promise<Target> {
  ensureDirs();
  const child = startProcess(
    'bare-proxy',
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'bench', 'bare-proxy.ts'), '--port', '0', '--upstream', mock.origin],
    { cwd: ROOT, logFile: path.join(LOGS, 'bare-proxy.log'), pipeStdout: true, env: { ...process.env, NODE_ENV: 'production' } },
  );
  try {
    const started = performance.now();
    const ready = await waitForReadyLine(child, 20_000);
    const origin = `http://127.0.0.1:${Number(ready.port)}`;
    await waitForHttp(child, `${origin}/health`, 5_000);
    return {
      id: 'floor',
      label: 'bare Node proxy',
      version: '(floor)',
      origin,
      chatPath: '/v1/chat/completions',
      embeddingsPath: '/v1/embeddings',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${UPSTREAM_KEY}` },
      chatModel: 'gpt-4o-mini',
      embeddingsModel: 'text-embedding-3-small',
      pid: child.pid,
      startupMs: performance.now() - started,
      logFile: child.logFile,
      stop: () => stopProcess(child),
    };
  } catch (err) {
    await stopProcess(child);
    throw err;
  }
}
