// Rules that ask a service over the network: webhooks, and moderation endpoints configured in the
// gateway. Both run after the built-in rules (so they see redacted text), wait at most their
// timeout, and answer with a verdict; a failed call is a failure the rule turns into allow or block.
import type { EndpointRuntime } from '../../core/runtime.js';
import type { CompiledRule } from '../config/build.js';
import { allTexts, scopedTexts, type GuardedRequest } from '../engine/input.js';
import { askModeration, type ModerationRule } from './moderation.js';
import { askWebhook, type WebhookRule } from './webhook.js';

export type ExternalRule = WebhookRule | ModerationRule;

export const isExternal = (rule: CompiledRule): rule is ExternalRule => rule.type === 'webhook' || rule.type === 'moderation';

export type Failure = 'timeout' | 'connection_error' | 'bad_status' | 'bad_answer' | 'client_closed';

/**
 * What a service said. `reason` goes to the client only; `detail` (never text from the request, e.g.
 * moderation categories and scores) goes into the security event.
 */
export type ExternalVerdict = { allowed: boolean; reason?: string; detail?: Record<string, unknown> } | { failure: Failure };

export interface ExternalCall {
  rule: ExternalRule;
  stage: 'input' | 'output';
  /** The endpoint or route the client named. */
  target: string;
  requestId: string;
  kind: GuardedRequest['kind'];
  texts: string[];
  signal: AbortSignal;
  /** The moderation endpoints of the rule set, by name (resolved when the rules were compiled). */
  moderators: ReadonlyMap<string, EndpointRuntime>;
}

export function askExternal(call: ExternalCall): Promise<ExternalVerdict> {
  const { rule, stage, target, requestId, kind, texts, signal } = call;
  if (rule.type === 'webhook') return askWebhook(rule, { rule: rule.name, stage, target, request_id: requestId, kind, texts }, signal);
  return askModeration(rule, call.moderators.get(rule.endpoint)!, texts, requestId, signal);
}

/** What an external rule sees of a request: a webhook every text, a moderation rule the texts in its scope. */
export function inputTexts(rule: ExternalRule, input: GuardedRequest): string[] {
  return rule.type === 'webhook' ? allTexts(input) : scopedTexts(input, rule.scope);
}
