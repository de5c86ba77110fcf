// Cross-references of the access sections, reported with the rest of the config's problems: budget
// downgrades must name endpoints or routes that exist, team names and key hashes must
// be unique, team and key guardrails may not route. Loose on purpose, like semantic.ts: they also
// run on a config that failed the schema.
import { didYouMean, type Path } from '../config/issues.js';
import type { Problem } from '../config/semantic.js';

type Loose = Record<string, unknown>;
const list = (value: unknown): Loose[] => (Array.isArray(value) ? (value.filter((v) => v && typeof v === 'object') as Loose[]) : []);

export function checkAccessReferences(input: unknown): Problem[] {
  const config = (input && typeof input === 'object' ? input : {}) as Loose;
  const targets = [...list(config.endpoints), ...list(config.routes)].map((t) => t.name).filter((n): n is string => typeof n === 'string');
  const problems: Problem[] = [];

  const checkBudgets = (owner: Loose, at: Path) =>
    list(owner.budgets).forEach((budget, i) => {
      const to = budget.downgrade_to;
      if (typeof to === 'string' && !targets.includes(to)) {
        problems.push({ path: [...at, 'budgets', i, 'downgrade_to'], message: `no endpoint or route is named "${to}"${didYouMean(to, targets)}` });
      }
    });
  // One key calls endpoints of several API types, so a route_to fitting them all rarely exists.
  const checkGuardrails = (owner: Loose, at: Path) =>
    list((owner.guardrails as Loose | undefined)?.rules).forEach((rule, i) => {
      if (rule.action === 'route') problems.push({ path: [...at, 'guardrails', 'rules', i, 'action'], message: 'action route is for endpoint and route guardrails; a team or key rule may block, redact or flag' });
    });
  list(config.teams).forEach((team, i) => {
    checkBudgets(team, ['teams', i]);
    checkGuardrails(team, ['teams', i]);
  });
  list(config.keys).forEach((key, i) => {
    checkBudgets(key, ['keys', i]);
    checkGuardrails(key, ['keys', i]);
  });
  const auth = (config.auth ?? {}) as Loose;
  list(auth.oidc).forEach((issuer, i) => list(issuer.rules).forEach((rule, j) => checkBudgets(rule, ['auth', 'oidc', i, 'rules', j])));

  const unique = (entries: Loose[], field: string, section: string, what: string) => {
    const seen = new Set<unknown>();
    entries.forEach((entry, i) => {
      if (seen.has(entry[field])) problems.push({ path: [section, i, field], message: `duplicate ${what}: each must be unique` });
      seen.add(entry[field]);
    });
  };
  unique(list(config.teams), 'name', 'teams', 'team name');
  unique(list(config.keys), 'hash', 'keys', 'key hash');
  return problems;
}
