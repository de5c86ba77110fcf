// Replaces detected values by placeholders in text, JSON tool arguments and canonical requests.
import type { ChatMessage, ChatRequest, CompletionRequest, EmbeddingsRequest } from '../../core/types.js';
import { detectSpans } from '../pii/detect.js';
import type { Detector } from '../pii/types.js';
import type { PlaceholderVault } from './vault.js';

export class Masker {
  /** Values replaced so far, per type: occurrences, for security events that must not hold values. */
  readonly replaced: Record<string, number> = {};

  constructor(
    private readonly detectors: readonly Detector[],
    readonly vault: PlaceholderVault,
  ) {}

  maskText(text: string): string {
    const spans = detectSpans(text, this.detectors);
    if (spans.length === 0) return text;
    let out = '';
    let cursor = 0;
    for (const span of spans) {
      this.replaced[span.type] = (this.replaced[span.type] ?? 0) + 1;
      out += text.slice(cursor, span.start) + this.vault.placeholderFor(span.type, span.value);
      cursor = span.end;
    }
    return out + text.slice(cursor);
  }

  /**
   * Tool arguments are JSON text: masking the raw text could cut through an escape sequence, so the
   * string leaves are masked one by one and the JSON is written again. Invalid JSON is masked as text.
   */
  maskJsonText(json: string): string {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      return this.maskText(json);
    }
    const masked = this.maskJsonValue(parsed);
    return masked === parsed ? json : JSON.stringify(masked);
  }

  /** Returns the same object when nothing inside it changed, so untouched requests are not copied. */
  private maskJsonValue(value: unknown): unknown {
    if (typeof value === 'string') return this.maskText(value);
    if (Array.isArray(value)) {
      const items = value.map((item) => this.maskJsonValue(item));
      return items.some((item, i) => item !== value[i]) ? items : value;
    }
    if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value).map(([key, item]) => [key, this.maskJsonValue(item)] as const);
      const changed = entries.some(([key, item]) => item !== (value as Record<string, unknown>)[key]);
      return changed ? Object.fromEntries(entries) : value;
    }
    return value;
  }

  maskMessage(message: ChatMessage): ChatMessage {
    const { content, tool_calls: toolCalls } = message;
    const maskedContent =
      typeof content === 'string'
        ? this.maskText(content)
        : Array.isArray(content)
          ? content.map((part) => (typeof part.text === 'string' ? { ...part, text: this.maskText(part.text) } : part))
          : content;
    const maskedToolCalls = toolCalls?.map((call) => ({
      ...call,
      function: { ...call.function, arguments: this.maskJsonText(call.function.arguments) },
    }));
    return { ...message, content: maskedContent, ...(maskedToolCalls ? { tool_calls: maskedToolCalls } : {}) };
  }

  /** Every role is masked: the provider must not see the value in history, system text or tool results either. */
  maskChatRequest(request: ChatRequest): ChatRequest {
    return { ...request, messages: request.messages.map((message) => this.maskMessage(message)) };
  }

  maskCompletionRequest(request: CompletionRequest): CompletionRequest {
    return { ...request, prompt: this.maskTextInputs(request.prompt) };
  }

  /** Embeddings have nothing to restore, so mask-and-restore behaves as mask here. */
  maskEmbeddingsRequest(request: EmbeddingsRequest): EmbeddingsRequest {
    return { ...request, input: this.maskTextInputs(request.input) };
  }

  /** Text or a list of texts is masked; token ids are passed through (they are not decoded here). */
  private maskTextInputs<T extends string | string[] | number[] | number[][]>(input: T): T {
    if (typeof input === 'string') return this.maskText(input) as T;
    return (input as unknown[]).map((item) => (typeof item === 'string' ? this.maskText(item) : item)) as T;
  }
}
