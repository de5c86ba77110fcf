// Fitting history to a token budget. History is cut in whole exchanges (a user message and what
// follows it up to the next user message), so a tool result never loses the call it answers.
import type { ChatMessage } from '../core/types.js';
import { countMessages } from './tokens.js';

type Counter = (text: string) => number;

/** Splits history into exchanges, each starting at a user message (a leading partial one is its own). */
export function exchanges(history: readonly ChatMessage[]): ChatMessage[][] {
  const out: ChatMessage[][] = [];
  for (const m of history) {
    if (m.role === 'user' || out.length === 0) out.push([m]);
    else out[out.length - 1].push(m);
  }
  return out;
}

export interface Fitted {
  kept: ChatMessage[];
  /** The oldest exchanges left out, in order. */
  dropped: ChatMessage[];
}

/** Drops the oldest exchanges until the rest fits in `budget` tokens. */
export function truncateOldest(count: Counter, history: readonly ChatMessage[], budget: number): Fitted {
  const groups = exchanges(history);
  const sizes = groups.map((g) => countMessages(count, g));
  let total = sizes.reduce((a, b) => a + b, 0);
  let first = 0;
  while (first < groups.length && total > budget) total -= sizes[first++];
  return { kept: groups.slice(first).flat(), dropped: groups.slice(0, first).flat() };
}

/** Keeps the last `n` messages (moved forward to an exchange start), then truncates to the budget if one is set. */
export function keepLast(count: Counter, history: readonly ChatMessage[], n: number, budget: number | undefined): Fitted {
  let start = Math.max(0, history.length - n);
  while (start > 0 && start < history.length && history[start].role !== 'user') start++;
  const recent = history.slice(start);
  const fitted = budget === undefined ? { kept: recent, dropped: [] } : truncateOldest(count, recent, budget);
  return { kept: fitted.kept, dropped: [...history.slice(0, start), ...fitted.dropped] };
}
