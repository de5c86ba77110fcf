// Counters in Redis, exact across every replica: one Lua script reads every check of a request,
// and counts them only if all pass, atomically. Bucket refills use Redis's clock, so replicas
// with skewed clocks still agree.
import type { Redis } from 'ioredis';
import { verdict, type BucketCheck, type Check, type Counters, type GaugeCheck, type Verdict } from './counters.js';

// ARGV per check: kind (b|w|g), capacity|limit, perMs|resetAt, cost. Returns failed index (0: none),
// retry ms, now, then each check's level after the request.
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local levels, failed, retry = {}, 0, 0
for i = 1, #KEYS do
  local kind, a, b, cost = ARGV[i*4-3], tonumber(ARGV[i*4-2]), tonumber(ARGV[i*4-1]), tonumber(ARGV[i*4])
  local level, wait = 0, 0
  if kind == 'b' then
    local v = redis.call('HMGET', KEYS[i], 'l', 't')
    level = a
    if v[1] then level = math.min(a, tonumber(v[1]) + (now - tonumber(v[2])) * b) end
    local need = math.min(cost, a)
    if level < need then wait = math.ceil((need - level) / b) end
  elseif kind == 'w' then
    level = tonumber(redis.call('GET', KEYS[i]) or '0')
    if level + cost > a then wait = b - now end
  else
    level = tonumber(redis.call('GET', KEYS[i]) or '0')
    if level >= a then wait = 1000 end
  end
  if wait > 0 then
    if failed == 0 then failed = i end
    retry = math.max(retry, wait)
  end
  levels[i] = level
end
if failed == 0 then
  for i = 1, #KEYS do
    local kind, a, b, cost = ARGV[i*4-3], tonumber(ARGV[i*4-2]), tonumber(ARGV[i*4-1]), tonumber(ARGV[i*4])
    if kind == 'b' then
      levels[i] = levels[i] - cost
      redis.call('HSET', KEYS[i], 'l', tostring(levels[i]), 't', now)
      redis.call('PEXPIRE', KEYS[i], math.ceil((a - levels[i]) / b) + 1000)
    elseif kind == 'w' then
      levels[i] = redis.call('INCRBY', KEYS[i], cost)
      redis.call('PEXPIREAT', KEYS[i], b)
    else
      levels[i] = redis.call('INCR', KEYS[i])
      redis.call('PEXPIRE', KEYS[i], 600000)
    end
  end
end
local out = { failed, retry, now }
for i = 1, #KEYS do out[#out + 1] = tostring(levels[i]) end
return out
`;

// Takes ARGV[3] from a bucket (capacity ARGV[1], refill ARGV[2] per ms) whatever its level.
const ADJUST = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local a, b, amount = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local v = redis.call('HMGET', KEYS[1], 'l', 't')
local level = a
if v[1] then level = math.min(a, tonumber(v[1]) + (now - tonumber(v[2])) * b) end
level = level - amount
redis.call('HSET', KEYS[1], 'l', tostring(level), 't', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((a - level) / b) + 1000)
`;

// A gauge never goes below zero (a release after Redis lost the key must not free a slot twice).
const RELEASE = `
for i = 1, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
`;

type Scripted = Redis & {
  gatehouseTake(n: number, ...args: (string | number)[]): Promise<(number | string)[]>;
  gatehouseAdjust(key: string, ...args: number[]): Promise<void>;
  gatehouseRelease(n: number, ...keys: string[]): Promise<void>;
};

export class RedisCounters implements Counters {
  private readonly redis: Scripted;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    redis.defineCommand('gatehouseTake', { lua: TAKE });
    redis.defineCommand('gatehouseAdjust', { numberOfKeys: 1, lua: ADJUST });
    redis.defineCommand('gatehouseRelease', { lua: RELEASE });
    this.redis = redis as Scripted;
  }

  async take(checks: Check[]): Promise<Verdict> {
    const keys = checks.map((c) => this.key(c.id));
    const args = checks.flatMap((c) =>
      c.kind === 'bucket' ? ['b', c.capacity, c.perMs, c.cost] : c.kind === 'window' ? ['w', c.limit, c.resetAt, c.cost] : ['g', c.limit, 0, 1],
    );
    const out = await this.redis.gatehouseTake(keys.length, ...keys, ...args);
    const levels = out.slice(3).map(Number);
    return verdict(checks, levels, Number(out[2]), Number(out[0]) - 1, Number(out[1]));
  }

  async adjust(check: BucketCheck, amount: number): Promise<void> {
    await this.redis.gatehouseAdjust(this.key(check.id), check.capacity, check.perMs, amount);
  }

  async release(gauges: GaugeCheck[]): Promise<void> {
    if (gauges.length > 0) await this.redis.gatehouseRelease(gauges.length, ...gauges.map((g) => this.key(g.id)));
  }

  async close(): Promise<void> {}

  private key(id: string): string {
    return `${this.prefix}limit:${id}`;
  }
}
