// Hugging Face Text Generation Inference (TGI). Completions use TGI's native /generate API, as
// MLflow's provider does. Chat goes to TGI's Messages API (/v1/chat/completions), where the server
// renders the conversation with the model's own chat template, so no template is guessed here.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { badRequest } from '../../core/errors.js';
import type { ChatRequest, CompletionChunk, CompletionRequest, CompletionResponse } from '../../core/types.js';
import { OpenAICompatibleClient } from '../openai-compatible/client.js';
import { postJson, postSse, type Upstream } from '../shared/post.js';
import type { CallOptions, ProviderClient, ProviderDefinition } from '../types.js';
import { textPrompts, toCompletionChunks, toCompletionResponse, toGenerateBody, type GenerateResponse } from './generate.js';

const configSchema = z.strictObject({
  hf_server_url: z.url({ message: 'hf_server_url must be a URL such as http://tgi:8080' }).meta({ description: 'URL of the Text Generation Inference server, e.g. http://tgi:8080' }),
  hf_api_key: z.string().min(1).optional().meta({
    description: 'Bearer token for servers behind authentication (Hugging Face Inference Endpoints). A secret: $VAR, ${VAR}, {{ VAR }}, a file path or a literal.',
  }),
});

type TgiConfig = z.infer<typeof configSchema>;

export const tgiProvider: ProviderDefinition<TgiConfig> = {
  name: 'huggingface-text-generation-inference',
  description: 'Hugging Face Text Generation Inference: completions through /generate, chat through its Messages API.',
  configSchema,
  secretKeys: ['hf_api_key'],
  create: ({ config }) => new TgiClient(config),
};

class TgiClient implements ProviderClient {
  private readonly base: string;
  private readonly upstream: Upstream;
  private readonly messages: OpenAICompatibleClient;

  constructor(config: TgiConfig) {
    this.base = config.hf_server_url.replace(/\/+$/, '');
    const headers: Record<string, string> = config.hf_api_key ? { authorization: `Bearer ${config.hf_api_key}` } : {};
    const secrets = config.hf_api_key ? [config.hf_api_key] : [];
    this.upstream = { provider: tgiProvider.name, headers, secrets };
    // TGI ends every turn with `eos_token`, tool calls included, and sends tool arguments as JSON objects (normalised by the client).
    this.messages = new OpenAICompatibleClient({ provider: tgiProvider.name, baseUrl: `${this.base}/v1`, headers, secrets, finishReasons: { eos_token: 'stop' } });
  }

  chat(req: ChatRequest, call: CallOptions) {
    return this.messages.chat(req, call);
  }

  chatStream(req: ChatRequest, call: CallOptions) {
    return this.messages.chatStream(req, call);
  }

  /** Several prompts are generated concurrently, one /generate call each (TGI batches them on the server). */
  async completions(req: CompletionRequest, call: CallOptions): Promise<CompletionResponse> {
    const prompts = textPrompts(req.prompt);
    const bodies = prompts.map((prompt) => toGenerateBody(req, prompt, false, call));
    const answers = await Promise.all(bodies.map((body) => postJson<GenerateResponse>(this.upstream, `${this.base}/generate`, body, call)));
    return toCompletionResponse(answers, `cmpl-${randomUUID()}`, call.model);
  }

  async completionsStream(req: CompletionRequest, call: CallOptions): Promise<AsyncIterable<CompletionChunk>> {
    const prompts = textPrompts(req.prompt);
    if (prompts.length !== 1) throw badRequest('Streaming takes one prompt per request on Text Generation Inference', 'prompt');
    const events = await postSse(this.upstream, `${this.base}/generate_stream`, toGenerateBody(req, prompts[0], true, call), call);
    return toCompletionChunks(events, `cmpl-${randomUUID()}`, call.model, this.upstream.secrets);
  }
}
