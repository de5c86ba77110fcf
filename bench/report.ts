// Turns one run's measurements into the two report forms: the full JSON (bench/results/<time>.json)
// and a Markdown summary (printed and written to bench/results/latest.md). "Added" numbers are a
// target's percentile minus the direct-to-mock percentile from the same run, so the cost of the
// client, the mock and the loopback hop cancels out; ratios are only meaningful within one run.

import os from 'node:os';
import type { CacheScenario } from './cache.js';
import type { GuardrailOverheadResult } from './guardrail-overhead.js';
import type { LoadResult } from './load.js';
import type { SerialResult, StreamResult } from './latency.js';
import type { PortkeyInstall } from './portkey.js';
import type { ProfileSummary } from './profile-summary.js';
import type { BenchSettings } from './settings.js';
import type { SmokeResult } from './smoke.js';
import type { TargetId } from './targets.js';

export interface TargetResult {
  id: TargetId;
  label: string;
  version: string;
  status: 'ok' | 'failed' | 'skipped';
  error?: string;
  startupMs?: number;
  smoke?: SmokeResult;
  chat?: LoadResult;
  /** The rounds `chat` combines (chat-rounds.ts). */
  chatRounds?: LoadResult[];
  /** Chat calls the mock answered during the measured chat run (should match chat.ok). */
  chatUpstreamCalls?: number;
  embeddings?: LoadResult;
  serial?: SerialResult;
  stream?: StreamResult;
  /** Gatehouse only: an Anthropic upstream's stream through the OpenAI surface, paired with direct Anthropic streams. */
  anthropicStream?: StreamResult;
  /** Gatehouse only: cache hits against pass-throughs to the mock (bench/cache.ts). */
  cache?: CacheScenario;
  /** Gatehouse only: a 4 KB prompt without and with the default guardrail set, in pairs. */
  guardrails?: GuardrailOverheadResult;
  memory?: { idleRssKb: number | null; peakRssKb: number | null; maxSampledRssKb: number };
  cpu?: { chatRunCpuMs: number; cpuMsPerThousandRequests: number };
  /** Where the machine's CPU went during the measured chat run, in cores (1.0 = one core busy). */
  cores?: { target: number; mock: number | null; loadGenerator: number; other: number; steal: number; wallSeconds: number };
  profile?: ProfileSummary;
  logFile?: string;
}

export interface Comparison {
  throughputRatioGatehouseToPortkey: number | null;
  throughputRatioGatehouseToDirect: number | null;
  throughputRatioGatehouseToFloor: number | null;
  /** Keyed+limited Gatehouse over open Gatehouse: the cost of access control (goal: within 10%). */
  throughputRatioKeyedToOpen: number | null;
  /** Gatehouse (request log and metrics on, the default) over the same with both off. */
  throughputRatioLoggedToUnlogged: number | null;
  /** Portkey's CPU time per request over Gatehouse's: efficiency, less sensitive to other load. */
  cpuPerRequestRatioPortkeyToGatehouse: number | null;
  /** Gatehouse's added latency minus the bare proxy's: the part that is Gatehouse's own work. */
  gatehouseAboveFloor: { serialP50Ms: number | null; ttftP50Ms: number | null } | null;
  /** Added TTFT of an Anthropic upstream behind Gatehouse's OpenAI surface (stream translated event by event). */
  gatehouseAnthropicTtft: { p50Ms: number | null; p99Ms: number | null } | null;
  added: Partial<
    Record<
      TargetId,
      {
        serialP50Ms: number | null;
        serialP99Ms: number | null;
        loadP50Ms: number | null;
        loadP99Ms: number | null;
        ttftP50Ms: number | null;
        ttftP99Ms: number | null;
      }
    >
  >;
  goals: { name: string; target: string; value: number | null; met: boolean | null }[];
}

export interface BenchResults {
  kind: 'gatehouse-bench';
  schemaVersion: 1;
  startedAt: string;
  finishedAt: string;
  elapsedSeconds: number;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; os: string; loadAverageAtStart: number[] };
  settings: BenchSettings;
  portkeyInstall: PortkeyInstall | { ok: false; error: string; skipped: true };
  mock: { peakRssKb: number | null };
  targets: TargetResult[];
  comparison: Comparison;
}

export function machineInfo(): BenchResults['machine'] {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

function diff(a: number | undefined, b: number | undefined): number | null {
  return a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) ? null : a - b;
}

