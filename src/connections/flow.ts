/**
 * What the flow table knows every entry by: its id and four-tuple, compared per packet without a
 * string (address words as in Segment.addrs). Two kinds of entry share it: a live Connection, and
 * a ParkedConnection (one that only waits out TIME_WAIT, packed to numbers until something comes).
 */
import type { Segment } from '../decode/segment.js';
import type { FinishedConnection } from './connection.js';

export abstract class Flow {
  // The client's and the server's address words (Segment.addrs), kept as signed 32-bit integers:
  // small integers live inside the object, where an array or a double would be one more allocation.
  protected readonly c0: number; protected readonly c1: number; protected readonly c2: number; protected readonly c3: number;
  protected readonly s0: number; protected readonly s1: number; protected readonly s2: number; protected readonly s3: number;
  /** The flow table's hash of the four-tuple, and the next entry with the same hash. */
  flowHash = 0;
  nextSameHash: FinishedConnection | null = null;

  /** `words[clientAt..+4]` and `words[serverAt..+4]`: the endpoints' address words. */
  constructor(
    readonly id: number, readonly ipVersion: 4 | 6,
    words: ArrayLike<number>, clientAt: number, serverAt: number,
    readonly clientPort: number, readonly serverPort: number,
  ) {
    const w = words;
    const c = clientAt;
    const v = serverAt;
    this.c0 = w[c]! | 0; this.c1 = w[c + 1]! | 0; this.c2 = w[c + 2]! | 0; this.c3 = w[c + 3]! | 0;
    this.s0 = w[v]! | 0; this.s1 = w[v + 1]! | 0; this.s2 = w[v + 2]! | 0; this.s3 = w[v + 3]! | 0;
  }

  isFromClient(seg: Segment): boolean {
    const a = seg.addrs;
    return seg.srcPort === this.clientPort && (a[3]! | 0) === this.c3 && (a[0]! | 0) === this.c0 && (a[1]! | 0) === this.c1 && (a[2]! | 0) === this.c2;
  }

  /** Does `seg` belong to this four-tuple (either direction)? */
  carries(seg: Segment): boolean {
    if (seg.ipVersion !== this.ipVersion) return false; // ::a.b.c.d and a.b.c.d share their words
    const a = seg.addrs;
    const src3 = a[3]! | 0;
    const dst3 = a[7]! | 0;
    // The last words first: they differ in most four-tuples, and are all IPv4 has.
    if (seg.srcPort === this.clientPort && seg.dstPort === this.serverPort && src3 === this.c3 && dst3 === this.s3 &&
      (a[0]! | 0) === this.c0 && (a[1]! | 0) === this.c1 && (a[2]! | 0) === this.c2 &&
      (a[4]! | 0) === this.s0 && (a[5]! | 0) === this.s1 && (a[6]! | 0) === this.s2) return true;
    return seg.srcPort === this.serverPort && seg.dstPort === this.clientPort && src3 === this.s3 && dst3 === this.c3 &&
      (a[0]! | 0) === this.s0 && (a[1]! | 0) === this.s1 && (a[2]! | 0) === this.s2 &&
      (a[4]! | 0) === this.c0 && (a[5]! | 0) === this.c1 && (a[6]! | 0) === this.c2;
  }

  /** The eight address words, client's first (for packing). */
  protected words(): number[] {
    return [this.c0, this.c1, this.c2, this.c3, this.s0, this.s1, this.s2, this.s3];
  }
}
