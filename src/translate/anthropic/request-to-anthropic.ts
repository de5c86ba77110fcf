// Canonical (OpenAI) chat request -> Anthropic Messages request. Used by the `anthropic` provider.
import { badRequest } from '../../core/errors.js';
import type { ChatMessage, ChatRequest, ContentPart, ToolCall } from '../../core/types.js';
import { parseDataUrl } from '../../providers/shared/data-url.js';
import type { AnthropicBlock, AnthropicMessage, AnthropicRequest, AnthropicTextBlock, AnthropicTool, AnthropicToolChoice } from './wire.js';

export interface ToAnthropicOptions {
  model: string;
  /** Sent when the request gives no max_tokens: Anthropic requires one. */
  defaultMaxTokens: number;
  /** Refuses (or records the drop of) a parameter Anthropic cannot take; see CallOptions.unsupported. */
  unsupported(param: string, reason?: string): void;
}

/** Parameters that are mapped below, or meaningless for Anthropic and safe to leave out. */
const HANDLED = new Set([
  'model', 'messages', 'stream', 'stream_options', 'temperature', 'top_p', 'top_k', 'max_tokens', 'max_completion_tokens',
  'stop', 'tools', 'tool_choice', 'parallel_tool_calls', 'user', 'response_format', 'n',
]);

export function toAnthropicRequest(req: ChatRequest, opts: ToAnthropicOptions): AnthropicRequest {
  for (const [param, value] of Object.entries(req)) {
    if (!HANDLED.has(param) && !isNeutral(param, value)) opts.unsupported(param, 'the Anthropic Messages API has no such parameter');
  }
  if (typeof req.n === 'number' && req.n > 1) opts.unsupported('n', 'Anthropic returns one choice per request');

  const { system, messages } = mapMessages(req.messages, opts);
  const out: AnthropicRequest = { model: opts.model, messages, max_tokens: req.max_completion_tokens ?? req.max_tokens ?? opts.defaultMaxTokens };
  if (system.length > 0) out.system = system;
  if (req.stop !== undefined && req.stop !== null) out.stop_sequences = typeof req.stop === 'string' ? [req.stop] : req.stop;
  if (typeof req.temperature === 'number') out.temperature = req.temperature;
  if (typeof req.top_p === 'number') out.top_p = req.top_p;
  if (typeof req.top_k === 'number') out.top_k = req.top_k;
  if (typeof req.user === 'string') out.metadata = { user_id: req.user };
  if (req.tools?.length) out.tools = req.tools.map(mapTool);
  const choice = mapToolChoice(req.tool_choice, req.parallel_tool_calls === false, out.tools !== undefined);
  if (choice) out.tool_choice = choice;
  const format = mapResponseFormat(req.response_format, opts);
  if (format) out.output_config = { format };
  if (req.stream) out.stream = true;
  return out;
}

/** Parameters some clients always send, whose value 0 asks for nothing (LangChain sends the penalties as 0). */
const ZERO_IS_DEFAULT = new Set(['presence_penalty', 'frequency_penalty']);

/** A parameter that asks for nothing: absent, null, false, or 0 where 0 is the default. */
function isNeutral(param: string, value: unknown): boolean {
  return value === undefined || value === null || value === false || (value === 0 && ZERO_IS_DEFAULT.has(param));
}

/**
 * System and developer messages become the top-level `system` (Anthropic has no system turns), in
 * order. Tool results become `tool_result` blocks of a user turn, and consecutive turns of one role
 * are merged, so a run of tool messages and the user text after them form one user turn.
 */
function mapMessages(input: ChatMessage[], opts: ToAnthropicOptions): { system: AnthropicTextBlock[]; messages: AnthropicMessage[] } {
  const system: AnthropicTextBlock[] = [];
  const messages: AnthropicMessage[] = [];
  const push = (role: AnthropicMessage['role'], blocks: AnthropicBlock[]) => {
    if (blocks.length === 0) return;
    const last = messages[messages.length - 1];
    if (last?.role === role) (last.content as AnthropicBlock[]).push(...blocks);
    else messages.push({ role, content: blocks });
  };
  input.forEach((m, i) => {
    const where = `messages[${i}]`;
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push(...textBlocks(m.content, where));
        break;
      case 'user':
        push('user', contentBlocks(m.content, where, opts));
        break;
      case 'assistant':
        push('assistant', [...textBlocks(m.content, where), ...(m.tool_calls ?? []).map((tc, j) => toolUse(tc, `${where}.tool_calls[${j}]`))]);
        break;
      case 'tool': {
        if (typeof m.tool_call_id !== 'string') throw badRequest(`'${where}.tool_call_id' is required for tool messages`, `${where}.tool_call_id`);
        const result = contentBlocks(m.content, where, opts) as AnthropicTextBlock[];
        push('user', [{ type: 'tool_result', tool_use_id: m.tool_call_id, ...(result.length > 0 ? { content: result } : {}) }]);
        break;
      }
      default:
        throw badRequest(`'${where}.role' ${m.role} is not supported by the Anthropic provider: use tool messages`, `${where}.role`);
    }
  });
  return { system, messages };
}

