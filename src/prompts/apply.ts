// Requests by reference: a chat request may name `prompt: {id, version?, variables}` instead of, or
// before, its messages. The prompt's rendered messages go first, then the request's own; the
// prompt's model parameters apply where the request sets none. Used by the OpenAI and Anthropic surfaces.
import type { RequestContext } from '../core/context.js';
import { badRequest } from '../core/errors.js';
import type { Target } from '../core/runtime.js';
import type { ChatMessage, ChatRequest } from '../core/types.js';
import { RequestFacts } from '../routing/request-facts.js';
import type { CompiledPrompt } from './compile.js';
import type { PromptParameters } from './file-schema.js';
import type { PromptLibrary } from './library.js';
import { bindVariables } from './variables.js';

type Body = Record<string, unknown>;

export interface Rendered {
  prompt: CompiledPrompt;
  messages: ChatMessage[];
}

/**
 * Picks the prompt version (`version` given, else the route's split, else the pin), checks the
 * variables and renders the messages; records the version on the request. `params` names where the
 * variables sit in the request, for errors.
 */
export function renderPrompt(
  prompts: PromptLibrary,
  ctx: RequestContext,
  target: Target,
  ref: { id: string; version?: number; variables: unknown },
  facts: Body,
  param = 'prompt.variables',
): Rendered {
  const prompt = prompts.choose(ref.id, ref.version, target, () => new RequestFacts(facts as unknown as ChatRequest, ctx.headers, ctx.identity));
  ctx.promptVersion = prompt.key;
  return { prompt, messages: prompts.render(prompt, bindVariables(prompt.key, prompt.variables, ref.variables, param)) };
}

/** The `prompt` field of a chat request. */
function readReference(value: unknown): { id: string; version?: number; variables: unknown } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badRequest("'prompt' must be an object: {id, version?, variables?}", 'prompt');
  const { id, version, variables, ...other } = value as Body;
  const unknown = Object.keys(other)[0];
  if (unknown !== undefined) throw badRequest(`Unknown field 'prompt.${unknown}'; a prompt reference has id, version and variables`, `prompt.${unknown}`);
  if (typeof id !== 'string' || id === '') throw badRequest("Missing required parameter: 'prompt.id'", 'prompt.id', 'missing_required_parameter');
  // OpenAI's reusable prompts write the version as a string.
  const number = typeof version === 'string' && /^[1-9][0-9]*$/.test(version) ? Number(version) : version;
  if (number !== undefined && number !== null && !(typeof number === 'number' && Number.isInteger(number) && number > 0)) {
    throw badRequest("'prompt.version' must be a positive integer", 'prompt.version');
  }
  return { id, version: (number ?? undefined) as number | undefined, variables };
}

/** The request's own list goes after the prompt's messages; anything else is left for the body check to refuse. */
function withOwn(rendered: unknown[], own: unknown): unknown {
  if (own === undefined || own === null) return rendered;
  return Array.isArray(own) ? [...rendered, ...own] : own;
}

/** max_tokens and max_completion_tokens are one limit: a request that sets either overrides both. */
function unsetParameters(parameters: PromptParameters, body: Body): Body {
  const out: Body = {};
  const limitSet = body.max_tokens != null || body.max_completion_tokens != null;
  for (const [key, value] of Object.entries(parameters)) {
    if (body[key] != null || (limitSet && (key === 'max_tokens' || key === 'max_completion_tokens'))) continue;
    out[key] = value;
  }
  return out;
}

/** An OpenAI chat body with `prompt` as the body with the prompt rendered in; without it, the body unchanged. */
export function expandOpenAIPrompt(prompts: PromptLibrary, ctx: RequestContext, target: Target, body: Body): Body {
  if (body.prompt === undefined) return body;
  const { prompt: ref, ...rest } = body;
  const { prompt, messages } = renderPrompt(prompts, ctx, target, readReference(ref), rest);
  return { ...unsetParameters(prompt.parameters, rest), ...rest, messages: withOwn(messages, rest.messages) };
}

/**
 * The same for an Anthropic Messages body: system messages join `system` (first), the others lead
 * `messages`. Parameters Anthropic's wire has no field for (seed, penalties, response_format) come
 * back in `extra`, for the canonical request.
 */
export function expandAnthropicPrompt(prompts: PromptLibrary, ctx: RequestContext, target: Target, body: Body): { body: Body; extra: Partial<ChatRequest> } {
  if (body.prompt === undefined) return { body, extra: {} };
  const { prompt: ref, ...rest } = body;
  const { prompt, messages } = renderPrompt(prompts, ctx, target, readReference(ref), rest);
  const system = messages.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => ({ type: 'text', text: m.content }));
  const turns = messages.filter((m) => m.role === 'user' || m.role === 'assistant').map((m) => ({ role: m.role, content: m.content }));
  const own = rest.system;
  const ownBlocks = typeof own === 'string' ? (own ? [{ type: 'text', text: own }] : []) : own;
  const { max_tokens, max_completion_tokens, temperature, top_p, stop, ...extra } = unsetParameters(prompt.parameters, rest);
  const mapped: Body = { max_tokens: max_tokens ?? max_completion_tokens, temperature, top_p, stop_sequences: typeof stop === 'string' ? [stop] : stop };
  for (const key of Object.keys(mapped)) if (mapped[key] === undefined || rest[key] !== undefined) delete mapped[key];
  const expanded: Body = { ...mapped, ...rest, messages: withOwn(turns, rest.messages) };
  if (system.length > 0) expanded.system = Array.isArray(ownBlocks) ? [...system, ...ownBlocks] : own === undefined || own === null ? system : own;
  return { body: expanded, extra: extra as Partial<ChatRequest> };
}
