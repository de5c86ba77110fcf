// The request pipeline: resolve the target, admit, call the provider, account. Surfaces parse
// their wire format into canonical requests and hand them here; they render what comes back.
import type { CallOptions, ProviderClient } from '../providers/types.js';
import { chatChunkToCompletion, chatToCompletion, completionToChat, mergeCompletions } from './completions-via-chat.js';
import type { RequestContext } from './context.js';
import { GatewayError } from './errors.js';
import { pickEndpoint, type EndpointRuntime, type Runtime, type Target } from './runtime.js';
import type {
  ChatChunk,
  ChatRequest,
  ChatResponse,
  CompletionChunk,
  CompletionRequest,
  CompletionResponse,
  EmbeddingsRequest,
  EmbeddingsResponse,
  EndpointType,
  Usage,
} from './types.js';

// MLflow's wording for a name that serves another API.
const TYPE_NOUN: Record<EndpointType, string> = {
  'llm/v1/chat': 'a chat endpoint',
  'llm/v1/completions': 'a completions endpoint',
  'llm/v1/embeddings': 'an embeddings endpoint',
};

/** Finds an endpoint or route by name and checks that it serves the API being called. */
export function resolveTarget(runtime: Runtime, name: string, type: EndpointType): Target {
  const target = runtime.targets.get(name);
  if (!target) throw new GatewayError(404, `The endpoint or route '${name}' does not exist`, { code: 'model_not_found', param: 'model' });
  if (target.type !== type) {
    throw new GatewayError(400, `Endpoint '${name}' is not ${TYPE_NOUN[type]}.`, {
      code: 'wrong_endpoint_type',
      param: 'model',
    });
  }
  return target;
}

/** Applies access control, chooses the endpoint that serves this request and applies its limit. */
async function admit(ctx: RequestContext, requested: Target, req: unknown): Promise<EndpointRuntime> {
  const target = ctx.access ? await ctx.access.admit(ctx, requested, req) : requested;
  const { endpoint, route } = pickEndpoint(target);
  ctx.endpoint = endpoint.name;
  ctx.route = route;
  ctx.provider = endpoint.provider;
  ctx.model = endpoint.model;
  endpoint.limiter?.take(ctx.clientIp);
  return endpoint;
}

function callOptions(ctx: RequestContext, endpoint: EndpointRuntime): CallOptions {
  return {
    model: endpoint.model,
    signal: ctx.signal,
    timeoutMs: endpoint.timeoutMs,
    requestId: ctx.id,
    unsupported(param, reason) {
      if (!endpoint.dropUnsupportedParams) {
        const why = reason ? `: ${reason}` : '';
        throw new GatewayError(400, `Parameter '${param}' is not supported by the ${endpoint.provider} provider of endpoint '${endpoint.name}'${why}. Remove it, or set drop_unsupported_params: true on the endpoint to have it dropped.`, {
          param,
          code: 'unsupported_parameter',
        });
      }
      (ctx.droppedParams ??= []).push(param);
    },
    exposeHeader(name, value) {
      (ctx.exposedHeaders ??= {})[name] = value;
    },
  };
}

export async function chat(ctx: RequestContext, target: Target, req: ChatRequest): Promise<ChatResponse> {
  const endpoint = await admit(ctx, target, req);
  const res = await ctx.upstream(endpoint.client.chat(req, callOptions(ctx, endpoint)));
  ctx.usage = res.usage;
  return res;
}

export async function chatStream(ctx: RequestContext, target: Target, req: ChatRequest): Promise<AsyncIterable<ChatChunk>> {
  const endpoint = await admit(ctx, target, req);
  ctx.stream = true;
  const upstream = await ctx.upstream(endpoint.client.chatStream(withStreamUsage(req), callOptions(ctx, endpoint)));
  return timed(ctx, upstream, wantsUsage(req));
}

export async function completions(ctx: RequestContext, target: Target, req: CompletionRequest): Promise<CompletionResponse> {
  const endpoint = await admit(ctx, target, req);
  const opts = callOptions(ctx, endpoint);
  const client = endpoint.client;
  let res: CompletionResponse;
  if (client.completions) {
    res = await ctx.upstream(client.completions(req, opts));
  } else {
    const prompts = textPrompts(req.prompt, endpoint);
    const parts = await ctx.upstream(Promise.all(prompts.map((p) => client.chat(completionToChat(req, p), opts).then(chatToCompletion))));
    res = mergeCompletions(parts);
  }
  ctx.usage = res.usage;
  return res;
}

