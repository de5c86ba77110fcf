// Output rules on a stream of text deltas. Matches can be split across deltas, so block rules look
// at a sliding window (the tail of what came before plus what is new), and redaction holds back only
// the tail that could still grow into a match, emitting everything before it at once.
import { detectSpans } from '../pii/detect.js';
import type { Detector, Span } from '../pii/types.js';
import type { TokenCounter } from '../policy/tokens.js';
import type { PlaceholderVault } from '../redact/vault.js';

export interface StreamCheck {
  /** Rule name, reported when the check fires. */
  name: string;
  action: 'block' | 'flag';
  /** True when the text contains what the rule looks for. */
  test(text: string): boolean;
}

export interface StreamScannerOptions {
  /** PII redaction of the output: values are replaced by placeholders from `vault`. */
  redact?: { detectors: readonly Detector[]; vault: PlaceholderVault };
  checks?: readonly StreamCheck[];
  /** Characters of earlier output a check sees with each new delta: the longest match it can catch across deltas. */
  window?: number;
  /** Upper bound on held-back text; a match longer than this (only a PEM block can be) may be split. */
  maxHoldBack?: number;
  maxOutputTokens?: { name: string; limit: number; count: TokenCounter };
}

export interface StreamCut {
  rule: string;
}

export interface ScanResult {
  /** Text the client may see now. */
  text: string;
  /** Set when a block rule fired: the stream must end here with an error naming the rule. */
  cut?: StreamCut;
  /** Flag rules that fired for the first time with this delta. */
  flagged: string[];
}

const DEFAULT_WINDOW = 256;
// Enough for an RSA-4096 PEM private key (about 3.3 KB), the longest value a detector matches.
const DEFAULT_MAX_HOLD_BACK = 4096;
// Characters before the held text that detectors see, so their one-character look-behinds still work.
// Matches that need more text before a value keep it held (Span.contextStart), so this can stay short.
const DETECTION_CONTEXT = 8;

export class StreamScanner {
  private held = '';
  /** The last `window` characters of raw model output already released (before redaction). */
  private released = '';
  private tokens = 0;
  private cut: StreamCut | undefined;
  private readonly flagged = new Set<string>();
  private readonly window: number;
  private readonly maxHoldBack: number;

  constructor(private readonly options: StreamScannerOptions) {
    this.window = options.window ?? DEFAULT_WINDOW;
    this.maxHoldBack = options.maxHoldBack ?? DEFAULT_MAX_HOLD_BACK;
  }

  push(delta: string): ScanResult {
    if (this.cut) return { text: '', cut: this.cut, flagged: [] };
    const limit = this.options.maxOutputTokens;
    if (limit) {
      this.tokens += limit.count(delta);
      if (this.tokens > limit.limit) return this.cutBy(limit.name);
    }
    this.held += delta;
    const flagged: string[] = [];
    const seen = this.released + this.held;
    for (const check of this.options.checks ?? []) {
      if (check.action === 'flag' && this.flagged.has(check.name)) continue;
      if (!check.test(seen)) continue;
      if (check.action === 'block') return this.cutBy(check.name);
      this.flagged.add(check.name);
      flagged.push(check.name);
    }
    const end = this.possibleMatchStart();
    // Everything held could still be part of a value: nothing to release, no need to look for values.
    if (end === 0) return { text: '', flagged };
    const spans = this.heldSpans();
    return { text: this.release(this.finalEnd(end, spans), spans), flagged };
  }

  /** The end of the stream: nothing held can grow any more. */
  end(): ScanResult {
    if (this.cut) return { text: '', cut: this.cut, flagged: [] };
    return { text: this.release(this.held.length, this.heldSpans()), flagged: [] };
  }

  private cutBy(rule: string): ScanResult {
    this.cut = { rule };
    this.held = '';
    return { text: '', cut: this.cut, flagged: [] };
  }

  /** Where held text may start an unfinished value (the hold-back bound applied), or its length. */
  private possibleMatchStart(): number {
    const redact = this.options.redact;
    if (!redact) return this.held.length;
    let start = this.held.length;
    for (const detector of redact.detectors) {
      const partial = detector.partialTail.exec(this.held);
      if (partial) start = Math.min(start, partial.index);
    }
    return Math.max(start, this.held.length - this.maxHoldBack);
  }

  /**
   * A complete value straddling `end` could still grow, and a value found after it needs the text its
   * match started with: both are held whole, unless the bound forces them out. Walking the spans from
   * the last one back catches a span that only straddles once `end` has moved.
   */
  private finalEnd(end: number, spans: readonly Span[]): number {
    let final = end;
    for (let i = spans.length - 1; i >= 0; i--) {
      const span = spans[i];
      if (span.end > final) final = Math.min(final, span.contextStart ?? span.start);
    }
    return Math.max(final, this.held.length - this.maxHoldBack);
  }

  /** Detected values in the held text (seeing a little released text before it for look-behinds). */
  private heldSpans(): Span[] {
    const redact = this.options.redact;
    if (!redact || this.held === '') return [];
    const context = this.released.slice(-DETECTION_CONTEXT);
    return detectSpans(context + this.held, redact.detectors)
      .filter((span) => span.start >= context.length)
      .map((span) => ({
        ...span,
        start: span.start - context.length,
        end: span.end - context.length,
        ...(span.contextStart === undefined ? {} : { contextStart: Math.max(0, span.contextStart - context.length) }),
      }));
  }

  /** Emits held[0, end) with the spans inside it replaced by placeholders, and keeps the rest held. */
  private release(end: number, spans: readonly Span[]): string {
    const raw = this.held.slice(0, end);
    this.held = this.held.slice(end);
    if (raw === '') return '';
    this.released = (this.released + raw).slice(-Math.max(this.window, DETECTION_CONTEXT));
    const vault = this.options.redact?.vault;
    if (!vault) return raw;
    let out = '';
    let cursor = 0;
    for (const span of spans) {
      if (span.end > end) break;
      out += raw.slice(cursor, span.start) + vault.placeholderFor(span.type, span.value);
      cursor = span.end;
    }
    return out + raw.slice(cursor);
  }
}
