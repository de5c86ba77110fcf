// Accounting: the usage of every answered request (as the provider reported it, or counted with a
// tokenizer and marked estimated) and its cost, set once on the context. Budgets, the
// x-gatehouse-cost-usd header (a trailer on streams), the request log and the metrics all read it.
import type { RequestContext } from '../core/context.js';
import type { ChatChunk, ChatRequest, ChatResponse, CompletionChunk, CompletionRequest, CompletionResponse, EmbeddingsRequest, Usage } from '../core/types.js';
import type { OutputPlan } from '../guardrails/stage/input.js';
import { captureBodies, captureStreamBodies } from './bodies.js';
import { costUsd } from './pricing.js';
import { chatPromptTokens, counterFor, inputTokens, type Counter } from './tokenizer.js';

export type AccountedRequest = ChatRequest | CompletionRequest | EmbeddingsRequest;
type Answer = ChatResponse | CompletionResponse;
type Chunk = ChatChunk | CompletionChunk;

function promptTokens(count: Counter, req: AccountedRequest): number {
  if (Array.isArray(req.messages)) return chatPromptTokens(count, req as ChatRequest);
  return inputTokens(count, ((req as CompletionRequest).prompt ?? (req as EmbeddingsRequest).input) as CompletionRequest['prompt']);
}

type AnyChoice = { message?: ChatResponse['choices'][number]['message']; delta?: ChatChunk['choices'][number]['delta']; text?: string };

/**
 * Adds the generated text of an answer or of one streamed chunk (message content, tool calls,
 * completion text) to `texts`. The strings are kept, not copied, and only counted if the provider
 * reports no usage.
 */
function collectTexts(choices: readonly unknown[], texts: string[]): string[] {
  for (const choice of choices as AnyChoice[]) {
    const message = choice.message ?? choice.delta;
    if (typeof choice.text === 'string') texts.push(choice.text);
    if (!message) continue;
    if (typeof message.content === 'string') texts.push(message.content);
    const calls = message.tool_calls;
    if (!calls) continue;
    for (const call of calls) {
      if (call.function?.name) texts.push(call.function.name);
      if (call.function?.arguments) texts.push(call.function.arguments);
    }
  }
  return texts;
}

/** Counts what the provider did not: the request as sent upstream and the text it generated. */
async function estimate(ctx: RequestContext, req: AccountedRequest, generated: string[]): Promise<Usage> {
  const count = await counterFor(ctx.model);
  const prompt = promptTokens(count, req);
  const completion = generated.reduce((n, text) => n + count.text(text), 0);
  ctx.usageEstimated = true;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** A provider that reports nothing, or zeros for a request that had input, has not reported usage. */
const reported = (usage: Usage | null | undefined): usage is Usage => !!usage && (usage.total_tokens > 0 || usage.prompt_tokens > 0 || usage.completion_tokens > 0);

/** Who the spend is for, as OpenAI's `user` field names them (bounded: it is logged). */
const endUserOf = (req: AccountedRequest) => (typeof req.user === 'string' && req.user !== '' ? req.user.slice(0, 200) : undefined);

function price(ctx: RequestContext): void {
  const price = ctx.accounting?.price;
  if (price && ctx.usage) ctx.costUsd = costUsd(price, ctx.usage);
}

/** Accounts a whole answer (before output guardrails, which cannot undo what the upstream charged). */
export async function accountAnswer(ctx: RequestContext, req: AccountedRequest, usage: Usage | undefined, res?: Answer): Promise<void> {
  ctx.endUser = endUserOf(req);
  ctx.usage = reported(usage) ? usage : await estimate(ctx, req, res ? collectTexts(res.choices, []) : []);
  price(ctx);
}

/** Records the bodies of a whole answer, when the endpoint logs them (see bodies.ts for which answer). */
export function logAnswer(ctx: RequestContext, req: AccountedRequest, upstream: unknown, answer: unknown, output: OutputPlan | undefined): void {
  if (ctx.accounting?.logBodies) captureBodies(ctx, req, upstream, answer, output);
}

/**
 * Passes an upstream stream through in one pass (each layer of a stream costs every chunk a hop):
 * books the wait for each chunk as upstream time, keeps the usage the stream reports, keeps its
 * generated text in case the provider reports none, and accounts it when it ends (normally, on
 * error, or when the client goes away: what was generated was charged).
 * Streams always ask the upstream for usage; without `passUsage` (the client did not ask) the
 * usage-only chunk is dropped and `usage` left off the others. A usage chunk that is passed on
 * carries the cost as `cost_usd`.
 */
export async function* accountStream<T extends Chunk>(
  ctx: RequestContext,
  req: AccountedRequest,
  source: AsyncIterable<T>,
  passUsage: boolean,
  output: OutputPlan | undefined,
): AsyncGenerator<T> {
  const generated: string[] = [];
  ctx.endUser = endUserOf(req);
  let accounted!: () => void;
  pending.set(ctx, new Promise<void>((resolve) => (accounted = resolve)));
  const iterator = source[Symbol.asyncIterator]();
  try {
    while (true) {
      // As ctx.upstream() books it, without a wrapping promise per chunk.
      const waitStarted = performance.now();
      let next: IteratorResult<T>;
      try {
        next = await iterator.next();
      } finally {
        ctx.upstreamMs += performance.now() - waitStarted;
      }
      if (next.done) return;
      const chunk = next.value;
      if (chunk.usage) ctx.usage = chunk.usage;
      if (!passUsage && chunk.usage !== undefined) {
        if (chunk.choices.length === 0) continue;
        chunk.usage = undefined;
      }
      collectTexts(chunk.choices, generated);
      if (chunk.usage && ctx.costUsd === undefined && reported(ctx.usage)) {
        price(ctx);
        if (ctx.costUsd !== undefined) chunk.usage = { ...chunk.usage, cost_usd: ctx.costUsd };
      }
      yield chunk;
    }
  } finally {
    try {
      await iterator.return?.();
    } finally {
      if (!reported(ctx.usage)) ctx.usage = await estimate(ctx, req, generated);
      if (ctx.costUsd === undefined) price(ctx);
      if (ctx.accounting?.logBodies) captureStreamBodies(ctx, req, generated, output);
      accounted();
    }
  }
}

/** Streams being accounted, so a request the client left can wait for its usage before it is booked. */
const pending = new WeakMap<RequestContext, Promise<void>>();
/** The longest wait for that: an upstream that ignores the abort must not hold the request's bookkeeping. */
const ACCOUNTING_WAIT_MS = 5_000;

/** Resolves once the request's stream has been accounted (at most ACCOUNTING_WAIT_MS); undefined when it has no stream. */
export function streamAccounted(ctx: RequestContext): Promise<void> | undefined {
  const accounting = pending.get(ctx);
  if (!accounting) return undefined;
  return Promise.race([accounting, new Promise<void>((resolve) => setTimeout(resolve, ACCOUNTING_WAIT_MS).unref())]);
}
