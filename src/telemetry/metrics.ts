// Prometheus metrics (prom-client), served on GET /metrics. Labels are bounded by the config:
// endpoint, route, provider and model names come from it; no key, user or request ids are labels.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestContext } from '../core/context.js';
import { guardrailCounts } from '../guardrails/stage/counters.js';
import { snapshot } from '../routing/counters.js';
import { cacheTokens } from './pricing.js';
import { droppedRows, queueDepth } from './request-log/stats.js';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' });

// Buckets from sub-millisecond (gateway overhead) to minutes (long generations).
const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

const requests = new Counter({
  name: 'gatehouse_requests_total',
  help: 'Requests answered, by endpoint, route, provider, model, status and whether streamed.',
  labelNames: ['endpoint', 'route', 'provider', 'model', 'status', 'stream'] as const,
  registers: [registry],
});
/** A latency histogram in seconds, on the shared buckets. */
const secondsHistogram = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
  new Histogram<L>({ name, help, labelNames, buckets: SECONDS, registers: [registry] });

const latency = secondsHistogram('gatehouse_request_duration_seconds', 'Total time from request to last byte.', ['endpoint', 'provider']);
const upstream = secondsHistogram('gatehouse_upstream_duration_seconds', 'Time spent waiting on the upstream.', ['endpoint', 'provider']);
const overhead = secondsHistogram('gatehouse_overhead_seconds', 'Time spent in the gateway itself (total minus upstream waiting).', ['endpoint']);
const ttft = secondsHistogram('gatehouse_time_to_first_token_seconds', 'Streams: time from request to the first chunk sent to the client.', ['endpoint', 'provider']);
const tokens = new Counter({
  name: 'gatehouse_tokens_total',
  help: 'Tokens by type (prompt, completion; cached: the part of prompt read from the provider\'s prompt cache), and whether the gateway counted them (estimated="true") because the provider reported none.',
  labelNames: ['endpoint', 'provider', 'model', 'type', 'estimated'] as const,
  registers: [registry],
});
const cost = new Counter({
  name: 'gatehouse_cost_usd_total',
  help: 'USD spent, priced from each request\'s usage (docs/cost.md); requests without a known price are not counted.',
  labelNames: ['endpoint', 'provider', 'model'] as const,
  registers: [registry],
});
new Counter({
  name: 'gatehouse_request_log_dropped_total',
  help: 'Request-log rows dropped because the write queue was full (the database could not keep up).',
  registers: [registry],
  collect() {
    this.reset();
    this.inc(droppedRows());
  },
});
new Gauge({
  name: 'gatehouse_request_log_queue_depth',
  help: 'Request-log rows waiting to be written.',
  registers: [registry],
  collect() {
    this.set(queueDepth());
  },
});
const inFlight = new Gauge({ name: 'gatehouse_in_flight_requests', help: 'Requests being served now.', registers: [registry] });
const rateLimited = new Counter({
  name: 'gatehouse_rate_limited_total',
  help: "Requests refused by the gateway's own limits.",
  labelNames: ['endpoint'] as const,
  registers: [registry],
});

// Routing counters live in src/routing/counters.ts (kept free of prom-client); they are copied in at scrape time.
const ROUTING = {
  attempts: ['endpoint', 'outcome'],
  retries: ['endpoint'],
  fallbacks: ['route', 'from'],
  breaker_transitions: ['endpoint', 'to'],
  variants: ['route', 'variant'],
} as const;
for (const [name, labelNames] of Object.entries(ROUTING)) {
  new Counter({
    name: `gatehouse_routing_${name}_total`,
    help: `Routing: ${name.replace('_', ' ')}.`,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const sample of snapshot()) if (sample.name === name) this.inc(sample.labels, sample.value);
    },
  });
}

