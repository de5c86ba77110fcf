// Role-based access: which endpoints, routes and upstream models an identity may call. Lists are
// globs ("*" any run of characters); a missing list allows all; every policy that applies (the
// key's and its team's) must allow the call.
import type { Allow, Policy } from '../config/schema-access.js';
import { GatewayError } from '../core/errors.js';
import type { Target } from '../core/runtime.js';
import { describeIdentity, type Identity } from './identity.js';

const compiled = new Map<string, RegExp>();

function globRegExp(glob: string): RegExp {
  let re = compiled.get(glob);
  if (!re) {
    re = new RegExp(`^${glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    if (compiled.size < 10_000) compiled.set(glob, re);
  }
  return re;
}

export const matchesAny = (globs: readonly string[], value: string) => globs.some((g) => globRegExp(g).test(value));

/**
 * What access control reads of a target: an endpoint or route of the routing table, or an endpoint
 * outside it (an MLflow registry model: its `model` is the registered model's name).
 */
export type Admissible = Target | { kind: 'endpoint'; name: string; model: string; type: string };

/** The upstream models a target can reach (a route: every destination's, recursively). */
export function reachableModels(target: Admissible, seen = new Set<Target>()): string[] {
  if (target.kind === 'endpoint') return [target.model];
  if (seen.has(target)) return [];
  seen.add(target);
  return target.destinations.flatMap((d) => reachableModels(d.target, seen));
}

function refusal(allow: Allow, target: Admissible): string | undefined {
  const list = target.kind === 'endpoint' ? allow.endpoints : allow.routes;
  if (list && !matchesAny(list, target.name)) return `${target.kind} '${target.name}'`;
  if (allow.models) {
    const denied = reachableModels(target).find((m) => !matchesAny(allow.models!, m));
    if (denied !== undefined) return `model '${denied}' (through '${target.name}')`;
  }
  return undefined;
}

/** Throws 403 unless every policy of the identity allows the target. */
export function checkPermission(who: Identity, target: Admissible): void {
  const policies: Policy[] = who.teamPolicy ? [who.own, who.teamPolicy] : [who.own];
  for (const policy of policies) {
    const denied = policy.allow && refusal(policy.allow, target);
    if (denied) {
      const whose = policy === who.own ? describeIdentity(who) : `team '${who.team}'`;
      throw new GatewayError(403, `The ${whose} may not use ${denied}`, { code: 'permission_denied', param: 'model' });
    }
  }
}
