// The shared-state connection: one command connection and, for change notices, one subscriber
// (a Redis connection in subscribe mode can do nothing else).
import { Redis } from 'ioredis';

export interface Shared {
  redis: Redis;
  /** Prefix of every key and channel. */
  prefix: string;
  /** Calls `onMessage` for each message on `channel` (prefixed). */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<void>;
  publish(channel: string, message: string): Promise<void>;
  close(): Promise<void>;
}

export async function openShared(url: string, prefix: string): Promise<Shared> {
  const options = { lazyConnect: true, maxRetriesPerRequest: 2, enableAutoPipelining: true };
  const redis = new Redis(url, options);
  await redis.connect();
  let subscriber: Redis | undefined;
  return {
    redis,
    prefix,
    async subscribe(channel, onMessage) {
      subscriber ??= new Redis(url, { ...options, enableAutoPipelining: false });
      if (subscriber.status === 'wait') await subscriber.connect();
      await subscriber.subscribe(prefix + channel);
      subscriber.on('message', (from: string, message: string) => {
        if (from === prefix + channel) onMessage(message);
      });
    },
    async publish(channel, message) {
      await redis.publish(prefix + channel, message);
    },
    async close() {
      subscriber?.disconnect();
      redis.disconnect();
    },
  };
}
