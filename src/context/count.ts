// /v1/messages/count_tokens with the context protocol: the count is of what would go upstream, with
// the session's history, instructions, profile and documents assembled and fitted to the budget.
// Nothing is stored, and no summariser is called (history over the budget is truncated instead).
import type { RequestContext } from '../core/context.js';
import type { Target } from '../core/runtime.js';
import type { ChatRequest } from '../core/types.js';
import { assembleContext } from './assemble.js';

export async function assembleForCount(ctx: RequestContext, target: Target, req: ChatRequest): Promise<ChatRequest> {
  if (!ctx.context && !target.context) return req;
  // Counting does not pass admission (it spends no limit), but a session is the caller's tenant's
  // and a retriever call is work done for the caller: both need to know who is asking.
  await ctx.access?.identifyCaller(ctx);
  return assembleContext(ctx, target, req);
}
