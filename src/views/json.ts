/** `--json`: the whole report as one document (SPEC section 6). */
import type { Report } from '../pipeline.js';

/**
 * Serializes with times rounded to `digits` decimals. Only times are fractional in the report (counts, ports and sequence numbers are integers), so
 * every non-integer number is a time; rounding removes float noise like 0.30000000000000004.
 */
export function toJson(value: unknown, digits: number, indent = 2): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'number' && !Number.isInteger(v) ? roundTo(v, digits) : v), indent);
}

export function roundTo(v: number, digits: number): number {
  return Number(v.toFixed(digits));
}

/**
 * Times keep 9 digits whatever the input: a µs time is exact at 9 digits too, and the streamed
 * and whole outputs then print the same numbers.
 */
export function reportJson(report: Report): string {
  return toJson(report, 9);
}
