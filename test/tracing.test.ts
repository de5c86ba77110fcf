// Traces: a gateway with OTEL_EXPORTER_OTLP_ENDPOINT exports one SERVER span per request and one
// CLIENT span per upstream attempt (retries and fallbacks as siblings) to an OTLP/HTTP receiver,
// with the GenAI semantic-convention attributes; it continues the client's traceparent and passes
// the attempt's traceparent to the upstream. Without tracing nothing is exported and the upstream
// gets no traceparent.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openaiEndpoint, startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startOtlpReceiver, type OtlpReceiver } from './fakes/otlp-receiver.js';
import { eventually } from './helpers/cli.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { accessLog, allSseData, chatBody, postJson } from './helpers/http.js';
import { configOf } from './helpers/routing.js';
import { tracingSettings } from '../src/telemetry/tracing/settings.js';
import { remoteContext, traceparentOf } from '../src/telemetry/tracing/trace-context.js';

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const SERVER = 2;
const CLIENT = 3;

let primary: FakeOpenAI;
let backup: FakeOpenAI;

const config = () =>
  configOf(
    [openaiEndpoint(primary, 'primary', 'llm/v1/chat', 'gpt-primary'), openaiEndpoint(backup, 'backup', 'llm/v1/chat', 'gpt-backup'), openaiEndpoint(backup, 'plain', 'llm/v1/chat', 'gpt-plain')],
    [{ name: 'assistant', task_type: 'llm/v1/chat', routing_strategy: 'FALLBACK', destinations: [{ name: 'primary' }, { name: 'backup' }] }],
  );

beforeAll(async () => {
  primary = await startFakeOpenAI();
  backup = await startFakeOpenAI();
});

afterAll(async () => {
  await primary?.close();
  await backup?.close();
});

/** The spans of one trace once `count` of them arrived. */
const traceSpans = (receiver: OtlpReceiver, traceId: string, count: number) =>
  eventually(() => {
    const spans = receiver.spans().filter((s) => s.traceId === traceId);
    return spans.length >= count ? spans : undefined;
  }, `${count} spans of trace ${traceId}`);

