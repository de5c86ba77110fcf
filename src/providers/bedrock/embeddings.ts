// Embeddings through Bedrock's InvokeModel, whose body is the model family's own format:
// - Amazon Titan (amazon.titan-embed-*): {inputText, dimensions?, normalize?} -> {embedding, inputTextTokenCount};
//   one text per call, so a list of inputs is sent as parallel calls (a few at a time).
// - Cohere (cohere.embed-*): {texts, input_type} -> {embeddings}; up to 96 texts per call. Its token
//   count comes in the x-amzn-bedrock-input-token-count response header.
import { badRequest } from '../../core/errors.js';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../core/types.js';
import type { CallOptions } from '../types.js';

/** Sends one InvokeModel body and returns the JSON answer and Bedrock's input token count header. */
export type Invoke = (body: object) => Promise<{ json: any; inputTokens?: number }>;

const PARALLEL_CALLS = 8;
const COHERE_BATCH = 96;
const COHERE_INPUT_TYPES = ['search_document', 'search_query', 'classification', 'clustering'];

export async function bedrockEmbeddings(req: EmbeddingsRequest, call: CallOptions, invoke: Invoke): Promise<EmbeddingsResponse> {
  const texts = textInputs(req.input);
  for (const key of Object.keys(req)) {
    if (!['model', 'input', 'encoding_format', 'dimensions', 'user', 'input_type'].includes(key)) call.unsupported(key, 'Bedrock embeddings have no such parameter');
  }
  let vectors: { embedding: number[]; tokens: number }[];
  if (call.model.includes('amazon.titan-embed')) vectors = await titan(texts, req, call, invoke);
  else if (call.model.includes('cohere.embed')) vectors = await cohere(texts, req, call, invoke);
  else throw badRequest(`Embeddings on Bedrock are served for amazon.titan-embed-* and cohere.embed-* models, not ${call.model}`, 'model');
  const tokens = vectors.reduce((sum, v) => sum + v.tokens, 0);
  return {
    object: 'list',
    data: vectors.map((v, index) => ({ object: 'embedding', index, embedding: v.embedding })),
    model: call.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

function textInputs(input: EmbeddingsRequest['input']): string[] {
  const inputs: unknown[] = Array.isArray(input) ? input : [input];
  if (inputs.length > 0 && inputs.every((i): i is string => typeof i === 'string')) return inputs;
  throw badRequest('Bedrock embedding models take text input, not token ids', 'input');
}

async function titan(texts: string[], req: EmbeddingsRequest, call: CallOptions, invoke: Invoke) {
  if (req.input_type !== undefined) call.unsupported('input_type', 'Titan embeddings have no input type');
  const v1 = call.model.includes('titan-embed-text-v1') || call.model.includes('titan-embed-image-v1');
  if (req.dimensions !== undefined && v1) call.unsupported('dimensions', 'Titan v1 embeddings have a fixed length');
  const extra = req.dimensions !== undefined && !v1 ? { dimensions: req.dimensions } : {};
  return mapLimited(texts, PARALLEL_CALLS, async (inputText) => {
    const { json } = await invoke({ inputText, ...extra });
    return { embedding: json.embedding as number[], tokens: Number(json.inputTextTokenCount ?? 0) };
  });
}

async function cohere(texts: string[], req: EmbeddingsRequest, call: CallOptions, invoke: Invoke) {
  if (req.dimensions !== undefined) call.unsupported('dimensions', 'Cohere embeddings on Bedrock have a fixed length');
  const inputType = req.input_type ?? 'search_document';
  if (typeof inputType !== 'string' || !COHERE_INPUT_TYPES.includes(inputType)) {
    throw badRequest(`input_type must be one of ${COHERE_INPUT_TYPES.join(', ')}`, 'input_type');
  }
  const batches: string[][] = [];
  for (let i = 0; i < texts.length; i += COHERE_BATCH) batches.push(texts.slice(i, i + COHERE_BATCH));
  const answers = await mapLimited(batches, PARALLEL_CALLS, (batch) => invoke({ texts: batch, input_type: inputType }));
  // Cohere reports tokens per call, not per text: each call's count goes on its first vector.
  return answers.flatMap(({ json, inputTokens }) =>
    (json.embeddings as number[][]).map((embedding, i) => ({ embedding, tokens: i === 0 ? (inputTokens ?? 0) : 0 })),
  );
}

/** Maps items with at most `limit` calls in flight, keeping their order. */
async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
