// The summarise strategy's call: older exchanges (and the summary so far) condensed by the
// configured summariser endpoint, through the pipeline's provider call (routing, retries and
// fallbacks included; not the caller's guardrails, which run on the assembled request anyway).
import { RequestContext } from '../core/context.js';
import type { Target } from '../core/runtime.js';
import type { ChatMessage, ChatRequest, ChatResponse } from '../core/types.js';
import { messageText } from './tokens.js';

/** The pipeline's provider call for chat (src/core/pipeline.ts passes it in). */
export type ChatCall = (ctx: RequestContext, target: Target, req: ChatRequest) => Promise<ChatResponse>;

export const SUMMARY_INSTRUCTIONS =
  'You condense conversations. Write a short, factual summary of the conversation below for the assistant to continue it: keep names, numbers, decisions, open questions and the user\'s stated preferences. Answer with the summary only.';

/** The new summary, or undefined when the summariser failed (the caller then truncates). */
export async function summarise(ctx: RequestContext, summariser: Target, previous: string | undefined, older: ChatMessage[], maxTokens: number, call: ChatCall): Promise<string | undefined> {
  const transcript = older.map((m) => `${m.role}: ${messageText(m)}`).join('\n');
  const request: ChatRequest = {
    messages: [
      { role: 'system', content: SUMMARY_INSTRUCTIONS },
      { role: 'user', content: `${previous ? `Summary so far:\n${previous}\n\n` : ''}Conversation:\n${transcript}` },
    ],
    max_tokens: maxTokens,
  };
  // Its own context: the summariser's endpoint, attempts and usage are not the request's.
  const sub = new RequestContext(ctx.clientIp);
  sub.log = ctx.log;
  sub.headers = ctx.headers;
  const abort = () => sub.controller.abort();
  ctx.signal.addEventListener('abort', abort, { once: true });
  try {
    const res = await ctx.upstream(call(sub, summariser, request));
    const text = res.choices[0]?.message.content;
    return typeof text === 'string' && text.trim() !== '' ? text.trim() : undefined;
  } catch (err) {
    ctx.log?.warn({ request_id: ctx.id, summariser: summariser.name, err: (err as Error).message }, 'summariser failed; truncating history instead');
    return undefined;
  } finally {
    ctx.signal.removeEventListener('abort', abort);
  }
}
