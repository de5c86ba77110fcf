// One correct answer before any load: a target that returns errors fast would otherwise post a
// flattering throughput. Checks that chat and embeddings come back 200 with the mock's content,
// i.e. the request really went through to the upstream and back.

import type { Target } from './targets.js';
import { chatBody, embeddingsBody } from './requests.js';

export interface SmokeResult {
  chat: string | null; // null when fine, else what went wrong
  embeddings: string | null;
}

async function post(target: Target, path: string, body: string): Promise<{ status: number; json: unknown; text: string }> {
  const res = await fetch(`${target.origin}${path}`, {
    method: 'POST',
    headers: target.headers,
    body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // reported below
  }
  return { status: res.status, json, text };
}

export async function smokeTest(target: Target): Promise<SmokeResult> {
  const result: SmokeResult = { chat: null, embeddings: null };
  try {
    const chat = await post(target, target.chatPath, chatBody(target.chatModel));
    const content = (chat.json as { choices?: { message?: { content?: string } }[] } | null)?.choices?.[0]?.message?.content;
    if (chat.status !== 200) result.chat = `HTTP ${chat.status}: ${chat.text.slice(0, 300)}`;
    else if (!content?.startsWith('Benchmarks measure the gateway')) result.chat = `unexpected body: ${chat.text.slice(0, 300)}`;
  } catch (err) {
    result.chat = err instanceof Error ? err.message : String(err);
  }
  try {
    const emb = await post(target, target.embeddingsPath, embeddingsBody(target.embeddingsModel));
    const vector = (emb.json as { data?: { embedding?: unknown }[] } | null)?.data?.[0]?.embedding;
    if (emb.status !== 200) result.embeddings = `HTTP ${emb.status}: ${emb.text.slice(0, 300)}`;
    else if (!Array.isArray(vector) || vector.length !== 1536) result.embeddings = `unexpected body: ${emb.text.slice(0, 300)}`;
  } catch (err) {
    result.embeddings = err instanceof Error ? err.message : String(err);
  }
  return result;
}

/** Request counters the mock keeps, to check every 2xx at the client was a real upstream call. */
export async function mockStats(origin: string): Promise<{ chat: number; stream: number; embeddings: number; unauthorized: number; bad: number }> {
  const res = await fetch(`${origin}/__stats`, { signal: AbortSignal.timeout(5_000) });
  return (await res.json()) as { chat: number; stream: number; embeddings: number; unauthorized: number; bad: number };
}
