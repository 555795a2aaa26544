/**
 * A SYN, SYN/ACK or FIN an endpoint sent, with every copy of it (first and retransmitted), while
 * the peer has yet to prove it received it, and after.
 *
 * A connection keeps three or four of these for its whole life (a minute or more, with TIME_WAIT),
 * so their numbers live in one list (PACKED doubles: nothing inside for the garbage collector to
 * trace) rather than as a control object, a copy object each and a boxed number per field: that
 * was half the objects a waiting connection held. The tracker reads and writes through the
 * methods below; the findings read `copies`, built when asked.
 */

import type { PackReader, PackWriter } from './pack.js';

/** A copy (first or retransmitted) of a SYN, SYN/ACK or FIN, as the findings read it. */
export interface Copy {
  s: number;
  frame: number;
  /** The acknowledgment number it carried, when its ACK bit was set. */
  ack: number | null;
  /** When the other side next acknowledged it after this copy (a retransmission "answered"). */
  answeredS: number | null;
  answeredFrame: number | null;
}

// Layout of Control.n: the head, then COPY numbers per copy. Frames and acknowledgment numbers are
// never negative: -1 stands for "none".
const SEQ = 0;
const END = 1;
const NOT_COVERED_FRAME = 2;
const NOT_COVERED_S = 3;
const ACKED_FRAME = 4;
const ACKED_S = 5;
const HEAD = 6;
const COPY = 5; // s, frame, ack, answeredS, answeredFrame
const NONE = -1;

const orNull = (x: number): number | null => (x === NONE ? null : x);

export class Control {
  /** True when the first acknowledgment covering it rode on a FIN (three-way close) or SYN/ACK. */
  ackedByControl = false;
  private n: number[];

  /** `seq`: the SYN's or FIN's own sequence number; `end`: the next one after the segment (after a SYN's data too). */
  constructor(seq: number, end: number, readonly withAck: boolean, s: number, frame: number, ack: number | null) {
    this.n = [seq, end, NONE, 0, NONE, 0, s, frame, ack ?? NONE, 0, NONE];
  }

  /** Sequence number of the SYN or FIN itself. */
  get seq(): number { return this.n[SEQ]!; }
  /** Next sequence number after the segment: after the SYN's data too (TCP Fast Open). */
  get end(): number { return this.n[END]!; }

  /** The peer's latest packet that showed it had NOT received this yet (its ack short of it). */
  get notCoveredFrame(): number | null { return orNull(this.n[NOT_COVERED_FRAME]!); }
  get notCoveredS(): number { return this.n[NOT_COVERED_S]!; }
  setNotCovered(frame: number, s: number): void {
    this.n[NOT_COVERED_FRAME] = frame;
    this.n[NOT_COVERED_S] = s;
  }

  /** Frame and time of the peer's first acknowledgment covering it, once seen. */
  get ackedFrame(): number | null { return orNull(this.n[ACKED_FRAME]!); }
  get ackedS(): number | null { return this.n[ACKED_FRAME] === NONE ? null : this.n[ACKED_S]!; }
  setAcked(frame: number, s: number, byControl: boolean): void {
    this.n[ACKED_FRAME] = frame;
    this.n[ACKED_S] = s;
    this.ackedByControl = byControl;
  }

  get copyCount(): number { return (this.n.length - HEAD) / COPY; }
  copyS(i: number): number { return this.n[HEAD + i * COPY]!; }
  copyFrame(i: number): number { return this.n[HEAD + i * COPY + 1]!; }
  copyAck(i: number): number | null { return orNull(this.n[HEAD + i * COPY + 2]!); }
  copyAnsweredFrame(i: number): number | null { return orNull(this.n[HEAD + i * COPY + 4]!); }

  addCopy(s: number, frame: number, ack: number | null): void {
    this.n.push(s, frame, ack ?? NONE, 0, NONE);
  }

  /** Copy `i` was answered (acknowledged) by the peer's segment `frame` at `s`. */
  answerCopy(i: number, frame: number, s: number): void {
    this.n[HEAD + i * COPY + 3] = s;
    this.n[HEAD + i * COPY + 4] = frame;
  }

  /** Writes it to `w` (see pack.ts); `Control.unpack` reads it back. */
  pack(w: PackWriter): void {
    const n = this.n;
    w.push((this.withAck ? 1 : 0) | (this.ackedByControl ? 2 : 0));
    w.push(n.length);
    for (let i = 0; i < n.length; i++) w.push(n[i]!);
  }

  static unpack(r: PackReader): Control {
    const bits = r.next();
    const n = r.list(r.next());
    const c = new Control(n[SEQ]!, n[END]!, (bits & 1) !== 0, 0, 0, null);
    c.n = n;
    c.ackedByControl = (bits & 2) !== 0;
    return c;
  }

  /** Copy `i` as an object (built on each call). */
  copy(i: number): Copy {
    const at = HEAD + i * COPY;
    const answeredFrame = orNull(this.n[at + 4]!);
    return { s: this.n[at]!, frame: this.n[at + 1]!, ack: orNull(this.n[at + 2]!), answeredS: answeredFrame === null ? null : this.n[at + 3]!, answeredFrame };
  }

  /** Every copy, first to last, as objects (built on each call: for the findings, once per report). */
  get copies(): Copy[] {
    const out: Copy[] = [];
    for (let i = 0; i < this.copyCount; i++) out.push(this.copy(i));
    return out;
  }
}
