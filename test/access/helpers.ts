// Shared pieces of the access-control tests: an admin-enabled config and admin API calls.
import type { TestGateway } from '../helpers/gateway.js';

export const ADMIN_KEY = 'test-admin-key-0123456789';

/** Mock chat endpoints, a route and an admin key, plus `extra` YAML appended at top level. */
/** The access tests' config; `chatPrice` sets the chat endpoint's price (USD per million tokens, in and out). */
export const accessConfig = (extra = '', chatPrice?: number) => `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-chat }${chatPrice === undefined ? '' : `\n    price: { input_per_million: ${chatPrice}, output_per_million: ${chatPrice} }`}
  - name: cheap
    endpoint_type: llm/v1/chat
    model: { provider: mock, name: mock-cheap }
  - name: embeddings
    endpoint_type: llm/v1/embeddings
    model: { provider: mock, name: mock-embed, config: { embedding_dimensions: 4 } }
routes:
  - name: assistant
    task_type: llm/v1/chat
    destinations: [ { name: chat, traffic_percentage: 100 } ]
auth:
  admin_key: ${ADMIN_KEY}
${extra}`;

export async function admin(gw: TestGateway | string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const url = typeof gw === 'string' ? gw : gw.url;
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

export function chat(url: string, key: string | undefined, model = 'chat', extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello there' }], ...extra }),
  });
}
