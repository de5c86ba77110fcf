// The OpenAI surface: /v1/chat/completions, /v1/completions, /v1/embeddings and /v1/models.
// `model` names a Gatehouse endpoint or route, as in MLflow's OpenAI-compatible API.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { RequestContext } from '../../core/context.js';
import { notFound } from '../../core/errors.js';
import * as pipeline from '../../core/pipeline.js';
import type { GatewayState, Target } from '../../core/runtime.js';
import type { EndpointType } from '../../core/types.js';
import { beginRequest, sendError, sendJson, sendSse } from '../http.js';
import { checkChat, checkCompletion, checkEmbeddings, requireModel, requireObject } from '../validate.js';

type Handler = (ctx: RequestContext, target: Target, body: Record<string, unknown>, reply: FastifyReply) => Promise<void>;

export const serveChat: Handler = async (ctx, target, body, reply) => {
  const req = checkChat(body);
  if (req.stream) return sendSse(reply, ctx, await pipeline.chatStream(ctx, target, req), JSON.stringify);
  sendJson(reply, ctx, await pipeline.chat(ctx, target, req));
};

export const serveCompletions: Handler = async (ctx, target, body, reply) => {
  const req = checkCompletion(body);
  if (req.stream) return sendSse(reply, ctx, await pipeline.completionsStream(ctx, target, req), JSON.stringify);
  sendJson(reply, ctx, await pipeline.completions(ctx, target, req));
};

export const serveEmbeddings: Handler = async (ctx, target, body, reply) => {
  sendJson(reply, ctx, await pipeline.embeddings(ctx, target, checkEmbeddings(body)));
};

export function registerOpenAI(app: FastifyInstance, state: GatewayState, log: Logger): void {
  const route = (type: EndpointType, handler: Handler) => async (request: FastifyRequest, reply: FastifyReply) => {
    const ctx = beginRequest(request, reply, log);
    try {
      const body = requireObject(request.body);
      const target = pipeline.resolveTarget(state.current, requireModel(body), type);
      await handler(ctx, target, body, reply);
    } catch (err) {
      sendError(reply, ctx, err);
    }
  };
  app.post('/v1/chat/completions', route('llm/v1/chat', serveChat));
  app.post('/v1/completions', route('llm/v1/completions', serveCompletions));
  app.post('/v1/embeddings', route('llm/v1/embeddings', serveEmbeddings));

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
