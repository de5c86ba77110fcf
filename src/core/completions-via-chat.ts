// Serves the completions API on providers that only have chat: the prompt becomes one user turn,
// and the chat answer's text becomes the completion text.
import type { ChatChunk, ChatRequest, ChatResponse, CompletionChunk, CompletionRequest, CompletionResponse } from './types.js';

export function completionToChat(req: CompletionRequest, prompt: string): ChatRequest {
  const { prompt: _prompt, suffix: _suffix, echo: _echo, best_of: _bestOf, logprobs: _logprobs, ...rest } = req;
  return { ...rest, messages: [{ role: 'user', content: prompt }] };
}

export function chatToCompletion(res: ChatResponse): CompletionResponse {
  return asCompletion(res, res.choices.map((c) => ({ index: c.index, content: c.message.content, finish_reason: c.finish_reason })));
}

export function chatChunkToCompletion(chunk: ChatChunk): CompletionChunk {
  return asCompletion(chunk, chunk.choices.map((c) => ({ index: c.index, content: c.delta.content, finish_reason: c.finish_reason })));
}

/** One mapping for answers and chunks: the same fields, with choice text taken from message or delta. */
function asCompletion(
  source: ChatResponse | ChatChunk,
  choices: { index: number; content: unknown; finish_reason: string | null }[],
): CompletionResponse & CompletionChunk {
  return {
    id: source.id.replace(/^chatcmpl-/, 'cmpl-'),
    object: 'text_completion',
    created: source.created,
    model: source.model,
    choices: choices.map((c) => ({ index: c.index, text: typeof c.content === 'string' ? c.content : '', finish_reason: c.finish_reason, logprobs: null })),
    ...(source.usage ? { usage: source.usage } : {}),
  };
}

/** Several prompts in one request: answers are merged, choice indexes numbered across prompts, usage summed. */
export function mergeCompletions(parts: CompletionResponse[]): CompletionResponse {
  const [first] = parts;
  let index = 0;
  const choices = parts.flatMap((p) => p.choices.map((c) => ({ ...c, index: index++ })));
  const usage = parts.every((p) => p.usage)
    ? parts.reduce(
        (sum, p) => ({
          prompt_tokens: sum.prompt_tokens + p.usage!.prompt_tokens,
          completion_tokens: sum.completion_tokens + p.usage!.completion_tokens,
          total_tokens: sum.total_tokens + p.usage!.total_tokens,
        }),
        { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      )
    : undefined;
  return { ...first, choices, usage };
}
