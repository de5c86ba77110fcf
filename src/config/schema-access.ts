// Config sections for identity and admission: storage, auth (admin key, OIDC issuers), teams,
// declarative keys, limits and budgets. Kept apart from schema.ts so the core schema stays
// about endpoints and routes; ConfigSchema references each section with one line.
import { z } from 'zod';
import { GuardrailsConfigSchema } from '../guardrails/config/schema.js';
import { duration } from './duration.js';

const glob = z.string().min(1);
const globs = (what: string) =>
  z.array(glob).optional().meta({ description: `${what} this identity may call; "*" matches any run of characters. Left out: all.` });

export const AllowSchema = z
  .strictObject({
    endpoints: globs('Endpoint names'),
    routes: globs('Route names'),
    models: globs('Upstream model names (every model a route can reach must be allowed)'),
  })
  .meta({ description: 'What an identity may call (RBAC). A key gets the intersection of its own and its team\'s lists.' });

export const LIMIT_SCOPES = ['key', 'team', 'endpoint', 'client_ip', 'user', 'global'] as const;

export const RateLimitSchema = z
  .strictObject({
    rps: z.number().positive().optional().meta({ description: 'Requests per second.' }),
    rpm: z.number().positive().optional().meta({ description: 'Requests per minute.' }),
    rph: z.number().positive().optional().meta({ description: 'Requests per hour.' }),
    rpd: z.number().positive().optional().meta({ description: 'Requests per day.' }),
    tpm: z.number().positive().optional().meta({
      description: 'Tokens per minute: prompt tokens are estimated and taken before the call, then corrected with the usage the upstream reports.',
    }),
    burst: z.int().positive().optional().meta({
      description: 'The most requests accepted at once (the bucket size). Default: the per-period count, so a full period\'s requests may arrive together.',
    }),
    concurrent: z.int().positive().optional().meta({ description: 'Requests in flight at the same time.' }),
    per: z
      .union([z.enum(LIMIT_SCOPES), z.array(z.enum(LIMIT_SCOPES)).min(1)])
      .optional()
      .meta({
        description:
          'What is counted separately: key, team, endpoint (the name called), client_ip, user (the request\'s `user` field or x-gatehouse-user header) or global; a list combines them (e.g. [team, endpoint]). Default: the identity the limit is declared on (key or team), global at top level.',
      }),
    endpoints: globs('Endpoint or route names this limit applies to'),
  })
  .refine((l) => l.rps ?? l.rpm ?? l.rph ?? l.rpd ?? l.tpm ?? l.concurrent, { message: 'give at least one of rps, rpm, rph, rpd, tpm or concurrent' })
  .meta({ description: 'A rate limit. Over it the gateway answers 429 with Retry-After and x-ratelimit-* headers, before any upstream call.' });

export const QuotaSchema = z
  .strictObject({
    calls: z.int().positive().meta({ description: 'Calls allowed per calendar period (UTC).' }),
    period: z.enum(['hour', 'day', 'month']).meta({ description: 'hour, day or month, starting at the calendar boundary (UTC).' }),
    endpoints: globs('Endpoint or route names the quota counts'),
  })
  .meta({ description: 'A quota: calls per calendar hour/day/month, counted per team (or key) and per endpoint.' });

export const BudgetSchema = z
  .strictObject({
    usd: z.number().positive().meta({ description: 'Spend allowed per period, in US dollars.' }),
    period: z.enum(['daily', 'weekly', 'monthly']).meta({ description: 'daily, weekly or monthly.' }),
    window: z.enum(['calendar', 'rolling']).default('calendar').meta({
      description: 'calendar: resets at the start of each UTC day/ISO week/month. rolling: the last 1/7/30 days, counted by day.',
    }),
    soft: z.number().gt(0).lt(1).optional().meta({ description: 'Share of the budget (e.g. 0.8) at which an alert event (budget_threshold) is logged once per period.' }),
    on_exceeded: z.enum(['block', 'downgrade']).default('block').meta({
      description: 'block: refuse requests with `status`. downgrade: send them to `downgrade_to` instead.',
    }),
    status: z.union([z.literal(402), z.literal(429)]).default(402).meta({ description: 'Status of a blocked request: 402 (default) or 429.' }),
    downgrade_to: z.string().min(1).optional().meta({ description: 'The cheaper endpoint or route used once the budget is spent (with on_exceeded: downgrade).' }),
  })
  .refine((b) => b.on_exceeded !== 'downgrade' || b.downgrade_to, { message: 'on_exceeded: downgrade needs downgrade_to' })
  .meta({ description: 'A spend budget in USD. Cost is usage times the price of the endpoint that served (its `price`, the `pricing` table or the built-in list; docs/cost.md).' });

/** Policy fields shared by teams, keys and OIDC rules. */
const policy = {
  allow: AllowSchema.optional(),
  limits: z.array(RateLimitSchema).optional().meta({ description: 'Rate limits of this identity.' }),
  quotas: z.array(QuotaSchema).optional().meta({ description: 'Quotas of this identity.' }),
  budgets: z.array(BudgetSchema).optional().meta({ description: 'Spend budgets of this identity.' }),
  metadata: z.record(z.string(), z.string()).optional().meta({ description: 'Default request metadata (e.g. cost_center), logged with each request.' }),
};

export const PolicySchema = z.strictObject(policy);

