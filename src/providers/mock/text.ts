// The mock provider's deterministic text, tokens and vectors. Its "tokenizer" is simple (words,
// spaces and punctuation), and usage counts are exact for it: the streamed pieces are its tokens.
import { createHash } from 'node:crypto';
import type { ChatMessage } from '../../core/types.js';

// Leading whitespace belongs to the next word, as in BPE vocabularies (" is", " a").
const TOKEN = /\s*[A-Za-z0-9]+|\s*[^\sA-Za-z0-9]|\s+$/g;

export function tokenize(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

export function messageText(message: ChatMessage): string {
  if (typeof message.content === 'string') return message.content;
  if (Array.isArray(message.content)) return message.content.map((p) => (typeof p.text === 'string' ? p.text : '')).join(' ');
  return '';
}

export function countPromptTokens(messages: ChatMessage[]): number {
  // Three tokens of framing per message, as chat formats add role markers.
  return messages.reduce((sum, m) => sum + 3 + tokenize(messageText(m)).length, 0);
}

/** The reply: configured text, or a short deterministic sentence that echoes the last user turn. */
export function replyText(configured: string | undefined, lastUserText: string): string {
  if (configured !== undefined) return configured;
  const echo = lastUserText.trim().slice(0, 200);
  return echo ? `This is a mock response to: ${echo}` : 'This is a mock response.';
}

/** A unit vector derived from the text's hash: equal texts give equal vectors, different texts differ. */
export function embedText(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions);
  let block = createHash('sha256').update(text).digest();
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    if (i > 0 && i % 16 === 0) block = createHash('sha256').update(block).digest();
    const value = block.readUInt16BE((i % 16) * 2) / 32768 - 1;
    vector[i] = value;
    norm += value * value;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < dimensions; i++) vector[i] *= scale;
  return vector;
}
