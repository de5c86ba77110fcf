// Anthropic Messages request (as the /v1/messages surface receives it) -> canonical chat request.
// Checks the body as it goes: every refusal names the field, as Anthropic's own errors do.
import { badRequest } from '../../core/errors.js';
import type { ChatMessage, ChatRequest, ContentPart, ToolCall } from '../../core/types.js';

type Body = Record<string, unknown>;

/** Top-level fields this surface takes. Anything else is refused rather than silently ignored. */
const ACCEPTED = new Set([
  'model', 'messages', 'system', 'max_tokens', 'stop_sequences', 'temperature', 'top_p', 'top_k', 'tools', 'tool_choice',
  'metadata', 'stream', 'output_config', 'thinking', 'service_tier',
]);

/**
 * `forCount` reads a count_tokens body, which has no max_tokens. Streams ask for usage, so the
 * final message_delta can carry the counts.
 */
export function fromAnthropicRequest(body: Body, opts: { forCount?: boolean } = {}): ChatRequest {
  for (const key of Object.keys(body)) {
    if (!ACCEPTED.has(key)) throw badRequest(`${key}: Extra inputs are not permitted`, key);
  }
  const thinking = body.thinking as { type?: string } | undefined;
  if (thinking && thinking.type !== 'disabled') throw badRequest('thinking: extended thinking is not supported through Gatehouse', 'thinking');

  const req: ChatRequest = { messages: [...systemMessages(body.system), ...mapMessages(body.messages)] };
  if (!opts.forCount) {
    if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens) || body.max_tokens < 1) {
      throw badRequest('max_tokens: Field required (a positive integer)', 'max_tokens');
    }
    req.max_tokens = body.max_tokens;
  }
  if (body.stop_sequences !== undefined) {
    if (!Array.isArray(body.stop_sequences) || !body.stop_sequences.every((s) => typeof s === 'string')) throw badRequest('stop_sequences: must be a list of strings', 'stop_sequences');
    if (body.stop_sequences.length > 0) req.stop = body.stop_sequences;
  }
  copyNumber(body, req, 'temperature', 0, 1);
  copyNumber(body, req, 'top_p', 0, 1);
  copyNumber(body, req, 'top_k', 0);
  const userId = (body.metadata as { user_id?: unknown } | undefined)?.user_id;
  if (typeof userId === 'string') req.user = userId;
  if (body.tools !== undefined) req.tools = mapTools(body.tools);
  if (body.tool_choice !== undefined) Object.assign(req, mapToolChoice(body.tool_choice));
  const format = (body.output_config as { format?: { type?: string; schema?: unknown } } | undefined)?.format;
  if (format) {
    if (format.type !== 'json_schema' || !format.schema || typeof format.schema !== 'object') throw badRequest('output_config.format: must be {type: "json_schema", schema}', 'output_config.format');
    req.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: format.schema, strict: true } };
  }
  if (body.stream === true) {
    req.stream = true;
    req.stream_options = { include_usage: true };
  }
  return req;
}

function copyNumber(body: Body, req: ChatRequest, key: 'temperature' | 'top_p' | 'top_k', min: number, max = Infinity): void {
  const v = body[key];
  if (v === undefined || v === null) return;
  if (typeof v !== 'number' || Number.isNaN(v) || v < min || v > max) {
    throw badRequest(`${key}: must be a number ${max === Infinity ? `of at least ${min}` : `from ${min} to ${max}`}`, key);
  }
  req[key] = v;
}

function systemMessages(system: unknown): ChatMessage[] {
  if (system === undefined || system === null || system === '') return [];
  if (typeof system === 'string') return [{ role: 'system', content: system }];
  if (!Array.isArray(system)) throw badRequest('system: must be a string or a list of text blocks', 'system');
  const parts = system.map((b, i) => {
    const block = b as Body;
    if (block?.type !== 'text' || typeof block.text !== 'string') throw badRequest(`system.${i}: must be a text block`, `system.${i}`);
    return { type: 'text', text: block.text };
  });
  return parts.length > 0 ? [{ role: 'system', content: parts }] : [];
}

/**
 * A user turn's tool_result blocks become tool messages (first, as OpenAI expects them right after
 * the assistant's tool calls), and its other blocks a user message after them. An assistant turn's
 * text becomes its content and its tool_use blocks its tool_calls.
 */
function mapMessages(messages: unknown): ChatMessage[] {
  if (!Array.isArray(messages) || messages.length === 0) throw badRequest('messages: must be a non-empty list', 'messages');
  const out: ChatMessage[] = [];
  messages.forEach((m, i) => {
    const where = `messages.${i}`;
    const message = m as Body;
    if (message?.role !== 'user' && message?.role !== 'assistant') throw badRequest(`${where}.role: must be "user" or "assistant"`, `${where}.role`);
    const blocks = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
    if (!Array.isArray(blocks)) throw badRequest(`${where}.content: must be a string or a list of content blocks`, `${where}.content`);
    if (message.role === 'assistant') out.push(assistantMessage(blocks as Body[], where));
    else out.push(...userMessages(blocks as Body[], where));
  });
  return out;
}

