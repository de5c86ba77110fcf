// Rules the engine leaves to the pipeline: external ones (webhooks and moderation endpoints, which are
// asynchronous) and structured outputs (they need the request's response_format). Each comes back as a finding, which input.ts and answer.ts turn
// into events, errors and routes the same way the engine's own rules do.
import type { RequestContext } from '../../core/context.js';
import { GatewayError } from '../../core/errors.js';
import type { CompiledRule } from '../config/build.js';
import type { GuardedRequest } from '../engine/input.js';
import { recordEvents } from './events.js';
import { askExternal, inputTexts, type ExternalCall } from './external.js';
import type { StageRules } from './rules.js';

/** A rule that fired: what the event says, and what the client is told. */
export interface Finding {
  rule: CompiledRule;
  detail: Record<string, unknown>;
  why: string;
  /** A fail-closed external rule could not be asked: a 503, not the client's fault. */
  unavailable?: boolean;
}

/**
 * Asks an external rule about the texts. A fail-open failure is recorded here (as a flag) and passes;
 * a fail-closed one is a finding. A webhook's reason goes to the client only, never into events.
 */
export async function externalFinding(ctx: RequestContext, call: Omit<ExternalCall, 'requestId' | 'signal'>): Promise<Finding | undefined> {
  const { rule, stage, target } = call;
  const verdict = await askExternal({ ...call, requestId: ctx.id, signal: ctx.signal });
  if ('allowed' in verdict) return verdict.allowed ? undefined : { rule, detail: verdict.detail ?? {}, why: verdict.reason ? `: ${verdict.reason}` : '' };
  if (verdict.failure === 'client_closed') throw new GatewayError(499, 'The client closed the request', { code: 'client_closed_request' });
  if (!rule.failOpen) return { rule, detail: { failure: verdict.failure }, why: ` could not be asked (${verdict.failure})`, unavailable: true };
  recordEvents(ctx, target, [{ rule: rule.name, type: rule.type, stage, action: 'flag', detail: { failure: verdict.failure, outcome: 'allowed' } }]);
  return undefined;
}

/** Input external rules, in order, on the request as the built-in rules left it (redacted). */
export async function inputExternalFinding(ctx: RequestContext, target: string, rules: StageRules, input: GuardedRequest): Promise<Finding | undefined> {
  for (const rule of rules.inputExternal) {
    const finding = await externalFinding(ctx, { rule, stage: 'input', target, kind: input.kind, texts: inputTexts(rule, input), moderators: rules.moderators });
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
