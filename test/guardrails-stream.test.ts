// Streams at every possible chunk boundary: the scanner's redaction gives exactly what masking the
// whole text gives, block rules cut whichever delta completes the match, and the restorer puts every
// placeholder back however it was split.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createDetectors } from '../src/guardrails/pii/detect.js';
import { estimateTokens } from '../src/guardrails/policy/tokens.js';
import { Masker } from '../src/guardrails/redact/mask.js';
import { restoreText, StreamRestorer } from '../src/guardrails/redact/restore.js';
import { PlaceholderVault } from '../src/guardrails/redact/vault.js';
import { type ScanResult, type StreamCheck, StreamScanner } from '../src/guardrails/stream/scanner.js';

const detectors = createDetectors();
const PEM = '-----BEGIN PRIVATE KEY-----\nMIIBVAIBADANBgkqhkiG9w0BAQEFAASCAT4wggE6AgEAAkEAq7BFUpkGp3+LQmlQ\n-----END PRIVATE KEY-----';
const TEXT =
  `Reach ann@example.com or +44 20 7946 0958. Card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, ` +
  `host 2001:db8::1 and 10.0.0.1, SSN 536-22-1234, token ghp_1e0oUcMYuosVw9ueH5h6UNwBkkq5yjBUYegI, ` +
  `db postgres://app:s3cr3t@db:5432 and ${PEM} again ann@example.com`;

/** Every way to cut a text in two, plus one character per delta. */
function splits(text: string): string[][] {
  const ways = Array.from({ length: text.length + 1 }, (_, i) => [text.slice(0, i), text.slice(i)]);
  return [...ways, [...text]];
}

function run(scanner: StreamScanner, deltas: string[]): { text: string; results: ScanResult[] } {
  const results = deltas.map((delta) => scanner.push(delta));
  results.push(scanner.end());
  return { text: results.map((r) => r.text).join(''), results };
}

const redactingScanner = () => new StreamScanner({ redact: { detectors, vault: new PlaceholderVault() } });

describe('stream redaction', () => {
  const expected = new Masker(detectors, new PlaceholderVault()).maskText(TEXT);

  it('equals masking the whole text, for a cut at every index and one character per delta', () => {
    expect(expected).toContain('[SECRET_2]'); // the fixture really holds several types, PEM included
    for (const deltas of splits(TEXT)) expect(run(redactingScanner(), deltas).text).toBe(expected);
  });

  // Every corpus text (positives and hard negatives) in one stream: a value is never split unmasked.
  for (const corpus of ['email', 'phone', 'card', 'iban', 'ssn', 'ip', 'secret']) {
    it(`equals masking the whole text on the ${corpus} corpus, at every cut and in random chunks`, () => {
      const cases = JSON.parse(readFileSync(new URL(`./fixtures/guardrails/${corpus}.json`, import.meta.url), 'utf8')).cases as Array<{ text: string }>;
      const text = cases.map((c) => c.text).join('\n');
      const whole = new Masker(detectors, new PlaceholderVault()).maskText(text);
      for (const deltas of splits(text)) expect(run(redactingScanner(), deltas).text).toBe(whole);
      let seed = 8;
      const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      for (let round = 0; round < 20; round++) {
        const deltas: string[] = [];
        for (let i = 0; i < text.length; ) {
          const size = 1 + Math.floor(random() * 12);
          deltas.push(text.slice(i, i + size));
          i += size;
        }
        expect(run(redactingScanner(), deltas).text).toBe(whole);
      }
    });
  }

  it('keeps a URL password recognisable however long the user name before it', () => {
    const text = `connect with https://${'service-account-'.repeat(6)}:Zq9vT3xLw@db.example.com/app now`;
    const whole = new Masker(detectors, new PlaceholderVault()).maskText(text);
    expect(whole).toContain(':[SECRET_1]@db.example.com');
    for (const deltas of splits(text)) expect(run(redactingScanner(), deltas).text).toBe(whole);
  });

  it('equals masking the whole text for three-way cuts around each value', () => {
    const cuts = [10, 30, 60, 95, 130, 170, 230, 260, 300];
    for (const a of cuts) for (const b of cuts) {
      if (b <= a) continue;
      expect(run(redactingScanner(), [TEXT.slice(0, a), TEXT.slice(a, b), TEXT.slice(b)]).text).toBe(expected);
    }
  });

  it('holds back a configured national id, whose prefixes are unknown, by its max_length', () => {
    const withNino = createDetectors({ types: [], nationalIds: [{ name: 'uk_nino', pattern: '\\b[A-CEGHJ-PR-TW-Z]{2} ?\\d{2} ?\\d{2} ?\\d{2} ?[A-D]\\b', maxLength: 16 }] });
    const text = 'NINO AB 12 34 56 C and JG103862A, done.';
    const whole = new Masker(withNino, new PlaceholderVault()).maskText(text);
    expect(whole).toBe('NINO [UK_NINO_1] and [UK_NINO_2], done.');
    for (const deltas of splits(text)) {
      expect(run(new StreamScanner({ redact: { detectors: withNino, vault: new PlaceholderVault() } }), deltas).text).toBe(whole);
    }
  });

  it('releases ordinary prose at once and holds back only a possibly unfinished value', () => {
    const scanner = redactingScanner();
    expect(scanner.push('The quick brown fox ').text).toBe('The quick brown fox ');
    expect(scanner.push('mails ann@exam').text).toBe('mails ');
    expect(scanner.push('ple.com today. ').text).toBe('[EMAIL_1] today. ');
  });

  it('bounds the hold-back, and releases a long run that no value can start', () => {
    const unclosedKey = `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(500)}`;
    const bounded = new StreamScanner({ redact: { detectors, vault: new PlaceholderVault() }, maxHoldBack: 50 });
    expect(bounded.push(unclosedKey).text).toBe(unclosedKey.slice(0, -50));
    expect(redactingScanner().push(`${'x'.repeat(300)} `).text).toBe(`${'x'.repeat(300)} `);
  });
});

