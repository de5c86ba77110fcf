// Shared shapes of the PII detectors. A detector is pure: text in, spans out, no state between calls.

/** One detected value: `text.slice(start, end) === value`. */
export interface Span {
  /** Detector type, e.g. "email", or a configured national-id name such as "uk_nino". */
  type: string;
  start: number;
  end: number;
  value: string;
  /**
   * Where the match that found the value starts, when that is before the value: a URL password is
   * only recognised with its "scheme://user:" in front. A stream holds that text back with the value.
   */
  contextStart?: number;
}

export interface Detector {
  type: string;
  /** Every match in `text`, in any order; overlaps are resolved by detectSpans(). */
  find(text: string): Span[];
  /**
   * Matches a possibly incomplete match at the very end of a text (anchored with `$`). A stream
   * scanner holds back from where this matches, because the next chunk could complete a value.
   */
  partialTail: RegExp;
}

/** Collects every match of a global regex as spans, keeping those `accept` approves. */
export function regexSpans(
  type: string,
  pattern: RegExp,
  text: string,
  accept: (value: string, text: string, start: number) => boolean = () => true,
): Span[] {
  const spans: Span[] = [];
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    const value = match[0];
    if (value.length === 0) {
      pattern.lastIndex++;
      continue;
    }
    if (accept(value, text, match.index)) spans.push({ type, start: match.index, end: match.index + value.length, value });
  }
  return spans;
}

export const digitsOf = (value: string): string => value.replace(/\D/g, '');
