// Micro-benchmark of the default guardrail set: `npx tsx bench/guardrails.ts`. Times the input rules
// (PII masking, injection scoring) on a 4 KB chat prompt, and the output rules plus restoring on the
// same text streamed in small deltas. The goal is under 1 ms p50 for the input side.
import type { ChatRequest } from '../src/core/types.js';
import { buildGuardrails, DEFAULT_GUARDRAILS_CONFIG } from '../src/guardrails/config/build.js';
import { applyInputGuardrails } from '../src/guardrails/engine/input.js';
import { OutputGuard } from '../src/guardrails/engine/output.js';
import { supportPrompt, TICKET_BYTES } from './requests.js';
import { summarize } from './stats.js';

const PROMPT_BYTES = TICKET_BYTES;
const WARMUP_RUNS = 200;
const RUNS = 2000;
const STREAM_DELTA_CHARS = 16;

function time(run: () => void, runs = RUNS): ReturnType<typeof summarize> {
  for (let i = 0; i < WARMUP_RUNS; i++) run();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    run();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return summarize(samples);
}

const built = buildGuardrails(DEFAULT_GUARDRAILS_CONFIG);
if (!built.ok) throw new Error(`default guardrails do not build: ${JSON.stringify(built.errors)}`);
const { ruleSet } = built;
const prompt = supportPrompt(PROMPT_BYTES);
const chat = (content: string): ChatRequest => ({
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are a helpful support assistant.' },
    { role: 'user', content },
  ],
});
const inputTime = (content: string, runs?: number) => time(() => applyInputGuardrails(ruleSet, { kind: 'chat', request: chat(content) }), runs);
const outputTime = (content: string, runs?: number) => {
  const { restoreVault } = applyInputGuardrails(ruleSet, { kind: 'chat', request: chat(content) });
  return time(() => {
    const guard = new OutputGuard(ruleSet, restoreVault);
    for (let i = 0; i < content.length; i += STREAM_DELTA_CHARS) guard.push(content.slice(i, i + STREAM_DELTA_CHARS));
    guard.end();
  }, runs);
};

const input = inputTime(prompt);
const output = outputTime(prompt);

// Inputs shaped to make regexes backtrack or streams hold back: the slowest of them is reported.
const fill = (unit: string) => unit.repeat(Math.ceil(PROMPT_BYTES / unit.length)).slice(0, PROMPT_BYTES);
const ADVERSARIAL: Record<string, string> = {
  'digit run': fill('1'),
  'spaced digits': fill('1 '),
  'base64 blob': fill('QUJD'),
  'unclosed PEM headers': fill('-----BEGIN PRIVATE KEY-----\n'),
  'endless domain': `x@${fill('a-')}`,
};
const ADVERSARIAL_RUNS = 300;
const worst = (measure: (content: string, runs: number) => ReturnType<typeof summarize>) =>
  Object.entries(ADVERSARIAL)
    .map(([name, content]) => ({ name, p50: measure(content, ADVERSARIAL_RUNS).p50 }))
    .reduce((a, b) => (b.p50 > a.p50 ? b : a));
const worstInput = worst(inputTime);
const worstOutput = worst(outputTime);

const ms = (value: number) => `${value.toFixed(3)} ms`;
console.log(`default guardrails, ${prompt.length}-byte prompt, ${RUNS} runs after ${WARMUP_RUNS} warm-up (Node ${process.version})`);
console.log(`  input  (pii mask_and_restore + injection): p50 ${ms(input.p50)}  p90 ${ms(input.p90)}  p99 ${ms(input.p99)}`);
console.log(
  `  output (pii mask + restore, ${Math.ceil(prompt.length / STREAM_DELTA_CHARS)} deltas of ${STREAM_DELTA_CHARS} chars): ` +
    `p50 ${ms(output.p50)}  p90 ${ms(output.p90)}  p99 ${ms(output.p99)}`,
);
console.log(`  adversarial 4 KB inputs, slowest p50: input ${ms(worstInput.p50)} (${worstInput.name}), output ${ms(worstOutput.p50)} (${worstOutput.name})`);
console.log(`  goal: input p50 under 1 ms: ${input.p50 < 1 ? 'met' : 'NOT met'}`);
