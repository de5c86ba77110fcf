// Virtual key secrets: "ghk_" and 43 random base64url characters. Only the sha256 of a secret is
// stored; its first 12 characters stay visible so people can tell keys apart in listings.
import { hash, randomBytes } from 'node:crypto';

const PREFIX_LENGTH = 12;

export interface NewSecret {
  secret: string;
  prefix: string;
  hash: string;
}

export function newSecret(): NewSecret {
  const secret = `ghk_${randomBytes(32).toString('base64url')}`;
  return { secret, prefix: secret.slice(0, PREFIX_LENGTH), hash: hashSecret(secret) };
}

/**
 * The stored form of a secret (hex sha256). A fast hash is enough: secrets are 256 random bits, not
 * passwords. The one-shot `hash` costs a third of a createHash() object on every request.
 */
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'hex');
}

/** Whether a bearer looks like a JWT (three base64url parts, a JSON header) rather than a key. */
export const looksLikeJwt = (bearer: string) => bearer.startsWith('eyJ') && bearer.split('.').length === 3;
