/**
 * Growing the typed arrays that hold the tracker's and the findings' numbers (lists of numbers
 * rather than objects, so the collector has nothing to trace).
 */

export type NumberArray = Uint8Array | Int8Array | Int32Array | Uint32Array | Float64Array;

/** A new array of `length` holding the first `keep` items of `a` (all of them by default); the rest zero. */
export function grown<T extends NumberArray>(a: T, length: number, keep = a.length): T {
  const b = new (a.constructor as new (length: number) => T)(length);
  b.set(keep === a.length ? a : a.subarray(0, keep));
  return b;
}
