// MLflow's invocation paths: POST /endpoints/{name}/invocations and /gateway/{name}/invocations
// serve an endpoint or a traffic route by name. The payload is the one of the target's type (chat:
// messages, or a prompt reference; completions: prompt; embeddings: input), checked as on the
// OpenAI surface; the name is in the path, so a `model` field is refused, as MLflow does.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { RequestContext } from '../../core/context.js';
import { badRequest, GatewayError } from '../../core/errors.js';
import type { GatewayState, Runtime, Target } from '../../core/runtime.js';
import { HANDLERS, withPrompt, type ResponseStyle } from '../openai/routes.js';
import { invokeModel } from '../../registry/invoke.js';
import { requireObject } from '../validate.js';
import { endpointNotFound, MLFLOW_ROUTE, mlflowErrorBody, mlflowHandler, nameParam } from './respond.js';

const MODEL_NOT_PERMITTED = "The parameter 'model' is not permitted to be passed. The route being queried already defines a model instance.";

/** MLflow's streams end without `data: [DONE]` and name completion chunks "text_completion_chunk". */
export const MLFLOW_STYLE: ResponseStyle = { doneMarker: false, completionChunkObject: 'text_completion_chunk', errorShape: mlflowErrorBody };

/** Serves one MLflow-style invocation of `target`. Also used by config-declared paths. */
export async function invoke(ctx: RequestContext, runtime: Runtime, target: Target, body: unknown, reply: FastifyReply, style: ResponseStyle): Promise<void> {
  const payload = requireObject(body);
  // MLflow drops null fields before this check, so only a real value is refused.
  if (payload.model !== undefined && payload.model !== null) throw badRequest(MODEL_NOT_PERMITTED, 'model', 'model_not_permitted');
  await HANDLERS[target.type](ctx, target, withPrompt(runtime, ctx, target, payload), reply, style);
}

export const methodNotAllowed = (method: string, path: string) =>
  new GatewayError(405, `${method} is not allowed on ${path}; send a POST with a JSON body`, { code: 'method_not_allowed', headers: { allow: 'POST' } });

export function registerInvocations(app: FastifyInstance, state: GatewayState, log: Logger): void {
  const targetOf = (name: string): Target => {
    const target = state.current.targets.get(name);
    if (!target) throw endpointNotFound(name);
    return target;
  };
  const serve = mlflowHandler(log, (ctx, request, reply) => {
    const name = nameParam(request);
    // A registry model (endpoint_type mlflow-model) takes MLflow's scoring payload as it is.
    const runtime = state.current;
    const model = runtime.models.get(name);
    if (model) return invokeModel(ctx, model, request.body, reply, mlflowErrorBody);
    return invoke(ctx, runtime, targetOf(name), request.body, reply, MLFLOW_STYLE);
  });
  // As in MLflow: a known name with another method is a 405, an unknown name a 404.
  const refuse = mlflowHandler(log, (_ctx, request) => {
    const name = nameParam(request);
    if (!state.current.models.get(name)) targetOf(name);
    throw methodNotAllowed(request.method, request.url.split('?')[0]);
  });
  for (const url of ['/endpoints/:name/invocations', '/gateway/:name/invocations']) {
    app.post(url, MLFLOW_ROUTE, serve);
    app.route({ ...MLFLOW_ROUTE, method: ['GET', 'PUT', 'PATCH', 'DELETE'], url, handler: refuse });
  }
}
