/**
 * A finished connection as a run of numbers (and its two address strings), so that it can cross
 * from the thread that tracks to the thread that reports (pipeline.ts, threads) as one transferred
 * buffer rather than a structured clone of thirty-odd objects. Each class packs and unpacks its own
 * fields (Connection.pack, Endpoint.pack, Control.pack); this file holds the buffer and the codes.
 *
 * Every number is a double: frames and counters are exact, times are the tracker's own doubles,
 * and "none" (null) is NaN.
 */

/** A growing list of doubles, handed over whole (`take`) when a batch is full. */
export class PackWriter {
  private a: Float64Array;
  private n = 0;
  readonly strings: string[] = [];

  constructor(capacity = 1 << 14) {
    this.a = new Float64Array(capacity);
  }

  get length(): number {
    return this.n;
  }

  push(x: number): void {
    if (this.n === this.a.length) this.grow();
    this.a[this.n++] = x;
  }

  /** Null as NaN. */
  pushNullable(x: number | null): void {
    this.push(x === null ? NaN : x);
  }

  pushString(s: string): void {
    this.strings.push(s);
  }

  private grow(): void {
    const b = new Float64Array(this.a.length * 2);
    b.set(this.a);
    this.a = b;
  }

  /** The numbers written so far as a compact code (`encode`); the writer starts empty again. */
  takeCode(): { code: string; strings: string[] } {
    const code = encode(this.a, this.n);
    const strings = this.strings.splice(0);
    this.n = 0;
    return { code, strings };
  }

  /** The numbers written so far (a buffer of their own, to transfer); the writer starts empty again. */
  take(): { numbers: Float64Array; strings: string[] } {
    const numbers = this.a.slice(0, this.n);
    const strings = this.strings.splice(0);
    this.n = 0;
    return { numbers, strings };
  }
}

/** Reads back what a PackWriter wrote, in the same order. */
export class PackReader {
  private i = 0;
  private si = 0;

  constructor(private readonly a: ArrayLike<number>, private readonly strs: readonly string[]) {}

  get done(): boolean {
    return this.i >= this.a.length;
  }

  next(): number {
    return this.a[this.i++]!;
  }

  nullable(): number | null {
    const x = this.a[this.i++]!;
    return x !== x ? null : x;
  }

  bool(): boolean {
    return this.a[this.i++] === 1;
  }

  /** `n` numbers as a fresh array. */
  list(n: number): number[] {
    const out: number[] = [];
    for (let k = 0; k < n; k++) out.push(this.a[this.i++]!);
    return out;
  }

  string(): string {
    return this.strs[this.si++]!;
  }
}

/** Codes for the few string-valued fields: their index in a fixed list. */
export function codeOf<T extends string>(list: readonly T[], value: T): number {
  const i = list.indexOf(value);
  if (i < 0) throw new Error(`pack: unknown value ${value}`);
  return i;
}

/*
 * The compact code a parked connection is kept in (ParkedConnection): its numbers as bytes, in a
 * one-byte string (on the JS heap, nothing inside for the collector to trace). Most of a
 * connection's numbers are small counts, codes and frames, or times that are a whole number of
 * nanoseconds (time.ts); as doubles they took 8 bytes each, here 1 to 6. Each number starts with
 * a byte t:
 *   0x00-0xDF  the integer t itself
 *   0xE0 + k   a non-negative integer in the next k bytes (little-endian), k = 1..7
 *   0xE8 + k   a time of a whole number of microseconds, that number in the next k bytes
 *   0xF0 + k   a time of a whole number of nanoseconds, that number in the next k bytes
 *   0xF8 NaN (none), 0xF9 -1, 0xFA any other double in the next 8 bytes
 */
const SMALL_MAX = 0xdf;
const INT = 0xe0;
const MICROS = 0xe8;
const NANOS = 0xf0;
const NAN = 0xf8;
const MINUS_ONE = 0xf9;
const DOUBLE = 0xfa;

