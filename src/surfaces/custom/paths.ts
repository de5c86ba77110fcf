// Public paths declared in config (`path:`, or MLflow's `endpoint:`), e.g. /api/v1/summarize.
// They change with every reload, so they are not Fastify routes: the server's not-found handler
// looks each request up in the current runtime's path table and hands matches here.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext } from '../../core/context.js';
import type { Runtime, Target } from '../../core/runtime.js';
import type { ModelEndpoint } from '../../registry/endpoints.js';
import { invokeModel } from '../../registry/invoke.js';
import { openAIErrorBody, sendError } from '../http.js';
import { invoke, methodNotAllowed, MLFLOW_STYLE } from '../mlflow/invocations.js';
import type { ResponseStyle } from '../openai/routes.js';

/**
 * MLflow's invocation payloads and streams (the `endpoint:` key comes from MLflow's config form);
 * errors in Gatehouse's own OpenAI shape, since MLflow's clients never call these paths.
 */
const CUSTOM_PATH_STYLE: ResponseStyle = { ...MLFLOW_STYLE, errorShape: openAIErrorBody };

export async function serveCustomPath(ctx: RequestContext, runtime: Runtime, target: Target, path: string, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  try {
    if (request.method !== 'POST') throw methodNotAllowed(request.method, path);
    await invoke(ctx, runtime, target, request.body, reply, CUSTOM_PATH_STYLE);
  } catch (err) {
    sendError(reply, ctx, err, CUSTOM_PATH_STYLE.errorShape);
  }
}

/** The path of an mlflow-model endpoint: MLflow's scoring payload, passed through (src/registry/invoke.ts). */
export async function serveModelPath(ctx: RequestContext, endpoint: ModelEndpoint, path: string, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.method !== 'POST') return sendError(reply, ctx, methodNotAllowed(request.method, path));
  await invokeModel(ctx, endpoint, request.body, reply, openAIErrorBody);
}
