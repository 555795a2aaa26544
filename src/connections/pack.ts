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

  /** The numbers written so far as a list of doubles of just that length; the writer starts empty again. */
  takeList(): { numbers: number[]; strings: string[] } {
    const numbers = new Array<number>(this.n);
    for (let i = 0; i < this.n; i++) numbers[i] = this.a[i]!;
    const strings = this.strings.splice(0);
    this.n = 0;
    return { numbers, strings };
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
