// Config checks that span entries for guardrails: every route_to names an endpoint or route of the
// same API type, and a route whose destinations have guardrails has its own (requests through a
// route run the route's guardrails only, so without them the destinations' would be bypassed).
// Loose on purpose: they also run on a config that failed the schema.
import { didYouMean, type Path } from '../../config/issues.js';

interface LooseTarget {
  name?: unknown;
  type?: unknown;
  guardrails?: { rules?: { route_to?: unknown }[] };
  destinations?: { name?: unknown }[];
  at: Path;
}

export interface GuardrailProblem {
  path: Path;
  message: string;
}

export function checkGuardrailReferences(input: unknown): GuardrailProblem[] {
  const config = (input ?? {}) as { endpoints?: unknown; routes?: unknown };
  const list = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? value.filter((x) => x && typeof x === 'object') : []);
  const targets: LooseTarget[] = [
    ...list(config.endpoints).map((e, i) => ({ ...e, type: e.endpoint_type, at: ['endpoints', i] as Path })),
    ...list(config.routes).map((r, i) => ({ ...r, type: r.task_type, at: ['routes', i] as Path })),
  ];
  const byName = new Map(targets.filter((t) => typeof t.name === 'string').map((t) => [t.name as string, t]));
  const rulesOf = (t: LooseTarget | undefined) => (Array.isArray(t?.guardrails?.rules) ? t.guardrails.rules : []);
  const problems: GuardrailProblem[] = [];

  for (const target of targets) {
    rulesOf(target).forEach((rule, i) => {
      const to = rule?.route_to;
      if (typeof to !== 'string') return;
      const at: Path = [...target.at, 'guardrails', 'rules', i, 'route_to'];
      const destination = byName.get(to);
      if (!destination) problems.push({ path: at, message: `"${to}" names no endpoint or route${didYouMean(to, [...byName.keys()])}` });
      else if (destination === target) problems.push({ path: at, message: `"${to}" is the endpoint or route this rule belongs to; route to another one` });
      else if (destination.type !== target.type) problems.push({ path: at, message: `"${to}" serves ${String(destination.type)}, but "${String(target.name)}" serves ${String(target.type)}` });
    });
    if (target.at[0] !== 'routes' || rulesOf(target).length > 0 || !Array.isArray(target.destinations)) continue;
    const guarded = target.destinations.map((d) => d?.name).filter((name) => typeof name === 'string' && rulesOf(byName.get(name)).length > 0);
    if (guarded.length > 0) {
      problems.push({
        path: [...target.at, 'name'],
        message: `route "${String(target.name)}" sends requests to ${guarded.map((n) => `"${String(n)}"`).join(', ')}, which ${guarded.length === 1 ? 'has' : 'have'} guardrails; requests through a route run the route's guardrails only, so give the route a guardrails section (it may repeat them)`,
      });
    }
  }
  return problems;
}
