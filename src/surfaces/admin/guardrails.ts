// GET /admin/guardrails/events: the most recent guardrail firings, newest first, from the
// in-memory buffer (this process only; it starts empty on restart). ?limit=N returns at most N.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { badRequest } from '../../core/errors.js';
import type { GatewayState } from '../../core/runtime.js';
import { EVENT_BUFFER_SIZE, recentEvents } from '../../guardrails/stage/index.js';
import { beginRequest, sendError, sendJson } from '../http.js';
import { adminActor } from './auth.js';

export function registerGuardrailsAdmin(app: FastifyInstance, state: GatewayState, log: Logger): void {
  app.get<{ Querystring: { limit?: string } }>('/admin/guardrails/events', async (request, reply) => {
    const ctx = beginRequest(request, reply, log);
    try {
      adminActor(request, state.current.config.auth.admin_key);
      const limit = request.query.limit === undefined ? EVENT_BUFFER_SIZE : Number(request.query.limit);
      if (!Number.isInteger(limit) || limit < 1) throw badRequest('limit must be a whole number of at least 1', 'limit');
      const data = recentEvents(limit);
      sendJson(reply, ctx, { object: 'list', data, buffer_size: EVENT_BUFFER_SIZE });
    } catch (err) {
      sendError(reply, ctx, err);
    }
  });
}
