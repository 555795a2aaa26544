/**
 * What each source sent each target, per probe family, for the port-scan alert: a hash table of
 * numbers. Every finished connection is one probe of its server's port, and ordinary traffic makes
 * a pair (source, target, family) per client and server it sees; at 10 M packets that is a
 * couple of hundred thousand pairs live at once. As objects in Maps they were most of what the
 * garbage collector marked and most of the alerts' time; here a pair is a row of numbers, keyed
 * by the two addresses' words, and only a pair that probes a second port gets an object (its
 * ports, with the address texts the alert will name).
 */

import { grown } from '../typed-arrays.js';

/** How one port answered one probe. `style` is a ScanStyle code (STYLES), -1 for none. */
export interface Probe { style: number; open: boolean; closed: boolean; s: number }

/** A pair that has probed more than one port. */
export interface MultiPortPair {
  source: string;
  target: string;
  ports: Map<number, Probe>;
}

/** The numbers of the key: IP version and family (one number), the source's 4 words, the target's 4. */
const KEY = 9;
const EMPTY = -1;

export class ProbeTable {
  /** Rows in use. */
  size = 0;
  private capacity = 1024;
  private keys = new Float64Array(this.capacity * KEY);
  // Per row: the first port probed and how it answered; the last time; when the pair was first
  // seen (alerts come in this order); its MultiPortPair (index into `multi`, -1: one port so far).
  private firstPort = new Int32Array(this.capacity);
  private firstStyle = new Int8Array(this.capacity);
  private firstAnswer = new Uint8Array(this.capacity); // bit 1 open, bit 2 closed
  private firstS = new Float64Array(this.capacity);
  private lastSOf = new Float64Array(this.capacity);
  private seqOf = new Float64Array(this.capacity);
  private multiOf = new Int32Array(this.capacity);
  private multi: MultiPortPair[] = [];
  /** Open addressing: row + 1 by hash (0: empty), twice the rows' capacity. */
  private index = new Int32Array(this.capacity * 2);
  private nextSeq = 0;

