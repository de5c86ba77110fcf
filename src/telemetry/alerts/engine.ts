// Alerts: a request observer feeds each rule's windows; a timer evaluates the rules and turns
// breaches into incidents. An incident is announced once when it starts and once when it clears
// (de-duplicated by rule and group), through the delivery queue, never on the request path.
// The rules come from the config in force, so a reload changes them; a rule whose definition is
// unchanged keeps its windows and open incidents. With Redis (shared mode) the replicas add their
// windows up and claim incidents there, so one incident is announced once by one replica.
import type { Logger } from 'pino';
import type { Shared } from '../../store/redis.js';
import type { FinishedRequest, RequestObserver } from '../observers.js';
import { callsFor, type AlertStatus, type Incident } from './channels.js';
import { DeliveryQueue, type DeliveryOptions } from './delivery.js';
import { isWindowed, ruleState, type Breach, type RuleState, type SpendLookup } from './rules.js';
import type { AlertChannel, AlertsConfig } from './schema.js';
import { SharedAlerts, type StoredIncident } from './shared.js';

export interface AlertEngineOptions {
  /** The alerts section of the config in force (read on every request: keep it a cheap getter). */
  config: () => AlertsConfig | undefined;
  log: Logger;
  /** The budgets' spend ledger, for budget rules. */
  spend?: SpendLookup;
  now?: () => number;
  delivery?: DeliveryOptions;
  /** Redis, when replicas share state: windows are added up and incidents claimed there. */
  shared?: Shared;
}

const SHUTDOWN_DRAIN_MS = 2_000;

export class AlertEngine {
  readonly observer: RequestObserver = (done) => this.observe(done);
  private readonly delivery: DeliveryQueue;
  private readonly now: () => number;
  private source?: AlertsConfig;
  private rules: RuleState[] = [];
  private channels = new Map<string, AlertChannel>();
  private readonly incidents = new Map<string, Incident>();
  private timer?: NodeJS.Timeout;
  private every?: number;
  private readonly shared?: SharedAlerts;
  /** The shared-mode round in progress, and the one asked for meanwhile (it starts after). */
  private round?: Promise<void>;
  private nextRound?: Promise<void>;

  constructor(private readonly options: AlertEngineOptions) {
    this.delivery = new DeliveryQueue(options.log, options.delivery);
    this.now = options.now ?? Date.now;
    if (options.shared) this.shared = new SharedAlerts(options.shared);
    this.sync();
  }

  observe(done: FinishedRequest): void {
    if (this.options.config() !== this.source) this.sync();
    if (this.rules.length === 0) return;
    const now = this.now();
    for (const rule of this.rules) rule.observe(done, now);
  }

  /**
   * Judges every rule now: opens incidents for new breaches, resolves the ones that cleared.
   * Without Redis this finishes synchronously; with it, it awaits the shared state.
   */
  async evaluate(now = this.now()): Promise<void> {
    this.sync();
    if (this.shared) return this.sharedRound(this.shared, now);
    for (const state of this.rules) {
      const open = new Set<string>();
      for (const breach of state.breaches(now)) {
        open.add(this.incidentId(state, breach));
        this.breached(state, breach, now);
      }
      for (const incident of this.incidents.values()) {
        if (incident.rule === state.rule.name && !open.has(incident.id)) this.resolve(incident, now, state.rule.notify);
      }
      this.reportOverflow(state);
    }
  }

  /** Incidents open now (for tests and the admin API); in shared mode, the ones this replica holds. */
  open(): Incident[] {
    return [...this.incidents.values()];
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.delivery.idle(SHUTDOWN_DRAIN_MS);
    this.delivery.close();
  }

  /**
   * Shared mode: window rules are judged on every replica's totals added up; a breach is claimed
   * (announced by the replica that claims it first) and an incident that cleared is resolved by
   * the replica holding its claim, or by any replica once the holder stopped renewing it.
   */
  private sharedRound(shared: SharedAlerts, now: number): Promise<void> {
    if (this.nextRound) return this.nextRound;
    if (this.round) {
      // Rounds never overlap (they would claim twice); one asked for meanwhile sees newer requests.
      return (this.nextRound = this.round.then(() => {
        this.nextRound = undefined;
        return this.sharedRound(shared, this.now());
      }));
    }
    return (this.round = this.evaluateShared(shared, now).finally(() => (this.round = undefined)));
  }

