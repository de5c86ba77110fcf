// Gemini's GenerateContentResponse -> the canonical chat completion: candidates -> choices,
// text parts -> content, functionCall parts -> tool_calls, finishReason -> finish_reason, usageMetadata -> usage.
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../../core/errors.js';
import type { ChatResponse, ToolCall, Usage } from '../../core/types.js';
import type { GeminiPart } from './messages.js';
import { toolCallId } from './tool-ids.js';

export interface GeminiCandidate {
  index?: number;
  content?: { role?: string; parts?: (GeminiPart & { thought?: boolean })[] };
  finishReason?: string;
}

export interface GeminiUsage {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
  totalTokenCount?: number;
}

export interface GenerateContentResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string; blockReasonMessage?: string };
  usageMetadata?: GeminiUsage;
  modelVersion?: string;
  responseId?: string;
}

/** Finish reasons that mean a safety or policy filter cut the answer. */
const FILTERED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT']);

/** OpenAI's finish_reason for a Gemini finishReason; a candidate that called a function finished with tool_calls. */
export function finishReasonOf(reason: string, calledTools: boolean): string {
  if (reason === 'MAX_TOKENS') return 'length';
  if (FILTERED.has(reason)) return 'content_filter';
  return calledTools ? 'tool_calls' : 'stop';
}

/** A prompt Gemini refused to answer at all: the client's request, so a 400 the client can act on. */
export function promptBlockedError(feedback: GenerateContentResponse['promptFeedback']): GatewayError | undefined {
  if (!feedback?.blockReason) return undefined;
  const detail = feedback.blockReasonMessage ? `: ${feedback.blockReasonMessage}` : '';
  return new GatewayError(400, `Gemini blocked the prompt (blockReason ${feedback.blockReason})${detail}`, { code: 'content_filter' });
}

/**
 * Gemini counts thinking apart from the answer (thoughtsTokenCount) and tool-use prompts apart from the
 * prompt; both are billed, so they are part of completion and prompt tokens, as OpenAI counts reasoning.
 */
export function usageOf(meta: GeminiUsage | undefined): Usage | undefined {
  if (!meta) return undefined;
  const prompt = (meta.promptTokenCount ?? 0) + (meta.toolUsePromptTokenCount ?? 0);
  const thoughts = meta.thoughtsTokenCount ?? 0;
  const completion = (meta.candidatesTokenCount ?? 0) + thoughts;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: meta.totalTokenCount ?? prompt + completion,
    prompt_tokens_details: { cached_tokens: meta.cachedContentTokenCount ?? 0 },
    completion_tokens_details: { reasoning_tokens: thoughts },
  };
}

/** The answer's text and function calls. Thought parts (thinking summaries) are not part of the answer. */
export function partsOf(candidate: GeminiCandidate): { text: string[]; toolCalls: ToolCall[] } {
  const text: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const part of candidate.content?.parts ?? []) {
    if (part.thought) continue;
    if (typeof part.text === 'string') text.push(part.text);
    if (part.functionCall) {
      toolCalls.push({
        id: toolCallId(part.thoughtSignature),
        type: 'function',
        function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) },
      });
    }
  }
  return { text, toolCalls };
}

export function completionId(res: GenerateContentResponse): string {
  return `chatcmpl-${res.responseId ?? randomUUID()}`;
}

export function toChatResponse(res: GenerateContentResponse, model: string): ChatResponse {
  const blocked = promptBlockedError(res.promptFeedback);
  if (blocked && !res.candidates?.length) throw blocked;
  const choices = (res.candidates ?? []).map((candidate, i) => {
    const { text, toolCalls } = partsOf(candidate);
    const message: ChatResponse['choices'][number]['message'] = { role: 'assistant', content: text.length > 0 ? text.join('') : null };
    if (toolCalls.length > 0) message.tool_calls = toolCalls;
    return {
      index: candidate.index ?? i,
      message,
      finish_reason: finishReasonOf(candidate.finishReason ?? 'STOP', toolCalls.length > 0),
      logprobs: null,
    };
  });
  return {
    id: completionId(res),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: res.modelVersion ?? model,
    choices: choices.sort((a, b) => a.index - b.index),
    usage: usageOf(res.usageMetadata),
  };
}
