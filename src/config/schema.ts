// The native config schema. It is a superset of MLflow AI Gateway's `endpoints:`/`routes:` format;
// MLflow's older spellings are rewritten into this form by normalize.ts before validation.
// Every key carries a description: `gatehouse config schema` exports them for editors.
import { z } from 'zod';
import { AlertsConfigSchema } from '../telemetry/alerts/schema.js';
import { TracingConfigSchema } from '../telemetry/tracing/settings.js';
import { providers } from '../providers/index.js';
import { duration, size } from './duration.js';
import { didYouMean } from './issues.js';
import { destinationRoutingKeys, endpointRoutingKeys, routeRoutingKeys } from '../routing/config.js';
import { ContextSectionSchema, TargetContextSchema } from '../context/config.js';
import { GuardrailsConfigSchema } from '../guardrails/config/schema.js';
import { CacheGatewaySchema, CacheSectionSchema } from '../cache/schema.js';
import { AuthSchema, GlobalLimitsSchema, KeysSchema, StorageSchema, TeamsSchema } from './schema-access.js';
import { modelEndpointSchema, RegistrySettingsSchema } from '../registry/schema.js';
import { PromptsSchema, routePromptKeys } from './schema-prompts.js';
import { GitopsSchema } from '../gitops/schema.js';
import { logBodiesKey, MetricsConfigSchema, PricingSchema, RequestLogSchema } from '../telemetry/config.js';

export const ENDPOINT_TYPES = ['llm/v1/chat', 'llm/v1/completions', 'llm/v1/embeddings', 'llm/v1/moderations'] as const;
export const RENEWAL_PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;
type RenewalPeriod = (typeof RENEWAL_PERIODS)[number];

// MLflow's rule ([\w\-.]+, where Python's \w includes letters of every script), plus ":" for names like "llama3:8b".
const NAME = /^[\p{L}\p{N}_.:-]+$/u;
const name = (what: string) =>
  z
    .string()
    .regex(NAME, { message: `${what} names use letters, digits, ".", "_", ":" and "-"` })
    .meta({ description: `The ${what}'s name. Clients select it with the request's "model" field or the /endpoints/{name}/invocations path.` });

const publicPath = z
  .string()
  .regex(/^\/[A-Za-z0-9._~\-/{}]*$/, { message: 'a public path starts with "/" and uses URL path characters' })
  .meta({ description: 'An extra public path that serves this endpoint or route with its payload shape, e.g. /api/v1/summarize.' });

