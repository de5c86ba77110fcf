// Request ids are UUIDv7: valid UUIDs whose order is the order requests arrived in.
import { describe, expect, it } from 'vitest';
import { newRequestId } from '../src/core/request-id.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request ids', () => {
  it('are version 7 UUIDs carrying the time in milliseconds', () => {
    const at = Date.UTC(2026, 10, 22, 5, 0, 0, 123);
    const id = newRequestId(at);
    expect(id).toMatch(V7);
    expect(parseInt(id.replace('-', '').slice(0, 12), 16)).toBe(at);
  });

  it('sort by time and never repeat', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => newRequestId(1_700_000_000_000 + Math.floor(i / 100)));
    expect(new Set(ids).size).toBe(ids.length);
    const times = ids.map((id) => id.slice(0, 13));
    expect([...times].sort()).toEqual(times);
  });
});
