// Scores a text for prompt injection: 0 (nothing found) to 1 (several strong signals).
import { normalizeForScoring } from './normalize.js';
import { type InjectionFamily, INJECTION_PATTERNS, type InjectionPattern } from './patterns.js';

export interface InjectionSignal {
  family: InjectionFamily;
  /** Pattern id, e.g. "ignore-previous"; never the matched text. */
  pattern: string;
  weight: number;
}

export interface InjectionScore {
  score: number;
  signals: InjectionSignal[];
}

// Base64 long enough to hold a sentence. Shorter runs are ids and hashes, not payloads.
const BASE64_BLOB = /[A-Za-z0-9+/]{24,}={0,2}/g;
const PRINTABLE = /^[\x20-\x7E\t\r\n]*$/;
// Two words in a row. The \b keeps the scan linear on long runs of letters.
const LOOKS_LIKE_WORDS = /\b[a-z]{3,} [a-z]{2,}/i;
// An encoded instruction is worth slightly less than the same words in clear, and is its own signal.
const ENCODED_DISCOUNT = 0.95;
const DISGUISE_WEIGHT = 0.2;
const MAX_DECODED_BLOBS = 8;

function matchPatterns(normalized: { text: string; deobfuscated: string }, patterns: readonly InjectionPattern[]): InjectionSignal[] {
  // Most text has nothing to de-obfuscate: then one pass is enough.
  const texts = normalized.deobfuscated === normalized.text ? [normalized.text] : [normalized.text, normalized.deobfuscated];
  return patterns
    .filter((p) => texts.some((text) => p.pattern.test(text)))
    .map((p) => ({ family: p.family, pattern: p.id, weight: p.weight }));
}

/** Decodes base64 runs that turn out to be plain text, so their content can be scored too. */
function decodedPayloads(text: string): string[] {
  const payloads: string[] = [];
  for (const [blob] of text.matchAll(BASE64_BLOB)) {
    if (payloads.length === MAX_DECODED_BLOBS) break;
    const decoded = Buffer.from(blob, 'base64').toString('latin1');
    if (PRINTABLE.test(decoded) && LOOKS_LIKE_WORDS.test(decoded)) payloads.push(decoded);
  }
  return payloads;
}

/**
 * Independent signals combine like probabilities (1 − Π(1 − w)), taking each family's strongest
 * pattern only: three phrasings of "ignore previous instructions" are one signal, not three.
 */
function combine(signals: InjectionSignal[]): number {
  const strongest = new Map<InjectionFamily, number>();
  for (const s of signals) strongest.set(s.family, Math.max(strongest.get(s.family) ?? 0, s.weight));
  let miss = 1;
  for (const weight of strongest.values()) miss *= 1 - weight;
  return Math.round((1 - miss) * 1000) / 1000;
}

export function scoreInjection(input: string, patterns: readonly InjectionPattern[] = INJECTION_PATTERNS): InjectionScore {
  const normalized = normalizeForScoring(input);
  const signals = matchPatterns(normalized, patterns);
  for (const payload of decodedPayloads(input)) {
    for (const signal of matchPatterns(normalizeForScoring(payload), patterns)) {
      signals.push({ family: 'encoded_payload', pattern: `base64:${signal.pattern}`, weight: signal.weight * ENCODED_DISCOUNT });
    }
  }
  if (normalized.disguised && signals.length > 0) {
    signals.push({ family: 'obfuscation', pattern: 'invisible-or-homoglyph', weight: DISGUISE_WEIGHT });
  }
  return { score: combine(signals), signals };
}
