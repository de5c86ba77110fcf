// What the client asks of the cache: the x-gatehouse-cache request header (bypass, refresh,
// only-if-cached) and the standard Cache-Control request directives no-cache and no-store.
import type { IncomingHttpHeaders } from 'node:http';
import { badRequest } from '../core/errors.js';

export interface CacheControls {
  /** A stored answer may be served. */
  read: boolean;
  /** The upstream's answer may be stored. */
  write: boolean;
  /** Answer only from the cache: a miss is a 504, never an upstream call. */
  onlyIfCached: boolean;
}

const USE: CacheControls = { read: true, write: true, onlyIfCached: false };

export function cacheControls(headers: IncomingHttpHeaders | undefined): CacheControls {
  const own = headers?.['x-gatehouse-cache'];
  const standard = headers?.['cache-control'];
  if (own === undefined && standard === undefined) return USE;
  const controls = { ...USE };
  if (typeof standard === 'string') {
    const directives = standard.toLowerCase().split(',').map((d) => d.trim());
    if (directives.includes('no-cache')) controls.read = false;
    if (directives.includes('no-store')) controls.write = false;
    if (directives.includes('only-if-cached')) controls.onlyIfCached = true;
  }
  if (own === undefined) return controls;
  switch (String(own).trim().toLowerCase()) {
    case 'bypass':
      return { read: false, write: false, onlyIfCached: false };
    case 'refresh':
      return { ...controls, read: false, write: controls.write };
    case 'only-if-cached':
      return { ...controls, read: true, onlyIfCached: true };
    default:
      throw badRequest(`x-gatehouse-cache: "${String(own)}" is not one of bypass, refresh, only-if-cached`, 'x-gatehouse-cache');
  }
}
