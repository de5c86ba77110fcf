// Whole answers and streams, each turned into the other: a streamed upstream answer is assembled
// into one response to store, and a stored response is replayed to a `stream: true` request as the
// chunks an upstream would have sent (role and content first, then the finish, then usage if asked).
import type { ChatChunk, ChatResponse, CompletionChunk, CompletionResponse, ToolCall, Usage } from '../core/types.js';

/** How one API's answers are assembled from chunks and replayed as chunks. */
export interface AnswerShape<R extends { usage?: Usage }, C> {
  assembler(): { add(chunk: C): void; complete(): boolean; result(usage: Usage | null | undefined): R };
  replay(answer: R, includeUsage: boolean): C[];
}

interface PartialToolCall {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

/** Appends string fields of `delta` to `into` and keeps the others (role, and fields providers add). */
function mergeDelta(into: Record<string, unknown>, delta: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(delta)) {
    if (name === 'tool_calls' || value === undefined) continue;
    into[name] = typeof value === 'string' && typeof into[name] === 'string' && name !== 'role' ? into[name] + value : value;
  }
}

export const CHAT_SHAPE: AnswerShape<ChatResponse, ChatChunk> = {
  assembler() {
    let head: ChatChunk | undefined;
    const choices = new Map<number, { message: Record<string, unknown>; calls: Map<number, PartialToolCall>; finish: string | null }>();
    return {
      add(chunk) {
        head ??= chunk;
        for (const choice of chunk.choices) {
          let acc = choices.get(choice.index);
          if (!acc) choices.set(choice.index, (acc = { message: { role: 'assistant' }, calls: new Map(), finish: null }));
          mergeDelta(acc.message, choice.delta as Record<string, unknown>);
          for (const call of (choice.delta.tool_calls as unknown as PartialToolCall[] | undefined) ?? []) {
            const known = acc.calls.get(call.index);
            if (!known) acc.calls.set(call.index, { ...call, function: { name: call.function?.name ?? '', arguments: call.function?.arguments ?? '' } });
            else if (call.function?.arguments) known.function!.arguments += call.function.arguments;
          }
          if (choice.finish_reason) acc.finish = choice.finish_reason;
        }
      },
      complete: () => head !== undefined && choices.size > 0 && [...choices.values()].every((c) => c.finish !== null),
      result(usage) {
        const list = [...choices.entries()].sort(([a], [b]) => a - b);
        return {
          id: head!.id,
          object: 'chat.completion',
          created: head!.created,
          model: head!.model,
          choices: list.map(([index, acc]) => {
            const message = { content: null, ...acc.message } as ChatResponse['choices'][number]['message'];
            if (acc.calls.size > 0) message.tool_calls = [...acc.calls.values()].map(({ index: _, ...call }) => call as ToolCall);
            return { index, message, finish_reason: acc.finish };
          }),
          ...(usage ? { usage } : {}),
        };
      },
    };
  },
  replay(answer, includeUsage) {
    const head = { id: answer.id, object: 'chat.completion.chunk' as const, created: answer.created, model: answer.model };
    const chunks: ChatChunk[] = answer.choices.map(({ index, message }) => {
      const { tool_calls: calls, ...rest } = message;
      const delta: ChatChunk['choices'][number]['delta'] = { ...rest };
      if (calls) delta.tool_calls = calls.map((call, i) => ({ index: i, ...call })) as unknown as ToolCall[];
      return { ...head, choices: [{ index, delta, finish_reason: null }] };
    });
    chunks.push({ ...head, choices: answer.choices.map(({ index, finish_reason }) => ({ index, delta: {}, finish_reason })) });
    if (includeUsage && answer.usage) chunks.push({ ...head, choices: [], usage: answer.usage });
    return chunks;
  },
};

export const COMPLETION_SHAPE: AnswerShape<CompletionResponse, CompletionChunk> = {
  assembler() {
    let head: CompletionChunk | undefined;
    const choices = new Map<number, { text: string; finish: string | null }>();
    return {
      add(chunk) {
        head ??= chunk;
        for (const choice of chunk.choices) {
          const acc = choices.get(choice.index) ?? { text: '', finish: null };
          acc.text += choice.text ?? '';
          if (choice.finish_reason) acc.finish = choice.finish_reason;
          choices.set(choice.index, acc);
        }
      },
      complete: () => head !== undefined && choices.size > 0 && [...choices.values()].every((c) => c.finish !== null),
      result(usage) {
        const list = [...choices.entries()].sort(([a], [b]) => a - b);
        return {
          id: head!.id,
          object: 'text_completion',
          created: head!.created,
          model: head!.model,
          choices: list.map(([index, acc]) => ({ index, text: acc.text, finish_reason: acc.finish })),
          ...(usage ? { usage } : {}),
        };
      },
    };
  },
  replay(answer, includeUsage) {
    const head = { id: answer.id, object: 'text_completion' as const, created: answer.created, model: answer.model };
    const chunks: CompletionChunk[] = answer.choices.map(({ index, text }) => ({ ...head, choices: [{ index, text, finish_reason: null }] }));
    chunks.push({ ...head, choices: answer.choices.map(({ index, finish_reason }) => ({ index, text: '', finish_reason })) });
    if (includeUsage && answer.usage) chunks.push({ ...head, choices: [], usage: answer.usage });
    return chunks;
  },
};
