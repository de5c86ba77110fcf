// Reads the caller's credential and finds who it belongs to: a virtual key (by the hash of the
// secret, in the in-memory directory) or a JWT from a trusted issuer. Refusals never repeat the
// credential, so a secret cannot leak through an error body or a log line.
import type { IncomingHttpHeaders } from 'node:http';
import type { OidcIssuer } from '../config/schema-access.js';
import { GatewayError } from '../core/errors.js';
import type { KeyDirectory } from './directory.js';
import type { Identity } from './identity.js';
import type { OidcVerifier } from './oidc.js';
import { hashSecret, looksLikeJwt } from './secrets.js';

/** The credential of a request: `Authorization: Bearer …` (OpenAI), `x-api-key` (Anthropic) or `api-key` (Azure). */
export function credentialOf(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (auth) {
    const match = /^Bearer\s+(.+)$/i.exec(auth);
    return match ? match[1].trim() : undefined;
  }
  const key = headers['x-api-key'] ?? headers['api-key'];
  return typeof key === 'string' && key !== '' ? key : undefined;
}

export const missingCredential = () =>
  new GatewayError(401, 'An API key is required: send it as "Authorization: Bearer <key>"', { code: 'missing_api_key' });

export async function authenticate(credential: string, directory: KeyDirectory, oidc: OidcVerifier, issuers: OidcIssuer[]): Promise<Identity> {
  if (issuers.length > 0 && looksLikeJwt(credential)) return oidc.verify(credential, issuers, (team) => directory.teamPolicy(team));
  const found = directory.lookup(hashSecret(credential));
  if (!found) throw new GatewayError(401, 'The API key is not valid (unknown, revoked or replaced)', { code: 'invalid_api_key' });
  if ('expired' in found) throw new GatewayError(401, `The API key '${found.expired.name}' has expired`, { code: 'expired_api_key' });
  return found.identity;
}