// MLflow hands "{calls}/{renewal_period}" to the `limits` library, which also reads plurals, any
// case and a leading count ("minutes", "1 Minute", "5 minutes"). A count other than 1 would change the
// window length, which the limiter does not model, so it is refused rather than silently read as 1.
const PERIOD = /^\s*(?:(\d+)\s*)?([a-z]+?)s?\s*$/i;
const renewalPeriod = z
  .string()
  .transform((value, ctx) => {
    const match = PERIOD.exec(value);
    const unit = match?.[2].toLowerCase() as RenewalPeriod | undefined;
    if (!match || !unit || !RENEWAL_PERIODS.includes(unit)) {
      const hint = match ? didYouMean(match[2], RENEWAL_PERIODS) : '';
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a period: use second, minute, hour, day, month or year${hint}` });
      return z.NEVER;
    }
    if (match[1] !== undefined && Number(match[1]) !== 1) {
      ctx.addIssue({ code: 'custom', message: `"${value}": windows of several ${unit}s are not supported; give the calls per one ${unit} (or per a longer period)` });
      return z.NEVER;
    }
    return unit;
  })
  .meta({
    description: 'Window length: second, minute, hour, day, month or year. Plurals and a leading "1 " are accepted, as in MLflow.',
    examples: ['minute', 'hour', 'day'],
  });

export const LimitSchema = z
  .strictObject({
    renewal_period: renewalPeriod,
    calls: z.int().positive().meta({ description: 'Calls allowed per window.' }),
    // MLflow's Limit model has `key: null` (unused there), so null means the default here.
    key: z
      .enum(['client_ip', 'global'])
      .nullish()
      .transform((key) => key ?? 'client_ip')
      .meta({
        description: "What the limit counts: each client address separately (client_ip, MLflow's behaviour, the default) or all callers together (global).",
      }),
  })
  .meta({ description: 'Rate limit as in MLflow: at most `calls` per `renewal_period`; over it the gateway answers 429 with Retry-After (MLflow omits the header; Gatehouse adds it).' });

const modelFor = (provider: (typeof providers)[number]) =>
  z.strictObject({
    provider: z.literal(provider.name).meta({ description: provider.description }),
    name: z.string().min(1).meta({ description: "The provider's model name (e.g. gpt-4o-mini)." }),
    // Validated even when absent, so a provider that needs settings (openai's key) says so here
    // instead of failing when the runtime is built.
    config: (provider.configSchema as z.ZodType).prefault({}).meta({ description: `Settings of the ${provider.name} provider.` }),
  });

export const ModelSchema = z
  .discriminatedUnion('provider', providers.map(modelFor) as unknown as [ReturnType<typeof modelFor>, ...ReturnType<typeof modelFor>[]])
  .meta({ description: 'The upstream model: provider, model name and provider settings.' });

export const EndpointSchema = z
  .strictObject({
    name: name('endpoint'),
    endpoint_type: z.enum(ENDPOINT_TYPES).meta({ description: 'The API the endpoint serves: llm/v1/chat, llm/v1/completions, llm/v1/embeddings or llm/v1/moderations (a moderation classifier: provider openai or mistral; see docs/guardrails.md).' }),
    model: ModelSchema,
    limit: LimitSchema.optional(),
    path: publicPath.optional(),
    requires_env: z.union([z.string(), z.array(z.string())]).optional().meta({
      description: 'Serve this endpoint only when these environment variables are set; otherwise it is left out and listed as skipped at start.',
    }),
    timeout: duration("Upper bound on the wait for the upstream's first byte and on any pause within its answer; over it the gateway answers 504. Default 300s.", {
      positive: true,
    }).prefault(300),
    drop_unsupported_params: z.boolean().default(false).meta({
      description:
        'What happens to a request parameter the provider cannot take (e.g. `seed` on a provider without it): false (the default) refuses the request with a 400 naming it; true drops it, and the response lists it in x-gatehouse-dropped-params.',
    }),
    ...endpointRoutingKeys,
    guardrails: GuardrailsConfigSchema.optional(),
    cache: CacheSectionSchema.optional(),
    context: TargetContextSchema.optional(),
    log_bodies: logBodiesKey,
  })
  .meta({ description: 'An endpoint: one named model behind one API type (MLflow AI Gateway schema).' });

export const ModelEndpointSchema = modelEndpointSchema({ name: name('endpoint'), path: publicPath, limit: LimitSchema });

export const DestinationSchema = z
  .strictObject({
    name: z.string().min(1).meta({ description: 'The endpoint (or route) that receives this share of traffic.' }),
    traffic_percentage: z.int().min(0).max(100).optional().meta({
      description: 'TRAFFIC_SPLIT (required there): share of requests, in percent; the shares of a route sum to 100.',
    }),
    ...destinationRoutingKeys,
  })
  .meta({ description: 'A destination of a route: an endpoint or another route.' });

export const RouteSchema = z
  .strictObject({
    name: name('route'),
    task_type: z.enum(ENDPOINT_TYPES).meta({ description: 'The API type of the route; every destination must serve the same type.' }),
    destinations: z.array(DestinationSchema).min(1).meta({ description: 'Where requests go.' }),
    path: publicPath.optional(),
    ...routeRoutingKeys,
    ...routePromptKeys,
    guardrails: GuardrailsConfigSchema.optional().meta({
      description: "Guardrails for requests that name this route. The guardrails of the route's destinations do not apply to them.",
    }),
    cache: CacheSectionSchema.optional(),
    context: TargetContextSchema.optional().meta({
      description: "Context-window management of requests that name this route (its destinations' own does not apply to them).",
    }),
  })
  .meta({ description: 'A route spreads requests over endpoints and other routes: MLflow traffic routes plus fallback, load balancing and conditional routing.' });

export const ServerSchema = z
  .strictObject({
    port: z.int().min(0).max(65535).default(4000).meta({ description: 'TCP port. Default 4000; --port and GATEHOUSE_PORT override it.' }),
    host: z.string().default('0.0.0.0').meta({ description: 'Listen address. Default 0.0.0.0; --host and GATEHOUSE_HOST override it.' }),
    body_limit: size('Largest accepted request body; larger ones get 413. Default 10MiB.').prefault('10MiB'),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').meta({
      description: 'Log level. info writes one access-log line per request. GATEHOUSE_LOG_LEVEL overrides it.',
    }),
    trust_proxy: z.union([z.boolean(), z.int().min(1), z.string().min(1)]).default(false).meta({
      description:
        'Behind an ingress or load balancer: which X-Forwarded-For hops to believe for the client address (used by limits, logs and the audit log). false (default): the TCP peer; true: the left-most address; a number: that many hops; a string: trusted proxy addresses or CIDRs, comma-separated. Takes effect on restart.',
    }),
  })
  .meta({ description: 'HTTP server settings. port, host and body_limit take effect on restart; log_level on reload.' });

export const ConfigSchema = z
  .strictObject({
    server: ServerSchema.prefault({}),
    endpoints: z.array(EndpointSchema).default([]).meta({ description: 'Endpoints (MLflow AI Gateway schema, accepted verbatim).' }),
    routes: z.array(RouteSchema).default([]).meta({ description: 'Routes over endpoints (MLflow traffic routes).' }),
    // Models from the MLflow registry (src/registry).
    mlflow: RegistrySettingsSchema.optional(),
    model_endpoints: z.array(ModelEndpointSchema).default([]).meta({
      description: 'Endpoints of endpoint_type mlflow-model. Usually written under `endpoints:` (or `routes:` with route_type mlflow-model), from where they are gathered here.',
    }),
    // Identity and admission (schema-access.ts).
    storage: StorageSchema.prefault({}),
    auth: AuthSchema.prefault({}),
    teams: TeamsSchema,
    keys: KeysSchema,
    limits: GlobalLimitsSchema,
    cache: CacheGatewaySchema.prefault({}),
    prompts: PromptsSchema.optional(),
    telemetry: z
      .strictObject({ metrics: MetricsConfigSchema.prefault({}), tracing: TracingConfigSchema.optional(), alerts: AlertsConfigSchema.optional() })
      .prefault({})
      .meta({ description: 'Prometheus metrics, traces and alerts (see docs/observability.md).' }),
    context: ContextSectionSchema.prefault({}),
    gitops: GitopsSchema.prefault({}),
    // Accounting (src/telemetry/config.ts).
    pricing: PricingSchema,
    request_log: RequestLogSchema.prefault({}),
  })
  .meta({ title: 'Gatehouse configuration', description: 'Gatehouse gateway configuration (a superset of the MLflow AI Gateway config).' });

export type GatewayConfig = z.infer<typeof ConfigSchema>;
export type EndpointConfig = z.infer<typeof EndpointSchema>;
export type RouteConfig = z.infer<typeof RouteSchema>;
export type ModelEndpointConfig = z.infer<typeof ModelEndpointSchema>;
export type EndpointType = (typeof ENDPOINT_TYPES)[number];

/** The JSON Schema of the native form (what a person writes, so input types). Editors get json-schema.ts's, which adds MLflow's spellings. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
}
