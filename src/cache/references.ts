// Config checks for caching that span entries: a semantic embedder names an llm/v1/embeddings
// endpoint, and caches sit on chat and completions targets only. Loose on purpose: they also run
// on a config that failed the schema.
import { didYouMean, type Path } from '../config/issues.js';

export interface CacheProblem {
  path: Path;
  message: string;
}

type Loose = Record<string, unknown> & { cache?: { semantic?: { embedder?: { endpoint?: unknown } } } };

export function checkCacheReferences(input: unknown): CacheProblem[] {
  const config = (input ?? {}) as { endpoints?: unknown; routes?: unknown; cache?: { defaults?: Loose['cache'] } };
  const list = (value: unknown): Loose[] => (Array.isArray(value) ? value.filter((x) => x && typeof x === 'object') : []);
  const endpoints = list(config.endpoints);
  const typeOf = new Map(endpoints.filter((e) => typeof e.name === 'string').map((e) => [e.name as string, e.endpoint_type]));
  const problems: CacheProblem[] = [];
  const checkEmbedder = (section: Loose['cache'], at: Path) => {
    const name = section?.semantic?.embedder?.endpoint;
    if (typeof name !== 'string') return;
    const where: Path = [...at, 'semantic', 'embedder', 'endpoint'];
    if (!typeOf.has(name)) problems.push({ path: where, message: `"${name}" names no endpoint${didYouMean(name, [...typeOf.keys()])}` });
    else if (typeOf.get(name) !== 'llm/v1/embeddings') problems.push({ path: where, message: `"${name}" serves ${String(typeOf.get(name))}; the semantic cache needs an llm/v1/embeddings endpoint` });
  };
  endpoints.forEach((e, i) => {
    if (e.cache && e.endpoint_type === 'llm/v1/embeddings') problems.push({ path: ['endpoints', i, 'cache'], message: 'the response cache serves chat and completions endpoints; embeddings are not cached' });
    checkEmbedder(e.cache, ['endpoints', i, 'cache']);
  });
  list(config.routes).forEach((r, i) => {
    if (r.cache && r.task_type === 'llm/v1/embeddings') problems.push({ path: ['routes', i, 'cache'], message: 'the response cache serves chat and completions routes; embeddings are not cached' });
    checkEmbedder(r.cache, ['routes', i, 'cache']);
  });
  checkEmbedder(config.cache?.defaults, ['cache', 'defaults']);
  return problems;
}
