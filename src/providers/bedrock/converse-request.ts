// Canonical (OpenAI-shaped) chat request -> the body of Bedrock's Converse / ConverseStream API.
// System and developer messages become `system` blocks; tool results become `toolResult` blocks in
// user turns; assistant tool calls become `toolUse` blocks. Converse wants user and assistant turns to
// alternate, so consecutive messages that map to the same role are merged into one turn.
import { badRequest } from '../../core/errors.js';
import type { ChatMessage, ChatRequest, ContentPart } from '../../core/types.js';
import { parseDataUrl } from '../shared/data-url.js';
import type { CallOptions } from '../types.js';

type Block = Record<string, unknown>;
interface Turn {
  role: 'user' | 'assistant';
  content: Block[];
}

export interface ConverseBody {
  messages: Turn[];
  system?: { text: string }[];
  inferenceConfig?: { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] };
  toolConfig?: { tools: { toolSpec: { name: string; description?: string; inputSchema: { json: unknown } } }[]; toolChoice?: Block };
}

/** Request fields that are mapped below, or that change nothing upstream. */
const HANDLED = new Set([
  'model', 'messages', 'stream', 'stream_options', 'temperature', 'top_p', 'max_tokens', 'max_completion_tokens',
  'stop', 'tools', 'tool_choice', 'user', 'n', 'parallel_tool_calls',
]);

const IMAGE_FORMATS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/jpg': 'jpeg', 'image/gif': 'gif', 'image/webp': 'webp' };

export function converseBody(req: ChatRequest, call: CallOptions): ConverseBody {
  for (const [key, value] of Object.entries(req)) {
    if (!HANDLED.has(key) && value !== undefined && value !== null) call.unsupported(key, 'Bedrock Converse has no such parameter');
  }
  if (typeof req.n === 'number' && req.n > 1) call.unsupported('n', 'Bedrock Converse returns one choice');
  if (req.parallel_tool_calls === false) call.unsupported('parallel_tool_calls', 'Bedrock Converse cannot turn off parallel tool calls');

  const system: { text: string }[] = [];
  const turns: Turn[] = [];
  for (const message of req.messages) {
    if (message.role === 'system' || message.role === 'developer') {
      const text = textOf(message);
      if (text) system.push({ text });
      continue;
    }
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const blocks = contentBlocks(message, call);
    if (blocks.length === 0) continue;
    const last = turns[turns.length - 1];
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  }

  const body: ConverseBody = { messages: turns };
  if (system.length > 0) body.system = system;
  const inference = inferenceConfig(req);
  if (inference) body.inferenceConfig = inference;
  const tools = toolConfig(req, turns, call);
  if (tools) body.toolConfig = tools;
  return body;
}

function contentBlocks(message: ChatMessage, call: CallOptions): Block[] {
  if (message.role === 'tool' || message.role === 'function') {
    const id = message.tool_call_id ?? message.name;
    if (!id) throw badRequest('A tool message needs tool_call_id', 'messages');
    return [{ toolResult: { toolUseId: id, content: [{ text: textOf(message) || '(empty)' }] } }];
  }
  const blocks: Block[] = [];
  if (typeof message.content === 'string') {
    if (message.content) blocks.push({ text: message.content });
  } else if (Array.isArray(message.content)) {
    for (const part of message.content) {
      const block = partBlock(part, call);
      if (block) blocks.push(block);
    }
  }
  for (const tc of message.tool_calls ?? []) {
    blocks.push({ toolUse: { toolUseId: tc.id, name: tc.function.name, input: parseArguments(tc.function.arguments) } });
  }
  return blocks;
}

function partBlock(part: ContentPart, call: CallOptions): Block | undefined {
  if (part.type === 'text') return part.text ? { text: part.text } : undefined;
  if (part.type === 'image_url') {
    const inline = parseDataUrl((part.image_url as { url?: string } | undefined)?.url ?? '');
    if (inline) {
      const format = IMAGE_FORMATS[inline.mimeType];
      if (!format) throw badRequest(`Bedrock takes png, jpeg, gif and webp images, not ${inline.mimeType}`, 'messages');
      return { image: { format, source: { bytes: inline.data } } };
    }
    // The gateway does not fetch URLs on a client's behalf (it would reach hosts the client names).
    call.unsupported('image_url', 'Bedrock takes images as bytes: send them as data: URLs (data:image/png;base64,...)');
    return undefined;
  }
  call.unsupported(`content.${part.type}`, 'Bedrock Converse takes text and image parts');
  return undefined;
}

function textOf(message: ChatMessage): string {
  if (typeof message.content === 'string') return message.content;
  if (!Array.isArray(message.content)) return '';
  return message.content.map((p) => (p.type === 'text' ? (p.text ?? '') : '')).join('');
}

/** Converse takes tool input as a JSON object; OpenAI sends it as a string that should hold one. */
function parseArguments(args: string): unknown {
  if (!args) return {};
  try {
    return JSON.parse(args);
  } catch {
    throw badRequest('Tool call arguments must be JSON', 'messages');
  }
}

function inferenceConfig(req: ChatRequest): ConverseBody['inferenceConfig'] {
  const config: NonNullable<ConverseBody['inferenceConfig']> = {};
  const maxTokens = req.max_completion_tokens ?? req.max_tokens;
  if (typeof maxTokens === 'number') config.maxTokens = maxTokens;
  if (typeof req.temperature === 'number') config.temperature = req.temperature;
  if (typeof req.top_p === 'number') config.topP = req.top_p;
  if (req.stop) config.stopSequences = typeof req.stop === 'string' ? [req.stop] : req.stop;
  return Object.keys(config).length > 0 ? config : undefined;
}

interface OpenAITool {
  type?: string;
  function?: { name?: string; description?: string; parameters?: unknown };
}

function toolConfig(req: ChatRequest, turns: Turn[], call: CallOptions): ConverseBody['toolConfig'] {
  const tools = (req.tools ?? []) as OpenAITool[];
  if (tools.length === 0) return undefined;
  const choice = req.tool_choice as string | { type?: string; function?: { name?: string } } | undefined | null;
  if (choice === 'none') {
    // Converse cannot forbid tools, but leaving them out does; a history with tool blocks still needs them declared.
    const usesTools = turns.some((t) => t.content.some((b) => 'toolUse' in b || 'toolResult' in b));
    if (!usesTools) return undefined;
    call.unsupported('tool_choice', 'Bedrock Converse has no "none" choice once the conversation holds tool calls');
  }
  const specs = tools.map((tool, i) => {
    if (tool.type !== 'function' || !tool.function?.name) throw badRequest(`tools[${i}] must be a function tool with a name`, 'tools');
    const { name, description, parameters } = tool.function;
    return { toolSpec: { name, ...(description ? { description } : {}), inputSchema: { json: parameters ?? { type: 'object', properties: {} } } } };
  });
  const config: NonNullable<ConverseBody['toolConfig']> = { tools: specs };
  if (choice === 'auto') config.toolChoice = { auto: {} };
  else if (choice === 'required') config.toolChoice = { any: {} };
  else if (typeof choice === 'object' && choice?.function?.name) config.toolChoice = { tool: { name: choice.function.name } };
  return config;
}
