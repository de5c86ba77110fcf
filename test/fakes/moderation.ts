// Moderation answers for the fake upstreams, in each provider's documented shape. Scores are
// predictable: every category scores 0.0001, except that these words in a text raise one category
// (the highest match wins):
//   "kill" → violence 0.95 (Mistral violence_and_threats), "gore" → violence/graphic 0.8,
//   "fight" → violence 0.35 (below the flag: 0.5), "hate" → hate 0.9 (Mistral hate_and_discrimination),
//   "hurt myself" → self-harm 0.9 (Mistral selfharm).
// A category is flagged (true) at a score of 0.5 or more; OpenAI's `flagged` is any category flagged.

export const OPENAI_MODERATION_CATEGORIES = [
  'harassment', 'harassment/threatening', 'hate', 'hate/threatening', 'illicit', 'illicit/violent', 'self-harm',
  'self-harm/intent', 'self-harm/instructions', 'sexual', 'sexual/minors', 'violence', 'violence/graphic',
];

export const MISTRAL_MODERATION_CATEGORIES = [
  'sexual', 'hate_and_discrimination', 'violence_and_threats', 'dangerous_and_criminal_content', 'selfharm', 'health', 'financial', 'law', 'pii',
];

const TRIGGERS: { words: RegExp; openai: string; mistral: string; score: number }[] = [
  { words: /\bkill\b/i, openai: 'violence', mistral: 'violence_and_threats', score: 0.95 },
  { words: /\bgore\b/i, openai: 'violence/graphic', mistral: 'violence_and_threats', score: 0.8 },
  { words: /\bfight\b/i, openai: 'violence', mistral: 'violence_and_threats', score: 0.35 },
  { words: /\bhate\b/i, openai: 'hate', mistral: 'hate_and_discrimination', score: 0.9 },
  { words: /\bhurt myself\b/i, openai: 'self-harm', mistral: 'selfharm', score: 0.9 },
];

const FLAG_AT = 0.5;

function scores(text: string, provider: 'openai' | 'mistral', categories: string[]): Record<string, number> {
  const out = Object.fromEntries(categories.map((c) => [c, 0.0001]));
  for (const trigger of TRIGGERS) if (trigger.words.test(text)) out[trigger[provider]] = Math.max(out[trigger[provider]], trigger.score);
  return out;
}

const flags = (scored: Record<string, number>) => Object.fromEntries(Object.entries(scored).map(([c, s]) => [c, s >= FLAG_AT]));

/** OpenAI's input forms as texts: a string, strings, or text parts (image parts score nothing). */
function texts(input: unknown): string[] {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input)) return [];
  if (input.every((x) => typeof x === 'string')) return input;
  return [input.map((part) => (part?.type === 'text' ? part.text : '')).join(' ')];
}

/** OpenAI's POST /v1/moderations answer: one result per input, with category_applied_input_types (omni models). */
export function openaiModeration(body: any, seq: number) {
  return {
    id: `modr-fake${seq}`,
    model: body.model ?? 'omni-moderation-latest',
    results: texts(body.input).map((text) => {
      const category_scores = scores(text, 'openai', OPENAI_MODERATION_CATEGORIES);
      const categories = flags(category_scores);
      return {
        flagged: Object.values(categories).some(Boolean),
        categories,
        category_applied_input_types: Object.fromEntries(OPENAI_MODERATION_CATEGORIES.map((c) => [c, ['text']])),
        category_scores,
      };
    }),
  };
}

/** Mistral's POST /v1/moderations answer: no `flagged`, and usage. */
export function mistralModeration(body: any) {
  const inputs = texts(body.input);
  const results = inputs.map((text) => {
    const category_scores = scores(text, 'mistral', MISTRAL_MODERATION_CATEGORIES);
    return { categories: flags(category_scores), category_scores };
  });
  const tokens = inputs.reduce((sum, text) => sum + text.split(/\s+/).filter(Boolean).length, 0);
  return { id: 'mod-fake', model: body.model, results, usage: { prompt_tokens: tokens, total_tokens: tokens, completion_tokens: 0, request_count: inputs.length } };
}
