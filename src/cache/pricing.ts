// The price of a cached answer, for the saved-USD metric: the same book budgets use (the endpoints'
// `price` settings, and whatever pricing table is chained into it). Kept to this one function.
import { ConfigPrices, type PricedCall, type PriceBook } from '../access/pricing.js';
import type { GatewayConfig } from '../config/schema.js';
import type { Usage } from '../core/types.js';

const books = new WeakMap<GatewayConfig, PriceBook>();

/** USD the call would have cost upstream, or undefined when no price is known. */
export function priceOf(config: GatewayConfig, call: PricedCall, usage: Usage): number | undefined {
  let book = books.get(config);
  if (!book) books.set(config, (book = new ConfigPrices(config)));
  return book.costUsd(call, usage);
}
