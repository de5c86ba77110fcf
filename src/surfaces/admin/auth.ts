// The admin API's door: a bearer equal to `auth.admin_key`, compared in constant time. The caller
// may name themselves in x-gatehouse-actor for the audit log; where they came from is recorded too.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Actor } from '../../access/repository.js';
import { credentialOf } from '../../access/authenticate.js';
import { GatewayError } from '../../core/errors.js';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Checks the admin key; returns who is acting for the audit log. */
export function adminActor(request: FastifyRequest, adminKey: string | undefined): Actor {
  if (!adminKey) throw new GatewayError(404, 'The admin API is off: set auth.admin_key in the config to turn it on', { code: 'admin_disabled' });
  const given = credentialOf(request.headers);
  if (given === undefined) throw new GatewayError(401, 'The admin API needs the admin key: send "Authorization: Bearer <admin key>"', { code: 'missing_api_key' });
  if (!timingSafeEqual(digest(given), digest(adminKey))) throw new GatewayError(401, 'The admin key is not valid', { code: 'invalid_api_key' });
  const named = request.headers['x-gatehouse-actor'];
  return { actor: typeof named === 'string' && named !== '' ? `admin:${named.slice(0, 100)}` : 'admin', source: request.ip };
}