describe('tracing on', () => {
  let receiver: OtlpReceiver;
  let gw: TestGateway;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    gw = await startGateway(config(), { env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'gatehouse-test', OTEL_BSP_SCHEDULE_DELAY: '50' } });
  });

  afterAll(async () => {
    await gw?.close();
    await receiver?.close();
  });

  it('continues the client trace: a server span, a client span per attempt, and the traceparent upstream', async () => {
    primary.reset();
    backup.reset();
    primary.next({ status: 500 });
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('assistant', { temperature: 0.2, top_p: 0.9, max_tokens: 50 }), {
      headers: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`, tracestate: 'vendor=abc' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gatehouse-attempts')).toBe('2');

    const spans = await traceSpans(receiver, CLIENT_TRACE, 3);
    const server = spans.find((s) => s.kind === SERVER)!;
    const attempts = spans.filter((s) => s.kind === CLIENT).sort((a, b) => Number(a.attributes['gatehouse.attempt']) - Number(b.attributes['gatehouse.attempt']));
    expect(server.parentSpanId).toBe(CLIENT_SPAN);
    expect(server.resource['service.name']).toBe('gatehouse-test');
    expect(server.name).toBe('chat assistant');
    expect(server.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'assistant',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.max_tokens': 50,
      'gen_ai.response.model': 'gpt-backup',
      'gen_ai.response.finish_reasons': ['stop'],
      'http.response.status_code': 200,
      'gatehouse.endpoint': 'backup',
      'gatehouse.route': 'assistant',
      'gatehouse.attempts': 2,
      'gatehouse.fallbacks': 1,
    });
    expect(server.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(server.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);

    expect(attempts).toHaveLength(2);
    for (const attempt of attempts) expect(attempt.parentSpanId).toBe(server.spanId);
    const [failed, served] = attempts;
    expect(failed.name).toBe('chat gpt-primary');
    expect(failed.attributes).toMatchObject({ 'gen_ai.request.model': 'gpt-primary', 'gatehouse.endpoint': 'primary', 'error.type': 'upstream_error', 'http.response.status_code': 500 });
    expect(failed.status.code).toBe(2);
    expect(served.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-backup',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.response.model': 'gpt-backup',
      'gen_ai.response.finish_reasons': ['stop'],
      'gatehouse.attempt': 2,
    });
    expect(served.attributes['error.type']).toBeUndefined();
    expect(served.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);

    // Each upstream call carries the trace, with its own attempt span as the parent.
    expect(primary.last().headers.traceparent).toBe(`00-${CLIENT_TRACE}-${failed.spanId}-01`);
    expect(backup.last().headers.traceparent).toBe(`00-${CLIENT_TRACE}-${served.spanId}-01`);
    expect(backup.last().headers.tracestate).toBe('vendor=abc');
    // The access log line names the trace, to go from a log line to its spans.
    expect(await accessLog(gw, res.headers.get('x-gatehouse-request-id'))).toMatchObject({ trace_id: CLIENT_TRACE });
  });

  it('starts a new trace without a traceparent, and ends a stream attempt with the stream', async () => {
    backup.reset();
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('plain', { stream: true }));
    expect(res.status).toBe(200);
    await allSseData(res);
    const traceparent = String(backup.last().headers.traceparent);
    const [, traceId, spanId] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(traceparent) ?? [];
    expect(traceId).toBeDefined();
    expect(traceId).not.toBe(CLIENT_TRACE);

    const spans = await traceSpans(receiver, traceId, 2);
    const server = spans.find((s) => s.kind === SERVER)!;
    const attempt = spans.find((s) => s.kind === CLIENT)!;
    expect(server.parentSpanId).toBeUndefined();
    expect(attempt.spanId).toBe(spanId);
    expect(attempt.parentSpanId).toBe(server.spanId);
    expect(server.attributes).toMatchObject({ 'gatehouse.stream': true, 'gatehouse.endpoint': 'plain', 'gen_ai.request.model': 'plain' });
    expect(attempt.attributes).toMatchObject({ 'gen_ai.request.model': 'gpt-plain', 'gen_ai.response.finish_reasons': ['stop'] });
    expect(attempt.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
  });

  it('names the endpoint of an MLflow invocation path as the requested model', async () => {
    const traceId = '11112222333344445555666677778888';
    const res = await postJson(`${gw.url}/endpoints/assistant/invocations`, { messages: [{ role: 'user', content: 'Hi' }] }, { headers: { traceparent: `00-${traceId}-${CLIENT_SPAN}-01` } });
    expect(res.status).toBe(200);
    const spans = await traceSpans(receiver, traceId, 2);
    const server = spans.find((s) => s.kind === SERVER)!;
    expect(server.name).toBe('chat assistant');
    expect(server.attributes).toMatchObject({ 'gen_ai.request.model': 'assistant', 'http.route': '/endpoints/:name/invocations' });
  });

  it('marks a request that failed everywhere as an error', async () => {
    primary.reset();
    primary.next({ status: 503 });
    const traceId = 'aaaabbbbccccddddeeeeffff00001111';
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('primary'), { headers: { traceparent: `00-${traceId}-${CLIENT_SPAN}-01` } });
    expect(res.status).toBe(502);
    const spans = await traceSpans(receiver, traceId, 2);
    const server = spans.find((s) => s.kind === SERVER)!;
    expect(server.status.code).toBe(2);
    expect(server.attributes).toMatchObject({ 'error.type': 'upstream_error', 'http.response.status_code': 502 });
  });
});

describe('tracing off', () => {
  it('exports nothing and adds no traceparent upstream', async () => {
    const receiver = await startOtlpReceiver();
    const env = { ...process.env };
    delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    const gw = await startGateway(config(), { env });
    try {
      backup.reset();
      const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody('plain'), { headers: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` } });
      expect(res.status).toBe(200);
      expect(backup.last().headers.traceparent).toBeUndefined();
      expect(gw.gateway.app.gatehouseTracing).toBeUndefined();
    } finally {
      await gw.close();
    }
    expect(receiver.server.requests).toHaveLength(0);
    await receiver.close();
  });

  it('stays off with OTEL_SDK_DISABLED, and whenever nothing asks for it', async () => {
    const receiver = await startOtlpReceiver();
    const gw = await startGateway(config(), { env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SDK_DISABLED: 'true' } });
    try {
      backup.reset();
      await postJson(`${gw.url}/v1/chat/completions`, chatBody('plain'));
      expect(backup.last().headers.traceparent).toBeUndefined();
    } finally {
      await gw.close();
    }
    expect(receiver.server.requests).toHaveLength(0);
    await receiver.close();
    expect(tracingSettings(undefined, {})).toBeUndefined();
    expect(tracingSettings({ enabled: false, propagate: true }, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBeUndefined();
  });
});

