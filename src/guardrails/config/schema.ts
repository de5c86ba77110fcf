// The guardrails section of the config, as a zod schema with a description on every key. It is
// exported for the main config schema to include; build.ts compiles a parsed value into a rule set.
import { z } from 'zod';
import { duration } from '../../config/duration.js';
import { BUILTIN_PII_TYPES } from '../pii/detect.js';
import { DEFAULT_NATIONAL_ID_MAX_LENGTH } from '../pii/national-ids.js';
import { patternError } from '../policy/regex.js';

export const GUARDRAIL_ACTIONS = ['block', 'redact', 'flag', 'route'] as const;
export const GUARDRAIL_STAGES = ['input', 'output', 'both'] as const;
export const GUARDRAIL_RULE_TYPES = ['pii', 'injection', 'prompt_guard', 'topics', 'max_tokens', 'json_schema', 'webhook', 'moderation'] as const;

const regexSource = (description: string) =>
  z
    .string()
    .min(1)
    .max(500)
    .superRefine((source, ctx) => {
      const error = patternError(source);
      if (error) ctx.addIssue({ code: 'custom', message: `is not a valid regular expression: ${error}` });
    })
    .meta({ description });

const regexList = (description: string) =>
  z
    .array(regexSource('A regular expression (JavaScript syntax; a leading PCRE flag group such as "(?i)" is accepted).'))
    .default([])
    .meta({ description });

const common = {
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]*$/, { message: 'rule names use lower-case letters, digits, ".", "_" and "-"' })
    .meta({ description: 'Rule name: named in block errors, security events and metrics. Unique within the guardrails section.' }),
  stage: z.enum(GUARDRAIL_STAGES).default('input').meta({
    description: 'Where the rule applies: input (the request, before any upstream call; the default), output (the response, streamed or not) or both.',
  }),
  action: z.enum(GUARDRAIL_ACTIONS).default('block').meta({
    description:
      'What a firing does: block (input: a 400 naming the rule and no upstream call; output: the stream is cut with an error event), redact (PII only: replace values by placeholders), flag (a security event only) or route (send the request to route_to instead).',
  }),
  route_to: z.string().min(1).optional().meta({ description: 'With action route: the endpoint or route that receives requests this rule fires on.' }),
};

const PiiRuleSchema = z
  .strictObject({
    type: z.literal('pii').meta({ description: 'Personal data and secrets.' }),
    ...common,
    detectors: z.array(z.enum(BUILTIN_PII_TYPES)).min(1).optional().meta({
      description: `Built-in detectors to run: ${BUILTIN_PII_TYPES.join(', ')}. All of them when omitted.`,
    }),
    national_ids: z
      .array(
        z.strictObject({
          name: z.string().regex(/^[a-z][a-z0-9_]*$/, { message: 'use lower-case letters, digits and "_"' }).meta({
            description: 'Id name, upper-cased in placeholders: uk_nino gives [UK_NINO_1].',
          }),
          pattern: regexSource('Regular expression (JavaScript syntax) that matches one id.'),
          ignore_case: z.boolean().default(false).meta({ description: 'Match the pattern case-insensitively.' }),
          max_length: z.int().min(1).max(256).default(DEFAULT_NATIONAL_ID_MAX_LENGTH).meta({
            description: 'Longest text one id can span; streamed output holds back this many characters for it.',
          }),
        }),
      )
      .default([])
      .meta({ description: 'Extra national-id formats, e.g. { name: uk_nino, pattern: "\\\\b[A-CEGHJ-PR-TW-Z]{2}\\\\d{6}[A-D]\\\\b" }.' }),
    mode: z.enum(['mask', 'mask_and_restore']).default('mask').meta({
      description:
        'With action redact: mask replaces values by numbered placeholders ([EMAIL_1]); mask_and_restore (input only) also puts the values back into the answer, so the provider never sees them but the client does.',
    }),
  })
  .meta({ description: 'Detects emails, phone numbers, payment cards, IBANs, SSNs and configured national ids, IP addresses and secrets.' });

const PromptGuardRuleSchema = z
  .strictObject({
    type: z.literal('prompt_guard').meta({ description: "Allow and deny patterns with the semantics of Kong's ai-prompt-guard." }),
    ...common,
    allow_patterns: regexList('When set, the prompt must match at least one of these, or the rule fires.'),
    deny_patterns: regexList('A prompt matching any of these fires the rule, even if it also matches an allow pattern.'),
    match_all_roles: z.boolean().default(false).meta({ description: 'Check system, assistant and tool messages too, not only user messages.' }),
    latest_only: z.boolean().default(false).meta({
      description: "Check only the newest message instead of the whole history (Kong's allow_all_conversation_history).",
    }),
  })
  .meta({ description: 'Regular-expression allow and deny lists over the prompt (and, on output, deny patterns over the answer).' });

