// W3C Trace Context (https://www.w3.org/TR/trace-context/): the client's traceparent/tracestate
// read into a span context, and a span's context written back for the upstream call.
import type { IncomingHttpHeaders } from 'node:http';
import { createTraceState, isSpanContextValid, type SpanContext } from '@opentelemetry/api';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** The caller's span context, or undefined when the request carries no valid traceparent. */
export function remoteContext(headers: IncomingHttpHeaders): SpanContext | undefined {
  const header = headers.traceparent;
  const match = typeof header === 'string' ? TRACEPARENT.exec(header.trim()) : null;
  // Version ff is invalid; version 00 allows nothing after the flags.
  if (!match || match[1] === 'ff' || (match[1] === '00' && match[5])) return undefined;
  const state = headers.tracestate;
  const context: SpanContext = {
    traceId: match[2],
    spanId: match[3],
    traceFlags: parseInt(match[4], 16) & 1,
    isRemote: true,
    traceState: state ? createTraceState(Array.isArray(state) ? state.join(',') : state) : undefined,
  };
  return isSpanContextValid(context) ? context : undefined;
}

export function traceparentOf(context: SpanContext): Record<string, string> {
  const headers: Record<string, string> = { traceparent: `00-${context.traceId}-${context.spanId}-0${context.traceFlags & 1}` };
  const state = context.traceState?.serialize();
  if (state) headers.tracestate = state;
  return headers;
}
