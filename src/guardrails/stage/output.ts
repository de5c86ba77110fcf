// The output stage: output rules and restoring on whole answers and on streams. Streams are
// guarded per choice, and per tool call within a choice, as separate fields; a chunk carrying a
// choice's finish_reason releases what its fields held back. A cut throws, and the surface ends the
// stream with an error event naming the rule (or answers with the error if nothing was sent yet).
import type { RequestContext } from '../../core/context.js';
import type { ChatChunk, ChatChunkChoice, ChatMessage, ChatResponse, CompletionChoice, CompletionChunk, CompletionResponse, ToolCall } from '../../core/types.js';
import { checkAnswer } from './answer.js';
import { type FieldKind, FieldGuard } from './field.js';
import type { OutputPlan } from './input.js';

export async function guardChatResponse(ctx: RequestContext, plan: OutputPlan, res: ChatResponse): Promise<ChatResponse> {
  const guard = (kind: FieldKind, text: string) => FieldGuard.whole(ctx, plan, kind, text);
  const choices = res.choices.map((choice) => {
    const message: ChatMessage = { ...choice.message };
    if (typeof message.content === 'string') message.content = guard('text', message.content);
    if (message.tool_calls) {
      message.tool_calls = message.tool_calls.map((call) => ({ ...call, function: { ...call.function, arguments: guard('json', call.function.arguments) } }));
    }
    return { ...choice, message };
  });
  for (const { message } of choices) if (typeof message.content === 'string') await checkAnswer(ctx, plan, message.content);
  return { ...res, choices };
}

export async function guardCompletionResponse(ctx: RequestContext, plan: OutputPlan, res: CompletionResponse): Promise<CompletionResponse> {
  const choices = res.choices.map((choice) => ({ ...choice, text: FieldGuard.whole(ctx, plan, 'text', choice.text) }));
  for (const choice of choices) await checkAnswer(ctx, plan, choice.text);
  return { ...res, choices };
}

/** A tool call as it streams: an index, and the pieces that arrived. */
interface StreamedToolCall {
  index: number;
  function?: { name?: string; arguments?: string };
}

/**
 * The guarded fields of a stream, keyed by choice and field, created as they first appear. When
 * the plan has answer checks, each choice's released content is also kept, to check when it ends.
 */
class StreamFields {
  private readonly fields = new Map<number, Map<string, FieldGuard>>();
  private readonly answers?: Map<number, string>;

  constructor(
    private readonly ctx: RequestContext,
    private readonly plan: OutputPlan,
  ) {
    if (plan.answerChecks.length > 0) this.answers = new Map();
  }

  push(choice: number, key: string, kind: FieldKind, delta: string): string {
    let fields = this.fields.get(choice);
    if (!fields) this.fields.set(choice, (fields = new Map()));
    let field = fields.get(key);
    if (!field) fields.set(key, (field = new FieldGuard(this.ctx, this.plan, kind)));
    return this.keep(choice, key, field.push(delta));
  }

  /** Ends a choice's fields and runs the answer checks: the held text of each field, by field key. */
  async end(choice: number): Promise<Map<string, string>> {
    const rest = new Map<string, string>();
    for (const [key, field] of this.fields.get(choice) ?? []) {
      const text = this.keep(choice, key, field.end());
      if (text !== '') rest.set(key, text);
    }
    this.fields.delete(choice);
    if (this.answers) {
      await checkAnswer(this.ctx, this.plan, this.answers.get(choice) ?? '');
      this.answers.delete(choice);
    }
    return rest;
  }

  /** Choices that ended without a finish_reason chunk. */
  open(): number[] {
    return [...this.fields.keys()];
  }

  private keep(choice: number, key: string, text: string): string {
    if (this.answers && key === CONTENT) this.answers.set(choice, (this.answers.get(choice) ?? '') + text);
    return text;
  }
}

const CONTENT = 'content';

function chatDelta(fields: StreamFields, choice: number, delta: Partial<ChatMessage>): Partial<ChatMessage> {
  const out = { ...delta };
  if (typeof out.content === 'string' && out.content !== '') out.content = fields.push(choice, CONTENT, 'text', out.content);
  if (Array.isArray(out.tool_calls)) {
    const calls = (out.tool_calls as unknown as StreamedToolCall[]).map((call) =>
      typeof call.function?.arguments === 'string' && call.function.arguments !== ''
        ? { ...call, function: { ...call.function, arguments: fields.push(choice, String(call.index), 'json', call.function.arguments) } }
        : call,
    );
    out.tool_calls = calls as unknown as ToolCall[];
  }
  return out;
}

/** Appends a choice's held text to `delta`: content to its content, tool arguments as further tool-call pieces. */
function releaseInto(delta: Partial<ChatMessage>, rest: Map<string, string>): void {
  for (const [key, text] of rest) {
    if (key === CONTENT) {
      delta.content = (typeof delta.content === 'string' ? delta.content : '') + text;
    } else {
      const calls = [...((delta.tool_calls as unknown as StreamedToolCall[] | undefined) ?? []), { index: Number(key), function: { arguments: text } }];
      delta.tool_calls = calls as unknown as ToolCall[];
    }
  }
}

/** How one API's stream choices are guarded: their fields fed in, and held text put back. */
interface ChoiceShape<X extends { index: number; finish_reason: string | null }> {
  guard(fields: StreamFields, choice: X): X;
  /** `choice` with a choice's held text added. */
  release(choice: X, rest: Map<string, string>): X;
  /** An empty choice, to carry the held text of a choice that ended without a finish_reason. */
  empty(index: number): X;
}

async function* guardStream<X extends { index: number; finish_reason: string | null }, T extends { choices: X[] }>(
  ctx: RequestContext,
  plan: OutputPlan,
  source: AsyncIterable<T>,
  shape: ChoiceShape<X>,
): AsyncGenerator<T> {
  const fields = new StreamFields(ctx, plan);
  let last: T | undefined;
  for await (const chunk of source) {
    last = chunk;
    const choices: X[] = [];
    for (const choice of chunk.choices) {
      const guarded = shape.guard(fields, choice);
      choices.push(choice.finish_reason === null ? guarded : shape.release(guarded, await fields.end(choice.index)));
    }
    yield { ...chunk, choices };
  }
  const open = fields.open();
  if (last && open.length > 0) {
    const choices: X[] = [];
    for (const index of open) choices.push(shape.release(shape.empty(index), await fields.end(index)));
    yield { ...last, choices, usage: undefined };
  }
}

const CHAT_CHOICE: ChoiceShape<ChatChunkChoice> = {
  guard: (fields, choice) => ({ ...choice, delta: chatDelta(fields, choice.index, choice.delta) }),
  release(choice, rest) {
    releaseInto(choice.delta, rest);
    return choice;
  },
  empty: (index) => ({ index, delta: {}, finish_reason: null }),
};

const COMPLETION_CHOICE: ChoiceShape<CompletionChoice> = {
  guard: (fields, choice) => (choice.text ? { ...choice, text: fields.push(choice.index, CONTENT, 'text', choice.text) } : choice),
  release: (choice, rest) => ({ ...choice, text: choice.text + (rest.get(CONTENT) ?? '') }),
  empty: (index) => ({ index, text: '', finish_reason: null }),
};

export const guardChatStream = (ctx: RequestContext, plan: OutputPlan, source: AsyncIterable<ChatChunk>) => guardStream(ctx, plan, source, CHAT_CHOICE);

export const guardCompletionStream = (ctx: RequestContext, plan: OutputPlan, source: AsyncIterable<CompletionChunk>) => guardStream(ctx, plan, source, COMPLETION_CHOICE);
