// External guardrails: POSTs the texts to a configured service and reads its verdict,
// {"allowed": true|false, "reason"?: string}. A timeout, connection error, non-2xx answer or
// unreadable body is a failure, which the rule turns into allow (fail open) or block (fail closed).
import type { CompiledRule } from '../config/build.js';
import type { ExternalVerdict } from './external.js';

export type WebhookRule = Extract<CompiledRule, { type: 'webhook' }>;

export interface WebhookPayload {
  rule: string;
  stage: 'input' | 'output';
  target: string;
  request_id: string;
  kind: 'chat' | 'completion' | 'embeddings';
  texts: string[];
}

export async function askWebhook(rule: WebhookRule, payload: WebhookPayload, clientSignal: AbortSignal): Promise<ExternalVerdict> {
  const timeout = AbortSignal.timeout(rule.timeoutMs);
  let res: Response;
  try {
    res = await fetch(rule.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      signal: AbortSignal.any([clientSignal, timeout]),
    });
  } catch {
    return { failure: clientSignal.aborted ? 'client_closed' : timeout.aborted ? 'timeout' : 'connection_error' };
  }
  try {
    if (!res.ok) {
      await res.body?.cancel();
      return { failure: 'bad_status' };
    }
    const body = (await res.json()) as { allowed?: unknown; reason?: unknown };
    if (typeof body?.allowed !== 'boolean') return { failure: 'bad_answer' };
    return { allowed: body.allowed, ...(typeof body.reason === 'string' ? { reason: body.reason.slice(0, 500) } : {}) };
  } catch {
    return { failure: timeout.aborted ? 'timeout' : 'bad_answer' };
  }
}