  /**
   * The row of (`versionAndFamily`, source words `src`, target words `dst`), added if new
   * (`added` tells). Words are read from `w` at `src` and `dst` (4 each).
   */
  find(versionAndFamily: number, w: ArrayLike<number>, src: number, dst: number): number {
    const hash = keyHash(versionAndFamily, w, src, dst);
    const mask = this.index.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const row = this.index[i]! - 1;
      if (row === EMPTY) {
        this.added = true;
        return this.insert(i, versionAndFamily, w, src, dst);
      }
      if (this.matches(row, versionAndFamily, w, src, dst)) {
        this.added = false;
        return row;
      }
    }
  }

  /** Whether the last `find` added its row. */
  added = false;

  /** (Re)starts row `row` as a pair whose first probe is this one. */
  start(row: number, port: number, p: Probe, lastS: number): void {
    this.firstPort[row] = port;
    this.firstStyle[row] = p.style;
    this.firstAnswer[row] = (p.open ? 1 : 0) | (p.closed ? 2 : 0);
    this.firstS[row] = p.s;
    this.lastSOf[row] = lastS;
    this.seqOf[row] = this.nextSeq++;
    this.multiOf[row] = EMPTY;
  }

  lastS(row: number): number { return this.lastSOf[row]!; }
  setLastS(row: number, s: number): void { this.lastSOf[row] = s; }
  first(row: number): number { return this.firstPort[row]!; }

  /** The first probe of `row`, as an object. */
  firstProbe(row: number): Probe {
    const a = this.firstAnswer[row]!;
    return { style: this.firstStyle[row]!, open: (a & 1) !== 0, closed: (a & 2) !== 0, s: this.firstS[row]! };
  }

  /** The ports of `row` once it has more than one, else null. */
  multiPort(row: number): MultiPortPair | null {
    const m = this.multiOf[row]!;
    return m === EMPTY ? null : this.multi[m]!;
  }

  setMultiPort(row: number, m: MultiPortPair): void {
    this.multiOf[row] = this.multi.length;
    this.multi.push(m);
  }

  /** Every pair with more than one port, in the order the pairs were first seen. */
  multiPortPairs(): MultiPortPair[] {
    const rows: number[] = [];
    for (let r = 0; r < this.size; r++) if (this.multiOf[r] !== EMPTY) rows.push(r);
    rows.sort((a, b) => this.seqOf[a]! - this.seqOf[b]!);
    return rows.map((r) => this.multi[this.multiOf[r]!]!);
  }

  /** Keeps only the rows `keep` says to keep (the table is rebuilt). */
  retain(keep: (row: number) => boolean): void {
    let to = 0;
    const multi: MultiPortPair[] = [];
    for (let r = 0; r < this.size; r++) {
      if (!keep(r)) continue;
      this.keys.copyWithin(to * KEY, r * KEY, (r + 1) * KEY);
      this.firstPort[to] = this.firstPort[r]!;
      this.firstStyle[to] = this.firstStyle[r]!;
      this.firstAnswer[to] = this.firstAnswer[r]!;
      this.firstS[to] = this.firstS[r]!;
      this.lastSOf[to] = this.lastSOf[r]!;
      this.seqOf[to] = this.seqOf[r]!;
      const m = this.multiOf[r]!;
      this.multiOf[to] = m === EMPTY ? EMPTY : multi.push(this.multi[m]!) - 1;
      to++;
    }
    this.size = to;
    this.multi = multi;
    this.reindex();
  }

  private matches(row: number, vf: number, w: ArrayLike<number>, src: number, dst: number): boolean {
    const k = this.keys;
    const o = row * KEY;
    return k[o] === vf && k[o + 4] === w[src + 3] && k[o + 8] === w[dst + 3] &&
      k[o + 1] === w[src] && k[o + 2] === w[src + 1] && k[o + 3] === w[src + 2] &&
      k[o + 5] === w[dst] && k[o + 6] === w[dst + 1] && k[o + 7] === w[dst + 2];
  }

  private insert(slot: number, vf: number, w: ArrayLike<number>, src: number, dst: number): number {
    if (this.size === this.capacity) {
      this.grow();
      return this.find(vf, w, src, dst);
    }
    const row = this.size++;
    const k = this.keys;
    const o = row * KEY;
    k[o] = vf;
    for (let i = 0; i < 4; i++) {
      k[o + 1 + i] = w[src + i]!;
      k[o + 5 + i] = w[dst + i]!;
    }
    this.index[slot] = row + 1;
    return row;
  }

  private grow(): void {
    const cap = this.capacity * 2;
    this.keys = grown(this.keys, cap * KEY);
    this.firstPort = grown(this.firstPort, cap);
    this.firstStyle = grown(this.firstStyle, cap);
    this.firstAnswer = grown(this.firstAnswer, cap);
    this.firstS = grown(this.firstS, cap);
    this.lastSOf = grown(this.lastSOf, cap);
    this.seqOf = grown(this.seqOf, cap);
    this.multiOf = grown(this.multiOf, cap);
    this.capacity = cap;
    this.reindex();
  }

  private reindex(): void {
    this.index = new Int32Array(this.capacity * 2);
    const mask = this.index.length - 1;
    for (let r = 0; r < this.size; r++) {
      const o = r * KEY;
      let i = keyHash(this.keys[o]!, this.keys, o + 1, o + 5) & mask;
      while (this.index[i] !== 0) i = (i + 1) & mask;
      this.index[i] = r + 1;
    }
  }
}

function keyHash(vf: number, w: ArrayLike<number>, src: number, dst: number): number {
  let h = Math.imul(vf + 1, 0x9e3779b1);
  for (let i = 0; i < 4; i++) {
    h = Math.imul(h ^ (h >>> 15) ^ (w[src + i]! | 0), 0x85ebca77);
    h = Math.imul(h ^ (h >>> 13) ^ (w[dst + i]! | 0), 0xc2b2ae3d);
  }
  return (h ^ (h >>> 16)) >>> 0;
}
