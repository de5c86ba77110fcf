// Tracing settings: the `telemetry.tracing` config section and the standard OTEL_* variables.
// The variables win over the file, so a deployment can point traces elsewhere without a config
// change; OTEL_SDK_DISABLED=true turns tracing off whatever the file says.
import { z } from 'zod';

export const TracingConfigSchema = z
  .strictObject({
    enabled: z.boolean().optional().meta({
      description:
        'true: export traces (to `endpoint`, or http://localhost:4318/v1/traces). false: never. Left out (default): on when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set. OTEL_SDK_DISABLED=true always turns tracing off. Takes effect on restart.',
    }),
    endpoint: z.url({ protocol: /^https?$/ }).optional().meta({
      description: 'The OTLP/HTTP traces URL (e.g. http://otel-collector:4318/v1/traces). OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT plus /v1/traces, override it.',
    }),
    headers: z.record(z.string(), z.string()).optional().meta({
      description: 'Headers sent with each export (e.g. an API key written as $ENV_VAR); OTEL_EXPORTER_OTLP_HEADERS and OTEL_EXPORTER_OTLP_TRACES_HEADERS add to and override them.',
    }),
    service_name: z.string().min(1).optional().meta({ description: 'The service.name resource attribute. Default "gatehouse"; OTEL_SERVICE_NAME overrides it.' }),
    sample_ratio: z.number().min(0).max(1).optional().meta({
      description: 'Share of new traces recorded (0..1); requests that arrive with a traceparent follow its sampled flag. Default 1. OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG override it.',
    }),
    propagate: z.boolean().default(true).meta({
      description: 'Send a W3C traceparent (and tracestate) header on each upstream call, so a traced upstream joins the trace. Default true.',
    }),
  })
  .meta({ description: 'OpenTelemetry traces (OTLP/HTTP, GenAI semantic conventions): one server span per request, one client span per upstream attempt. Off by default.' });

export type TracingConfig = z.infer<typeof TracingConfigSchema>;

export const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
export type SamplerName = (typeof SAMPLERS)[number];

export interface TracingSettings {
  /** The full OTLP/HTTP traces URL. */
  url: string;
  headers: Record<string, string>;
  serviceName: string;
  resourceAttributes: Record<string, string>;
  sampler: SamplerName;
  /** The ratio of the traceidratio samplers. */
  ratio: number;
  propagate: boolean;
  /** BatchSpanProcessor tuning (OTEL_BSP_*), where set. */
  batch: { scheduledDelayMillis?: number; maxQueueSize?: number; maxExportBatchSize?: number; exportTimeoutMillis?: number };
  /** A problem worth one warning at start (an unsupported protocol or sampler). */
  warnings: string[];
}

const DEFAULT_URL = 'http://localhost:4318/v1/traces';

/** The settings in force, or undefined when tracing is off. */
export function tracingSettings(config: TracingConfig | undefined, env: NodeJS.ProcessEnv): TracingSettings | undefined {
  const specific = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || undefined;
  const general = env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined;
  if (isTrue(env.OTEL_SDK_DISABLED) || config?.enabled === false) return undefined;
  if (config?.enabled !== true && !specific && !general) return undefined;
  const warnings: string[] = [];
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL;
  if (protocol && protocol !== 'http/json') warnings.push(`OTEL_EXPORTER_OTLP_PROTOCOL ${protocol} is not supported: traces are sent as OTLP/HTTP JSON (http/json)`);
  const url = specific ?? (general ? `${general.replace(/\/+$/, '')}/v1/traces` : (config?.endpoint ?? DEFAULT_URL));
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new Error('The OTLP traces endpoint is not an http(s) URL: check OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  }
  return {
    url,
    headers: { ...config?.headers, ...parsePairs(env.OTEL_EXPORTER_OTLP_HEADERS), ...parsePairs(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS) },
    serviceName: env.OTEL_SERVICE_NAME || config?.service_name || 'gatehouse',
    resourceAttributes: parsePairs(env.OTEL_RESOURCE_ATTRIBUTES),
    ...sampler(config, env, warnings),
    propagate: config?.propagate ?? true,
    batch: {
      scheduledDelayMillis: numberVar(env.OTEL_BSP_SCHEDULE_DELAY),
      maxQueueSize: numberVar(env.OTEL_BSP_MAX_QUEUE_SIZE),
      maxExportBatchSize: numberVar(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE),
      exportTimeoutMillis: numberVar(env.OTEL_BSP_EXPORT_TIMEOUT),
    },
    warnings,
  };
}

function sampler(config: TracingConfig | undefined, env: NodeJS.ProcessEnv, warnings: string[]): { sampler: SamplerName; ratio: number } {
  const name = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase();
  const arg = Number(env.OTEL_TRACES_SAMPLER_ARG);
  const envRatio = env.OTEL_TRACES_SAMPLER_ARG !== undefined && arg >= 0 && arg <= 1 ? arg : 1;
  if (name) {
    if ((SAMPLERS as readonly string[]).includes(name)) return { sampler: name as SamplerName, ratio: envRatio };
    warnings.push(`OTEL_TRACES_SAMPLER ${name} is not supported (use one of ${SAMPLERS.join(', ')}): using parentbased_always_on`);
  }
  if (config?.sample_ratio !== undefined && config.sample_ratio < 1) return { sampler: 'parentbased_traceidratio', ratio: config.sample_ratio };
  return { sampler: 'parentbased_always_on', ratio: 1 };
}

/** OTEL's "key1=value1,key2=value2" lists (headers, resource attributes), values percent-decoded. */
function parsePairs(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of raw?.split(',') ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    const key = pair.slice(0, at).trim();
    const value = pair.slice(at + 1).trim();
    try {
      out[key] = decodeURIComponent(value);
    } catch {
      out[key] = value;
    }
  }
  return out;
}

const isTrue = (value: string | undefined) => value?.trim().toLowerCase() === 'true';

function numberVar(value: string | undefined): number | undefined {
  const n = Number(value);
  return value && Number.isFinite(n) && n > 0 ? n : undefined;
}
