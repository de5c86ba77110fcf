// The OpenAI surface: /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/moderations and /v1/models.
// `model` names a Gatehouse endpoint or route, as in MLflow's OpenAI-compatible API.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { RequestContext } from '../../core/context.js';
import { badRequest, notFound } from '../../core/errors.js';
import * as pipeline from '../../core/pipeline.js';
import { expandOpenAIPrompt } from '../../prompts/apply.js';
import type { GatewayState, Runtime, Target } from '../../core/runtime.js';
import type { CompletionChunk, EndpointType } from '../../core/types.js';
import { beginRequest, openAIErrorBody, sendError, sendJson, sendSse, type ErrorShape } from '../http.js';
import { takeContext } from '../context/routes.js';
import { refuseEnvelope } from '../../context/envelope.js';
import { checkChat, checkCompletion, checkEmbeddings, checkModeration, requireModel, requireObject } from '../validate.js';

/**
 * How a surface writes what the shared handlers produce. The handlers serve the OpenAI surface and
 * MLflow's invocations alike (the payloads are the same); only streams and error bodies differ.
 */
export interface ResponseStyle {
  /** Close streams with `data: [DONE]` (OpenAI) or just end them (MLflow). */
  doneMarker: boolean;
  /** The `object` of streamed completion chunks: OpenAI's "text_completion", MLflow's "text_completion_chunk". */
  completionChunkObject: string;
  errorShape: ErrorShape;
}

export const OPENAI_STYLE: ResponseStyle = { doneMarker: true, completionChunkObject: 'text_completion', errorShape: openAIErrorBody };

export type Handler = (ctx: RequestContext, target: Target, body: Record<string, unknown>, reply: FastifyReply, style?: ResponseStyle) => Promise<void>;

const streamOptions = (style: ResponseStyle) => ({ done: style.doneMarker, errorShape: style.errorShape });

export const serveChat: Handler = async (ctx, target, body, reply, style = OPENAI_STYLE) => {
  takeContext(ctx, body, reply.server.gatehouseContext);
  const req = checkChat(body);
  if (req.stream) return sendSse(reply, ctx, await pipeline.chatStream(ctx, target, req), JSON.stringify, streamOptions(style));
  sendJson(reply, ctx, await pipeline.chat(ctx, target, req));
};

export const serveCompletions: Handler = async (ctx, target, body, reply, style = OPENAI_STYLE) => {
  refuseEnvelope(body);
  const req = checkCompletion(body);
  if (req.stream) {
    const render = (chunk: CompletionChunk) => JSON.stringify({ ...chunk, object: style.completionChunkObject });
    return sendSse(reply, ctx, await pipeline.completionsStream(ctx, target, req), render, streamOptions(style));
  }
  sendJson(reply, ctx, await pipeline.completions(ctx, target, req));
};

export const serveEmbeddings: Handler = async (ctx, target, body, reply) => {
  refuseEnvelope(body);
  sendJson(reply, ctx, await pipeline.embeddings(ctx, target, checkEmbeddings(body)));
};

export const serveModerations: Handler = async (ctx, target, body, reply) => {
  sendJson(reply, ctx, await pipeline.moderations(ctx, target, checkModeration(body)));
};

/** The handler for each API type, for surfaces where the target's type picks the payload (MLflow invocations, custom paths). */
export const HANDLERS: Record<EndpointType, Handler> = {
  'llm/v1/chat': serveChat,
  'llm/v1/completions': serveCompletions,
  'llm/v1/embeddings': serveEmbeddings,
  'llm/v1/moderations': serveModerations,
};

/**
 * A chat request may name a prompt template (`prompt: {id, version?, variables}`), rendered in here;
 * completions' `prompt` is text. Shared with MLflow's invocations and config-declared paths.
 */
export function withPrompt(runtime: Runtime, ctx: RequestContext, target: Target, body: Record<string, unknown>): Record<string, unknown> {
  return target.type === 'llm/v1/chat' ? expandOpenAIPrompt(runtime.prompts, ctx, target, body) : body;
}

export function registerOpenAI(app: FastifyInstance, state: GatewayState, log: Logger): void {
  const route = (type: EndpointType) => async (request: FastifyRequest, reply: FastifyReply) => {
    const ctx = beginRequest(request, reply, log);
    try {
      const runtime = state.current;
      const body = requireObject(request.body);
      const target = pipeline.resolveTarget(runtime, modelOf(runtime, body, type), type);
      await HANDLERS[type](ctx, target, withPrompt(runtime, ctx, target, body), reply);
    } catch (err) {
      sendError(reply, ctx, err);
    }
  };
  app.post('/v1/chat/completions', route('llm/v1/chat'));
  app.post('/v1/completions', route('llm/v1/completions'));
  app.post('/v1/embeddings', route('llm/v1/embeddings'));
  app.post('/v1/moderations', route('llm/v1/moderations'));

  app.get('/v1/models', async (request, reply) => {
    const ctx = beginRequest(request, reply, log);
    const runtime = state.current;
    const created = Math.floor(runtime.loadedAt.getTime() / 1000);
    const data = [...runtime.targets.values()].map((t) => modelEntry(t, created));
    sendJson(reply, ctx, { object: 'list', data });
  });

  app.get<{ Params: { model: string } }>('/v1/models/:model', async (request, reply) => {
    const ctx = beginRequest(request, reply, log);
    const runtime = state.current;
    const target = runtime.targets.get(request.params.model);
    if (!target) return sendError(reply, ctx, notFound(`The model '${request.params.model}' does not exist`, 'model_not_found'));
    sendJson(reply, ctx, modelEntry(target, Math.floor(runtime.loadedAt.getTime() / 1000)));
  });
}

/**
 * The endpoint or route the request names. OpenAI's moderation API makes `model` optional: without
 * it, the gateway's only moderation endpoint or route serves (with several, `model` must choose).
 */
function modelOf(runtime: Runtime, body: Record<string, unknown>, type: EndpointType): string {
  if (type !== 'llm/v1/moderations' || body.model !== undefined) return requireModel(body);
  const names = [...runtime.targets.values()].filter((t) => t.type === type).map((t) => t.name);
  if (names.length === 1) return names[0];
  throw badRequest(names.length === 0 ? 'No moderation endpoint is configured' : `Several moderation endpoints are configured (${names.join(', ')}): name one in 'model'`, 'model', 'missing_required_parameter');
}

function modelEntry(target: Target, created: number) {
  return {
    id: target.name,
    object: 'model' as const,
    created,
    owned_by: target.kind === 'endpoint' ? target.provider : 'gatehouse',
    endpoint_type: target.type,
    kind: target.kind,
  };
}
