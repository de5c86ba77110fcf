// Undoes the cheap disguises attackers put on instructions so one set of patterns sees through them.

// Invisible characters used to split trigger words ("ig\u200Bnore") without changing how they look.
const INVISIBLE = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u206A-\u206F\uFEFF]/g;

// Cyrillic and Greek letters that look like Latin ones. NFKC already folds full-width and styled letters.
const HOMOGLYPHS: Record<string, string> = {
  а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x',
  і: 'i', ї: 'i', ј: 'j', ѕ: 's', ԁ: 'd', ԛ: 'q', ԝ: 'w', ɡ: 'g',
  α: 'a', β: 'b', ε: 'e', η: 'n', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ω: 'w',
};
const HOMOGLYPH = new RegExp(`[${Object.keys(HOMOGLYPHS).join('')}]`, 'g');

const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', $: 's' };
// Only inside words that also have letters: "1gn0re" is a disguise, "2024" is a number. Whole words are
// matched first and checked after, which keeps the scan linear on long runs of letters.
const WORD = /[a-z013457@$]+/g;
const HAS_LEET = /[013457@$]/;

// "i g n o r e" or "i.g.n.o.r.e": single letters joined by one separator, five or more in a row.
const SPACED_LETTERS = /\b(?:[a-z][ ._-]){4,}[a-z]\b/g;

export interface NormalizedText {
  /** Lower-cased, NFKC-folded, invisible characters removed, homoglyphs mapped to Latin. */
  text: string;
  /** `text` with leetspeak undone and spaced-out letters joined. */
  deobfuscated: string;
  /** The input used invisible characters or letters from another script to look like Latin text. */
  disguised: boolean;
}

export function normalizeForScoring(input: string): NormalizedText {
  const folded = input.normalize('NFKC').toLowerCase();
  const visible = folded.replace(INVISIBLE, '');
  const text = visible.replace(HOMOGLYPH, (char) => HOMOGLYPHS[char]);
  const deobfuscated = text
    .replace(WORD, (word) => (HAS_LEET.test(word) && /[a-z]/.test(word) ? word.replace(/[013457@$]/g, (char) => LEET[char]) : word))
    .replace(SPACED_LETTERS, (letters) => letters.replace(/[ ._-]/g, ''));
  // Mixed scripts inside one word are a disguise; a whole Cyrillic or Greek sentence is just language.
  const disguised = visible !== folded || /[a-z][а-яёіїјѕԁԛԝɡα-ω]|[а-яёіїјѕԁԛԝɡα-ω][a-z]/.test(visible);
  return { text, deobfuscated, disguised };
}