const TopicsRuleSchema = z
  .strictObject({
    type: z.literal('topics').meta({ description: 'Topic keyword lists.' }),
    ...common,
    topics: z
      .array(
        z.strictObject({
          name: z.string().min(1).meta({ description: 'Topic name, reported when the topic is found.' }),
          keywords: z.array(z.string().trim().min(1)).min(1).meta({ description: 'Words or phrases, matched as whole words, ignoring case.' }),
        }),
      )
      .min(1)
      .meta({ description: 'Topics; the rule fires when the text touches any of them.' }),
  })
  .meta({ description: 'Fires when user messages (or the answer) mention a listed topic.' });

const MaxTokensRuleSchema = z
  .strictObject({
    type: z.literal('max_tokens').meta({ description: 'Token limits.' }),
    ...common,
    max_input_tokens: z.int().positive().optional().meta({ description: 'Most tokens the whole prompt may have (all messages and tool arguments).' }),
    max_output_tokens: z.int().positive().optional().meta({ description: 'Most tokens the answer may have; a stream is cut when it passes the limit.' }),
  })
  .meta({ description: 'Refuses prompts over max_input_tokens and cuts answers over max_output_tokens.' });

const JsonSchemaRuleSchema = z
  .strictObject({
    type: z.literal('json_schema').meta({ description: 'Structured outputs: the answer must match the JSON schema the request asked for.' }),
    ...common,
    stage: z.literal('output').default('output').meta({ description: 'Always output: the rule checks answers.' }),
  })
  .meta({
    description:
      "Validates answers to requests with response_format json_schema (against the request's schema) or json_object (must be a JSON object). Requests without response_format are not checked. Streams are checked when each choice ends.",
  });

/** Rules that ask a service over the network: how long to wait, and what a failed call means. */
const external = {
  timeout: duration('Upper bound on one call; a slower answer counts as a failure (see on_failure). Default 2s.', { positive: true }).prefault('2s'),
  on_failure: z.enum(['allow', 'block']).default('allow').meta({
    description: 'What a failed call (timeout, connection error, non-2xx, unreadable answer) means: allow (fail open, the default) or block (fail closed). Either way a security event is recorded.',
  }),
};

const scope = z.enum(['user', 'user_and_tools', 'all']).default('user');

const InjectionRuleSchema = z
  .strictObject({
    type: z.literal('injection').meta({ description: 'Prompt injection and jailbreak attempts.' }),
    ...common,
    threshold: z.number().min(0).max(1).default(0.5).meta({
      description: 'Score (0 to 1) at or above which the rule fires. One strong signal such as "ignore previous instructions" scores 0.9.',
    }),
    scope: scope.meta({
      description:
        'Which messages are scored: user turns (the default), user turns and tool results (indirect injection through retrieved documents or tool output), or every message.',
    }),
  })
  .meta({ description: 'Scores the prompt with pattern families: instruction override, role-play jailbreaks, system-prompt extraction, chat-template delimiters, encoded or obfuscated payloads.' });

const WebhookRuleSchema = z
  .strictObject({
    type: z.literal('webhook').meta({ description: 'An external guardrail service, asked over HTTP.' }),
    ...common,
    url: z.url({ protocol: /^https?$/ }).meta({ description: 'Where the gateway POSTs {rule, stage, target, request_id, kind, texts}; the service answers {"allowed": true|false, "reason"?: "..."}.' }),
    ...external,
  })
  .meta({
    description:
      'Asks an external service (a moderation or classifier endpoint) about the request (after the built-in rules, so it sees redacted text) or the whole answer (streams: when each choice ends).',
  });

const score = z.number().min(0).max(1);

