// Built-in list prices, USD per million tokens, from the providers' public pricing pages (standard
// tier, prompts under any long-context threshold; checked 2026-11). Entries are model-name
// prefixes: the longest matching prefix wins, so dated snapshots ("gpt-4o-2024-08-06") find their
// family. The config's `pricing` table and an endpoint's `price` override anything here.

/** [model prefix, input, output, cached input (cache reads), cache writes]; a missing cache price falls back to input. */
type Row = [prefix: string, input: number, output: number, cachedInput?: number, cacheWrite?: number];

const OPENAI: Row[] = [
  ['gpt-5', 1.25, 10, 0.125],
  ['gpt-5-mini', 0.25, 2, 0.025],
  ['gpt-5-nano', 0.05, 0.4, 0.005],
  ['gpt-4.1', 2, 8, 0.5],
  ['gpt-4.1-mini', 0.4, 1.6, 0.1],
  ['gpt-4.1-nano', 0.1, 0.4, 0.025],
  ['gpt-4o', 2.5, 10, 1.25],
  ['gpt-4o-mini', 0.15, 0.6, 0.075],
  ['gpt-4-turbo', 10, 30],
  ['gpt-4', 30, 60],
  ['gpt-3.5-turbo', 0.5, 1.5],
  ['o1', 15, 60, 7.5],
  ['o1-mini', 1.1, 4.4, 0.55],
  ['o1-pro', 150, 600],
  ['o3', 2, 8, 0.5],
  ['o3-mini', 1.1, 4.4, 0.55],
  ['o3-pro', 20, 80],
  ['o4-mini', 1.1, 4.4, 0.275],
  ['text-embedding-3-small', 0.02, 0],
  ['text-embedding-3-large', 0.13, 0],
  ['text-embedding-ada-002', 0.1, 0],
];

// Cache reads are 0.1x input, 5-minute cache writes 1.25x input.
const ANTHROPIC: Row[] = [
  ['claude-opus-4-5', 5, 25, 0.5, 6.25],
  ['claude-opus-4-6', 5, 25, 0.5, 6.25],
  ['claude-opus-4', 15, 75, 1.5, 18.75],
  ['claude-3-opus', 15, 75, 1.5, 18.75],
  ['claude-sonnet-4', 3, 15, 0.3, 3.75],
  ['claude-3-7-sonnet', 3, 15, 0.3, 3.75],
  ['claude-3-5-sonnet', 3, 15, 0.3, 3.75],
  ['claude-haiku-4-5', 1, 5, 0.1, 1.25],
  ['claude-3-5-haiku', 0.8, 4, 0.08, 1],
  ['claude-3-haiku', 0.25, 1.25, 0.03, 0.3],
];

const GEMINI: Row[] = [
  ['gemini-2.5-pro', 1.25, 10, 0.125],
  ['gemini-2.5-flash', 0.3, 2.5, 0.03],
  ['gemini-2.5-flash-lite', 0.1, 0.4, 0.01],
  ['gemini-2.0-flash', 0.1, 0.4, 0.025],
  ['gemini-2.0-flash-lite', 0.075, 0.3],
  ['gemini-1.5-pro', 1.25, 5],
  ['gemini-1.5-flash', 0.075, 0.3],
  ['gemini-embedding-001', 0.15, 0],
  ['text-embedding-004', 0, 0],
];

const MISTRAL: Row[] = [
  ['mistral-large', 2, 6],
  ['mistral-medium', 0.4, 2],
  ['mistral-small', 0.1, 0.3],
  ['magistral-medium', 2, 5],
  ['magistral-small', 0.5, 1.5],
  ['codestral', 0.3, 0.9],
  ['ministral-8b', 0.1, 0.1],
  ['ministral-3b', 0.04, 0.04],
  ['open-mistral-nemo', 0.15, 0.15],
  ['pixtral-large', 2, 6],
  ['pixtral-12b', 0.15, 0.15],
  ['mistral-embed', 0.1, 0],
];

const COHERE: Row[] = [
  ['command-a', 2.5, 10],
  ['command-r-plus', 2.5, 10],
  ['command-r7b', 0.0375, 0.15],
  ['command-r', 0.15, 0.6],
  ['command-light', 0.3, 0.6],
  ['embed-v4.0', 0.12, 0],
  ['embed-english', 0.1, 0],
  ['embed-multilingual', 0.1, 0],
];

// Bedrock model ids, after any cross-region prefix ("us.", "eu.", "apac.", "global.") is removed.
const BEDROCK: Row[] = [
  ...ANTHROPIC.map(([prefix, ...prices]): Row => [`anthropic.${prefix}`, ...prices]),
  ['amazon.nova-premier', 2.5, 12.5, 0.625],
  ['amazon.nova-pro', 0.8, 3.2, 0.2],
  ['amazon.nova-lite', 0.06, 0.24, 0.015],
  ['amazon.nova-micro', 0.035, 0.14, 0.00875],
  ['amazon.titan-embed-text-v2', 0.02, 0],
  ['amazon.titan-embed-text-v1', 0.1, 0],
  ['cohere.embed-', 0.1, 0],
  ['cohere.command-r-plus', 3, 15],
  ['cohere.command-r', 0.5, 1.5],
  ['meta.llama3-1-8b', 0.22, 0.22],
  ['meta.llama3-1-70b', 0.72, 0.72],
  ['meta.llama3-1-405b', 2.4, 2.4],
  ['meta.llama3-3-70b', 0.72, 0.72],
  ['mistral.mistral-large', 2, 6],
  ['mistral.mistral-small', 1, 3],
];

/** Provider name -> its rows. Azure deployments are often named after the OpenAI model they serve. */
export const PRICE_LIST: Record<string, Row[]> = {
  openai: OPENAI,
  'azure-openai': OPENAI,
  anthropic: ANTHROPIC,
  gemini: GEMINI,
  mistral: MISTRAL,
  cohere: COHERE,
  bedrock: BEDROCK,
  'amazon-bedrock': BEDROCK,
  // The mock provider serves tests and benchmarks: free.
  mock: [['', 0, 0]],
};
