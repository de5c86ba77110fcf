// The shared backend on Redis (storage.redis): every replica reads and writes the same entries.
// Entries are strings with a TTL; Redis bounds their memory with its own maxmemory policy.
// Vectors of one partition are a hash (id -> float32 bytes) with a sorted set of insertion times,
// trimmed to the newest `maxEntries`; a lookup reads the partition's hash and compares locally.
import type { Redis } from 'ioredis';
import { cosine, type CacheBackend, type EntryStore, type Neighbour, type PurgeFilter, type VectorIndex } from './backend.js';

export class RedisBackend implements CacheBackend {
  private readonly store: EntryStore;
  private readonly index: VectorIndex;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    const entry = (key: string) => `${prefix}cache:e:${key}`;
    this.store = {
      get: async (key) => (await redis.get(entry(key))) ?? undefined,
      set: async (key, value, ttlMs) => void (await redis.set(entry(key), value, 'PX', Math.ceil(ttlMs))),
    };
    this.index = new RedisVectors(redis, prefix);
  }

  entries(): EntryStore {
    return this.store;
  }

  vectors(): VectorIndex {
    return this.index;
  }

  async purge(filter: PurgeFilter): Promise<number> {
    const pattern = `${filter.target === undefined ? '*' : literal(filter.target)}|${filter.team === undefined ? '*' : literal(filter.team)}|*`;
    const prefix = literal(this.prefix);
    const entries = await this.unlinkMatching(`${prefix}cache:e:${pattern}`);
    await this.unlinkMatching(`${prefix}cache:v:${pattern}`);
    await this.unlinkMatching(`${prefix}cache:vt:${pattern}`);
    return entries;
  }

  private async unlinkMatching(match: string): Promise<number> {
    let removed = 0;
    const stream = this.redis.scanStream({ match, count: 500 });
    for await (const keys of stream as AsyncIterable<string[]>) {
      if (keys.length === 0) continue;
      removed += await this.redis.unlink(...keys);
    }
    return removed;
  }
}

/** Text matched literally in a SCAN pattern (a prefix may hold glob characters). */
const literal = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&');

class RedisVectors implements VectorIndex {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async nearest(partition: string, vector: Float32Array): Promise<Neighbour | undefined> {
    const stored = await this.redis.hgetallBuffer(`${this.prefix}cache:v:${partition}`);
    let best: Neighbour | undefined;
    for (const [id, bytes] of Object.entries(stored)) {
      const similarity = cosine(vector, new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
      if (!best || similarity > best.similarity) best = { id, similarity };
    }
    return best;
  }

  async add(partition: string, id: string, vector: Float32Array, ttlMs: number, maxEntries: number): Promise<void> {
    const vectors = `${this.prefix}cache:v:${partition}`;
    const times = `${this.prefix}cache:vt:${partition}`;
    const ttl = Math.ceil(ttlMs);
    const results = await this.redis
      .multi()
      .hset(vectors, id, Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength))
      .zadd(times, Date.now(), id)
      .pexpire(vectors, ttl)
      .pexpire(times, ttl)
      .zcard(times)
      .exec();
    // Vectors whose entries expired, then the oldest beyond the bound: a stale best match would hide a live one.
    const expired = await this.redis.zrangebyscore(times, '-inf', Date.now() - ttl);
    const count = Number(results?.[4]?.[1] ?? 0) - expired.length;
    const oldest = count > maxEntries ? await this.redis.zrange(times, expired.length, expired.length + count - maxEntries - 1) : [];
    const ids = [...expired, ...oldest];
    if (ids.length > 0) await this.redis.multi().hdel(vectors, ...ids).zrem(times, ...ids).exec();
  }
}
