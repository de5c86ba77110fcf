// Gemini's stream (streamGenerateContent?alt=sse: one GenerateContentResponse per `data:` event) ->
// canonical chat.completion.chunks, yielded as each event arrives. Text parts are content deltas;
// Gemini sends each function call whole, so it becomes one complete tool_calls delta. Usage comes
// with the events (cumulative) and is reported once, after the last event.
import type { ChatChunk, ChatChunkChoice, Usage } from '../../core/types.js';
import { completionId, finishReasonOf, partsOf, promptBlockedError, usageOf, type GenerateContentResponse } from './response.js';

interface ChoiceState {
  started: boolean;
  toolCalls: number;
}

export async function* toChatChunks(events: AsyncIterable<GenerateContentResponse>, model: string, includeUsage: boolean): AsyncGenerator<ChatChunk> {
  const choices = new Map<number, ChoiceState>();
  let head: Pick<ChatChunk, 'id' | 'object' | 'created' | 'model'> | undefined;
  let usage: Usage | undefined;
  for await (const event of events) {
    // A blocked prompt has no candidates; before the first chunk this still becomes a plain error answer.
    const blocked = promptBlockedError(event.promptFeedback);
    if (blocked && !event.candidates?.length) throw blocked;
    head ??= { id: completionId(event), object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: event.modelVersion ?? model };
    usage = usageOf(event.usageMetadata) ?? usage;
    for (const [i, candidate] of (event.candidates ?? []).entries()) {
      const index = candidate.index ?? i;
      let state = choices.get(index);
      if (!state) choices.set(index, (state = { started: false, toolCalls: 0 }));
      const { text, toolCalls } = partsOf(candidate);
      const delta: ChatChunkChoice['delta'] = {};
      if (!state.started) delta.role = 'assistant';
      if (text.length > 0 || !state.started) delta.content = text.join('');
      if (toolCalls.length > 0) {
        // Stream deltas number tool calls across the whole choice, as OpenAI's do.
        delta.tool_calls = toolCalls.map((call) => ({ index: state.toolCalls++, ...call })) as unknown as ChatChunkChoice['delta']['tool_calls'];
      }
      state.started = true;
      if (Object.keys(delta).length > 0) yield { ...head, choices: [{ index, delta, finish_reason: null, logprobs: null }] };
      if (candidate.finishReason) {
        yield { ...head, choices: [{ index, delta: {}, finish_reason: finishReasonOf(candidate.finishReason, state.toolCalls > 0), logprobs: null }] };
      }
    }
  }
  if (includeUsage && head && usage) yield { ...head, choices: [], usage };
}
