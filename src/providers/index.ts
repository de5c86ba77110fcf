// The provider registry: every `model.provider` name the config accepts.
import { mockProvider } from './mock/index.js';
import { openaiProvider } from './openai/index.js';
import type { ProviderDefinition } from './types.js';

export const providers: readonly ProviderDefinition<any>[] = [openaiProvider, mockProvider];

const byName = new Map(providers.map((p) => [p.name, p]));

export function findProvider(name: string): ProviderDefinition<any> | undefined {
  return byName.get(name);
}
