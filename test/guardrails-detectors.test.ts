// Labelled corpora per detector (positives and hard negatives): precision and recall are printed and
// held to a floor. A value counts as found only when the span is exactly the labelled text.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ibanChecksumValid, luhnValid } from '../src/guardrails/pii/checksums.js';
import { BUILTIN_PII_TYPES, createDetectors, detectSpans, resolveOverlaps, type BuiltinPiiType } from '../src/guardrails/pii/detect.js';
import type { NationalIdPattern } from '../src/guardrails/pii/national-ids.js';
import type { Detector } from '../src/guardrails/pii/types.js';
import { scoreInjection } from '../src/guardrails/injection/score.js';

const FLOOR = 0.95;

interface Corpus {
  detector: string;
  nationalIds?: NationalIdPattern[];
  cases: Array<{ text: string; expect: string[] }>;
}

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`./fixtures/guardrails/${name}.json`, import.meta.url), 'utf8')) as T;

interface Tally {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  mistakes: string[];
}

function tally(corpus: Corpus, detectors: Detector[], type: string): Tally {
  const result: Tally = { truePositives: 0, falsePositives: 0, falseNegatives: 0, mistakes: [] };
  for (const { text, expect: expected } of corpus.cases) {
    const found = detectSpans(text, detectors).filter((s) => s.type === type).map((s) => s.value);
    for (const value of found) {
      if (expected.includes(value)) result.truePositives++;
      else (result.falsePositives++, result.mistakes.push(`false positive ${JSON.stringify(value)} in ${JSON.stringify(text)}`));
    }
    for (const value of expected) {
      if (!found.includes(value)) (result.falseNegatives++, result.mistakes.push(`missed ${JSON.stringify(value)} in ${JSON.stringify(text)}`));
    }
  }
  return result;
}

const ratio = (hits: number, misses: number): number => (hits + misses === 0 ? 1 : hits / (hits + misses));

function report(name: string, t: Tally): { precision: number; recall: number } {
  const precision = ratio(t.truePositives, t.falsePositives);
  const recall = ratio(t.truePositives, t.falseNegatives);
  console.log(`[guardrails corpus] ${name.padEnd(24)} precision ${precision.toFixed(3)}  recall ${recall.toFixed(3)}  (tp ${t.truePositives}, fp ${t.falsePositives}, fn ${t.falseNegatives})`);
  for (const mistake of t.mistakes) console.log(`    ${mistake}`);
  return { precision, recall };
}

const corpora: Array<{ file: string; type: BuiltinPiiType }> = [
  { file: 'email', type: 'email' },
  { file: 'phone', type: 'phone' },
  { file: 'card', type: 'card' },
  { file: 'iban', type: 'iban' },
  { file: 'ssn', type: 'ssn' },
  { file: 'ip', type: 'ip' },
  { file: 'secret', type: 'secret' },
];

describe('PII detector corpora', () => {
  for (const { file, type } of corpora) {
    const corpus = fixture<Corpus>(file);
    it(`${type}: precision and recall >= ${FLOOR}, alone and alongside every other detector`, () => {
      const alone = report(type, tally(corpus, createDetectors({ types: [type] }), type));
      const together = report(`${type} (all detectors)`, tally(corpus, createDetectors(), type));
      expect(corpus.cases.some((c) => c.expect.length === 0)).toBe(true); // hard negatives are part of the corpus
      for (const score of [alone, together]) {
        expect(score.precision).toBeGreaterThanOrEqual(FLOOR);
        expect(score.recall).toBeGreaterThanOrEqual(FLOOR);
      }
    });
  }

  it(`configured national ids: precision and recall >= ${FLOOR}`, () => {
    const corpus = fixture<Corpus>('national-id');
    const detectors = createDetectors({ types: [], nationalIds: corpus.nationalIds });
    const score = report('national id (uk_nino)', tally(corpus, detectors, 'uk_nino'));
    expect(score.precision).toBeGreaterThanOrEqual(FLOOR);
    expect(score.recall).toBeGreaterThanOrEqual(FLOOR);
  });
});

describe('prompt-injection corpus', () => {
  it(`flags attacks and passes benign prompts at the default threshold (precision and recall >= ${FLOOR})`, () => {
    const corpus = fixture<{ threshold: number; cases: Array<{ text: string; attack: boolean }> }>('injection');
    const t: Tally = { truePositives: 0, falsePositives: 0, falseNegatives: 0, mistakes: [] };
    for (const { text, attack } of corpus.cases) {
      const { score, signals } = scoreInjection(text);
      const flagged = score >= corpus.threshold;
      if (flagged && attack) t.truePositives++;
      if (flagged && !attack) (t.falsePositives++, t.mistakes.push(`false positive (${score}, ${signals.map((s) => s.pattern)}) ${JSON.stringify(text)}`));
      if (!flagged && attack) (t.falseNegatives++, t.mistakes.push(`missed (${score}) ${JSON.stringify(text)}`));
    }
    const score = report('injection', t);
    expect(score.precision).toBeGreaterThanOrEqual(FLOOR);
    expect(score.recall).toBeGreaterThanOrEqual(FLOOR);
  });
});

describe('checksums', () => {
  it('Luhn accepts issued test numbers and rejects a changed digit', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('')).toBe(false);
  });

  it('IBAN mod-97 accepts the ISO example and rejects a transposition', () => {
    expect(ibanChecksumValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanChecksumValid('GB82WEST12345698765423')).toBe(false);
  });
});

describe('overlap resolution', () => {
  it('prefers the more specific detector, then the longer span, whatever the input order', () => {
    const spans = [
      { type: 'phone', start: 0, end: 10, value: 'x' },
      { type: 'card', start: 2, end: 18, value: 'y' },
      { type: 'email', start: 20, end: 30, value: 'z' },
      { type: 'email', start: 22, end: 26, value: 'w' },
    ];
    const expected = [spans[1], spans[2]];
    expect(resolveOverlaps(spans)).toEqual(expected);
    expect(resolveOverlaps([...spans].reverse())).toEqual(expected);
  });

  it('a password in a URL is one secret, not also an email', () => {
    const spans = detectSpans('postgres://bob:pa55word@db.example.com/x', createDetectors());
    expect(spans.map((s) => [s.type, s.value])).toEqual([['secret', 'pa55word']]);
  });

  it('runs every built-in detector by default', () => {
    expect(createDetectors().map((d) => d.type)).toEqual(BUILTIN_PII_TYPES);
  });
});
