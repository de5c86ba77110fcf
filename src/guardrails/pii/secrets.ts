// Credentials: provider API keys, tokens, JWTs, PEM private keys and passwords written into URLs.
import { type Detector, type Span, regexSpans } from './types.js';

// Each shape is anchored on a provider's fixed prefix, so ordinary identifiers rarely match.
const KEY_SHAPES: RegExp[] = [
  /(?<![\w-])sk-ant-(?:api\d\d-|admin\d\d-)?[A-Za-z0-9_-]{20,}/g, // Anthropic
  /(?<![\w-])sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g, // OpenAI
  /(?<![\w-])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![\w])/g, // AWS access key id
  /(?<![\w-])gh[pousr]_[A-Za-z0-9]{36,}(?![\w])/g, // GitHub classic tokens
  /(?<![\w-])github_pat_[A-Za-z0-9_]{50,}/g, // GitHub fine-grained tokens
  /(?<![\w-])glpat-[A-Za-z0-9_-]{20,}/g, // GitLab personal access token
  /(?<![\w-])xox[abposr]-[A-Za-z0-9-]{10,}/g, // Slack tokens
  /(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])/g, // Google API key
  /(?<![\w-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, // JWT (header.payload.signature)
];

// A key body is random: it has digits and letters. "sk-your-api-key-goes-here" is a placeholder.
const looksRandom = (value: string): boolean => {
  const body = value.replace(/^[a-z]+[-_](?:[a-z]+[-_])?/, '');
  return /\d/.test(body) && /[A-Za-z]/.test(body);
};

// The body stops at the next "-----", so an unclosed header costs one scan to there, not to the end.
const PEM_PRIVATE_KEY = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:[^-]|-(?!----))*-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----/g;
// Only the password is sensitive; the scheme, user and host stay readable.
const URL_PASSWORD = /\b[a-z][a-z0-9+.-]{1,20}:\/\/[^\s:/@]{0,128}:([^\s/@]{1,256})@[A-Za-z0-9.-]/dgi;
// An AWS secret key has no prefix of its own; it is only recognised next to its variable name.
const AWS_SECRET = /aws_secret_access_key["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/dgi;

/** Spans of capture group 1 of a pattern compiled with the `d` (indices) flag. */
function capturedGroupSpans(pattern: RegExp, text: string): Span[] {
  const spans: Span[] = [];
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    const [start, end] = match.indices![1];
    spans.push({ type: 'secret', start, end, value: match[1], contextStart: match.index });
  }
  return spans;
}

function findSecrets(text: string): Span[] {
  const spans: Span[] = [];
  for (const shape of KEY_SHAPES) spans.push(...regexSpans('secret', shape, text, looksRandom));
  spans.push(...regexSpans('secret', PEM_PRIVATE_KEY, text));
  spans.push(...capturedGroupSpans(URL_PASSWORD, text));
  spans.push(...capturedGroupSpans(AWS_SECRET, text));
  return spans;
}

export const secretDetector: Detector = {
  type: 'secret',
  find: findSecrets,
  // A key or JWT still being written (at most 256 characters: longer keys may be split in a stream),
  // a URL before its "@", or a PEM block not yet closed. Each starts where a match could start.
  partialTail: new RegExp(
    `(?:${[
      String.raw`(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{1,256}(?:\.[A-Za-z0-9_-]{0,1000}){0,2}`,
      String.raw`(?<![a-z0-9+.-])[a-z][a-z0-9+.-]{0,20}:(?:\/(?:\/[^\s/@]{0,400}@?)?)?`,
      String.raw`(?<!\w)aws_secret_access_key[^\n]{0,80}`,
      String.raw`(?<!-)-[-A-Z0-9 ]{0,60}`,
      String.raw`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[^]{0,4000}`,
    ].join('|')})$`,
    'i',
  ),
};
