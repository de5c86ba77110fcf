// The database tables, as Kysely sees them. Times are ISO 8601 strings and structured fields JSON
// text, so one schema serves SQLite and Postgres alike.
import type { Generated } from 'kysely';

export interface TeamRow {
  id: string;
  name: string;
  /** JSON of the team's Policy (allow, limits, quotas, budgets, metadata). */
  policy: string;
  created_at: string;
  updated_at: string;
}

export interface KeyRow {
  id: string;
  name: string;
  /** The visible start of the secret, e.g. "ghk_1a2b3c4d", for people to recognise a key. */
  prefix: string;
  /** sha256 hex of the secret; the secret itself is never stored. */
  hash: string;
  /** The secret before the last rotation, valid until previous_valid_until. */
  previous_hash: string | null;
  previous_valid_until: string | null;
  team_id: string | null;
  policy: string;
  tags: string;
  expires_at: string | null;
  revoked_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface AuditRow {
  id: Generated<number>;
  at: string;
  actor: string;
  action: string;
  target: string;
  source: string;
  details: string;
}

export interface SpendRow {
  /** "key:<id>" or "team:<id>". */
  scope: string;
  /** The UTC day the spend was booked on (YYYY-MM-DD); budgets sum the days of their period. */
  day: string;
  usd: number;
}

/** One row: bumped on every key or team change, so every replica knows to reload its cache. */
export interface VersionRow {
  id: number;
  version: number;
}

export interface RequestLogRow {
  /** The request id (x-gatehouse-request-id). */
  id: string;
  /** When the request began, ISO 8601 UTC with milliseconds (so text order is time order). */
  at: string;
  /** The caller: key id, or "issuer#subject" for OIDC tokens; null for anonymous callers. */
  key_id: string | null;
  key_name: string | null;
  team: string | null;
  end_user: string | null;
  endpoint: string | null;
  route: string | null;
  variant: string | null;
  provider: string | null;
  model: string | null;
  method: string;
  path: string;
  status: number;
  /** The error code (e.g. rate_limit_exceeded, upstream_error); null on success. */
  error: string | null;
  stream: number;
  attempts: number;
  fallbacks: number;
  latency_ms: number;
  ttft_ms: number | null;
  overhead_ms: number;
  upstream_ms: number;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cached_tokens: number | null;
  /** 1 when the gateway counted the tokens (the provider reported none). */
  usage_estimated: number;
  cost_usd: number | null;
  cache_status: string | null;
  session_id: string | null;
  prompt_version: string | null;
  trace_id: string | null;
  /** Only on endpoints with log_bodies: the request as sent upstream (after redaction) and the answer, JSON. */
  request_body: string | null;
  response_body: string | null;
}

export interface Database {
  teams: TeamRow;
  api_keys: KeyRow;
  audit_log: AuditRow;
  spend: SpendRow;
  access_version: VersionRow;
  request_log: RequestLogRow;
}
