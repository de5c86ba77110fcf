// A canonical chat request -> Gemini's GenerateContentRequest (the same body for Google AI and Vertex AI).
import { badRequest } from '../../core/errors.js';
import type { ChatRequest } from '../../core/types.js';
import type { CallOptions } from '../types.js';
import { mapMessages, type MappedMessages, type MediaSupport } from './messages.js';
import { toGeminiSchema } from './schema.js';

export interface GenerateContentRequest extends MappedMessages {
  generationConfig?: Record<string, unknown>;
  tools?: { functionDeclarations: Record<string, unknown>[] }[];
  toolConfig?: { functionCallingConfig: { mode: 'AUTO' | 'NONE' | 'ANY'; allowedFunctionNames?: string[] } };
}

/** OpenAI parameter -> generationConfig field, for the ones that only change name. */
const RENAMED: Record<string, string> = {
  temperature: 'temperature',
  top_p: 'topP',
  top_k: 'topK',
  n: 'candidateCount',
  seed: 'seed',
  presence_penalty: 'presencePenalty',
  frequency_penalty: 'frequencyPenalty',
};

/** Parameters mapped below, or with no upstream meaning (`user` is the client's own end-user id, kept in logs). */
const HANDLED = new Set([
  ...Object.keys(RENAMED),
  'model',
  'messages',
  'stream',
  'stream_options',
  'user',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'response_format',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
]);

/** Reports each parameter outside `handled` that asks for something; `false` (e.g. `logprobs: false`) asks for nothing. */
export function reportUnsupported(req: Record<string, unknown>, handled: ReadonlySet<string>, call: CallOptions): void {
  for (const [param, value] of Object.entries(req)) {
    if (value !== undefined && value !== null && value !== false && !handled.has(param)) call.unsupported(param);
  }
}

export function toGenerateContent(req: ChatRequest, call: CallOptions, media: MediaSupport): GenerateContentRequest {
  reportUnsupported(req, HANDLED, call);
  // Gemini cannot be told to make at most one call per turn.
  if (req.parallel_tool_calls === false) call.unsupported('parallel_tool_calls', 'Gemini may always answer with several function calls');
  const body: GenerateContentRequest = mapMessages(req.messages, media);
  const generationConfig = generationConfigOf(req);
  if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;
  const declarations = functionDeclarations(req.tools, call);
  if (declarations.length > 0) body.tools = [{ functionDeclarations: declarations }];
  const toolConfig = toolConfigOf(req.tool_choice);
  if (toolConfig && declarations.length > 0) body.toolConfig = toolConfig;
  return body;
}

function generationConfigOf(req: ChatRequest): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [param, field] of Object.entries(RENAMED)) {
    const value = req[param];
    if (value !== undefined && value !== null) config[field] = value;
  }
  const maxTokens = req.max_completion_tokens ?? req.max_tokens;
  if (typeof maxTokens === 'number') config.maxOutputTokens = maxTokens;
  if (req.stop !== undefined && req.stop !== null) config.stopSequences = typeof req.stop === 'string' ? [req.stop] : req.stop;
  Object.assign(config, responseFormat(req.response_format));
  return config;
}

/** json_object -> JSON output; json_schema -> JSON output constrained by the schema (in Gemini's subset). */
function responseFormat(format: unknown): Record<string, unknown> {
  if (format === undefined || format === null) return {};
  const f = format as { type?: unknown; json_schema?: { schema?: unknown } };
  if (f.type === 'text') return {};
  if (f.type === 'json_object') return { responseMimeType: 'application/json' };
  if (f.type === 'json_schema') {
    if (f.json_schema?.schema === undefined) return { responseMimeType: 'application/json' };
    return { responseMimeType: 'application/json', responseSchema: toGeminiSchema(f.json_schema.schema) };
  }
  throw badRequest("'response_format.type' must be text, json_object or json_schema", 'response_format.type');
}

function functionDeclarations(tools: ChatRequest['tools'], call: CallOptions): Record<string, unknown>[] {
  const declarations: Record<string, unknown>[] = [];
  (tools ?? []).forEach((tool, i) => {
    const t = tool as { type?: unknown; function?: { name?: unknown; description?: unknown; parameters?: unknown } };
    if (t.type !== 'function') return call.unsupported(`tools[${i}]`, `Gemini takes function tools only, not '${String(t.type)}'`);
    if (typeof t.function?.name !== 'string') throw badRequest('A function tool needs a name', `tools[${i}].function.name`);
    const declaration: Record<string, unknown> = { name: t.function.name };
    if (typeof t.function.description === 'string') declaration.description = t.function.description;
    const parameters = toGeminiSchema(t.function.parameters);
    // A function without arguments leaves `parameters` out: Gemini refuses an object schema with no properties.
    if (parameters.properties !== undefined) declaration.parameters = parameters;
    declarations.push(declaration);
  });
  return declarations;
}

function toolConfigOf(choice: unknown): GenerateContentRequest['toolConfig'] {
  if (choice === undefined || choice === null) return undefined;
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  const name = (choice as { type?: unknown; function?: { name?: unknown } }).function?.name;
  if (typeof name === 'string') return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [name] } };
  throw badRequest("'tool_choice' must be none, auto, required or {type: 'function', function: {name}}", 'tool_choice');
}
