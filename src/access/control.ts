// Access control for a running gateway: opens the database (and Redis, when shared), keeps the key
// directory current, and starts one Admission per request that needs one. Everything it reads
// per request is in memory; the config is read from the live runtime, so reloads apply at once.
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.js';
import type { GatewayState, Target } from '../core/runtime.js';
import { openStore, type Store } from '../store/database.js';
import { openShared, type Shared } from '../store/redis.js';
import { setGuardrailOverrides } from '../guardrails/stage/index.js';
import { Admission, type RequestAccess } from './admission.js';
import { credentialOf } from './authenticate.js';
import { BudgetGuard } from './budgets.js';
import { MemoryCounters, type Counters } from './counters.js';
import { CHANGE_CHANNEL, KeyDirectory } from './directory.js';
import { IdentityGuardrails } from './guardrails.js';
import { OidcVerifier } from './oidc.js';
import { RedisCounters } from './redis-counters.js';
import { AccessRepository } from './repository.js';
import { SpendLedger } from './spend-ledger.js';

/** How often each replica checks the access version: revocations apply everywhere within this. */
const POLL_MS = 500;

/** What admissions use; built once per process. */
export interface AccessServices {
  directory: KeyDirectory;
  counters: Counters;
  budgets: BudgetGuard;
  oidc: OidcVerifier;
  /** The config's per-team and per-key guardrails, compiled for the config in force. */
  guardrails: () => IdentityGuardrails;
  targets: () => Map<string, Target>;
  log: Logger;
}

/** The storage settings in force: the environment overrides the config (for containers and tests). */
export function storageUrls(config: GatewayConfig, env: NodeJS.ProcessEnv): { database: string; redis?: string } {
  return { database: env.GATEHOUSE_DATABASE_URL || config.storage.database, redis: env.GATEHOUSE_REDIS_URL || config.storage.redis };
}

export class AccessControl {
  readonly repo: AccessRepository;
  readonly ledger: SpendLedger;
  private readonly services: AccessServices;
  private guardrailsFor?: { config: GatewayConfig; rules: IdentityGuardrails };

  private constructor(
    readonly store: Store,
    readonly shared: Shared | undefined,
    private readonly state: GatewayState,
    log: Logger,
  ) {
    this.repo = new AccessRepository(store.db);
    this.ledger = new SpendLedger(store.db, log, shared);
    this.services = {
      directory: new KeyDirectory(this.repo, log),
      counters: shared ? new RedisCounters(shared.redis, shared.prefix) : new MemoryCounters(),
      budgets: new BudgetGuard(this.ledger, log),
      oidc: new OidcVerifier(),
      guardrails: () => this.guardrails(),
      targets: () => this.state.current.targets,
      log,
    };
  }

  static async open(state: GatewayState, env: NodeJS.ProcessEnv, log: Logger): Promise<AccessControl> {
    const urls = storageUrls(state.current.config, env);
    const store = await openStore(urls.database);
    let shared: Shared | undefined;
    try {
      if (urls.redis) shared = await openShared(urls.redis, state.current.config.storage.redis_prefix);
      const access = new AccessControl(store, shared, state, log);
      // Stateless: each request asks its own admission, so gateways sharing a process do not mix.
      setGuardrailOverrides((ctx) => ctx.access?.guardrailOverrides());
      await access.services.directory.start(POLL_MS, shared);
      await access.ledger.start();
      return access;
    } catch (err) {
      await shared?.close();
      await store.close();
      throw err;
    }
  }

  /** For the start banner: where data and shared state live. */
  describe(): { data: string; shared: string } {
    const { host, port } = this.shared?.redis.options ?? {};
    return { data: this.store.where, shared: this.shared ? `Redis ${host}:${port} (shared by every replica)` : 'in this process (limits, live spend; spend is saved to the database)' };
  }

  /** The admission of one request, or undefined when nothing applies (no keys, no limits): the open path costs nothing. */
  begin(headers: IncomingHttpHeaders): RequestAccess | undefined {
    const config = this.state.current.config;
    const { directory } = this.services;
    directory.useConfig(config.teams, config.keys);
    const mode = config.auth.mode;
    const enforce = mode === 'required' || (mode === 'auto' && (directory.hasIdentities || config.auth.oidc.length > 0));
    if (!enforce && config.limits.length === 0) return undefined;
    const user = headers['x-gatehouse-user'];
    return new Admission(this.services, config, enforce, enforce ? credentialOf(headers) : undefined, typeof user === 'string' ? user : undefined);
  }

  /** After a change to keys or teams: reload here now, and tell the other replicas. */
  async changed(): Promise<void> {
    await this.services.directory.refresh(true);
    await this.shared?.publish(CHANGE_CHANNEL, String(Date.now()));
  }

  async close(): Promise<void> {
    this.services.directory.stop();
    await this.ledger.close();
    await this.services.counters.close();
    await this.shared?.close();
    await this.store.close();
  }

  private guardrails(): IdentityGuardrails {
    const { config, targets } = this.state.current;
    if (this.guardrailsFor?.config !== config) this.guardrailsFor = { config, rules: new IdentityGuardrails(config, targets) };
    return this.guardrailsFor.rules;
  }
}
