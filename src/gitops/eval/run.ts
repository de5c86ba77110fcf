// Runs a suite: every case's samples as separate requests, at most `concurrency` at once, each
// answer checked against the suite's and the case's assertions. Results are per case: pass rate,
// latency, tokens and cost.
import { check, type Answer, type AssertionResult } from './assertions.js';
import type { EvalClient } from './client.js';
import { judgeAnswer } from './judge.js';
import { requestBody, type EvalCase, type Suite } from './suite.js';

export interface SampleResult {
  sample: number;
  passed: boolean;
  status: number;
  latency_ms: number;
  total_tokens?: number;
  cost_usd?: number;
  request_id?: string;
  assertions: AssertionResult[];
}

export interface Stats {
  mean: number;
  p50: number;
  p95: number;
  max: number;
}

export interface CaseResult {
  name: string;
  target: string;
  passed: boolean;
  pass_rate: number;
  min_pass_rate: number;
  samples: SampleResult[];
  latency_ms: Stats;
  /** Total tokens per sample; null when no answer reported usage. */
  tokens: Stats | null;
  /** Summed over the samples; null when the gateway reported no cost. */
  cost_usd: number | null;
}

export interface EvalResult {
  suite: string;
  gateway: string;
  started_at: string;
  duration_ms: number;
  passed: boolean;
  summary: { cases: number; passed_cases: number; samples: number; passed_samples: number; pass_rate: number; cost_usd: number | null };
  cases: CaseResult[];
}

export interface RunOptions {
  concurrency: number;
  /** Overrides every case's sample count. */
  samples?: number;
  /** Overrides the suite's target. */
  target?: string;
  /** Called after each finished sample. */
  onSample?(caseName: string, done: number, total: number, passed: boolean): void;
}

export async function runSuite(suite: Suite, client: EvalClient, options: RunOptions): Promise<EvalResult> {
  const started = new Date();
  const effective: Suite = options.target ? { ...suite, target: options.target } : suite;
  const jobs = effective.cases.flatMap((c, caseIndex) => Array.from({ length: options.samples ?? c.samples ?? effective.samples }, (_, sample) => ({ c, caseIndex, sample })));
  const bySample: SampleResult[][] = effective.cases.map(() => []);
  let done = 0;
  await pool(jobs, Math.max(1, options.concurrency), async ({ c, caseIndex, sample }) => {
    const result = await runSample(effective, c, sample, client);
    bySample[caseIndex].push(result);
    options.onSample?.(c.name, ++done, jobs.length, result.passed);
  });
  const cases = effective.cases.map((c, i) => caseResult(effective, c, bySample[i].sort((a, b) => a.sample - b.sample)));
  const samples = cases.flatMap((c) => c.samples);
  const costs = cases.map((c) => c.cost_usd).filter((c): c is number => c !== null);
  return {
    suite: suite.name,
    gateway: client.where,
    started_at: started.toISOString(),
    duration_ms: Date.now() - started.getTime(),
    passed: cases.every((c) => c.passed),
    summary: {
      cases: cases.length,
      passed_cases: cases.filter((c) => c.passed).length,
      samples: samples.length,
      passed_samples: samples.filter((s) => s.passed).length,
      pass_rate: ratio(samples.filter((s) => s.passed).length, samples.length),
      cost_usd: costs.length ? round(costs.reduce((a, b) => a + b, 0)) : null,
    },
    cases,
  };
}

async function runSample(suite: Suite, c: EvalCase, sample: number, client: EvalClient): Promise<SampleResult> {
  const body = requestBody(suite, c);
  let answer: Answer;
  try {
    answer = readAnswer(await client.chat(body));
  } catch (err) {
    // The gateway is unreachable: a failed sample, not a crash of the whole run.
    const reason = (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message;
    return { sample, passed: false, status: 0, latency_ms: 0, assertions: [{ assertion: 'request', passed: false, message: `no answer: ${reason}` }] };
  }
  const assertions = [...suite.defaults.assert, ...c.assert];
  const expectsStatus = assertions.some((a) => 'status' in a);
  let firings: Promise<{ rule: string; action: string }[] | undefined> | undefined;
  const results: AssertionResult[] = [];
  for (const a of assertions) {
    results.push(
      await check(a, answer, {
        firings: () => (firings ??= answer.requestId && client.firings ? client.firings(answer.requestId) : Promise.resolve(undefined)),
        judge: suite.judge ? (rubric) => judgeAnswer(client, suite.judge!.target, rubric, body, answer.text) : undefined,
        judgeMinScore: suite.judge?.min_score ?? 0.7,
        refusalExpected: expectsStatus,
      }),
    );
  }
  // A refused request fails the sample unless the case expects a status.
  if (answer.reply.status >= 400 && !expectsStatus) results.unshift({ assertion: 'request', passed: false, message: `the gateway answered ${answer.reply.status}${answer.errorCode ? ` (${answer.errorCode})` : ''}: ${errorMessage(answer)}` });
  return {
    sample,
    passed: results.every((r) => r.passed),
    status: answer.reply.status,
    latency_ms: round(answer.reply.latencyMs),
    total_tokens: answer.totalTokens,
    cost_usd: answer.costUsd,
    request_id: answer.requestId,
    assertions: results,
  };
}

function readAnswer(reply: Answer['reply']): Answer {
  const choices = reply.body.choices as { message?: { content?: unknown } }[] | undefined;
  const content = choices?.[0]?.message?.content;
  const usage = reply.body.usage as { total_tokens?: number } | undefined;
  const cost = reply.headers.get('x-gatehouse-cost-usd');
  const error = reply.body.error as { code?: string | null } | undefined;
  return {
    reply,
    text: typeof content === 'string' ? content : content == null ? '' : JSON.stringify(content),
    requestId: reply.headers.get('x-gatehouse-request-id') ?? undefined,
    totalTokens: typeof usage?.total_tokens === 'number' ? usage.total_tokens : undefined,
    costUsd: cost !== null && cost !== '' && Number.isFinite(Number(cost)) ? Number(cost) : undefined,
    errorCode: reply.status >= 400 ? (error?.code ?? undefined) : undefined,
  };
}

const errorMessage = (answer: Answer) => String((answer.reply.body.error as { message?: unknown } | undefined)?.message ?? '').slice(0, 200);

function caseResult(suite: Suite, c: EvalCase, samples: SampleResult[]): CaseResult {
  const passRate = ratio(samples.filter((s) => s.passed).length, samples.length);
  const minPassRate = c.min_pass_rate ?? suite.min_pass_rate;
  const tokens = samples.map((s) => s.total_tokens).filter((t): t is number => t !== undefined);
  const costs = samples.map((s) => s.cost_usd).filter((t): t is number => t !== undefined);
  return {
    name: c.name,
    target: c.target ?? suite.target!,
    passed: passRate >= minPassRate,
    pass_rate: passRate,
    min_pass_rate: minPassRate,
    samples,
    latency_ms: stats(samples.map((s) => s.latency_ms)),
    tokens: tokens.length ? stats(tokens) : null,
    cost_usd: costs.length ? round(costs.reduce((a, b) => a + b, 0)) : null,
  };
}

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { mean: round(sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1)), p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] ?? 0 };
}

const ratio = (part: number, whole: number) => (whole === 0 ? 0 : round(part / whole));
const round = (n: number) => Math.round(n * 1e6) / 1e6;

async function pool<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
}
