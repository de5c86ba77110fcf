// A built-in provider with deterministic answers, realistic streaming timing, exact usage counts,
// fixed-dimension embeddings and configurable error injection. It lets the gateway run and be
// tested with no API key and no network.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { duration } from '../../config/duration.js';
import { GatewayError } from '../../core/errors.js';
import type { ChatChunk, ChatMessage, ChatRequest, ChatResponse, EmbeddingsRequest, EmbeddingsResponse, ToolCall, Usage } from '../../core/types.js';
import { upstreamError } from '../http.js';
import type { CallOptions, ProviderClient, ProviderDefinition } from '../types.js';
import { countPromptTokens, embedText, messageText, replyText, tokenize } from './text.js';

/** The longest vector the mock makes (a request's `dimensions` included): bounds the work one request can ask for. */
const MAX_DIMENSIONS = 8192;

const configSchema = z.strictObject({
  response: z.string().optional().meta({ description: 'Fixed reply text. By default the mock answers "This is a mock response to: <last user message>".' }),
  ttft: duration('Delay before the first token (stream) or before the whole answer (non-stream). Default 0.').optional(),
  token_delay: duration('Delay between streamed tokens; non-stream answers wait for the whole generation. Default 0.').optional(),
  embedding_dimensions: z.int().min(1).max(MAX_DIMENSIONS).default(256).meta({ description: 'Length of the embedding vectors. Default 256.' }),
  error_rate: z.number().min(0).max(1).default(0).meta({ description: 'Share of requests (0..1) answered with error_status instead of an answer.' }),
  error_status: z.int().min(400).max(599).default(500).meta({ description: 'HTTP status of injected errors. Default 500.' }),
  error_message: z.string().default('Injected mock failure').meta({ description: 'Message of injected errors.' }),
  timeout_rate: z.number().min(0).max(1).default(0).meta({ description: 'Share of requests (0..1) that never answer, so the endpoint timeout applies.' }),
});

type MockConfig = z.infer<typeof configSchema>;

export const mockProvider: ProviderDefinition<MockConfig> = {
  name: 'mock',
  description: 'Built-in deterministic mock: no network, no key. For quick starts, demos and tests.',
  configSchema,
  secretKeys: [],
  create: ({ name, config }) => new MockClient(name, config),
};

interface Generation {
  id: string;
  created: number;
  tokens: string[];
  finishReason: 'stop' | 'length' | 'tool_calls';
  toolCalls?: ToolCall[];
  usage: Usage;
}

class MockClient implements ProviderClient {
  constructor(
    private readonly modelName: string,
    private readonly config: MockConfig,
  ) {}

  async chat(req: ChatRequest, call: CallOptions): Promise<ChatResponse> {
    await this.injectFailures(call);
    const gen = this.generate(req);
    await this.wait((this.config.ttft ?? 0) + (this.config.token_delay ?? 0) * gen.tokens.length, call);
    const message: ChatMessage = { role: 'assistant', content: gen.toolCalls ? null : gen.tokens.join('') };
    if (gen.toolCalls) message.tool_calls = gen.toolCalls;
    return {
      id: gen.id,
      object: 'chat.completion',
      created: gen.created,
      model: call.model,
      choices: [{ index: 0, message, finish_reason: gen.finishReason, logprobs: null }],
      usage: gen.usage,
    };
  }

  async chatStream(req: ChatRequest, call: CallOptions): Promise<AsyncIterable<ChatChunk>> {
    await this.injectFailures(call);
    const gen = this.generate(req);
    const includeUsage = req.stream_options?.include_usage === true;
    const client = this;
    return (async function* () {
      const chunk = (delta: ChatChunk['choices'][0]['delta'], finish: string | null): ChatChunk => ({
        id: gen.id,
        object: 'chat.completion.chunk',
        created: gen.created,
        model: call.model,
        choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      });
      await client.wait(client.config.ttft ?? 0, call);
      yield chunk({ role: 'assistant', content: '' }, null);
      if (gen.toolCalls) {
        yield chunk({ tool_calls: gen.toolCalls.map((tc, index) => ({ index, ...tc })) as unknown as ToolCall[] }, null);
      } else {
        for (let i = 0; i < gen.tokens.length; i++) {
          if (i > 0) await client.wait(client.config.token_delay ?? 0, call);
          yield chunk({ content: gen.tokens[i] }, null);
        }
      }
      yield chunk({}, gen.finishReason);
      if (includeUsage) yield { ...chunk({}, null), choices: [], usage: gen.usage };
    })();
  }

