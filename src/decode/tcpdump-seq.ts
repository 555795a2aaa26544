/**
 * Absolute sequence numbers from tcpdump's relative ones (print-tcp.c, tcp_print, 4.99).
 *
 * Unless -S is given, tcpdump keeps one record per conversation (both directions share it) and
 * only looks at it for packets with ACK set:
 *  - no record yet, or the packet has SYN (so a SYN/ACK): the record is (re)set from this packet,
 *    whose numbers are printed as they are: the sender's base is its seq, the peer's is ack - 1;
 *  - otherwise seq is printed minus the sender's base and ack minus the peer's base.
 * Packets without ACK (a SYN, a bare RST, the illegal combinations) always print absolute numbers.
 * So SYN and SYN/ACK show absolute numbers, the first ACK shows `ack 1`, and a RST/ACK answering
 * a SYN to a closed port shows `seq 0, ack <absolute>` (it sets the record itself).
 *
 * seq is printed only with data, SYN, FIN or RST (or -vv); a pure ACK's seq is estimated as the
 * sender's next sequence number (what it is on the wire, bar keep-alives).
 *
 * -S is not written anywhere in the text, so the file's numbering is inferred: once a
 * conversation has a record, relative numbers stay near 0 and absolute ones near the bases.
 *
 * tcpdump never forgets a record; kept here for every four-tuple ever seen, they were the one
 * thing whose memory grew with the finished connections (~340 bytes each: 260 MB at 760 k
 * connections). A record is forgotten once its conversation has been silent longer than the
 * tracker downstream keeps such a connection (see `forgets`), so what a record still decides is
 * only the numbers of a stray segment that would open a new connection there anyway.
 */
import { ACK, FIN, RST, SYN, Segment, flowHash, segmentLength } from './segment.js';
import { grown } from '../typed-arrays.js';

const TWO32 = 4294967296;

export const enum SeqMode {
  UNKNOWN = 0,
  RELATIVE = 1,
  ABSOLUTE = 2,
}

/**
 * What this module keeps per conversation (a record), `a` being the endpoint that created it: a
 * row of a few numbers in typed arrays, found by a hash of its four-tuple. As objects in a Map
 * keyed by text, a record cost ~340 bytes and a string per lookup; here ~110 bytes and none.
 */
const enum R {
  /** tcpdump's record: the bases of a's and b's numbers (valid once HAS_BASE is set). */
  BASE_A, BASE_B,
  /** Next sequence number of each side as far as seen, and the last ack each sent (-1: none yet). */
  NXT_A, NXT_B, ACK_A, ACK_B,
  /** Capture time (whole seconds) of its last packet. */
  LAST_SEC,
  /** SEEN bits. */
  SEEN,
  SIZE,
}

/** Its four-tuple, the hash it is filed under and the next record in the bucket (K fields). */
const enum K { A0, A1, A2, A3, B0, B1, B2, B3, A_PORT, B_PORT, IP_VERSION, HASH, NEXT, SIZE }

/**
 * SEEN bits: a FIN from a, a FIN from b, a RST, a packet with ACK but neither SYN nor RST; and
 * HAS_BASE, tcpdump's record being set.
 */
const enum SEEN { FIN_A = 1, FIN_B = 2, RST = 4, SYNCHRONIZED = 8, HAS_BASE = 16 }

/** Where nothing is: an empty bucket, the end of a chain. */
const END = -1;

/**
 * Silences after which a record is forgotten (capture seconds beyond the tracker's own limits):
 * a conversation closed by a RST or by a FIN each way is finished by the tracker within its
 * TIME_WAIT (the length the analysis is given); one never past the handshake within 300 s
 * (flow-table.ts, HANDSHAKE_IDLE_S: Linux gives up on SYN_SENT after ~127 s). A conversation
 * otherwise open is kept however long it is silent: a keep-alive hours later is still numbered
 * from its bases.
 */
const FORGET_MARGIN_S = 10;
const HANDSHAKE_IDLE_S = 300;
/** How often (capture seconds) the records are swept for forgotten ones. */
const SWEEP_EVERY_S = 30;

/** How many of the latest openings an ICMP error in the text is matched against (a power of two). */
const OPENINGS = 1024;

/** Offsets below this are "near" (2^16: the evidence must be clear, not a coincidence). */
const NEAR = 65536;

function magnitude(x: number): number {
  return x > 0x7fffffff ? TWO32 - x : x;
}

