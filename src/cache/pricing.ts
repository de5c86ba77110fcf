// The price of a cached answer, for the saved-USD metric: the price accounting gives the endpoint
// that made it (its `price`, the config's pricing table, or the built-in list).
import type { GatewayConfig } from '../config/schema.js';
import type { Usage } from '../core/types.js';
import { costUsd, resolvePrice, type ModelPrice } from '../telemetry/pricing.js';

const prices = new WeakMap<GatewayConfig, Map<string, ModelPrice | undefined>>();

/** USD the answer would have cost upstream on `endpoint`, or undefined when no price is known. */
export function priceOf(config: GatewayConfig, endpoint: string, usage: Usage): number | undefined {
  let byName = prices.get(config);
  if (!byName) prices.set(config, (byName = new Map(config.endpoints.map((e) => [e.name, resolvePrice(e, config.pricing)]))));
  const price = byName.get(endpoint);
  return price && costUsd(price, usage);
}
