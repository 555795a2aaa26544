/**
 * A finished connection as a run of numbers (and its two address strings), so that it can cross
 * from the thread that tracks to the thread that reports (threads.ts) as part of one transferred
 * buffer rather than a structured clone of objects: its slot's fields as they are, then each of
 * its lists (store.ts). `unpackConnection` puts it into a slot of another store.
 */
import { C, type ConnectionStore, E, K, NONE } from './store.js';

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
    if (this.n === this.a.length) this.grow(1);
    this.a[this.n++] = x;
  }

  /** `count` numbers of `from`, starting at `at`. */
  pushRange(from: Float64Array, at: number, count: number): void {
    if (this.n + count > this.a.length) this.grow(count);
    this.a.set(from.subarray(at, at + count), this.n);
    this.n += count;
  }

  pushString(s: string): void {
    this.strings.push(s);
  }

  private grow(need: number): void {
    let size = this.a.length * 2;
    while (size < this.n + need) size *= 2;
    const b = new Float64Array(size);
    b.set(this.a.subarray(0, this.n));
    this.a = b;
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
  i = 0;
  private si = 0;

  constructor(readonly a: Float64Array, private readonly strs: readonly string[]) {}

  get done(): boolean {
    return this.i >= this.a.length;
  }

  next(): number {
    return this.a[this.i++]!;
  }

  string(): string {
    return this.strs[this.si++]!;
  }
}

/** The fields of a slot that hold lists (arena references). */
const LISTS: readonly number[] = [
  C.RESETS, C.NOTES,
  ...[C.CLIENT, C.SERVER].flatMap((e) => [e + E.LOG, e + E.SYN + K.MORE, e + E.SYN_ACK + K.MORE, e + E.FIN + K.MORE]),
];

/** Writes the connection in `slot` of `store` to `w`. */
export function packConnection(store: ConnectionStore, slot: number, w: PackWriter): void {
  const f = store.chunk(slot);
  const base = store.base(slot);
  w.pushRange(f, base, C.SIZE);
  const arena = store.arena;
  for (const field of LISTS) {
    const ref = f[base + field]!;
    const len = ref === NONE ? 0 : arena.data[ref + 1]!;
    w.push(len);
    if (len > 0) w.pushRange(arena.data, ref + 2, len);
  }
  w.pushString(store.addressText(slot, C.C0));
  w.pushString(store.addressText(slot, C.S0));
}

/** Reads a connection `packConnection` wrote into a new slot of `store`; returns the slot. */
export function unpackConnection(r: PackReader, store: ConnectionStore): number {
  const slot = store.allocate();
  const f = store.chunk(slot);
  const base = store.base(slot);
  f.set(r.a.subarray(r.i, r.i + C.SIZE), base);
  r.i += C.SIZE;
  const arena = store.arena;
  for (const field of LISTS) {
    const len = r.next();
    let ref = NONE;
    if (len > 0) {
      const at = arena.append(NONE, len);
      ref = arena.lastRef;
      arena.data.set(r.a.subarray(r.i, r.i + len), at);
      r.i += len;
    }
    f[base + field] = ref;
  }
  store.setAddressTexts(slot, r.string(), r.string());
  return slot;
}
