// The request pipeline: resolve the target, input guardrails, route and call the provider, output
// guardrails, account. Surfaces parse their wire format into canonical requests and hand them here;
// they render what comes back.
import { cachedAnswer, cachedStream } from '../cache/stage.js';
import { CHAT_SHAPE, COMPLETION_SHAPE, type AnswerShape } from '../cache/replay.js';
import type { CachedKind } from '../cache/key.js';
import type { CallOptions, ProviderClient } from '../providers/types.js';
import { chatChunkToCompletion, chatToCompletion, completionToChat, mergeCompletions } from './completions-via-chat.js';
import type { RequestContext } from './context.js';
import { GatewayError } from './errors.js';
import { dispatch, type Operation } from '../routing/dispatch.js';
import { assembleContext } from '../context/assemble.js';
import { noteAssembled, rememberAnswer, rememberStream } from '../context/answer.js';
import { registryModelOnLlmApi } from '../registry/errors.js';
import { guardChatResponse, guardChatStream, guardCompletionResponse, guardCompletionStream, inputStage, type OutputPlan } from '../guardrails/stage/index.js';
import type { EndpointRuntime, Runtime, Target } from './runtime.js';
import { accountAnswer, accountStream, logAnswer } from '../telemetry/accounting.js';
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
  ModerationRequest,
  ModerationResponse,
} from './types.js';

// MLflow's wording for a name that serves another API.
const TYPE_NOUN: Record<EndpointType, string> = {
  'llm/v1/chat': 'a chat endpoint',
  'llm/v1/completions': 'a completions endpoint',
  'llm/v1/embeddings': 'an embeddings endpoint',
  'llm/v1/moderations': 'a moderations endpoint',
};

/** Finds an endpoint or route by name and checks that it serves the API being called. */
export function resolveTarget(runtime: Runtime, name: string, type: EndpointType): Target {
  const target = runtime.targets.get(name);
  if (!target && runtime.models.get(name)) throw registryModelOnLlmApi(name);
  if (!target) throw new GatewayError(404, `The endpoint or route '${name}' does not exist`, { code: 'model_not_found', param: 'model' });
  if (target.type !== type) {
    throw new GatewayError(400, `Endpoint '${name}' is not ${TYPE_NOUN[type]}.`, {
      code: 'wrong_endpoint_type',
      param: 'model',
    });
  }
  return target;
}

/**
 * Keys, permissions, limits, quotas and budgets (src/access): may refuse the request, or send it to a
 * cheaper route when a budget says so. Without access control the target is unchanged.
 */
function admit(ctx: RequestContext, target: Target, req: unknown): Target | Promise<Target> {
  return ctx.access ? ctx.access.admit(ctx, target, req) : target;
}