// Guardrail firings (src/guardrails/stage/counters.ts), copied in at scrape time like the routing counters.
new Counter({
  name: 'gatehouse_guardrail_events_total',
  help: 'Guardrail firings by rule, rule type, stage, action and the endpoint or route the client named.',
  labelNames: ['target', 'rule', 'type', 'stage', 'action'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const { value, ...labels } of guardrailCounts()) this.inc(labels, value);
  },
});

export function requestStarted(): void {
  inFlight.inc();
}

/** The series one kind of request is counted in: prom-client children, looked up once per label set. */
interface RequestSeries {
  requests: Counter.Internal;
  latency: Histogram.Internal<string>;
  upstream: Histogram.Internal<string>;
  overhead: Histogram.Internal<string>;
  // The rest only on first use: prom-client shows a child (at zero) from the moment it exists.
  ttft: () => Histogram.Internal<string>;
  promptTokens: () => Counter.Internal;
  completionTokens: () => Counter.Internal;
  cachedTokens: () => Counter.Internal;
  cost: () => Counter.Internal;
}

const once = <T>(make: () => T) => {
  let made: T | undefined;
  return () => (made ??= make());
};

// prom-client sorts and joins the label object on every inc/observe; a request touches up to nine
// series, so the children are kept by one key per label set. The label values come from the config
// (and status codes), so the map stays small; the cap only guards against the unexpected.
const SERIES_CAP = 10_000;
const seriesByKey = new Map<string, RequestSeries>();

function seriesOf(endpoint: string, route: string, provider: string, model: string, status: string, stream: string, estimated: string): RequestSeries {
  const key = `${endpoint}\u0000${route}\u0000${provider}\u0000${model}\u0000${status}\u0000${stream}\u0000${estimated}`;
  let series = seriesByKey.get(key);
  if (series) return series;
  if (seriesByKey.size >= SERIES_CAP) seriesByKey.clear();
  const timed = { endpoint, provider };
  const priced = { endpoint, provider, model };
  series = {
    requests: requests.labels({ endpoint, route, provider, model, status, stream }),
    latency: latency.labels(timed),
    upstream: upstream.labels(timed),
    overhead: overhead.labels({ endpoint }),
    ttft: once(() => ttft.labels(timed)),
    promptTokens: once(() => tokens.labels({ ...priced, type: 'prompt', estimated })),
    completionTokens: once(() => tokens.labels({ ...priced, type: 'completion', estimated })),
    cachedTokens: once(() => tokens.labels({ ...priced, type: 'cached', estimated })),
    cost: once(() => cost.labels(priced)),
  };
  seriesByKey.set(key, series);
  return series;
}

/** Records a finished request; called once per request when its response closes. */
export function requestFinished(ctx: RequestContext, status: number): void {
  inFlight.dec();
  if (!ctx.endpoint) return; // unknown paths and models: no endpoint label to hang them on
  const usage = ctx.upstreamUsage; // cache hits: counted as saved tokens by the cache, not here
  const series = seriesOf(ctx.endpoint, ctx.route ?? '', ctx.provider ?? '', ctx.model ?? '', String(status), String(ctx.stream), String(ctx.usageEstimated === true));
  series.requests.inc();
  series.latency.observe(ctx.elapsedMs() / 1000);
  series.upstream.observe(ctx.upstreamMs / 1000);
  series.overhead.observe(ctx.overheadMs() / 1000);
  if (ctx.ttftMs !== undefined) series.ttft().observe(ctx.ttftMs / 1000);
  if (usage) {
    series.promptTokens().inc(usage.prompt_tokens ?? 0);
    series.completionTokens().inc(usage.completion_tokens ?? 0);
    const cached = cacheTokens(usage).read;
    if (cached > 0) series.cachedTokens().inc(cached);
    if (ctx.costUsd !== undefined) series.cost().inc(ctx.costUsd);
  }
  if (status === 429 && ctx.errorCode === 'rate_limit_exceeded') rateLimited.inc({ endpoint: ctx.endpoint });
}
