// Price resolution and the cost formula: the built-in list by longest model prefix (dated snapshots,
// Bedrock's cross-region ids), the config's pricing table (exact and "prefix*"), an endpoint's own
// price first; cached input and cache writes priced apart.
import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../src/config/schema.js';
import { costUsd, listPrice, resolvePrice } from '../src/telemetry/pricing.js';

const endpoint = (provider: string, name: string, extra: Record<string, unknown> = {}) =>
  ConfigSchema.parse({ endpoints: [{ name: 'e', endpoint_type: 'llm/v1/chat', model: { provider, name, config: provider === 'openai' ? { openai_api_key: 'k' } : {} }, ...extra }] }).endpoints[0];

describe('built-in list', () => {
  it('finds a model family by its longest prefix', () => {
    expect(listPrice('openai', 'gpt-4o-mini-2024-07-18')).toMatchObject({ input_per_million: 0.15, output_per_million: 0.6, cached_input_per_million: 0.075 });
    expect(listPrice('openai', 'gpt-4o-2024-08-06')?.input_per_million).toBe(2.5);
    expect(listPrice('anthropic', 'claude-3-5-haiku-20241022')).toMatchObject({ input_per_million: 0.8, cache_write_per_million: 1 });
    expect(listPrice('azure-openai', 'gpt-4.1-mini')?.input_per_million).toBe(0.4);
  });

  it('reads Bedrock ids with or without a cross-region prefix', () => {
    expect(listPrice('bedrock', 'us.anthropic.claude-sonnet-4-20250514-v1:0')?.input_per_million).toBe(3);
    expect(listPrice('amazon-bedrock', 'amazon.nova-lite-v1:0')?.output_per_million).toBe(0.24);
  });

  it('knows nothing of self-hosted models; the mock is free', () => {
    expect(listPrice('openai', 'my-finetune')).toBeUndefined();
    expect(listPrice('huggingface-text-generation-inference', 'llama')).toBeUndefined();
    expect(listPrice('mock', 'anything')).toMatchObject({ input_per_million: 0, output_per_million: 0 });
  });
});

describe('resolution order', () => {
  const table = ConfigSchema.parse({ pricing: { 'openai/gpt-4o-mini': { input_per_million: 1 }, 'openai/ft:*': { input_per_million: 3, output_per_million: 6 } } }).pricing;

  it("endpoint price, then the table (exact, then prefix*), then the list", () => {
    expect(resolvePrice(endpoint('openai', 'gpt-4o-mini', { price: { input_per_million: 9 } }), table)?.input_per_million).toBe(9);
    expect(resolvePrice(endpoint('openai', 'gpt-4o-mini'), table)?.input_per_million).toBe(1);
    expect(resolvePrice(endpoint('openai', 'ft:gpt-4o-mini:acme'), table)).toMatchObject({ input_per_million: 3, output_per_million: 6 });
    expect(resolvePrice(endpoint('openai', 'gpt-4.1'), table)?.input_per_million).toBe(2);
  });

  it('refuses a pricing key that is not provider/model', () => {
    expect(() => ConfigSchema.parse({ pricing: { 'gpt-4o': { input_per_million: 1 } } })).toThrow(/provider\/model/);
  });
});

describe('cost', () => {
  it('prices cache reads and writes apart from the rest of the prompt', () => {
    const price = { input_per_million: 3, output_per_million: 15, cached_input_per_million: 0.3, cache_write_per_million: 3.75 };
    const usage = { prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100, prompt_tokens_details: { cached_tokens: 600 }, cache_creation_input_tokens: 200 };
    expect(costUsd(price, usage)).toBeCloseTo((200 * 3 + 600 * 0.3 + 200 * 3.75 + 100 * 15) / 1e6, 15);
  });

  it('uses the input price for cached tokens when no cached price is given', () => {
    const usage = { prompt_tokens: 10, completion_tokens: 0, total_tokens: 10, prompt_tokens_details: { cached_tokens: 5 } };
    expect(costUsd({ input_per_million: 2, output_per_million: 0 }, usage)).toBeCloseTo(20 / 1e6, 15);
  });
});
