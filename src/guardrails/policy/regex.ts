// Compiles user-supplied patterns. Kong's patterns are PCRE and often start with an inline flag group
// such as "(?i)", which JavaScript's RegExp does not accept; a leading one is turned into RegExp flags.

const LEADING_FLAGS = /^\(\?([ims]+)\)/;

/** Throws a SyntaxError naming the pattern when it does not compile. */
export function compilePattern(source: string): RegExp {
  const leading = LEADING_FLAGS.exec(source);
  const flags = leading ? [...new Set(leading[1])].join('') : '';
  return new RegExp(leading ? source.slice(leading[0].length) : source, flags);
}

/** The compile error for a pattern, or undefined when it is valid; used by config validation. */
export function patternError(source: string): string | undefined {
  try {
    compilePattern(source);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
