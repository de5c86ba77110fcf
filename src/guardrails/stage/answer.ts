// Checks on each choice's whole answer text, after the streaming rules and restoring: structured
// outputs, output webhooks and moderation. Streams run them when a choice ends; a block then ends the stream
// with an error event (the text has already been sent: these checks cannot hold a stream back).
import type { RequestContext } from '../../core/context.js';
import type { GuardedRequest } from '../engine/input.js';
import { recordEvents } from './events.js';
import type { OutputPlan } from './input.js';
import type { StageRules } from './rules.js';
import { structureCheckFor } from './structured.js';
import { isExternal } from './external.js';
import { externalFinding, findingError, type Finding } from './verdicts.js';

export type AnswerCheck = (text: string) => Promise<Finding | undefined> | Finding | undefined;

export function answerChecksFor(ctx: RequestContext, target: string, rules: StageRules, input: GuardedRequest): AnswerCheck[] {
  const checks: AnswerCheck[] = [];
  for (const rule of rules.ruleSet.rules) {
    if (rule.type === 'json_schema' && input.kind === 'chat') {
      const structure = structureCheckFor(input.request);
      if (structure) {
        checks.push((text) => {
          const problem = structure(text);
          return problem ? { rule, detail: { problem: problem.code }, why: `: ${problem.message}` } : undefined;
        });
      }
    } else if (isExternal(rule) && rule.appliesToOutput) {
      checks.push((text) => externalFinding(ctx, { rule, stage: 'output', target, kind: input.kind, texts: [text], moderators: rules.moderators }));
    }
  }
  return checks;
}

/** Runs the answer checks on one choice's text: records what fires, throws on a block. */
export async function checkAnswer(ctx: RequestContext, plan: OutputPlan, text: string): Promise<void> {
  for (const check of plan.answerChecks) {
    const finding = await check(text);
    if (!finding) continue;
    recordEvents(ctx, plan.target, [{ rule: finding.rule.name, type: finding.rule.type, stage: 'output', action: finding.rule.action, detail: finding.detail }]);
    if (finding.rule.action === 'block' || finding.unavailable) throw findingError(finding, 'output');
  }
}
