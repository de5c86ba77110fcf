// The config pieces of routing and resilience: what an endpoint says about its own resilience
// (retries, timeouts, circuit breaker, health checks, price, capacity) and what a route says about
// choosing among its destinations (strategy, stickiness, fallback triggers, balancing, conditions).
// schema.ts assembles them into the endpoint and route schemas.
import { z } from 'zod';
import { duration } from '../config/duration.js';

/** Named failure kinds a retry or a fallback can react to. */
export const TRIGGERS = ['connection_error', 'timeout', 'rate_limited', 'server_error', 'context_length_exceeded', 'content_policy'] as const;
export type TriggerName = (typeof TRIGGERS)[number];

/** A trigger: a failure kind, or an upstream HTTP status. 400 is refused: an invalid request fails on every destination. */
const TRIGGER_HINT = `${TRIGGERS.join(', ')}, or an upstream status code 401-599`;

export const trigger = z
  .union(
    [
      z.enum(TRIGGERS),
      z
        .int()
        .min(401)
        .max(599)
        .meta({ description: 'An upstream HTTP status. 400 (an invalid request) is never a trigger: it would fail on every destination.' }),
    ],
    { error: `a trigger is ${TRIGGER_HINT}` },
  )
  .meta({
    description:
      "connection_error (refused, reset, DNS), timeout, rate_limited (429), server_error (5xx, broken answers), context_length_exceeded, content_policy (a refusal by the provider's content filter), or an upstream status code such as 404.",
  });
export type Trigger = z.infer<typeof trigger>;

export const DEFAULT_RETRY_ON: Trigger[] = ['connection_error', 'timeout', 'rate_limited', 'server_error'];
export const DEFAULT_FALLBACK_ON: Trigger[] = ['connection_error', 'timeout', 'rate_limited', 'server_error'];

const RetrySchema = z
  .strictObject({
    attempts: z.int().min(0).max(10).default(2).meta({ description: 'Retries after the first attempt on this endpoint (0 = none). Default 2.' }),
    backoff: duration('Delay before the first retry; each further retry doubles it, with jitter. Default 200ms.').prefault('200ms'),
    max_backoff: duration('Longest delay between retries. Default 5s.').prefault('5s'),
    max_retry_after: duration(
      "Longest upstream Retry-After the gateway waits for. A longer one is not waited out: the request moves on to the route's next destination (or fails). Default 30s.",
    ).prefault('30s'),
    on: z.array(trigger).default(DEFAULT_RETRY_ON).meta({ description: 'Failures that are retried. Default: connection_error, timeout, rate_limited, server_error.' }),
  })
  .meta({ description: 'Retries on this endpoint, with exponential backoff and jitter that honour the upstream Retry-After.' });

const TimeoutsSchema = z
  .strictObject({
    connect: duration('Upper bound on opening a connection to the upstream; over it the attempt fails as a timeout (504, trigger "timeout"). Default 10s.', { positive: true }).optional(),
    total: duration('Upper bound on a whole attempt, stream included; over it the attempt fails as a timeout.', { positive: true }).optional(),
    first_token: duration('Streams only: upper bound on the wait for the first chunk; over it the attempt fails as a timeout and can fall back.', {
      positive: true,
    }).optional(),
  })
  .meta({ description: 'Attempt timeouts besides `timeout` (which bounds each wait for the upstream).' });

const BreakerSchema = z
  .strictObject({
    failures: z.int().min(1).default(5).meta({ description: 'Failures within `window` that open the breaker. Default 5.' }),
    window: duration('Window in which failures are counted. Default 60s.', { positive: true }).prefault('60s'),
    cooldown: duration('How long an open breaker refuses requests before one probe request is let through (half-open). Default 30s.', {
      positive: true,
    }).prefault('30s'),
  })
  .meta({
    description:
      'Circuit breaker: after `failures` connection errors, timeouts or 5xx within `window` the endpoint is skipped for `cooldown`; then one probe decides whether it closes again.',
  });

const HealthCheckSchema = z
  .strictObject({
    interval: duration('Time between probes.', { positive: true }),
    timeout: duration('Upper bound on one probe. Default 5s.', { positive: true }).prefault('5s'),
    url: z.url().optional().meta({
      description: "A URL probed with GET (2xx = healthy), e.g. vLLM's http://host:8000/health. Without it the probe is a one-token request to the endpoint's model.",
    }),
  })
  .meta({ description: 'Active health checks: an endpoint whose last probe failed is skipped by routes until a probe succeeds.' });

export const PriceSchema = z
  .strictObject({
    input_per_million: z.number().min(0).meta({ description: 'USD per million prompt tokens.' }),
    output_per_million: z.number().min(0).default(0).meta({ description: 'USD per million completion tokens.' }),
    cached_input_per_million: z.number().min(0).optional().meta({ description: "USD per million prompt tokens read from the provider's prompt cache. Default: input_per_million." }),
    cache_write_per_million: z.number().min(0).optional().meta({ description: "USD per million prompt tokens written to the provider's prompt cache (Anthropic, Bedrock). Default: input_per_million." }),
  })
  .meta({
    description:
      'What this endpoint costs, overriding the `pricing` table and the built-in prices: requests are charged (budgets, x-gatehouse-cost-usd, the request log) at this price, and LOAD_BALANCE with balance: lowest_cost prefers the cheapest.',
  });
