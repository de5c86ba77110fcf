// Serves the completions API on providers that only have chat: the prompt becomes one user turn,
// and the chat answer's text becomes the completion text.
import type { ChatChunk, ChatRequest, ChatResponse, CompletionChunk, CompletionRequest, CompletionResponse } from './types.js';

export function completionToChat(req: CompletionRequest, prompt: string): ChatRequest {
  const { prompt: _prompt, suffix: _suffix, echo: _echo, best_of: _bestOf, logprobs: _logprobs, ...rest } = req;
  return { ...rest, messages: [{ role: 'user', content: prompt }] };
}

export function chatToCompletion(res: ChatResponse): CompletionResponse {
  return {
    id: res.id.replace(/^chatcmpl-/, 'cmpl-'),
    object: 'text_completion',
    created: res.created,
    model: res.model,
    choices: res.choices.map((c) => ({
      index: c.index,
      text: typeof c.message.content === 'string' ? c.message.content : '',
      finish_reason: c.finish_reason,
      logprobs: null,
    })),
    usage: res.usage,
  };
}

export function chatChunkToCompletion(chunk: ChatChunk): CompletionChunk {
  return {
    id: chunk.id.replace(/^chatcmpl-/, 'cmpl-'),
    object: 'text_completion',
    created: chunk.created,
    model: chunk.model,
    choices: chunk.choices.map((c) => ({
      index: c.index,
      text: typeof c.delta.content === 'string' ? c.delta.content : '',
      finish_reason: c.finish_reason,
      logprobs: null,
    })),
    ...(chunk.usage ? { usage: chunk.usage } : {}),
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