export class SeqRecovery {
  mode: SeqMode = SeqMode.UNKNOWN;
  /** Records (R fields each) and their keys (K fields each), by row; rows freed for reuse. */
  private vals = new Float64Array(1024 * R.SIZE);
  private keys = new Uint32Array(1024 * K.SIZE);
  private buckets = new Int32Array(1024).fill(END);
  private rows = 0;
  private count = 0;
  private readonly freeRows: number[] = [];
  /** The latest capture time seen (whole seconds), and when to sweep next. */
  private nowSec = -Infinity;
  private nextSweepSec = -Infinity;

  /** `timeWaitS`: the TIME_WAIT length the tracker is given (a closed record is kept that long). */
  constructor(private readonly timeWaitS = 60) {}

  /** Records kept (conversations seen and not forgotten). */
  get size(): number {
    return this.count;
  }

  /**
   * What the last recovered segment's SACK blocks are printed relative to: print-tcp.c takes the
   * same base off them as off its ack number (0 with -S).
   */
  sackBase = 0;

  /**
   * Turns the printed numbers in `seg` (seq valid only if `seqPrinted`) into absolute ones, and
   * sets sackBase. Called once per TCP segment, in file order.
   */
  recover(seg: Segment, seqPrinted: boolean): void {
    // Times step back a little between packets (and are unknown for the few held while a -ttt
    // file's meaning is judged): the latest one is the capture's time.
    if (seg.tsSec > this.nowSec) this.nowSec = seg.tsSec;
    if (this.nowSec >= this.nextSweepSec) this.sweep();
    const hash = flowHash(seg);
    let row = this.find(hash, seg);
    if (row === END) row = this.add(hash, seg);
    const fromA = this.fromA;
    const v = this.vals;
    const o = row * R.SIZE;
    const f = seg.flags;
    // A pure ACK's seq is not printed: the sender's next one, else what the peer acknowledged.
    if (!seqPrinted) seg.seq = estimateSeq(v, o, fromA);
    if (f & ACK && this.mode !== SeqMode.ABSOLUTE) {
      if (!(v[o + R.SEEN]! & SEEN.HAS_BASE) || f & SYN) {
        // The packet that (re)sets tcpdump's record is printed as is.
        v[o + R.SEEN] = v[o + R.SEEN]! | SEEN.HAS_BASE;
        if (!(f & SYN) && seg.ack < NEAR && (!seqPrinted || seg.seq < NEAR)) {
          // tcpdump prints a conversation's first ACK with absolute numbers, random 32-bit
          // values; tiny ones mean the text starts after tcpdump set its record (a pasted
          // excerpt), so they are relative already.
          setBases(v, o, fromA, 0, 0);
          this.sackBase = 0;
        } else {
          setBases(v, o, fromA, seg.seq, (seg.ack - 1) >>> 0);
          this.sackBase = (seg.ack - 1) >>> 0; // its SACK blocks are printed relative all the same
        }
      } else {
        const seqBase = v[o + (fromA ? R.BASE_A : R.BASE_B)]!;
        const ackBase = v[o + (fromA ? R.BASE_B : R.BASE_A)]!;
        if (this.mode === SeqMode.UNKNOWN) this.judge(seg.ack, ackBase, seqPrinted ? seg.seq : -1, seqBase);
        if ((this.mode as SeqMode) !== SeqMode.ABSOLUTE) {
          if (seqPrinted) seg.seq = (seg.seq + seqBase) >>> 0;
          seg.ack = (seg.ack + ackBase) >>> 0;
          this.sackBase = ackBase;
        } else {
          this.sackBase = 0;
        }
      }
    } else {
      this.sackBase = 0;
    }
    v[o + R.LAST_SEC] = this.nowSec;
    if (f & SYN) {
      this.openings[this.openingsAt] = row;
      this.openingsAt = (this.openingsAt + 1) & (OPENINGS - 1);
    }
    let seen = v[o + R.SEEN]!;
    if (f & RST) seen |= SEEN.RST;
    else if (f & FIN) seen |= fromA ? SEEN.FIN_A : SEEN.FIN_B;
    if ((f & (ACK | SYN | RST)) === ACK) seen |= SEEN.SYNCHRONIZED;
    v[o + R.SEEN] = seen;
    // Remember where each side is, for the pure ACKs whose seq is not printed.
    const next = (seg.seq + segmentLength(seg)) >>> 0;
    const nxt = o + (fromA ? R.NXT_A : R.NXT_B);
    if (v[nxt]! < 0 || ((next - v[nxt]!) | 0) > 0) v[nxt] = next;
    if (f & ACK) v[o + (fromA ? R.ACK_A : R.ACK_B)] = seg.ack;
  }

