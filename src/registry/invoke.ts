// Invoking an mlflow-model endpoint: a raw model endpoint. The body is MLflow's scoring payload
// (dataframe_split, dataframe_records, instances or inputs, plus params) and goes as it is to the
// version the registry designates now; the model server's answer ({"predictions": ...}) comes back
// as it is, chunk by chunk. The version served is named in x-gatehouse-model-version, the access
// log and the metrics (model models:/<name>/<version>).
import { pipeline } from 'node:stream/promises';
import type { FastifyReply } from 'fastify';
import type { RequestContext } from '../core/context.js';
import { GatewayError } from '../core/errors.js';
import { readErrorText, sendUpstream } from '../providers/http.js';
import { gatewayHeaders, sendError, type ErrorShape } from '../surfaces/http.js';
import { requireObject } from '../surfaces/validate.js';
import type { ModelEndpoint } from './endpoints.js';
import { MODEL_ENDPOINT_TYPE } from './schema.js';

const VERSION_HEADER = 'x-gatehouse-model-version';

/** Serves one invocation of `endpoint`; errors are rendered with `shape` (MLflow's body on MLflow paths). */
export async function invokeModel(ctx: RequestContext, endpoint: ModelEndpoint, body: unknown, reply: FastifyReply, shape: ErrorShape): Promise<void> {
  try {
    const payload = requireObject(body);
    ctx.endpoint = endpoint.name;
    ctx.provider = MODEL_ENDPOINT_TYPE;
    if (ctx.access) await ctx.access.admit(ctx, endpoint.access, payload);
    endpoint.limiter?.take(ctx.clientIp);
    // Read once: a promotion during the call does not change where this request goes.
    const served = endpoint.watcher.current;
    if (!served) throw notResolved(endpoint);
    ctx.model = served.uri;
    (ctx.exposedHeaders ??= {})[VERSION_HEADER] = served.version;
    ctx.attempts = 1;
    await ctx.upstream(forward(ctx, endpoint, served.invocationsUrl, served.version, payload, reply));
  } catch (err) {
    sendError(reply, ctx, err, shape);
  }
}

function notResolved(endpoint: ModelEndpoint): GatewayError {
  const { watcher } = endpoint;
  const why = watcher.lastError ? `: ${watcher.lastError}` : '; the first registry poll has not answered yet';
  return new GatewayError(503, `Endpoint '${endpoint.name}' has no model version to serve: the MLflow registry has not resolved ${watcher.describe()}${why}`, {
    code: 'model_not_resolved',
    headers: { 'retry-after': '5' },
  });
}

async function forward(ctx: RequestContext, endpoint: ModelEndpoint, url: string, version: string, payload: object, reply: FastifyReply): Promise<void> {
  const res = await sendUpstream({
    url,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(payload),
    signal: ctx.signal,
    timeoutMs: endpoint.timeoutMs,
    provider: `model server of '${endpoint.name}' (version ${version})`,
    secrets: [],
  });
  const contentType = String(res.headers['content-type'] ?? 'application/json');
  if (res.statusCode >= 400) {
    const text = await readErrorText(res);
    const passed = passedThrough(res.statusCode, text, contentType);
    if (!passed) throw modelServerError(endpoint, version, res.statusCode, text);
    ctx.errorCode = 'upstream_error';
    return send(reply, ctx, res.statusCode, contentType, text);
  }
  send(reply, ctx, res.statusCode, contentType);
  await pipeline(res.body, reply.raw);
}

function send(reply: FastifyReply, ctx: RequestContext, status: number, contentType: string, text?: string): void {
  reply.hijack();
  const length = text === undefined ? {} : { 'content-length': Buffer.byteLength(text) };
  reply.raw.writeHead(status, { 'content-type': contentType, ...length, ...gatewayHeaders(ctx) });
  if (text !== undefined) reply.raw.end(text);
}

/**
 * The model server's errors are passed on with their status and, when JSON (MLflow's
 * {"error_code", "message"}), their body as it is. A 401 or 403 is the gateway's own credentials
 * failing, not the client's: it is never passed on.
 */
const passedThrough = (status: number, text: string, contentType: string) => !CREDENTIAL_FAILURES.includes(status) && contentType.includes('json') && isJson(text);

const CREDENTIAL_FAILURES = [401, 403, 407];

/** Any other error answer, in the gateway's error shape; a credentials failure is a 502. */
function modelServerError(endpoint: ModelEndpoint, version: string, status: number, text: string): GatewayError {
  const credentials = CREDENTIAL_FAILURES.includes(status);
  const detail = text.trim().slice(0, 500) || `HTTP ${status}`;
  return new GatewayError(credentials ? 502 : status, `The model server of '${endpoint.name}' (version ${version}) returned ${status}: ${detail}`, {
    type: credentials || status >= 500 ? 'upstream_error' : undefined,
    code: 'upstream_error',
    upstreamStatus: status,
  });
}

const isJson = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};
