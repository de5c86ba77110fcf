// Request ids are UUIDv7 (RFC 9562): the first 48 bits are the time in milliseconds, the rest is
// random. They sort by time, so the request log's primary-key index grows at its end instead of
// taking each new id at a random place (which costs a write several times more on SQLite and
// Postgres once the table is large), and an id tells when its request arrived.
import { randomUUID } from 'node:crypto';

export function newRequestId(now = Date.now()): string {
  const time = now.toString(16).padStart(12, '0');
  // randomUUID() is a v4 UUID: keep its random tail and variant, put the time first and the version 7.
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${randomUUID().slice(15)}`;
}