describe('trace context', () => {
  it('continues only a valid traceparent, and writes one back', () => {
    const valid = remoteContext({ traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`, tracestate: 'a=1,b=2' })!;
    expect(valid).toMatchObject({ traceId: CLIENT_TRACE, spanId: CLIENT_SPAN, traceFlags: 1, isRemote: true });
    expect(traceparentOf(valid)).toEqual({ traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`, tracestate: 'a=1,b=2' });
    expect(traceparentOf({ ...valid, traceFlags: 0, traceState: undefined })).toEqual({ traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-00` });
    for (const bad of [`ff-${CLIENT_TRACE}-${CLIENT_SPAN}-01`, `00-${'0'.repeat(32)}-${CLIENT_SPAN}-01`, `00-${CLIENT_TRACE}-${'0'.repeat(16)}-01`, `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01-extra`, 'garbage']) {
      expect(remoteContext({ traceparent: bad }), bad).toBeUndefined();
    }
    // A later version may carry more fields; its first four are read.
    expect(remoteContext({ traceparent: `01-${CLIENT_TRACE}-${CLIENT_SPAN}-01-more` })?.traceId).toBe(CLIENT_TRACE);
  });
});

describe('settings', () => {
  it('reads the standard OTEL_* variables over the config section', () => {
    const s = tracingSettings(
      { enabled: true, endpoint: 'http://file:4318/v1/traces', headers: { 'x-a': '1', 'x-b': '1' }, service_name: 'from-file', sample_ratio: 0.5, propagate: false },
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/', OTEL_EXPORTER_OTLP_HEADERS: 'x-b=2,authorization=Bearer%20t', OTEL_SERVICE_NAME: 'from-env' },
    )!;
    expect(s.url).toBe('http://collector:4318/v1/traces');
    expect(s.headers).toEqual({ 'x-a': '1', 'x-b': '2', authorization: 'Bearer t' });
    expect(s.serviceName).toBe('from-env');
    expect(s).toMatchObject({ sampler: 'parentbased_traceidratio', ratio: 0.5, propagate: false });
    expect(tracingSettings(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom', OTEL_TRACES_SAMPLER: 'always_off' })).toMatchObject({ url: 'http://c:4318/custom', sampler: 'always_off' });
    expect(tracingSettings({ enabled: true, propagate: true }, {})!.url).toBe('http://localhost:4318/v1/traces');
    expect(() => tracingSettings(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/not an http\(s\) URL/);
  });
});

describe('cost when off', () => {
  /** Modules a file loads at startup: static, non-type imports, followed through the project's own files. */
  function staticImports(file: string, seen = new Set<string>()): Set<string> {
    if (seen.has(file)) return seen;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const [, spec] of source.matchAll(/^import (?!type )[^;]*? from '([^']+)';/gms)) {
      if (spec.startsWith('.')) staticImports(resolve(dirname(file), spec.replace(/\.js$/, '.ts')), seen);
      else seen.add(spec);
    }
    return seen;
  }

  it('loads no OpenTelemetry module unless tracing is on (the SDK is imported on demand)', () => {
    const loaded = [...staticImports(fileURLToPath(new URL('../src/gateway.ts', import.meta.url)))];
    expect(loaded.some((m) => m.endsWith('telemetry/tracing/index.ts'))).toBe(true);
    expect(loaded.filter((m) => m.includes('@opentelemetry') || m.endsWith('tracing/otel.ts') || m.endsWith('tracing/request-trace.ts'))).toEqual([]);
  });
});
