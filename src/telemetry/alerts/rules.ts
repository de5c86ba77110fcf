// Alert rules as running state: each takes finished requests into bounded per-group windows and,
// when evaluated, says which groups breach it now. Groups are what a rule counts separately (a
// team, a key, an endpoint, everything); a group's label is what people read in the alert.
import { periodStart } from '../../access/budgets.js';
import type { Identity } from '../../access/identity.js';
import { matchesAny } from '../../access/permissions.js';
import type { Budget } from '../../config/schema-access.js';
import type { FinishedRequest } from '../observers.js';
import type { AlertRule } from './schema.js';
import { SlidingWindow, type WindowSample, type WindowTotals } from './window.js';

/** Groups one rule keeps at most; requests of further groups are not counted (and logged once). */
export const MAX_GROUPS = 1_000;

export interface Breach {
  group: string;
  label: string;
  /** The measured value and the rule's threshold, in `unit`. */
  value: number;
  threshold: number;
  unit: 'USD' | '%' | 'ms';
  /** One line for people, e.g. "error rate 12.5% over 5m (8 requests)". */
  summary: string;
}

export interface RuleState {
  readonly rule: AlertRule;
  observe(done: FinishedRequest, now: number): void;
  breaches(now: number): Breach[];
  /** Set once when a group was turned away for lack of room. */
  overflowed: boolean;
}

/** USD spent by a spend scope ("team:x", "key:id") from a UTC day on: the budgets' ledger. */
export type SpendLookup = (scope: string, fromDay: string) => number;

/** One group's window totals and the label people read. */
export interface GroupTotals {
  label: string;
  totals: WindowTotals;
}

/** A spend, error-rate or latency rule: its windows can be added up across replicas. */
export interface WindowedState extends RuleState {
  snapshot(now: number): Map<string, GroupTotals>;
  judgeGroups(groups: ReadonlyMap<string, GroupTotals>): Breach[];
}

export const isWindowed = (state: RuleState): state is WindowedState => state.rule.type !== 'budget';

export function ruleState(rule: AlertRule, spend?: SpendLookup): RuleState {
  return rule.type === 'budget' ? new BudgetRule(rule, spend) : new WindowRule(rule);
}

type WindowedRule = Exclude<AlertRule, { type: 'budget' }>;

class WindowRule implements WindowedState {
  private readonly groups = new Map<string, { label: string; window: SlidingWindow }>();
  overflowed = false;

  constructor(readonly rule: WindowedRule) {}

  observe({ ctx, status }: FinishedRequest, now: number): void {
    const target = ctx.route ?? ctx.endpoint;
    if (target === undefined) return; // no endpoint named: nothing a rule watches
    const { rule } = this;
    if (rule.endpoints && !matchesAny(rule.endpoints, target) && !(ctx.endpoint && matchesAny(rule.endpoints, ctx.endpoint))) return;
    const group = groupOf(rule.per, ctx);
    if (!group) return;
    let entry = this.groups.get(group.id);
    if (!entry) {
      if (this.groups.size >= MAX_GROUPS) {
        this.overflowed = true;
        return;
      }
      entry = { label: group.label, window: new SlidingWindow(rule.window, rule.type === 'latency_p95') };
      this.groups.set(group.id, entry);
    }
    const sample: WindowSample = { error: status >= 500, usd: ctx.costUsd ?? 0 };
    if (rule.type === 'latency_p95') sample.latencyMs = rule.measure === 'ttft' ? ctx.ttftMs : rule.measure === 'overhead' ? ctx.overheadMs() : ctx.elapsedMs();
    entry.window.add(now, sample);
  }

  breaches(now: number): Breach[] {
    return this.judgeGroups(this.snapshot(now));
  }

  /** This process's totals per group (groups whose window emptied are forgotten). */
  snapshot(now: number): Map<string, GroupTotals> {
    const groups = new Map<string, GroupTotals>();
    for (const [group, { label, window }] of this.groups) {
      if (window.empty(now)) this.groups.delete(group);
      else groups.set(group, { label, totals: window.totals(now) });
    }
    return groups;
  }

  /** The groups whose totals (this process's, or every replica's added up) breach the rule. */
  judgeGroups(groups: ReadonlyMap<string, GroupTotals>): Breach[] {
    const found: Breach[] = [];
    for (const [group, { label, totals }] of groups) {
      const breach = this.judge(totals);
      if (breach) found.push({ group, label, ...breach });
    }
    return found;
  }

