// Cache metrics, registered on the gateway's Prometheus registry. The endpoint label is the
// endpoint or route the client named (config names, so bounded).
import { Counter } from 'prom-client';
import { registry } from '../telemetry/metrics.js';

export type CacheResult = 'hit' | 'semantic-hit' | 'miss' | 'bypass';

const requests = new Counter({
  name: 'gatehouse_cache_requests_total',
  help: 'Requests to targets with a cache, by result: hit, semantic-hit, miss (asked upstream), bypass (not cacheable or told to skip).',
  labelNames: ['endpoint', 'result'] as const,
  registers: [registry],
});
const savedTokens = new Counter({
  name: 'gatehouse_cache_saved_tokens_total',
  help: 'Tokens (prompt and completion) that cache hits did not spend upstream.',
  labelNames: ['endpoint'] as const,
  registers: [registry],
});
const savedUsd = new Counter({
  name: 'gatehouse_cache_saved_usd_total',
  help: 'USD that cache hits did not spend upstream, priced as the answer was when it was stored.',
  labelNames: ['endpoint'] as const,
  registers: [registry],
});

export function countCacheRequest(endpoint: string, result: CacheResult): void {
  requests.inc({ endpoint, result });
}

export function countSaved(endpoint: string, tokens: number, usd: number | undefined): void {
  savedTokens.inc({ endpoint }, tokens);
  if (usd !== undefined && usd > 0) savedUsd.inc({ endpoint }, usd);
}
