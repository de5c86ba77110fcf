// One request's way through access control: who is calling, may they call this target, are they
// within budget and limits; and, when the response ends, giving back concurrency slots, correcting
// the token estimate with the real usage and booking the spend. Nothing here touches the database.
import type { GatewayConfig } from '../config/schema.js';
import type { RequestContext } from '../core/context.js';
import { GatewayError } from '../core/errors.js';
import type { Target } from '../core/runtime.js';
import type { StageRules } from '../guardrails/stage/index.js';
import { authenticate, missingCredential } from './authenticate.js';
import type { AccessServices } from './control.js';
import type { Identity } from './identity.js';
import { gaugeChecks, limitExceeded, planLimits, rateHeaders, tokenChecks, type LimitPlan } from './limits.js';
import { checkPermission, matchesAny, type Admissible } from './permissions.js';
import { estimatePromptTokens } from './tokens.js';

/** What the pipeline and the HTTP layer see of access control. */
export interface RequestAccess {
  /** Authenticates, authorizes and counts the request; returns the target to serve (another one of the same type when a budget downgrades). */
  admit<T extends Admissible>(ctx: RequestContext, target: T, body: unknown): Promise<T | Target>;
  /** Authenticates the caller without a target, for APIs about its own data (sessions, feedback); sets ctx.identity. */
  identifyCaller(ctx: RequestContext): Promise<void>;
  /** Called once when the response has ended. */
  finish(ctx: RequestContext): void;
  /** Fields for the access log line (never the credential). */
  logFields(): Record<string, unknown> | undefined;
  /** The guardrails of the caller's team and key (from config), run after the target's own. */
  guardrailOverrides(): readonly StageRules[] | undefined;
}

export class Admission implements RequestAccess {
  private who?: Identity;
  private plan?: LimitPlan;
  private estimate = 0;

  constructor(
    private readonly services: AccessServices,
    private readonly config: GatewayConfig,
    /** Whether a credential is needed (auth mode, and whether any key or team exists). */
    private readonly enforce: boolean,
    private readonly credential: string | undefined,
    private readonly userHeader: string | undefined,
  ) {}

  async admit<T extends Admissible>(ctx: RequestContext, requested: T, body: unknown): Promise<T | Target> {
    let target: T | Target = requested;
    const who = this.enforce ? await this.identify(target) : undefined;
    if (who) {
      checkPermission(who, target);
      const { downgradeTo } = this.services.budgets.check(who);
      if (downgradeTo) target = this.downgrade(target, downgradeTo);
      this.who = who;
      ctx.identity = who;
    }
    const plan = planLimits(this.config.limits, { endpoint: target.name, clientIp: ctx.clientIp, user: userOf(body) ?? this.userHeader, identity: who }, () => (this.estimate = estimatePromptTokens(body)), Date.now());
    if (plan.checks.length > 0) {
      const verdict = await this.services.counters.take(plan.checks);
      if (verdict.failed >= 0) throw limitExceeded(plan, verdict);
      this.plan = plan;
      Object.assign((ctx.exposedHeaders ??= {}), rateHeaders(plan, verdict));
    }
    return target;
  }

  async identifyCaller(ctx: RequestContext): Promise<void> {
    if (!this.enforce) return;
    if (this.credential === undefined) throw missingCredential();
    this.who = await authenticate(this.credential, this.services.directory, this.services.oidc, this.config.auth.oidc);
    ctx.identity = this.who;
  }

  finish(ctx: RequestContext): void {
    const { counters, budgets, log } = this.services;
    const failed = (err: Error) => log.warn({ err: err.message }, 'access bookkeeping failed');
    // A cache hit spent nothing upstream: its tokens are given back like a failed call's, and no spend is booked.
    const usage = ctx.upstreamUsage;
    if (this.plan) {
      const gauges = gaugeChecks(this.plan);
      if (gauges.length > 0) counters.release(gauges).catch(failed);
      // Without usage (a failed call) the estimate is given back: nothing was consumed upstream.
      const correction = (usage?.total_tokens ?? 0) - this.estimate;
      if (correction !== 0) for (const check of tokenChecks(this.plan)) counters.adjust(check, correction).catch(failed);
    }
    // The request's cost was priced once by accounting (src/telemetry/accounting.ts); a cache hit has none.
    if (this.who && ctx.costUsd !== undefined) budgets.book(this.who, ctx.costUsd);
  }

  logFields(): Record<string, unknown> | undefined {
    const who = this.who;
    return who && { key: who.kind === 'key' ? who.id : undefined, subject: who.kind === 'token' ? who.name : undefined, team: who.team, metadata: who.metadata };
  }

  guardrailOverrides(): readonly StageRules[] | undefined {
    return this.who && this.services.guardrails().of(this.who);
  }

  private async identify(target: Admissible): Promise<Identity | undefined> {
    const open = this.config.auth.open_endpoints !== undefined && matchesAny(this.config.auth.open_endpoints, target.name);
    if (this.credential === undefined) {
      if (open) return undefined;
      throw missingCredential();
    }
    try {
      return await authenticate(this.credential, this.services.directory, this.services.oidc, this.config.auth.oidc);
    } catch (err) {
      // On an open endpoint a credential that does not verify just means an anonymous caller.
      if (open) return undefined;
      throw err;
    }
  }

  private downgrade(from: Admissible, name: string): Target {
    const to = this.services.targets().get(name);
    if (!to || to.type !== from.type) {
      throw new GatewayError(402, `Budget exceeded, and its downgrade target '${name}' is not ${to ? 'of the same API type' : 'configured'}`, { code: 'budget_exceeded' });
    }
    return to;
  }
}

/** The end user a request names, as OpenAI's `user` field. */
function userOf(body: unknown): string | undefined {
  const user = (body as { user?: unknown } | null)?.user;
  return typeof user === 'string' && user !== '' ? user : undefined;
}
