// The `cache` config: a section on each endpoint and route (what to cache and for how long), and a
// gateway-level section (where entries live, and defaults every target section starts from).
import { z } from 'zod';
import { duration, size } from '../config/duration.js';

export const CACHE_SCOPES = ['key', 'team', 'global'] as const;

const EmbedderSchema = z
  .union([
    z.strictObject({
      type: z.literal('local').meta({ description: 'The built-in embedder: hashed character n-grams. No network, no model download.' }),
      dimensions: z.int().min(16).max(4096).default(256).meta({ description: 'Length of the hashed vectors. Default 256.' }),
    }),
    z.strictObject({
      endpoint: z.string().min(1).meta({ description: 'An llm/v1/embeddings endpoint of this config (any provider) that embeds the prompts.' }),
    }),
  ])
  .meta({ description: 'How prompts are embedded for the semantic cache: {type: local} (default) or {endpoint: <embeddings endpoint>}.' });

const SemanticSchema = z
  .strictObject({
    threshold: z.number().gt(0).max(1).default(0.95).meta({ description: 'Cosine similarity at or above which a cached answer is served. Default 0.95.' }),
    embedder: EmbedderSchema.prefault({ type: 'local' }),
    max_entries: z.int().positive().default(1000).meta({
      description: 'Vectors kept per target and tenant scope (oldest dropped first). Every lookup compares against all of them. Default 1000.',
    }),
  })
  .meta({ description: 'Semantic cache settings (mode: semantic).' });

/** The fields a target may set; all optional so a target section overlays the gateway's defaults. */
const policyFields = {
  enabled: z.boolean().optional().meta({ description: 'Cache this endpoint or route. Default true where a cache section is written (and in `cache.defaults`, false).' }),
  mode: z.enum(['exact', 'semantic']).optional().meta({
    description: 'exact (default): the same normalised request gets the stored answer. semantic: a prompt similar enough (see semantic.threshold) does too; exact matches are served first.',
  }),
  ttl: duration('How long an answer is served from the cache. Default 1h.', { positive: true }).optional(),
  scope: z.enum(CACHE_SCOPES).optional().meta({
    description: 'Who shares entries: team (default; a key without a team shares with itself only), key, or global (every caller). Anonymous callers share one scope.',
  }),
  max_entries: z.int().positive().optional().meta({ description: 'Memory backend: entries kept for this target (least recently used go first). Default 10000.' }),
  max_bytes: size('Memory backend: bytes of answers kept for this target. Default 64MiB.').optional(),
  max_temperature: z.number().min(0).optional().meta({
    description: 'Requests that set a temperature above this are neither served from nor stored in the cache (their answers are meant to vary). Default 0. A request without temperature is cached.',
  }),
  semantic: SemanticSchema.optional(),
};

export const CacheSectionSchema = z
  .strictObject(policyFields)
  .meta({ description: 'Response caching for this endpoint or route (chat and completions). See docs/caching.md.' });

export const CacheGatewaySchema = z
  .strictObject({
    backend: z.enum(['auto', 'memory', 'redis']).default('auto').meta({
      description: 'Where entries live: memory (this process), redis (storage.redis, shared by every replica), or auto (default): redis when storage.redis is set.',
    }),
    defaults: z.strictObject(policyFields).optional().meta({
      description: 'Settings every endpoint and route starts from. With enabled: true every chat and completions target is cached unless its own section says enabled: false.',
    }),
  })
  .meta({ description: 'Response cache backends and defaults. See docs/caching.md.' });

export type CacheSection = z.infer<typeof CacheSectionSchema>;
export type CacheGatewayConfig = z.infer<typeof CacheGatewaySchema>;
export type CacheScope = (typeof CACHE_SCOPES)[number];
export type EmbedderConfig = z.infer<typeof EmbedderSchema>;
