// The context envelope, version "1": what a client may send beside its messages, as the `context`
// field of a chat request or as headers (for clients that cannot add body fields). Validated here;
// every refusal is a 400 naming the field. See docs/context-protocol.md.
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { badRequest, GatewayError } from '../core/errors.js';

export const CONTEXT_VERSION = '1';
export const SESSION_HEADER = 'x-gatehouse-session-id';
export const USER_HEADER = 'x-gatehouse-user-id';
export const CONTEXT_HEADER = 'x-gatehouse-context';

const scalar = z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()]);
export const SESSION_ID = z.string().regex(/^[A-Za-z0-9._:@-]{1,128}$/, { message: 'must be 1-128 letters, digits, ".", "_", ":", "@" or "-"' });
const USER_ID = z.string().min(1).max(256);

const DocumentSchema = z.strictObject({
  id: z.string().min(1).max(256),
  text: z.string().max(200_000),
  title: z.string().max(1_000).optional(),
  url: z.string().max(2_000).optional(),
  metadata: z.record(z.string(), scalar).optional(),
});

const EnvelopeSchema = z.strictObject({
  version: z.union([z.literal(CONTEXT_VERSION), z.literal(1)]).optional(),
  session_id: SESSION_ID.optional(),
  user_id: USER_ID.optional(),
  instructions: z.string().max(100_000).optional(),
  documents: z.array(DocumentSchema).max(100).optional(),
  user: z
    .strictObject({
      profile: z.record(z.string(), z.unknown()).optional(),
      preferences: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  metadata: z.record(z.string(), scalar).optional(),
  parameters: z
    .strictObject({
      history: z.boolean().optional(),
      remember: z.boolean().optional(),
      ttl_seconds: z.int().min(1).optional(),
      retrieve: z.boolean().optional(),
    })
    .optional(),
});

export type ContextDocument = z.infer<typeof DocumentSchema>;
export type Envelope = Omit<z.infer<typeof EnvelopeSchema>, 'version'> & { version: typeof CONTEXT_VERSION };

/**
 * Takes the envelope of a chat request: the body's `context` field (removed, so it never goes
 * upstream) over the headers. Undefined when the request carries none, which costs a property
 * check and three header lookups.
 */
export function takeEnvelope(body: Record<string, unknown>, headers: IncomingHttpHeaders | undefined): Envelope | undefined {
  // null is absent, as SDKs send unset optional fields.
  const fromBody = body.context ?? undefined;
  if ('context' in body) delete body.context;
  const encoded = headers?.[CONTEXT_HEADER];
  const session = headers?.[SESSION_HEADER];
  const user = headers?.[USER_HEADER];
  if (fromBody === undefined && encoded === undefined && session === undefined && user === undefined) return undefined;
  const merged: z.infer<typeof EnvelopeSchema> = {};
  if (encoded !== undefined) Object.assign(merged, parse(decodeHeader(encoded), CONTEXT_HEADER));
  if (session !== undefined) merged.session_id = checkHeader(SESSION_ID, session, SESSION_HEADER);
  if (user !== undefined) merged.user_id = checkHeader(USER_ID, user, USER_HEADER);
  if (fromBody !== undefined) Object.assign(merged, parse(fromBody, 'context'));
  return { ...merged, version: CONTEXT_VERSION };
}

/** Refuses the field on APIs that have no conversation (completions, embeddings), instead of forwarding it. */
export function refuseEnvelope(body: Record<string, unknown>): void {
  if (body.context !== undefined) throw badRequest("'context' applies to chat requests only", 'context', 'invalid_context');
}

function parse(value: unknown, where: string): z.infer<typeof EnvelopeSchema> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(`'${where}' must be a JSON object`, where);
  const version = (value as { version?: unknown }).version;
  if (version !== undefined && version !== CONTEXT_VERSION && version !== 1) {
    throw new GatewayError(400, `Unsupported context version ${JSON.stringify(version)}: this gateway speaks version "${CONTEXT_VERSION}"`, {
      param: `${where}.version`,
      code: 'unsupported_context_version',
    });
  }
  const result = EnvelopeSchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = fieldPath(where, issue.path);
  const reason = issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}` : issue.message;
  throw invalid(`Invalid context: '${field}' ${reason.replace(/^Invalid input: /, '')}`, field);
}

function decodeHeader(value: string | string[]): unknown {
  const text = Buffer.from(String(value), 'base64').toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw invalid(`'${CONTEXT_HEADER}' must be base64 of a JSON object`, CONTEXT_HEADER);
  }
}

function checkHeader(schema: z.ZodString, value: string | string[], header: string): string {
  const result = schema.safeParse(value);
  if (!result.success) throw invalid(`'${header}' ${result.error.issues[0].message}`, header);
  return result.data;
}

function fieldPath(root: string, path: PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : `${out}.${String(key)}`), root);
}

const invalid = (message: string, param: string) => badRequest(message, param, 'invalid_context');
