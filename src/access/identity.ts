// Who is calling: a virtual key, an OIDC token, or nobody (open endpoints). An identity carries the
// policies that apply to it, most specific first: the key's (or the token rule's), then its team's.
import type { Policy } from '../config/schema-access.js';

export interface Identity {
  kind: 'key' | 'token';
  /** Key id, or "issuer#subject" for tokens. */
  id: string;
  /** For people and error messages: the key's name or the token's subject. */
  name: string;
  team?: string;
  /** The identity's own policy; it counts per key (or per token subject). */
  own: Policy;
  /** The team's policy; it counts per team. */
  teamPolicy?: Policy;
  /** Metadata logged with each request: the team's defaults overlaid by the key's. */
  metadata?: Record<string, string>;
}

export const describeIdentity = (who: Identity) => (who.kind === 'key' ? `key '${who.name}'` : `token of '${who.name}'`);

/** The budget/spend scopes of an identity. */
export function spendScopes(who: Identity): { scope: string; policy: Policy }[] {
  const scopes = [{ scope: `key:${who.id}`, policy: who.own }];
  if (who.team !== undefined && who.teamPolicy) scopes.push({ scope: `team:${who.team}`, policy: who.teamPolicy });
  return scopes;
}
