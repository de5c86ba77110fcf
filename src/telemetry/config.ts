// Config sections for accounting: the `pricing` table, the `request_log` settings and the metrics
// switch, plus the per-endpoint `log_bodies` switch. ConfigSchema and EndpointSchema reference them with one line each.
import { z } from 'zod';
import { duration } from '../config/duration.js';
import { PriceSchema } from '../routing/config.js';

export const PricingSchema = z
  .record(
    z.string().regex(/^[^/\s]+\/\S+$/, { message: 'a pricing key is "provider/model", e.g. "openai/gpt-4o-mini" or "openai-compatible/llama-*"' }),
    PriceSchema,
  )
  .default({})
  .meta({
    description:
      'Prices by "provider/model" (a trailing "*" matches any model starting with what precedes it), overriding and extending the built-in price list. An endpoint\'s own `price` wins over both. See docs/cost.md.',
  });

export const RequestLogSchema = z
  .strictObject({
    enabled: z.boolean().default(true).meta({ description: 'Record every request in the request_log table (the source of /admin/usage, /admin/logs and `gatehouse usage`). Default true.' }),
    retention_days: z.int().min(1).default(30).meta({ description: 'Rows older than this many days are deleted (checked hourly). Default 30.' }),
    batch_size: z.int().min(1).max(1000).default(500).meta({ description: 'Rows written per insert; a full batch is written at once. Default 500.' }),
    flush_interval: duration('Longest wait before queued rows are written. Default 1s; takes effect on restart.', { positive: true }).prefault('1s'),
    queue_size: z.int().min(1).default(50_000).meta({
      description:
        'Rows held in memory waiting to be written. When the database cannot keep up and the queue is full, new rows are dropped and counted in gatehouse_request_log_dropped_total. Default 50000.',
    }),
  })
  .meta({ description: 'The request log: one row per request (who, what, tokens, cost, latency), written in batches off the request path.' });

export const MetricsConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true).meta({
      description: 'Count every request in the Prometheus metrics served on GET /metrics. false: /metrics answers 404 and requests skip the counting. Default true.',
    }),
  })
  .meta({ description: 'Prometheus metrics (see docs/observability.md).' });

export const logBodiesKey = z.boolean().default(false).meta({
  description:
    'Also record prompts and responses of this endpoint in the request log, as sent upstream after guardrail redaction (never the raw values a guardrail masked). Default false.',
});

export type RequestLogConfig = z.infer<typeof RequestLogSchema>;
export type PricingTable = z.infer<typeof PricingSchema>;
