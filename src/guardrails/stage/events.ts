// Security events: every guardrail firing is logged on a line of its own, counted, kept on the
// request for its access-log line, and held in a bounded in-memory list for the admin API.
// Events carry rule names, counts, scores and pattern ids: never the matched text.
import type { RequestContext } from '../../core/context.js';
import type { GuardrailEvent } from '../engine/events.js';
import { countFiring } from './counters.js';

export interface SecurityEvent extends GuardrailEvent {
  /** ISO time of the firing (not `time`, which the logger writes itself). */
  at: string;
  request_id: string;
  /** The endpoint or route the client named. */
  target: string;
}

/** The admin list keeps this many recent events; older ones drop off. */
export const EVENT_BUFFER_SIZE = 1000;

const buffer: SecurityEvent[] = [];
let nextSlot = 0;

export function recordEvents(ctx: RequestContext, target: string, events: readonly GuardrailEvent[]): void {
  for (const event of events) {
    const entry: SecurityEvent = { at: new Date().toISOString(), request_id: ctx.id, target, ...event };
    (ctx.guardrails ??= []).push(event);
    countFiring({ rule: event.rule, type: event.type, stage: event.stage, action: event.action, target });
    ctx.log?.warn(entry, 'guardrail');
    if (buffer.length < EVENT_BUFFER_SIZE) buffer.push(entry);
    else buffer[nextSlot] = entry;
    nextSlot = (nextSlot + 1) % EVENT_BUFFER_SIZE;
  }
}

/** The most recent events, newest first. */
export function recentEvents(limit = EVENT_BUFFER_SIZE): SecurityEvent[] {
  const ordered = buffer.length < EVENT_BUFFER_SIZE ? buffer.slice() : [...buffer.slice(nextSlot), ...buffer.slice(0, nextSlot)];
  return ordered.reverse().slice(0, limit);
}
