// Guardrails engine: pure detectors, redaction, scoring and stream checks over canonical requests.
export { buildGuardrails, DEFAULT_GUARDRAILS_CONFIG, type BuildResult, type CompiledRule, type GuardrailConfigError, type GuardrailRuleSet } from './config/build.js';
export { GuardrailRuleSchema, GuardrailsConfigSchema, type GuardrailsConfig, type GuardrailsConfigInput } from './config/schema.js';
export type { GuardrailEvent } from './engine/events.js';
export { applyInputGuardrails, type GuardedRequest, type InputDecision, type InputResult } from './engine/input.js';
export { guardOutputText, OutputGuard, type OutputStep } from './engine/output.js';
export { scoreInjection, type InjectionScore } from './injection/score.js';
export { BUILTIN_PII_TYPES, createDetectors, detectSpans, type BuiltinPiiType } from './pii/detect.js';
export type { NationalIdPattern } from './pii/national-ids.js';
export type { Detector, Span } from './pii/types.js';
export { PromptGuard } from './policy/prompt-guard.js';
export { selectPromptText } from './policy/prompt-text.js';
export { estimateTokens, type TokenCounter } from './policy/tokens.js';
export { TopicMatcher } from './policy/topics.js';
export { Masker } from './redact/mask.js';
export { ChatChunkRestorer, restoreChatResponse } from './redact/restore-chat.js';
export { restoreText, StreamRestorer } from './redact/restore.js';
export { PlaceholderVault } from './redact/vault.js';
export { StreamScanner, type ScanResult, type StreamCheck } from './stream/scanner.js';
