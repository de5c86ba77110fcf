// Starts tracing when the config or the OTEL_* variables ask for it. The OpenTelemetry SDK is
// imported here, on demand: a gateway without tracing never loads it, and its requests carry no
// trace (ctx.trace stays unset, so every hook is one optional-chaining check).
import type { Logger } from 'pino';
import { tracingSettings, type TracingConfig } from './settings.js';
import type { Tracing } from './types.js';

export async function startTracing(config: TracingConfig | undefined, env: NodeJS.ProcessEnv, log: Logger): Promise<Tracing | undefined> {
  const settings = tracingSettings(config, env);
  if (!settings) return undefined;
  for (const warning of settings.warnings) log.warn(warning);
  const { OtelTracing } = await import('./otel.js');
  // Origin and path only: export headers (and a URL's query or user part) may hold credentials.
  const url = new URL(settings.url);
  log.info({ url: url.origin + url.pathname, sampler: settings.sampler, service: settings.serviceName }, 'tracing on: exporting spans over OTLP/HTTP');
  return new OtelTracing(settings, log);
}