export function compare(targets: TargetResult[]): Comparison {
  const byId = new Map(targets.filter((t) => t.status === 'ok').map((t) => [t.id, t]));
  const direct = byId.get('direct');
  const floor = byId.get('floor');
  const gatehouse = byId.get('gatehouse');
  const portkey = byId.get('portkey');
  const keyed = byId.get('gatehouse-keyed');
  const unlogged = byId.get('gatehouse-unlogged');
  const added: Comparison['added'] = {};
  for (const target of [floor, gatehouse, keyed, portkey]) {
    if (!target) continue;
    // Sequential phases compare against the direct requests interleaved with them (same minute,
    // same noise); the load phase against the direct load run earlier in this bench.
    const serialBase = target.serial?.baselineLatencyMs ?? direct?.serial?.latencyMs;
    const ttftBase = target.stream?.baselineTtftMs ?? direct?.stream?.ttftMs;
    added[target.id] = {
      serialP50Ms: diff(target.serial?.latencyMs.p50, serialBase?.p50),
      serialP99Ms: diff(target.serial?.latencyMs.p99, serialBase?.p99),
      loadP50Ms: diff(target.chat?.latency.p50, direct?.chat?.latency.p50),
      loadP99Ms: diff(target.chat?.latency.p99, direct?.chat?.latency.p99),
      ttftP50Ms: diff(target.stream?.ttftMs.p50, ttftBase?.p50),
      ttftP99Ms: diff(target.stream?.ttftMs.p99, ttftBase?.p99),
    };
  }
  const ratio = (a?: LoadResult, b?: LoadResult) => (a && b && b.rps > 0 ? a.rps / b.rps : null);
  const throughputRatioGatehouseToPortkey = ratio(gatehouse?.chat, portkey?.chat);
  const addedP50 = added.gatehouse?.serialP50Ms ?? null;
  const anthropic = gatehouse?.anthropicStream;
  const gatehouseAnthropicTtft = anthropic
    ? { p50Ms: diff(anthropic.ttftMs.p50, anthropic.baselineTtftMs?.p50), p99Ms: diff(anthropic.ttftMs.p99, anthropic.baselineTtftMs?.p99) }
    : null;
  const anthropicP50 = gatehouseAnthropicTtft?.p50Ms ?? null;
  const keyedToOpen = ratio(keyed?.chat, gatehouse?.chat);
  const guardrailsP50 = gatehouse?.guardrails?.pairs ? gatehouse.guardrails.addedMs.p50 : null;
  const loggedToUnlogged = ratio(gatehouse?.chat, unlogged?.chat);
  return {
    throughputRatioKeyedToOpen: keyedToOpen,
    throughputRatioLoggedToUnlogged: loggedToUnlogged,
    throughputRatioGatehouseToPortkey,
    throughputRatioGatehouseToDirect: ratio(gatehouse?.chat, direct?.chat),
    throughputRatioGatehouseToFloor: ratio(gatehouse?.chat, floor?.chat),
    cpuPerRequestRatioPortkeyToGatehouse:
      portkey?.cpu && gatehouse?.cpu && gatehouse.cpu.cpuMsPerThousandRequests > 0
        ? portkey.cpu.cpuMsPerThousandRequests / gatehouse.cpu.cpuMsPerThousandRequests
        : null,
    gatehouseAboveFloor:
      added.gatehouse && added.floor
        ? {
            serialP50Ms: diff(added.gatehouse.serialP50Ms ?? undefined, added.floor.serialP50Ms ?? undefined),
            ttftP50Ms: diff(added.gatehouse.ttftP50Ms ?? undefined, added.floor.ttftP50Ms ?? undefined),
          }
        : null,
    gatehouseAnthropicTtft,
    added,
    goals: [
      {
        name: 'Gatehouse keyed+limited throughput / open throughput',
        target: '>= 0.9',
        value: keyedToOpen,
        met: keyedToOpen === null ? null : keyedToOpen >= 0.9,
      },
      {
        name: 'Gatehouse throughput with the request log and metrics / without them',
        target: '>= 0.9',
        value: loggedToUnlogged,
        met: loggedToUnlogged === null ? null : loggedToUnlogged >= 0.9,
      },
      {
        name: 'Gatehouse throughput / Portkey throughput',
        target: '>= 5x',
        value: throughputRatioGatehouseToPortkey,
        met: throughputRatioGatehouseToPortkey === null ? null : throughputRatioGatehouseToPortkey >= 5,
      },
      {
        name: 'Gatehouse added p50 latency at concurrency 1',
        target: '< 1 ms',
        value: addedP50,
        met: addedP50 === null ? null : addedP50 < 1,
      },
      {
        name: 'Gatehouse added p50 time to first token, Anthropic upstream behind the OpenAI surface',
        target: '< 1 ms',
        value: anthropicP50,
        met: anthropicP50 === null ? null : anthropicP50 < 1,
      },
      {
        name: 'Default guardrail set, added p50 latency for a 4 KB prompt (paired, concurrency 1)',
        target: '< 1 ms',
        value: guardrailsP50,
        met: guardrailsP50 === null ? null : guardrailsP50 < 1,
      },
    ],
  };
}

