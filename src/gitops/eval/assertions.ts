// Checks one answer against one assertion. Every result says what was expected and what was seen,
// in a line short enough for a JUnit failure message.
import { Ajv } from 'ajv';
import type { Assertion } from './suite.js';
import type { Reply } from './client.js';

export interface AssertionResult {
  assertion: string;
  passed: boolean;
  message: string;
}

/** What a sample produced, as assertions read it. */
export interface Answer {
  reply: Reply;
  /** The assistant's text ('' when the request failed). */
  text: string;
  requestId?: string;
  totalTokens?: number;
  costUsd?: number;
  /** The error code when the gateway refused the request. */
  errorCode?: string;
}

export interface AssertionContext {
  /** Guardrail firings of the request, or undefined when the runner cannot see them. */
  firings(): Promise<{ rule: string; action: string }[] | undefined>;
  /** Scores the answer against a rubric through the judge; undefined when no judge is configured. */
  judge?(rubric: string): Promise<{ score: number; reason: string }>;
  judgeMinScore: number;
  /** The case expects the gateway to refuse (a `status` assertion): answer checks then have nothing to check. */
  refusalExpected: boolean;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = new WeakMap<object, ReturnType<typeof ajv.compile>>();

export const assertionName = (a: Assertion) => Object.keys(a)[0];

export async function check(a: Assertion, answer: Answer, ctx: AssertionContext): Promise<AssertionResult> {
  const name = assertionName(a);
  const result = (passed: boolean, message: string): AssertionResult => ({ assertion: name, passed, message });
  const failed = answer.reply.status >= 400;
  if ('status' in a) {
    const codeOk = a.code === undefined || answer.errorCode === a.code;
    return result(answer.reply.status === a.status && codeOk, `expected status ${a.status}${a.code ? ` (${a.code})` : ''}, got ${answer.reply.status}${answer.errorCode ? ` (${answer.errorCode})` : ''}`);
  }
  if ('max_latency_ms' in a) return result(answer.reply.latencyMs <= a.max_latency_ms, `latency ${Math.round(answer.reply.latencyMs)}ms, limit ${a.max_latency_ms}ms`);
  if ('not_flagged' in a) {
    if (answer.errorCode?.startsWith('guardrail_')) return result(false, `refused by a guardrail (${answer.errorCode})`);
    const firings = await ctx.firings();
    if (firings && firings.length > 0) return result(false, `guardrails fired: ${firings.map((f) => `${f.rule} (${f.action})`).join(', ')}`);
    return result(true, firings ? 'no guardrail fired' : 'not refused by a guardrail (flags not visible without the admin key)');
  }
  if (failed && ctx.refusalExpected) return result(true, 'not checked: the case expects a refusal');
  if (failed) return result(false, `the request failed: ${answer.reply.status} ${answer.errorCode ?? ''}`.trim());
  if ('max_tokens' in a) {
    if (answer.totalTokens === undefined) return result(false, 'the answer reports no usage');
    return result(answer.totalTokens <= a.max_tokens, `${answer.totalTokens} tokens, limit ${a.max_tokens}`);
  }
  if ('max_cost_usd' in a) {
    if (answer.costUsd === undefined) return result(false, 'the gateway reported no cost (x-gatehouse-cost-usd): give the endpoint a price');
    return result(answer.costUsd <= a.max_cost_usd, `cost $${answer.costUsd}, limit $${a.max_cost_usd}`);
  }
  const text = answer.text;
  if ('contains' in a || 'not_contains' in a) {
    const wanted = 'contains' in a;
    const needles = [wanted ? a.contains : a.not_contains].flat();
    const fold = (s: string) => (a.ignore_case ? s.toLowerCase() : s);
    const wrong = needles.filter((n) => fold(text).includes(fold(n)) !== wanted);
    return result(wrong.length === 0, wrong.length === 0 ? 'ok' : `${wanted ? 'missing' : 'present'}: ${wrong.map((w) => JSON.stringify(w)).join(', ')} in ${quote(text)}`);
  }
  if ('regex' in a) return result(new RegExp(a.regex, a.flags).test(text), `/${a.regex}/${a.flags ?? ''} against ${quote(text)}`);
  if ('equals' in a) {
    const seen = a.trim ? text.trim() : text;
    return result(seen === a.equals, seen === a.equals ? 'ok' : `expected ${quote(a.equals)}, got ${quote(seen)}`);
  }
  if ('json_schema' in a) return checkSchema(a.json_schema, text, result);
  if (!ctx.judge) return result(false, 'a rubric needs a judge: add `judge: {target: …}` to the suite');
  const verdict = await ctx.judge(a.rubric);
  const min = a.min_score ?? ctx.judgeMinScore;
  return result(verdict.score >= min, `score ${verdict.score} (min ${min}): ${verdict.reason}`);
}

function checkSchema(schema: Record<string, unknown>, text: string, result: (passed: boolean, message: string) => AssertionResult): AssertionResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return result(false, `not JSON: ${quote(text)}`);
  }
  let validate = validators.get(schema);
  if (!validate) validators.set(schema, (validate = ajv.compile(schema)));
  if (validate(value)) return result(true, 'ok');
  return result(false, (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`).join('; '));
}

const quote = (text: string) => JSON.stringify(text.length > 120 ? `${text.slice(0, 117)}...` : text);