  /** The rows of the latest segments carrying SYN, a ring (END: empty), for quoted (below). */
  private readonly openings = new Int32Array(OPENINGS).fill(END);
  private openingsAt = 0;

  /**
   * The conversation an ICMP error quotes, where tcpdump text names only part of the quoted
   * segment: its sender (`seg`'s source, the error's destination), its destination address and,
   * for a port unreachable, its destination port (`seg.dstPort`, -1 when not printed). The
   * latest opening (SYN or SYN/ACK) seen that fits, the segments ICMP errors end connections
   * for; `seg` gets its ports. False when none does.
   */
  quoted(seg: Segment): boolean {
    const k = this.keys;
    const a = seg.addrs;
    for (let i = 1; i <= OPENINGS; i++) {
      const row = this.openings[(this.openingsAt - i) & (OPENINGS - 1)]!;
      if (row === END) return false;
      const o = row * K.SIZE;
      if (k[o + K.IP_VERSION] !== seg.ipVersion) continue;
      if (sameWords(a, 0, k, o + K.A0) && sameWords(a, 4, k, o + K.B0) && (seg.dstPort < 0 || seg.dstPort === k[o + K.B_PORT])) {
        seg.srcPort = k[o + K.A_PORT]!;
        seg.dstPort = k[o + K.B_PORT]!;
        return true;
      }
      if (sameWords(a, 0, k, o + K.B0) && sameWords(a, 4, k, o + K.A0) && (seg.dstPort < 0 || seg.dstPort === k[o + K.A_PORT])) {
        seg.srcPort = k[o + K.B_PORT]!;
        seg.dstPort = k[o + K.A_PORT]!;
        return true;
      }
    }
    return false;
  }

  /**
   * The absolute sequence number of the segment an ICMP error quotes, printed `printed` (tcpdump
   * -v prints the quoted packet as it prints any): relative to its sender's base when it has ACK
   * and no SYN, as in `recover`, unless the file is absolute or the conversation unseen.
   */
  quotedSeq(seg: Segment, flags: number, printed: number): number {
    if (!(flags & ACK) || flags & SYN || this.mode === SeqMode.ABSOLUTE) return printed;
    const row = this.find(flowHash(seg), seg);
    if (row === END) return printed;
    const v = this.vals;
    const o = row * R.SIZE;
    if (!(v[o + R.SEEN]! & SEEN.HAS_BASE)) return printed;
    return (printed + v[o + (this.fromA ? R.BASE_A : R.BASE_B)]!) >>> 0;
  }

  /** The row of `seg`'s conversation (either direction), or END; `fromA` says which direction. */
  private find(hash: number, seg: Segment): number {
    const k = this.keys;
    const a = seg.addrs;
    for (let row = this.buckets[hash & (this.buckets.length - 1)]!; row !== END; row = k[row * K.SIZE + K.NEXT]! | 0) {
      const o = row * K.SIZE;
      if (k[o + K.HASH] !== hash || k[o + K.IP_VERSION] !== seg.ipVersion) continue;
      this.fromA = true;
      if (seg.srcPort === k[o + K.A_PORT] && seg.dstPort === k[o + K.B_PORT] && sameWords(a, 0, k, o + K.A0) && sameWords(a, 4, k, o + K.B0)) return row;
      this.fromA = false;
      if (seg.srcPort === k[o + K.B_PORT] && seg.dstPort === k[o + K.A_PORT] && sameWords(a, 0, k, o + K.B0) && sameWords(a, 4, k, o + K.A0)) return row;
    }
    return END;
  }

  /** Whether the segment last found (`find`) or added (`add`) was sent by its record's `a`. */
  private fromA = true;

