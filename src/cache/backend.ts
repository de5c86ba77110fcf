// What the cache stores entries and vectors in. Two implementations: memory.ts (this process,
// bounded LRU) and redis.ts (shared by every replica). The cache stage never knows which it has.

export interface PurgeFilter {
  /** Only entries of this endpoint or route. */
  target?: string;
  /** Only entries of this team (team-scoped, and key-scoped ones of the team's keys). */
  team?: string;
}

export interface EntryStore {
  /** A promise only where the backend must wait (Redis): the memory backend answers at once. */
  get(key: string): string | undefined | Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
}

export interface Neighbour {
  /** The exact key of the entry the vector was stored for. */
  id: string;
  similarity: number;
}

/** Vectors of stored prompts, searched within one partition (target, tenant scope and parameters). */
export interface VectorIndex {
  nearest(partition: string, vector: Float32Array): Promise<Neighbour | undefined>;
  add(partition: string, id: string, vector: Float32Array, ttlMs: number, maxEntries: number): Promise<void>;
}

export interface CacheBackend {
  /** The entry store of one target; `maxEntries`/`maxBytes` bound it where the backend can (memory). */
  entries(target: string, maxEntries: number, maxBytes: number): EntryStore;
  vectors(target: string): VectorIndex;
  /** Removes matching entries and vectors; returns how many entries went. */
  purge(filter: PurgeFilter): Promise<number>;
}

/** Dot product of two unit vectors: their cosine similarity. */
export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) dot += a[i] * b[i];
  return dot;
}

/** The team part of a stored key (`<target>|<team>|<scope>|…`), for purges. */
export function keyMatches(key: string, filter: PurgeFilter): boolean {
  const [target, team] = key.split('|', 2);
  return (filter.target === undefined || filter.target === target) && (filter.team === undefined || filter.team === team);
}
