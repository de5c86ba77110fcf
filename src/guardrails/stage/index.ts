// The guardrail stages of the request pipeline, and what other parts of the gateway read or fill in.
export { guardrailCounts, type GuardrailCount } from './counters.js';
export { EVENT_BUFFER_SIZE, recentEvents, type SecurityEvent } from './events.js';
export { inputStage, type CheckedInput, type OutputPlan } from './input.js';
export { guardChatResponse, guardChatStream, guardCompletionResponse, guardCompletionStream } from './output.js';
export { compileStageRules, setGuardrailOverrides, type GuardrailOverrides, type StageRules } from './rules.js';
