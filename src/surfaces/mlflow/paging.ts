// MLflow's list paging. The token is what MLflow's SearchRoutesToken writes: standard base64 of
// Python's json.dumps({"index": N}) (note the space after the colon), so tokens from either server
// are interchangeable. The page size is MLflow's 3000; `max_results` (a Gatehouse addition) asks for less.
import { badRequest } from '../../core/errors.js';

export const PAGE_SIZE = 3000;

export interface PageQuery {
  page_token?: unknown;
  max_results?: unknown;
}

export interface Page<T> {
  items: T[];
  /** null on the last page, as MLflow's response model serializes it. */
  next_page_token: string | null;
}

export function encodePageToken(index: number): string {
  return Buffer.from(`{"index": ${index}}`).toString('base64');
}

/**
 * Reads a token back into a start index. MLflow answers a bad token with a 500 (its exception is not
 * an HTTP error); Gatehouse answers 400 with MLflow's message.
 */
export function decodePageToken(token: unknown): number {
  const invalid = (reason: string) => badRequest(`Invalid SearchRoutes token: ${String(token)}. ${reason}`, 'page_token', 'invalid_page_token');
  if (typeof token !== 'string') throw invalid('Give the token once, as the next_page_token of the previous page.');
  let index: unknown;
  try {
    index = (JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { index?: unknown }).index;
  } catch {
    throw invalid('It is not a token this server returned (base64 of {"index": N}).');
  }
  if (typeof index !== 'number' || !Number.isSafeInteger(index)) {
    throw invalid('The index is not defined as a value that can be represented as a positive integer.');
  }
  if (index < 0) throw invalid('The index cannot be negative.');
  return index;
}

function pageSize(raw: unknown): number {
  if (raw === undefined) return PAGE_SIZE;
  const size = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(size >= 1 && size <= PAGE_SIZE)) throw badRequest(`'max_results' must be an integer from 1 to ${PAGE_SIZE}`, 'max_results');
  return size;
}

/** Cuts one page out of `all` (in config order) as MLflow does. */
export function page<T>(all: readonly T[], query: PageQuery): Page<T> {
  const start = query.page_token === undefined ? 0 : decodePageToken(query.page_token);
  const end = start + pageSize(query.max_results);
  return { items: all.slice(start, end), next_page_token: end < all.length ? encodePageToken(end) : null };
}
