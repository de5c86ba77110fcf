// Admin API access until identity lands: one bearer key, from GATEHOUSE_ADMIN_KEY or the config's
// server.admin_api_key. With neither set the admin API is refused outright, never left open.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import type { GatewayState } from '../../core/runtime.js';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Throws a 403 (no key configured) or 401 (missing or wrong key). Read per request, so a reload can set or change the key. */
export function requireAdmin(request: FastifyRequest, state: GatewayState, env: NodeJS.ProcessEnv): void {
  const expected = env.GATEHOUSE_ADMIN_KEY || state.current.config.server.admin_api_key;
  if (!expected) {
    throw new GatewayError(403, 'The admin API is disabled: set GATEHOUSE_ADMIN_KEY (or server.admin_api_key) to enable it', { code: 'admin_disabled' });
  }
  const header = request.headers.authorization ?? '';
  const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
  // Digests have equal lengths, so the comparison time says nothing about the key.
  if (!given || !timingSafeEqual(digest(given), digest(expected))) {
    throw new GatewayError(401, 'The admin API needs `Authorization: Bearer <admin key>`', { code: 'invalid_admin_key' });
  }
}
