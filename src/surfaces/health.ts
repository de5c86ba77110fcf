// Liveness and readiness. /health answers as MLflow's gateway does ({"status":"OK"}).
import type { FastifyInstance } from 'fastify';
import type { GatewayState } from '../core/runtime.js';

export function registerHealth(app: FastifyInstance, state: GatewayState): void {
  app.get('/health', async (_request, reply) => reply.send({ status: 'OK' }));
  // Ready once a config is loaded; there are no external stores to reach in the embedded mode.
  app.get('/ready', async (_request, reply) => {
    const runtime = state.current;
    return reply.send({
      status: 'ready',
      config: { source: runtime.source, loaded_at: runtime.loadedAt.toISOString(), endpoints: runtime.config.endpoints.length, routes: runtime.config.routes.length },
    });
  });
}
