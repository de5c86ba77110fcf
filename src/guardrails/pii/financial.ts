// Payment cards (Luhn and issuer prefix checked) and IBANs (country length and mod-97 checked).
import { ibanChecksumValid, ibanLength, luhnValid } from './checksums.js';
import { type Detector, type Span, digitsOf, regexSpans } from './types.js';

// 13–19 digits, bare or in groups of four with one consistent separator, or Amex/Diners 4-6-5 / 4-6-4.
const CARD = /(?<![\w-])(?:\d{4}([ -]?)\d{4}\1\d{4}\1\d{1,7}|3\d{3}([ -]?)\d{6}\2\d{4,5})(?![\w]|[ -]\d)/g;

// Issuer prefixes (IIN ranges) with their lengths. A Luhn-valid run with no issuer is an order number.
const ISSUERS: Array<{ prefix: RegExp; lengths: number[] }> = [
  { prefix: /^4/, lengths: [13, 16, 19] }, // Visa
  { prefix: /^(?:5[1-5]|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720)/, lengths: [16] }, // Mastercard
  { prefix: /^3[47]/, lengths: [15] }, // American Express
  { prefix: /^(?:6011|65|64[4-9])/, lengths: [16, 19] }, // Discover
  { prefix: /^(?:36|30[0-5]|3095|3[89])/, lengths: [14, 16, 19] }, // Diners Club
  { prefix: /^35(?:2[89]|[3-8]\d)/, lengths: [16, 19] }, // JCB
  { prefix: /^62/, lengths: [16, 17, 18, 19] }, // UnionPay
  { prefix: /^(?:50|5[6-9]|6[0-9])/, lengths: [12, 13, 14, 15, 16, 17, 18, 19] }, // Maestro
];

function isCardNumber(value: string): boolean {
  const digits = digitsOf(value);
  return luhnValid(digits) && ISSUERS.some((issuer) => issuer.prefix.test(digits) && issuer.lengths.includes(digits.length));
}

export const cardDetector: Detector = {
  type: 'card',
  find: (text) => regexSpans('card', CARD, text, isCardNumber),
  partialTail: /(?<![\w-])\d[\d -]{0,22}$/,
};

// A country code, check digits, then the account in blocks of four (spaced or not). The candidate may
// run into a following word; it is cut at the country's IBAN length before the checksum.
const IBAN_CANDIDATE = /(?<![\w])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?/g;

function findIbans(text: string): Span[] {
  const spans: Span[] = [];
  for (const candidate of regexSpans('iban', IBAN_CANDIDATE, text)) {
    const length = ibanLength(candidate.value.slice(0, 2));
    if (length === undefined) continue;
    let end = candidate.start;
    let compact = '';
    while (compact.length < length && end < candidate.end) {
      const char = text[end++];
      if (char !== ' ') compact += char;
    }
    // The character after the IBAN must not continue a word or number.
    if (compact.length !== length || /[\w]/.test(text[end] ?? '') || !ibanChecksumValid(compact)) continue;
    spans.push({ type: 'iban', start: candidate.start, end, value: text.slice(candidate.start, end) });
  }
  return spans;
}

export const ibanDetector: Detector = {
  type: 'iban',
  find: findIbans,
  partialTail: /(?<!\w)(?:[A-Z]{1,2}|[A-Z]{2}\d[\dA-Z ]{0,40})$/,
};
