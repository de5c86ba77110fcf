// Deny and allow regular-expression lists with the semantics of Kong's ai-prompt-guard:
// a deny match rejects, even when an allow pattern also matches; when allow patterns are set, the
// prompt must match at least one of them; with neither, everything passes.
import { compilePattern } from './regex.js';

export interface PromptGuardPatterns {
  allow?: readonly string[];
  deny?: readonly string[];
}

export type PromptGuardVerdict =
  | { allowed: true }
  | { allowed: false; reason: 'denied'; pattern: string }
  | { allowed: false; reason: 'not_allowed' };

export class PromptGuard {
  private readonly allow: Array<{ source: string; regex: RegExp }>;
  private readonly deny: Array<{ source: string; regex: RegExp }>;

  constructor(patterns: PromptGuardPatterns) {
    const compile = (source: string) => ({ source, regex: compilePattern(source) });
    this.allow = (patterns.allow ?? []).map(compile);
    this.deny = (patterns.deny ?? []).map(compile);
  }

  check(text: string): PromptGuardVerdict {
    const denied = this.deny.find((p) => p.regex.test(text));
    if (denied) return { allowed: false, reason: 'denied', pattern: denied.source };
    if (this.allow.length > 0 && !this.allow.some((p) => p.regex.test(text))) return { allowed: false, reason: 'not_allowed' };
    return { allowed: true };
  }
}