  private async evaluateShared(shared: SharedAlerts, now: number): Promise<void> {
    const lease = SharedAlerts.leaseMs(this.every ?? 0);
    try {
      const breaching = new Set<string>();
      for (const state of this.rules) {
        const breaches = isWindowed(state) ? state.judgeGroups(await shared.exchange(JSON.stringify(state.rule), state.snapshot(now), lease)) : state.breaches(now);
        // Concurrent calls share round trips (the connection pipelines them).
        const claims = await Promise.all(breaches.map((breach) => shared.claim({ id: this.incidentId(state, breach), rule: state.rule.name, type: state.rule.type, ...breach }, lease)));
        breaches.forEach((breach, i) => {
          const id = this.incidentId(state, breach);
          const { status, stored } = claims[i];
          breaching.add(id);
          if (status === 'other') this.incidents.delete(id);
          else if (status === 'fire') this.breached(state, breach, stored!.startedAt);
          else this.incidents.set(id, Object.assign(this.incidents.get(id) ?? this.adopted(stored!), { value: breach.value, summary: breach.summary }));
        });
        this.reportOverflow(state);
      }
      const cleared = (await shared.openIds()).flatMap((id) => {
        const state = this.rules.find((s) => s.rule.name === id.slice(0, id.indexOf('/')));
        // Skipped: incidents of rules this replica does not run (mid-reload), and those still breaching.
        return state && !breaching.has(id) ? [{ id, state }] : [];
      });
      const released = await Promise.all(cleared.map(({ id }) => shared.release(id, lease)));
      cleared.forEach(({ id, state }, i) => {
        const stored = released[i];
        if (stored) this.resolve(withIssues(this.incidents.get(id) ?? this.adopted(stored), stored), this.now(), state.rule.notify);
      });
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message }, 'alert evaluation on the shared state failed; trying again at the next round');
    }
  }

  /** An incident announced by another replica whose claim this one now holds. */
  private adopted(stored: StoredIncident): Incident {
    return { ...stored, issueOpened: this.issueNoter(stored.id) };
  }

  private issueNoter(id: string): Incident['issueOpened'] {
    const shared = this.shared;
    if (!shared) return undefined;
    return (channel, iid) => void shared.noteIssue(id, channel, iid).catch((err: Error) => this.options.log.warn({ err: err.message }, 'could not share the GitLab issue of an alert'));
  }

  private reportOverflow(state: RuleState): void {
    if (!state.overflowed) return;
    state.overflowed = false;
    this.options.log.warn({ rule: state.rule.name }, 'alert rule watches too many groups; new ones are not counted');
  }

  private breached(state: RuleState, breach: Breach, now: number): void {
    const id = this.incidentId(state, breach);
    const known = this.incidents.get(id);
    if (known) {
      Object.assign(known, { value: breach.value, summary: breach.summary });
      return;
    }
    const incident: Incident = { id, rule: state.rule.name, type: state.rule.type, ...breach, startedAt: now, issues: new Map(), issueOpened: this.issueNoter(id) };
    this.incidents.set(id, incident);
    this.options.log.warn({ event: 'alert_firing', rule: incident.rule, subject: incident.label, value: incident.value, threshold: incident.threshold }, incident.summary);
    this.announce('firing', incident, state.rule.notify);
  }

  private resolve(incident: Incident, now: number, notify: readonly string[], why?: string): void {
    this.incidents.delete(incident.id);
    incident.resolvedAt = now;
    incident.summary = why ?? `back within the threshold (was: ${incident.summary})`;
    this.options.log.info({ event: 'alert_resolved', rule: incident.rule, subject: incident.label }, 'alert resolved');
    this.announce('resolved', incident, notify);
  }

  /** Resolves the incident of a rule that changed or went away (shared: if this replica holds its claim). */
  private retire(incident: Incident, notify: readonly string[]): void {
    const why = 'the rule was changed or removed';
    if (!this.shared) return this.resolve(incident, this.now(), notify, why);
    this.incidents.delete(incident.id);
    void this.shared
      .release(incident.id, SharedAlerts.leaseMs(this.every ?? 0))
      .then((stored) => stored && this.resolve(withIssues(incident, stored), this.now(), notify, why))
      .catch((err: Error) => this.options.log.warn({ err: err.message }, 'could not release an alert on the shared state'));
  }

  private announce(status: AlertStatus, incident: Incident, notify: readonly string[]): void {
    for (const name of notify) {
      const channel = this.channels.get(name);
      if (!channel) continue;
      for (const call of callsFor(channel, status, incident)) this.delivery.push({ channel: name, rule: incident.rule, call });
    }
  }

  private incidentId(state: RuleState, breach: Breach): string {
    return `${state.rule.name}/${breach.group}`;
  }

  /** Follows the config in force: rules, channels and the evaluation timer. */
  private sync(): void {
    const config = this.options.config();
    if (config === this.source) return;
    const previous = this.rules;
    const kept = new Map(previous.map((s) => [JSON.stringify(s.rule), s]));
    this.source = config;
    this.channels = new Map((config?.channels ?? []).map((c) => [c.name, c]));
    this.rules = (config?.rules ?? []).map((rule) => kept.get(JSON.stringify(rule)) ?? ruleState(rule, this.options.spend));
    // A rule that changed or went away clears its incidents: they describe a condition no longer watched.
    for (const incident of [...this.incidents.values()]) {
      const state = previous.find((s) => s.rule.name === incident.rule);
      if (state && !this.rules.includes(state)) this.retire(incident, state.rule.notify);
    }
    this.schedule(this.rules.length > 0 ? config?.evaluate_every : undefined);
  }

  private schedule(every: number | undefined): void {
    if (every === this.every) return;
    clearInterval(this.timer);
    this.every = every;
    if (every === undefined) return;
    this.timer = setInterval(() => void this.evaluate(), every);
    this.timer.unref();
  }
}

/** Adds the GitLab issues other replicas opened for the incident, so its resolve closes them too. */
function withIssues(incident: Incident, stored: StoredIncident): Incident {
  for (const [channel, iid] of stored.issues) if (!incident.issues.has(channel)) incident.issues.set(channel, iid);
  return incident;
}
