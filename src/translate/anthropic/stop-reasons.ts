// Anthropic's stop_reason and OpenAI's finish_reason, both ways.
import type { AnthropicStopReason } from './wire.js';

const TO_FINISH: Record<AnthropicStopReason, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  // A server tool loop paused; the turn is complete as far as this answer goes.
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

export function finishReasonOf(stop: AnthropicStopReason | null | undefined): string | null {
  if (!stop) return null;
  return TO_FINISH[stop] ?? 'stop';
}

const TO_STOP: Record<string, AnthropicStopReason> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'refusal',
};

export function stopReasonOf(finish: string | null | undefined): AnthropicStopReason {
  return (finish && TO_STOP[finish]) || 'end_turn';
}
