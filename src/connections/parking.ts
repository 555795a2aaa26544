/**
 * Parking: a connection that only waits out TIME_WAIT, packed into about a quarter of its memory.
 *
 * A busy capture holds most of its connections only because one side is in TIME_WAIT: nothing is
 * left to happen to them but the timer, unless a late segment comes (a retransmitted FIN, a SYN
 * reusing the four-tuple). At ~3,250 new connections a second that is ~195 k connections at once,
 * each a 1.3 KB slot and ~0.5 KB of lists in the arena (store.ts): ~350 MB of doubles, most of
 * them empty fields, 32-bit integers, or times that are whole microseconds. Parked, a connection
 * is its fields that are not empty, and its lists, as 32-bit words in pages; the store takes it
 * back into a slot, exactly as it was, the moment anyone looks at it again.
 *
 * The record, for a slot of `size` fields with `defaults` (the empty slot), in 32-bit words:
 *
 *     base      the double every time is written from (2 words, its bits)
 *     bitmap    ceil(size / 32) words: bit i set when field i is not its default (a list: not NONE)
 *     fields    for each set bit, in field order, the field's value; a list is its length (in
 *               doubles) and then its doubles, each a value
 *
 * A value is one word, read by the field's kind (SlotShape.kinds, a list item's by its position):
 * a NUMBER is an integer 0 <= x < 2^32 - 1; a TIME is a double x === us / 1e6 for a whole number
 * of microseconds us (pcap's resolution; time.ts makes every time a whole number of nanoseconds
 * over 1e9), written as us - base's microseconds, a signed 32-bit distance (+-35 minutes). Anything
 * else (NaN, -0, a nanosecond time, a larger number) is ESCAPE and the double's two words of bits.
 * Read back, a time is the same division, so every double comes back bit for bit; a kind that
 * guesses wrong costs two words, never a value.
 *
 * Fixed words rather than variable-length numbers: a varint's length and tag change from value to
 * value, and the branches they take were most of the cost (~4 us a connection parked and back).
 */
import { grown } from '../typed-arrays.js';

/** The words of one page: a record never spans two. */
const PAGE_WORDS = 1 << 16;
/** The word that says a double's two words follow. */
const ESCAPE = 0xffffffff;

export const enum Kind { NUMBER = 0, TIME = 1, LIST = 2 }

/** A connection's slot as the store describes it: its fields, their defaults and kinds. */
export interface SlotShape {
  size: number;
  defaults: Float64Array;
  /** Each field's Kind. */
  kinds: Uint8Array;
  /** For a LIST field, the kinds of the doubles of one item (a list's length is a multiple). */
  itemKinds: (Uint8Array | undefined)[];
  /** The field whose time the record's other times are written from (a time they are near). */
  baseField: number;
}

/** The arena the lists live in (store.ts Arena): blocks of [capacity, length, items...]. */
export interface ListArena {
  data: Float64Array;
  lastRef: number;
  append(ref: number, size: number, initial?: number): number;
}

const NONE = -1;

/** One double and its two words. */
const BITS = new Float64Array(1);
const BITS_WORDS = new Uint32Array(BITS.buffer);

export class ParkingLot {
  private pages: Uint32Array[] = [];
  /** Records still parked in each page. */
  private records = new Int32Array(16);
  private readonly freePages: number[] = [];
  private page = -1;
  private pos = PAGE_WORDS;
  /** Records parked now. */
  count = 0;

  /** The fields that are lists. */
  private readonly lists: number[] = [];

  /**
   * `shared`: pages live in shared memory, so that a reader on another thread can take a parked
   * connection that finished out of them (`read`, on its own lot of the same pages: `adoptPage`).
   */
  constructor(private readonly shape: SlotShape, private readonly shared = false) {
    for (let i = 0; i < shape.size; i++) {
      if (shape.kinds[i] === Kind.LIST) this.lists.push(i);
      if (Object.is(shape.defaults[i], -0)) throw new Error('parking: a default of -0');
      if ((shape.kinds[i] === Kind.LIST) !== (shape.itemKinds[i] !== undefined)) throw new Error(`parking: field ${i}'s item kinds`);
    }
  }

