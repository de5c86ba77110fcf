// Builds the Fastify app from a gateway state. Routes read `state.current` per request, so a
// config reload (GatewayState.swap) takes effect between requests without re-registering routes.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AccessControl } from './access/control.js';
import type { ContextService } from './context/service.js';
import { GatewayError } from './core/errors.js';
import type { GatewayState } from './core/runtime.js';
import type { ResponseCache } from './cache/service.js';
import { registerCacheAdmin } from './surfaces/admin/cache.js';
import { registerGuardrailsAdmin } from './surfaces/admin/guardrails.js';
import { registerAdmin } from './surfaces/admin/routes.js';
import { registerAnthropic } from './surfaces/anthropic/routes.js';
import { registerContext } from './surfaces/context/routes.js';
import { serveCustomPath, serveModelPath } from './surfaces/custom/paths.js';
import { beginRequest, sendError } from './surfaces/http.js';
import { registerHealth } from './surfaces/health.js';
import { registerMetrics } from './surfaces/metrics.js';
import { registerMlflow } from './surfaces/mlflow/routes.js';
import { registerOpenAI } from './surfaces/openai/routes.js';
import { servePromptApi } from './prompts/api.js';
import { registerOpenApi } from './prompts/openapi.js';
import type { RequestObserver } from './telemetry/observers.js';
import type { Tracing } from './telemetry/tracing/types.js';

export interface ServerOptions {
  state: GatewayState;
  log: Logger;
  bodyLimit: number;
  /** Which X-Forwarded-For hops to believe for the client address (server.trust_proxy). */
  trustProxy?: boolean | number | string;
  /** Keys, limits and budgets, and the admin API; without it every endpoint is open. */
  access?: AccessControl;
  /** Told of every finished request (request log, traces, alerts). */
  observers?: RequestObserver[];
  /** Cached answers, for the purge API under /admin/cache. */
  cache?: ResponseCache;
  /** Starts each request's spans; absent when tracing is off. */
  tracing?: Tracing;
  /** Sessions and feedback (context protocol); without it, requests naming a session get 503. */
  context?: ContextService;
}

export function buildServer({ state, log, bodyLimit, trustProxy = false, access, observers = [], tracing, cache, context }: ServerOptions): FastifyInstance {
  // A hop count is "trust the nearest N proxies", as proxy-addr counts them.
  const trust = typeof trustProxy === 'number' ? (_address: string, hop: number) => hop < trustProxy : trustProxy;
  const app = Fastify({ logger: false, bodyLimit, trustProxy: trust, return503OnClosing: true, forceCloseConnections: 'idle' });

  // Plain JSON.parse is faster than the default secure parser; request bodies are only read as
  // data (never merged into prototypes), so "__proto__" keys are harmless own properties.
  // Any content type is read as JSON: `curl -d` sends form encoding by default.
  const parseJson = (_req: unknown, body: string, done: (err: Error | null, value?: unknown) => void) => {
    if (body.length === 0) return done(new GatewayError(400, 'The request body is empty; send a JSON object', { code: 'invalid_body' }));
    try {
      done(null, JSON.parse(body));
    } catch (err) {
      done(new GatewayError(400, `The request body is not valid JSON: ${(err as Error).message}`, { code: 'invalid_json' }));
    }
  };
  app.decorate('gatehouseObservers', observers);
  if (tracing) app.decorate('gatehouseTracing', tracing);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, parseJson);

  app.setErrorHandler((err, request, reply) => {
    const ctx = beginRequest(request, reply, log);
    const shape = request.routeOptions.config.errorShape;
    const e = err as Error & { code?: string; statusCode?: number };
    if (e instanceof GatewayError) return sendError(reply, ctx, e, shape);
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendError(reply, ctx, new GatewayError(413, `The request body is larger than the limit of ${bodyLimit} bytes`, { code: 'request_too_large' }), shape);
    }
    if (typeof e.statusCode === 'number' && e.statusCode < 500) {
      return sendError(reply, ctx, new GatewayError(e.statusCode, e.message, { code: 'invalid_request' }), shape);
    }
    log.error({ err: { message: e.message, stack: e.stack } }, 'unhandled error');
    sendError(reply, ctx, e, shape);
  });

  app.setNotFoundHandler(async (request, reply) => {
    const ctx = beginRequest(request, reply, log);
    const path = request.url.split('?')[0];
    // Config-declared paths change on reload, so they are looked up per request instead of registered as routes.
    const runtime = state.current;
    const target = runtime.paths.get(path);
    if (target) return serveCustomPath(ctx, runtime, target, path, request, reply);
    const model = state.current.models.atPath(path);
    if (model) return serveModelPath(ctx, model, path, request, reply);
    const promptApi = runtime.prompts.apis.get(path);
    if (promptApi) return servePromptApi(ctx, runtime, promptApi, request, reply);
    sendError(reply, ctx, new GatewayError(404, `Unknown path: ${request.method} ${path}`, { code: 'unknown_path' }));
  });

  if (access) registerAdmin(app, state, access, log);
  registerHealth(app, state);
  registerMetrics(app, state);
  registerOpenAI(app, state, log);
  registerAnthropic(app, state, log);
  registerContext(app, context, log);
  registerMlflow(app, state, log);
  registerGuardrailsAdmin(app, state, log);
  if (cache) registerCacheAdmin(app, state, cache, log);
  registerOpenApi(app, state, log);
  return app;
}