let bytes = Buffer.alloc(1 << 12);
/** For the byte order of a raw double: whatever the machine's, the same on the way back. */
const double = new Float64Array(1);
const doubleBytes = new Uint8Array(double.buffer);

// Runs for every connection that parks (most of them): kept to plain integer arithmetic.
function encode(a: Float64Array, n: number): string {
  if (bytes.length < n * 9) bytes = Buffer.alloc(n * 9);
  const b = bytes;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    if ((x >>> 0) === x && (x !== 0 || 1 / x > 0)) { // a whole number 0 .. 2^32-1 (and not -0)
      if (x <= SMALL_MAX) b[o++] = x;
      else o = writeUint32(b, o, INT, x);
    } else if (x !== x) b[o++] = NAN;
    else if (x === -1) b[o++] = MINUS_ONE;
    else if (x > 0 && x <= Number.MAX_SAFE_INTEGER && Math.floor(x) === x) o = writeUint(b, o, INT, x);
    else {
      const ns = Math.round(x * 1e9);
      if (x > 0 && ns <= Number.MAX_SAFE_INTEGER && ns / 1e9 === x) {
        const us = ns / 1000;
        o = (us >>> 0) === us ? writeUint32(b, o, MICROS, us) : Math.floor(us) === us ? writeUint(b, o, MICROS, us) : writeUint(b, o, NANOS, ns);
      } else {
        b[o++] = DOUBLE;
        double[0] = x;
        for (let k = 0; k < 8; k++) b[o++] = doubleBytes[k]!;
      }
    }
  }
  return b.toString('latin1', 0, o);
}

/** Writes tag + k, then x (1 .. 2^32-1) in k little-endian bytes. */
function writeUint32(b: Uint8Array, o: number, tag: number, x: number): number {
  if (x < 0x100) { b[o] = tag + 1; b[o + 1] = x; return o + 2; }
  if (x < 0x10000) { b[o] = tag + 2; b[o + 1] = x & 0xff; b[o + 2] = x >>> 8; return o + 3; }
  if (x < 0x1000000) { b[o] = tag + 3; b[o + 1] = x & 0xff; b[o + 2] = (x >>> 8) & 0xff; b[o + 3] = x >>> 16; return o + 4; }
  b[o] = tag + 4; b[o + 1] = x & 0xff; b[o + 2] = (x >>> 8) & 0xff; b[o + 3] = (x >>> 16) & 0xff; b[o + 4] = x >>> 24;
  return o + 5;
}

/** Writes tag + k, then x (a safe non-negative integer) in k little-endian bytes. */
function writeUint(b: Uint8Array, o: number, tag: number, x: number): number {
  const at = o++;
  let k = 0;
  while (x > 0) {
    b[o++] = x % 256;
    x = Math.floor(x / 256);
    k++;
  }
  b[at] = tag + k;
  return o;
}

let decoded = new Float64Array(1 << 10);

/** The numbers `code` holds (a view of a scratch buffer: valid until the next call). */
export function decode(code: string): Float64Array {
  let n = 0;
  for (let i = 0; i < code.length;) {
    if (n === decoded.length) {
      const grown = new Float64Array(decoded.length * 2);
      grown.set(decoded);
      decoded = grown;
    }
    const t = code.charCodeAt(i++);
    if (t <= SMALL_MAX) { decoded[n++] = t; continue; }
    if (t === NAN) { decoded[n++] = NaN; continue; }
    if (t === MINUS_ONE) { decoded[n++] = -1; continue; }
    if (t === DOUBLE) {
      for (let k = 0; k < 8; k++) doubleBytes[k] = code.charCodeAt(i++);
      decoded[n++] = double[0]!;
      continue;
    }
    const k = t & 7;
    let x = 0;
    for (let j = k - 1; j >= 0; j--) x = x * 256 + code.charCodeAt(i + j);
    i += k;
    decoded[n++] = t < MICROS ? x : t < NANOS ? (x * 1000) / 1e9 : x / 1e9;
  }
  return decoded.subarray(0, n);
}
