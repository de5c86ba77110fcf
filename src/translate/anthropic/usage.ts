// Token usage between Anthropic's counters and OpenAI's. Anthropic counts cache reads and cache
// writes apart from `input_tokens`; OpenAI's `prompt_tokens` includes cached tokens. So
// prompt_tokens = input + cache_read + cache_creation, with cache_read as `cached_tokens`, and the
// cache writes (billed higher) kept as `cache_creation_input_tokens` for cost accounting.
import type { Usage } from '../../core/types.js';
import type { AnthropicUsage } from './wire.js';

export function usageFromAnthropic(u: Partial<AnthropicUsage>): Usage {
  const cacheRead = u.cache_read_input_tokens ?? 0;
  const cacheCreation = u.cache_creation_input_tokens ?? 0;
  const prompt = (u.input_tokens ?? 0) + cacheRead + cacheCreation;
  const completion = u.output_tokens ?? 0;
  const usage: Usage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cacheRead },
  };
  if (cacheCreation > 0) usage.cache_creation_input_tokens = cacheCreation;
  return usage;
}

export function usageToAnthropic(u: Usage | null | undefined): AnthropicUsage {
  const cacheRead = Number((u?.prompt_tokens_details as { cached_tokens?: number } | undefined)?.cached_tokens ?? 0);
  const cacheCreation = Number(u?.cache_creation_input_tokens ?? 0);
  return {
    input_tokens: Math.max(0, (u?.prompt_tokens ?? 0) - cacheRead - cacheCreation),
    output_tokens: u?.completion_tokens ?? 0,
    cache_creation_input_tokens: cacheCreation,
    cache_read_input_tokens: cacheRead,
  };
}
