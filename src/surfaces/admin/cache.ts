// POST /admin/cache/purge: removes cached answers of one endpoint or route, of one team, of both,
// or all of them ({"all": true}); from this process's memory and from Redis when it is configured.
// Other replicas' memory caches are their own: purge each, or use the Redis backend.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ResponseCache } from '../../cache/service.js';
import { badRequest } from '../../core/errors.js';
import type { GatewayState } from '../../core/runtime.js';
import { beginRequest, sendError, sendJson } from '../http.js';
import { adminActor } from './auth.js';
import { parseBody } from './bodies.js';

const PurgeBody = z.strictObject({
  endpoint: z.string().min(1).optional(),
  team: z.string().min(1).optional(),
  all: z.literal(true).optional(),
});

export function registerCacheAdmin(app: FastifyInstance, state: GatewayState, cache: ResponseCache, log: Logger): void {
  app.post('/admin/cache/purge', async (request, reply) => {
    const ctx = beginRequest(request, reply, log);
    try {
      const actor = adminActor(request, state.current.config.auth.admin_key);
      const { endpoint, team, all } = parseBody(PurgeBody, request.body);
      if (!endpoint && !team && !all) throw badRequest('Say what to purge: "endpoint", "team" (or both), or "all": true', null);
      if (all && (endpoint || team)) throw badRequest('"all" purges everything; leave out "endpoint" and "team", or "all"', 'all');
      const purged = await cache.purge({ target: endpoint, team });
      log.info({ event: 'cache_purge', ...actor, endpoint, team, all: all === true, purged }, 'cache purged');
      sendJson(reply, ctx, { purged, endpoint: endpoint ?? null, team: team ?? null });
    } catch (err) {
      sendError(reply, ctx, err);
    }
  });
}