function assistantMessage(blocks: Body[], where: string): ChatMessage {
  let text = '';
  const toolCalls: ToolCall[] = [];
  blocks.forEach((block, j) => {
    if (block?.type === 'text' && typeof block.text === 'string') text += block.text;
    else if (block?.type === 'tool_use') {
      if (typeof block.id !== 'string' || typeof block.name !== 'string') throw badRequest(`${where}.content.${j}: tool_use needs id and name`, `${where}.content.${j}`);
      toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
    } else if (block?.type !== 'thinking' && block?.type !== 'redacted_thinking') {
      // Earlier reasoning is the model's own scratch space; other block types cannot be represented.
      throw badRequest(`${where}.content.${j}: blocks of type ${String(block?.type)} are not supported in assistant turns`, `${where}.content.${j}`);
    }
  });
  const message: ChatMessage = { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return message;
}

function userMessages(blocks: Body[], where: string): ChatMessage[] {
  const tools: ChatMessage[] = [];
  const parts: ContentPart[] = [];
  blocks.forEach((block, j) => {
    const at = `${where}.content.${j}`;
    if (block?.type === 'tool_result') {
      if (typeof block.tool_use_id !== 'string') throw badRequest(`${at}.tool_use_id: Field required`, `${at}.tool_use_id`);
      const content = typeof block.content === 'string' ? block.content : Array.isArray(block.content) ? (block.content as Body[]).map((b, k) => contentPart(b, `${at}.content.${k}`)) : '';
      // OpenAI has no error flag on tool results; the model is told in the text instead.
      tools.push({ role: 'tool', tool_call_id: block.tool_use_id, content: block.is_error === true ? withErrorNote(content) : content });
    } else {
      parts.push(contentPart(block, at));
    }
  });
  if (parts.length === 0) return tools;
  const onlyText = parts.every((p) => p.type === 'text');
  return [...tools, { role: 'user', content: onlyText ? parts.map((p) => p.text).join('') : parts }];
}

function withErrorNote(content: string | ContentPart[]): string | ContentPart[] {
  return typeof content === 'string' ? `Error: ${content}` : [{ type: 'text', text: 'Error:' }, ...content];
}

function contentPart(block: Body, at: string): ContentPart {
  if (block?.type === 'text' && typeof block.text === 'string') return { type: 'text', text: block.text };
  if (block?.type === 'image') {
    const source = block.source as Body | undefined;
    if (source?.type === 'base64' && typeof source.media_type === 'string' && typeof source.data === 'string') {
      return { type: 'image_url', image_url: { url: `data:${source.media_type};base64,${source.data}` } };
    }
    if (source?.type === 'url' && typeof source.url === 'string') return { type: 'image_url', image_url: { url: source.url } };
    throw badRequest(`${at}.source: must be {type: "base64", media_type, data} or {type: "url", url}`, `${at}.source`);
  }
  throw badRequest(`${at}: blocks of type ${String(block?.type)} are not supported by Gatehouse`, at);
}

function mapTools(tools: unknown): unknown[] {
  if (!Array.isArray(tools)) throw badRequest('tools: must be a list', 'tools');
  return tools.map((t, i) => {
    const tool = t as Body;
    if ((tool?.type !== undefined && tool.type !== null && tool.type !== 'custom') || typeof tool?.name !== 'string') {
      throw badRequest(`tools.${i}: only custom tools ({name, description, input_schema}) are supported`, `tools.${i}`);
    }
    const fn: Body = { name: tool.name, parameters: tool.input_schema ?? { type: 'object', properties: {} } };
    if (typeof tool.description === 'string') fn.description = tool.description;
    if (tool.strict === true) fn.strict = true;
    return { type: 'function', function: fn };
  });
}

function mapToolChoice(choice: unknown): { tool_choice: unknown; parallel_tool_calls?: false } {
  const c = choice as { type?: string; name?: unknown; disable_parallel_tool_use?: unknown } | null;
  let toolChoice: unknown;
  if (c?.type === 'auto') toolChoice = 'auto';
  else if (c?.type === 'any') toolChoice = 'required';
  else if (c?.type === 'none') toolChoice = 'none';
  else if (c?.type === 'tool' && typeof c.name === 'string') toolChoice = { type: 'function', function: { name: c.name } };
  else throw badRequest('tool_choice: must be {type: "auto" | "any" | "none"} or {type: "tool", name}', 'tool_choice');
  return c.disable_parallel_tool_use === true ? { tool_choice: toolChoice, parallel_tool_calls: false } : { tool_choice: toolChoice };
}
