// Exceptions inside a ConverseStream, reported as the same error answered over HTTP would be. An HTTP
// error carries its status, so upstreamRequest maps it; an exception frame only names the exception in
// its :exception-type header, and each name has one HTTP status in Bedrock's API reference.
import type { GatewayError } from '../../core/errors.js';
import { redactSecrets } from '../../core/redact.js';
import { upstreamError } from '../http.js';
import { refineUpstreamError } from '../shared/upstream-errors.js';

const PROVIDER = 'bedrock';

/** Exception names, lower-cased (frames write them camelCase, HTTP errors PascalCase) -> their HTTP status. */
const STATUS: Record<string, number> = {
  validationexception: 400,
  servicequotaexceededexception: 400,
  accessdeniedexception: 403,
  resourcenotfoundexception: 404,
  modeltimeoutexception: 408,
  modelerrorexception: 424,
  modelstreamerrorexception: 424,
  throttlingexception: 429,
  modelnotreadyexception: 429,
  internalserverexception: 500,
  serviceunavailableexception: 503,
};

/** The error of an exception frame; a prompt over the context window becomes context_length_exceeded. */
export function streamException(type: string, message: string | undefined, secrets: readonly string[]): GatewayError {
  const status = STATUS[type.toLowerCase()] ?? 500;
  return refineUpstreamError(upstreamError(PROVIDER, status, `${type}: ${redactSecrets(message || 'no message', secrets)}`)) as GatewayError;
}
