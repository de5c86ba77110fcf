// Per-team and per-key guardrails declared in config: each `guardrails` section compiled once per
// config load, and the rule sets of one caller (its team's, then its key's) handed to the guardrails
// stage, which runs them after the target's own. Identities from the database or OIDC get their
// config team's rules.
import type { GatewayConfig } from '../config/schema.js';
import type { Target } from '../core/runtime.js';
import type { GuardrailsConfig } from '../guardrails/config/schema.js';
import { compileStageRules, type StageRules } from '../guardrails/stage/index.js';
import { configKeyId } from './directory.js';
import type { Identity } from './identity.js';

export class IdentityGuardrails {
  private readonly byTeam = new Map<string, readonly StageRules[]>();
  private readonly byKey = new Map<string, readonly StageRules[]>();

  constructor(config: GatewayConfig, targets: ReadonlyMap<string, Target>) {
    const teamRules = new Map<string, StageRules>();
    for (const team of config.teams) {
      const rules = compileSection(team.guardrails, targets);
      if (rules) {
        teamRules.set(team.name, rules);
        this.byTeam.set(team.name, [rules]);
      }
    }
    for (const key of config.keys) {
      const team = key.team === undefined ? undefined : teamRules.get(key.team);
      const own = compileSection(key.guardrails, targets);
      if (own) this.byKey.set(configKeyId(key.name), team ? [team, own] : [own]);
    }
  }

  /** The extra rule sets of a caller, team first; undefined when it has none. */
  of(who: Identity): readonly StageRules[] | undefined {
    return (who.kind === 'key' ? this.byKey.get(who.id) : undefined) ?? (who.team === undefined ? undefined : this.byTeam.get(who.team));
  }
}

function compileSection(section: GuardrailsConfig | undefined, targets: ReadonlyMap<string, Target>): StageRules | undefined {
  // The API type only resolves route_to, which the config checks refuse on teams and keys (one key
  // calls endpoints of several types), so any type compiles the same rules.
  return section && compileStageRules(section, 'llm/v1/chat', targets);
}
