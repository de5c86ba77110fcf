// Sticky traffic splits. A request's key (API key, user, session or a header) hashes to a fixed
// point in [0, 100); the destinations own consecutive bands of that range, as wide as their
// percentages, in the order they are listed. The same key therefore lands on the same destination
// for as long as the percentages stay the same. When they change, only keys whose point falls in a
// band that changed hands move: promoting a canary listed last from 10% to 20% moves the users in
// [80, 90) to it and nobody away from it.
import { createHash } from 'node:crypto';
import type { RequestFacts } from './request-facts.js';

export interface StickySpec {
  by: 'api_key' | 'user' | 'session' | 'header';
  header?: string;
}

/** The header a client sends its session id in, for `sticky: {by: session}`. */
const SESSION_HEADER = 'x-gatehouse-session-id';

/** The request's sticky key, or undefined when it has none (it is then split at random). */
export function stickyKey(spec: StickySpec, facts: RequestFacts): string | undefined {
  switch (spec.by) {
    case 'api_key': {
      // The raw key never leaves this function; only its hash places the request.
      const credential = facts.header('authorization') ?? facts.header('x-api-key');
      return credential ? createHash('sha256').update(credential).digest('base64url') : undefined;
    }
    case 'user':
      return facts.user;
    case 'session':
      return facts.header(SESSION_HEADER);
    case 'header':
      return facts.header(spec.header!);
  }
}

/** The key's point in [0, 100), the same for the same route and key (FNV-1a, then murmur3's finalizer to spread similar keys). */
export function stickyPoint(route: string, key: string): number {
  let hash = 0x811c9dc5;
  const text = `${route}\u0000${key}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return ((hash >>> 0) / 0x1_0000_0000) * 100;
}
