// Access tokens for Vertex AI from a service account: a JWT signed with the account's private key
// (RS256) is exchanged at the account's token_uri (OAuth 2.0 JWT bearer grant, RFC 7523) for an
// access token. The token is reused until shortly before it expires; concurrent requests that find
// it stale share one exchange.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { GatewayError } from '../../core/errors.js';
import { redactSecrets } from '../../core/redact.js';
import { readJson, upstreamRequest } from '../http.js';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';
/** A token is replaced this long before its expiry, so no request goes out with one about to lapse. */
const REFRESH_MARGIN_MS = 5 * 60_000;
const ASSERTION_LIFETIME_S = 3600;
const EXCHANGE_TIMEOUT_MS = 30_000;

export interface ServiceAccount {
  client_email: string;
  private_key: string;
  /** The parsed private_key (PKCS#8, as Google issues them, or PKCS#1). */
  key: KeyObject;
  private_key_id?: string;
  token_uri: string;
}

/** Reads a service-account key file's JSON; the message names what is wrong without quoting the key. */
export function parseServiceAccount(json: string): ServiceAccount | string {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return 'vertex_credentials is not JSON: give the service-account key file (its path, or an environment variable holding its JSON)';
  }
  if (typeof value !== 'object' || value === null) return 'vertex_credentials must be a service-account key (a JSON object)';
  if (value.type !== undefined && value.type !== 'service_account') return `vertex_credentials must be a service-account key (type "service_account"), not "${String(value.type)}"`;
  if (typeof value.client_email !== 'string' || typeof value.private_key !== 'string') return 'vertex_credentials needs client_email and private_key';
  let key: KeyObject;
  try {
    key = createPrivateKey(value.private_key);
  } catch {
    return 'vertex_credentials.private_key is not a PEM private key';
  }
  if (key.asymmetricKeyType !== 'rsa') return 'vertex_credentials.private_key must be an RSA key (Google signs service-account tokens with RS256)';
  return {
    client_email: value.client_email,
    private_key: value.private_key,
    key,
    private_key_id: typeof value.private_key_id === 'string' ? value.private_key_id : undefined,
    token_uri: typeof value.token_uri === 'string' ? value.token_uri : DEFAULT_TOKEN_URI,
  };
}

interface CachedToken {
  value: string;
  refreshAt: number;
}

export class ServiceAccountTokens {
  private cached?: CachedToken;
  private pending?: Promise<CachedToken>;

  constructor(
    private readonly account: ServiceAccount,
    private readonly now: () => number = Date.now,
  ) {}

  /** A valid access token: the cached one, or a fresh one from a single shared exchange. */
  async token(): Promise<string> {
    if (this.cached && this.now() < this.cached.refreshAt) return this.cached.value;
    this.pending ??= this.exchange().finally(() => (this.pending = undefined));
    this.cached = await this.pending;
    return this.cached.value;
  }

  /** Forgets the cached token (Vertex refused it), so the next request exchanges a new one. */
  invalidate(token: string): void {
    if (this.cached?.value === token) this.cached = undefined;
  }

  private async exchange(): Promise<CachedToken> {
    const { client_email, private_key, private_key_id, token_uri, key } = this.account;
    const assertion = await new SignJWT({ scope: CLOUD_PLATFORM_SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(private_key_id ? { kid: private_key_id } : {}) })
      .setIssuer(client_email)
      .setAudience(token_uri)
      .setIssuedAt()
      .setExpirationTime(`${ASSERTION_LIFETIME_S}s`)
      .sign(key);
    const startedAt = this.now();
    // The exchange serves every waiting request, so no single client's disconnect may cancel it.
    const signal = AbortSignal.timeout(EXCHANGE_TIMEOUT_MS);
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      const res = await upstreamRequest({
        url: token_uri,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
        signal,
        timeoutMs: EXCHANGE_TIMEOUT_MS,
        provider: 'gemini (Vertex AI token exchange)',
        secrets: [assertion, private_key],
      });
      body = await readJson(res, 'gemini (Vertex AI token exchange)', signal);
    } catch (err) {
      // Whatever the token server said, the gateway's own credentials are at fault: never the client's 4xx.
      const message = err instanceof Error ? redactSecrets(err.message, [assertion]) : 'unknown error';
      throw new GatewayError(502, `Could not get a Vertex AI access token for ${client_email}: ${message}`, { type: 'upstream_error', code: 'upstream_auth_failed' });
    }
    if (typeof body.access_token !== 'string') {
      throw new GatewayError(502, `The token server ${token_uri} answered without an access_token`, { type: 'upstream_error', code: 'upstream_auth_failed' });
    }
    const lifetimeMs = (typeof body.expires_in === 'number' ? body.expires_in : 3600) * 1000;
    return { value: body.access_token, refreshAt: startedAt + Math.max(0, lifetimeMs - REFRESH_MARGIN_MS) };
  }
}
