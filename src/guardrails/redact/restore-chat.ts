// Mask-and-restore on canonical chat responses and stream chunks: content and tool-call arguments.
import type { ChatChunk, ChatMessage, ChatResponse, ToolCall } from '../../core/types.js';
import { restoreText, StreamRestorer, type ValueEncoding } from './restore.js';
import type { PlaceholderVault } from './vault.js';

function restoreMessage(message: ChatMessage, vault: PlaceholderVault): ChatMessage {
  const { content } = message;
  const restoredContent =
    typeof content === 'string'
      ? restoreText(content, vault)
      : Array.isArray(content)
        ? content.map((part) => (typeof part.text === 'string' ? { ...part, text: restoreText(part.text, vault) } : part))
        : content;
  const toolCalls = message.tool_calls?.map((call) => ({
    ...call,
    function: { ...call.function, arguments: restoreText(call.function.arguments, vault, 'json-string') },
  }));
  return { ...message, content: restoredContent, ...(toolCalls ? { tool_calls: toolCalls } : {}) };
}

export function restoreChatResponse(response: ChatResponse, vault: PlaceholderVault): ChatResponse {
  if (vault.size === 0) return response;
  return { ...response, choices: response.choices.map((choice) => ({ ...choice, message: restoreMessage(choice.message, vault) })) };
}

/** A tool call as it streams: an index, and the pieces of id, name and arguments that arrived. */
interface StreamedToolCall {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}
const asToolCalls = (calls: StreamedToolCall[]): ToolCall[] => calls as unknown as ToolCall[];

/**
 * Restores a chat stream chunk by chunk. Each choice's content and each tool call's arguments are
 * separate streams with their own hold-back; a chunk carrying finish_reason releases what was held.
 */
export class ChatChunkRestorer {
  private readonly restorers = new Map<string, StreamRestorer>();

  constructor(private readonly vault: PlaceholderVault) {}

  restoreChunk(chunk: ChatChunk): ChatChunk {
    if (this.vault.size === 0) return chunk;
    const choices = chunk.choices.map((choice) => {
      const delta = { ...choice.delta };
      if (typeof delta.content === 'string') delta.content = this.restorer(`${choice.index}:content`, 'text').push(delta.content);
      if (Array.isArray(delta.tool_calls)) {
        delta.tool_calls = asToolCalls((delta.tool_calls as unknown as StreamedToolCall[]).map((call) => {
          if (typeof call.function?.arguments !== 'string') return call;
          const restorer = this.restorer(`${choice.index}:tool:${call.index}`, 'json-string');
          return { ...call, function: { ...call.function, arguments: restorer.push(call.function.arguments) } };
        }));
      }
      if (choice.finish_reason !== null) this.releaseInto(choice.index, delta);
      return { ...choice, delta };
    });
    return { ...chunk, choices };
  }

  /** Held text for streams that ended without a finish_reason chunk; a pipeline emits it as a last chunk. */
  finish(): Map<number, Partial<ChatMessage>> {
    const byChoice = new Map<number, Partial<ChatMessage>>();
    const choices = new Set([...this.restorers.keys()].map((key) => Number(key.split(':')[0])));
    for (const index of choices) {
      const delta: Partial<ChatMessage> = {};
      this.releaseInto(index, delta);
      if (Object.keys(delta).length > 0) byChoice.set(index, delta);
    }
    return byChoice;
  }

  private restorer(key: string, encoding: ValueEncoding): StreamRestorer {
    let restorer = this.restorers.get(key);
    if (!restorer) this.restorers.set(key, (restorer = new StreamRestorer(this.vault, encoding)));
    return restorer;
  }

  private releaseInto(choiceIndex: number, delta: Partial<ChatMessage>): void {
    const prefix = `${choiceIndex}:`;
    for (const [key, restorer] of this.restorers) {
      if (!key.startsWith(prefix)) continue;
      this.restorers.delete(key);
      const rest = restorer.flush();
      if (rest === '') continue;
      if (key === `${prefix}content`) {
        delta.content = (typeof delta.content === 'string' ? delta.content : '') + rest;
      } else {
        const index = Number(key.slice(`${prefix}tool:`.length));
        const calls = [...((delta.tool_calls as unknown as StreamedToolCall[] | undefined) ?? [])];
        calls.push({ index, function: { arguments: rest } });
        delta.tool_calls = asToolCalls(calls);
      }
    }
  }
}
