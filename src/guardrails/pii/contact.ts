// Email addresses, phone numbers and IP addresses.
import { isIPv6 } from 'node:net';
import { type Detector, digitsOf, regexSpans } from './types.js';

// The TLD must be letters, so npm specs like "pkg@1.2.3" and "user@localhost" are not addresses.
// Local parts may hold any letter (internationalised addresses); a "/" before one means a file path.
const EMAIL = /(?<![\p{L}\p{N}._%+/-])[\p{L}\p{N}][\p{L}\p{N}._%+-]{0,63}@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+[A-Za-z]{2,24}(?![\p{L}\p{N}-]|\.[\p{L}\p{N}])/gu;

export const emailDetector: Detector = {
  type: 'email',
  find: (text) => regexSpans('email', EMAIL, text),
  partialTail: /(?<![\p{L}\p{N}._%+/-])[\p{L}\p{N}._%+-]{1,64}(?:@[\p{L}\p{N}.-]{0,253})?$/u,
};

// International: "+" and a country code, then groups ("+44 (0)20 7946 0958", "+14155552671").
const INTERNATIONAL_PHONE = /(?<![\w+])\+[1-9]\d{0,2}(?:[ .-]?\(?\d{1,5}\)?){1,6}(?![\w]|[.-]\d)/g;
// National: at least two separated groups ("(415) 555-2671", "1-800-555-0199", "06 12 34 56 78").
// Bare digit runs are left alone: they are far more often order numbers, ids or amounts.
const NATIONAL_PHONE = /(?<![\w.+/-])(?:1[ .-])?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{2,4}(?:[ .-]\d{2,4}){0,3}(?![\w/]|[.-]\d)/g;

// Dates (2024-01-15, 15.01.2024 12:30) that could pass the digit count are refused by shape.
const DATE_LIKE = /\b(?:(?:19|20)\d{2}[-.](?:0?[1-9]|1[0-2])[-.]\d{1,2}|\d{1,2}[-.](?:0?[1-9]|1[0-2])[-.](?:19|20)\d{2})\b/;

// Without a country code a number starts with a trunk "0" (most of the world) or is North American
// (area code 2-9xx, 3-3-4 groups); "10 20 30 40 50" is neither.
const NANP = /^(?:1[ .-])?(?:\([2-9]\d\d\)[ .-]?|[2-9]\d\d[ .-])\d{3}[ .-]\d{4}$/;

function plausibleNationalPhone(value: string): boolean {
  const digits = digitsOf(value);
  if (digits.length < 10 || digits.length > 11 || DATE_LIKE.test(value)) return false;
  if (!digits.startsWith('0') && !NANP.test(value)) return false;
  // One kind of punctuation separator: "555.123-4567" is more likely a code than a number.
  const separators = new Set(value.replace(/[\d ()]/g, ''));
  if (separators.size > 1) return false;
  // Four dotted groups of at most 255 are an IPv4 address.
  const groups = value.split('.');
  return !(groups.length === 4 && groups.every((g) => /^\d{1,3}$/.test(g) && Number(g) <= 255));
}

export const phoneDetector: Detector = {
  type: 'phone',
  find: (text) => [
    ...regexSpans('phone', INTERNATIONAL_PHONE, text, (value) => {
      const digits = digitsOf(value).length;
      return digits >= 8 && digits <= 15 && !DATE_LIKE.test(value);
    }),
    ...regexSpans('phone', NATIONAL_PHONE, text, plausibleNationalPhone),
  ],
  partialTail: /(?<![\w+])(?:\+?\(?\d[\d ().-]{0,24}|\+\(?|\()$/,
};

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`(?<![\\w.])${OCTET}(?:\\.${OCTET}){3}(?![\\w]|\\.\\d)`, 'g');
// Candidates for IPv6 (two colons at least, optional embedded IPv4); node's parser has the last word.
const IPV6_CANDIDATE = /(?<![\w:.])(?=[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:)[0-9A-Fa-f:]+(?:\.\d{1,3}){0,3}(?![\w:])/g;
// "version 1.2.3.4" and "v10.0.0.1" are versions, not hosts.
const VERSION_BEFORE = /(?:\bv|\bversion\s*|\bver\.?\s*)$/i;

export const ipDetector: Detector = {
  type: 'ip',
  find: (text) => [
    ...regexSpans('ip', IPV4, text, (_value, all, start) => !VERSION_BEFORE.test(all.slice(Math.max(0, start - 10), start))),
    ...regexSpans('ip', IPV6_CANDIDATE, text, (value) => /[0-9A-Fa-f]/.test(value) && isIPv6(value)),
  ],
  partialTail: /(?<![0-9A-Fa-f:.])[0-9A-Fa-f:.]{1,45}$/,
};
