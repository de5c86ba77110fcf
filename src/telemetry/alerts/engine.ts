// Alerts: a request observer feeds each rule's windows; a timer evaluates the rules and turns
// breaches into incidents. An incident is announced once when it starts and once when it clears
// (de-duplicated by rule and group), through the delivery queue, never on the request path.
// The rules come from the config in force, so a reload changes them; a rule whose definition is
// unchanged keeps its windows and open incidents.
import type { Logger } from 'pino';
import type { FinishedRequest, RequestObserver } from '../observers.js';
import { callsFor, type AlertStatus, type Incident } from './channels.js';
import { DeliveryQueue, type DeliveryOptions } from './delivery.js';
import { ruleState, type Breach, type RuleState, type SpendLookup } from './rules.js';
import type { AlertChannel, AlertsConfig } from './schema.js';

export interface AlertEngineOptions {
  /** The alerts section of the config in force (read on every request: keep it a cheap getter). */
  config: () => AlertsConfig | undefined;
  log: Logger;
  /** The budgets' spend ledger, for budget rules. */
  spend?: SpendLookup;
  now?: () => number;
  delivery?: DeliveryOptions;
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

  constructor(private readonly options: AlertEngineOptions) {
    this.delivery = new DeliveryQueue(options.log, options.delivery);
    this.now = options.now ?? Date.now;
    this.sync();
  }

  observe(done: FinishedRequest): void {
    if (this.options.config() !== this.source) this.sync();
    if (this.rules.length === 0) return;
    const now = this.now();
    for (const rule of this.rules) rule.observe(done, now);
  }

  /** Judges every rule now: opens incidents for new breaches, resolves the ones that cleared. */
  evaluate(now = this.now()): void {
    this.sync();
    for (const state of this.rules) {
      const open = new Set<string>();
      for (const breach of state.breaches(now)) {
        open.add(this.incidentId(state, breach));
        this.breached(state, breach, now);
      }
      for (const incident of this.incidents.values()) {
        if (incident.rule === state.rule.name && !open.has(incident.id)) this.resolve(incident, now, state.rule.notify);
      }
      if (state.overflowed) {
        state.overflowed = false;
        this.options.log.warn({ rule: state.rule.name }, 'alert rule watches too many groups; new ones are not counted');
      }
    }
  }

  /** Incidents open now (for tests and the admin API). */
  open(): Incident[] {
    return [...this.incidents.values()];
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.delivery.idle(SHUTDOWN_DRAIN_MS);
    this.delivery.close();
  }

  private breached(state: RuleState, breach: Breach, now: number): void {
    const id = this.incidentId(state, breach);
    const known = this.incidents.get(id);
    if (known) {
      Object.assign(known, { value: breach.value, summary: breach.summary });
      return;
    }
    const incident: Incident = { id, rule: state.rule.name, type: state.rule.type, ...breach, startedAt: now, issues: new Map() };
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
      if (state && !this.rules.includes(state)) this.resolve(incident, this.now(), state.rule.notify, 'the rule was changed or removed');
    }
    this.schedule(this.rules.length > 0 ? config?.evaluate_every : undefined);
  }

  private schedule(every: number | undefined): void {
    if (every === this.every) return;
    clearInterval(this.timer);
    this.every = every;
    if (every === undefined) return;
    this.timer = setInterval(() => this.evaluate(), every);
    this.timer.unref();
  }
}
