// Anthropic Messages response -> canonical chat completion. Used by the `anthropic` provider.
import type { ChatMessage, ChatResponse, ToolCall } from '../../core/types.js';
import { finishReasonOf } from './stop-reasons.js';
import { usageFromAnthropic } from './usage.js';
import type { AnthropicResponse } from './wire.js';

/**
 * Text blocks are joined into `content`; tool_use blocks become `tool_calls` with their input as a
 * JSON string. Thinking and server-tool blocks have no OpenAI form and are left out.
 */
export function fromAnthropicResponse(res: AnthropicResponse): ChatResponse {
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const block of res.content ?? []) {
    if (block.type === 'text' && typeof block.text === 'string') text += block.text;
    else if (block.type === 'tool_use') {
      toolCalls.push({ id: String(block.id), type: 'function', function: { name: String(block.name), arguments: JSON.stringify(block.input ?? {}) } });
    }
  }
  const message: ChatMessage = { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return {
    id: res.id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: res.model,
    choices: [{ index: 0, message, finish_reason: finishReasonOf(res.stop_reason) ?? 'stop', logprobs: null }],
    usage: usageFromAnthropic(res.usage ?? {}),
  };
}
