// POST /v1/messages/count_tokens. An endpoint served by the anthropic provider gets Anthropic's exact
// count (its count_tokens API, on the request as the provider would send it). Any other endpoint gets
// an estimate, labelled `x-gatehouse-token-count: estimate`: Gatehouse has no tokenizer per model.
import type { RequestContext } from '../../core/context.js';
import { pickEndpoint, type EndpointRuntime, type Target } from '../../core/runtime.js';
import type { ChatMessage, ChatRequest } from '../../core/types.js';
import { AnthropicClient } from '../../providers/anthropic/client.js';
import type { CallOptions } from '../../providers/types.js';

/** Anthropic's figure for an image of about 1.15 megapixels (width * height / 750); the real size is not known here. */
const IMAGE_TOKENS = 1600;
/** Role markers and turn framing per message. */
const MESSAGE_TOKENS = 3;
/** English text averages about four characters per token in Claude's and GPT's tokenizers. */
const CHARS_PER_TOKEN = 4;

export async function countTokens(ctx: RequestContext, target: Target, req: ChatRequest): Promise<number> {
  const { endpoint, route } = pickEndpoint(target);
  ctx.endpoint = endpoint.name;
  ctx.route = route;
  ctx.provider = endpoint.provider;
  ctx.model = endpoint.model;
  const exposed = (ctx.exposedHeaders ??= {});
  if (endpoint.client instanceof AnthropicClient) {
    exposed['x-gatehouse-token-count'] = 'exact';
    return ctx.upstream(endpoint.client.countTokens(req, countCall(ctx, endpoint)));
  }
  exposed['x-gatehouse-token-count'] = 'estimate';
  return estimateTokens(req);
}

/** Counting sends no generation parameters, so none of them needs refusing. */
function countCall(ctx: RequestContext, endpoint: EndpointRuntime): CallOptions {
  return {
    model: endpoint.model,
    signal: ctx.signal,
    timeoutMs: endpoint.timeoutMs,
    requestId: ctx.id,
    unsupported: () => undefined,
    exposeHeader: (name, value) => void ((ctx.exposedHeaders ??= {})[name] = value),
  };
}

/** Characters / 4 over every text, tool call and tool definition, plus framing per message and a flat count per image. */
export function estimateTokens(req: ChatRequest): number {
  let chars = req.tools ? JSON.stringify(req.tools).length : 0;
  let tokens = 0;
  for (const m of req.messages) {
    tokens += MESSAGE_TOKENS;
    chars += textLength(m);
    for (const call of m.tool_calls ?? []) chars += call.function.name.length + call.function.arguments.length;
    if (Array.isArray(m.content)) tokens += m.content.filter((p) => p.type === 'image_url').length * IMAGE_TOKENS;
  }
  return tokens + Math.ceil(chars / CHARS_PER_TOKEN);
}

function textLength(m: ChatMessage): number {
  if (typeof m.content === 'string') return m.content.length;
  return (m.content ?? []).reduce((sum, p) => sum + (typeof p.text === 'string' ? p.text.length : 0), 0);
}
