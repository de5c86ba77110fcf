// US Social Security numbers, and national-id patterns supplied by configuration.
import { compilePattern } from '../policy/regex.js';
import { type Detector, regexSpans } from './types.js';

// Area 000, 666 and 900–999, group 00 and serial 0000 are never issued; 078-05-1120 is the
// well-known specimen printed on wallet inserts. Bare nine-digit runs are not matched (too many ids).
const SSN = /(?<![\w-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\w]|-\d)/g;
const SPECIMEN_SSNS = new Set(['078-05-1120', '078 05 1120']);

export const ssnDetector: Detector = {
  type: 'ssn',
  find: (text) => regexSpans('ssn', SSN, text, (value) => !SPECIMEN_SSNS.has(value)),
  partialTail: /(?<![\w-])\d[\d -]{0,10}$/,
};

export interface NationalIdPattern {
  /** Lower-case name, used as the span type and (upper-cased) in placeholders: uk_nino → [UK_NINO_1]. */
  name: string;
  /** A regular expression (JavaScript syntax, leading "(?i)" accepted); case-sensitive unless `ignoreCase`. */
  pattern: string;
  ignoreCase?: boolean;
  /** Longest text a match can span; a stream holds back this many trailing characters for it. */
  maxLength?: number;
}

export const DEFAULT_NATIONAL_ID_MAX_LENGTH = 32;

export function nationalIdDetector(config: NationalIdPattern): Detector {
  const compiled = compilePattern(config.pattern);
  const flags = new Set([...compiled.flags, 'g', ...(config.ignoreCase ? ['i'] : [])]);
  const pattern = new RegExp(compiled.source, [...flags].join(''));
  const maxLength = config.maxLength ?? DEFAULT_NATIONAL_ID_MAX_LENGTH;
  return {
    type: config.name,
    find: (text) => regexSpans(config.name, pattern, text),
    // Nothing is known about a configured pattern's prefixes, so the last maxLength characters are held.
    partialTail: new RegExp(`[\\s\\S]{1,${maxLength}}$`),
  };
}
