// Canonical chat.completion.chunks -> Anthropic stream events (for the /v1/messages surface), event
// by event: message_start, then per content block content_block_start, its deltas and
// content_block_stop, then message_delta (stop reason and usage) and message_stop.
import type { ChatChunk, Usage } from '../../core/types.js';
import { messageId } from './response-to-anthropic.js';
import { stopReasonOf } from './stop-reasons.js';
import { usageToAnthropic } from './usage.js';
import type { AnthropicStreamEvent } from './wire.js';

interface ToolCallDelta {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}

/**
 * The canonical stream reports usage only at its end, so message_start carries zero counts and the
 * final message_delta the whole usage (input and cache counters included, as Anthropic's own
 * message_delta may). The source must ask for usage (stream_options.include_usage).
 */
export async function* toAnthropicStream(chunks: AsyncIterable<ChatChunk>): AsyncGenerator<AnthropicStreamEvent> {
  let started = false;
  let nextBlock = 0;
  /** The block being written: Anthropic blocks are sequential, so a new one closes the previous. */
  let open: { index: number; kind: 'text' } | { index: number; kind: 'tool'; call: number } | undefined;
  let finish: string | null = null;
  let usage: Usage | null | undefined;

  function* close(): Generator<AnthropicStreamEvent> {
    if (open) yield { type: 'content_block_stop', index: open.index };
    open = undefined;
  }

  for await (const chunk of chunks) {
    // A chunk with neither choices nor usage (Azure's prompt-filter chunk, whose id and model are
    // empty) has nothing to translate, and must not name the message.
    if (chunk.choices.length === 0 && !chunk.usage) continue;
    if (!started) {
      started = true;
      const usage = { input_tokens: 0, output_tokens: 0 };
      yield { type: 'message_start', message: { id: messageId(chunk.id), type: 'message', role: 'assistant', model: chunk.model, content: [], stop_reason: null, stop_sequence: null, usage } };
    }
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    const delta = choice.delta ?? {};
    if (typeof delta.content === 'string' && delta.content !== '') {
      if (open?.kind !== 'text') {
        yield* close();
        open = { index: nextBlock++, kind: 'text' };
        yield { type: 'content_block_start', index: open.index, content_block: { type: 'text', text: '' } };
      }
      yield { type: 'content_block_delta', index: open.index, delta: { type: 'text_delta', text: delta.content } };
    }
    for (const call of (delta.tool_calls ?? []) as ToolCallDelta[]) {
      const callIndex = call.index ?? 0;
      if (open?.kind !== 'tool' || open.call !== callIndex) {
        yield* close();
        open = { index: nextBlock++, kind: 'tool', call: callIndex };
        const block = { type: 'tool_use', id: call.id ?? `toolu_${callIndex}`, name: call.function?.name ?? '', input: {} } as const;
        yield { type: 'content_block_start', index: open.index, content_block: block };
      }
      const args = call.function?.arguments;
      if (args) yield { type: 'content_block_delta', index: open.index, delta: { type: 'input_json_delta', partial_json: args } };
    }
    if (choice.finish_reason) finish = choice.finish_reason;
  }
  yield* close();
  const counts = usageToAnthropic(usage);
  yield { type: 'message_delta', delta: { stop_reason: stopReasonOf(finish), stop_sequence: null }, usage: counts };
  yield { type: 'message_stop' };
}