  /**
   * Writes the connection whose fields start at `base` in `f` (lists in `arena`) and returns the
   * record's reference, or -1 when it would not fit a page (a connection with thousands of events:
   * it stays in its slot). The slot and its lists are left as they are; the caller frees them.
   */
  park(f: Float64Array, base: number, arena: ListArena): number {
    const { size, kinds, itemKinds, defaults } = this.shape;
    const bitmapWords = (size + 31) >> 5;
    const d = arena.data;
    // An upper bound of the record's size (every value escaped), to pick its page before writing.
    let bound = 2 + bitmapWords + size * 3;
    const lists = this.lists;
    for (let j = 0; j < lists.length; j++) {
      const ref = f[base + lists[j]!]!;
      if (ref !== NONE) bound += d[ref + 1]! * 3;
    }
    if (bound > PAGE_WORDS) return -1;
    if (this.pos + bound > PAGE_WORDS) this.nextPage();
    const p = this.pages[this.page]!;
    const start = this.pos;
    const b0 = f[base + this.shape.baseField]!;
    BITS[0] = b0;
    p[start] = BITS_WORDS[0]!;
    p[start + 1] = BITS_WORDS[1]!;
    const us0 = wholeUs(b0);
    const bitmap = start + 2;
    let o = bitmap + bitmapWords;
    let bits = 0;
    for (let i = 0; i < size; i++) {
      const x = f[base + i]!;
      const kind = kinds[i]!;
      if (kind === Kind.LIST) {
        if (x !== NONE) {
          bits |= 1 << (i & 31);
          const n = d[x + 1]!;
          p[o++] = n;
          const item = itemKinds[i]!;
          const m = item.length;
          for (let k = 0; k < n; k += m) {
            for (let j = 0; j < m; j++) o = put(p, o, d[x + 2 + k + j]!, item[j]!, us0);
          }
        }
      } else {
        const dflt = defaults[i]!;
        // The default, bit for bit: not -0 for a 0 (no default is -0), any NaN for a NaN.
        if (x === dflt ? x === 0 && 1 / x < 0 : x === x || dflt === dflt) {
          bits |= 1 << (i & 31);
          o = put(p, o, x, kind, us0);
        }
      }
      if ((i & 31) === 31 || i === size - 1) {
        p[bitmap + (i >> 5)] = bits;
        bits = 0;
      }
    }
    this.pos = o;
    this.records[this.page]!++;
    this.count++;
    return this.page * PAGE_WORDS + start;
  }

  /** Reads record `ref` back into the fields at `base` in `f` (lists made anew in `arena`) and drops it. */
  unpark(ref: number, f: Float64Array, base: number, arena: ListArena): void {
    this.read(ref, f, base, arena);
    this.release(Math.floor(ref / PAGE_WORDS));
  }

  /** Reads record `ref` back into the fields at `base` in `f` (lists made anew in `arena`), and keeps it. */
  read(ref: number, f: Float64Array, base: number, arena: ListArena): void {
    const { size, kinds, itemKinds, defaults } = this.shape;
    const page = Math.floor(ref / PAGE_WORDS);
    const p = this.pages[page]!;
    const start = ref - page * PAGE_WORDS;
    BITS_WORDS[0] = p[start]!;
    BITS_WORDS[1] = p[start + 1]!;
    const us0 = wholeUs(BITS[0]!);
    const bitmap = start + 2;
    const bitmapWords = (size + 31) >> 5;
    let o = bitmap + bitmapWords;
    f.set(defaults, base);
    for (let w = 0; w < bitmapWords; w++) {
      let bits = p[bitmap + w]!;
      while (bits !== 0) {
        const i = w * 32 + 31 - Math.clz32(bits & -bits);
        bits &= bits - 1;
        const kind = kinds[i]!;
        if (kind !== Kind.LIST) {
          const v = p[o++]!;
          if (v === ESCAPE) { f[base + i] = escaped(p, o); o += 2; }
          else f[base + i] = kind === Kind.TIME ? (us0 + (v | 0)) / 1e6 : v;
          continue;
        }
        const n = p[o++]!;
        const at = arena.append(NONE, n, n);
        const d = arena.data; // after append: the arena may have grown
        f[base + i] = arena.lastRef;
        const item = itemKinds[i]!;
        const m = item.length;
        for (let k = 0; k < n; k += m) {
          for (let j = 0; j < m; j++) {
            const v = p[o++]!;
            if (v === ESCAPE) { d[at + k + j] = escaped(p, o); o += 2; }
            else d[at + k + j] = item[j] === Kind.TIME ? (us0 + (v | 0)) / 1e6 : v;
          }
        }
      }
    }
  }

