/**
 * IP fragments of a TCP datagram, put back together (RFC 791 3.2, RFC 8200 4.5).
 *
 * A router fragments a segment sent without DF (Linux with ip_no_pmtu_disc, other stacks, some
 * tunnels); an IPv6 source fragments its own. The TCP header travels in the first fragment only,
 * so that fragment alone gives a segment shorter than the one its receiver reassembles: its byte
 * counts fall short, and a FIN it carries sits at the wrong sequence number. A first fragment may
 * even hold only part of the header (8-byte fragments, as an evasion test sends them).
 *
 * Fragments of one datagram come close together in a capture (a router or a host sends them back
 * to back; at a busy receiver other packets may fall between them). So from a fragment on, the
 * records are held, in capture order, with each datagram's data copied into its buffer; they go
 * on as soon as the datagram of the oldest held record is settled: whole (every byte and the last
 * fragment seen), or given up on, when more than MAX_HELD records or MAX_WAIT_S of capture time
 * came after its first record, or at the end of the input. A whole datagram's first fragment goes
 * on as its segment, its header decoded again from the datagram (its frame and time); a datagram
 * given up on goes on as captured, its first fragment the segment it carries (a capture filtered
 * by port keeps first fragments only). Other fragments stay counted as skipped fragments. The
 * capture's order is kept, and nothing is held or copied while no fragment is waiting.
 *
 * Overlapping fragments are what Linux refuses (RFC 5722, for IPv4 too since 4.19:
 * inet_frag_queue_insert): a fragment within data already held is dropped as a duplicate, any
 * other overlap discards the whole datagram (as here a last fragment at odds with the rest). So
 * does this: its first fragment is then no segment (the receiver never had it), counted with the
 * skipped fragments. Wireshark and Zeek keep such datagrams (first or last data wins).
 *
 * tcpdump's text has no bytes, only lengths (with -v for IPv4; IPv6's fragment header always,
 * but not its M flag): there the first fragment's segment keeps its header as printed and gains
 * the other fragments' lengths. An IPv6 text datagram, whose last fragment cannot be told, is
 * settled by the first record that is not one of its fragments, and taken as whole when its
 * lengths leave no gap.
 */
import { Outcome, decodeTcp } from './packet.js';
import { Segment } from './segment.js';

/** Records held after a waiting datagram's first one before it is given up on. */
const MAX_HELD = 256;
/** Capture time after a waiting datagram's first record before it is given up on (s). */
const MAX_WAIT_S = 1;
/** Datagrams waiting at once; one more gives up on the oldest. */
const MAX_OPEN = 32;
/** Settled datagrams kept to recognize a late copy of one of their fragments. */
const MAX_RECENT = 8;
/** The largest datagram payload an IPv4 or (unjumbo) IPv6 fragment offset and length can reach. */
const MAX_DATAGRAM = 65535 + 8;

/** Hands one record on, in capture order: its segment when it is tracked, else why not. */
export type HeldRecordSink = (frame: number, tsSec: number, tsNsec: number, seg: Segment | null, outcome: Outcome) => void;

/** One datagram being put together. */
class Datagram {
  readonly addrs = new Uint32Array(8);
  ipVersion = 4;
  id = 0;
  place = -1;
  /** Its data (binary captures only), the ranges its fragments' IP headers declare and the ranges captured (flat [start, end) pairs). */
  buf: Uint8Array | null = null;
  readonly declared: number[] = [];
  readonly captured: number[] = [];
  /** Its length once the last fragment (no MF) is seen, else -1. */
  total = -1;
  /** A fragment did not say whether more follow (Segment.fragMore -1: tcpdump's IPv6 text). */
  lastUnknown = false;
  /** The first fragment's own data length, from its IP header (-1: not seen). */
  firstLen = -1;
  fragments = 0;
  /** Whole, or given up on: its records may go on. */
  settled = false;
  whole = false;
  /** Its fragments overlapped: discarded, as Linux discards it. */
  discarded = false;

  constructor(seg: Segment) {
    this.addrs.set(seg.addrs);
    this.ipVersion = seg.ipVersion;
    this.id = seg.fragId;
    this.place = seg.iface;
  }

  /** Whether `seg` (a fragment) belongs to this datagram. */
  has(seg: Segment): boolean {
    if (seg.fragId !== this.id || seg.ipVersion !== this.ipVersion || seg.iface !== this.place) return false;
    const a = seg.addrs;
    const k = this.addrs;
    for (let i = 0; i < 8; i++) if (a[i] !== k[i]) return false;
    return true;
  }

