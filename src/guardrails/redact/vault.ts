// Per-request map between placeholders ("[EMAIL_1]") and the values they stand for. The same value
// gets the same placeholder throughout one request, so the model can still tell two people apart.

export class PlaceholderVault {
  private readonly placeholderByValue = new Map<string, string>();
  private readonly valueByPlaceholder = new Map<string, string>();
  private readonly countByLabel = new Map<string, number>();
  private longest = 0;

  /**
   * `numberAfter` continues another vault's numbering: output redaction uses it so that a value the
   * model wrote never gets a placeholder the user's values already have (and would be restored to).
   */
  constructor(numberAfter?: PlaceholderVault) {
    if (numberAfter) for (const [label, count] of numberAfter.countByLabel) this.countByLabel.set(label, count);
  }

  placeholderFor(type: string, value: string): string {
    const label = type.toUpperCase();
    const key = `${label}\u0000${value}`;
    const known = this.placeholderByValue.get(key);
    if (known) return known;
    const number = (this.countByLabel.get(label) ?? 0) + 1;
    this.countByLabel.set(label, number);
    const placeholder = `[${label}_${number}]`;
    this.placeholderByValue.set(key, placeholder);
    this.valueByPlaceholder.set(placeholder, value);
    this.longest = Math.max(this.longest, placeholder.length);
    return placeholder;
  }

  originalOf(placeholder: string): string | undefined {
    return this.valueByPlaceholder.get(placeholder);
  }

  /** True when `text` could still grow into a placeholder this vault issued (a stream must wait). */
  couldBecomePlaceholder(text: string): boolean {
    if (text.length >= this.longest) return false;
    for (const placeholder of this.valueByPlaceholder.keys()) if (placeholder.startsWith(text)) return true;
    return false;
  }

  get longestPlaceholder(): number {
    return this.longest;
  }

  get size(): number {
    return this.valueByPlaceholder.size;
  }

  /** Distinct values per type, for security events that must not carry the values themselves. */
  countsByType(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const key of this.placeholderByValue.keys()) {
      const type = key.slice(0, key.indexOf('\u0000')).toLowerCase();
      counts[type] = (counts[type] ?? 0) + 1;
    }
    return counts;
  }
}