  /** Drops record `ref` unread (its connection was forgotten while parked). */
  drop(ref: number): void {
    this.release(Math.floor(ref / PAGE_WORDS));
  }

  /** Forgets every record. */
  clear(): void {
    this.freePages.length = 0;
    for (let p = 0; p < this.pages.length; p++) { this.records[p] = 0; this.freePages.push(p); }
    this.page = -1;
    this.pos = PAGE_WORDS;
    this.count = 0;
  }

  /** How many pages there are (a shared lot's, for its reader: `pageBuffer`). */
  get pageCount(): number {
    return this.pages.length;
  }

  /** The memory of page `i` (of a shared lot). */
  pageBuffer(i: number): ArrayBufferLike {
    return this.pages[i]!.buffer;
  }

  /** Makes `buffer` (page `i` of a shared lot on another thread) this lot's page `i`, to `read` from. */
  adoptPage(i: number, buffer: ArrayBufferLike): void {
    this.pages[i] = new Uint32Array(buffer);
  }

  /** Bytes of pages held. */
  get pageBytes(): number {
    return this.pages.length * PAGE_WORDS * 4;
  }

  private release(page: number): void {
    this.count--;
    if (--this.records[page]! > 0) return;
    // An empty page is written again from its start: the one in use at once, any other later.
    if (page === this.page) this.pos = 0;
    else this.freePages.push(page);
  }

  private nextPage(): void {
    const reuse = this.freePages.pop();
    if (reuse !== undefined) this.page = reuse;
    else {
      this.page = this.pages.length;
      this.pages.push(this.shared ? new Uint32Array(new SharedArrayBuffer(PAGE_WORDS * 4)) : new Uint32Array(PAGE_WORDS));
      if (this.records.length < this.pages.length) this.records = grown(this.records, this.records.length * 2);
    }
    this.pos = 0;
  }
}

/** The whole microseconds of time `x` (x === us / 1e6), else 0. */
function wholeUs(x: number): number {
  const us = Math.round(x * 1e6);
  return Number.isSafeInteger(us) && us / 1e6 === x ? us : 0;
}

/** Writes `x` of kind `kind` at `o` of `p` (times from `us0`); returns the offset after it. */
function put(p: Uint32Array, o: number, x: number, kind: number, us0: number): number {
  if (kind === Kind.TIME) {
    const us = Math.round(x * 1e6);
    if (us / 1e6 === x && x !== 0) {
      const dist = us - us0;
      // -1 would read as ESCAPE; 0 is left out for -0 (an integer time is rare, and escaped).
      if (dist >= -0x7fffffff && dist <= 0x7fffffff && dist !== -1) { p[o] = dist; return o + 1; }
    }
  } else if ((x >>> 0) === x && x !== ESCAPE && (x !== 0 || 1 / x > 0)) {
    p[o] = x;
    return o + 1;
  }
  p[o] = ESCAPE;
  BITS[0] = x;
  p[o + 1] = BITS_WORDS[0]!;
  p[o + 2] = BITS_WORDS[1]!;
  return o + 3;
}

/** The double whose two words are at `o` of `p`. */
function escaped(p: Uint32Array, o: number): number {
  BITS_WORDS[0] = p[o]!;
  BITS_WORDS[1] = p[o + 1]!;
  return BITS[0]!;
}
