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

/** A conversation session of the context protocol (src/context): turns as JSON text, canonical chat messages. */
export interface SessionRow {
  /** The tenant the session belongs to: "team:<name>", "key:<id>", "token:<issuer#subject>" or "anonymous". */
  scope: string;
  id: string;
  turns: string;
  summary: string | null;
  /** Turns dropped from the front so far (summarised or over max_turns). */
  base: number;
  created_at: string;
  updated_at: string;
  expires_at: string;
}

/** Feedback on a request: POST /v1/feedback. */
export interface FeedbackRow {
  id: string;
  request_id: string;
  /** The tenant scope of the request (when the gateway knew it) or of the caller. */
  scope: string;
  session_id: string | null;
  /** From -1 (bad) to 1 (good). */
  score: number;
  comment: string | null;
  created_at: string;
}

/** One applied config: every apply, rollback and changed config file is a new version. */
export interface ConfigVersionRow {
  version: number;
  /** The config as written (YAML or JSON): environment references unresolved, so no secret from the environment. */
  text: string;
  sha256: string;
  /** Who applied it, for people: "admin:alice", "gitlab-ci:group/project pipeline 12 job 34 (alice)", "file:/etc/gatehouse.yaml@host". */
  applied_by: string;
  applied_at: string;
  /** api, rollback or file. */
  source: string;
  message: string | null;
  /** JSON: the identity's details (token claims such as project_path, pipeline_id, job_id, user_login; the caller's address). */
  identity: string;
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
  context_sessions: SessionRow;
  feedback: FeedbackRow;
  config_versions: ConfigVersionRow;
  request_log: RequestLogRow;
}
