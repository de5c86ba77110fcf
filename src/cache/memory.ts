// The in-process backend: per target, an LRU of entries bounded by count and bytes, with a TTL
// per entry; and a vector index bounded by count, oldest dropped first.
import { cosine, keyMatches, type CacheBackend, type EntryStore, type Neighbour, type PurgeFilter, type VectorIndex } from './backend.js';

interface Entry {
  value: string;
  bytes: number;
  expiresAt: number;
}

/** Least recently used first: a Map keeps insertion order, and a read moves the entry to the end. */
export class MemoryLru implements EntryStore {
  private readonly map = new Map<string, Entry>();
  private bytes = 0;

  constructor(
    private maxEntries: number,
    private maxBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A reload may change the bounds; the store shrinks to them at once. */
  resize(maxEntries: number, maxBytes: number): void {
    if (maxEntries === this.maxEntries && maxBytes === this.maxBytes) return;
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
    this.evict();
  }

  get(key: string): string | undefined {
    const entry = this.map.get(key);
    if (!entry) return undefined;
    this.map.delete(key);
    if (entry.expiresAt <= this.now()) {
      this.bytes -= entry.bytes;
      return undefined;
    }
    this.map.set(key, entry);
    return entry.value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    const bytes = Buffer.byteLength(value) + key.length;
    if (bytes > this.maxBytes) return; // would evict everything and still not fit
    this.delete(key);
    this.map.set(key, { value, bytes, expiresAt: this.now() + ttlMs });
    this.bytes += bytes;
    this.evict();
  }

  get size(): number {
    return this.map.size;
  }

  get byteSize(): number {
    return this.bytes;
  }

  purge(filter: PurgeFilter): number {
    let removed = 0;
    for (const key of [...this.map.keys()]) if (keyMatches(key, filter) && this.delete(key)) removed++;
    return removed;
  }

  private delete(key: string): boolean {
    const old = this.map.get(key);
    if (!old) return false;
    this.map.delete(key);
    this.bytes -= old.bytes;
    return true;
  }

  private evict(): void {
    for (const key of this.map.keys()) {
      if (this.map.size <= this.maxEntries && this.bytes <= this.maxBytes) return;
      this.delete(key);
    }
  }
}

interface Stored {
  partition: string;
  id: string;
  vector: Float32Array;
  expiresAt: number;
}

/** Vectors of one target, at most `maxEntries` over all its partitions, oldest first out. */
export class MemoryVectors implements VectorIndex {
  private readonly all = new Map<string, Stored>();
  private readonly byPartition = new Map<string, Set<Stored>>();

  constructor(private readonly now: () => number = Date.now) {}

  async nearest(partition: string, vector: Float32Array): Promise<Neighbour | undefined> {
    let best: Neighbour | undefined;
    const now = this.now();
    for (const stored of this.byPartition.get(partition) ?? []) {
      if (stored.expiresAt <= now) continue;
      const similarity = cosine(vector, stored.vector);
      if (!best || similarity > best.similarity) best = { id: stored.id, similarity };
    }
    return best;
  }

  async add(partition: string, id: string, vector: Float32Array, ttlMs: number, maxEntries: number): Promise<void> {
    const key = `${partition}|${id}`;
    this.remove(key);
    const stored = { partition, id, vector, expiresAt: this.now() + ttlMs };
    this.all.set(key, stored);
    let set = this.byPartition.get(partition);
    if (!set) this.byPartition.set(partition, (set = new Set()));
    set.add(stored);
    for (const oldest of this.all.keys()) {
      if (this.all.size <= maxEntries) break;
      this.remove(oldest);
    }
  }

  purge(filter: PurgeFilter): void {
    for (const key of [...this.all.keys()]) if (keyMatches(key, filter)) this.remove(key);
  }

  private remove(key: string): void {
    const stored = this.all.get(key);
    if (!stored) return;
    this.all.delete(key);
    const set = this.byPartition.get(stored.partition);
    set?.delete(stored);
    if (set?.size === 0) this.byPartition.delete(stored.partition);
  }
}

export class MemoryBackend implements CacheBackend {
  private readonly stores = new Map<string, MemoryLru>();
  private readonly indexes = new Map<string, MemoryVectors>();

  entries(target: string, maxEntries: number, maxBytes: number): EntryStore {
    let store = this.stores.get(target);
    if (!store) this.stores.set(target, (store = new MemoryLru(maxEntries, maxBytes)));
    else store.resize(maxEntries, maxBytes);
    return store;
  }

  vectors(target: string): VectorIndex {
    let index = this.indexes.get(target);
    if (!index) this.indexes.set(target, (index = new MemoryVectors()));
    return index;
  }

  async purge(filter: PurgeFilter): Promise<number> {
    let removed = 0;
    for (const [target, store] of this.stores) if (filter.target === undefined || filter.target === target) removed += store.purge(filter);
    for (const [target, index] of this.indexes) if (filter.target === undefined || filter.target === target) index.purge(filter);
    return removed;
  }
}