  /**
   * Takes a fragment's lengths (and its bytes, when `data` is given). False when it is a
   * duplicate of data already held, which is dropped.
   */
  add(data: Uint8Array | null, seg: Segment): boolean {
    if (this.holds(seg)) return false; // within data held: a duplicate
    const off = seg.fragOffset;
    const end = off + seg.fragLen;
    const d = this.declared;
    for (let i = 0; i < d.length; i += 2) {
      if (end > d[i]! && off < d[i + 1]!) { // overlaps data held, not within it
        this.discard();
        return true;
      }
    }
    this.fragments++;
    if (end > MAX_DATAGRAM) { // malformed: never whole, goes on as it came
      this.settle(false);
      return true;
    }
    // A last fragment short of data already held, or data past the last fragment's end.
    if ((seg.fragMore === 0 && (end < this.highest() || (this.total >= 0 && end !== this.total))) || (this.total >= 0 && end > this.total)) {
      this.discard();
      return true;
    }
    if (off === 0) this.firstLen = seg.fragLen;
    if (data !== null) {
      const buf = (this.buf ??= new Uint8Array(MAX_DATAGRAM));
      const have = Math.min(seg.fragEnd - seg.fragStart, seg.fragLen);
      buf.set(data.subarray(seg.fragStart, seg.fragStart + have), off);
      if (have > 0) addRange(this.captured, off, off + have);
    }
    addRange(d, off, end);
    if (seg.fragMore === 0) this.total = end;
    else if (seg.fragMore < 0) this.lastUnknown = true;
    if (this.total >= 0 && d.length === 2 && d[0] === 0 && d[1] === this.total) this.settle(true);
    return true;
  }

  /** Whether `seg` (one of its fragments) lies within data it already had. */
  holds(seg: Segment): boolean {
    const off = seg.fragOffset;
    const end = off + seg.fragLen;
    const d = this.declared;
    for (let i = 0; i < d.length; i += 2) if (off >= d[i]! && end <= d[i + 1]!) return true;
    return false;
  }

  /** The end of the data held so far. */
  private highest(): number {
    const d = this.declared;
    return d.length > 0 ? d[d.length - 1]! : 0;
  }

  private discard(): void {
    this.discarded = true;
    this.settle(false);
  }

  /** Gives up waiting: whole only where the last fragment cannot be told and the lengths leave no gap. */
  giveUp(): void {
    if (this.settled) return;
    const d = this.declared;
    this.settle(this.lastUnknown && this.fragments > 1 && d.length === 2 && d[0] === 0);
  }

  private settle(whole: boolean): void {
    this.settled = true;
    this.whole = whole;
    if (this.total < 0 && whole) this.total = this.declared[1]!;
  }

  /**
   * The first fragment's segment (`seg`, decoded from that fragment alone with `outcome`) as it
   * goes on: the whole datagram's when it is whole.
   */
  firstSegment(seg: Segment, outcome: Outcome): Outcome {
    if (this.discarded) return Outcome.FRAGMENT;
    if (!this.whole) return outcome;
    // The TCP header is decoded again from the datagram: a first fragment may hold only part of
    // it, and the segment's length is the datagram's.
    if (this.buf !== null) return decodeTcp(this.buf, 0, prefixEnd(this.captured), this.total, seg);
    // Text: the header as printed, and the data of the fragments after the first.
    if (outcome === Outcome.TCP) seg.payloadLen += this.total - this.firstLen;
    return outcome;
  }
}

/** A held record. */
interface Held {
  frame: number;
  tsSec: number;
  tsNsec: number;
  /** Its segment (a copy) when it has one: tracked, or a first fragment. */
  seg: Segment | null;
  outcome: Outcome;
  /** The datagram it is a fragment of, else null. */
  datagram: Datagram | null;
}

export class Defragmenter {
  /** Segments that went on put together from their fragments, and their fragments. */
  reassembled = 0;
  reassembledFragments = 0;
  /** First fragments that went on alone, their datagrams never whole: segments shorter than sent. */
  alone = 0;
  /** Segments dropped with their datagrams, whose fragments overlapped. */
  discarded = 0;
  private readonly held: Held[] = [];
  private head = 0;
  private readonly open: Datagram[] = [];
  private readonly recent: Datagram[] = [];

  /** Whether records are being held: every record must then come through `take`. */
  get pending(): boolean {
    return this.head < this.held.length;
  }

