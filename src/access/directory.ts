// The in-memory directory of keys and teams: the request path looks keys up here by hash and never
// queries the database. It is rebuilt from the database when the access version changes, which
// every replica notices within `pollMs` (by polling one small row) or at once (a Redis notice
// published by whoever made the change), and from config when the config is reloaded.
import type { Logger } from 'pino';
import type { KeyConfig, Policy, TeamConfig } from '../config/schema-access.js';
import type { Shared } from '../store/redis.js';
import type { KeyRow, TeamRow } from '../store/tables.js';
import type { Identity } from './identity.js';
import { loadIdentities, type AccessRepository } from './repository.js';

export const CHANGE_CHANNEL = 'access-changed';

/** The identity id of a key declared in config (database keys have UUIDs). */
export const configKeyId = (name: string) => `config:${name}`;

interface Entry {
  identity: Identity;
  expiresAt?: number;
  /** For a secret replaced by a rotation: when it stops working. */
  validUntil?: number;
}

export type Lookup = { identity: Identity } | { expired: Identity } | undefined;

export class KeyDirectory {
  private byHash = new Map<string, Entry>();
  private teamPolicies = new Map<string, Policy>();
  private rows: { teams: TeamRow[]; keys: KeyRow[] } = { teams: [], keys: [] };
  private config: { teams: TeamConfig[]; keys: KeyConfig[] } = { teams: [], keys: [] };
  private version = -1;
  private timer?: NodeJS.Timeout;
  private loading?: Promise<void>;
  private again?: Promise<void>;

  constructor(
    private readonly repo: AccessRepository,
    private readonly log: Logger,
  ) {}

  /** Whether any key or team exists (then, by default, keys are required). */
  get hasIdentities(): boolean {
    return this.byHash.size > 0 || this.teamPolicies.size > 0;
  }

  lookup(hash: string, now = Date.now()): Lookup {
    const entry = this.byHash.get(hash);
    if (!entry || (entry.validUntil !== undefined && entry.validUntil <= now)) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= now) return { expired: entry.identity };
    return { identity: entry.identity };
  }

  teamPolicy(name: string): Policy | undefined {
    return this.teamPolicies.get(name);
  }

  /** Loads from the database, then keeps up with changes: polls the version, and listens on Redis when shared. */
  async start(pollMs: number, shared?: Shared): Promise<void> {
    await this.refresh(true);
    this.timer = setInterval(() => void this.refresh(false), pollMs);
    this.timer.unref();
    await shared?.subscribe(CHANGE_CHANNEL, () => void this.refresh(true));
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Takes the config's declarative teams and keys (on start and on every reload). */
  useConfig(teams: TeamConfig[], keys: KeyConfig[]): void {
    if (teams === this.config.teams && keys === this.config.keys) return;
    this.config = { teams, keys };
    this.rebuild();
  }

  /** Reloads from the database when the version moved (or always, with `force`). Errors keep the last good directory. */
  refresh(force: boolean): Promise<void> {
    if (this.loading) {
      // A poll during a load adds nothing; a forced reload must also see what was committed after
      // the running load read the database, so it runs once more when that load is done.
      if (!force) return this.loading;
      return (this.again ??= this.loading.then(() => {
        this.again = undefined;
        return this.refresh(true);
      }));
    }
    this.loading = this.load(force)
      .catch((err: Error) => this.log.error({ err: err.message }, 'key directory refresh failed; serving the last loaded keys'))
      .finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(force: boolean): Promise<void> {
    if (!force && (await this.repo.version()) === this.version) return;
    const { teams, keys, version } = await loadIdentities(this.repo.db);
    this.rows = { teams, keys };
    this.version = version;
    this.rebuild();
  }

  private rebuild(): void {
    // Config teams win over database teams of the same name (config is reviewed in Git).
    const policies = new Map<string, Policy>();
    for (const row of this.rows.teams) policies.set(row.name, JSON.parse(row.policy) as Policy);
    for (const { name, guardrails: _guardrails, ...policy } of this.config.teams) policies.set(name, policy);
    const teamNames = new Map(this.rows.teams.map((t) => [t.id, t.name]));

    const byHash = new Map<string, Entry>();
    const identity = (id: string, name: string, own: Policy, team: string | undefined): Identity => {
      const teamPolicy = team === undefined ? undefined : (policies.get(team) ?? {});
      const metadata = teamPolicy?.metadata || own.metadata ? { ...teamPolicy?.metadata, ...own.metadata } : undefined;
      return { kind: 'key', id, name, team, own, teamPolicy, metadata };
    };
    for (const row of this.rows.keys) {
      const who = identity(row.id, row.name, JSON.parse(row.policy) as Policy, row.team_id ? teamNames.get(row.team_id) : undefined);
      const expiresAt = row.expires_at ? Date.parse(row.expires_at) : undefined;
      byHash.set(row.hash, { identity: who, expiresAt });
      if (row.previous_hash && row.previous_valid_until) {
        byHash.set(row.previous_hash, { identity: who, expiresAt, validUntil: Date.parse(row.previous_valid_until) });
      }
    }
    for (const key of this.config.keys) {
      const { name, hash, team, expires, tags: _tags, guardrails: _guardrails, ...policy } = key;
      byHash.set(hash.slice('sha256:'.length), { identity: identity(configKeyId(name), name, policy, team), expiresAt: expires ? Date.parse(expires) : undefined });
    }
    this.byHash = byHash;
    this.teamPolicies = policies;
  }
}
