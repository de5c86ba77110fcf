// One text field of an answer under the output rules: a choice's content, or one tool call's
// arguments. The field is checked and redacted as it streams (OutputGuard), then placeholders of
// mask_and_restore rules are put back. A block rule firing ends the answer with a 422 naming the rule.
import type { RequestContext } from '../../core/context.js';
import { OutputGuard, type OutputStep } from '../engine/output.js';
import { StreamRestorer } from '../redact/restore.js';
import { PlaceholderVault } from '../redact/vault.js';
import { recordEvents } from './events.js';
import type { OutputPlan } from './input.js';
import { blockedError } from './verdicts.js';

/** `json` fields are JSON text (tool arguments): restored values are escaped as JSON string content. */
export type FieldKind = 'text' | 'json';

export class FieldGuard {
  private readonly guard: OutputGuard;
  /** JSON fields restore here, with JSON escaping; text fields restore inside the OutputGuard. */
  private readonly jsonRestorer?: StreamRestorer;

  constructor(
    private readonly ctx: RequestContext,
    private readonly plan: OutputPlan,
    kind: FieldKind,
  ) {
    if (kind === 'text') {
      this.guard = new OutputGuard(plan.rules.ruleSet, plan.vault);
    } else {
      // A vault that only continues the numbering: the guard masks without restoring, and its
      // placeholders never collide with the user's restorable ones.
      this.guard = new OutputGuard(plan.rules.ruleSet, new PlaceholderVault(plan.vault));
      this.jsonRestorer = new StreamRestorer(plan.vault, 'json-string');
    }
  }

  /** What may be released now; throws on a cut. */
  push(delta: string): string {
    return this.take(this.guard.push(delta), false);
  }

  /** The rest, at the end of the field. */
  end(): string {
    return this.take(this.guard.end(), true);
  }

  /** A whole (non-streamed) field. */
  static whole(ctx: RequestContext, plan: OutputPlan, kind: FieldKind, text: string): string {
    const field = new FieldGuard(ctx, plan, kind);
    return field.push(text) + field.end();
  }

  private take(step: OutputStep, last: boolean): string {
    recordEvents(this.ctx, this.plan.target, step.events);
    if (step.cutBy) throw blockedError('output', step.cutBy);
    if (!this.jsonRestorer) return step.text;
    return this.jsonRestorer.push(step.text) + (last ? this.jsonRestorer.flush() : '');
  }
}
