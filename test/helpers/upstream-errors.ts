// Checks every provider's tests make on how upstream errors reach the client.
import { expect } from 'vitest';

/** A 429 keeps its status and the upstream's Retry-After. */
export function expectRateLimited(res: Response, retryAfter: string): void {
  expect(res.status).toBe(429);
  expect(res.headers.get('retry-after')).toBe(retryAfter);
}

/** A provider key the upstream rejected (401): a 502 naming the upstream status, with the key nowhere in the answer. */
export async function expectRejectedKey(res: Response, key: string): Promise<{ message: string }> {
  expect(res.status).toBe(502);
  const text = await res.text();
  expect(text).not.toContain(key);
  const { error } = JSON.parse(text) as { error: { message: string; upstream_status: number } };
  expect(error.upstream_status).toBe(401);
  return error;
}

/** A request the upstream found too long: a 400 with code context_length_exceeded. */
export async function expectContextLengthExceeded(res: Response): Promise<void> {
  expect(res.status).toBe(400);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe('context_length_exceeded');
}
