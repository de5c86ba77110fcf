// CONDITIONAL routes: does a request match a destination's `when`? Every condition given must hold.
// Each condition kind is one entry of MATCHERS, so a new kind is one schema field and one function.
import type { Condition } from './config.js';
import type { RequestFacts } from './request-facts.js';

type Matchers = { [K in keyof Condition]-?: (spec: NonNullable<Condition[K]>, facts: RequestFacts) => boolean };

const MATCHERS: Matchers = {
  header: (spec, facts) => valueMatches(facts.header(spec.name), spec),
  metadata: (spec, facts) => valueMatches(facts.metadata(spec.key), spec),
  tier: (spec, facts) => listed(spec, facts.header('x-gatehouse-tier') ?? facts.metadata('tier')),
  key: (spec, { caller }) => caller?.kind === 'key' && (listed(spec, caller.name) || listed(spec, caller.id)),
  team: (spec, { caller }) => listed(spec, caller?.team),
  prompt_tokens: (spec, facts) => {
    const tokens = facts.promptTokens();
    return (spec.over === undefined || tokens > spec.over) && (spec.under === undefined || tokens < spec.under);
  },
};

export function conditionHolds(condition: Condition, facts: RequestFacts): boolean {
  for (const kind in condition) {
    const spec = condition[kind as keyof Condition];
    if (spec === undefined) continue;
    const matcher = MATCHERS[kind as keyof Condition] as (spec: unknown, facts: RequestFacts) => boolean;
    if (!matcher(spec, facts)) return false;
  }
  return true;
}

function valueMatches(value: string | undefined, spec: { equals?: string; in?: string[] }): boolean {
  if (value === undefined) return false;
  if (spec.equals !== undefined && value !== spec.equals) return false;
  if (spec.in !== undefined && !spec.in.includes(value)) return false;
  return true;
}

/** Whether a value is the one named, or one of the list. */
function listed(spec: string | string[], value: string | undefined): boolean {
  return value !== undefined && (typeof spec === 'string' ? value === spec : spec.includes(value));
}
