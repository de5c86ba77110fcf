// How MLflow paths answer. MLflow's clients read errors from `{"detail": "..."}`, while Gatehouse's
// rule is OpenAI's error object everywhere, so an MLflow path's error body carries both.
import type { FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import type { Logger } from 'pino';
import type { RequestContext } from '../../core/context.js';
import { notFound } from '../../core/errors.js';
import { beginRequest, sendError, type ErrorShape } from '../http.js';

export const mlflowErrorBody: ErrorShape = (e) => ({ ...e.toBody(), detail: e.message });

/** Route options of every MLflow path: errors Fastify raises before the handler (bad JSON, too large) get the same body. */
export const MLFLOW_ROUTE: RouteShorthandOptions = { config: { errorShape: mlflowErrorBody } };

type MlflowHandler = (ctx: RequestContext, request: FastifyRequest, reply: FastifyReply) => void | Promise<void>;

/** The `{name}` of paths such as /api/2.0/endpoints/{name}. */
export const nameParam = (request: FastifyRequest) => (request.params as { name: string }).name;

/** Wraps a handler with the request bookkeeping and MLflow's error body. */
export function mlflowHandler(log: Logger, handle: MlflowHandler) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const ctx = beginRequest(request, reply, log);
    try {
      await handle(ctx, request, reply);
    } catch (err) {
      sendError(reply, ctx, err, mlflowErrorBody);
    }
  };
}

// MLflow's own not-found texts.
export const endpointNotFound = (name: string) =>
  notFound(`The endpoint '${name}' is not present or active on the server. Please verify the endpoint name.`, 'endpoint_not_found');

export const routeNotFound = (name: string) =>
  notFound(`The route '${name}' is not present or active on the server. Please verify the route name.`, 'route_not_found');
