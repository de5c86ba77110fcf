// The context protocol's API: GET /v1/sessions (the caller's tenant's sessions), GET and DELETE
// /v1/sessions/{id} (another tenant's id is a 404) and POST /v1/feedback. The chat surfaces call
// takeContext to read the envelope of a request.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { RequestContext } from '../../core/context.js';
import { badRequest, GatewayError, notFound } from '../../core/errors.js';
import { SESSION_ID, takeEnvelope } from '../../context/envelope.js';
import { ContextRun } from '../../context/run.js';
import { listingScope, scopeOf, sessionScope } from '../../context/scope.js';
import type { ContextService } from '../../context/service.js';
import { beginRequest, sendError, sendJson } from '../http.js';
import { requireObject } from '../validate.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Sessions and feedback (src/context/service.ts); absent on servers built without storage. */
    gatehouseContext?: ContextService;
  }
}

/** Feedback scores run from -1 (bad) through 0 (neutral) to 1 (good). */
export const SCORE_RANGE = [-1, 1] as const;
const MAX_COMMENT = 4_000;

/** Reads the context envelope of a chat request (removing it from the body) onto the request's context. */
export function takeContext(ctx: RequestContext, body: Record<string, unknown>, service: ContextService | undefined): void {
  const envelope = takeEnvelope(body, ctx.headers);
  if (envelope) ctx.context = new ContextRun(envelope, service);
}

export function registerContext(app: FastifyInstance, service: ContextService | undefined, log: Logger): void {
  app.decorate('gatehouseContext', service);
  type Handle = (ctx: RequestContext, scope: string, service: ContextService, request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /** `scope` decides the caller's scope: listing and using a session by id refuse anonymous callers (see scope.ts). */
  const handler = (handle: Handle, scope: (ctx: RequestContext, service: ContextService) => string = (ctx) => scopeOf(ctx.identity)) => async (request: FastifyRequest, reply: FastifyReply) => {
    const ctx = beginRequest(request, reply, log);
    try {
      if (!service) throw new GatewayError(503, 'Sessions need the gateway\'s storage, which this server was started without', { code: 'sessions_unavailable' });
      await ctx.access?.identifyCaller(ctx);
      await handle(ctx, scope(ctx, service), service, request, reply);
    } catch (err) {
      sendError(reply, ctx, err);
    }
  };

  const byId = (ctx: RequestContext, svc: ContextService) => sessionScope(ctx.identity, svc.settings().sessions.allow_anonymous);

  app.get(
    '/v1/sessions',
    handler(async (ctx, scope, svc, request, reply) => {
      const raw = (request.query as { limit?: string }).limit;
      const limit = raw === undefined ? 100 : Number(raw);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw badRequest("'limit' must be an integer from 1 to 1000", 'limit');
      const sessions = await svc.sessions.list(scope, limit);
      sendJson(reply, ctx, { object: 'list', data: sessions.map((s) => ({ id: s.id, object: 'session', created_at: s.createdAt, updated_at: s.updatedAt, expires_at: s.expiresAt })) });
    }, (ctx) => listingScope(ctx.identity)),
  );

  app.get(
    '/v1/sessions/:id',
    handler(async (ctx, scope, svc, request, reply) => {
      const id = sessionId(request);
      const session = await svc.sessions.load({ scope, id });
      if (!session) throw unknownSession(id);
      ctx.sessionId = id;
      sendJson(reply, ctx, {
        id,
        object: 'session',
        created_at: session.createdAt,
        updated_at: session.updatedAt,
        expires_at: session.expiresAt,
        history_summary: session.summary ?? null,
        messages: session.turns.map((t) => ({ ...t.message, request_id: t.request_id, created_at: t.at })),
      });
    }, byId),
  );

  app.delete(
    '/v1/sessions/:id',
    handler(async (ctx, scope, svc, request, reply) => {
      const id = sessionId(request);
      if (!(await svc.sessions.delete({ scope, id }))) throw unknownSession(id);
      sendJson(reply, ctx, { id, object: 'session.deleted', deleted: true });
    }, byId),
  );

  app.post(
    '/v1/feedback',
    handler(async (ctx, scope, svc, request, reply) => {
      const stored = await svc.feedback(scope, readFeedback(request.body));
      if (!stored) throw notFound('No request with this id was served to you', 'request_not_found');
      sendJson(reply, ctx, { id: stored.id, object: 'feedback', request_id: (request.body as { request_id: string }).request_id, session_id: stored.session_id }, 201);
    }),
  );
}

function sessionId(request: FastifyRequest): string {
  const parsed = SESSION_ID.safeParse((request.params as { id: string }).id);
  if (!parsed.success) throw badRequest(`Session id ${parsed.error.issues[0].message}`, 'session_id', 'invalid_context');
  return parsed.data;
}

const unknownSession = (id: string) => notFound(`No session '${id}'`, 'session_not_found');

function readFeedback(raw: unknown): { request_id: string; score: number; comment?: string } {
  const body = requireObject(raw);
  for (const key of Object.keys(body)) {
    if (!['request_id', 'score', 'comment'].includes(key)) throw badRequest(`Unknown field '${key}': feedback takes request_id, score and comment`, key);
  }
  if (typeof body.request_id !== 'string' || body.request_id === '' || body.request_id.length > 128) {
    throw badRequest("'request_id' must be the x-gatehouse-request-id of a response (a string)", 'request_id', body.request_id === undefined ? 'missing_required_parameter' : 'invalid_value');
  }
  const [min, max] = SCORE_RANGE;
  if (typeof body.score !== 'number' || !Number.isFinite(body.score) || body.score < min || body.score > max) {
    throw badRequest(`'score' must be a number from ${min} (bad) to ${max} (good)`, 'score', body.score === undefined ? 'missing_required_parameter' : 'invalid_value');
  }
  if (body.comment !== undefined && body.comment !== null && (typeof body.comment !== 'string' || body.comment.length > MAX_COMMENT)) {
    throw badRequest(`'comment' must be a string of at most ${MAX_COMMENT} characters`, 'comment');
  }
  return { request_id: body.request_id, score: body.score, comment: typeof body.comment === 'string' ? body.comment : undefined };
}
