// Config checks that span entries for guardrails: every route_to names an endpoint or route of the
// same API type, and a route whose destinations have guardrails has its own (requests through a
// route run the route's guardrails only, so without them the destinations' would be bypassed).
// Moderation: a rule's endpoint is an llm/v1/moderations endpoint, whose provider has a moderation
// API, and moderation endpoints and routes take no guardrails. Loose on purpose: they also run on a
// config that failed the schema.
import { didYouMean, type Path } from '../../config/issues.js';
import { findProvider } from '../../providers/index.js';

interface LooseTarget {
  name?: unknown;
  type?: unknown;
  model?: { provider?: unknown; config?: unknown };
  guardrails?: { rules?: LooseRule[] };
  destinations?: { name?: unknown }[];
  at: Path;
}

interface LooseRule {
  type?: unknown;
  route_to?: unknown;
  endpoint?: unknown;
}

const MODERATIONS = 'llm/v1/moderations';

export interface GuardrailProblem {
  path: Path;
  message: string;
}

export function checkGuardrailReferences(input: unknown): GuardrailProblem[] {
  const config = (input ?? {}) as { endpoints?: unknown; routes?: unknown; teams?: unknown; keys?: unknown };
  const list = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? value.filter((x) => x && typeof x === 'object') : []);
  const targets: LooseTarget[] = [
    ...list(config.endpoints).map((e, i) => ({ ...e, type: e.endpoint_type, at: ['endpoints', i] as Path })),
    ...list(config.routes).map((r, i) => ({ ...r, type: r.task_type, at: ['routes', i] as Path })),
  ];
  const byName = new Map(targets.filter((t) => typeof t.name === 'string').map((t) => [t.name as string, t]));
  const rulesOf = (t: LooseTarget | undefined) => (Array.isArray(t?.guardrails?.rules) ? t.guardrails.rules : []);
  const problems: GuardrailProblem[] = [];
  const owners = [...targets, ...list(config.teams).map((t, i) => ({ ...t, at: ['teams', i] as Path })), ...list(config.keys).map((k, i) => ({ ...k, at: ['keys', i] as Path }))];
  for (const owner of owners) problems.push(...moderationRuleProblems(owner, rulesOf(owner), byName));

  for (const target of targets) {
    if (target.type === MODERATIONS) {
      problems.push(...moderationTargetProblems(target, rulesOf(target).length > 0));
      continue;
    }
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

/** Each moderation rule names an llm/v1/moderations endpoint (not a route: the rule calls one classifier). */
function moderationRuleProblems(owner: { at: Path }, rules: LooseRule[], byName: Map<string, LooseTarget>): GuardrailProblem[] {
  const problems: GuardrailProblem[] = [];
  rules.forEach((rule, i) => {
    if (rule?.type !== 'moderation' || typeof rule.endpoint !== 'string') return;
    const at: Path = [...owner.at, 'guardrails', 'rules', i, 'endpoint'];
    const target = byName.get(rule.endpoint);
    const moderators = [...byName.values()].filter((t) => t.type === MODERATIONS && t.at[0] === 'endpoints').map((t) => String(t.name));
    if (!target) problems.push({ path: at, message: `"${rule.endpoint}" names no endpoint${didYouMean(rule.endpoint, moderators)}` });
    else if (target.type !== MODERATIONS || target.at[0] !== 'endpoints') {
      problems.push({ path: at, message: `"${rule.endpoint}" is not an endpoint with endpoint_type ${MODERATIONS}${moderators.length ? ` (those are: ${moderators.join(', ')})` : ''}` });
    }
  });
  return problems;
}

/** A moderation endpoint needs a provider with a moderation API; moderation endpoints and routes take no guardrails. */
function moderationTargetProblems(target: LooseTarget, guarded: boolean): GuardrailProblem[] {
  const problems: GuardrailProblem[] = [];
  if (guarded) {
    problems.push({ path: [...target.at, 'guardrails'], message: `${MODERATIONS} endpoints and routes take no guardrails: they are the classifier guardrails call` });
  }
  const providerName = target.model?.provider;
  const provider = typeof providerName === 'string' ? findProvider(providerName) : undefined;
  const config = (target.model?.config ?? {}) as Record<string, unknown>;
  if (target.at[0] === 'endpoints' && provider && !provider.canModerate?.(config)) {
    problems.push({ path: [...target.at, 'model', 'provider'], message: `provider ${provider.name}${config.openai_api_type ? ` with openai_api_type ${String(config.openai_api_type)}` : ''} has no moderation API; ${MODERATIONS} endpoints use provider openai or mistral` });
  }
  return problems;
}
