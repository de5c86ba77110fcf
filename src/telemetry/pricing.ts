// What a request costs. One path serves budgets, the x-gatehouse-cost-usd header, the request log
// and the metrics: each endpoint's price is resolved once, when the config is loaded (its own
// `price`, else the config's `pricing` table, else the built-in list), and a request is charged
// its usage at that price once (ctx.costUsd).
import type { EndpointConfig, GatewayConfig } from '../config/schema.js';
import type { Usage } from '../core/types.js';
import type { Price } from '../routing/config.js';
import type { PricingTable } from './config.js';
import { PRICE_LIST } from './price-list.js';

export type ModelPrice = Pick<Price, 'input_per_million' | 'output_per_million' | 'cached_input_per_million' | 'cache_write_per_million'>;

/** What accounting needs to know of the endpoint serving a request; resolved with the config. */
export interface EndpointAccounting {
  /** Undefined when no price is known (self-hosted models without a configured price): the cost stays unknown. */
  price?: ModelPrice;
  /** Record prompts and responses in the request log. */
  logBodies: boolean;
}

const REGION_PREFIX = /^(?:us|eu|apac|us-gov|global|jp|au|ca)\./;

/** The longest prefix of `model` among `prefixes`, or undefined. */
function longestPrefix<T>(entries: Iterable<[string, T]>, model: string): T | undefined {
  let best: { length: number; value: T } | undefined;
  for (const [prefix, value] of entries) {
    if (model.startsWith(prefix) && (!best || prefix.length > best.length)) best = { length: prefix.length, value };
  }
  return best?.value;
}

/** The built-in list price of a provider's model. */
export function listPrice(provider: string, model: string): ModelPrice | undefined {
  const rows = PRICE_LIST[provider];
  if (!rows) return undefined;
  const name = provider.includes('bedrock') ? model.replace(REGION_PREFIX, '') : model;
  const row = longestPrefix(rows.map((r) => [r[0], r] as [string, typeof r]), name);
  if (!row) return undefined;
  const [, input, output, cached, write] = row;
  return { input_per_million: input, output_per_million: output, cached_input_per_million: cached, cache_write_per_million: write };
}

/** A price from the config's table: "provider/model" exactly, else the longest "provider/prefix*". */
function tablePrice(table: PricingTable, provider: string, model: string): ModelPrice | undefined {
  const exact = table[`${provider}/${model}`];
  if (exact) return exact;
  const wildcards = Object.entries(table)
    .filter(([key]) => key.endsWith('*') && key.startsWith(`${provider}/`))
    .map(([key, price]): [string, ModelPrice] => [key.slice(provider.length + 1, -1), price]);
  return longestPrefix(wildcards, model);
}

export function resolvePrice(endpoint: EndpointConfig, table: PricingTable): ModelPrice | undefined {
  const { provider, name } = endpoint.model;
  return endpoint.price ?? tablePrice(table, provider, name) ?? listPrice(provider, name);
}

export function endpointAccounting(endpoint: EndpointConfig, config: GatewayConfig): EndpointAccounting {
  return { price: resolvePrice(endpoint, config.pricing), logBodies: endpoint.log_bodies };
}

/** Tokens read from and written to the provider's prompt cache, as the usage reports them. */
export function cacheTokens(usage: Usage): { read: number; write: number } {
  return { read: Number(usage.prompt_tokens_details?.cached_tokens ?? 0), write: Number(usage.cache_creation_input_tokens ?? 0) };
}

/** USD for `usage` at `price`: cache reads and writes at their own prices, the rest of the prompt at the input price. */
export function costUsd(price: ModelPrice, usage: Usage): number {
  const { read, write } = cacheTokens(usage);
  const fresh = Math.max(0, usage.prompt_tokens - read - write);
  const micro =
    fresh * price.input_per_million +
    read * (price.cached_input_per_million ?? price.input_per_million) +
    write * (price.cache_write_per_million ?? price.input_per_million) +
    usage.completion_tokens * price.output_per_million;
  return micro / 1_000_000;
}
