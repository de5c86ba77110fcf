// Span attributes after the OpenTelemetry GenAI semantic conventions (gen_ai.*), plus the
// gateway's own (gatehouse.*). Prompts and answers are never recorded: only their shape.
import type { Usage } from '../../core/types.js';
import type { RoutedRequest } from '../../routing/request-facts.js';

export type Attributes = Record<string, string | number | boolean | string[] | undefined>;

/** The registry's well-known gen_ai.provider.name values; other providers keep their config name. */
const PROVIDER_NAMES: Record<string, string> = {
  openai: 'openai',
  anthropic: 'anthropic',
  gemini: 'gcp.gemini',
  bedrock: 'aws.bedrock',
  'amazon-bedrock': 'aws.bedrock',
  'azure-openai': 'azure.ai.openai',
  mistral: 'mistral_ai',
  cohere: 'cohere',
};

export const providerName = (provider: string) => PROVIDER_NAMES[provider] ?? provider;

/** gen_ai.operation.name of a routed request: chat, text_completion or embeddings. */
export function operationOf(req: RoutedRequest): string {
  if ('messages' in req) return 'chat';
  if ('prompt' in req) return 'text_completion';
  return 'embeddings';
}

/** The request parameters the conventions name (the model is set by each span: requested vs upstream). */
export function requestAttributes(req: RoutedRequest): Attributes {
  const r = req as { max_tokens?: number; max_completion_tokens?: number; temperature?: number; top_p?: number; stream?: boolean };
  return {
    'gen_ai.operation.name': operationOf(req),
    'gen_ai.request.max_tokens': r.max_completion_tokens ?? r.max_tokens,
    'gen_ai.request.temperature': r.temperature,
    'gen_ai.request.top_p': r.top_p,
  };
}

/** Provider and model of an upstream call, under both the current and the older attribute name. */
export function providerAttributes(provider: string): Attributes {
  const name = providerName(provider);
  return { 'gen_ai.provider.name': name, 'gen_ai.system': name };
}

export function usageAttributes(usage: Usage | null | undefined): Attributes {
  if (!usage) return {};
  return { 'gen_ai.usage.input_tokens': usage.prompt_tokens, 'gen_ai.usage.output_tokens': usage.completion_tokens };
}

/** What an answer (or a stream chunk) tells: the model that answered, finish reasons, usage. */
export interface AnswerFacts {
  model?: string;
  finishReasons: string[];
  usage?: Usage;
}

export function readAnswer(answer: unknown, facts: AnswerFacts): void {
  const a = answer as { model?: unknown; choices?: { finish_reason?: unknown }[]; usage?: Usage | null } | null;
  if (!a || typeof a !== 'object') return;
  if (typeof a.model === 'string' && a.model) facts.model = a.model;
  if (Array.isArray(a.choices)) {
    for (const choice of a.choices) if (typeof choice?.finish_reason === 'string') facts.finishReasons.push(choice.finish_reason);
  }
  if (a.usage) facts.usage = a.usage;
}

export function answerAttributes(facts: AnswerFacts): Attributes {
  return {
    'gen_ai.response.model': facts.model,
    'gen_ai.response.finish_reasons': facts.finishReasons.length > 0 ? facts.finishReasons : undefined,
    ...usageAttributes(facts.usage),
  };
}

/** error.type: the gateway's error code (upstream_timeout, upstream_error…), or the exception's class. */
export function errorType(err: unknown): string {
  const e = err as { code?: unknown; type?: unknown; name?: unknown } | null;
  if (e && typeof e.code === 'string' && e.code) return e.code;
  if (e && typeof e.type === 'string' && e.type) return e.type;
  return typeof e?.name === 'string' ? e.name : '_OTHER';
}

/** Drops unset values: OpenTelemetry refuses undefined attributes. */
export function defined(attributes: Attributes): Record<string, string | number | boolean | string[]> {
  const out: Record<string, string | number | boolean | string[]> = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = value;
  return out;
}
