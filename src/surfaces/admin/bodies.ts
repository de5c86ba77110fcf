// Request bodies of the admin API, checked with the same schemas as the config's teams and keys.
import { z } from 'zod';
import { PolicySchema } from '../../config/schema-access.js';
import { parseDurationMs } from '../../config/duration.js';
import { badRequest } from '../../core/errors.js';

const expiry = {
  expires_at: z.iso.datetime({ offset: true }).nullish(),
  /** A duration from now: seconds, or "15m", "24h", "30d". */
  expires_in: z.union([z.string(), z.number()]).optional(),
};

export const TeamBody = PolicySchema.extend({ name: z.string().regex(/^[\w.:-]+$/, 'team names use letters, digits, ".", "_", ":" and "-"') });
export const TeamPatch = PolicySchema;
export const KeyBody = PolicySchema.extend({ name: z.string().min(1).max(200), team: z.string().optional(), tags: z.array(z.string()).optional(), ...expiry });
export const KeyPatch = PolicySchema.partial().extend({ name: z.string().min(1).max(200).optional(), tags: z.array(z.string()).optional(), ...expiry });
export const RotateBody = z.strictObject({ grace: z.union([z.string(), z.number()]).optional() });

/** Parses a body, or throws a 400 that names the first problem. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue.path.join('.');
  throw badRequest(`${where ? `${where}: ` : ''}${issue.message}`, where || null);
}

/** The expiry a body asks for: an absolute time, a duration from now, null to clear, or undefined to keep. */
export function expiryOf(body: { expires_at?: string | null; expires_in?: string | number }, now = Date.now()): string | null | undefined {
  if (body.expires_in !== undefined) return new Date(now + durationMs(body.expires_in, 'expires_in')).toISOString();
  return body.expires_at;
}

/** A duration as config writes them, plus days ("30d"), which key lifetimes need. */
export function durationMs(value: string | number, param: string): number {
  const days = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*d\s*$/.exec(value) : null;
  const ms = days ? Number(days[1]) * 86_400_000 : parseDurationMs(value);
  if (ms === undefined) throw badRequest(`${param}: "${value}" is not a duration; write seconds or a string like "30s", "15m", "24h", "30d"`, param);
  return ms;
}

/** The policy fields of a parsed body (everything but identity fields). */
export function policyOf<T extends Record<string, unknown>>(body: T): z.infer<typeof PolicySchema> {
  const { allow, limits, quotas, budgets, metadata } = body as z.infer<typeof PolicySchema>;
  return Object.fromEntries(Object.entries({ allow, limits, quotas, budgets, metadata }).filter(([, v]) => v !== undefined));
}
