// GET /metrics: the Prometheus exposition of src/telemetry/metrics.ts, unless the config turns
// metrics off (telemetry.metrics.enabled: false), in which case requests are not counted either.
import type { FastifyInstance } from 'fastify';
import type { GatewayState } from '../core/runtime.js';
import { GatewayError } from '../core/errors.js';
import { registry } from '../telemetry/metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Whether requests are counted in the metrics now (read per request: a reload switches it). */
    gatehouseMetricsOn: () => boolean;
  }
}

export function registerMetrics(app: FastifyInstance, state: GatewayState): void {
  const enabled = () => state.current.config.telemetry.metrics.enabled;
  app.decorate('gatehouseMetricsOn', enabled);
  app.get('/metrics', async (_request, reply) => {
    if (!enabled()) throw new GatewayError(404, 'Metrics are turned off (telemetry.metrics.enabled: false)', { code: 'metrics_disabled' });
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}
