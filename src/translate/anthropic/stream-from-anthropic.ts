// Anthropic stream events -> canonical chat.completion.chunks, one chunk per event as it arrives.
import { GatewayError } from '../../core/errors.js';
import type { ChatChunk, ChatChunkChoice, ToolCall, Usage } from '../../core/types.js';
import { finishReasonOf } from './stop-reasons.js';
import { usageFromAnthropic } from './usage.js';
import type { AnthropicStreamEvent, AnthropicToolUseBlock, AnthropicUsage } from './wire.js';

export interface FromAnthropicStreamOptions {
  /** Yield a final usage-only chunk (stream_options.include_usage). */
  includeUsage: boolean;
  /** Turns an `error` event into the error to throw (wording, secret scrubbing). */
  onError(error: { type: string; message: string }): GatewayError;
}

/**
 * message_start gives the role chunk; text_delta and input_json_delta give content and tool-call
 * argument deltas (each tool_use block is one tool call, numbered in order of appearance);
 * message_delta gives the finish reason; message_stop ends the stream after the usage chunk.
 * A stream that ends without message_stop was cut: that is an error, not a complete answer.
 */
export async function* fromAnthropicStream(events: AsyncIterable<AnthropicStreamEvent>, opts: FromAnthropicStreamOptions): AsyncGenerator<ChatChunk> {
  let id = '';
  let model = '';
  const created = Math.floor(Date.now() / 1000);
  let usage: Partial<AnthropicUsage> = {};
  /** Anthropic block index -> OpenAI tool-call index. */
  const toolIndex = new Map<number, number>();
  const chunk = (delta: ChatChunkChoice['delta'], finish: string | null = null): ChatChunk => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  });

  for await (const event of events) {
    switch (event.type) {
      case 'message_start':
        id = event.message.id;
        model = event.message.model;
        usage = { ...event.message.usage };
        yield chunk({ role: 'assistant', content: '' });
        break;
      case 'content_block_start': {
        const block = event.content_block;
        if (block.type === 'text' && typeof block.text === 'string' && block.text !== '') yield chunk({ content: block.text });
        if (block.type === 'tool_use') {
          const use = block as AnthropicToolUseBlock;
          const index = toolIndex.size;
          toolIndex.set(event.index, index);
          // The input arrives as input_json_delta events; a block that starts with its input (rare) sends it here.
          const input = use.input && typeof use.input === 'object' && Object.keys(use.input).length > 0 ? JSON.stringify(use.input) : '';
          yield chunk(toolCallDelta({ index, id: use.id, type: 'function', function: { name: use.name, arguments: input } }));
        }
        break;
      }
      case 'content_block_delta': {
        const delta = event.delta;
        if (delta.type === 'text_delta') yield chunk({ content: String(delta.text) });
        else if (delta.type === 'input_json_delta' && toolIndex.has(event.index) && delta.partial_json !== '') {
          yield chunk(toolCallDelta({ index: toolIndex.get(event.index)!, function: { arguments: String(delta.partial_json) } }));
        }
        break; // thinking, signature and citation deltas have no OpenAI form
      }
      case 'message_delta':
        // Its counters are cumulative totals for the message; the input ones are only sometimes repeated here.
        usage = { ...usage, ...definedOnly(event.usage ?? {}) };
        if (event.delta?.stop_reason) yield chunk({}, finishReasonOf(event.delta.stop_reason));
        break;
      case 'message_stop':
        if (opts.includeUsage) yield { ...chunk({}), choices: [], usage: usageFromAnthropic(usage) as Usage };
        return;
      case 'error':
        throw opts.onError(event.error ?? { type: 'api_error', message: 'unknown error' });
      default:
        break; // ping, and event types added later
    }
  }
  throw new GatewayError(502, 'Upstream anthropic ended the stream before message_stop', { code: 'upstream_invalid_response' });
}

/** OpenAI's streamed tool-call delta: the first one of a call has its id and name, later ones argument text. */
interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments: string };
}

const toolCallDelta = (d: ToolCallDelta): ChatChunkChoice['delta'] => ({ tool_calls: [d] as unknown as ToolCall[] });

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as Partial<T>;
}
