// One error type for the whole gateway. Every surface renders it as OpenAI-shaped JSON:
// {error: {message, type, code, param}}; surfaces with their own shape (MLflow) add to it.

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'upstream_error'
  | 'timeout_error'
  | 'server_error';

export interface ErrorBody {
  error: { message: string; type: ErrorType; code: string | null; param: string | null; upstream_status?: number };
}

export class GatewayError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly code: string | null;
  readonly param: string | null;
  /** The upstream's HTTP status, when the error came from a provider. */
  readonly upstreamStatus?: number;
  /** Extra response headers (e.g. Retry-After). */
  readonly headers?: Record<string, string>;

  constructor(
    status: number,
    message: string,
    opts: { type?: ErrorType; code?: string | null; param?: string | null; upstreamStatus?: number; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'GatewayError';
    this.status = status;
    this.type = opts.type ?? defaultType(status);
    this.code = opts.code ?? null;
    this.param = opts.param ?? null;
    this.upstreamStatus = opts.upstreamStatus;
    this.headers = opts.headers;
  }

  toBody(): ErrorBody {
    const error: ErrorBody['error'] = { message: this.message, type: this.type, code: this.code, param: this.param };
    if (this.upstreamStatus !== undefined) error.upstream_status = this.upstreamStatus;
    return { error };
  }
}

function defaultType(status: number): ErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 502) return 'upstream_error';
  if (status === 504) return 'timeout_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

export const badRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new GatewayError(400, message, { param, code: code ?? (param ? 'invalid_value' : 'invalid_request') });

export const notFound = (message: string, code = 'not_found') => new GatewayError(404, message, { code });

/** Wraps anything thrown into a GatewayError without leaking internals (stack traces, secrets) to the client. */
export function asGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError(500, 'Internal gateway error', { code: 'internal_error' });
}
