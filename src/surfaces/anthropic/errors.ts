// Errors on the Anthropic surface, in Anthropic's shape: {type: "error", error: {type, message}}.
// The status stays the gateway's (see docs/api.md); the type is Anthropic's name for it, which is
// what its SDKs and clients branch on.
import type { GatewayError } from '../../core/errors.js';
import type { AnthropicErrorBody } from '../../translate/anthropic/wire.js';
import type { ErrorShape } from '../http.js';

export function anthropicErrorType(e: GatewayError): string {
  switch (e.status) {
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 504:
      return 'timeout_error';
  }
  // An upstream that was overloaded (Anthropic's 529, anyone's 503) is reported as such, so clients back off.
  if (e.upstreamStatus === 529 || e.upstreamStatus === 503) return 'overloaded_error';
  return e.status >= 500 ? 'api_error' : 'invalid_request_error';
}

export const anthropicErrorBody: ErrorShape = (e): AnthropicErrorBody => ({ type: 'error', error: { type: anthropicErrorType(e), message: e.message } });
