// A target's cache settings, compiled once per config load: its own `cache` section over the
// gateway's `cache.defaults`, the embedder resolved, durations in milliseconds. Targets without an
// enabled cache get no policy, so the pipeline's whole cost for them is one property check.
import type { GatewayConfig } from '../config/schema.js';
import type { EndpointRuntime, Target } from '../core/runtime.js';
import { endpointEmbedder, localEmbedder, type Embedder } from './embed.js';
import type { CacheSection, CacheScope } from './schema.js';
import type { BackendChoice, ResponseCache } from './service.js';

export interface CachePolicy {
  /** The endpoint or route the policy belongs to (the name the client called). */
  target: string;
  /** The providers and models the target can reach: part of every key, so a reload that changes them starts afresh. */
  models: string;
  ttlMs: number;
  scope: CacheScope;
  maxEntries: number;
  maxBytes: number;
  maxTemperature: number;
  semantic?: { threshold: number; maxEntries: number; embed: Embedder };
  backend: BackendChoice;
  service: ResponseCache;
  /** The config the policy was compiled from, for pricing saved answers. */
  config: GatewayConfig;
}

const HOUR_MS = 3_600_000;

/** The policy of one target, or undefined when it is not cached. `targets` resolves an embedder endpoint. */
export function compileCachePolicy(
  name: string,
  own: CacheSection | undefined,
  config: GatewayConfig,
  targets: ReadonlyMap<string, Target>,
  service: ResponseCache,
): CachePolicy | undefined {
  const defaults = config.cache.defaults;
  // A written section turns the cache on unless it says otherwise; without one, the defaults decide.
  const enabled = own ? (own.enabled ?? true) : (defaults?.enabled ?? false);
  if (!enabled) return undefined;
  const merged: CacheSection = { ...defaults, ...own, semantic: own?.semantic ?? defaults?.semantic };
  const semantic = merged.mode === 'semantic' ? (merged.semantic ?? { threshold: 0.95, max_entries: 1000, embedder: { type: 'local' as const, dimensions: 256 } }) : undefined;
  return {
    target: name,
    models: [...modelsOf(targets.get(name), new Set())].sort().join(','),
    ttlMs: merged.ttl ?? HOUR_MS,
    scope: merged.scope ?? 'team',
    maxEntries: merged.max_entries ?? 10_000,
    maxBytes: merged.max_bytes ?? 64 * 1024 * 1024,
    maxTemperature: merged.max_temperature ?? 0,
    semantic: semantic && { threshold: semantic.threshold, maxEntries: semantic.max_entries, embed: embedderFor(semantic.embedder, targets) },
    backend: config.cache.backend,
    service,
    config,
  };
}

/** provider:model of every endpoint a target can reach through its routes. */
function modelsOf(target: Target | undefined, seen: Set<Target>): Set<string> {
  const models = new Set<string>();
  if (!target || seen.has(target)) return models;
  seen.add(target);
  if (target.kind === 'endpoint') models.add(`${target.provider}:${target.model}`);
  else for (const d of target.destinations) for (const m of modelsOf(d.target, seen)) models.add(m);
  return models;
}

function embedderFor(embedder: NonNullable<CacheSection['semantic']>['embedder'], targets: ReadonlyMap<string, Target>): Embedder {
  if ('type' in embedder) return localEmbedder(embedder.dimensions);
  const target = targets.get(embedder.endpoint);
  // The config checks (references.ts) rule this out for files.
  if (target?.kind !== 'endpoint' || target.type !== 'llm/v1/embeddings') throw new Error(`cache embedder: "${embedder.endpoint}" is no llm/v1/embeddings endpoint`);
  return endpointEmbedder(target as EndpointRuntime);
}
