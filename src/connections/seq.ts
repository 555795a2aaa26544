/** Sequence-number arithmetic modulo 2^32 (RFC 9293 3.4): comparisons by signed 32-bit difference. */

export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}
export function seqLT(a: number, b: number): boolean {
  return seqDiff(a, b) < 0;
}
export function seqLE(a: number, b: number): boolean {
  return seqDiff(a, b) <= 0;
}
export function seqGE(a: number, b: number): boolean {
  return seqDiff(a, b) >= 0;
}
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
/** The later of two sequence numbers; `null` stands for "none seen yet". */
export function seqMax(a: number | null, b: number): number {
  return a === null || seqLT(a, b) ? b : a;
}
