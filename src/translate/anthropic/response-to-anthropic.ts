// Canonical chat completion -> Anthropic Messages response (for the /v1/messages surface).
import { randomUUID } from 'node:crypto';
import type { ChatResponse } from '../../core/types.js';
import { stopReasonOf } from './stop-reasons.js';
import { usageToAnthropic } from './usage.js';
import type { AnthropicResponse } from './wire.js';

/**
 * Anthropic's message ids start with msg_; other upstreams' ids are kept after that prefix. Some
 * upstreams send an empty id (TGI's Messages API): those get a fresh one.
 */
export function messageId(id: string): string {
  if (id === '') return `msg_${randomUUID().replaceAll('-', '')}`;
  return id.startsWith('msg_') ? id : `msg_${id}`;
}

/** Tool-call arguments that are not a JSON object (a model's malformed output) are wrapped, since tool_use input must be an object. */
export function toolInput(args: string): unknown {
  try {
    const input: unknown = JSON.parse(args || '{}');
    if (input && typeof input === 'object' && !Array.isArray(input)) return input;
  } catch {
    // fall through
  }
  return { arguments: args };
}

export function toAnthropicResponse(res: ChatResponse): AnthropicResponse {
  const choice = res.choices[0];
  const message = choice?.message;
  const content: AnthropicResponse['content'] = [];
  const text = typeof message?.content === 'string' ? message.content : (message?.content ?? []).map((p) => p.text ?? '').join('');
  if (text !== '') content.push({ type: 'text', text });
  for (const call of message?.tool_calls ?? []) {
    content.push({ type: 'tool_use', id: call.id, name: call.function.name, input: toolInput(call.function.arguments) });
  }
  return {
    id: messageId(res.id),
    type: 'message',
    role: 'assistant',
    model: res.model,
    content,
    stop_reason: stopReasonOf(choice?.finish_reason),
    stop_sequence: null,
    usage: usageToAnthropic(res.usage),
  };
}
