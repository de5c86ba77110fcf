// Upstream HTTP: one undici Agent for the process, so keep-alive pools survive config reloads,
// plus the mapping from transport failures and upstream error responses to GatewayErrors.
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import { GatewayError } from '../core/errors.js';
import { redactSecrets } from '../core/redact.js';
import type { CallOptions } from './types.js';

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * undici fixes the connect timeout per Agent, so there is one Agent per connect timeout in use
 * (endpoints' `timeouts.connect`; in practice a handful of values), each with its keep-alive pools.
 */
const agents = new Map<number, Agent>();

function agentFor(connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): Agent {
  let agent = agents.get(connectTimeoutMs);
  if (!agent) {
    agent = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000, connections: 512, connect: { timeout: connectTimeoutMs } });
    agents.set(connectTimeoutMs, agent);
  }
  return agent;
}

export interface UpstreamRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** Upper bound on the wait for response headers, and on any pause between body chunks. */
  timeoutMs: number;
  /** Upper bound on opening the connection (default 10 s). */
  connectTimeoutMs?: number;
  /** Provider name for error messages. */
  provider: string;
  /** Values to scrub from anything echoed back (the provider's keys). */
  secrets: readonly string[];
  /** W3C trace-context headers added to the request (after any signing: they are not the provider's). */
  traceHeaders?: Record<string, string>;
}

/** What every provider call passes on from its CallOptions: cancellation, time budget, trace context. */
export function callTransport(call: CallOptions): Pick<UpstreamRequest, 'signal' | 'timeoutMs' | 'connectTimeoutMs' | 'traceHeaders'> {
  return { signal: call.signal, timeoutMs: call.timeoutMs, connectTimeoutMs: call.connectTimeoutMs, traceHeaders: call.traceHeaders };
}

/** Sends a request and returns the response once its headers arrived; non-2xx answers become GatewayErrors. */
export async function upstreamRequest(req: UpstreamRequest): Promise<Dispatcher.ResponseData> {
  const res = await sendUpstream(req);
  if (res.statusCode >= 200 && res.statusCode < 300) return res;
  throw await upstreamStatusError(res, req.provider, req.secrets);
}

/** Sends a request and returns the response once its headers arrived, whatever its status (for callers that pass error answers on). */
export async function sendUpstream(req: UpstreamRequest): Promise<Dispatcher.ResponseData> {
  try {
    return await request(req.url, {
      method: req.method ?? 'POST',
      headers: req.traceHeaders ? { ...req.headers, ...req.traceHeaders } : req.headers,
      body: req.body,
      signal: req.signal,
      dispatcher: agentFor(req.connectTimeoutMs),
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
    });
  } catch (err) {
    throw transportError(err, req.provider, req.signal);
  }
}

/** The prefix of the headers an upstream's answer exposes to the client. */
export const UPSTREAM_HEADER_PREFIX = 'x-gatehouse-upstream-';

/**
 * Passes the provider's rate-limit headers (OpenAI's and Anthropic's names) on to the client under
 * `x-gatehouse-upstream-<name>`, so they cannot be mistaken for the gateway's own limits.
 */
export function exposeRateLimitHeaders(headers: Dispatcher.ResponseData['headers'], expose: (name: string, value: string) => void): void {
  for (const name in headers) {
    if (name.startsWith('x-ratelimit-') || name.startsWith('anthropic-ratelimit-')) {
      const value = headers[name];
      if (typeof value === 'string') expose(`${UPSTREAM_HEADER_PREFIX}${name}`, value);
    }
  }
}

/**
 * Stops reading an upstream body and frees its connection. undici's body emits an "aborted"
 * error when destroyed; with no listener that error would crash the process.
 */
