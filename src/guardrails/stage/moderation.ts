// Moderation rules: the texts go to a configured llm/v1/moderations endpoint (OpenAI's or Mistral's
// moderation API, with that endpoint's credentials), and the answer's categories and scores are
// judged by the rule: which categories count, and at what score each one fires.
import { GatewayError } from '../../core/errors.js';
import type { EndpointRuntime } from '../../core/runtime.js';
import type { ModerationResponse, ModerationResult } from '../../core/types.js';
import type { CompiledRule } from '../config/build.js';
import type { ExternalVerdict, Failure } from './external.js';

export type ModerationRule = Extract<CompiledRule, { type: 'moderation' }>;

/** Classifies `texts` (one result each) and says whether the rule lets them pass. */
export async function askModeration(rule: ModerationRule, endpoint: EndpointRuntime, texts: string[], requestId: string, clientSignal: AbortSignal): Promise<ExternalVerdict> {
  // Blank texts (a tool-call turn, an empty answer) have nothing to classify.
  const input = texts.filter((text) => text.trim() !== '');
  if (input.length === 0) return { allowed: true };
  const timeout = AbortSignal.timeout(rule.timeoutMs);
  let res: ModerationResponse;
  try {
    res = await endpoint.client.moderations!(
      { input },
      {
        model: endpoint.model,
        signal: AbortSignal.any([clientSignal, timeout]),
        timeoutMs: rule.timeoutMs,
        connectTimeoutMs: endpoint.config.timeouts?.connect,
        requestId,
        // The gateway sends `input` only, which every moderation API takes.
        unsupported: () => undefined,
        // The moderation upstream's rate-limit headers are not the client's business.
        exposeHeader: () => undefined,
      },
    );
  } catch (err) {
    return { failure: failureOf(err, clientSignal, timeout) };
  }
  if (!Array.isArray(res?.results) || !res.results.every(isResult)) return { failure: 'bad_answer' };
  const fired = new Map<string, number>();
  for (const result of res.results) {
    for (const [category, score] of Object.entries(firedCategories(rule, result))) fired.set(category, Math.max(score, fired.get(category) ?? 0));
  }
  if (fired.size === 0) return { allowed: true };
  const categories = [...fired.keys()];
  return { allowed: false, reason: `flagged for ${categories.join(', ')}`, detail: { categories, scores: Object.fromEntries(fired) } };
}

/** The categories of one result that fire under the rule, with their scores (0 when the provider sent none). */
export function firedCategories(rule: Pick<ModerationRule, 'categories' | 'threshold' | 'thresholds'>, result: ModerationResult): Record<string, number> {
  const fired: Record<string, number> = {};
  const names = new Set([...Object.keys(result.categories), ...Object.keys(result.category_scores ?? {})]);
  for (const category of names) {
    if (rule.categories && !rule.categories.some((c) => covers(c, category))) continue;
    const score = result.category_scores?.[category];
    const threshold = thresholdFor(rule, category);
    const fires = threshold === undefined ? result.categories[category] === true : typeof score === 'number' && score >= threshold;
    if (fires) fired[category] = typeof score === 'number' ? score : 0;
  }
  return fired;
}

/** `violence` covers `violence` and `violence/graphic`. */
const covers = (name: string, category: string) => category === name || category.startsWith(`${name}/`);

/** The most specific per-category threshold, else the rule's threshold, else none (the provider's flag decides). */
function thresholdFor(rule: Pick<ModerationRule, 'threshold' | 'thresholds'>, category: string): number | undefined {
  let best: string | undefined;
  for (const name of Object.keys(rule.thresholds)) if (covers(name, category) && (best === undefined || name.length > best.length)) best = name;
  return best === undefined ? rule.threshold : rule.thresholds[best];
}

const isResult = (r: unknown): r is ModerationResult => typeof (r as ModerationResult | null)?.categories === 'object' && (r as ModerationResult).categories !== null;

function failureOf(err: unknown, clientSignal: AbortSignal, timeout: AbortSignal): Failure {
  if (clientSignal.aborted) return 'client_closed';
  if (timeout.aborted || (err instanceof GatewayError && err.code === 'upstream_timeout')) return 'timeout';
  if (err instanceof GatewayError && err.upstreamStatus !== undefined) return 'bad_status';
  if (err instanceof GatewayError && err.code === 'upstream_invalid_response') return 'bad_answer';
  return 'connection_error';
}
