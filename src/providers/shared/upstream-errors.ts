// Gives upstream errors the codes clients branch on. Providers word these errors differently and
// send them with different statuses (400, 413, 422), so they are recognised by their message.
import { GatewayError } from '../../core/errors.js';

const CONTEXT_LENGTH =
  /context length|context window|maximum context|too many tokens|prompt is too long|`inputs` tokens \+ `max_new_tokens`|input is too long|exceeds the maximum (?:number of )?tokens/i;
const CONTENT_FILTER = /content management policy|content[_ ]filter/i;

/**
 * A request refused for its length becomes a 400 with code `context_length_exceeded`, and one refused
 * by the provider's content filter (Azure) a 400 with code `content_filter`. Anything else is returned as is.
 */
export function refineUpstreamError(err: unknown): unknown {
  if (!(err instanceof GatewayError) || ![400, 413, 422].includes(err.status)) return err;
  const code = CONTEXT_LENGTH.test(err.message) ? 'context_length_exceeded' : CONTENT_FILTER.test(err.message) ? 'content_filter' : undefined;
  if (!code) return err;
  return new GatewayError(400, err.message, { type: 'invalid_request_error', code, param: err.param, upstreamStatus: err.upstreamStatus, headers: err.headers });
}
