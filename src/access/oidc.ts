// Bearer JWTs from trusted OIDC issuers (GitLab CI id_tokens, any OIDC provider). The issuer's
// signing keys come from its JWKS (discovered from /.well-known/openid-configuration unless given),
// cached by jose and refetched when a token names an unknown key id, so issuer key rotation just
// works. Every refusal is a 401 that says which check failed, never why beyond that.
import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import type { OidcIssuer, OidcRule } from '../config/schema-access.js';
import { GatewayError } from '../core/errors.js';
import type { Identity } from './identity.js';
import { matchesAny } from './permissions.js';

const unauthorized = (message: string, code = 'invalid_token') => new GatewayError(401, message, { code });

type KeySet = ReturnType<typeof createRemoteJWKSet>;

export class OidcVerifier {
  /** Key sets by issuer and JWKS address; they outlive config reloads, so their key caches do too. */
  private readonly keySets = new Map<string, Promise<KeySet>>();

  /** Verifies the token and maps its claims to an identity; `teamPolicy` supplies the team's policy. */
  async verify(token: string, issuers: OidcIssuer[], teamPolicy: (team: string) => Identity['teamPolicy']): Promise<Identity> {
    const { claims, issuer } = await this.verifiedClaims(token, issuers);
    return identityFor(claims, issuer, teamPolicy);
  }

  /** Verifies the token (signature, issuer, audience, times) and returns its claims and issuer. */
  async verifiedClaims(token: string, issuers: OidcIssuer[]): Promise<{ claims: JWTPayload; issuer: OidcIssuer }> {
    let claims: JWTPayload;
    try {
      claims = decodeJwt(token);
    } catch {
      throw unauthorized('The bearer token is not a valid JWT');
    }
    const issuer = issuers.find((i) => i.issuer === claims.iss);
    if (!issuer) throw unauthorized(`Tokens from issuer '${String(claims.iss)}' are not accepted here`, 'invalid_issuer');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.keySet(issuer), {
        issuer: issuer.issuer,
        audience: issuer.audience,
        clockTolerance: Math.round(issuer.clock_tolerance / 1000),
      }));
    } catch (err) {
      throw describeFailure(err, issuer);
    }
    return { claims: payload, issuer };
  }

  private keySet(issuer: OidcIssuer): Promise<KeySet> {
    const id = `${issuer.issuer}\u0000${issuer.jwks_uri ?? ''}`;
    let set = this.keySets.get(id);
    if (!set) {
      set = discoverJwks(issuer).then((uri) => createRemoteJWKSet(new URL(uri), { cooldownDuration: 30_000, cacheMaxAge: 600_000 }));
      // A failed discovery is retried by the next token rather than remembered.
      set.catch(() => this.keySets.delete(id));
      this.keySets.set(id, set);
    }
    return set;
  }
}

async function discoverJwks(issuer: OidcIssuer): Promise<string> {
  if (issuer.jwks_uri) return issuer.jwks_uri;
  const url = `${issuer.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  const doc = (await res.json()) as { jwks_uri?: unknown };
  if (typeof doc.jwks_uri !== 'string') throw new Error(`${url} names no jwks_uri`);
  return doc.jwks_uri;
}

function describeFailure(err: unknown, issuer: OidcIssuer): GatewayError {
  if (err instanceof errors.JWTExpired) return unauthorized('The token has expired', 'token_expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return unauthorized(`The token's audience is not accepted here (expected ${[issuer.audience].flat().join(' or ')})`, 'invalid_audience');
    if (err.claim === 'iss') return unauthorized('The token\'s issuer is not accepted here', 'invalid_issuer');
    return unauthorized(`The token's ${err.claim} claim is not valid: ${err.reason}`);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey) {
    return unauthorized(`The token's signature does not verify with the keys of ${issuer.issuer}`, 'invalid_signature');
  }
  if (err instanceof errors.JOSEError) return unauthorized(`The token is not valid (${err.code})`);
  return new GatewayError(503, `The signing keys of ${issuer.issuer} cannot be fetched; try again`, { code: 'issuer_unavailable' });
}

/** A claim as rules see it: GitLab sends booleans as "true"/"false" strings; JSON booleans read the same. */
export const claimText = (value: unknown) => (typeof value === 'string' ? value : typeof value === 'boolean' || typeof value === 'number' ? String(value) : undefined);

/** Whether every claim listed in `match` fits its glob (or any of its globs). */
export function claimsMatch(match: OidcRule['match'], claims: JWTPayload): boolean {
  return Object.entries(match).every(([claim, want]) => {
    const have = claimText(claims[claim]);
    if (have === undefined) return false;
    return matchesAny(Array.isArray(want) ? want : [String(want)], have);
  });
}

const fill = (template: string, claims: JWTPayload) => template.replace(/\{(\w+)\}/g, (_, claim: string) => claimText(claims[claim]) ?? '');

function identityFor(claims: JWTPayload, issuer: OidcIssuer, teamPolicy: (team: string) => Identity['teamPolicy']): Identity {
  const rule = issuer.rules.find((r) => claimsMatch(r.match, claims));
  const subject = claims.sub ?? 'unknown';
  const refuse = (why: string) => new GatewayError(403, `${why} (token subject '${subject}')`, { code: 'permission_denied' });
  let own: Identity['own'] = {};
  let team: string | undefined;
  if (rule) {
    const { match: _match, team: template, ...policy } = rule;
    own = policy;
    team = template === undefined ? undefined : fill(template, claims);
  } else if (issuer.team_claim && issuer.rules.length === 0) {
    team = claimText(claims[issuer.team_claim]);
    if (team === undefined) throw refuse(`The token has no ${issuer.team_claim} claim to pick its team`);
  } else {
    throw refuse(`No rule of issuer ${issuer.issuer} admits this token`);
  }
  // A token may only act as a team that exists: a claim must not conjure a team with no limits.
  const policy = team === undefined ? undefined : teamPolicy(team);
  if (team !== undefined && !policy) throw refuse(`The token maps to team '${team}', which does not exist`);
  return { kind: 'token', id: `${issuer.issuer}#${subject}`, name: subject, own, team, teamPolicy: policy, metadata: { ...policy?.metadata, ...own.metadata } };
}