function callOptions(ctx: RequestContext, endpoint: EndpointRuntime, signal: AbortSignal): CallOptions {
  return {
    model: endpoint.model,
    signal,
    timeoutMs: endpoint.timeoutMs,
    connectTimeoutMs: endpoint.config.timeouts?.connect,
    requestId: ctx.id,
    traceHeaders: ctx.trace?.upstreamHeaders(),
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

// The provider calls, one per API. The router (src/routing/dispatch.ts) decides which endpoint
// runs them, and may run one several times (retries, fallbacks).

const CHAT: Operation<ChatRequest, ChatResponse> = {
  stream: false,
  run: (ctx, endpoint, req, signal) => endpoint.client.chat(req, callOptions(ctx, endpoint, signal)),
};

const CHAT_STREAM: Operation<ChatRequest, AsyncIterable<ChatChunk>> = {
  stream: true,
  run: (ctx, endpoint, req, signal) => endpoint.client.chatStream(req, callOptions(ctx, endpoint, signal)),
};

const COMPLETIONS: Operation<CompletionRequest, CompletionResponse> = {
  stream: false,
  async run(ctx, endpoint, req, signal) {
    const opts = callOptions(ctx, endpoint, signal);
    const client = endpoint.client;
    if (client.completions) return client.completions(req, opts);
    const prompts = textPrompts(req.prompt, endpoint);
    return mergeCompletions(await Promise.all(prompts.map((p) => client.chat(completionToChat(req, p), opts).then(chatToCompletion))));
  },
};

const COMPLETIONS_STREAM: Operation<CompletionRequest, AsyncIterable<CompletionChunk>> = {
  stream: true,
  async run(ctx, endpoint, req, signal) {
    const opts = callOptions(ctx, endpoint, signal);
    const client: ProviderClient = endpoint.client;
    if (client.completionsStream) return client.completionsStream(req, opts);
    const prompts = textPrompts(req.prompt, endpoint);
    if (prompts.length !== 1) throw new GatewayError(400, 'Streaming supports one prompt per request on this endpoint', { param: 'prompt', code: 'invalid_value' });
    return mapStream(await client.chatStream(completionToChat(req, prompts[0]), opts), chatChunkToCompletion);
  },
};

const EMBEDDINGS: Operation<EmbeddingsRequest, EmbeddingsResponse> = {
  stream: false,
  run(ctx, endpoint, req, signal) {
    if (!endpoint.client.embeddings) {
      throw new GatewayError(400, `The provider ${endpoint.provider} of endpoint '${endpoint.name}' has no embeddings API`, { code: 'unsupported' });
    }
    return endpoint.client.embeddings(req, callOptions(ctx, endpoint, signal));
  },
};

const MODERATIONS: Operation<ModerationRequest, ModerationResponse> = {
  stream: false,
  run(ctx, endpoint, req, signal) {
    if (!endpoint.client.moderations) throw new GatewayError(400, `The provider ${endpoint.provider} of endpoint '${endpoint.name}' has no moderation API`, { code: 'unsupported' });
    return endpoint.client.moderations(req, callOptions(ctx, endpoint, signal));
  },
};

// Each API runs the input guardrails before routing (they may block, redact or re-target the
// request) and, when the request has output rules or values to restore, the output guardrails on
// the answer. Without guardrails both stages pass the request and the answer through untouched.
// Between them, a target with a cache (src/cache) may answer from it; the key is the request as the
// input guardrails left it, and the output guardrails run on cached answers too.

// Chat requests also go through the context protocol (src/context): session history, documents and
// the token budget are assembled before the input guardrails (so they check, and redact, what goes
// upstream), and the exchange is stored with the session once the answer is complete.

const callChat = (ctx: RequestContext, target: Target, req: ChatRequest) => dispatch(ctx, target, req, CHAT);

async function checkChatInput(ctx: RequestContext, target: Target, req: ChatRequest) {
  const admitted = await admit(ctx, target, req);
  const checked = await inputStage(ctx, admitted, { kind: 'chat', request: await assembleContext(ctx, admitted, req, callChat) });
  noteAssembled(ctx, checked.request.messages);
  return checked;
}

/** A request that passed admission and the input guardrails, on its way upstream. */
interface Checked<Q> {
  target: Target;
  request: Q;
}

/**
 * The upstream's whole answer, accounted, or the cached one (a hit is not accounted: it cost nothing
 * upstream, and the cache sets the usage the client sees).
 */
function answerFor<Q extends ChatRequest | CompletionRequest, R extends ChatResponse | CompletionResponse>(
  ctx: RequestContext,
  target: Target,
  kind: CachedKind,
  checked: Checked<Q>,
  operation: Operation<Q, R>,
): Promise<R> {
  const call = async () => {
    const res = await dispatch(ctx, checked.target, checked.request, operation);
    await accountAnswer(ctx, checked.request, res.usage, res);
    return res;
  };
  return target.cache ? cachedAnswer(ctx, target.cache, kind, checked, call) : call();
}

/** The stream version: the upstream's stream, timed and accounted as it passes, or a cached answer replayed. */
async function streamFor<Q extends ChatRequest | CompletionRequest, R extends ChatResponse | CompletionResponse, C extends ChatChunk | CompletionChunk>(
  ctx: RequestContext,
  target: Target,
  kind: CachedKind,
  checked: Checked<Q> & { output?: OutputPlan },
  operation: Operation<Q, AsyncIterable<C>>,
  shape: AnswerShape<R, C>,
  includeUsage: boolean,
): Promise<AsyncIterable<C>> {
  const call = async () => accountStream(ctx, checked.request, await dispatch(ctx, checked.target, withStreamUsage(checked.request), operation), includeUsage, checked.output);
  return target.cache ? cachedStream(ctx, target.cache, kind, checked, shape, includeUsage, call) : call();
}

export async function chat(ctx: RequestContext, target: Target, req: ChatRequest): Promise<ChatResponse> {
  const checked = await checkChatInput(ctx, target, req);
  const res = await answerFor(ctx, target, 'chat', checked, CHAT);
  const answer = checked.output ? await guardChatResponse(ctx, checked.output, res) : res;
  logAnswer(ctx, checked.request, res, answer, checked.output);
  return rememberAnswer(ctx, answer);
}

export async function chatStream(ctx: RequestContext, target: Target, req: ChatRequest): Promise<AsyncIterable<ChatChunk>> {
  ctx.stream = true;
  const checked = await checkChatInput(ctx, target, req);
  const stream = await streamFor(ctx, target, 'chat', checked, CHAT_STREAM, CHAT_SHAPE, wantsUsage(req));
  return rememberStream(ctx, checked.output ? guardChatStream(ctx, checked.output, stream) : stream);
}

export async function completions(ctx: RequestContext, target: Target, req: CompletionRequest): Promise<CompletionResponse> {
  const checked = await inputStage(ctx, await admit(ctx, target, req), { kind: 'completion', request: req });
  const res = await answerFor(ctx, target, 'completion', checked, COMPLETIONS);
  const answer = checked.output ? await guardCompletionResponse(ctx, checked.output, res) : res;
  logAnswer(ctx, checked.request, res, answer, checked.output);
  return answer;
}

export async function completionsStream(ctx: RequestContext, target: Target, req: CompletionRequest): Promise<AsyncIterable<CompletionChunk>> {
  ctx.stream = true;
  const checked = await inputStage(ctx, await admit(ctx, target, req), { kind: 'completion', request: req });
  const stream = await streamFor(ctx, target, 'completion', checked, COMPLETIONS_STREAM, COMPLETION_SHAPE, wantsUsage(req));
  return checked.output ? guardCompletionStream(ctx, checked.output, stream) : stream;
}

/** Embeddings have input guardrails only: there is no text in the answer to check or restore. */
export async function embeddings(ctx: RequestContext, target: Target, req: EmbeddingsRequest): Promise<EmbeddingsResponse> {
  const checked = await inputStage(ctx, await admit(ctx, target, req), { kind: 'embeddings', request: req });
  const res = await dispatch(ctx, checked.target, checked.request, EMBEDDINGS);
  if (req.encoding_format === 'base64') encodeBase64(res);
  await accountAnswer(ctx, checked.request, res.usage && { prompt_tokens: res.usage.prompt_tokens ?? 0, completion_tokens: 0, total_tokens: res.usage.total_tokens ?? 0 });
  logAnswer(ctx, checked.request, { model: res.model, usage: res.usage, vectors: res.data.length }, undefined, undefined);
  return res;
}

/**
 * Moderation runs no guardrails: it is the classifier guardrails call (a moderation rule on a
 * moderation endpoint would call itself), and the config refuses guardrails on moderation endpoints.
 */
export async function moderations(ctx: RequestContext, target: Target, req: ModerationRequest): Promise<ModerationResponse> {
  return dispatch(ctx, await admit(ctx, target, req), req, MODERATIONS);
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

/** Streams always ask the upstream for usage, so every request is accounted; `accountStream` hides it again if the client did not ask. */
function withStreamUsage<R extends ChatRequest | CompletionRequest>(req: R): R {
  return wantsUsage(req) ? req : { ...req, stream_options: { ...req.stream_options, include_usage: true } };
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
