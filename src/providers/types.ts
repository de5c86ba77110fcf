import type { z } from 'zod';
import type {
  ChatChunk,
  ChatRequest,
  ChatResponse,
  CompletionChunk,
  CompletionRequest,
  CompletionResponse,
  EmbeddingsRequest,
  EmbeddingsResponse,
  ModerationRequest,
  ModerationResponse,
} from '../core/types.js';

/** What a provider call gets besides the request: the model to use, cancellation and the time budget. */
export interface CallOptions {
  /** The provider's own model name (from the endpoint's `model.name`). */
  model: string;
  /** Aborted when the client disconnects or the endpoint's timeout passes. */
  signal: AbortSignal;
  /** Upper bound on the wait for the upstream's first byte and on any pause within its answer. */
  timeoutMs: number;
  /** Upper bound on opening a connection to the upstream (the endpoint's `timeouts.connect`). */
  connectTimeoutMs?: number;
  requestId: string;
  /** W3C trace-context headers (traceparent, tracestate) for the upstream call, when tracing is on. */
  traceHeaders?: Record<string, string>;
  /**
   * An adapter calls this for each parameter of the request that its provider cannot take, and then
   * leaves it out. It throws a 400 naming the parameter unless the endpoint has
   * `drop_unsupported_params: true`, so nothing is sent upstream to fail there.
   */
  unsupported(param: string, reason?: string): void;
  /** Passes an upstream response header on to the client (e.g. the provider's rate-limit headers). */
  exposeHeader(name: string, value: string): void;
}

/**
 * A provider client maps canonical requests to one upstream API and back.
 * Stream methods resolve once the upstream has answered with its headers, so an upstream error
 * before the first byte rejects the promise (and can be retried or reported as a normal error);
 * the returned iterable then yields canonical chunks as they arrive.
 */
export interface ProviderClient {
  chat(req: ChatRequest, opts: CallOptions): Promise<ChatResponse>;
  chatStream(req: ChatRequest, opts: CallOptions): Promise<AsyncIterable<ChatChunk>>;
  /** Providers without a native completions API leave these out; the pipeline serves completions through chat. */
  completions?(req: CompletionRequest, opts: CallOptions): Promise<CompletionResponse>;
  completionsStream?(req: CompletionRequest, opts: CallOptions): Promise<AsyncIterable<CompletionChunk>>;
  embeddings?(req: EmbeddingsRequest, opts: CallOptions): Promise<EmbeddingsResponse>;
  /** A moderation classifier (OpenAI's /v1/moderations shape); only providers whose `canModerate` says so are asked. */
  moderations?(req: ModerationRequest, opts: CallOptions): Promise<ModerationResponse>;
}

export interface ProviderDefinition<Config = Record<string, unknown>> {
  /** The name written in `model.provider`. */
  name: string;
  /** One line for docs and the JSON Schema. */
  description: string;
  /** Validates `model.config` (secrets already resolved). Keys use MLflow's names where MLflow has them. */
  configSchema: z.ZodType<Config>;
  /** Config keys that hold secrets: redacted from logs and never echoed in errors. */
  secretKeys: readonly string[];
  create(model: { name: string; config: Config }): ProviderClient;
  /**
   * Whether an endpoint with this config can serve llm/v1/moderations (the config check asks, on the
   * config as written). Absent: it cannot.
   */
  canModerate?(config: Partial<Config>): boolean;
}
