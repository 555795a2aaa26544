/**
 * IP fragments of a TCP datagram, put back together (RFC 791 3.2, RFC 8200 4.5).
 *
 * A router fragments a segment sent without DF (Linux with ip_no_pmtu_disc, other stacks, some
 * tunnels); an IPv6 source fragments its own. The TCP header travels in the first fragment only,
 * so that fragment alone gives a segment shorter than the one its receiver reassembles: its byte
 * counts fall short, and a FIN it carries sits at the wrong sequence number. A first fragment may
 * even hold only part of the header (8-byte fragments, as an evasion test sends them).
 *
 * Fragments of one datagram are captured one after another in practice: a router or a host sends
 * them back to back. So a run of consecutive records, fragments of one datagram in any order, is
 * held; its data is copied into one buffer; and when the run ends the records are handed on in
 * their capture order, the first fragment's as the whole segment when the datagram is complete.
 * A run ends when the datagram is whole, when a record that is not one of its fragments comes
 * (the others never captured: a capture filtered by port keeps first fragments only), or at the
 * end of the input; then an incomplete datagram's first fragment is the segment it carries.
 * Nothing is held across other packets, so the capture's order is kept and memory stays one
 * datagram's. Non-first fragments stay counted as skipped fragments.
 *
 * tcpdump's text has no bytes, only lengths (with -v for IPv4; IPv6's fragment header always,
 * but not its M flag): there the first fragment's segment keeps its header as printed and gains
 * the other fragments' lengths. A run of IPv6 text fragments whose last one cannot be told is
 * taken as whole when its lengths leave no gap.
 */
import { Outcome, decodeTcp } from './packet.js';
import { Segment } from './segment.js';

/** Fragments a run holds at most (a 1500-byte MTU cuts a 64 KB datagram into 45). */
const MAX_FRAGMENTS = 64;
/** The largest datagram payload an IPv4 or (unjumbo) IPv6 fragment offset and length can reach. */
const MAX_DATAGRAM = 65535 + 8;

/** Hands one record on, in capture order: its segment when it is tracked, else why not. */
export type HeldRecordSink = (frame: number, tsSec: number, tsNsec: number, seg: Segment | null, outcome: Outcome) => void;

export class Defragmenter {
  // The records of the open run, in capture order. `segs[i]` is a first fragment's decoded
  // segment (a copy), null for the others.
  private readonly frames: number[] = [];
  private readonly tsSecs: number[] = [];
  private readonly tsNsecs: number[] = [];
  private readonly outcomes: Outcome[] = [];
  private readonly segs: (Segment | null)[] = [];
  // What every fragment of the run shares.
  private readonly addrs = new Uint32Array(8);
  private ipVersion = 4;
  private id = 0;
  private place = -1;
  // The datagram: its data, the ranges the fragments' IP headers declare and the ranges captured
  // (flat [start, end) pairs), and its length once the last fragment (no MF) is seen.
  private buf: Uint8Array | null = null;
  private readonly declared: number[] = [];
  private readonly captured: number[] = [];
  private total = -1;
  /** Whether the run came with its bytes (a binary capture) or lengths only (tcpdump text). */
  private bytes = false;
  /** A fragment of the run did not say whether more follow (Segment.fragMore -1). */
  private lastUnknown = false;
  /** The first fragment's own data length, from its IP header (-1: not seen). */
  private firstLen = -1;

  /** Whether a run is open. */
  get pending(): boolean {
    return this.frames.length > 0;
  }

  /** Whether `seg`, just decoded (Segment.fragOffset set), is a further fragment of the open run's datagram. */
  continues(seg: Segment): boolean {
    if (seg.fragOffset < 0 || seg.fragId !== this.id || seg.ipVersion !== this.ipVersion || seg.iface !== this.place) return false;
    if (this.frames.length >= MAX_FRAGMENTS || this.complete()) return false;
    const a = seg.addrs;
    const k = this.addrs;
    for (let i = 0; i < 8; i++) if (a[i] !== k[i]) return false;
    return true;
  }

  /**
   * Takes a fragment record into the run, opening one when none is open (the caller ends an open
   * run first unless `continues` said yes): `data` holds the record's bytes, null for tcpdump
   * text. Returns whether the datagram is now whole.
   */
  add(data: Uint8Array | null, frame: number, tsSec: number, tsNsec: number, seg: Segment, outcome: Outcome): boolean {
    if (this.frames.length === 0) {
      this.addrs.set(seg.addrs);
      this.ipVersion = seg.ipVersion;
      this.id = seg.fragId;
      this.place = seg.iface;
      this.total = -1;
      this.declared.length = 0;
      this.captured.length = 0;
      this.bytes = data !== null;
      this.lastUnknown = false;
      this.firstLen = -1;
    }
    this.frames.push(frame);
    this.tsSecs.push(tsSec);
    this.tsNsecs.push(tsNsec);
    this.outcomes.push(outcome);
    this.segs.push(seg.fragOffset === 0 ? seg.clone() : null);
    const off = seg.fragOffset;
    const end = off + seg.fragLen;
    if (end > MAX_DATAGRAM) return false; // malformed: never whole, handed on as it came
    if (off === 0) this.firstLen = seg.fragLen;
    if (data !== null) {
      const buf = (this.buf ??= new Uint8Array(MAX_DATAGRAM));
      const have = Math.min(seg.fragEnd - seg.fragStart, seg.fragLen);
      buf.set(data.subarray(seg.fragStart, seg.fragStart + have), off);
      if (have > 0) addRange(this.captured, off, off + have);
    }
    addRange(this.declared, off, end);
    if (seg.fragMore === 0) this.total = end;
    else if (seg.fragMore < 0) this.lastUnknown = true;
    return this.complete();
  }

  /**
   * Ends the run: hands each record on in capture order. A first fragment goes on as the whole
   * datagram's segment when every fragment was captured, else as the segment it carries (or as
   * what kept it from being one); the others as skipped fragments.
   */
  flush(sink: HeldRecordSink): void {
    const d = this.declared;
    const n = this.frames.length;
    // Where the last fragment cannot be told, lengths without a gap from 0 are taken as whole.
    const whole = this.complete() || (this.lastUnknown && n > 1 && d.length === 2 && d[0] === 0);
    const total = this.total >= 0 ? this.total : d[1]!;
    for (let i = 0; i < n; i++) {
      let seg = this.segs[i] ?? null;
      let outcome = this.outcomes[i]!;
      if (seg && whole && this.bytes) {
        // The TCP header is decoded again from the datagram: a first fragment may hold only part
        // of it, and the segment's length is the datagram's.
        outcome = decodeTcp(this.buf!, 0, prefixEnd(this.captured), total, seg);
      } else if (seg && whole && outcome === Outcome.TCP) {
        // Text: the header as printed, and the data of the fragments after the first.
        seg.payloadLen += total - this.firstLen;
      }
      if (outcome !== Outcome.TCP) seg = null;
      sink(this.frames[i]!, this.tsSecs[i]!, this.tsNsecs[i]!, seg, outcome);
    }
    this.frames.length = 0;
    this.tsSecs.length = 0;
    this.tsNsecs.length = 0;
    this.outcomes.length = 0;
    this.segs.length = 0;
  }

  /** Every byte of the datagram declared by some fragment, the last one (no MF) among them. */
  private complete(): boolean {
    const d = this.declared;
    return this.total >= 0 && d.length === 2 && d[0] === 0 && d[1] === this.total;
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
