// Whose a session is. A key in a team shares the team's sessions (any key of the team may continue
// them); a key without a team and an OIDC subject without one own theirs; callers without an
// identity (open gateways, open endpoints) share one "anonymous" scope, apart from every tenant.
// There the session id is the only secret, so anonymous sessions are refused unless
// `context.sessions.allow_anonymous` enables them, and are never listed.
import type { Caller } from '../core/context.js';
import { GatewayError } from '../core/errors.js';

export const ANONYMOUS_SCOPE = 'anonymous';

export function scopeOf(who: Caller | undefined): string {
  if (!who) return ANONYMOUS_SCOPE;
  if (who.team !== undefined) return `team:${who.team}`;
  return `${who.kind}:${who.id}`;
}

/** The caller's scope for using a session by id; refuses anonymous callers unless the config allows them. */
export function sessionScope(who: Caller | undefined, allowAnonymous: boolean): string {
  const scope = scopeOf(who);
  if (scope === ANONYMOUS_SCOPE && !allowAnonymous) {
    throw new GatewayError(403, 'Sessions are disabled for callers without a key on this gateway: send an API key, or have the operator set context.sessions.allow_anonymous: true', {
      code: 'anonymous_sessions_disabled',
      param: 'context.session_id',
    });
  }
  return scope;
}

/** Listing would hand every anonymous caller the ids of all anonymous sessions, their only secret. */
export function listingScope(who: Caller | undefined): string {
  const scope = scopeOf(who);
  if (scope === ANONYMOUS_SCOPE) throw new GatewayError(403, 'Sessions of callers without a key are not listed: their ids are their only secret. Send an API key to list your sessions', { code: 'permission_denied' });
  return scope;
}
