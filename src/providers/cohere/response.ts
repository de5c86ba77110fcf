// Cohere's v2 /chat answers and stream events -> canonical chat responses and chunks.
import type { ChatChunk, ChatMessage, ChatResponse, ToolCall, Usage } from '../../core/types.js';

export interface CohereUsage {
  billed_units?: { input_tokens?: number; output_tokens?: number };
  tokens?: { input_tokens?: number; output_tokens?: number };
  cached_tokens?: number;
}

export interface CohereChatResponse {
  id: string;
  finish_reason: string;
  message: {
    role: 'assistant';
    content?: { type: string; text?: string }[];
    tool_calls?: ToolCall[];
  };
  usage?: CohereUsage;
}

const FINISH_REASONS: Record<string, string> = {
  COMPLETE: 'stop',
  STOP_SEQUENCE: 'stop',
  MAX_TOKENS: 'length',
  TOOL_CALL: 'tool_calls',
  ERROR: 'error',
  TIMEOUT: 'error',
};

export const finishReason = (reason: string | undefined): string => (reason ? (FINISH_REASONS[reason] ?? reason.toLowerCase()) : 'stop');

/** Token counts: what the model processed (`tokens`), else what was billed. */
export function toUsage(usage: CohereUsage | undefined): Usage {
  const prompt = usage?.tokens?.input_tokens ?? usage?.billed_units?.input_tokens ?? 0;
  const completion = usage?.tokens?.output_tokens ?? usage?.billed_units?.output_tokens ?? 0;
  const out: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  if (usage?.cached_tokens !== undefined) out.prompt_tokens_details = { cached_tokens: usage.cached_tokens };
  return out;
}

export function toChatResponse(res: CohereChatResponse, model: string): ChatResponse {
  const text = (res.message.content ?? [])
    .filter((part) => part.type === 'text')
    .map((part) => part.text ?? '')
    .join('');
  const toolCalls = res.message.tool_calls ?? [];
  const message: ChatMessage = { role: 'assistant', content: text || (toolCalls.length > 0 ? null : '') };
  if (toolCalls.length > 0) {
    message.tool_calls = toolCalls.map((tc) => ({ id: tc.id, type: 'function', function: { name: tc.function.name, arguments: tc.function.arguments ?? '{}' } }));
  }
  return {
    id: res.id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, finish_reason: finishReason(res.finish_reason), logprobs: null }],
    usage: toUsage(res.usage),
  };
}

interface CohereStreamEvent {
  type: string;
  id?: string;
  index?: number;
  delta?: {
    message?: {
      content?: { text?: string };
      tool_calls?: { id?: string; function?: { name?: string; arguments?: string } };
    };
    finish_reason?: string;
    usage?: CohereUsage;
  };
}

/**
 * Turns Cohere's typed stream events into chunks, one event at a time. Events with nothing for an
 * OpenAI client (content-start/end, tool-call-end, the tool plan, citations) yield nothing.
 */
export class CohereStreamMapper {
  private id = '';
  private readonly created = Math.floor(Date.now() / 1000);
  private toolCalls = 0;

  constructor(private readonly model: string) {}

  map(event: CohereStreamEvent): ChatChunk[] {
    const message = event.delta?.message;
    switch (event.type) {
      case 'message-start':
        this.id = event.id ?? this.id;
        return [this.chunk({ role: 'assistant', content: '' })];
      case 'content-delta':
        return message?.content?.text ? [this.chunk({ content: message.content.text })] : [];
      case 'tool-call-start': {
        const call = message?.tool_calls;
        const index = this.toolCalls++;
        return [this.toolChunk({ index, id: call?.id, type: 'function', function: { name: call?.function?.name, arguments: call?.function?.arguments ?? '' } })];
      }
      case 'tool-call-delta':
        return [this.toolChunk({ index: this.toolCalls - 1, function: { arguments: message?.tool_calls?.function?.arguments ?? '' } })];
      case 'message-end':
        return [this.chunk({}, finishReason(event.delta?.finish_reason)), { ...this.chunk({}), choices: [], usage: toUsage(event.delta?.usage) }];
      default:
        return [];
    }
  }

  private toolChunk(delta: Record<string, unknown>): ChatChunk {
    return this.chunk({ tool_calls: [delta] as unknown as ToolCall[] });
  }

  private chunk(delta: ChatChunk['choices'][0]['delta'], finish: string | null = null): ChatChunk {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] };
  }
}
