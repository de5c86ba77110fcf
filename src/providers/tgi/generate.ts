// Canonical completions <-> Hugging Face Text Generation Inference's native /generate and
// /generate_stream APIs.
import { badRequest, GatewayError } from '../../core/errors.js';
import { redactSecrets } from '../../core/redact.js';
import type { CompletionChunk, CompletionRequest, CompletionResponse, Usage } from '../../core/types.js';
import type { CallOptions } from '../types.js';

export interface GenerateDetails {
  finish_reason?: string;
  generated_tokens?: number;
  /** The prompt's tokens; sent when the request asks for decoder_input_details (not on streams). */
  prefill?: unknown[];
  /** The prompt's length in tokens, reported on stream details by recent TGI versions. */
  input_length?: number;
}

export interface GenerateResponse {
  generated_text: string;
  details?: GenerateDetails;
}

export interface GenerateStreamEvent {
  token?: { text: string; special: boolean };
  generated_text?: string | null;
  details?: GenerateDetails | null;
  error?: string;
}

const FINISH_REASONS: Record<string, string> = { length: 'length', eos_token: 'stop', stop_sequence: 'stop' };

/** Parameters TGI takes under the same name; `top_k` and `repetition_penalty` are TGI's own, sent in the extra body. */
const SAME_NAME = ['seed', 'top_k', 'repetition_penalty', 'frequency_penalty', 'typical_p', 'watermark'];
const HANDLED = new Set(['model', 'prompt', 'stream', 'stream_options', 'max_tokens', 'temperature', 'top_p', 'stop', 'n', ...SAME_NAME]);

/** The text prompts of a request: TGI takes text, not token ids. */
export function textPrompts(prompt: CompletionRequest['prompt']): string[] {
  const prompts: unknown[] = Array.isArray(prompt) ? prompt : [prompt];
  if (prompts.length > 0 && prompts.every((p): p is string => typeof p === 'string')) return prompts;
  throw badRequest('Text Generation Inference takes text prompts: a string or a list of strings', 'prompt');
}

export function toGenerateBody(req: CompletionRequest, prompt: string, stream: boolean, call: CallOptions): Record<string, unknown> {
  for (const [key, value] of Object.entries(req)) {
    if (value !== undefined && value !== null && !HANDLED.has(key)) call.unsupported(key);
  }
  if (typeof req.n === 'number' && req.n !== 1) call.unsupported('n', 'Text Generation Inference generates one answer per prompt');
  const parameters: Record<string, unknown> = { details: true };
  // The prompt's tokens are what usage counts as prompt_tokens; TGI refuses to send them on streams.
  if (!stream) parameters.decoder_input_details = true;
  if (req.max_tokens !== undefined) parameters.max_new_tokens = req.max_tokens;
  // TGI's temperature scales logits as OpenAI's does, but must be > 0: 0 means greedy decoding.
  if (typeof req.temperature === 'number') {
    if (req.temperature > 0) Object.assign(parameters, { temperature: req.temperature, do_sample: true });
    else parameters.do_sample = false;
  }
  // TGI takes top_p strictly below 1; 1 is the same as leaving it out.
  if (typeof req.top_p === 'number' && req.top_p < 1) parameters.top_p = req.top_p;
  if (req.stop) parameters.stop = Array.isArray(req.stop) ? req.stop : [req.stop];
  for (const key of SAME_NAME) if (req[key] !== undefined && req[key] !== null) parameters[key] = req[key];
  return { inputs: prompt, parameters };
}

const finishReason = (reason: string | undefined) => (reason ? (FINISH_REASONS[reason] ?? reason) : null);

function usage(details: GenerateDetails | null | undefined): Usage {
  const prompt = details?.prefill?.length ?? details?.input_length ?? 0;
  const completion = details?.generated_tokens ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** One completion response for the answers to each prompt, usage summed. */
export function toCompletionResponse(answers: GenerateResponse[], id: string, model: string): CompletionResponse {
  const total: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  const choices = answers.map((answer, index) => {
    const u = usage(answer.details);
    total.prompt_tokens += u.prompt_tokens;
    total.completion_tokens += u.completion_tokens;
    total.total_tokens += u.total_tokens;
    return { index, text: answer.generated_text, finish_reason: finishReason(answer.details?.finish_reason) ?? 'stop', logprobs: null };
  });
  return { id, object: 'text_completion', created: Math.floor(Date.now() / 1000), model, choices, usage: total };
}

/** Maps /generate_stream events as they arrive: token text, then the finish reason and usage from the final event's details. */
export async function* toCompletionChunks(events: AsyncIterable<unknown>, id: string, model: string, secrets: readonly string[]): AsyncGenerator<CompletionChunk> {
  const created = Math.floor(Date.now() / 1000);
  const chunk = (text: string, finish: string | null): CompletionChunk => ({ id, object: 'text_completion', created, model, choices: [{ index: 0, text, finish_reason: finish, logprobs: null }] });
  for await (const data of events) {
    const event = data as GenerateStreamEvent;
    if (event.error) {
      throw new GatewayError(502, `Upstream huggingface-text-generation-inference failed mid-stream: ${redactSecrets(event.error, secrets)}`, { code: 'upstream_error' });
    }
    // Special tokens (the end-of-sequence marker) are not part of the text, as in /generate's generated_text.
    if (event.token && !event.token.special && event.token.text) yield chunk(event.token.text, null);
    if (event.details) {
      yield chunk('', finishReason(event.details.finish_reason) ?? 'stop');
      yield { ...chunk('', null), choices: [], usage: usage(event.details) };
    }
  }
}
