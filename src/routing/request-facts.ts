// What routing may read from a request: headers, the caller (key, team), the `user` and `metadata`
// fields, and the prompt's size. Computed only when a route asks, so a plain endpoint request pays nothing for them.
import type { IncomingHttpHeaders } from 'node:http';
import type { Caller } from '../core/context.js';
import type { ChatRequest, CompletionRequest, EmbeddingsRequest, ModerationRequest } from '../core/types.js';

export type RoutedRequest = ChatRequest | CompletionRequest | EmbeddingsRequest | ModerationRequest;

export class RequestFacts {
  private chars?: number;

  constructor(
    readonly req: RoutedRequest,
    readonly headers: IncomingHttpHeaders | undefined,
    /** Who is calling, as access control established it; undefined for anonymous callers. */
    readonly caller?: Caller,
  ) {}

  header(name: string): string | undefined {
    const value = this.headers?.[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  }

  metadata(key: string): string | undefined {
    const metadata = this.req.metadata;
    if (!metadata || typeof metadata !== 'object') return undefined;
    const value = (metadata as Record<string, unknown>)[key];
    return typeof value === 'string' ? value : undefined;
  }

  get user(): string | undefined {
    return typeof this.req.user === 'string' && this.req.user ? this.req.user : undefined;
  }

  /** Prompt size in tokens, estimated as characters / 4 (close enough to route on; exact counts come with token accounting). */
  promptTokens(): number {
    this.chars ??= promptChars(this.req);
    return Math.ceil(this.chars / 4);
  }

  /** Output tokens the request may produce, for cost estimates. */
  maxOutputTokens(): number {
    const r = this.req as ChatRequest;
    return r.max_completion_tokens ?? r.max_tokens ?? 256;
  }
}

function promptChars(req: RoutedRequest): number {
  if ('messages' in req && Array.isArray(req.messages)) {
    let n = 0;
    for (const m of req.messages) n += textLength(m.content);
    return n;
  }
  if ('prompt' in req) return textLength(req.prompt);
  if ('input' in req) return textLength(req.input);
  return 0;
}

/** Characters of text in a string, a list of strings or content parts; token ids count as 4 characters each. */
function textLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (typeof value === 'number') return 4;
  if (Array.isArray(value)) return value.reduce<number>((n, v) => n + textLength(v), 0);
  if (value && typeof value === 'object' && typeof (value as { text?: unknown }).text === 'string') return (value as { text: string }).text.length;
  return 0;
}