// ---------- Markdown ----------

const dash = '—';
const int = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? dash : Math.round(v).toLocaleString('en-US'));
const ms = (v: number | null | undefined, digits: number) =>
  v === null || v === undefined || !Number.isFinite(v) ? dash : v.toFixed(digits);
const signed = (v: number | null | undefined, digits: number) =>
  v === null || v === undefined || !Number.isFinite(v) ? dash : `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`;
const pair = (a: string, b: string) => (a === dash && b === dash ? dash : `${a} / ${b}`);
const mb = (kb: number | null | undefined) => (kb === null || kb === undefined || !Number.isFinite(kb) ? dash : (kb / 1024).toFixed(0));

/** Fewer complete streams than measured ones, or none measured at all. */
const incomplete = (s: StreamResult | undefined) => Boolean(s && (s.complete < s.ttftMs.count || s.ttftMs.count === 0));

export function renderMarkdown(results: BenchResults): string {
  const { targets, comparison, settings, machine } = results;
  const cell = (t: TargetResult, render: (t: TargetResult) => string) => (t.status === 'ok' ? render(t) : t.status === 'skipped' ? 'skipped' : 'failed');
  const added = (t: TargetResult) => comparison.added[t.id];
  const rows: [string, (t: TargetResult) => string][] = [
    [`Throughput, non-stream chat, ${settings.connections} connections (req/s)`, (t) => int(t.chat?.rps)],
    ['… its rounds, lowest–highest (req/s)', (t) => {
      const rps = (t.chatRounds ?? []).map((r) => r.rps);
      return rps.length > 1 ? `${int(Math.min(...rps))}–${int(Math.max(...rps))}` : dash;
    }],
    ['Latency under that load, p50 / p99 (ms)', (t) => pair(ms(t.chat?.latency.p50, 0), ms(t.chat?.latency.p99, 0))],
    ['**Added** latency under load, p50 / p99 (ms)', (t) => (t.id === 'direct' ? dash : pair(signed(added(t)?.loadP50Ms, 0), signed(added(t)?.loadP99Ms, 0)))],
    ['Latency at concurrency 1, p50 / p99 (ms)', (t) => pair(ms(t.serial?.latencyMs.p50, 3), ms(t.serial?.latencyMs.p99, 3))],
    ['Direct-to-mock requests interleaved with those, p50 / p99 (ms)', (t) => pair(ms(t.serial?.baselineLatencyMs?.p50, 3), ms(t.serial?.baselineLatencyMs?.p99, 3))],
    ['**Added** latency at concurrency 1, p50 / p99 (ms)', (t) => (t.id === 'direct' ? dash : pair(signed(added(t)?.serialP50Ms, 3), signed(added(t)?.serialP99Ms, 3)))],
    ['Self-reported overhead header at concurrency 1, p50 / p99 (ms)', (t) => pair(ms(t.serial?.selfReportedOverheadMs?.p50, 3), ms(t.serial?.selfReportedOverheadMs?.p99, 3))],
    ['Stream time to first token, p50 / p99 (ms)', (t) => pair(ms(t.stream?.ttftMs.p50, 2), ms(t.stream?.ttftMs.p99, 2))],
    ['Direct-to-mock TTFT interleaved with those, p50 / p99 (ms)', (t) => pair(ms(t.stream?.baselineTtftMs?.p50, 2), ms(t.stream?.baselineTtftMs?.p99, 2))],
    ['**Added** time to first token, p50 / p99 (ms)', (t) => (t.id === 'direct' ? dash : pair(signed(added(t)?.ttftP50Ms, 2), signed(added(t)?.ttftP99Ms, 2)))],
    ['**Added** time to first token, Anthropic upstream behind the OpenAI surface, p50 / p99 (ms)', (t) =>
      t.id === 'gatehouse' ? pair(signed(comparison.gatehouseAnthropicTtft?.p50Ms, 2), signed(comparison.gatehouseAnthropicTtft?.p99Ms, 2)) : dash],
    ['Stream first→last token, p50 (ms)', (t) => ms(t.stream?.spreadMs.p50, 1)],
    ['Streams complete (all tokens, usage chunk, [DONE])', (t) => (t.stream ? `${t.stream.complete}/${t.stream.ttftMs.count + t.stream.failures}` : dash)],
    [`Embeddings throughput, ${settings.connections} connections (req/s)`, (t) => (t.embeddings ? int(t.embeddings.rps) : t.smoke?.embeddings ? 'failed' : dash)],
    ['CPU per 1,000 chat requests (ms)', (t) => ms(t.cpu?.cpuMsPerThousandRequests, 0)],
    ['Cores busy in the chat run: target / mock / load generator / other', (t) =>
      t.cores ? [t.cores.target, t.cores.mock, t.cores.loadGenerator, t.cores.other].map((v) => (v === null ? dash : v.toFixed(2))).join(' / ') : dash],
    ['Peak RSS (MB, VmHWM; direct = the mock)', (t) => mb(t.memory?.peakRssKb)],
    ['RSS after start, before load (MB)', (t) => mb(t.memory?.idleRssKb)],
    ['Non-2xx / errors / timeouts in load runs', (t) => {
      const runs = [t.chat, t.embeddings].filter((r): r is LoadResult => Boolean(r));
      if (runs.length === 0) return dash;
      const sum = (f: (r: LoadResult) => number) => runs.reduce((acc, r) => acc + f(r), 0);
      return `${sum((r) => r.non2xx)} / ${sum((r) => r.errors)} / ${sum((r) => r.timeouts)}`;
    }],
  ];

  const header = `| Metric | ${targets.map((t) => `${t.label}${t.id === 'direct' ? '' : ` ${t.version}`}`).join(' | ')} |`;
  const align = `|---|${targets.map(() => '---:').join('|')}|`;
  const body = rows.map(([label, render]) => `| ${label} | ${targets.map((t) => cell(t, render)).join(' | ')} |`);

  const goalLines = comparison.goals.map((g) => {
    const value =
      g.value === null ? 'not measured' : g.target.endsWith('ms') ? `${g.value.toFixed(3)} ms` : `${g.value.toFixed(2)}x`;
    const verdict = g.met === null ? 'n/a' : g.met ? 'met' : 'NOT met';
    return `- ${g.name}: **${value}** (goal ${g.target}: ${verdict})`;
  });
  const anthropic = targets.find((t) => t.id === 'gatehouse')?.anthropicStream;
  if (anthropic) {
    goalLines.push(
      `- Anthropic upstream behind Gatehouse's OpenAI surface: TTFT p50 ${ms(anthropic.ttftMs.p50, 2)} ms, direct-to-mock Anthropic streams interleaved ${ms(anthropic.baselineTtftMs?.p50, 2)} ms; ` +
        `first→last token ${ms(anthropic.spreadMs.p50, 1)} ms; ${anthropic.complete}/${anthropic.ttftMs.count + anthropic.failures} streams complete`,
    );
  }
  const cache = targets.find((t) => t.id === 'gatehouse')?.cache;
  if (cache) {
    // The goal is judged against the realistic upstream; the instant mock's ratio compares the gateway's two paths (docs/caching.md).
    const verdict = (ratio: number) => (ratio >= 3 ? 'met' : 'NOT met');
    const hitVsPass = (serial: SerialResult) => `p50 ${ms(serial.latencyMs.p50, 3)} ms vs ${ms(serial.baselineLatencyMs?.p50, 3)} ms`;
    const { realistic } = cache;
    goalLines.push(
      `- Response cache hit vs pass-through, concurrency 1, realistic upstream (answers after ${realistic.generationMs} ms, a whole answer's generation): ${hitVsPass(realistic.serial)}, **${realistic.ratio.toFixed(1)}x** faster (goal 3x: ${verdict(realistic.ratio)}); ` +
        `streams, time to first token: ${ms(cache.stream.ttftMs.p50, 3)} ms vs ${ms(cache.stream.baselineTtftMs?.p50, 2)} ms, **${cache.streamRatio.toFixed(1)}x** (goal 3x: ${verdict(cache.streamRatio)})`,
      `- Response cache hit vs pass-through to the instant mock (the gateway's hit path vs its pass-through path, no generation time; not the goal's measure): ${hitVsPass(cache.serial)}, ${cache.ratio.toFixed(1)}x`,
    );
  }
  const guardrails = targets.find((t) => t.id === 'gatehouse')?.guardrails;
  if (guardrails?.pairs) {
    goalLines.push(
      `- Guardrails, ${guardrails.promptBytes}-byte prompt, ${guardrails.pairs} pairs on one Gatehouse: without p50 ${ms(guardrails.plainMs.p50, 3)} ms, ` +
        `with the default set (${guardrails.rules.join(', ')}) p50 ${ms(guardrails.guardedMs.p50, 3)} ms; ` +
        `added per pair p50 ${signed(guardrails.addedMs.p50, 3)} / p90 ${signed(guardrails.addedMs.p90, 3)} ms, ` +
        `by the overhead header p50 ${signed(guardrails.addedOverheadMs.p50, 3)} / p90 ${signed(guardrails.addedOverheadMs.p90, 3)} ms`,
    );
  }
  if (comparison.cpuPerRequestRatioPortkeyToGatehouse !== null) {
    goalLines.push(
      `- Portkey CPU per request / Gatehouse CPU per request: ${comparison.cpuPerRequestRatioPortkeyToGatehouse.toFixed(2)}x (efficiency; less sensitive to other load on the machine)`,
    );
  }
  if (comparison.throughputRatioGatehouseToFloor !== null) {
    goalLines.push(`- Gatehouse throughput / bare-proxy throughput: ${comparison.throughputRatioGatehouseToFloor.toFixed(2)}`);
  }
  if (comparison.throughputRatioGatehouseToDirect !== null) {
    goalLines.push(`- Gatehouse throughput / direct-to-mock throughput: ${comparison.throughputRatioGatehouseToDirect.toFixed(2)}`);
  }
  if (comparison.gatehouseAboveFloor) {
    const f = comparison.gatehouseAboveFloor;
    goalLines.push(
      `- Gatehouse above the bare-proxy floor: ${signed(f.serialP50Ms, 3)} ms p50 at concurrency 1, ${signed(f.ttftP50Ms, 2)} ms p50 time to first token`,
    );
  }

  const problems = targets
    .filter((t) => t.status !== 'ok' || t.smoke?.embeddings || incomplete(t.stream) || incomplete(t.anthropicStream) || t.serial?.failures || t.guardrails?.failures)
    .map((t) => {
      const parts = [
        t.error,
        t.smoke?.embeddings && `embeddings: ${t.smoke.embeddings}`,
        t.serial?.failures ? `concurrency-1 failures: ${t.serial.failures} (${t.serial.lastError})` : undefined,
        t.stream?.lastError && `streams: ${t.stream.lastError}`,
        t.anthropicStream?.lastError && `Anthropic-upstream streams: ${t.anthropicStream.lastError}`,
        t.guardrails?.failures ? `guardrail scenario failures: ${t.guardrails.failures} (${t.guardrails.lastError})` : undefined,
      ].filter(Boolean);
      return `- ${t.label}: ${parts.join('; ')}`;
    });
  for (const t of targets) {
    if (t.chat && t.chatUpstreamCalls !== undefined && t.chatUpstreamCalls < t.chat.ok * 0.99) {
      problems.push(`- ${t.label}: ${t.chat.ok} chat responses but only ${t.chatUpstreamCalls} upstream calls (cached or synthesized answers?)`);
    }
  }
  // A failed install already shows as the Portkey target's error; say it here only if it does not.
  if (results.portkeyInstall.ok === false && !targets.some((t) => t.id === 'portkey' && t.error)) {
    problems.push(`- Portkey install: ${results.portkeyInstall.error}`);
  }

  const when = results.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const lines = [
    `## Benchmark run ${when}`,
    '',
    `Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GiB, ${machine.os}, Node ${machine.node}; ` +
      `load average at start ${machine.loadAverageAtStart.join(' ')}. Mock, gateway and load generator share these cores.`,
    `Load: autocannon, ${settings.connections} connections, ${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s measured per target ` +
      `in ${settings.rounds} rounds that visit the targets in turn ` +
      `(embeddings ${settings.embeddingsSeconds} s); concurrency 1: ${settings.serialRequests} sequential requests; ` +
      `streams: ${settings.streams} sequential, mock TTFT ${settings.ttftMs} ms then ${settings.streamTokens} tokens ${settings.tokenDelayMs} ms apart.`,
    '',
    header,
    align,
    ...body,
    '',
    ...goalLines,
  ];
  if (problems.length) lines.push('', 'Problems seen in this run:', ...problems);
  lines.push('', `Total bench time ${results.elapsedSeconds.toFixed(0)} s.`);
  return `${lines.join('\n')}\n`;
}
