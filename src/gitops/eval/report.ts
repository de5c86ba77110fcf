// Eval results for people (a table), for GitLab (JUnit XML: one test case per eval case, with the
// failed samples' reasons), and compared with a baseline run (a drop in pass rate is a regression).
import { xml } from '../../cli/junit.js';
import type { CaseResult, EvalResult } from './run.js';

export function renderJunit(result: EvalResult): string {
  const failures = result.cases.filter((c) => !c.passed).length;
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const counts = `tests="${result.cases.length}" failures="${failures}" errors="0" time="${seconds(result.duration_ms)}"`;
  const cases = result.cases.map((c) => {
    const open = `    <testcase classname="gatehouse.eval.${xml(result.suite)}" name="${xml(c.name)}" time="${seconds(c.latency_ms.mean)}">`;
    const out = `      <system-out>${xml(describeCase(c))}</system-out>`;
    if (c.passed) return `${open}\n${out}\n    </testcase>`;
    const summary = `pass rate ${percent(c.pass_rate)} below ${percent(c.min_pass_rate)}`;
    return `${open}\n      <failure message="${xml(summary)}" type="EvalFailure">${xml(failureDetails(c))}</failure>\n${out}\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="gatehouse eval" ${counts}>`,
    `  <testsuite name="${xml(result.suite)}" ${counts} timestamp="${result.started_at}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

export function renderText(result: EvalResult): string {
  const lines = result.cases.map((c) => `${c.passed ? 'PASS' : 'FAIL'}  ${c.name}  ${describeCase(c)}${c.passed ? '' : `\n${indent(failureDetails(c))}`}`);
  const s = result.summary;
  lines.push(
    '',
    `${result.suite}: ${s.passed_cases}/${s.cases} cases passed, ${s.passed_samples}/${s.samples} samples (${percent(s.pass_rate)})${s.cost_usd === null ? '' : `, $${s.cost_usd}`} in ${(result.duration_ms / 1000).toFixed(1)}s against ${result.gateway}`,
  );
  return lines.join('\n');
}

function describeCase(c: CaseResult): string {
  const parts = [`${c.samples.filter((s) => s.passed).length}/${c.samples.length} samples passed (${percent(c.pass_rate)})`, `latency mean ${Math.round(c.latency_ms.mean)}ms p95 ${Math.round(c.latency_ms.p95)}ms`];
  if (c.tokens) parts.push(`tokens mean ${Math.round(c.tokens.mean)}`);
  if (c.cost_usd !== null) parts.push(`cost $${c.cost_usd}`);
  return parts.join(', ');
}

/** Each failed sample with the assertions that failed. */
function failureDetails(c: CaseResult): string {
  return c.samples
    .filter((s) => !s.passed)
    .map((s) => `sample ${s.sample + 1}${s.request_id ? ` (request ${s.request_id})` : ''}: ${s.assertions.filter((a) => !a.passed).map((a) => `${a.assertion}: ${a.message}`).join('; ')}`)
    .join('\n');
}

export interface Regression {
  case: string;
  message: string;
}

/** Cases whose pass rate fell by more than `tolerance` (0..1) since the baseline, or that passed then and fail now. */
export function regressions(baseline: EvalResult, current: EvalResult, tolerance: number): Regression[] {
  const before = new Map(baseline.cases.map((c) => [c.name, c]));
  const found: Regression[] = [];
  for (const c of current.cases) {
    const old = before.get(c.name);
    if (!old) continue;
    if (c.pass_rate < old.pass_rate - tolerance - 1e-9) found.push({ case: c.name, message: `pass rate ${percent(old.pass_rate)} → ${percent(c.pass_rate)}` });
    else if (old.passed && !c.passed) found.push({ case: c.name, message: 'passed in the baseline, fails now' });
  }
  return found;
}

const percent = (r: number) => `${Math.round(r * 1000) / 10}%`;
const indent = (text: string) => text.split('\n').map((l) => `      ${l}`).join('\n');
