// `npm run bench`: the whole benchmark in one run, so every number in a report is comparable.
//
//   1. install Portkey into bench/.scratch (before any measurement, so npm's CPU is not measured)
//   2. start the mock upstream (its own process)
//   3. for each target in turn (never two at once, the machine has 2 shared cores):
//      direct to mock, Gatehouse, Portkey
//        start -> smoke check -> warm-up -> chat throughput (autocannon, own process)
//        -> embeddings throughput -> concurrency-1 latency -> streamed TTFT -> peak RSS -> stop
//   4. write bench/results/<time>.json and bench/results/latest.md, print the Markdown
//
// Knobs are environment variables (see settings.ts). Exit code 1 only when the baseline or
// Gatehouse could not be measured at all; missed goals are reported, not failed.

import { readdirSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runLoad, type LoadResult } from './load.js';
import { measureSerial, measureStreams } from './latency.js';
import { installPortkey, type PortkeyInstall } from './portkey.js';
import { MemorySampler, killAllChildren, readCpuMs, readMemory, stopProcess } from './procs.js';
import { formatProfile, summarizeProfile } from './profile-summary.js';
import { compare, machineInfo, renderMarkdown, type BenchResults, type TargetResult } from './report.js';
import { chatBody, embeddingsBody } from './requests.js';
import { loadSettings, type BenchSettings } from './settings.js';
import { mockStats, smokeTest } from './smoke.js';
import { ROOT, SCRATCH, directTarget, packageVersion, profilesDir, startGatehouse, startMock, startPortkey, type Mock, type Target, type TargetId } from './targets.js';

const RESULTS = path.join(ROOT, 'bench', 'results');

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Everything measured for one running target. Each phase is bounded in time by its own options. */
async function measure(target: Target, mock: Mock, settings: BenchSettings): Promise<TargetResult> {
  const result: TargetResult = { id: target.id, label: target.label, version: target.version, status: 'ok', startupMs: target.startupMs, logFile: target.logFile };
  const sampler = new MemorySampler(target.pid);
  const idleRssKb = readMemory(target.pid)?.rssKb ?? null;
  try {
    result.smoke = await smokeTest(target);
    if (result.smoke.chat) throw new Error(`chat smoke check failed: ${result.smoke.chat}`);

    const chatLoad = (seconds: number) =>
      runLoad({ url: `${target.origin}${target.chatPath}`, connections: settings.connections, durationSeconds: seconds, headers: target.headers, body: chatBody(target.chatModel) });
    const embeddingsLoad = (seconds: number) =>
      runLoad({ url: `${target.origin}${target.embeddingsPath}`, connections: settings.connections, durationSeconds: seconds, headers: target.headers, body: embeddingsBody(target.embeddingsModel) });
    const embeddingsOk = !result.smoke.embeddings && settings.embeddingsSeconds > 0;

    log(`${target.label}: warm-up ${settings.warmupSeconds} s`);
    if (settings.warmupSeconds > 0) await chatLoad(settings.warmupSeconds);
    if (embeddingsOk) await embeddingsLoad(1);

    log(`${target.label}: chat throughput, ${settings.connections} connections, ${settings.durationSeconds} s`);
    const before = await mockStats(mock.origin);
    const cpuBefore = readCpuMs(target.pid);
    const chat: LoadResult = await chatLoad(settings.durationSeconds);
    const cpuAfter = readCpuMs(target.pid);
    const after = await mockStats(mock.origin);
    result.chat = chat;
    result.chatUpstreamCalls = after.chat - before.chat;
    if (cpuBefore !== null && cpuAfter !== null && chat.ok > 0) {
      result.cpu = { chatRunCpuMs: cpuAfter - cpuBefore, cpuMsPerThousandRequests: ((cpuAfter - cpuBefore) / chat.ok) * 1000 };
    }
    log(`${target.label}: ${Math.round(chat.rps)} req/s, p50 ${chat.latency.p50} ms, p99 ${chat.latency.p99} ms, non-2xx ${chat.non2xx}, errors ${chat.errors}`);

    if (embeddingsOk) {
      log(`${target.label}: embeddings throughput, ${settings.embeddingsSeconds} s`);
      result.embeddings = await embeddingsLoad(settings.embeddingsSeconds);
    }

    log(`${target.label}: concurrency-1 latency, ${settings.serialRequests} requests`);
    result.serial = await measureSerial(target, { requests: settings.serialRequests, warmupRequests: 200, maxSeconds: settings.serialMaxSeconds });

    log(`${target.label}: time to first token, ${settings.streams} streams`);
    result.stream = await measureStreams(target, {
      streams: settings.streams,
      warmupStreams: 3,
      expectedTokens: settings.streamTokens,
      maxSeconds: 30,
    });
  } catch (err) {
    result.status = 'failed';
    result.error = errorText(err);
    log(`${target.label}: FAILED: ${result.error}`);
  }
  const memory = sampler.stop();
  result.memory = { idleRssKb, peakRssKb: memory.hwmKb, maxSampledRssKb: memory.maxSampledRssKb };
  return result;
}

