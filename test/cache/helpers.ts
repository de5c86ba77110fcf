// Shared pieces of the cache tests: a config with a cached chat endpoint in front of the fake
// OpenAI upstream (which records every request it gets), and chat calls with headers.
import type { FakeOpenAI } from '../fakes/openai-upstream.js';

/** A cached chat endpoint `chat`, an uncached one `plain`, a completions endpoint, plus `extra` YAML at top level. */
export const cacheConfig = (fake: FakeOpenAI, cache = '{}', extra = '') => `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: { provider: openai, name: gpt-4o-mini, config: { openai_api_key: k, openai_api_base: "${fake.baseUrl}" } }
    price: { input_per_million: 1000, output_per_million: 1000 }
    cache: ${cache}
  - name: plain
    endpoint_type: llm/v1/chat
    model: { provider: openai, name: gpt-4o-mini, config: { openai_api_key: k, openai_api_base: "${fake.baseUrl}" } }
  - name: instruct
    endpoint_type: llm/v1/completions
    model: { provider: openai, name: gpt-3.5-turbo-instruct, config: { openai_api_key: k, openai_api_base: "${fake.baseUrl}" } }
    cache: ${cache}
${extra}`;

export function ask(url: string, content: string, opts: { key?: string; headers?: Record<string, string>; model?: string; extra?: Record<string, unknown> } = {}): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}), ...opts.headers },
    body: JSON.stringify({ model: opts.model ?? 'chat', messages: [{ role: 'user', content }], ...opts.extra }),
  });
}

/** The answer's text and the cache header of a chat response. */
export async function answer(res: Response): Promise<{ status: number; cache: string | null; text: string; body: any }> {
  const body = await res.json();
  return { status: res.status, cache: res.headers.get('x-gatehouse-cache'), text: body.choices?.[0]?.message?.content, body };
}
