// The input stage: runs a request's input rules before any upstream call. A block ends the request
// with a 400 naming the rule; a route sends it to the rule's route_to; redaction changes what goes
// upstream. External rules (webhooks, moderation) run after the built-in ones, on the redacted request. What the output
// stage needs (the rules, the mask-and-restore vault, checks on the whole answer) comes back.
import type { RequestContext } from '../../core/context.js';
import type { Target } from '../../core/runtime.js';
import { applyInputGuardrails, type GuardedRequest } from '../engine/input.js';
import type { PlaceholderVault } from '../redact/vault.js';
import { answerChecksFor, type AnswerCheck } from './answer.js';
import { recordEvents } from './events.js';
import { rulesFor, type StageRules } from './rules.js';
import { blockedError, findingError, inputExternalFinding } from './verdicts.js';

/** What the output stage of one request works with. */
export interface OutputPlan {
  rules: StageRules;
  /** Placeholders of mask_and_restore rules, put back into the answer. */
  vault: PlaceholderVault;
  /** The endpoint or route the client named, for security events. */
  target: string;
  /** Checks on each choice's whole text (structured outputs, output webhooks and moderation); often none. */
  answerChecks: AnswerCheck[];
}

export interface CheckedInput<G extends GuardedRequest> {
  /** Where the request goes: the target named, or a route rule's route_to. */
  target: Target;
  request: G['request'];
  /** Undefined when the answer needs neither checks nor restoring. */
  output?: OutputPlan;
}

async function checkInput<G extends GuardedRequest>(ctx: RequestContext, target: Target, rules: StageRules, input: G): Promise<CheckedInput<G>> {
  const result = applyInputGuardrails(rules.ruleSet, input);
  recordEvents(ctx, target.name, result.events);
  let { decision } = result;
  if (decision.action === 'block') throw blockedError('input', decision.rule);
  if (decision.action === 'pass' && rules.inputExternal.length > 0) {
    const finding = await inputExternalFinding(ctx, target.name, rules, result.input);
    if (finding?.rule.action === 'route') decision = { action: 'route', rule: finding.rule.name, to: finding.rule.routeTo! };
    else if (finding) throw findingError(finding, 'input');
  }
  // A routed request runs the guardrails of the target it was named for, not those of route_to.
  const next = decision.action === 'route' ? rules.routes.get(decision.to)! : target;
  const answerChecks = answerChecksFor(ctx, target.name, rules, result.input);
  const needsOutput = rules.checksOutput || result.restoreVault.size > 0;
  const output = needsOutput ? { rules, vault: result.restoreVault, target: target.name, answerChecks } : undefined;
  return { target: next, request: result.input.request as G['request'], output };
}

/** The input stage of one request: a pass-through when it has no guardrails. */
export async function inputStage<G extends GuardedRequest>(ctx: RequestContext, target: Target, input: G): Promise<CheckedInput<G>> {
  const rules = rulesFor(ctx, target);
  return rules ? checkInput(ctx, target, rules, input) : { target, request: input.request };
}
