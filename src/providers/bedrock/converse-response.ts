// Bedrock Converse answers -> canonical responses: the whole message of Converse, and the events of
// ConverseStream (messageStart, contentBlockStart/Delta/Stop, messageStop, metadata) as chunks.
import type { ChatChunk, ChatMessage, ChatResponse, ToolCall, Usage } from '../../core/types.js';

/** Converse stop reasons -> OpenAI finish reasons. */
const FINISH: Record<string, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  guardrail_intervened: 'content_filter',
  content_filtered: 'content_filter',
};

export const finishReason = (stopReason: string | undefined): string => FINISH[stopReason ?? ''] ?? 'stop';

export interface ConverseUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/**
 * Bedrock counts cached prompt tokens apart from `inputTokens`; OpenAI's prompt_tokens includes them,
 * with the cache hits also reported as prompt_tokens_details.cached_tokens.
 */
export function usageOf(usage: ConverseUsage | undefined): Usage {
  const cached = usage?.cacheReadInputTokens ?? 0;
  const prompt = (usage?.inputTokens ?? 0) + cached + (usage?.cacheWriteInputTokens ?? 0);
  const completion = usage?.outputTokens ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: cached } };
}

interface ContentBlock {
  text?: string;
  toolUse?: { toolUseId: string; name: string; input: unknown };
}

export interface ConverseOutput {
  output?: { message?: { role?: string; content?: ContentBlock[] } };
  stopReason?: string;
  usage?: ConverseUsage;
}

export function chatResponse(res: ConverseOutput, id: string, model: string): ChatResponse {
  const blocks = res.output?.message?.content ?? [];
  const text = blocks.map((b) => b.text ?? '').join('');
  const toolCalls: ToolCall[] = blocks
    .filter((b) => b.toolUse)
    .map(({ toolUse }) => ({ id: toolUse!.toolUseId, type: 'function', function: { name: toolUse!.name, arguments: JSON.stringify(toolUse!.input ?? {}) } }));
  const message: ChatMessage = { role: 'assistant', content: text || (toolCalls.length > 0 ? null : '') };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, finish_reason: finishReason(res.stopReason), logprobs: null }],
    usage: usageOf(res.usage),
  };
}

/** Turns ConverseStream events into chunks, keeping the numbering of tool calls across events. */
export class StreamMapper {
  private readonly created = Math.floor(Date.now() / 1000);
  /** contentBlockIndex -> index among the tool calls, as OpenAI numbers them. */
  private readonly toolIndex = new Map<number, number>();

  constructor(
    private readonly id: string,
    private readonly model: string,
    private readonly includeUsage: boolean,
  ) {}

  /** The chunks for one event; unknown events (and reasoning deltas) give none. */
  map(type: string, event: Record<string, any>): ChatChunk[] {
    switch (type) {
      case 'messageStart':
        return [this.chunk({ role: 'assistant', content: '' })];
      case 'contentBlockStart': {
        const start = event.start?.toolUse;
        if (!start) return [];
        const index = this.toolIndex.size;
        this.toolIndex.set(event.contentBlockIndex, index);
        return [this.toolChunk({ index, id: start.toolUseId, type: 'function', function: { name: start.name, arguments: '' } })];
      }
      case 'contentBlockDelta': {
        const delta = event.delta ?? {};
        if (typeof delta.text === 'string') return [this.chunk({ content: delta.text })];
        const index = this.toolIndex.get(event.contentBlockIndex);
        if (delta.toolUse && index !== undefined) return [this.toolChunk({ index, function: { arguments: String(delta.toolUse.input ?? '') } })];
        return [];
      }
      case 'messageStop':
        return [this.chunk({}, finishReason(event.stopReason))];
      case 'metadata':
        return this.includeUsage ? [{ ...this.chunk({}), choices: [], usage: usageOf(event.usage) }] : [];
      default:
        return [];
    }
  }

  private toolChunk(call: Record<string, unknown>): ChatChunk {
    return this.chunk({ tool_calls: [call] as unknown as ToolCall[] });
  }

  private chunk(delta: Partial<ChatMessage>, finish: string | null = null): ChatChunk {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] };
  }
}
