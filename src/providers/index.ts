// The provider registry: every `model.provider` name the config accepts.
import { anthropicProvider } from './anthropic/index.js';
import { bedrockProviders } from './bedrock/index.js';
import { geminiProvider } from './gemini/index.js';
import { mockProvider } from './mock/index.js';
import { openaiProvider } from './openai/index.js';
import { azureOpenAIProvider } from './azure-openai/index.js';
import { cohereProvider } from './cohere/index.js';
import { mistralProvider } from './mistral/index.js';
import { mlflowServingProvider } from './mlflow-serving/index.js';
import { tgiProvider } from './tgi/index.js';
import { togetheraiProvider } from './togetherai/index.js';
import type { ProviderDefinition } from './types.js';

export const providers: readonly ProviderDefinition<any>[] = [openaiProvider, anthropicProvider, ...bedrockProviders, geminiProvider, azureOpenAIProvider, mistralProvider, togetheraiProvider, cohereProvider, tgiProvider, mlflowServingProvider, mockProvider];

const byName = new Map(providers.map((p) => [p.name, p]));

export function findProvider(name: string): ProviderDefinition<any> | undefined {
  return byName.get(name);
}
