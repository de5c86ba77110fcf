// Sorts a failed attempt into the trigger kinds retries and fallbacks are configured with.
import { GatewayError } from '../core/errors.js';
import type { Trigger, TriggerName } from './config.js';

/** Error codes providers use for a content-filter refusal (OpenAI, Azure OpenAI, others). */
const CONTENT_POLICY_CODES = new Set(['content_policy_violation', 'content_filter', 'content_policy', 'content_filtered', 'safety']);

/** Errors raised by routing itself: a skipped destination. Moving on from these is always right. */
export const UNAVAILABLE_CODES = new Set(['circuit_open', 'no_healthy_destination', 'capacity_exceeded']);

/** The failure kind of an error, or undefined for one that no trigger name covers (e.g. an invalid request). */
export function failureKind(err: unknown): TriggerName | undefined {
  if (!(err instanceof GatewayError)) return 'server_error';
  if (err.code === 'context_length_exceeded') return 'context_length_exceeded';
  if (err.code !== null && CONTENT_POLICY_CODES.has(err.code)) return 'content_policy';
  if (err.code === 'upstream_timeout' || (err.status === 504 && err.upstreamStatus === undefined)) return 'timeout';
  if (err.code === 'upstream_unreachable') return 'connection_error';
  if (err.status === 429 || err.upstreamStatus === 429) return 'rate_limited';
  // Upstream 5xx, and upstream 401/403 (the gateway's own credentials), reach here as 502.
  if (err.status >= 500) return 'server_error';
  return undefined;
}

/** Whether `err` matches one of `triggers`. A client that went away matches nothing: nobody is left to answer. */
export function matches(err: unknown, triggers: readonly Trigger[]): boolean {
  if (err instanceof GatewayError && err.status === 499) return false;
  const kind = failureKind(err);
  const status = err instanceof GatewayError ? err.upstreamStatus : undefined;
  for (const t of triggers) if (t === kind || (status !== undefined && t === status)) return true;
  return false;
}

/** Failures that say the deployment is unwell (and count towards its circuit breaker): not its rate limit, not the request's fault. */
export function isDeploymentFailure(err: unknown): boolean {
  const kind = failureKind(err);
  return kind === 'connection_error' || kind === 'timeout' || kind === 'server_error';
}

/** A successful chat answer that the provider's content filter refused: every choice ends with finish_reason content_filter. */
export function isRefusal(result: unknown): boolean {
  const choices = (result as { choices?: { finish_reason?: string | null }[] } | null)?.choices;
  return Array.isArray(choices) && choices.length > 0 && choices.every((c) => c.finish_reason === 'content_filter');
}
