// After the answer: the exchange is stored with the session (the assistant message as the client
// received it, after output guardrails). A stream is stored once it has ended normally, before its
// last event goes out; a stream the client left or that failed is not, so a session never holds
// half an answer.
import type { RequestContext } from '../core/context.js';
import type { ChatChunk, ChatMessage, ChatResponse, ToolCall } from '../core/types.js';

/** Records what went upstream (after input guardrails), for body logging. */
export function noteAssembled(ctx: RequestContext, messages: ChatMessage[]): void {
  ctx.context?.record(messages);
}

export async function rememberAnswer(ctx: RequestContext, res: ChatResponse): Promise<ChatResponse> {
  const run = ctx.context;
  if (run?.key) await run.remember(ctx, canonical(res.choices[0]?.message));
  return res;
}

export function rememberStream(ctx: RequestContext, stream: AsyncIterable<ChatChunk>): AsyncIterable<ChatChunk> {
  const run = ctx.context;
  return run?.key ? collect(ctx, stream) : stream;
}

async function* collect(ctx: RequestContext, stream: AsyncIterable<ChatChunk>): AsyncGenerator<ChatChunk> {
  let content = '';
  const calls: ToolCall[] = [];
  for await (const chunk of stream) {
    const delta = chunk.choices.find((c) => c.index === 0)?.delta;
    if (delta) {
      if (typeof delta.content === 'string') content += delta.content;
      for (const call of (delta.tool_calls ?? []) as (Partial<ToolCall> & { index?: number; function?: { name?: string; arguments?: string } })[]) {
        const i = call.index ?? 0;
        const into = (calls[i] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
        if (call.id) into.id = call.id;
        if (call.function?.name) into.function.name += call.function.name;
        if (call.function?.arguments) into.function.arguments += call.function.arguments;
      }
    }
    yield chunk;
  }
  await ctx.context!.remember(ctx, canonical({ role: 'assistant', content: content || (calls.length ? null : ''), ...(calls.length ? { tool_calls: calls.filter(Boolean) } : {}) }));
}

/** Only the fields every provider takes: a stored turn goes to whichever serves the next request. */
function canonical(m: ChatMessage | undefined): ChatMessage | undefined {
  if (!m) return undefined;
  const out: ChatMessage = { role: 'assistant', content: m.content ?? null };
  if (m.tool_calls?.length) out.tool_calls = m.tool_calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.function.name, arguments: c.function.arguments } }));
  return out;
}
