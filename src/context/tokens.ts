// Token counts for the context window, with gpt-tokenizer (o200k_base). It is loaded on first use,
// so a gateway without context budgets never pays for its vocabulary. Counts are those of OpenAI's
// tokenizer; other providers' tokenizers differ by a few percent, so budgets should keep a margin.
import type { ChatMessage } from '../core/types.js';

/** Tokens of framing per chat message (role and separators), as OpenAI documents for its chat format. */
const PER_MESSAGE = 4;

type Counter = (text: string) => number;
let loading: Promise<Counter> | undefined;

export function loadCounter(): Promise<Counter> {
  loading ??= import('gpt-tokenizer').then((m) => (text: string) => m.countTokens(text));
  return loading;
}

/** The text of a message: its content and tool calls, as the model reads them. */
export function messageText(m: ChatMessage): string {
  const content = typeof m.content === 'string' ? m.content : Array.isArray(m.content) ? m.content.map((p) => (typeof p.text === 'string' ? p.text : '')).join('\n') : '';
  const calls = m.tool_calls?.map((c) => `${c.function.name}(${c.function.arguments})`).join('\n');
  return calls ? `${content}\n${calls}` : content;
}

export const countMessage = (count: Counter, m: ChatMessage) => PER_MESSAGE + count(messageText(m));

export const countMessages = (count: Counter, list: readonly ChatMessage[]) => list.reduce((n, m) => n + countMessage(count, m), 0);