  /** A new record for `seg`'s conversation, its sender as `a`. */
  private add(hash: number, seg: Segment): number {
    this.fromA = true;
    const row = this.freeRows.length > 0 ? this.freeRows.pop()! : this.rows++;
    if ((row + 1) * K.SIZE > this.keys.length) {
      this.keys = grown(this.keys, this.keys.length * 2);
      this.vals = grown(this.vals, this.vals.length * 2);
    }
    const k = this.keys;
    const ko = row * K.SIZE;
    for (let i = 0; i < 8; i++) k[ko + K.A0 + i] = seg.addrs[i]!;
    k[ko + K.A_PORT] = seg.srcPort;
    k[ko + K.B_PORT] = seg.dstPort;
    k[ko + K.IP_VERSION] = seg.ipVersion;
    k[ko + K.HASH] = hash;
    const v = this.vals;
    const o = row * R.SIZE;
    v[o + R.BASE_A] = v[o + R.BASE_B] = 0;
    v[o + R.NXT_A] = v[o + R.NXT_B] = v[o + R.ACK_A] = v[o + R.ACK_B] = -1;
    v[o + R.LAST_SEC] = this.nowSec;
    v[o + R.SEEN] = 0;
    // Past one record per bucket on average, the index doubles.
    if (++this.count > this.buckets.length) this.rehash(this.buckets.length * 2);
    const b = hash & (this.buckets.length - 1);
    k[ko + K.NEXT] = this.buckets[b]!;
    this.buckets[b] = row;
    return row;
  }

  private rehash(size: number): void {
    const old = this.buckets;
    const k = this.keys;
    this.buckets = new Int32Array(size).fill(END);
    for (let b = 0; b < old.length; b++) {
      for (let row = old[b]!; row !== END; ) {
        const next = k[row * K.SIZE + K.NEXT]! | 0;
        const nb = k[row * K.SIZE + K.HASH]! & (size - 1);
        k[row * K.SIZE + K.NEXT] = this.buckets[nb]!;
        this.buckets[nb] = row;
        row = next;
      }
    }
  }

  /** Forgets the records the tracker has finished the conversations of (see FORGET_MARGIN_S). */
  private sweep(): void {
    this.nextSweepSec = this.nowSec + SWEEP_EVERY_S;
    const k = this.keys;
    for (let b = 0; b < this.buckets.length; b++) {
      let prev = END;
      for (let row = this.buckets[b]!; row !== END; ) {
        const next = k[row * K.SIZE + K.NEXT]! | 0;
        if (this.forgets(row)) {
          if (prev === END) this.buckets[b] = next;
          else k[prev * K.SIZE + K.NEXT] = next;
          this.freeRows.push(row);
          this.count--;
        } else prev = row;
        row = next;
      }
    }
  }

  private forgets(row: number): boolean {
    const o = row * R.SIZE;
    const silent = this.nowSec - this.vals[o + R.LAST_SEC]!;
    const seen = this.vals[o + R.SEEN]!;
    const closed = (seen & SEEN.RST) !== 0 || (seen & (SEEN.FIN_A | SEEN.FIN_B)) === (SEEN.FIN_A | SEEN.FIN_B);
    if (closed) return silent > this.timeWaitS + FORGET_MARGIN_S;
    if ((seen & SEEN.SYNCHRONIZED) === 0) return silent > HANDSHAKE_IDLE_S + FORGET_MARGIN_S;
    return false;
  }

  /** Decides -S or not from the first packet whose numbers are clearly near 0 or near the bases. */
  private judge(ack: number, ackBase: number, seq: number, seqBase: number): void {
    let rel = magnitude(ack);
    let abs = magnitude((ack - ackBase) >>> 0);
    if (seq >= 0) {
      rel = Math.max(rel, magnitude(seq));
      abs = Math.max(abs, magnitude((seq - seqBase) >>> 0));
    }
    if (rel < NEAR && abs >= NEAR * 64) this.mode = SeqMode.RELATIVE;
    else if (abs < NEAR && rel >= NEAR * 64) this.mode = SeqMode.ABSOLUTE;
  }
}

/** A pure ACK's sequence number (absolute): the sender's next one, else what the peer acknowledged, else 0. */
function estimateSeq(v: Float64Array, o: number, fromA: boolean): number {
  const nxt = v[o + (fromA ? R.NXT_A : R.NXT_B)]!;
  if (nxt >= 0) return nxt;
  const peerAck = v[o + (fromA ? R.ACK_B : R.ACK_A)]!;
  return peerAck >= 0 ? peerAck : 0;
}

function setBases(v: Float64Array, o: number, fromA: boolean, senderBase: number, peerBase: number): void {
  v[o + (fromA ? R.BASE_A : R.BASE_B)] = senderBase;
  v[o + (fromA ? R.BASE_B : R.BASE_A)] = peerBase;
}

function sameWords(a: Uint32Array, at: number, k: Uint32Array, ko: number): boolean {
  return a[at + 3] === k[ko + 3] && a[at + 2] === k[ko + 2] && a[at + 1] === k[ko + 1] && a[at] === k[ko];
}