  /**
   * Takes a record: a fragment of a TCP datagram (Segment.fragOffset set), or any record while
   * `pending`. `data` holds the record's bytes (null for tcpdump text). Hands on, through `sink`,
   * whatever has become free to go.
   */
  take(data: Uint8Array | null, frame: number, tsSec: number, tsNsec: number, seg: Segment, outcome: Outcome, sink: HeldRecordSink): void {
    let datagram: Datagram | null = null;
    if (seg.fragOffset >= 0) {
      datagram = this.isLateCopy(seg) ? null : this.datagramOf(seg);
      if (datagram === null || !datagram.add(data, seg)) {
        // A copy of a fragment already held: dropped (as Linux drops it), counted as a fragment.
        datagram = null;
        outcome = Outcome.FRAGMENT;
      }
    } else {
      // Not a fragment: settles the datagrams that could not tell their last fragment.
      for (const d of this.open) if (d.lastUnknown) d.giveUp();
    }
    const keep = datagram ? seg.fragOffset === 0 : seg.fragOffset < 0 && (outcome === Outcome.TCP || outcome === Outcome.ICMP_ERROR);
    this.held.push({ frame, tsSec, tsNsec, seg: keep ? seg.clone() : null, outcome, datagram });
    this.release(sink, tsSec, tsNsec);
  }

  /** The input ended: everything held goes on. */
  finish(sink: HeldRecordSink): void {
    for (const d of this.open) d.giveUp();
    this.release(sink, -Infinity, 0);
  }

  /** Whether `seg` is a copy of a fragment of a datagram settled a moment ago. */
  private isLateCopy(seg: Segment): boolean {
    for (const d of this.recent) if (d.has(seg) && d.holds(seg)) return true;
    return false;
  }

  private datagramOf(seg: Segment): Datagram {
    for (const d of this.open) if (!d.settled && d.has(seg)) return d;
    if (this.open.length >= MAX_OPEN) this.open[0]!.giveUp();
    const d = new Datagram(seg);
    this.open.push(d);
    return d;
  }

  /**
   * Hands on the held records from the oldest, up to the first whose datagram is not settled,
   * giving up on a datagram that has waited too long: more than MAX_HELD records after its
   * first, or more than MAX_WAIT_S before the latest record's time (tsSec, tsNsec).
   */
  private release(sink: HeldRecordSink, tsSec: number, tsNsec: number): void {
    const held = this.held;
    while (this.head < held.length) {
      const h = held[this.head]!;
      const d = h.datagram;
      if (d !== null && !d.settled) {
        const waited = tsSec - h.tsSec + (tsNsec - h.tsNsec) / 1e9;
        if (held.length - this.head > MAX_HELD || waited > MAX_WAIT_S) d.giveUp();
        else break;
      }
      this.head++;
      let seg = h.seg;
      let outcome = h.outcome;
      if (d !== null && seg !== null) {
        if (d.discarded) this.discarded++;
        outcome = d.firstSegment(seg, outcome);
        if (outcome === Outcome.TCP && d.whole) {
          seg.ipFragments = d.fragments;
          this.reassembled++;
          this.reassembledFragments += d.fragments;
        } else if (outcome === Outcome.TCP) {
          this.alone++;
        }
      }
      if (outcome !== Outcome.TCP && outcome !== Outcome.ICMP_ERROR) seg = null;
      sink(h.frame, h.tsSec, h.tsNsec, seg, outcome);
    }
    if (this.head === held.length) {
      held.length = 0;
      this.head = 0;
    } else if (this.head >= 1024) {
      held.splice(0, this.head); // always waiting (first fragments alone): keep the array small
      this.head = 0;
    }
    // Settled datagrams have all their records taken, or they go on without them.
    let n = 0;
    for (const d of this.open) {
      if (!d.settled) this.open[n++] = d;
      else if (this.recent.push(d) > MAX_RECENT) this.recent.shift();
    }
    this.open.length = n;
  }
}

/** Adds [start, end) to the sorted, disjoint ranges in `ranges` (flat pairs), merging what touches. */
export function addRange(ranges: number[], start: number, end: number): void {
  if (end <= start) return;
  const out: number[] = [];
  let i = 0;
  while (i < ranges.length && ranges[i + 1]! < start) out.push(ranges[i]!, ranges[i + 1]!), (i += 2);
  let s = start;
  let e = end;
  while (i < ranges.length && ranges[i]! <= e) {
    s = Math.min(s, ranges[i]!);
    e = Math.max(e, ranges[i + 1]!);
    i += 2;
  }
  out.push(s, e);
  while (i < ranges.length) out.push(ranges[i]!, ranges[i + 1]!), (i += 2);
  ranges.length = 0;
  ranges.push(...out);
}

/** How far the ranges cover [0, x) without a gap: 0 when they do not start at 0. */
function prefixEnd(ranges: number[]): number {
  return ranges.length > 0 && ranges[0] === 0 ? ranges[1]! : 0;
}
