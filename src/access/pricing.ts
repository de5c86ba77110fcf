// What a call costs. Budgets ask a PriceBook; today the book is the endpoints' `price` settings.
// A pricing table (per provider and model) plugs in as another PriceBook, consulted after config.
import type { GatewayConfig } from '../config/schema.js';
import type { Price } from '../routing/config.js';
import type { Usage } from '../core/types.js';

export interface PricedCall {
  endpoint: string;
  provider?: string;
  model?: string;
}

export interface PriceBook {
  /** USD for the call's usage, or undefined when this book has no price for it. */
  costUsd(call: PricedCall, usage: Usage): number | undefined;
}

export class ConfigPrices implements PriceBook {
  private readonly prices = new Map<string, Price>();

  constructor(config: GatewayConfig) {
    for (const endpoint of config.endpoints) if (endpoint.price) this.prices.set(endpoint.name, endpoint.price);
  }

  costUsd(call: PricedCall, usage: Usage): number | undefined {
    const price = this.prices.get(call.endpoint);
    if (!price) return undefined;
    return (usage.prompt_tokens * price.input_per_million + usage.completion_tokens * price.output_per_million) / 1_000_000;
  }
}

/** The first book with a price wins. */
export function chainPrices(...books: PriceBook[]): PriceBook {
  return { costUsd: (call, usage) => books.reduce<number | undefined>((cost, book) => cost ?? book.costUsd(call, usage), undefined) };
}