export type Price = z.infer<typeof PriceSchema>;

const CapacitySchema = z
  .strictObject({
    rpm: z.int().positive().optional().meta({ description: 'Requests per minute this deployment may take.' }),
    tpm: z.int().positive().optional().meta({ description: 'Tokens per minute this deployment may take.' }),
  })
  .meta({ description: 'For LOAD_BALANCE with balance: usage: the deployment gets no more than this per minute.' });

/** Endpoint keys that govern how it is called and judged; spread into the endpoint schema. */
export const endpointRoutingKeys = {
  retry: RetrySchema.optional(),
  timeouts: TimeoutsSchema.optional(),
  circuit_breaker: BreakerSchema.optional(),
  health_check: HealthCheckSchema.optional(),
  price: PriceSchema.optional(),
  capacity: CapacitySchema.optional(),
};

const valueMatch = {
  equals: z.string().optional().meta({ description: 'Matches when the value is exactly this.' }),
  in: z.array(z.string()).min(1).optional().meta({ description: 'Matches when the value is one of these.' }),
};

/** One name or a list of names; a condition holds when any of them matches. */
const names = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional();

const ConditionSchema = z
  .strictObject({
    header: z
      .strictObject({ name: z.string().min(1).meta({ description: 'Request header name (any case).' }), ...valueMatch })
      .optional()
      .meta({ description: 'A request header; with neither `equals` nor `in` it only has to be present.' }),
    metadata: z
      .strictObject({ key: z.string().min(1).meta({ description: 'Key of the request body\'s `metadata` object.' }), ...valueMatch })
      .optional()
      .meta({ description: "A value of the request's `metadata` object; with neither `equals` nor `in` it only has to be present." }),
    tier: z.union([z.string(), z.array(z.string()).min(1)]).optional().meta({
      description: "The request's model tier, from the x-gatehouse-tier header or metadata.tier (matches any listed).",
    }),
    key: names.meta({
      description:
        "The caller's virtual key, by name or id (matches any listed). Tokens (OIDC) and anonymous callers never match.",
    }),
    team: names.meta({ description: "The caller's team, by name (matches any listed); keys and OIDC tokens both act as a team. Anonymous callers never match." }),
    prompt_tokens: z
      .strictObject({
        over: z.int().min(0).optional().meta({ description: 'Matches prompts longer than this many tokens.' }),
        under: z.int().min(1).optional().meta({ description: 'Matches prompts shorter than this many tokens.' }),
      })
      .optional()
      .meta({ description: 'Prompt length in tokens, estimated as characters / 4.' }),
  })
  .meta({ description: 'CONDITIONAL routes: the request matches when every condition given here holds.' });
export type Condition = z.infer<typeof ConditionSchema>;

const ROUTING_STRATEGIES = ['TRAFFIC_SPLIT', 'FALLBACK', 'LOAD_BALANCE', 'CONDITIONAL'] as const;
export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number];
const BALANCE_STRATEGIES = ['round_robin', 'least_in_flight', 'lowest_latency', 'lowest_cost', 'usage'] as const;
export type BalanceStrategy = (typeof BALANCE_STRATEGIES)[number];
const STICKY_KEYS = ['api_key', 'user', 'session', 'header'] as const;

const StickySchema = z
  .strictObject({
    by: z.enum(STICKY_KEYS).meta({
      description:
        'api_key: the caller\'s key (hashed); user: the request\'s `user` field; session: the x-gatehouse-session-id header; header: the header named in `header`. Requests without the key are split at random.',
    }),
    header: z.string().min(1).optional().meta({ description: 'With by: header, the request header whose value is the key.' }),
  })
  .meta({ description: 'TRAFFIC_SPLIT only: the same key always lands on the same destination while the percentages stay the same.' });

/** Route keys besides MLflow's; spread into the route schema. */
export const routeRoutingKeys = {
  routing_strategy: z.enum(ROUTING_STRATEGIES).default('TRAFFIC_SPLIT').meta({
    description:
      "How a destination is chosen. TRAFFIC_SPLIT (MLflow's): by traffic_percentage. FALLBACK: in order, moving on when one fails. LOAD_BALANCE: over equivalent deployments by `balance`, moving on when one fails. CONDITIONAL: the first destination whose `when` matches the request.",
  }),
  sticky: StickySchema.optional(),
  fallback_on: z.array(trigger).optional().meta({
    description: 'FALLBACK and LOAD_BALANCE: failures that move the request on to the next destination. Default: connection_error, timeout, rate_limited, server_error.',
  }),
  balance: z.enum(BALANCE_STRATEGIES).optional().meta({
    description:
      'LOAD_BALANCE: round_robin (weighted, the default), least_in_flight, lowest_latency (peak EWMA), lowest_cost (endpoint `price`), usage (keeps each endpoint under its `capacity`).',
  }),
};

/** Destination keys besides MLflow's; spread into the destination schema. */
export const destinationRoutingKeys = {
  weight: z.number().positive().optional().meta({ description: 'LOAD_BALANCE: relative share for round_robin and tie-breaking (default 1).' }),
  when: ConditionSchema.optional(),
};