export function discardBody(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** Reads a JSON body, turning a read failure (timeout, reset) into a GatewayError. */
export async function readJson<T>(res: Dispatcher.ResponseData, provider: string, signal: AbortSignal): Promise<T> {
  let text: string;
  try {
    text = await res.body.text();
  } catch (err) {
    throw transportError(err, provider, signal);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new GatewayError(502, `Upstream ${provider} returned a response that is not JSON`, { code: 'upstream_invalid_response' });
  }
}

/** Maps a thrown transport error (abort, timeout, connection failure) to a GatewayError. */
export function transportError(err: unknown, provider: string, signal: AbortSignal): GatewayError {
  if (err instanceof GatewayError) return err;
  if (signal.aborted) {
    const reason = signal.reason;
    if (reason instanceof GatewayError) return reason;
    return new GatewayError(499, 'The client closed the request', { code: 'client_closed_request' });
  }
  if (
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    err instanceof undiciErrors.ConnectTimeoutError
  ) {
    return new GatewayError(504, `Upstream ${provider} timed out`, { code: 'upstream_timeout' });
  }
  const code = (err as { code?: string } | null)?.code;
  const detail = code ? ` (${code})` : '';
  return new GatewayError(502, `Upstream ${provider} could not be reached${detail}`, { code: 'upstream_unreachable' });
}

const MAX_ERROR_BODY = 64 * 1024;

/** Reads an upstream's error answer, up to 64 KiB; a broken body yields what arrived. The connection is then freed. */
export async function readErrorText(res: Dispatcher.ResponseData): Promise<string> {
  let text = '';
  try {
    for await (const chunk of res.body) {
      text += chunk.toString();
      if (text.length > MAX_ERROR_BODY) break;
    }
  } catch {
    // The body is only used for the message; a broken one still yields an error with the status.
  }
  discardBody(res.body);
  return text;
}

/** Reads an upstream's error answer (bounded) into a GatewayError. */
async function upstreamStatusError(res: Dispatcher.ResponseData, provider: string, secrets: readonly string[]): Promise<GatewayError> {
  const text = await readErrorText(res);
  const { message, param, retryDelay } = parseErrorBody(text);
  const header = res.headers['retry-after'];
  const retryAfter = typeof header === 'string' ? header : retryDelay;
  return upstreamError(provider, res.statusCode, redactSecrets(message ?? `HTTP ${res.statusCode}`, secrets), retryAfter, param);
}

/**
 * An upstream's error answer as the gateway reports it: the upstream's status and message are kept.
 * Errors the caller can fix (400, 404, 409, 413, 422) and rate limits (429) keep their status;
 * everything else (401/403: the gateway's own credentials are wrong; 5xx) is a 502.
 */
export function upstreamError(provider: string, status: number, message: string, retryAfter?: string, param?: string): GatewayError {
  const passThrough = status === 400 || status === 404 || status === 409 || status === 413 || status === 422 || status === 429;
  return new GatewayError(passThrough ? status : 502, `Upstream ${provider} returned ${status}: ${message}`, {
    type: passThrough ? undefined : 'upstream_error',
    code: status === 429 ? 'upstream_rate_limited' : 'upstream_error',
    // The field an upstream blames is the client's to fix only when the status is passed on.
    param: passThrough ? param : undefined,
    upstreamStatus: status,
    headers: status === 429 && retryAfter ? { 'retry-after': retryAfter } : undefined,
  });
}

/**
 * The message and blamed parameter of an error body: OpenAI's {error: {message, param}}, or common
 * variants. Google puts its retry delay in the body (error.details[RetryInfo].retryDelay, "30s")
 * rather than a Retry-After header; it is read as whole seconds.
 */
function parseErrorBody(text: string): { message?: string; param?: string; retryDelay?: string } {
  if (!text) return {};
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const error = body.error as Record<string, unknown> | string | undefined;
    if (typeof error === 'string') return { message: error };
    if (error && typeof error.message === 'string') {
      return { message: error.message, param: typeof error.param === 'string' ? error.param : undefined, retryDelay: googleRetryDelay(error.details) };
    }
    if (typeof body.message === 'string') return { message: body.message };
    if (typeof body.detail === 'string') return { message: body.detail };
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return { message: text.slice(0, 500) };
}

function googleRetryDelay(details: unknown): string | undefined {
  if (!Array.isArray(details)) return undefined;
  for (const detail of details) {
    const delay = (detail as { retryDelay?: unknown } | null)?.retryDelay;
    const seconds = typeof delay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(delay)?.[1] : undefined;
    if (seconds) return String(Math.ceil(Number(seconds)));
  }
  return undefined;
}
