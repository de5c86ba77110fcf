// Runs the input rules of a rule set over one canonical request: redacts, scores and checks, and
// says whether the request may go upstream. Events carry rule names, types and counts, never values.
import type { ChatMessage, ChatRequest, CompletionRequest, EmbeddingsRequest } from '../../core/types.js';
import type { CompiledRule, GuardrailRuleSet, MessageScope } from '../config/build.js';
import { scoreInjection } from '../injection/score.js';
import { detectSpans } from '../pii/detect.js';
import { messageText, selectPromptText } from '../policy/prompt-text.js';
import { Masker } from '../redact/mask.js';
import { PlaceholderVault } from '../redact/vault.js';
import type { GuardrailEvent } from './events.js';

export type GuardedRequest =
  | { kind: 'chat'; request: ChatRequest }
  | { kind: 'completion'; request: CompletionRequest }
  | { kind: 'embeddings'; request: EmbeddingsRequest };

export type InputDecision =
  | { action: 'pass' }
  | { action: 'block'; rule: string; message: string }
  | { action: 'route'; rule: string; to: string };

export interface InputResult {
  /** The request to send upstream: redacted where a pii rule redacts. */
  input: GuardedRequest;
  decision: InputDecision;
  events: GuardrailEvent[];
  /** Placeholders to put back into the answer (mask_and_restore rules only); empty otherwise. */
  restoreVault: PlaceholderVault;
}

const stringsOf = (value: unknown): string[] =>
  typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

/** Every text of a request, in order: message contents, tool-call arguments, prompts, embeddings input. */
export function allTexts(input: GuardedRequest): string[] {
  switch (input.kind) {
    case 'chat':
      return input.request.messages.flatMap((m) => [messageText(m.content), ...(m.tool_calls ?? []).map((c) => c.function.arguments)]);
    case 'completion':
      return stringsOf(input.request.prompt);
    case 'embeddings':
      return stringsOf(input.request.input);
  }
}

const SCOPED_ROLES: Record<MessageScope, (role: ChatMessage['role']) => boolean> = {
  user: (role) => role === 'user',
  user_and_tools: (role) => role === 'user' || role === 'tool' || role === 'function',
  all: () => true,
};

/** The texts a scoped rule (injection, moderation) judges: on chat, the contents of messages in scope; otherwise every text. */
export function scopedTexts(input: GuardedRequest, scope: MessageScope): string[] {
  if (input.kind !== 'chat') return allTexts(input);
  return input.request.messages.filter((m) => SCOPED_ROLES[scope](m.role)).map((m) => messageText(m.content));
}

/** Content policy looks at user prompts (Kong's selection); embeddings inputs are joined, as APISIX does. */
function policyText(input: GuardedRequest, selection?: { matchAllRoles?: boolean; latestOnly?: boolean }): string {
  if (input.kind === 'embeddings') return allTexts(input).join(' ');
  return selectPromptText(input.request, selection);
}

function redact(input: GuardedRequest, masker: Masker): GuardedRequest {
  switch (input.kind) {
    case 'chat':
      return { kind: 'chat', request: masker.maskChatRequest(input.request) };
    case 'completion':
      return { kind: 'completion', request: masker.maskCompletionRequest(input.request) };
    case 'embeddings':
      return { kind: 'embeddings', request: masker.maskEmbeddingsRequest(input.request) };
  }
}

/** The rule's findings on this request, or undefined when it does not fire. */
function evaluate(rule: CompiledRule, input: GuardedRequest, ruleSet: GuardrailRuleSet): Record<string, unknown> | undefined {
  switch (rule.type) {
    case 'pii': {
      const counts: Record<string, number> = {};
      for (const text of allTexts(input)) for (const span of detectSpans(text, rule.detectors)) counts[span.type] = (counts[span.type] ?? 0) + 1;
      return Object.keys(counts).length > 0 ? { counts } : undefined;
    }
    case 'injection': {
      const worst = scopedTexts(input, rule.scope)
        .map((text) => scoreInjection(text))
        .reduce((a, b) => (b.score > a.score ? b : a), { score: 0, signals: [] });
      return worst.score >= rule.threshold ? { score: worst.score, patterns: worst.signals.map((s) => s.pattern) } : undefined;
    }
    case 'prompt_guard': {
      const verdict = rule.guard.check(policyText(input, rule.selection));
      return verdict.allowed ? undefined : { ...verdict };
    }
    case 'topics': {
      const topics = rule.matcher.match(policyText(input));
      return topics.length > 0 ? { topics } : undefined;
    }
    case 'json_schema':
    case 'webhook':
    case 'moderation':
      // Asynchronous, or about the answer: the pipeline's stage runs them (src/guardrails/stage/).
      return undefined;
    case 'max_tokens': {
      if (rule.maxInputTokens === undefined) return undefined;
      const tokens = allTexts(input).reduce((sum, text) => sum + ruleSet.countTokens(text), 0);
      return tokens > rule.maxInputTokens ? { tokens, limit: rule.maxInputTokens } : undefined;
    }
  }
}

export function applyInputGuardrails(ruleSet: GuardrailRuleSet, input: GuardedRequest): InputResult {
  const restoreVault = new PlaceholderVault();
  const events: GuardrailEvent[] = [];
  const fired = (rule: CompiledRule, detail: Record<string, unknown>) =>
    events.push({ rule: rule.name, type: rule.type, stage: 'input', action: rule.action, detail });
  let current = input;
  for (const rule of ruleSet.rules) {
    if (!rule.appliesToInput) continue;
    if (rule.type === 'pii' && rule.action === 'redact') {
      // Mask-only values get a vault of their own, so restoring the answer never reveals them.
      const masker = new Masker(rule.detectors, rule.mode === 'mask_and_restore' ? restoreVault : new PlaceholderVault());
      current = redact(current, masker);
      if (Object.keys(masker.replaced).length > 0) fired(rule, { counts: masker.replaced });
      continue;
    }
    const detail = evaluate(rule, current, ruleSet);
    if (!detail) continue;
    fired(rule, detail);
    if (rule.action === 'block') {
      const message = `Request blocked by guardrail "${rule.name}" (${rule.type})`;
      return { input: current, decision: { action: 'block', rule: rule.name, message }, events, restoreVault };
    }
    if (rule.action === 'route') return { input: current, decision: { action: 'route', rule: rule.name, to: rule.routeTo! }, events, restoreVault };
  }
  return { input: current, decision: { action: 'pass' }, events, restoreVault };
}