describe('stream block rules', () => {
  const denyPlan: StreamCheck = { name: 'no-plans', action: 'block', test: (text) => /secret plan/i.test(text) };
  const text = 'Here is the answer. The Secret Plan is to launch on Monday. More text follows.';
  const matchEnd = text.indexOf('Plan') + 'Plan'.length;

  it('cuts at whichever delta completes the match, naming the rule, for every split', () => {
    for (const deltas of splits(text)) {
      const { text: released, results } = run(new StreamScanner({ checks: [denyPlan] }), deltas);
      expect(results.find((r) => r.cut)?.cut).toEqual({ rule: 'no-plans' });
      expect(released).not.toMatch(/secret plan/i);
      expect(text.startsWith(released)).toBe(true);
      expect(released.length).toBeLessThan(matchEnd);
    }
  });

  it('with redaction on, drops held text at the cut and stays cut', () => {
    const scanner = new StreamScanner({ checks: [denyPlan], redact: { detectors, vault: new PlaceholderVault() } });
    expect(scanner.push('mail ann@example').text).toBe('mail ');
    expect(scanner.push('.com: the secret plan').cut).toEqual({ rule: 'no-plans' });
    expect(scanner.push('more')).toEqual({ text: '', cut: { rule: 'no-plans' }, flagged: [] });
    expect(scanner.end().text).toBe('');
  });

  it('reports a flag rule once and lets the text through', () => {
    const flag: StreamCheck = { name: 'mentions-tax', action: 'flag', test: (t) => /\btax\b/.test(t) };
    const scanner = new StreamScanner({ checks: [flag] });
    expect(scanner.push('about ta')).toEqual({ text: 'about ta', flagged: [] });
    expect(scanner.push('x rules')).toEqual({ text: 'x rules', flagged: ['mentions-tax'] });
    expect(scanner.push(' and tax again').flagged).toEqual([]);
  });

  it('cuts when the output passes max_output_tokens', () => {
    const scanner = new StreamScanner({ maxOutputTokens: { name: 'short-answers', limit: 5, count: estimateTokens } });
    expect(scanner.push('one two three ').text).toBe('one two three ');
    expect(scanner.push('four five six seven').cut).toEqual({ rule: 'short-answers' });
  });
});

describe('stream restoring', () => {
  const vault = new PlaceholderVault();
  const email = vault.placeholderFor('email', 'ann@example.com');

  it('restores a stream split at every index, holding back only a possible placeholder', () => {
    const text = `Dear ${email}, your [EMAIL_1 is [${email}] and [x] [EMAIL_10] ${email}`;
    const expected = restoreText(text, vault);
    for (const deltas of splits(text)) {
      const restorer = new StreamRestorer(vault);
      const out = deltas.map((d) => restorer.push(d)).join('') + restorer.flush();
      expect(out).toBe(expected);
    }
  });
});
