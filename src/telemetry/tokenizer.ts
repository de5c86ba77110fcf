// Token counts for requests whose provider reported no usage, with OpenAI's real tokenizers
// (gpt-tokenizer). The encodings are large, so they load on first use: startup, and every request
// that carries its own usage, pay nothing. Other providers' models are counted with o200k_base, a
// close estimate; the request log marks every count made here as estimated.
import type { ChatMessage, ChatRequest, CompletionRequest, EmbeddingsRequest } from '../core/types.js';

type Encoding = { countTokens(text: string, options?: { disallowedSpecial?: Set<string> }): number };

const loaded = new Map<string, Promise<Encoding>>();

function load(name: 'o200k_base' | 'cl100k_base'): Promise<Encoding> {
  let encoding = loaded.get(name);
  if (!encoding) {
    encoding = name === 'o200k_base' ? import('gpt-tokenizer/encoding/o200k_base') : import('gpt-tokenizer/encoding/cl100k_base');
    loaded.set(name, encoding);
  }
  return encoding;
}

/** OpenAI's older models (GPT-4, GPT-3.5, the embeddings) use cl100k_base; everything newer o200k_base. */
const encodingFor = (model: string | undefined) => (/^(gpt-4(?![o.])|gpt-3\.5|text-embedding)/.test(model ?? '') ? 'cl100k_base' : 'o200k_base');

/** Text in a request is counted as text: "<|endoftext|>" typed by a user is not a special token. */
const AS_TEXT = { disallowedSpecial: new Set<string>() };

export interface Counter {
  text(value: string): number;
}

export async function counterFor(model: string | undefined): Promise<Counter> {
  const encoding = await load(encodingFor(model));
  return { text: (value) => (value === '' ? 0 : encoding.countTokens(value, AS_TEXT)) };
}

// Chat framing as OpenAI counts it: 3 tokens per message, 1 more for a name, 3 to prime the answer.
const PER_MESSAGE = 3;
const PER_NAME = 1;
const REPLY_PRIMING = 3;

function contentText(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => (typeof part.text === 'string' ? part.text : '')).join('');
}

export function chatPromptTokens(count: Counter, req: ChatRequest): number {
  let tokens = REPLY_PRIMING;
  for (const m of req.messages) {
    tokens += PER_MESSAGE + count.text(m.role) + count.text(contentText(m.content));
    if (typeof m.name === 'string') tokens += PER_NAME + count.text(m.name);
    for (const call of m.tool_calls ?? []) tokens += count.text(call.function.name) + count.text(call.function.arguments);
  }
  if (req.tools?.length) tokens += count.text(JSON.stringify(req.tools));
  return tokens;
}

/** Completions prompts and embeddings inputs: texts, or token ids (counted as given). */
export function inputTokens(count: Counter, input: CompletionRequest['prompt'] | EmbeddingsRequest['input']): number {
  if (typeof input === 'string') return count.text(input);
  if (input.length === 0) return 0;
  if (typeof input[0] === 'number') return input.length;
  return (input as (string | number[])[]).reduce<number>((n, item) => n + (typeof item === 'string' ? count.text(item) : item.length), 0);
}
