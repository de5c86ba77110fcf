// The guardrails one request runs under: those of the endpoint or route it names, compiled once
// per config load, plus any that a hook adds for the caller (per-key and per-team overrides, filled
// in by the identity layer). A target without guardrails and no hook costs one property read.
import type { RequestContext } from '../../core/context.js';
import type { EndpointRuntime, Target } from '../../core/runtime.js';
import type { EndpointType } from '../../core/types.js';
import { compileGuardrails, type CompiledRule, type GuardrailRuleSet } from '../config/build.js';
import type { GuardrailsConfig } from '../config/schema.js';
import { isExternal, type ExternalRule } from './external.js';

export interface StageRules {
  ruleSet: GuardrailRuleSet;
  /** Every `route_to` of the rule set, resolved to its target when the rules were compiled. */
  routes: ReadonlyMap<string, Target>;
  /** Some rule checks the answer: the output stage is needed even when nothing was masked for restoring. */
  checksOutput: boolean;
  /** External rules (webhooks, moderation) on the input, run after the built-in ones. */
  inputExternal: ExternalRule[];
  /** The endpoint of every moderation rule, resolved when the rules were compiled. */
  moderators: ReadonlyMap<string, EndpointRuntime>;
}

/**
 * Extra rule sets for one request (its team's, then its key's), run after the target's own. A rule
 * named like an earlier one (the target's, or the team's for a key's rule) replaces it, in its place.
 */
export type GuardrailOverrides = (ctx: RequestContext, target: Target) => readonly StageRules[] | undefined;

let overrides: GuardrailOverrides | undefined;

/** Installs (or, with undefined, removes) the per-request override hook. */
export function setGuardrailOverrides(hook: GuardrailOverrides | undefined): void {
  overrides = hook;
}

/**
 * Compiles a guardrails section, as the config schema parsed it, for targets of `type`. `targets`
 * resolves `route_to` and moderation endpoints; an unknown name or one serving another API type
 * throws, which the config's reference checks rule out for files (an override hook's caller has to handle it).
 */
export function compileStageRules(config: GuardrailsConfig, type: EndpointType, targets: ReadonlyMap<string, Target>): StageRules | undefined {
  const ruleSet = compileGuardrails(config);
  const { rules } = ruleSet;
  if (rules.length === 0) return undefined;
  const routes = new Map<string, Target>();
  const moderators = new Map<string, EndpointRuntime>();
  for (const rule of rules) {
    if (rule.type === 'moderation') {
      const endpoint = targets.get(rule.endpoint);
      if (endpoint?.kind !== 'endpoint' || endpoint.type !== 'llm/v1/moderations' || !endpoint.client.moderations) {
        throw new Error(`guardrail "${rule.name}": endpoint "${rule.endpoint}" names no llm/v1/moderations endpoint`);
      }
      moderators.set(rule.endpoint, endpoint);
    }
    if (!rule.routeTo) continue;
    const target = targets.get(rule.routeTo);
    if (target?.type !== type) throw new Error(`guardrail "${rule.name}": route_to "${rule.routeTo}" names no ${type} endpoint or route`);
    routes.set(rule.routeTo, target);
  }
  return { ruleSet, routes, moderators, ...derived(rules) };
}

/** What the stages read off a rule list, computed once per rule set. */
function derived(rules: readonly CompiledRule[]): Pick<StageRules, 'checksOutput' | 'inputExternal'> {
  return { checksOutput: rules.some((r) => r.appliesToOutput), inputExternal: rules.filter((r) => r.appliesToInput).filter(isExternal) };
}

/** The rules for this request, or undefined when it has none (the common, free case). */
export function rulesFor(ctx: RequestContext, target: Target): StageRules | undefined {
  const extra = overrides?.(ctx, target);
  if (!extra || extra.length === 0) return target.guardrails;
  const all = target.guardrails ? [target.guardrails, ...extra] : extra;
  if (all.length === 1) return all[0];
  // Setting a name again keeps its position in the map: a replacing rule runs where the one it replaces did.
  const byName = new Map<string, CompiledRule>();
  for (const set of all) for (const rule of set.ruleSet.rules) byName.set(rule.name, rule);
  const rules = [...byName.values()];
  return {
    ruleSet: { rules, countTokens: all[0].ruleSet.countTokens },
    routes: new Map(all.flatMap((s) => [...s.routes])),
    moderators: new Map(all.flatMap((s) => [...s.moderators])),
    ...derived(rules),
  };
}
