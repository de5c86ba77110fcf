// Puts the original values back where the model's answer repeats a placeholder, whole or streamed.
import type { PlaceholderVault } from './vault.js';

const PLACEHOLDER = /\[[A-Z][A-Z0-9_]*_\d+\]/g;

/** How a restored value is written: as is in text, escaped inside a JSON string (tool arguments). */
export type ValueEncoding = 'text' | 'json-string';

const encoders: Record<ValueEncoding, (value: string) => string> = {
  text: (value) => value,
  'json-string': (value) => JSON.stringify(value).slice(1, -1),
};

/** Unknown placeholders (the model invented one, or the user typed one) are left as they are. */
export function restoreText(text: string, vault: PlaceholderVault, encoding: ValueEncoding = 'text'): string {
  if (vault.size === 0 || !text.includes('[')) return text;
  const encode = encoders[encoding];
  return text.replace(PLACEHOLDER, (placeholder) => {
    const original = vault.originalOf(placeholder);
    return original === undefined ? placeholder : encode(original);
  });
}

/**
 * Restores a stream of text deltas. A placeholder can arrive split over deltas ("[EMA" + "IL_1]"), so
 * the tail that could still become an issued placeholder is held back, and nothing else: held text is
 * at most one placeholder long, and text without "[" passes straight through.
 */
export class StreamRestorer {
  private held = '';

  constructor(
    private readonly vault: PlaceholderVault,
    private readonly encoding: ValueEncoding = 'text',
  ) {}

  push(delta: string): string {
    const text = this.held + delta;
    const holdFrom = this.possiblePlaceholderStart(text);
    this.held = text.slice(holdFrom);
    return restoreText(text.slice(0, holdFrom), this.vault, this.encoding);
  }

  /** The end of the stream: whatever was held can no longer complete a placeholder. */
  flush(): string {
    const rest = restoreText(this.held, this.vault, this.encoding);
    this.held = '';
    return rest;
  }

  /** A placeholder has one "[", at its start, so only the last "[" can open an incomplete one. */
  private possiblePlaceholderStart(text: string): number {
    const open = text.lastIndexOf('[');
    if (open === -1 || text.length - open >= this.vault.longestPlaceholder) return text.length;
    return this.vault.couldBecomePlaceholder(text.slice(open)) ? open : text.length;
  }
}