const ModerationRuleSchema = z
  .strictObject({
    type: z.literal('moderation').meta({ description: "A moderation classifier behind a configured endpoint (OpenAI's or Mistral's moderation API)." }),
    ...common,
    endpoint: z.string().min(1).meta({
      description: 'The llm/v1/moderations endpoint that classifies the text: its provider (openai or mistral), model and credentials are used.',
    }),
    categories: z.array(z.string().min(1)).min(1).optional().meta({
      description:
        'Categories that count, by the provider\'s names (OpenAI: harassment, hate, illicit, self-harm, sexual, violence, ...; Mistral: sexual, hate_and_discrimination, violence_and_threats, selfharm, ...). A name covers its sub-categories: "violence" covers "violence/graphic". Every category when omitted.',
    }),
    threshold: score.optional().meta({
      description: "Score (0 to 1) at or above which a counted category fires. Without it (and without a per-category threshold) the provider's own true/false flag for the category decides.",
    }),
    thresholds: z.record(z.string().min(1), score).default({}).meta({
      description: 'Per-category score thresholds, e.g. { violence: 0.3, "self-harm": 0.1 }; a name covers its sub-categories, the most specific name wins, and they take precedence over threshold.',
    }),
    scope: scope.meta({
      description: 'On chat input, which messages are classified: user turns (the default), user turns and tool results, or every message. Completion prompts and embeddings inputs are classified whole; on output, each choice\'s answer.',
    }),
    ...external,
  })
  .meta({
    description:
      'Classifies the request (after the built-in rules, so redacted text) or each whole answer (non-streamed answers; streams when each choice ends) with a moderation endpoint; fires when a counted category is flagged or scores at its threshold.',
  });

export const GuardrailRuleSchema = z
  .discriminatedUnion('type', [
    PiiRuleSchema,
    InjectionRuleSchema,
    PromptGuardRuleSchema,
    TopicsRuleSchema,
    MaxTokensRuleSchema,
    JsonSchemaRuleSchema,
    WebhookRuleSchema,
    ModerationRuleSchema,
  ])
  .superRefine((rule, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (rule.action === 'route' && !rule.route_to) issue('route_to', 'is required when action is route');
    if (rule.action !== 'route' && rule.route_to) issue('route_to', 'is only used when action is route');
    if (rule.action === 'route' && rule.stage !== 'input') issue('stage', 'route sends the request elsewhere before the upstream call: use stage input');
    if (rule.action === 'redact' && rule.type !== 'pii') issue('action', 'redact applies to pii rules only; use block, flag or route');
    if (rule.type === 'pii' && rule.mode === 'mask_and_restore') {
      if (rule.action !== 'redact') issue('mode', 'mask_and_restore needs action redact');
      if (rule.stage !== 'input') issue('stage', 'mask_and_restore masks the input and restores the output: use stage input');
    }
    if (rule.type === 'injection' && rule.stage !== 'input') issue('stage', 'injection rules score prompts: use stage input');
    if (rule.type === 'prompt_guard' && rule.stage !== 'input' && rule.allow_patterns.length > 0) {
      issue('allow_patterns', 'allow patterns judge prompts only: use stage input, or a separate rule for output deny patterns');
    }
    if (rule.type === 'moderation' && rule.categories) {
      const counted = rule.categories;
      for (const name of Object.keys(rule.thresholds)) {
        if (!counted.some((c) => name === c || name.startsWith(`${c}/`))) issue('thresholds', `"${name}" is not among categories (${counted.join(', ')}); its threshold would never apply`);
      }
    }
    if (rule.type === 'max_tokens') {
      if (rule.max_input_tokens === undefined && rule.max_output_tokens === undefined) issue('max_input_tokens', 'set max_input_tokens, max_output_tokens or both');
    }
  })
  .meta({ description: 'One guardrail rule.' });

export const GuardrailsConfigSchema = z
  .strictObject({
    rules: z
      .array(GuardrailRuleSchema)
      .default([])
      .superRefine(
        (rules, ctx) => {
          const seen = new Set<unknown>();
          rules.forEach((rule, index) => {
            const name = (rule as { name?: unknown } | undefined)?.name;
            if (typeof name !== 'string') return;
            if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `"${name}" is used by an earlier rule` });
            seen.add(name);
          });
        },
        // Also when some rule is invalid, so one run reports every error.
        { when: (payload) => Array.isArray(payload.value) },
      )
      .meta({ description: 'Rules in order: input rules run before the upstream call, the first block or route ends the evaluation.' }),
  })
  .meta({ description: 'Input and output guardrails: PII redaction, prompt-injection scoring, content policy and token limits.' });

export type GuardrailRuleConfig = z.infer<typeof GuardrailRuleSchema>;
export type GuardrailsConfig = z.infer<typeof GuardrailsConfigSchema>;
/** The config as written (defaults not yet applied). */
export type GuardrailsConfigInput = z.input<typeof GuardrailsConfigSchema>;