export async function completionsStream(ctx: RequestContext, target: Target, req: CompletionRequest): Promise<AsyncIterable<CompletionChunk>> {
  const endpoint = await admit(ctx, target, req);
  ctx.stream = true;
  const opts = callOptions(ctx, endpoint);
  const client: ProviderClient = endpoint.client;
  const upstreamReq = withStreamUsage(req);
  if (client.completionsStream) return timed(ctx, await ctx.upstream(client.completionsStream(upstreamReq, opts)), wantsUsage(req));
  const prompts = textPrompts(req.prompt, endpoint);
  if (prompts.length !== 1) throw new GatewayError(400, 'Streaming supports one prompt per request on this endpoint', { param: 'prompt', code: 'invalid_value' });
  const chunks = await ctx.upstream(client.chatStream(completionToChat(upstreamReq, prompts[0]), opts));
  return mapStream(timed(ctx, chunks, wantsUsage(req)), chatChunkToCompletion);
}

export async function embeddings(ctx: RequestContext, target: Target, req: EmbeddingsRequest): Promise<EmbeddingsResponse> {
  const endpoint = await admit(ctx, target, req);
  if (!endpoint.client.embeddings) {
    throw new GatewayError(400, `The provider ${endpoint.provider} of endpoint '${endpoint.name}' has no embeddings API`, { code: 'unsupported' });
  }
  const res = await ctx.upstream(endpoint.client.embeddings(req, callOptions(ctx, endpoint)));
  if (req.encoding_format === 'base64') encodeBase64(res);
  ctx.usage = { prompt_tokens: res.usage?.prompt_tokens ?? 0, completion_tokens: 0, total_tokens: res.usage?.total_tokens ?? 0 };
  return res;
}

/** The prompts of a completions request served through chat, which can only take text. */
function textPrompts(prompt: CompletionRequest['prompt'], endpoint: EndpointRuntime): string[] {
  const prompts: unknown[] = Array.isArray(prompt) ? prompt : [prompt];
  if (prompts.every((p): p is string => typeof p === 'string')) return prompts;
  throw new GatewayError(400, `Endpoint '${endpoint.name}' takes text prompts only: its provider ${endpoint.provider} serves completions through chat`, {
    param: 'prompt',
    code: 'invalid_value',
  });
}

const wantsUsage = (req: ChatRequest | CompletionRequest) => req.stream_options?.include_usage === true;

/** Streams always ask the upstream for usage, so every request is accounted; `timed` hides it again if the client did not ask. */
function withStreamUsage<R extends ChatRequest | CompletionRequest>(req: R): R {
  return wantsUsage(req) ? req : { ...req, stream_options: { ...req.stream_options, include_usage: true } };
}

/**
 * Books the wait for each upstream chunk as upstream time and keeps the usage the stream reports.
 * Without `passUsage` the usage-only chunk is dropped and `usage` left off the others, as the client asked.
 */
async function* timed<T extends { usage?: Usage | null; choices: unknown[] }>(ctx: RequestContext, source: AsyncIterable<T>, passUsage: boolean): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  try {
    while (true) {
      const next = await ctx.upstream(iterator.next());
      if (next.done) return;
      const chunk = next.value;
      if (chunk.usage) ctx.usage = chunk.usage;
      if (!passUsage && chunk.usage !== undefined) {
        if (chunk.choices.length === 0) continue;
        chunk.usage = undefined;
      }
      yield chunk;
    }
  } finally {
    await iterator.return?.();
  }
}

async function* mapStream<A, B>(source: AsyncIterable<A>, map: (a: A) => B): AsyncGenerator<B> {
  for await (const item of source) yield map(item);
}

/** OpenAI's base64 encoding (little-endian float32), for upstreams that answered with plain numbers. */
function encodeBase64(res: EmbeddingsResponse): void {
  for (const item of res.data) {
    if (Array.isArray(item.embedding)) item.embedding = Buffer.from(new Float32Array(item.embedding).buffer).toString('base64');
  }
}
