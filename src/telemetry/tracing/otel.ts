// The OpenTelemetry SDK behind `Tracing`: a tracer provider of its own (nothing global, so several
// gateways in one process keep apart), a BatchSpanProcessor and the OTLP/HTTP (JSON) exporter.
// Only imported when tracing is on.
import type { IncomingHttpHeaders } from 'node:http';
import { SpanKind, trace, ROOT_CONTEXT, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import type { Logger } from 'pino';
import type { RequestContext } from '../../core/context.js';
import type { FinishedRequest, RequestObserver } from '../observers.js';
import { SpanRequestTrace } from './request-trace.js';
import type { TracingSettings } from './settings.js';
import { remoteContext } from './trace-context.js';
import type { Tracing } from './types.js';

const SHUTDOWN_TIMEOUT_MS = 5_000;

export class OtelTracing implements Tracing {
  readonly observer: RequestObserver = (done) => this.finish(done);
  private readonly provider: TracerProvider;
  private readonly tracer: Tracer;

  constructor(
    private readonly settings: TracingSettings,
    log: Logger,
  ) {
    const exporter = new LoggedExporter(new OTLPTraceExporter({ url: settings.url, headers: settings.headers }), log);
    this.provider = new TracerProvider({
      resource: resourceFromAttributes({ ...settings.resourceAttributes, 'service.name': settings.serviceName }),
      sampler: samplerOf(settings),
      spanProcessors: [new BatchSpanProcessor({ exporter, ...withoutUnset(settings.batch) })],
      forceFlushTimeoutMillis: SHUTDOWN_TIMEOUT_MS,
    });
    this.tracer = this.provider.getTracer('gatehouse');
  }

  begin(ctx: RequestContext, headers: IncomingHttpHeaders): void {
    const parent = remoteContext(headers);
    const context = parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
    const span = this.tracer.startSpan('request', { kind: SpanKind.SERVER }, context);
    ctx.trace = new SpanRequestTrace(this.tracer, span, this.settings.propagate);
    ctx.traceId = span.spanContext().traceId;
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }

  private finish(done: FinishedRequest): void {
    if (done.ctx.trace instanceof SpanRequestTrace) done.ctx.trace.finish(done);
  }
}

function samplerOf({ sampler, ratio }: TracingSettings): Sampler {
  const root = sampler.endsWith('always_off') ? new AlwaysOffSampler() : sampler.endsWith('traceidratio') ? new TraceIdRatioBasedSampler(ratio) : new AlwaysOnSampler();
  return sampler.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}

/** The BatchSpanProcessor takes its defaults for the keys left out. */
function withoutUnset<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}

type ExportCallback = Parameters<SpanExporter['export']>[1];

/** Reports failed exports in the gateway's log (at most once a minute), never the export's headers. */
class LoggedExporter implements SpanExporter {
  private lastWarning = 0;

  constructor(
    private readonly inner: SpanExporter,
    private readonly log: Logger,
  ) {}

  export(spans: ReadableSpan[], done: ExportCallback): void {
    this.inner.export(spans, (result) => {
      if (result.code !== 0 && Date.now() - this.lastWarning > 60_000) {
        this.lastWarning = Date.now();
        this.log.warn({ spans: spans.length, err: result.error?.message }, 'trace export failed; spans dropped');
      }
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
