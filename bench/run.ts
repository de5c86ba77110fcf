// `npm run bench`: the whole benchmark in one run, so every number in a report is comparable.
//
//   1. install Portkey into bench/.scratch (before any measurement, so npm's CPU is not measured)
//   2. start the mock upstream and the targets, each its own process: direct to mock, a bare Node
//      proxy (the floor any Node gateway starts from), Gatehouse, Portkey
//   3. smoke-check and warm up each target, one at a time
//   4. chat throughput in rounds that visit the targets in turn (chat-rounds.ts says why)
//   5. per target, one at a time: embeddings throughput, concurrency-1 latency, streamed TTFT (for
//      Gatehouse also the TTFT of an Anthropic upstream behind its OpenAI surface, and the guardrail
//      scenario: a 4 KB prompt without and with the default guardrail set, guardrail-overhead.ts)
//   6. read each target's peak RSS and stop it; write bench/results/<time>.json and
//      bench/results/latest.md, print the Markdown
//
// Load is only ever applied to one target at a time; the others sit idle. Knobs are environment
// variables (settings.ts). Exit code 1 only when the baseline or Gatehouse could not be measured
// at all; missed goals are reported, not failed.

import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { measureCache } from './cache.js';
import { chatLoad, combineRounds, measureChatRound, type ChatRound } from './chat-rounds.js';
import { measureGuardrailOverhead } from './guardrail-overhead.js';
import { runLoad } from './load.js';
import { anthropicStream, measureSerial, measureStreams, openaiStream } from './latency.js';
import { installPortkey } from './portkey.js';
import { MemorySampler, killAllChildren, readMemory, stopProcess } from './procs.js';
import { formatProfile, summarizeProfile } from './profile-summary.js';
import { compare, machineInfo, renderMarkdown, type BenchResults, type TargetResult } from './report.js';
import { embeddingsBody } from './requests.js';
import { loadSettings, type BenchSettings } from './settings.js';
import { smokeTest } from './smoke.js';
import {
  ROOT,
  SCRATCH,
  directTarget,
  packageVersion,
  profilesDir,
  startBareProxy,
  startGatehouse,
  startMock,
  startPortkey,
  UPSTREAM_KEY,
  type Mock,
  type Target,
  type TargetId,
} from './targets.js';

const RESULTS = path.join(ROOT, 'bench', 'results');

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A target that started and has not failed yet. */
interface Live {
  target: Target;
  result: TargetResult;
  sampler: MemorySampler;
  startedAt: number;
  rounds: ChatRound[];
  embeddingsOk: boolean;
}

interface TargetSpec {
  id: TargetId;
  label: string;
  version: string;
  start: () => Promise<Target>;
  /** Why this target is left out, if it is. */
  skip?: string;
}

async function startAll(specs: TargetSpec[]): Promise<{ live: Live[]; results: TargetResult[] }> {
  const live: Live[] = [];
  const results: TargetResult[] = [];
  for (const spec of specs) {
    const result: TargetResult = { id: spec.id, label: spec.label, version: spec.version, status: 'ok' };
    results.push(result);
    if (spec.skip) {
      result.status = 'skipped';
      result.error = spec.skip;
      continue;
    }
    log(`${spec.label}: starting`);
    const startedAt = Date.now();
    try {
      const target = await spec.start();
      result.startupMs = target.startupMs;
      result.logFile = target.logFile;
      result.memory = { idleRssKb: null, peakRssKb: null, maxSampledRssKb: 0 };
      live.push({ target, result, sampler: new MemorySampler(target.pid), startedAt, rounds: [], embeddingsOk: false });
      log(`${spec.label}: ready in ${target.startupMs.toFixed(0)} ms (pid ${target.pid})`);
    } catch (err) {
      result.status = 'failed';
      result.error = `could not start: ${errorText(err)}`;
      log(`${spec.label}: ${result.error}`);
    }
  }
  return { live, results };
}

/** Marks a target failed and stops it; the report shows what went wrong. */
async function fail(live: Live[], entry: Live, err: unknown): Promise<void> {
  entry.result.status = 'failed';
  entry.result.error = errorText(err);
  log(`${entry.target.label}: FAILED: ${entry.result.error}`);
  await finish(entry, null);
  live.splice(live.indexOf(entry), 1);
}

/** Runs `step` for each live target in turn; a throw fails only that target. */
async function eachTarget(live: Live[], step: (entry: Live) => Promise<void>): Promise<void> {
  for (const entry of [...live]) {
    try {
      await step(entry);
    } catch (err) {
      await fail(live, entry, err);
    }
  }
}

