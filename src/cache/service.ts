// The response cache of one gateway process: its memory backend, and the Redis backend once
// shared state is open. Lives as long as the process, so reloads keep what is cached.
import type { GatewayConfig } from '../config/schema.js';
import type { Shared } from '../store/redis.js';
import type { CacheBackend, PurgeFilter } from './backend.js';
import { MemoryBackend } from './memory.js';
import { RedisBackend } from './redis.js';

export type BackendChoice = GatewayConfig['cache']['backend'];

export class ResponseCache {
  private readonly memory = new MemoryBackend();
  private redis?: RedisBackend;

  /** Called once shared state (storage.redis) is open, if it is configured. */
  attach(shared: Shared | undefined, config: GatewayConfig): void {
    if (shared) this.redis = new RedisBackend(shared.redis, shared.prefix);
    else if (config.cache.backend === 'redis') throw new Error('cache.backend is redis, but no Redis is configured: set storage.redis (or GATEHOUSE_REDIS_URL)');
  }

  backend(choice: BackendChoice): CacheBackend {
    if (choice === 'memory' || (choice === 'auto' && !this.redis)) return this.memory;
    if (!this.redis) throw new Error('cache.backend is redis, but no Redis is configured');
    return this.redis;
  }

  /** Purges both backends (a reload may have switched between them); returns the entries removed. */
  async purge(filter: PurgeFilter): Promise<number> {
    const local = await this.memory.purge(filter);
    return local + (this.redis ? await this.redis.purge(filter) : 0);
  }
}
