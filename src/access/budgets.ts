// Budgets in USD per key and per team: checked before the call from the in-memory ledger, booked
// after it from the usage the upstream reported. Over a budget a request is refused (402 or 429)
// or sent to a cheaper endpoint or route; crossing a soft threshold logs one alert per period.
import type { Logger } from 'pino';
import type { Budget } from '../config/schema-access.js';
import { GatewayError } from '../core/errors.js';
import { spendScopes, type Identity } from './identity.js';
import { dayOf, type SpendLedger } from './spend-ledger.js';

const DAYS = { daily: 1, weekly: 7, monthly: 30 } as const;

/** The first day (YYYY-MM-DD, UTC) the budget's current period counts. */
export function periodStart(budget: Budget, now: number): string {
  const d = new Date(now);
  if (budget.window === 'rolling') return dayOf(now - (DAYS[budget.period] - 1) * 86_400_000);
  if (budget.period === 'daily') return dayOf(now);
  if (budget.period === 'weekly') return dayOf(now - ((d.getUTCDay() + 6) % 7) * 86_400_000);
  return dayOf(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
}

export interface BudgetOutcome {
  /** Set when a budget is spent and says to downgrade: the endpoint or route to use instead. */
  downgradeTo?: string;
}

export class BudgetGuard {
  /** Soft alerts already sent, by scope, budget and period, so each fires once. */
  private readonly alerted = new Set<string>();

  constructor(
    private readonly ledger: SpendLedger,
    private readonly log: Logger,
  ) {}

  /** Throws when a blocking budget is spent; tells which target to use when a downgrading one is. */
  check(who: Identity, now = Date.now()): BudgetOutcome {
    let outcome: BudgetOutcome = {};
    for (const { scope, policy } of spendScopes(who)) {
      policy.budgets?.forEach((budget) => {
        const from = periodStart(budget, now);
        const spent = this.ledger.total(scope, from);
        if (spent < budget.usd) return;
        const whose = scope.startsWith('team:') ? `team '${who.team}'` : `key '${who.name}'`;
        if (budget.on_exceeded === 'downgrade') {
          outcome = { downgradeTo: budget.downgrade_to };
          return;
        }
        throw new GatewayError(budget.status, `Budget exceeded: ${whose} has spent $${spent.toFixed(2)} of its $${budget.usd} ${budget.period} budget`, {
          code: 'budget_exceeded',
          type: budget.status === 429 ? 'rate_limit_error' : 'invalid_request_error',
        });
      });
    }
    return outcome;
  }

  /** Books a call's cost; a soft threshold crossed by it raises its alert. */
  book(who: Identity, usd: number, now = Date.now()): void {
    const scopes = spendScopes(who);
    this.ledger.book(scopes.map((s) => s.scope), usd, now);
    for (const { scope, policy } of scopes) {
      policy.budgets?.forEach((budget, i) => {
        if (budget.soft === undefined) return;
        const from = periodStart(budget, now);
        const spent = this.ledger.total(scope, from);
        if (spent >= budget.soft * budget.usd) this.alert(scope, i, from, spent, budget);
      });
    }
  }

  private alert(scope: string, index: number, from: string, spent: number, budget: Budget): void {
    const id = `${scope}#${index}@${from}`;
    if (this.alerted.has(id)) return;
    if (this.alerted.size > 100_000) this.alerted.clear();
    this.alerted.add(id);
    this.log.warn({ event: 'budget_threshold', scope, spent_usd: spent, budget_usd: budget.usd, period: budget.period, since: from }, 'budget threshold reached');
  }
}
