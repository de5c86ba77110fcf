// Prompts published as REST APIs (`prompts.apis` in config): POST a JSON object of the prompt's
// variables to the API's path, get {output, finish_reason, usage, prompt, model, endpoint, route,
// request_id}; with ?stream=true, Server-Sent Events of {delta} and a last {done: true, …} event.
// The paths change with reloads, so the server's not-found handler looks them up per request.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PromptApiConfig } from '../config/schema-prompts.js';
import type { RequestContext } from '../core/context.js';
import * as pipeline from '../core/pipeline.js';
import type { Runtime } from '../core/runtime.js';
import type { ChatChunk, ChatRequest, Usage } from '../core/types.js';
import { sendError, sendJson, sendSse } from '../surfaces/http.js';
import { methodNotAllowed } from '../surfaces/mlflow/invocations.js';
import { requireObject } from '../surfaces/validate.js';
import { renderPrompt } from './apply.js';

export async function servePromptApi(ctx: RequestContext, runtime: Runtime, api: PromptApiConfig, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  try {
    if (request.method !== 'POST') throw methodNotAllowed(request.method, api.path);
    const variables = requireObject(request.body);
    const target = pipeline.resolveTarget(runtime, api.target, 'llm/v1/chat');
    const { prompt, messages } = renderPrompt(runtime.prompts, ctx, target, { id: api.prompt, version: api.version, variables }, {}, '');
    const req: ChatRequest = { ...prompt.parameters, messages };
    if (wantsStream(request.query)) {
      req.stream = true;
      req.stream_options = { include_usage: true };
      return await sendSse(reply, ctx, resultEvents(ctx, await pipeline.chatStream(ctx, target, req)), JSON.stringify, { done: false });
    }
    const res = await pipeline.chat(ctx, target, req);
    const choice = res.choices[0];
    sendJson(reply, ctx, { output: choice?.message.content ?? '', finish_reason: choice?.finish_reason ?? null, ...summary(ctx, res.model, res.usage) });
  } catch (err) {
    sendError(reply, ctx, err);
  }
}

function wantsStream(query: unknown): boolean {
  const stream = (query as Record<string, unknown> | undefined)?.stream;
  return stream === 'true' || stream === '1';
}

function summary(ctx: RequestContext, model: string, usage: Usage | null | undefined) {
  return { usage: usage ?? null, prompt: ctx.promptVersion, model, endpoint: ctx.endpoint, route: ctx.route, request_id: ctx.id };
}

/** The answer's text as {delta} events, chunk by chunk, then one {done: true} event with the usage. */
async function* resultEvents(ctx: RequestContext, chunks: AsyncIterable<ChatChunk>): AsyncGenerator<Record<string, unknown>> {
  let finish: string | null = null;
  let usage: Usage | null | undefined;
  let model = '';
  for await (const chunk of chunks) {
    model = chunk.model;
    usage = chunk.usage ?? usage;
    const choice = chunk.choices[0];
    if (choice?.finish_reason) finish = choice.finish_reason;
    const text = choice?.delta.content;
    if (typeof text === 'string' && text !== '') yield { delta: text };
  }
  yield { done: true, finish_reason: finish, ...summary(ctx, model, usage) };
}

