// Durations and sizes as people write them in config: a bare number or a string with a unit.
import { z } from 'zod';

// Durations are written as a number of seconds or a string with a unit ("250ms", "30s", "5m", "1h").
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDurationMs(value: number | string): number | undefined {
  if (typeof value === 'number') return value >= 0 && Number.isFinite(value) ? value * 1000 : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] ?? 's'];
}

/** A zod type that accepts a duration and yields milliseconds. With `positive`, zero is refused (a zero timeout fails every call). */
export const duration = (description: string, { positive = false }: { positive?: boolean } = {}) =>
  z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      const ms = parseDurationMs(value);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration; write seconds as a number or a string like "250ms", "30s", "5m", "1h"` });
        return z.NEVER;
      }
      if (positive && ms === 0) {
        ctx.addIssue({ code: 'custom', message: 'must be longer than 0' });
        return z.NEVER;
      }
      return ms;
    })
    .meta({ description });

// Sizes are written as bytes or a string with a unit ("512kb", "10mb", "10MiB"); units are powers of 1024.
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2, gb: 1024 ** 3, gib: 1024 ** 3 };

export function parseSizeBytes(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  if (!match) return undefined;
  const unit = SIZE_UNITS[(match[2] || 'b').toLowerCase()];
  const bytes = unit ? Math.floor(Number(match[1]) * unit) : 0;
  return bytes > 0 ? bytes : undefined;
}

export const size = (description: string) =>
  z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      const bytes = parseSizeBytes(value);
      if (bytes === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${value}" is not a size; write bytes as a whole number above 0 or a string like "512kb", "10mb"` });
        return z.NEVER;
      }
      return bytes;
    })
    .meta({ description });
