// Canonical (OpenAI-shaped) chat request -> Cohere's v2 /chat request.
import { badRequest } from '../../core/errors.js';
import type { ChatMessage, ChatRequest, ContentPart } from '../../core/types.js';
import type { CallOptions } from '../types.js';

export interface CohereMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content?: string | CohereContent[];
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

type CohereContent = { type: 'text'; text: string } | { type: 'image_url'; image_url: unknown };

/** Parameters with the same meaning and name (or an obvious rename) on both sides. */
const RENAMED: Record<string, string> = {
  temperature: 'temperature',
  max_tokens: 'max_tokens',
  max_completion_tokens: 'max_tokens',
  seed: 'seed',
  frequency_penalty: 'frequency_penalty',
  presence_penalty: 'presence_penalty',
  top_p: 'p',
  // Not OpenAI's, but a common extension (and Cohere's own names) that clients send in the extra body.
  top_k: 'k',
  k: 'k',
  p: 'p',
};

/** Handled by the gateway itself or by the mapping below; never sent as they are. */
const HANDLED = new Set(['model', 'messages', 'stream', 'stream_options', 'stop', 'tools', 'tool_choice', 'response_format', 'n', 'parallel_tool_calls']);

export function toCohereChat(req: ChatRequest, model: string, stream: boolean, call: CallOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { model, messages: req.messages.map((m, i) => toCohereMessage(m, i)), stream };
  for (const [key, value] of Object.entries(req)) {
    if (value === undefined || value === null || HANDLED.has(key)) continue;
    if (RENAMED[key]) out[RENAMED[key]] = value;
    else call.unsupported(key);
  }
  if (req.stop) out.stop_sequences = Array.isArray(req.stop) ? req.stop : [req.stop];
  if (typeof req.n === 'number' && req.n !== 1) call.unsupported('n', 'Cohere generates one answer per request');
  if (req.parallel_tool_calls === false) call.unsupported('parallel_tool_calls', 'Cohere cannot be limited to one tool call');
  if (req.tools?.length) out.tools = req.tools.map(toCohereTool);
  const toolChoice = toCohereToolChoice(req.tool_choice, call);
  if (toolChoice) out.tool_choice = toolChoice;
  const format = toCohereResponseFormat(req.response_format);
  if (format) out.response_format = format;
  return out;
}

function toCohereMessage(message: ChatMessage, index: number): CohereMessage {
  switch (message.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content: textOf(message, index) };
    case 'user':
      return { role: 'user', content: typeof message.content === 'string' ? message.content : userParts(message.content ?? [], index) };
    case 'assistant': {
      const out: CohereMessage = { role: 'assistant' };
      const text = textOf(message, index);
      if (text) out.content = text;
      if (message.tool_calls?.length) {
        out.tool_calls = message.tool_calls.map((tc) => ({ id: tc.id, type: 'function', function: { name: tc.function.name, arguments: tc.function.arguments } }));
      }
      return out;
    }
    case 'tool':
      return { role: 'tool', tool_call_id: message.tool_call_id, content: textOf(message, index) };
    default:
      throw badRequest(`Cohere does not take messages of role '${message.role}'`, `messages[${index}].role`);
  }
}

/** The text of a message whose content is a string or text parts. */
function textOf(message: ChatMessage, index: number): string {
  if (typeof message.content === 'string' || message.content === null || message.content === undefined) return message.content ?? '';
  return message.content
    .map((part) => {
      if (part.type !== 'text') throw badRequest(`Cohere takes only text in ${message.role} messages, not '${part.type}'`, `messages[${index}].content`);
      return part.text ?? '';
    })
    .join('');
}

/** User turns may also carry images (vision models), passed in OpenAI's image_url form, which Cohere shares. */
function userParts(parts: ContentPart[], index: number): CohereContent[] {
  return parts.map((part) => {
    if (part.type === 'text') return { type: 'text', text: part.text ?? '' };
    if (part.type === 'image_url') return { type: 'image_url', image_url: part.image_url };
    throw badRequest(`Cohere does not take '${part.type}' content`, `messages[${index}].content`);
  });
}

function toCohereTool(tool: unknown): unknown {
  const fn = (tool as { function?: { name?: string; description?: string; parameters?: unknown } }).function ?? {};
  return { type: 'function', function: { name: fn.name, description: fn.description, parameters: fn.parameters ?? { type: 'object', properties: {} } } };
}

function toCohereToolChoice(choice: unknown, call: CallOptions): string | undefined {
  if (choice === undefined || choice === null || choice === 'auto') return undefined;
  if (choice === 'none') return 'NONE';
  if (choice === 'required') return 'REQUIRED';
  call.unsupported('tool_choice', 'Cohere can require a tool call ("required") but not name the tool');
  return undefined;
}

function toCohereResponseFormat(format: unknown): unknown {
  const f = format as { type?: string; json_schema?: { schema?: unknown } } | undefined;
  if (!f || f.type === 'text') return undefined;
  if (f.type === 'json_schema') return { type: 'json_object', json_schema: f.json_schema?.schema };
  return { type: 'json_object' };
}