function textBlocks(content: ChatMessage['content'], where: string): AnthropicTextBlock[] {
  if (content === null || content === undefined || content === '') return [];
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return content.map((part, j): AnthropicTextBlock => {
    if (part.type !== 'text' || typeof part.text !== 'string') throw badRequest(`'${where}.content[${j}]' must be a text part here`, `${where}.content[${j}]`);
    return { type: 'text', text: part.text };
  }).filter((b) => b.text !== '');
}

function contentBlocks(content: ChatMessage['content'], where: string, opts: ToAnthropicOptions): AnthropicBlock[] {
  if (content === null || typeof content === 'string') return textBlocks(content, where);
  const blocks: AnthropicBlock[] = [];
  content.forEach((part, j) => {
    const block = contentBlock(part, `${where}.content[${j}]`, opts);
    if (block) blocks.push(block);
  });
  return blocks;
}

function contentBlock(part: ContentPart, where: string, opts: ToAnthropicOptions): AnthropicBlock | undefined {
  if (part.type === 'text' && typeof part.text === 'string') return part.text === '' ? undefined : { type: 'text', text: part.text };
  if (part.type === 'image_url') {
    const image = part.image_url as { url?: unknown } | string | undefined;
    const url = typeof image === 'string' ? image : image?.url;
    if (typeof url !== 'string') throw badRequest(`'${where}.image_url.url' must be a string`, `${where}.image_url.url`);
    const inline = parseDataUrl(url);
    if (inline) return { type: 'image', source: { type: 'base64', media_type: inline.mimeType, data: inline.data } };
    if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
    throw badRequest(`'${where}.image_url.url' must be an http(s) URL or a base64 data URL`, `${where}.image_url.url`);
  }
  opts.unsupported(where, `content parts of type '${part.type}' have no Anthropic equivalent`);
  return undefined;
}

function toolUse(tc: ToolCall, where: string): AnthropicBlock {
  let input: unknown = {};
  if (tc.function.arguments) {
    try {
      input = JSON.parse(tc.function.arguments);
    } catch {
      throw badRequest(`'${where}.function.arguments' must be JSON: Anthropic takes tool inputs as objects`, `${where}.function.arguments`);
    }
  }
  return { type: 'tool_use', id: tc.id, name: tc.function.name, input };
}

interface FunctionTool {
  type?: string;
  function?: { name?: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean | null };
}

function mapTool(tool: unknown, i: number): AnthropicTool {
  const t = tool as FunctionTool;
  if (t?.type !== 'function' || typeof t.function?.name !== 'string') {
    throw badRequest(`'tools[${i}]' must be {type: "function", function: {name, parameters}}`, `tools[${i}]`);
  }
  const out: AnthropicTool = { name: t.function.name, input_schema: t.function.parameters ?? { type: 'object', properties: {} } };
  if (t.function.description) out.description = t.function.description;
  if (t.function.strict) out.strict = true;
  return out;
}

function mapToolChoice(choice: unknown, noParallel: boolean, hasTools: boolean): AnthropicToolChoice | undefined {
  if (choice === 'none') return { type: 'none' };
  let mapped: Exclude<AnthropicToolChoice, { type: 'none' }> | undefined;
  if (choice === 'required') mapped = { type: 'any' };
  else if (choice === 'auto') mapped = { type: 'auto' };
  else if (choice && typeof choice === 'object') {
    const name = (choice as { function?: { name?: unknown } }).function?.name;
    if (typeof name !== 'string') throw badRequest("'tool_choice' must be none, auto, required or {type: \"function\", function: {name}}", 'tool_choice');
    mapped = { type: 'tool', name };
  } else if (choice !== undefined && choice !== null) {
    throw badRequest("'tool_choice' must be none, auto, required or {type: \"function\", function: {name}}", 'tool_choice');
  }
  if (noParallel && hasTools) return { ...(mapped ?? { type: 'auto' }), disable_parallel_tool_use: true };
  return mapped;
}

/**
 * `json_schema` maps to Anthropic's native structured outputs (`output_config.format`), so the answer is
 * the JSON text itself, as with OpenAI. `json_object` (JSON without a schema) has no Anthropic form.
 */
function mapResponseFormat(format: unknown, opts: ToAnthropicOptions): { type: 'json_schema'; schema: Record<string, unknown> } | undefined {
  if (format === undefined || format === null) return undefined;
  const f = format as { type?: string; json_schema?: { schema?: Record<string, unknown> } };
  if (f.type === 'text') return undefined;
  if (f.type === 'json_schema' && f.json_schema?.schema && typeof f.json_schema.schema === 'object') return { type: 'json_schema', schema: f.json_schema.schema };
  if (f.type === 'json_schema') throw badRequest("'response_format.json_schema.schema' is required", 'response_format.json_schema.schema');
  opts.unsupported('response_format', `type '${f.type}' has no Anthropic equivalent; use json_schema with a schema`);
  return undefined;
}
