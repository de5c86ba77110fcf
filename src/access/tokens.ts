// Prompt tokens estimated before the call, for tokens-per-minute limits: about four characters a
// token, as OpenAI's own guidance has it. The estimate is corrected with the real usage afterwards,
// so it only needs to be close, not exact; a tokenizer would cost more than it saves here.

const CHARS_PER_TOKEN = 4;
/** Tokens of framing per chat message (role, separators). */
const PER_MESSAGE = 4;

function textLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) return value.reduce<number>((n, part) => n + textLength(typeof part === 'object' && part ? (part as { text?: unknown }).text : part), 0);
  return 0;
}

export function estimatePromptTokens(body: unknown): number {
  if (typeof body !== 'object' || body === null) return 0;
  const { messages, prompt, input } = body as { messages?: unknown; prompt?: unknown; input?: unknown };
  if (Array.isArray(messages)) {
    return messages.reduce<number>((n, m) => n + PER_MESSAGE + Math.ceil(textLength((m as { content?: unknown } | null)?.content) / CHARS_PER_TOKEN), 0);
  }
  return Math.ceil(textLength(prompt ?? input) / CHARS_PER_TOKEN);
}
