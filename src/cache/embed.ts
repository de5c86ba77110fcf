// Prompt embedders of the semantic cache. The local one needs no network and no model: it hashes
// character trigrams and words into a fixed-length vector (the "hashing trick"), which catches
// rewordings, changed punctuation and case, and small edits, but not paraphrases with other words;
// an embeddings endpoint (any provider) catches those. Every vector is returned with unit length.
import { GatewayError } from '../core/errors.js';
import type { RequestContext } from '../core/context.js';
import type { EndpointRuntime } from '../core/runtime.js';

export type Embedder = (ctx: RequestContext, text: string) => Promise<Float32Array>;

/** FNV-1a, 32 bits: fast, and spreads short strings well enough for hashing features. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function unit(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const x of vector) norm += x * x;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i] /= norm;
  return vector;
}

/** Hashed character trigrams (within words) and whole words, each with a hashed sign so collisions cancel out on average. */
export function localEmbedding(text: string, dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions);
  const add = (feature: string, weight: number) => {
    const hash = fnv1a(feature);
    vector[hash % dimensions] += hash & 0x80000000 ? -weight : weight;
  };
  const words = text.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? [];
  for (const word of words) {
    add(`w:${word}`, 1);
    const padded = ` ${word} `;
    for (let i = 0; i + 3 <= padded.length; i++) add(padded.slice(i, i + 3), 0.5);
  }
  return unit(vector);
}

export const localEmbedder = (dimensions: number): Embedder => async (_ctx, text) => localEmbedding(text, dimensions);

/** Embeds with an embeddings endpoint of the config; its time is booked as upstream time. */
export function endpointEmbedder(endpoint: EndpointRuntime): Embedder {
  return async (ctx, text) => {
    const client = endpoint.client;
    if (!client.embeddings) throw new Error(`the provider of endpoint '${endpoint.name}' has no embeddings API`);
    const res = await ctx.upstream(
      client.embeddings(
        { input: text },
        {
          model: endpoint.model,
          signal: ctx.signal,
          timeoutMs: endpoint.timeoutMs,
          requestId: ctx.id,
          unsupported: () => undefined,
          exposeHeader: () => undefined,
        },
      ),
    );
    const embedding = res.data[0]?.embedding;
    if (embedding === undefined) throw new GatewayError(502, `Endpoint '${endpoint.name}' returned no embedding for the semantic cache`, { code: 'upstream_error' });
    if (typeof embedding !== 'string') return unit(Float32Array.from(embedding));
    const bytes = Buffer.from(embedding, 'base64');
    return unit(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
  };
}
