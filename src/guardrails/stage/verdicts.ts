// Rules the engine leaves to the pipeline: webhooks (asynchronous) and structured outputs (they need
// the request's response_format). Each comes back as a finding, which input.ts and answer.ts turn
// into events, errors and routes the same way the engine's own rules do.
import type { RequestContext } from '../../core/context.js';
import { GatewayError } from '../../core/errors.js';
import type { CompiledRule } from '../config/build.js';
import { allTexts, type GuardedRequest } from '../engine/input.js';
import { recordEvents } from './events.js';
import { askWebhook, type WebhookRule } from './webhook.js';

/** A rule that fired: what the event says, and what the client is told. */
export interface Finding {
  rule: CompiledRule;
  detail: Record<string, unknown>;
  why: string;
  /** A fail-closed webhook could not be asked: a 503, not the client's fault. */
  unavailable?: boolean;
}

export const isWebhook = (rule: CompiledRule): rule is WebhookRule => rule.type === 'webhook';

/**
 * Asks a webhook rule about `texts`. A fail-open failure is recorded here (as a flag) and passes;
 * a fail-closed one is a finding. The service's reason goes to the client only, never into events.
 */
export async function webhookFinding(ctx: RequestContext, target: string, rule: WebhookRule, stage: 'input' | 'output', kind: GuardedRequest['kind'], texts: string[]): Promise<Finding | undefined> {
  const verdict = await askWebhook(rule, { rule: rule.name, stage, target, request_id: ctx.id, kind, texts }, ctx.signal);
  if ('allowed' in verdict) return verdict.allowed ? undefined : { rule, detail: {}, why: verdict.reason ? `: ${verdict.reason}` : '' };
  if (verdict.failure === 'client_closed') throw new GatewayError(499, 'The client closed the request', { code: 'client_closed_request' });
  if (!rule.failOpen) return { rule, detail: { failure: verdict.failure }, why: ` could not be asked (${verdict.failure})`, unavailable: true };
  recordEvents(ctx, target, [{ rule: rule.name, type: rule.type, stage, action: 'flag', detail: { failure: verdict.failure, outcome: 'allowed' } }]);
  return undefined;
}

/** Input webhooks, in order, on the request as the built-in rules left it (redacted). */
export async function inputWebhookFinding(ctx: RequestContext, target: string, rules: readonly WebhookRule[], input: GuardedRequest): Promise<Finding | undefined> {
  const texts = allTexts(input);
  for (const rule of rules) {
    const finding = await webhookFinding(ctx, target, rule, 'input', input.kind, texts);
    if (!finding) continue;
    recordEvents(ctx, target, [{ rule: rule.name, type: rule.type, stage: 'input', action: rule.action, detail: finding.detail }]);
    if (rule.action !== 'flag') return finding;
  }
  return undefined;
}

export function findingError(finding: Finding, stage: 'input' | 'output'): GatewayError {
  if (!finding.unavailable) return blockedError(stage, finding.rule.name, finding.why);
  return new GatewayError(503, `Guardrail "${finding.rule.name}"${finding.why}, and it is set to block when that happens`, { code: 'guardrail_unavailable' });
}

/** A block: input is refused with a 400 (nothing went upstream), an answer with a 422. */
export function blockedError(stage: 'input' | 'output', rule: string, why = ''): GatewayError {
  const what = stage === 'input' ? 'Request blocked' : 'The answer was stopped';
  return new GatewayError(stage === 'input' ? 400 : 422, `${what} by guardrail "${rule}"${why}`, { code: 'guardrail_blocked' });
}
