// How the eval runner talks to a gateway: chat requests with the caller's key, and (with the admin
// key) the guardrail events of a request, so `not_flagged` sees flags and redactions too.
export interface Reply {
  status: number;
  /** The parsed JSON answer (an error body on failure). */
  body: Record<string, unknown>;
  headers: Headers;
  latencyMs: number;
}

export interface GuardrailFiring {
  rule: string;
  stage: string;
  action: string;
}

export interface EvalClient {
  /** Where requests go, for reports. */
  where: string;
  chat(body: Record<string, unknown>): Promise<Reply>;
  /** The guardrails that fired on a request; absent when the runner cannot see them (no admin key). */
  firings?(requestId: string): Promise<GuardrailFiring[]>;
}

export function httpClient(baseUrl: string, apiKey: string | undefined, adminKey: string | undefined): EvalClient {
  const base = baseUrl.replace(/\/+$/, '');
  const client: EvalClient = {
    where: base,
    async chat(body) {
      const started = performance.now();
      const res = await fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      const latencyMs = performance.now() - started;
      return { status: res.status, body: parse(text), headers: res.headers, latencyMs };
    },
  };
  if (adminKey) {
    client.firings = async (requestId) => {
      const res = await fetch(`${base}/admin/guardrails/events?limit=1000`, { headers: { authorization: `Bearer ${adminKey}` } });
      if (!res.ok) throw new Error(`GET /admin/guardrails/events answered ${res.status}`);
      const { data } = (await res.json()) as { data: (GuardrailFiring & { request_id: string })[] };
      return data.filter((e) => e.request_id === requestId).map(({ rule, stage, action }) => ({ rule, stage, action }));
    };
  }
  return client;
}

function parse(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : { value };
  } catch {
    return { error: { message: text.slice(0, 500) } };
  }
}
