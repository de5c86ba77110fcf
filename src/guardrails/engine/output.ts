// Runs the output rules over the answer's text as it streams, then restores mask-and-restore
// placeholders. Order matters: rules see the model's raw text (placeholders, not the user's values),
// so restored values are never re-masked or blocked, and values the model made up are.
import type { CompiledRule, GuardrailRuleSet } from '../config/build.js';
import { detectSpans } from '../pii/detect.js';
import type { Detector } from '../pii/types.js';
import { StreamRestorer } from '../redact/restore.js';
import { PlaceholderVault } from '../redact/vault.js';
import { type StreamCheck, StreamScanner, type StreamScannerOptions } from '../stream/scanner.js';
import type { GuardrailEvent } from './events.js';

export interface OutputStep {
  text: string;
  /** The rule that cut the stream; the caller ends it with an error event naming the rule. */
  cutBy?: string;
  events: GuardrailEvent[];
}

function checkFor(rule: CompiledRule): StreamCheck['test'] | undefined {
  switch (rule.type) {
    case 'pii':
      return (text) => detectSpans(text, rule.detectors).length > 0;
    case 'prompt_guard':
      return (text) => !rule.guard.check(text).allowed;
    case 'topics':
      return (text) => rule.matcher.match(text).length > 0;
    default:
      return undefined;
  }
}

export class OutputGuard {
  private readonly scanner: StreamScanner;
  private readonly restorer: StreamRestorer;
  private readonly rulesByName = new Map<string, CompiledRule>();
  private readonly redactionRules: CompiledRule[] = [];
  private readonly outputVault: PlaceholderVault;

  constructor(ruleSet: GuardrailRuleSet, restoreVault: PlaceholderVault) {
    // A vault of its own: values the model writes must never become restorable placeholders.
    this.outputVault = new PlaceholderVault(restoreVault);
    const options: StreamScannerOptions = { checks: [] };
    const redactors: Detector[] = [];
    for (const rule of ruleSet.rules) {
      if (!rule.appliesToOutput) continue;
      this.rulesByName.set(rule.name, rule);
      if (rule.type === 'pii' && rule.action === 'redact') {
        redactors.push(...rule.detectors);
        this.redactionRules.push(rule);
      } else if (rule.type === 'max_tokens' && rule.maxOutputTokens !== undefined) {
        options.maxOutputTokens = { name: rule.name, limit: rule.maxOutputTokens, count: ruleSet.countTokens };
      } else {
        const test = checkFor(rule);
        if (test) (options.checks as StreamCheck[]).push({ name: rule.name, action: rule.action === 'block' ? 'block' : 'flag', test });
      }
    }
    if (redactors.length > 0) options.redact = { detectors: redactors, vault: this.outputVault };
    this.scanner = new StreamScanner(options);
    this.restorer = new StreamRestorer(restoreVault);
  }

  push(delta: string): OutputStep {
    const result = this.scanner.push(delta);
    return this.step(this.restorer.push(result.text), result.cut?.rule, result.flagged);
  }

  end(): OutputStep {
    const result = this.scanner.end();
    const text = result.cut ? '' : this.restorer.push(result.text) + this.restorer.flush();
    const step = this.step(text, result.cut?.rule, result.flagged);
    if (this.outputVault.size > 0) {
      const counts = this.outputVault.countsByType();
      for (const rule of this.redactionRules) step.events.push(this.event(rule, { counts }));
    }
    return step;
  }

  private step(text: string, cutBy: string | undefined, flagged: string[]): OutputStep {
    const events = flagged.map((name) => this.event(this.rulesByName.get(name)!, {}));
    if (cutBy) events.push(this.event(this.rulesByName.get(cutBy)!, { cut: true }));
    return { text, ...(cutBy ? { cutBy } : {}), events };
  }

  private event(rule: CompiledRule, detail: Record<string, unknown>): GuardrailEvent {
    return { rule: rule.name, type: rule.type, stage: 'output', action: rule.action, detail };
  }
}

/** A whole (non-streamed) answer: the same rules, in one step. */
export function guardOutputText(ruleSet: GuardrailRuleSet, text: string, restoreVault: PlaceholderVault): OutputStep {
  const guard = new OutputGuard(ruleSet, restoreVault);
  const first = guard.push(text);
  if (first.cutBy) return first;
  const last = guard.end();
  return { ...last, text: first.text + last.text, events: [...first.events, ...last.events] };
}