  private judge(t: WindowTotals): Omit<Breach, 'group' | 'label'> | undefined {
    const { rule } = this;
    const over = formatWindow(rule.window);
    if (rule.type === 'spend') {
      return t.usd > rule.usd ? { value: round(t.usd, 4), threshold: rule.usd, unit: 'USD', summary: `spend $${t.usd.toFixed(2)} over ${over} (threshold $${rule.usd})` } : undefined;
    }
    if (rule.type === 'error_rate') {
      if (t.requests < rule.min_requests) return undefined;
      const percent = (100 * t.errors) / t.requests;
      if (percent <= rule.percent) return undefined;
      return { value: round(percent, 2), threshold: rule.percent, unit: '%', summary: `error rate ${percent.toFixed(1)}% over ${over} (${t.errors} of ${t.requests} requests failed; threshold ${rule.percent}%)` };
    }
    if (t.timed < rule.min_requests || t.p95Ms === undefined || t.p95Ms <= rule.ms) return undefined;
    return { value: Math.round(t.p95Ms), threshold: rule.ms, unit: 'ms', summary: `p95 ${rule.measure} latency ${Math.round(t.p95Ms)} ms over ${over} (${t.timed} requests; threshold ${rule.ms} ms)` };
  }
}

function groupOf(per: WindowedRule['per'], ctx: FinishedRequest['ctx']): { id: string; label: string } | undefined {
  switch (per) {
    case 'global':
      return { id: '*', label: 'all traffic' };
    case 'endpoint': {
      const name = ctx.endpoint ?? ctx.route!;
      return { id: name, label: `endpoint '${name}'` };
    }
    case 'team':
      return ctx.identity?.team === undefined ? { id: '-', label: 'callers without a team' } : { id: `team:${ctx.identity.team}`, label: `team '${ctx.identity.team}'` };
    case 'key':
      return ctx.identity ? { id: `${ctx.identity.kind}:${ctx.identity.id}`, label: `${ctx.identity.kind} '${ctx.identity.name}'` } : undefined;
  }
}

type BudgetAlertRule = Extract<AlertRule, { type: 'budget' }>;

/**
 * Budget thresholds, read from the spend ledger that enforces the budgets (in memory; shared
 * through Redis when configured). The identities to watch are the ones seen making requests.
 */
class BudgetRule implements RuleState {
  private readonly watched = new Map<string, { label: string; budgets: Budget[] }>();
  overflowed = false;

  constructor(
    readonly rule: BudgetAlertRule,
    private readonly spend?: SpendLookup,
  ) {}

  observe({ ctx }: FinishedRequest): void {
    // Admission puts the full identity (with its policies) on the context; only its budgets are read.
    const who = ctx.identity as Partial<Identity> | undefined;
    if (!who?.own || !this.spend) return;
    // Set on every request, so a budget changed since (admin API, reload) is the one judged.
    this.watch(`key:${who.id}`, `${who.kind} '${who.name}'`, who.own.budgets);
    if (who.team !== undefined) this.watch(`team:${who.team}`, `team '${who.team}'`, who.teamPolicy?.budgets);
  }

  breaches(now: number): Breach[] {
    const found: Breach[] = [];
    for (const [scope, { label, budgets }] of this.watched) {
      budgets.forEach((budget, i) => {
        const spent = this.spend!(scope, periodStart(budget, now));
        const percent = (100 * spent) / budget.usd;
        if (percent < this.rule.percent) return;
        const summary = `${label} has spent $${spent.toFixed(2)} of its $${budget.usd} ${budget.period} budget (${percent.toFixed(0)}%; threshold ${this.rule.percent}%)`;
        found.push({ group: `${scope}#${i}:${budget.period}`, label, value: round(percent, 1), threshold: this.rule.percent, unit: '%', summary });
      });
    }
    return found;
  }

  private watch(scope: string, label: string, budgets: Budget[] | undefined): void {
    if (!budgets?.length) return;
    if (this.watched.size >= MAX_GROUPS && !this.watched.has(scope)) {
      this.overflowed = true;
      return;
    }
    this.watched.set(scope, { label, budgets });
  }
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

function formatWindow(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}
