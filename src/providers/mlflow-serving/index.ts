// Models served by MLflow (`mlflow models serve`, Databricks Model Serving, a Docker image built by
// MLflow): requests go to POST {model_server_url}/invocations in MLflow's scoring protocol.
// As MLflow's gateway does by default, inputs are sent as {"inputs": [...]} with the request's other
// parameters as "params", and the {"predictions": [...]} answer is read back.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { badRequest } from '../../core/errors.js';
import type { ChatChunk, ChatRequest, ChatResponse, CompletionRequest, CompletionResponse, EmbeddingsRequest, EmbeddingsResponse } from '../../core/types.js';
import { postJson, type Upstream } from '../shared/post.js';
import type { CallOptions, ProviderClient, ProviderDefinition } from '../types.js';
import { PAYLOAD_FORMATS, scoringPayload, textPredictions, vectorPredictions } from './scoring.js';

const configSchema = z.strictObject({
  model_server_url: z.url({ message: 'model_server_url must be a URL such as http://localhost:5001' }).meta({
    description: 'URL of the MLflow model server; requests go to {model_server_url}/invocations.',
  }),
  payload_format: z.enum(PAYLOAD_FORMATS).default('inputs').meta({
    description: 'How inputs are sent: inputs (default, as MLflow\'s gateway sends them: {"inputs": [...]}), instances, dataframe_split or dataframe_records (one column, input_column).',
  }),
  input_column: z.string().min(1).default('prompt').meta({ description: 'Column name of the inputs in the dataframe_split and dataframe_records formats. Default "prompt".' }),
  headers: z.record(z.string(), z.string()).optional().meta({ description: 'Extra HTTP headers sent to the model server (e.g. an Authorization header; its values are treated as secrets).' }),
});

type ServingConfig = z.infer<typeof configSchema>;

export const mlflowServingProvider: ProviderDefinition<ServingConfig> = {
  name: 'mlflow-model-serving',
  description: 'A model served by MLflow (mlflow models serve, Databricks Model Serving), called through its /invocations scoring API.',
  configSchema,
  secretKeys: [],
  create: ({ config }) => new MlflowServingClient(config),
};

/** Parameters the gateway handles itself; everything else the client sent goes to the model as MLflow `params`. */
const NOT_PARAMS = new Set(['model', 'messages', 'prompt', 'input', 'stream', 'stream_options', 'encoding_format']);

class MlflowServingClient implements ProviderClient {
  private readonly url: string;
  private readonly upstream: Upstream;

  constructor(private readonly config: ServingConfig) {
    this.url = `${config.model_server_url.replace(/\/+$/, '')}/invocations`;
    this.upstream = { provider: mlflowServingProvider.name, headers: { ...config.headers }, secrets: Object.values(config.headers ?? {}) };
  }

  async chat(req: ChatRequest, call: CallOptions): Promise<ChatResponse> {
    const texts = await this.score([chatInput(req)], req, call);
    return {
      id: `chatcmpl-${randomUUID()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: call.model,
      choices: texts.map((content, index) => ({ index, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null })),
    };
  }

  /** The scoring protocol answers all at once: the answer is sent as a stream of one content chunk. */
  async chatStream(req: ChatRequest, call: CallOptions): Promise<AsyncIterable<ChatChunk>> {
    const res = await this.chat(req, call);
    const chunk = (delta: ChatChunk['choices'][0]['delta'], finish: string | null): ChatChunk => ({
      id: res.id,
      object: 'chat.completion.chunk',
      created: res.created,
      model: res.model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    });
    return (async function* () {
      yield chunk({ role: 'assistant', content: '' }, null);
      yield chunk({ content: res.choices[0].message.content }, null);
      yield chunk({}, 'stop');
    })();
  }

  async completions(req: CompletionRequest, call: CallOptions): Promise<CompletionResponse> {
    const prompts = Array.isArray(req.prompt) && typeof req.prompt[0] !== 'number' ? req.prompt : [req.prompt];
    const texts = await this.score(prompts, req, call);
    return {
      id: `cmpl-${randomUUID()}`,
      object: 'text_completion',
      created: Math.floor(Date.now() / 1000),
      model: call.model,
      choices: texts.map((text, index) => ({ index, text, finish_reason: 'stop', logprobs: null })),
    };
  }

  async embeddings(req: EmbeddingsRequest, call: CallOptions): Promise<EmbeddingsResponse> {
    const inputs = Array.isArray(req.input) && typeof req.input[0] !== 'number' ? req.input : [req.input];
    const response = await postJson<unknown>(this.upstream, this.url, this.payload(inputs, req), call);
    const data = vectorPredictions(response).map((embedding, index) => ({ object: 'embedding' as const, index, embedding }));
    // The scoring protocol reports no token counts.
    return { object: 'list', data, model: call.model, usage: { prompt_tokens: 0, total_tokens: 0 } };
  }

  private async score(inputs: unknown[], req: ChatRequest | CompletionRequest, call: CallOptions): Promise<string[]> {
    return textPredictions(await postJson<unknown>(this.upstream, this.url, this.payload(inputs, req), call));
  }

  private payload(inputs: unknown[], req: object): Record<string, unknown> {
    const params = Object.fromEntries(Object.entries(req).filter(([key, value]) => value !== undefined && value !== null && !NOT_PARAMS.has(key)));
    return scoringPayload(this.config.payload_format, this.config.input_column, inputs, params);
  }
}

/** MLflow's gateway sends a chat model one query: the text of the request's single message. */
function chatInput(req: ChatRequest): string {
  if (req.messages.length !== 1) {
    throw badRequest(`Models served by MLflow take one message per chat request; this request has ${req.messages.length}`, 'messages');
  }
  const { content } = req.messages[0];
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => (part.type === 'text' ? (part.text ?? '') : '')).join('');
}
