// Microsoft Entra ID (Azure AD) access tokens for Azure OpenAI, by the OAuth 2.0 client-credentials
// grant. A token is fetched once, shared by all requests, and refreshed shortly before it expires;
// concurrent requests that find it stale wait for one refresh instead of each asking for a token.
import { GatewayError } from '../../core/errors.js';
import { readJson, upstreamRequest } from '../http.js';

export const DEFAULT_AUTHORITY = 'https://login.microsoftonline.com';
const SCOPE = 'https://cognitiveservices.azure.com/.default';
/** A token is replaced this long before it expires, so no request goes out with one about to lapse. */
const REFRESH_MARGIN_MS = 5 * 60_000;
const TOKEN_TIMEOUT_MS = 30_000;

export interface ClientCredentials {
  authorityHost: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

interface TokenResponse {
  access_token?: string;
  expires_in?: number | string;
}

export class EntraTokenSource {
  private token?: { value: string; refreshAt: number };
  private pending?: Promise<string>;

  constructor(
    private readonly creds: ClientCredentials,
    private readonly provider: string,
  ) {}

  get(): Promise<string> {
    if (this.token && Date.now() < this.token.refreshAt) return Promise.resolve(this.token.value);
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async fetchToken(): Promise<string> {
    const { authorityHost, tenantId, clientId, clientSecret } = this.creds;
    const label = `${this.provider} (Entra ID token)`;
    // The token is shared, so one client's disconnect must not cancel it: it has its own time limit.
    const signal = AbortSignal.timeout(TOKEN_TIMEOUT_MS);
    try {
      const res = await upstreamRequest({
        url: `${authorityHost.replace(/\/+$/, '')}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: SCOPE }).toString(),
        signal,
        timeoutMs: TOKEN_TIMEOUT_MS,
        provider: label,
        secrets: [clientSecret],
      });
      const body = await readJson<TokenResponse>(res, label, signal);
      const lifetimeMs = Number(body.expires_in) * 1000;
      if (!body.access_token || !(lifetimeMs > 0)) throw new Error('no access_token or expires_in in the answer');
      // Short-lived tokens are refreshed at half their life rather than never being reused.
      this.token = { value: body.access_token, refreshAt: Date.now() + Math.max(lifetimeMs - REFRESH_MARGIN_MS, lifetimeMs / 2) };
      return body.access_token;
    } catch (err) {
      // Whatever the identity platform answered, the gateway's own credentials are at fault: a 502.
      const detail = err instanceof Error ? err.message : 'unknown error';
      throw new GatewayError(502, `Could not get an Entra ID token for ${this.provider}: ${detail}`, { type: 'upstream_error', code: 'upstream_auth_failed' });
    }
  }
}