/** The newest profile a gateway wrote on exit (only with BENCH_CPU_PROF=1). */
function newestProfile(prefix: string, since: number): string | null {
  const dir = profilesDir();
  const files = readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f))
    .filter((f) => statSync(f).mtimeMs >= since)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return files[0] ?? null;
}

async function runGateway(
  id: TargetId,
  label: string,
  version: string,
  start: () => Promise<Target>,
  mock: Mock,
  settings: BenchSettings,
): Promise<TargetResult> {
  log(`${label}: starting`);
  const startedAt = Date.now();
  let target: Target;
  try {
    target = await start();
  } catch (err) {
    log(`${label}: could not start: ${errorText(err)}`);
    return { id, label, version, status: 'failed', error: `could not start: ${errorText(err)}` };
  }
  log(`${label}: ready in ${target.startupMs.toFixed(0)} ms (pid ${target.pid})`);
  const result = await measure(target, mock, settings);
  const ended = await target.stop();
  if (settings.cpuProfile) {
    const file = newestProfile(id, startedAt);
    if (file) {
      result.profile = summarizeProfile(file);
      process.stderr.write(`\n${label} ${formatProfile(result.profile)}\n\n`);
    } else {
      log(`${label}: no CPU profile written (process ended by ${ended}; --cpu-prof needs a clean exit on SIGTERM)`);
    }
  }
  return result;
}

async function main(): Promise<number> {
  const settings = loadSettings();
  const startedAt = new Date();
  const machine = machineInfo();
  mkdirSync(SCRATCH, { recursive: true });
  mkdirSync(RESULTS, { recursive: true });

  let portkeyInstall: BenchResults['portkeyInstall'];
  if (settings.skipPortkey) {
    portkeyInstall = { ok: false, skipped: true, error: 'skipped (BENCH_SKIP_PORTKEY=1)' };
  } else {
    log(`installing @portkey-ai/gateway@${settings.portkeyVersion} into bench/.scratch/portkey`);
    const installed: PortkeyInstall = await installPortkey(SCRATCH, settings.portkeyVersion);
    portkeyInstall = installed;
    log(installed.ok ? `Portkey ${installed.version} ${installed.cached ? 'already installed' : `installed in ${((installed.installMs ?? 0) / 1000).toFixed(1)} s`}` : `Portkey not available: ${installed.error}`);
  }

  log('starting mock upstream');
  const mock = await startMock(settings);
  log(`mock upstream on ${mock.url} (pid ${mock.child.pid})`);

  const targets: TargetResult[] = [];
  let mockPeakRssKb: number | null = null;
  try {
    log('direct to mock: measuring the baseline');
    const direct = await measure(directTarget(mock), mock, settings);
    direct.startupMs = 0;
    targets.push(direct);
    mockPeakRssKb = direct.memory?.peakRssKb ?? null;

    targets.push(
      await runGateway('gatehouse', 'Gatehouse', packageVersion(path.join(ROOT, 'package.json')), () => startGatehouse(mock, settings), mock, settings),
    );

    if (portkeyInstall.ok && 'entry' in portkeyInstall && portkeyInstall.entry) {
      const { entry, version = settings.portkeyVersion } = portkeyInstall;
      targets.push(await runGateway('portkey', 'Portkey', version, () => startPortkey(mock, settings, entry, version), mock, settings));
    } else {
      targets.push({ id: 'portkey', label: 'Portkey', version: settings.portkeyVersion, status: 'skipped', error: portkeyInstall.error });
    }
  } finally {
    const peak = readMemory(mock.child.pid)?.hwmKb;
    if (peak !== undefined && Number.isFinite(peak)) mockPeakRssKb = peak;
    await stopProcess(mock.child);
  }

  const finishedAt = new Date();
  const results: BenchResults = {
    kind: 'gatehouse-bench',
    schemaVersion: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    elapsedSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    machine,
    settings,
    portkeyInstall,
    mock: { peakRssKb: mockPeakRssKb },
    targets,
    comparison: compare(targets),
  };
  const markdown = renderMarkdown(results);
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const jsonFile = path.join(RESULTS, `${stamp}.json`);
  writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(RESULTS, 'latest.md'), markdown);
  process.stdout.write(`\n${markdown}\n`);
  log(`wrote ${path.relative(ROOT, jsonFile)} and bench/results/latest.md`);

  const baselineOk = targets.find((t) => t.id === 'direct')?.status === 'ok';
  const gatehouseOk = targets.find((t) => t.id === 'gatehouse')?.status === 'ok';
  return baselineOk && gatehouseOk ? 0 : 1;
}

// Never leave a gateway or the mock running behind us.
process.on('exit', killAllChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    killAllChildren();
    process.exit(1);
  },
);
