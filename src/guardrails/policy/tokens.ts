// Token limits. The real tokenizer belongs to telemetry; limits take any counting function and fall
// back to an estimate that errs high for code and non-Latin text, where tokens are short.

export type TokenCounter = (text: string) => number;

/**
 * About four characters per token for English prose (OpenAI's rule of thumb), but never fewer tokens
 * than words and punctuation runs, and one token per non-ASCII character, which CJK text approaches.
 */
export const estimateTokens: TokenCounter = (text) => {
  if (text.length === 0) return 0;
  const pieces = text.match(/[A-Za-z0-9]+|[^\sA-Za-z0-9]/g)?.length ?? 0;
  let nonAscii = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 127) nonAscii++;
  return Math.max(Math.ceil(text.length / 4), Math.ceil(pieces * 0.75), nonAscii);
};
