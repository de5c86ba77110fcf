// A guardrail firing, as logged, counted and listed by the admin API. It never holds the matched text.
import type { CompiledRule } from '../config/build.js';

export interface GuardrailEvent {
  rule: string;
  type: CompiledRule['type'];
  stage: 'input' | 'output';
  action: CompiledRule['action'];
  /** What fired: counts per PII type, a score and pattern ids, topic names, token counts. */
  detail: Record<string, unknown>;
}