  async embeddings(req: EmbeddingsRequest, call: CallOptions): Promise<EmbeddingsResponse> {
    await this.injectFailures(call);
    const dimensions = req.dimensions ?? this.config.embedding_dimensions;
    if (dimensions > MAX_DIMENSIONS) {
      throw upstreamError('mock', 400, `'dimensions' must be at most ${MAX_DIMENSIONS}`, undefined, 'dimensions');
    }
    // A list of numbers is one input given as token ids, not several inputs.
    const inputs = typeof req.input === 'string' || typeof req.input[0] === 'number' ? [req.input] : req.input;
    let promptTokens = 0;
    const data = inputs.map((input, index) => {
      const text = typeof input === 'string' ? input : JSON.stringify(input);
      promptTokens += typeof input === 'string' ? tokenize(input).length : Array.isArray(input) ? input.length : 1;
      return { object: 'embedding' as const, index, embedding: embedText(text, dimensions) };
    });
    await this.wait(this.config.ttft ?? 0, call);
    return { object: 'list', data, model: call.model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } };
  }

  private generate(req: ChatRequest): Generation {
    const lastUser = [...req.messages].reverse().find((m) => m.role === 'user');
    const promptTokens = countPromptTokens(req.messages);
    const id = `chatcmpl-mock-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const toolCalls = this.toolCalls(req);
    if (toolCalls) {
      const completion = tokenize(toolCalls.map((t) => t.function.name + t.function.arguments).join('')).length;
      return { id, created, tokens: [], finishReason: 'tool_calls', toolCalls, usage: usage(promptTokens, completion) };
    }
    let tokens = tokenize(replyText(this.config.response, lastUser ? messageText(lastUser) : ''));
    const limit = req.max_completion_tokens ?? req.max_tokens;
    let finishReason: Generation['finishReason'] = 'stop';
    if (typeof limit === 'number' && tokens.length > limit) {
      tokens = tokens.slice(0, limit);
      finishReason = 'length';
    }
    return { id, created, tokens, finishReason, usage: usage(promptTokens, tokens.length) };
  }

  /** A forced tool choice ("required" or a named function) answers with a call to that tool. */
  private toolCalls(req: ChatRequest): ToolCall[] | undefined {
    const tools = (req.tools ?? []) as { function?: { name?: string } }[];
    if (tools.length === 0) return undefined;
    const choice = req.tool_choice as string | { function?: { name?: string } } | undefined;
    const name = typeof choice === 'object' ? choice?.function?.name : choice === 'required' ? tools[0].function?.name : undefined;
    if (!name) return undefined;
    return [{ id: `call_mock_${randomUUID().slice(0, 8)}`, type: 'function', function: { name, arguments: '{}' } }];
  }

  private async injectFailures(call: CallOptions): Promise<void> {
    const { error_rate, timeout_rate } = this.config;
    if (timeout_rate > 0 && Math.random() < timeout_rate) await this.wait(Number.POSITIVE_INFINITY, call);
    if (error_rate > 0 && Math.random() < error_rate) {
      throw upstreamError('mock', this.config.error_status, this.config.error_message);
    }
  }

  /** Waits like a slow upstream would: cut short by the client's abort, or by the endpoint's timeout (504). */
  private async wait(ms: number, call: CallOptions): Promise<void> {
    if (ms <= 0) return;
    if (ms > call.timeoutMs) {
      await sleep(call.timeoutMs, undefined, { signal: call.signal }).catch(() => undefined);
      if (call.signal.aborted) throw abortError(call.signal);
      throw new GatewayError(504, `Upstream mock (${this.modelName}) timed out`, { code: 'upstream_timeout' });
    }
    try {
      await sleep(ms, undefined, { signal: call.signal });
    } catch {
      throw abortError(call.signal);
    }
  }
}

function abortError(signal: AbortSignal): GatewayError {
  return signal.reason instanceof GatewayError
    ? signal.reason
    : new GatewayError(499, 'The client closed the request', { code: 'client_closed_request' });
}

function usage(prompt: number, completion: number): Usage {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
