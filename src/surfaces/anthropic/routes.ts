// The Anthropic surface: POST /v1/messages and /v1/messages/count_tokens, for the official
// `@anthropic-ai/sdk` and anything else that speaks Anthropic's Messages API. `model` names a
// Gatehouse chat endpoint or route; the request goes through the same pipeline as OpenAI's.
// The `anthropic-version` and `anthropic-beta` headers are accepted and not needed.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { RequestContext } from '../../core/context.js';
import * as pipeline from '../../core/pipeline.js';
import type { GatewayState, Runtime, Target } from '../../core/runtime.js';
import type { ChatRequest } from '../../core/types.js';
import { assembleForCount } from '../../context/count.js';
import { expandAnthropicPrompt } from '../../prompts/apply.js';
import { fromAnthropicRequest } from '../../translate/anthropic/request-from-anthropic.js';
import { toAnthropicResponse } from '../../translate/anthropic/response-to-anthropic.js';
import { toAnthropicStream } from '../../translate/anthropic/stream-to-anthropic.js';
import type { AnthropicStreamEvent } from '../../translate/anthropic/wire.js';
import { takeContext } from '../context/routes.js';
import { beginRequest, sendError, sendJson, sendSse } from '../http.js';
import { requireModel, requireObject } from '../validate.js';
import { countTokens } from './count-tokens.js';
import { anthropicErrorBody } from './errors.js';

/** Errors Fastify raises before the handler (bad JSON, body too large) get Anthropic's shape too. */
const ANTHROPIC_ROUTE = { config: { errorShape: anthropicErrorBody } };

type Handle = (ctx: RequestContext, body: Record<string, unknown>, model: string, reply: FastifyReply) => Promise<void>;

export function registerAnthropic(app: FastifyInstance, state: GatewayState, log: Logger): void {
  const handler = (handle: Handle) => async (request: FastifyRequest, reply: FastifyReply) => {
    const ctx = beginRequest(request, reply, log);
    try {
      const body = requireObject(request.body);
      await handle(ctx, body, requireModel(body), reply);
    } catch (err) {
      sendError(reply, ctx, err, anthropicErrorBody);
    }
  };

  /** A Messages request's context envelope taken off, its target resolved and its prompt reference (if any) rendered. */
  const chatOf = (ctx: RequestContext, body: Record<string, unknown>, model: string, reply: FastifyReply, opts: Parameters<typeof withPrompt>[4]) => {
    takeContext(ctx, body, reply.server.gatehouseContext);
    const runtime = state.current;
    const target = pipeline.resolveTarget(runtime, model, 'llm/v1/chat');
    return { target, req: withPrompt(runtime, ctx, target, body, opts) };
  };

  app.post(
    '/v1/messages',
    ANTHROPIC_ROUTE,
    handler(async (ctx, body, model, reply) => {
      const { target, req } = chatOf(ctx, body, model, reply, {});
      if (!req.stream) return sendJson(reply, ctx, toAnthropicResponse(await pipeline.chat(ctx, target, req)));
      const events = toAnthropicStream(await pipeline.chatStream(ctx, target, req));
      await sendSse(reply, ctx, events, JSON.stringify, { done: false, errorShape: anthropicErrorBody, event: (e: AnthropicStreamEvent) => e.type });
    }),
  );

  app.post(
    '/v1/messages/count_tokens',
    ANTHROPIC_ROUTE,
    handler(async (ctx, body, model, reply) => {
      const { target, req } = chatOf(ctx, body, model, reply, { forCount: true });
      sendJson(reply, ctx, { input_tokens: await countTokens(ctx, target, await assembleForCount(ctx, target, req)) });
    }),
  );
}

/** The canonical request of a Messages body, with the prompt it names (`prompt: {id, version?, variables}`) rendered in. */
function withPrompt(runtime: Runtime, ctx: RequestContext, target: Target, body: Record<string, unknown>, opts: { forCount?: boolean }): ChatRequest {
  const expanded = expandAnthropicPrompt(runtime.prompts, ctx, target, body);
  const req = fromAnthropicRequest(expanded.body, opts);
  for (const [key, value] of Object.entries(expanded.extra)) req[key] ??= value;
  return req;
}
