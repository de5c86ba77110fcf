// Whose a session is. A key in a team shares the team's sessions (any key of the team may continue
// them); a key without a team and an OIDC subject without one own theirs; callers without an
// identity (open gateways, open endpoints) share one "anonymous" scope, apart from every tenant.
import type { Caller } from '../core/context.js';

export const ANONYMOUS_SCOPE = 'anonymous';

export function scopeOf(who: Caller | undefined): string {
  if (!who) return ANONYMOUS_SCOPE;
  if (who.team !== undefined) return `team:${who.team}`;
  return `${who.kind}:${who.id}`;
}
