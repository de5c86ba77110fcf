// Alert state shared by every replica through Redis (storage.redis), so one incident makes one
// alert and one resolve however many replicas see it:
// - window totals: each replica adds its windows' totals to a hash per rule at each evaluation and
//   reads back every live replica's, so all judge the same sums;
// - incident claims: the first replica to see a breach claims the incident (and announces it); its
//   claim is a lease it renews at each evaluation. The claimant resolves it; when the claimant stops
//   renewing (it stopped or crashed), another replica takes the claim over without a new alert.
// Times in these scripts are Redis's own, so replicas with skewed clocks agree.
import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Shared } from '../../store/redis.js';
import type { Incident } from './channels.js';
import type { GroupTotals } from './rules.js';
import { addTotals, BUCKETS, type WindowTotals } from './window.js';

/** How long an incident nobody renews is remembered (every replica down): then it is forgotten. */
const KEEP_MS = 15 * 60_000;
/** A lease is at least this long, whatever evaluate_every is: room for Redis round trips. */
const MIN_LEASE_MS = 2_000;

// KEYS: the rule's totals hash. ARGV: replica, its totals (JSON), lease ms, keep ms.
// Stores this replica's totals and returns every replica's that were stored within the lease.
const EXCHANGE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], now .. '|' .. ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
local all, out = redis.call('HGETALL', KEYS[1]), {}
for i = 1, #all, 2 do
  local v = all[i + 1]
  local sep = string.find(v, '|', 1, true)
  if now - tonumber(string.sub(v, 1, sep - 1)) <= tonumber(ARGV[3]) then out[#out + 1] = string.sub(v, sep + 1)
  else redis.call('HDEL', KEYS[1], all[i]) end
end
return out
`;

// KEYS: the incident hash, the set of open incidents. ARGV: replica, lease ms, keep ms, incident (JSON), id.
// Returns 'fire' (new: this replica announces it), 'own' (held or taken over) or 'other', then the hash.
const CLAIM = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local owner = redis.call('HGET', KEYS[1], 'owner')
local status = 'own'
if not owner then
  status = 'fire'
  redis.call('HSET', KEYS[1], 'started', now)
  redis.call('SADD', KEYS[2], ARGV[5])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
elseif owner ~= ARGV[1] and now - tonumber(redis.call('HGET', KEYS[1], 'renewed')) <= tonumber(ARGV[2]) then
  return { 'other' }
end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'renewed', now, 'incident', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local out = { status }
for _, v in ipairs(redis.call('HGETALL', KEYS[1])) do out[#out + 1] = v end
return out
`;

// KEYS: the incident hash, the set of open incidents. ARGV: replica, lease ms, id.
// Returns 'resolve' and the hash (this replica holds the claim, or its holder's lease ran out;
// the incident is removed), 'other' (another replica holds it) or 'gone' (already resolved).
const RELEASE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner then
  redis.call('SREM', KEYS[2], ARGV[3])
  return { 'gone' }
end
if owner ~= ARGV[1] and now - tonumber(redis.call('HGET', KEYS[1], 'renewed')) <= tonumber(ARGV[2]) then return { 'other' } end
local out = { 'resolve' }
for _, v in ipairs(redis.call('HGETALL', KEYS[1])) do out[#out + 1] = v end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[3])
return out
`;

type Scripted = Redis & {
  gatehouseAlertExchange(key: string, ...args: (string | number)[]): Promise<string[]>;
  gatehouseAlertClaim(incident: string, open: string, ...args: (string | number)[]): Promise<string[]>;
  gatehouseAlertRelease(incident: string, open: string, ...args: (string | number)[]): Promise<string[]>;
};

export type ClaimStatus = 'fire' | 'own' | 'other';

/** An incident as the claim stores it; `issues` are the GitLab issues opened for it. */
export type StoredIncident = Omit<Incident, 'issues' | 'resolvedAt'> & { issues: Map<string, number> };

export class SharedAlerts {
  /** This process, as the owner of its claims and totals. */
  readonly replica = randomUUID();
  private readonly redis: Scripted;
  private readonly prefix: string;

  constructor(shared: Shared) {
    shared.redis.defineCommand('gatehouseAlertExchange', { numberOfKeys: 1, lua: EXCHANGE });
    shared.redis.defineCommand('gatehouseAlertClaim', { numberOfKeys: 2, lua: CLAIM });
    shared.redis.defineCommand('gatehouseAlertRelease', { numberOfKeys: 2, lua: RELEASE });
    this.redis = shared.redis as Scripted;
    this.prefix = `${shared.prefix}alerts:`;
  }

  /** How long a claim or a replica's totals count without being renewed. */
  static leaseMs(evaluateEvery: number): number {
    return Math.max(MIN_LEASE_MS, 3 * evaluateEvery);
  }

  /**
   * Adds this replica's window totals of a rule to the shared ones and returns every live
   * replica's added up. `definition` tells rules apart: a changed rule starts new totals.
   */
  async exchange(definition: string, mine: ReadonlyMap<string, GroupTotals>, leaseMs: number): Promise<Map<string, GroupTotals>> {
    const key = `${this.prefix}totals:${createHash('sha256').update(definition).digest('hex').slice(0, 16)}`;
    const parts = await this.redis.gatehouseAlertExchange(key, this.replica, JSON.stringify([...mine].map(([group, g]) => [group, g.label, packTotals(g.totals)])), leaseMs, KEEP_MS);
    const groups = new Map<string, { label: string; parts: WindowTotals[] }>();
    for (const part of parts) {
      for (const [group, label, packed] of JSON.parse(part) as [string, string, PackedTotals][]) {
        let entry = groups.get(group);
        if (!entry) groups.set(group, (entry = { label, parts: [] }));
        entry.parts.push(unpackTotals(packed));
      }
    }
    return new Map([...groups].map(([group, { label, parts }]) => [group, { label, totals: addTotals(parts) }]));
  }

  /** Claims (or renews the claim on) an incident that breaches now. */
  async claim(incident: Omit<StoredIncident, 'startedAt' | 'issues'>, leaseMs: number): Promise<{ status: ClaimStatus; stored?: StoredIncident }> {
    const [status, ...hash] = await this.redis.gatehouseAlertClaim(this.key(incident.id), this.openKey(), this.replica, leaseMs, KEEP_MS, JSON.stringify(incident), incident.id);
    return { status: status as ClaimStatus, stored: hash.length ? fromHash(hash) : undefined };
  }

  /** Ends an incident that no longer breaches, if this replica is the one to resolve it. */
  async release(id: string, leaseMs: number): Promise<StoredIncident | undefined> {
    const [status, ...hash] = await this.redis.gatehouseAlertRelease(this.key(id), this.openKey(), this.replica, leaseMs, id);
    return status === 'resolve' ? fromHash(hash) : undefined;
  }

  /** Incidents open on any replica. */
  openIds(): Promise<string[]> {
    return this.redis.smembers(this.openKey());
  }

  /** Remembers the GitLab issue opened for an incident, for whichever replica resolves it. */
  async noteIssue(id: string, channel: string, iid: number): Promise<void> {
    await this.redis.hset(this.key(id), `issue:${channel}`, iid);
  }

  private key(id: string): string {
    return `${this.prefix}incident:${id}`;
  }

  private openKey(): string {
    return `${this.prefix}open`;
  }
}

/** A flat HGETALL answer as the incident it holds. */
function fromHash(flat: string[]): StoredIncident {
  const hash = new Map<string, string>();
  for (let i = 0; i < flat.length; i += 2) hash.set(flat[i], flat[i + 1]);
  const issues = new Map<string, number>();
  for (const [field, value] of hash) if (field.startsWith('issue:')) issues.set(field.slice('issue:'.length), Number(value));
  return { ...(JSON.parse(hash.get('incident')!) as Omit<StoredIncident, 'startedAt' | 'issues'>), startedAt: Number(hash.get('started')), issues };
}

/** Totals on the wire: requests, errors, usd, timed and the non-empty latency buckets as [index, count]. */
type PackedTotals = [number, number, number, number, [number, number][]?];

function packTotals(t: WindowTotals): PackedTotals {
  const packed: PackedTotals = [t.requests, t.errors, t.usd, t.timed];
  if (t.histogram) packed.push([...t.histogram].flatMap((n, i) => (n > 0 ? [[i, n] as [number, number]] : [])));
  return packed;
}

function unpackTotals([requests, errors, usd, timed, buckets]: PackedTotals): WindowTotals {
  const totals: WindowTotals = { requests, errors, usd, timed };
  if (buckets) {
    totals.histogram = new Uint32Array(BUCKETS);
    for (const [i, n] of buckets) totals.histogram[i] = n;
  }
  return totals;
}
