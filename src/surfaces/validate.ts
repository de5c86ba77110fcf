// Checks of request bodies, shared by every surface that takes the OpenAI-style payload.
// Hand-written rather than schema-driven: they run on every request, and each failure names its field.
import { badRequest } from '../core/errors.js';
import type { ChatRequest, CompletionRequest, EmbeddingsRequest, ModerationRequest } from '../core/types.js';

type Body = Record<string, unknown>;

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

export function requireObject(body: unknown): Body {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('The request body must be a JSON object', null, 'invalid_body');
  }
  return body as Body;
}

export function requireModel(body: Body): string {
  if (body.model === undefined) throw badRequest("Missing required parameter: 'model'", 'model', 'missing_required_parameter');
  if (typeof body.model !== 'string' || body.model === '') throw badRequest("'model' must be a non-empty string", 'model');
  return body.model;
}

function checkCommon(body: Body): void {
  checkNumber(body, 'temperature', 0, 2);
  checkNumber(body, 'top_p', 0, 1);
  checkNumber(body, 'presence_penalty', -2, 2);
  checkNumber(body, 'frequency_penalty', -2, 2);
  checkInteger(body, 'n', 1, 128);
  checkInteger(body, 'max_tokens', 1);
  checkInteger(body, 'max_completion_tokens', 1);
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') throw badRequest("'stream' must be a boolean", 'stream');
  const stop = body.stop;
  if (stop !== undefined && stop !== null && typeof stop !== 'string' && !(Array.isArray(stop) && stop.every((s) => typeof s === 'string'))) {
    throw badRequest("'stop' must be a string or a list of strings", 'stop');
  }
  const options = body.stream_options;
  if (options !== undefined && options !== null && (typeof options !== 'object' || Array.isArray(options))) {
    throw badRequest("'stream_options' must be an object", 'stream_options');
  }
}

export function checkChat(body: Body): ChatRequest {
  const messages = body.messages;
  if (messages === undefined) throw badRequest("Missing required parameter: 'messages'", 'messages', 'missing_required_parameter');
  if (!Array.isArray(messages) || messages.length === 0) throw badRequest("'messages' must be a non-empty list", 'messages');
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as Body | null;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) throw badRequest(`'messages[${i}]' must be an object`, `messages[${i}]`);
    if (typeof m.role !== 'string' || !ROLES.has(m.role)) {
      throw badRequest(`'messages[${i}].role' must be one of ${[...ROLES].join(', ')}`, `messages[${i}].role`);
    }
    const content = m.content;
    const hasToolCalls = Array.isArray(m.tool_calls) && m.tool_calls.length > 0;
    if (content === undefined || content === null) {
      if (!(m.role === 'assistant' && (hasToolCalls || m.function_call))) {
        throw badRequest(`Missing required parameter: 'messages[${i}].content'`, `messages[${i}].content`, 'missing_required_parameter');
      }
    } else if (typeof content !== 'string' && !Array.isArray(content)) {
      throw badRequest(`'messages[${i}].content' must be a string or a list of content parts`, `messages[${i}].content`);
    }
  }
  if (body.tools !== undefined && !Array.isArray(body.tools)) throw badRequest("'tools' must be a list", 'tools');
  checkCommon(body);
  return body as ChatRequest;
}

export function checkCompletion(body: Body): CompletionRequest {
  const prompt = body.prompt;
  if (prompt === undefined) throw badRequest("Missing required parameter: 'prompt'", 'prompt', 'missing_required_parameter');
  if (!isTextOrTokens(prompt)) throw badRequest("'prompt' must be a string, a non-empty list of strings, or token arrays", 'prompt');
  checkCommon(body);
  return body as CompletionRequest;
}

/** OpenAI's text-or-tokens input: a string, strings, token ids, or lists of token ids (prompt, input). */
function isTextOrTokens(value: unknown): boolean {
  return (
    typeof value === 'string' ||
    (Array.isArray(value) &&
      value.length > 0 &&
      (value.every((x) => typeof x === 'string') ||
        value.every((x) => typeof x === 'number') ||
        value.every((x) => Array.isArray(x) && x.every((t) => typeof t === 'number'))))
  );
}

export function checkEmbeddings(body: Body): EmbeddingsRequest {
  const input = body.input;
  if (input === undefined) throw badRequest("Missing required parameter: 'input'", 'input', 'missing_required_parameter');
  if (!isTextOrTokens(input)) throw badRequest("'input' must be a string, a non-empty list of strings, or token arrays", 'input');
  if (body.encoding_format !== undefined && body.encoding_format !== 'float' && body.encoding_format !== 'base64') {
    throw badRequest("'encoding_format' must be 'float' or 'base64'", 'encoding_format');
  }
  checkInteger(body, 'dimensions', 1);
  return body as EmbeddingsRequest;
}

/** OpenAI's moderation input: a string, a non-empty list of strings, or a non-empty list of text and image_url parts. */
export function checkModeration(body: Body): ModerationRequest {
  const input = body.input;
  if (input === undefined) throw badRequest("Missing required parameter: 'input'", 'input', 'missing_required_parameter');
  const isPart = (p: unknown) => {
    const part = p as { type?: unknown; text?: unknown; image_url?: { url?: unknown } } | null;
    return (part?.type === 'text' && typeof part.text === 'string') || (part?.type === 'image_url' && typeof part.image_url?.url === 'string');
  };
  const valid = typeof input === 'string' || (Array.isArray(input) && input.length > 0 && (input.every((x) => typeof x === 'string') || input.every(isPart)));
  if (!valid) throw badRequest("'input' must be a string, a non-empty list of strings, or a list of text and image_url parts", 'input');
  return body as ModerationRequest;
}

function checkNumber(body: Body, key: string, min: number, max: number): void {
  const v = body[key];
  if (v === undefined || v === null) return;
  if (typeof v !== 'number' || Number.isNaN(v) || v < min || v > max) throw badRequest(`'${key}' must be a number from ${min} to ${max}`, key);
}

function checkInteger(body: Body, key: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  const v = body[key];
  if (v === undefined || v === null) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw badRequest(`'${key}' must be an integer${max === Number.MAX_SAFE_INTEGER ? ` of at least ${min}` : ` from ${min} to ${max}`}`, key);
  }
}
