// GET /metrics: the Prometheus exposition of src/telemetry/metrics.ts.
import type { FastifyInstance } from 'fastify';
import { registry } from '../telemetry/metrics.js';

export function registerMetrics(app: FastifyInstance): void {
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}