/** Config teams and keys only (not the admin API, not OIDC rules): compiled with the config it comes in. */
const guardrails = GuardrailsConfigSchema.optional().meta({
  description:
    "Guardrails added to those of every endpoint or route this identity calls (a key's run after its team's). A rule with the same name as one of the endpoint's (or the team's) replaces it. Rules cannot use action: route.",
});

export const TeamSchema = z
  .strictObject({ name: z.string().regex(/^[\w.:-]+$/).meta({ description: 'Team (tenant) name.' }), ...policy, guardrails })
  .meta({ description: 'A team (tenant). Teams may also be created through the admin API; a config team of the same name wins.' });

export const KeySchema = z
  .strictObject({
    name: z.string().min(1).meta({ description: 'A name for people (e.g. "ci-deploy").' }),
    hash: z
      .string()
      .regex(/^sha256:[0-9a-f]{64}$/)
      .meta({ description: 'sha256:<hex> of the secret, as printed by `gatehouse keys hash` (the secret never goes in config).' }),
    team: z.string().optional().meta({ description: 'The team this key belongs to.' }),
    expires: z.iso.datetime({ offset: true }).optional().meta({ description: 'Expiry time (ISO 8601); refused after it.' }),
    tags: z.array(z.string()).optional().meta({ description: 'Free-form tags.' }),
    ...policy,
    guardrails,
  })
  .meta({ description: 'A virtual key declared in config, by the hash of its secret (GitOps).' });

const claimMatch = z
  .record(z.string(), z.union([z.string(), z.boolean(), z.array(z.string())]))
  .meta({ description: 'Claim name -> glob (or list of globs; any may match). Booleans match "true"/"false" claims. All listed claims must match.' });

export const OidcRuleSchema = z
  .strictObject({
    match: claimMatch.default({}),
    team: z.string().optional().meta({ description: 'Team the token acts as; "{claim}" inserts a claim (e.g. "{namespace_path}").' }),
    ...policy,
  })
  .meta({ description: 'The first rule whose `match` fits the token decides its team and permissions.' });

export const OidcIssuerSchema = z
  .strictObject({
    issuer: z.url().meta({ description: 'Issuer URL; must equal the token\'s iss claim (e.g. https://gitlab.com).' }),
    audience: z.union([z.string(), z.array(z.string())]).meta({ description: 'Accepted aud values (GitLab: the id_tokens aud).' }),
    jwks_uri: z.url().optional().meta({ description: 'Where the signing keys are. Default: discovered from {issuer}/.well-known/openid-configuration.' }),
    team_claim: z.string().optional().meta({ description: 'A claim whose value is the team name, for tokens no rule matches.' }),
    rules: z.array(OidcRuleSchema).default([]).meta({ description: 'Claim rules, in order (see docs/gitlab-ci-oidc.md).' }),
    clock_tolerance: duration('Clock skew tolerated on exp/nbf/iat. Default 30s.').prefault('30s'),
  })
  .meta({ description: 'A trusted OIDC/JWT issuer: bearer tokens it signs are accepted.' });

export const AuthSchema = z
  .strictObject({
    mode: z.enum(['auto', 'required', 'open']).default('auto').meta({
      description: 'auto (default): keys are required once any key or team exists; required: always; open: never (development).',
    }),
    open_endpoints: globs('Endpoints and routes served without a key even when keys are required:'),
    admin_key: z.string().min(16).optional().meta({ description: 'Bearer secret for /admin (write it as $ENV_VAR). Without it, /admin is off.' }),
    oidc: z.array(OidcIssuerSchema).default([]).meta({ description: 'Trusted JWT issuers (OIDC, GitLab CI id_tokens).' }),
  })
  .meta({ description: 'How callers authenticate.' });

export const StorageSchema = z
  .strictObject({
    database: z.string().default('sqlite://./data/gatehouse.db').meta({
      description: 'sqlite://path (embedded, the default ./data/gatehouse.db), sqlite://:memory:, or postgres://… (add ?schema=name to use a schema).',
    }),
    redis: z.string().optional().meta({ description: 'redis://… for state shared by every replica: limits, spend, key revocations. Without it, that state is per process.' }),
    redis_prefix: z.string().default('gatehouse:').meta({ description: 'Prefix of every Redis key and channel (several gateways may share one Redis).' }),
  })
  .meta({ description: 'Where keys, teams, the audit log and spend live.' });

export const TeamsSchema = z.array(TeamSchema).default([]).meta({ description: 'Teams (tenants) declared in config.' });
export const KeysSchema = z.array(KeySchema).default([]).meta({ description: 'Virtual keys declared in config by hash.' });
export const GlobalLimitsSchema = z.array(RateLimitSchema).default([]).meta({ description: 'Limits for everyone (per: global, client_ip, user, endpoint…).' });

export type Allow = z.infer<typeof AllowSchema>;
export type RateLimit = z.infer<typeof RateLimitSchema>;
export type Quota = z.infer<typeof QuotaSchema>;
export type Budget = z.infer<typeof BudgetSchema>;
export type Policy = z.infer<typeof PolicySchema>;
export type TeamConfig = z.infer<typeof TeamSchema>;
export type KeyConfig = z.infer<typeof KeySchema>;
export type OidcIssuer = z.infer<typeof OidcIssuerSchema>;
export type OidcRule = z.infer<typeof OidcRuleSchema>;
export type AuthConfig = z.infer<typeof AuthSchema>;
export type StorageConfig = z.infer<typeof StorageSchema>;
export type LimitScope = (typeof LIMIT_SCOPES)[number];
