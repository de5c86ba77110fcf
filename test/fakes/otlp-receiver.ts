// A fake OpenTelemetry collector: an OTLP/HTTP receiver on a loopback port that takes
// POST /v1/traces with the OTLP JSON encoding (ExportTraceServiceRequest: resourceSpans →
// scopeSpans → spans, ids as hex, attributes as {key, value: {stringValue | intValue | doubleValue |
// boolValue | arrayValue}}) and keeps the spans, flattened, for assertions.
import { startRecordingServer, type RecordingServer } from './recording-server.js';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP SpanKind: 2 server, 3 client. */
  kind: number;
  attributes: Record<string, unknown>;
  status: { code?: number; message?: string };
  resource: Record<string, unknown>;
}

export interface OtlpReceiver {
  url: string;
  server: RecordingServer<object>;
  spans(): ReceivedSpan[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const server = await startRecordingServer<object>(() => ({ json: {} }));
  return {
    url: server.url,
    server,
    spans: () => server.requests.filter((r) => r.path === '/v1/traces').flatMap((r) => flatten(r.body)),
    close: () => server.close(),
  };
}

type OtlpValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean; arrayValue?: { values?: OtlpValue[] } };
type OtlpAttribute = { key: string; value: OtlpValue };

function flatten(body: any): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const rs of body?.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        spans.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId || undefined,
          name: s.name,
          kind: s.kind,
          attributes: attributes(s.attributes),
          status: s.status ?? {},
          resource,
        });
      }
    }
  }
  return spans;
}

function attributes(list: OtlpAttribute[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, valueOf(a.value)]));
}

function valueOf(v: OtlpValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(valueOf);
  return undefined;
}
