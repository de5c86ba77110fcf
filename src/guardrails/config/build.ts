// Compiles a guardrails config object into a rule set: regexes compiled and detectors chosen once,
// at config load, so a request only runs them. Invalid config comes back as errors naming the field.
import { type Detector } from '../pii/types.js';
import { createDetectors } from '../pii/detect.js';
import { PromptGuard } from '../policy/prompt-guard.js';
import type { PromptSelection } from '../policy/prompt-text.js';
import { estimateTokens, type TokenCounter } from '../policy/tokens.js';
import { TopicMatcher } from '../policy/topics.js';
import { type GuardrailRuleConfig, type GuardrailsConfig, GuardrailsConfigSchema, type GuardrailsConfigInput } from './schema.js';

interface RuleBase {
  name: string;
  appliesToInput: boolean;
  appliesToOutput: boolean;
  action: GuardrailRuleConfig['action'];
  routeTo?: string;
}

export type CompiledRule = RuleBase &
  (
    | { type: 'pii'; detectors: Detector[]; mode: 'mask' | 'mask_and_restore' }
    | { type: 'injection'; threshold: number; scope: MessageScope }
    | { type: 'prompt_guard'; guard: PromptGuard; selection: PromptSelection }
    | { type: 'topics'; matcher: TopicMatcher }
    | { type: 'max_tokens'; maxInputTokens?: number; maxOutputTokens?: number }
    | { type: 'json_schema' }
    | ({ type: 'webhook'; url: string } & ExternalSettings)
    | ({ type: 'moderation'; endpoint: string; categories?: string[]; threshold?: number; thresholds: Record<string, number>; scope: MessageScope } & ExternalSettings)
  );

/** How rules that call a service wait for it, and what a failed call means. */
export interface ExternalSettings {
  timeoutMs: number;
  /** A failed call lets the request on (true) or refuses it with a 503 (false). */
  failOpen: boolean;
}

export type MessageScope = 'user' | 'user_and_tools' | 'all';

export interface GuardrailRuleSet {
  rules: CompiledRule[];
  countTokens: TokenCounter;
}

export interface GuardrailConfigError {
  /** Dotted path from the guardrails section, e.g. "rules.2.threshold". */
  path: string;
  message: string;
}

export type BuildResult = { ok: true; ruleSet: GuardrailRuleSet } | { ok: false; errors: GuardrailConfigError[] };

function compileRule(rule: GuardrailRuleConfig): CompiledRule {
  const base: RuleBase = {
    name: rule.name,
    appliesToInput: rule.stage !== 'output',
    appliesToOutput: rule.stage !== 'input',
    action: rule.action,
    ...(rule.route_to ? { routeTo: rule.route_to } : {}),
  };
  switch (rule.type) {
    case 'pii':
      return {
        ...base,
        type: 'pii',
        mode: rule.mode,
        detectors: createDetectors({
          types: rule.detectors,
          nationalIds: rule.national_ids.map((id) => ({ name: id.name, pattern: id.pattern, ignoreCase: id.ignore_case, maxLength: id.max_length })),
        }),
      };
    case 'injection':
      return { ...base, type: 'injection', threshold: rule.threshold, scope: rule.scope };
    case 'prompt_guard':
      return {
        ...base,
        type: 'prompt_guard',
        guard: new PromptGuard({ allow: rule.allow_patterns, deny: rule.deny_patterns }),
        selection: { matchAllRoles: rule.match_all_roles, latestOnly: rule.latest_only },
      };
    case 'topics':
      return { ...base, type: 'topics', matcher: new TopicMatcher(rule.topics) };
    case 'max_tokens':
      return { ...base, type: 'max_tokens', maxInputTokens: rule.max_input_tokens, maxOutputTokens: rule.max_output_tokens };
    case 'json_schema':
      return { ...base, type: 'json_schema' };
    case 'webhook':
      return { ...base, type: 'webhook', url: rule.url, ...externalSettings(rule) };
    case 'moderation': {
      const { endpoint, categories, threshold, thresholds, scope } = rule;
      return { ...base, type: 'moderation', endpoint, categories, threshold, thresholds, scope, ...externalSettings(rule) };
    }
  }
}

function externalSettings(rule: { timeout: number; on_failure: 'allow' | 'block' }): ExternalSettings {
  return { timeoutMs: rule.timeout, failOpen: rule.on_failure === 'allow' };
}

/** `countTokens` is the gateway's tokenizer when it has one; the estimator otherwise. */
export function buildGuardrails(config: unknown, options: { countTokens?: TokenCounter } = {}): BuildResult {
  const parsed = GuardrailsConfigSchema.safeParse(config ?? {});
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })) };
  }
  return { ok: true, ruleSet: compileGuardrails(parsed.data, options) };
}

/**
 * Compiles a section the config schema has already parsed (the gateway's config loader does).
 * Parsing is not repeatable: durations are already milliseconds, which a second parse would read as seconds.
 */
export function compileGuardrails(config: GuardrailsConfig, options: { countTokens?: TokenCounter } = {}): GuardrailRuleSet {
  return { rules: config.rules.map(compileRule), countTokens: options.countTokens ?? estimateTokens };
}

/**
 * The default set: PII masked before the provider and restored in the answer, secrets and PII the
 * model produces itself masked in the output, and prompt injection blocked at the default threshold.
 */
export const DEFAULT_GUARDRAILS_CONFIG: GuardrailsConfigInput = {
  rules: [
    { name: 'pii-input', type: 'pii', stage: 'input', action: 'redact', mode: 'mask_and_restore' },
    { name: 'prompt-injection', type: 'injection', stage: 'input', action: 'block', threshold: 0.5 },
    { name: 'pii-output', type: 'pii', stage: 'output', action: 'redact', mode: 'mask' },
  ],
};
