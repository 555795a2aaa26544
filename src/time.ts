/**
 * Times are seconds relative to the first packet, held as doubles. Made from a whole number of
 * nanoseconds divided by 1e9, such a double prints exactly as its decimal (0.381417, never
 * 0.38141699999999997); sums and differences of two of them do not, so every time or duration
 * derived from others goes through these, and the JSON needs no rounding pass.
 */

/** Seconds from a whole number of nanoseconds (exact below 2^53 ns: 104 days). */
export function nsToS(ns: number): number {
  return ns / 1e9;
}

/** `b - a`, as clean as its operands. */
export function diffS(a: number, b: number): number {
  return Math.round((b - a) * 1e9) / 1e9;
}

/** `a + b`, as clean as its operands. */
export function sumS(a: number, b: number): number {
  return Math.round((a + b) * 1e9) / 1e9;
}

/** Any computed number of seconds (a product, a ratio), rounded to the nanosecond. */
export function roundS(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}
