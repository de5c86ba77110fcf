// Runs a chosen set of detectors over a text and resolves overlapping spans deterministically.
import { emailDetector, ipDetector, phoneDetector } from './contact.js';
import { cardDetector, ibanDetector } from './financial.js';
import { type NationalIdPattern, nationalIdDetector, ssnDetector } from './national-ids.js';
import { secretDetector } from './secrets.js';
import type { Detector, Span } from './types.js';

export const BUILTIN_DETECTORS = {
  secret: secretDetector,
  card: cardDetector,
  iban: ibanDetector,
  ssn: ssnDetector,
  email: emailDetector,
  ip: ipDetector,
  phone: phoneDetector,
} as const satisfies Record<string, Detector>;

export type BuiltinPiiType = keyof typeof BUILTIN_DETECTORS;
export const BUILTIN_PII_TYPES = Object.keys(BUILTIN_DETECTORS) as BuiltinPiiType[];

/**
 * When spans overlap, the more specific detector wins: checksummed and prefix-anchored values
 * (secrets, cards, IBANs) before loose shapes (phones). Configured national ids rank after SSNs.
 * The key order of BUILTIN_DETECTORS is that ranking.
 */
const NATIONAL_ID_RANK = BUILTIN_PII_TYPES.indexOf('ssn') + 0.5;
const rankOf = (type: string): number => {
  const rank = BUILTIN_PII_TYPES.indexOf(type as BuiltinPiiType);
  return rank === -1 ? NATIONAL_ID_RANK : rank;
};

/** Keeps a non-overlapping subset: by rank, then the longer span, then the earlier one. Sorted by start. */
export function resolveOverlaps(spans: Span[]): Span[] {
  const candidates = [...spans].sort(
    (a, b) => rankOf(a.type) - rankOf(b.type) || b.end - b.start - (a.end - a.start) || a.start - b.start,
  );
  const kept: Span[] = [];
  for (const span of candidates) {
    if (kept.every((other) => span.end <= other.start || span.start >= other.end)) kept.push(span);
  }
  return kept.sort((a, b) => a.start - b.start);
}

export interface PiiDetectorOptions {
  /** Built-in detectors to run; all of them when omitted. */
  types?: readonly BuiltinPiiType[];
  nationalIds?: readonly NationalIdPattern[];
}

/** The detector list for the options, built once per rule and reused for every request. */
export function createDetectors(options: PiiDetectorOptions = {}): Detector[] {
  const builtins = (options.types ?? BUILTIN_PII_TYPES).map((type) => BUILTIN_DETECTORS[type]);
  return [...builtins, ...(options.nationalIds ?? []).map(nationalIdDetector)];
}

export function detectSpans(text: string, detectors: readonly Detector[]): Span[] {
  if (text.length === 0) return [];
  const spans: Span[] = [];
  for (const detector of detectors) spans.push(...detector.find(text));
  return resolveOverlaps(spans);
}