/** Reads the peak RSS, stops the process, and picks up its CPU profile if one was asked for. */
async function finish(entry: Live, settings: BenchSettings | null): Promise<void> {
  const memory = entry.sampler.stop();
  entry.result.memory = { idleRssKb: entry.result.memory?.idleRssKb ?? null, peakRssKb: memory.hwmKb, maxSampledRssKb: memory.maxSampledRssKb };
  const ended = await entry.target.stop();
  if (settings?.cpuProfile && entry.target.id !== 'direct' && entry.target.id !== 'floor') {
    const file = newestProfile(entry.target.id, entry.startedAt);
    if (file) {
      entry.result.profile = summarizeProfile(file);
      process.stderr.write(`\n${entry.target.label} ${formatProfile(entry.result.profile)}\n\n`);
    } else {
      log(`${entry.target.label}: no CPU profile written (process ended by ${ended})`);
    }
  }
}

/**
 * The main-thread profile of a gateway's newest profiled run (only with BENCH_CPU_PROF=1): Node
 * names each thread's file CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile, the main thread being 0.
 */
function newestProfile(prefix: string, since: number): string | null {
  const root = profilesDir();
  const runs = readdirSync(root)
    .filter((f) => new RegExp(`^${prefix}-\\d+$`).test(f))
    .map((f) => path.join(root, f))
    .filter((f) => statSync(f).mtimeMs >= since)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  const dir = runs[0];
  const main = dir && readdirSync(dir).find((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
  return main ? path.join(dir, main) : null;
}

async function measureAll(live: Live[], mock: Mock, settings: BenchSettings): Promise<void> {
  const direct = directTarget(mock);

  // Smoke check and warm-up, one target at a time.
  await eachTarget(live, async ({ target, result }) => {
    result.memory = { idleRssKb: readMemory(target.pid)?.rssKb ?? null, peakRssKb: null, maxSampledRssKb: 0 };
    result.smoke = await smokeTest(target);
    if (result.smoke.chat) throw new Error(`chat smoke check failed: ${result.smoke.chat}`);
  });
  await eachTarget(live, async (entry) => {
    const { target, result } = entry;
    entry.embeddingsOk = !result.smoke?.embeddings && settings.embeddingsSeconds > 0;
    log(`${target.label}: warm-up ${settings.warmupSeconds} s`);
    if (settings.warmupSeconds > 0) await chatLoad(target, settings.connections, settings.warmupSeconds);
    if (entry.embeddingsOk) await embeddingsLoad(target, settings, 1);
  });

  // Chat throughput: rounds that visit every target in turn, starting one further along each time.
  const rounds = Math.max(1, Math.floor(settings.rounds));
  const perRound = settings.durationSeconds / rounds;
  for (let round = 0; round < rounds; round++) {
    const order = [...live.slice(round % live.length), ...live.slice(0, round % live.length)];
    for (const entry of order) {
      if (!live.includes(entry)) continue;
      try {
        const measured = await measureChatRound(entry.target, mock, settings.connections, perRound);
        entry.rounds.push(measured);
        log(
          `${entry.target.label}: chat round ${round + 1}/${rounds}: ${Math.round(measured.load.rps)} req/s, ` +
            `p50 ${measured.load.latency.p50} ms, p99 ${measured.load.latency.p99} ms, non-2xx ${measured.load.non2xx}, errors ${measured.load.errors}`,
        );
      } catch (err) {
        await fail(live, entry, err);
      }
    }
  }
  for (const entry of live) {
    const combined = combineRounds(entry.rounds);
    entry.result.chat = combined.chat;
    entry.result.chatRounds = entry.rounds.map((r) => r.load);
    entry.result.chatUpstreamCalls = combined.upstreamCalls;
    if (combined.cpu) entry.result.cpu = combined.cpu;
    if (combined.cores) entry.result.cores = combined.cores;
  }

  // The rest, one target at a time: embeddings load, then the sequential measurements with
  // direct-to-mock requests interleaved (latency.ts says why).
  await eachTarget(live, async ({ target, result, embeddingsOk }) => {
    if (embeddingsOk) {
      log(`${target.label}: embeddings throughput, ${settings.embeddingsSeconds} s`);
      result.embeddings = await embeddingsLoad(target, settings, settings.embeddingsSeconds);
    }
    const baseline = target.id === 'direct' ? undefined : direct;
    const paired = baseline ? ' (each paired with one direct)' : '';
    log(`${target.label}: concurrency-1 latency, ${settings.serialRequests} requests${paired}`);
    result.serial = await measureSerial(
      target,
      { requests: settings.serialRequests, warmupRequests: 500, maxSeconds: settings.serialMaxSeconds },
      baseline,
    );
    log(`${target.label}: time to first token, ${settings.streams} streams${paired}`);
    const streamOptions = { streams: settings.streams, warmupStreams: 3, parallelWarmupStreams: 400, expectedTokens: settings.streamTokens, maxSeconds: 40 };
    result.stream = await measureStreams(openaiStream(target), streamOptions, baseline && openaiStream(baseline));
    if (target.id === 'gatehouse') {
      // The translation cost on the stream path: the mock's Anthropic stream through Gatehouse's
      // OpenAI surface, paired with the same Anthropic stream straight from the mock.
      log(`${target.label}: time to first token, Anthropic upstream behind the OpenAI surface, ${settings.streams} streams (each paired with one direct Anthropic stream)`);
      result.anthropicStream = await measureStreams(openaiStream(target, 'anthropic'), streamOptions, anthropicStream(mock, UPSTREAM_KEY));
      log(`${target.label}: response cache, hits against pass-throughs to the mock (each paired)`);
      result.cache = await measureCache(target, settings);
      if (settings.guardrailPairs > 0) {
        log(`${target.label}: guardrail scenario, ${settings.guardrailPairs} pairs of 4 KB requests without and with the default guardrail set`);
        result.guardrails = await measureGuardrailOverhead(target, { pairs: settings.guardrailPairs, warmupPairs: 200, maxSeconds: settings.serialMaxSeconds });
      }
    }
  });
}

function embeddingsLoad(target: Target, settings: BenchSettings, seconds: number) {
  return runLoad({
    url: `${target.origin}${target.embeddingsPath}`,
    connections: settings.connections,
    durationSeconds: seconds,
    headers: target.headers,
    body: embeddingsBody(target.embeddingsModel),
  });
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
    log(`installing @portkey-ai/gateway@${settings.portkeyVersion} into bench/.scratch/portkey-${settings.portkeyVersion}`);
    portkeyInstall = await installPortkey(SCRATCH, settings.portkeyVersion);
    log(
      portkeyInstall.ok
        ? `Portkey ${portkeyInstall.version} ${portkeyInstall.cached ? 'already installed' : `installed in ${((portkeyInstall.installMs ?? 0) / 1000).toFixed(1)} s`}`
        : `Portkey not available: ${portkeyInstall.error}`,
    );
  }

  log('starting mock upstream');
  const mock = await startMock(settings);
  log(`mock upstream on ${mock.url} (pid ${mock.child.pid})`);

  const portkeyEntry = portkeyInstall.ok && 'entry' in portkeyInstall ? portkeyInstall.entry : undefined;
  const portkeyVersion = ('version' in portkeyInstall && portkeyInstall.version) || settings.portkeyVersion;
  const specs: TargetSpec[] = [
    { id: 'direct', label: 'direct to mock', version: 'mock', start: async () => directTarget(mock) },
    { id: 'floor', label: 'bare Node proxy', version: '(floor)', start: () => startBareProxy(mock), skip: settings.skipFloor ? 'skipped (BENCH_SKIP_FLOOR=1)' : undefined },
    { id: 'gatehouse', label: 'Gatehouse', version: packageVersion(path.join(ROOT, 'package.json')), start: () => startGatehouse(mock, settings) },
    { id: 'gatehouse-keyed', label: 'Gatehouse keyed+limited', version: packageVersion(path.join(ROOT, 'package.json')), start: () => startGatehouse(mock, settings, 'keyed') },
    // The same as Gatehouse with its request log and metrics off: the two show what they cost.
    { id: 'gatehouse-unlogged', label: 'Gatehouse, request log and metrics off', version: packageVersion(path.join(ROOT, 'package.json')), start: () => startGatehouse(mock, settings, 'unlogged') },
    {
      id: 'portkey',
      label: 'Portkey',
      version: portkeyVersion,
      start: () => startPortkey(mock, settings, portkeyEntry as string, portkeyVersion),
      skip: portkeyEntry ? undefined : portkeyInstall.error,
    },
  ];

  let targets: TargetResult[] = [];
  let mockPeakRssKb: number | null = null;
  try {
    const { live, results } = await startAll(specs);
    targets = results;
    await measureAll(live, mock, settings);
    for (const entry of [...live]) await finish(entry, settings);
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

  const measured = (id: TargetId) => targets.find((t) => t.id === id)?.status === 'ok';
  return measured('direct') && measured('gatehouse') ? 0 : 1;
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
