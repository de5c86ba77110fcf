// Embeddings: Google AI's embedContent (one text) and batchEmbedContents (several), and Vertex AI's
// predict. OpenAI's `dimensions` is Gemini's outputDimensionality. Gemini embeds text only.
import { badRequest } from '../../core/errors.js';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../../core/types.js';
import type { CallOptions } from '../types.js';
import { reportUnsupported } from './request.js';

/** Sends a body to one method of the model and returns the parsed answer. */
export type PostModelMethod = <T>(method: string, body: object, call: CallOptions) => Promise<T>;

const HANDLED = new Set(['model', 'input', 'dimensions', 'encoding_format', 'user']);

function textInputs(req: EmbeddingsRequest, call: CallOptions): string[] {
  reportUnsupported(req, HANDLED, call);
  const inputs: unknown[] = typeof req.input === 'string' ? [req.input] : req.input;
  if (!inputs.every((input): input is string => typeof input === 'string')) {
    throw badRequest('The gemini provider embeds text: give `input` as a string or a list of strings, not token ids', 'input');
  }
  return inputs;
}

function response(vectors: number[][], model: string, promptTokens: number): EmbeddingsResponse {
  return {
    object: 'list',
    data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}

interface GoogleAIEmbedding {
  values: number[];
}

/** Token counts are reported when Google AI sends usageMetadata; older models send none (counted as 0). */
export async function googleAIEmbeddings(req: EmbeddingsRequest, call: CallOptions, post: PostModelMethod): Promise<EmbeddingsResponse> {
  const inputs = textInputs(req, call);
  const dimensions = req.dimensions !== undefined ? { outputDimensionality: req.dimensions } : {};
  const content = (text: string) => ({ content: { parts: [{ text }] }, ...dimensions });
  type Usage = { usageMetadata?: { promptTokenCount?: number } };
  if (inputs.length === 1) {
    const res = await post<{ embedding: GoogleAIEmbedding } & Usage>('embedContent', content(inputs[0]), call);
    return response([res.embedding.values], call.model, res.usageMetadata?.promptTokenCount ?? 0);
  }
  const requests = inputs.map((text) => ({ model: `models/${call.model}`, ...content(text) }));
  const res = await post<{ embeddings: GoogleAIEmbedding[] } & Usage>('batchEmbedContents', { requests }, call);
  return response(
    res.embeddings.map((e) => e.values),
    call.model,
    res.usageMetadata?.promptTokenCount ?? 0,
  );
}

interface VertexPrediction {
  embeddings: { values: number[]; statistics?: { token_count?: number } };
}

export async function vertexEmbeddings(req: EmbeddingsRequest, call: CallOptions, post: PostModelMethod): Promise<EmbeddingsResponse> {
  const inputs = textInputs(req, call);
  const body = {
    instances: inputs.map((content) => ({ content })),
    ...(req.dimensions !== undefined ? { parameters: { outputDimensionality: req.dimensions } } : {}),
  };
  const res = await post<{ predictions: VertexPrediction[] }>('predict', body, call);
  const tokens = res.predictions.reduce((sum, p) => sum + (p.embeddings.statistics?.token_count ?? 0), 0);
  return response(
    res.predictions.map((p) => p.embeddings.values),
    call.model,
    tokens,
  );
}
