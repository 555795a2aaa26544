/**
 * A SYN, SYN/ACK or FIN an endpoint sent, with every copy of it (first and retransmitted), while
 * the peer has yet to prove it received it, and after.
 *
 * A Control is a view of three of an endpoint's fields in the ConnectionStore (store.ts, K) and of
 * its list of copies in the store's arena; the tracker and the findings read and write through
 * the methods below.
 */
import { COPY, K, type ConnectionStore } from './store.js';
import { diffS } from '../time.js';

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

const EMPTY = new Float64Array(0);

/** K.BITS: the last copy has been answered (so an acknowledgment has nothing left to mark). */
export const LAST_ANSWERED = 8;
/** K.BITS: the network delivered the last copy twice (the capture holds its duplicate; CopyFilter). */
const LAST_DUPLICATED = 16;
/** K.BITS: the capture missed its first copy, known only from what followed (Connection.finNotCaptured). */
export const NOT_CAPTURED = 32;

/** Frames and acknowledgment numbers are never negative: -1 stands for "none". */
const NO = -1;
const orNull = (x: number): number | null => (x === NO ? null : x);

export class Control {
  /** The array holding the control's fields, and where they start in it. */
  private f: Float64Array = EMPTY;
  private b = 0;

  constructor(private readonly store: ConnectionStore) {}

  at(f: Float64Array, b: number): this {
    this.f = f;
    this.b = b;
    return this;
  }

  /** Makes this the record of a newly sent SYN, SYN/ACK or FIN, with its first copy. */
  reset(seq: number, end: number, withAck: boolean, s: number, frame: number, ack: number | null): void {
    const f = this.f;
    const b = this.b;
    this.store.arena.release(f[b + K.MORE]!);
    f[b + K.BITS] = 1 | (withAck ? 2 : 0);
    f[b + K.SEQ] = seq;
    f[b + K.END] = end;
    f[b + K.NOT_COVERED_FRAME] = NO;
    f[b + K.NOT_COVERED_S] = 0;
    f[b + K.ACKED_FRAME] = NO;
    f[b + K.ACKED_S] = 0;
    f[b + K.COUNT] = 1;
    f[b + K.FIRST + COPY.S] = s;
    f[b + K.FIRST + COPY.FRAME] = frame;
    f[b + K.FIRST + COPY.ACK] = ack ?? NO;
    f[b + K.FIRST + COPY.ANSWERED_S] = 0;
    f[b + K.FIRST + COPY.ANSWERED_FRAME] = NO;
    f[b + K.MORE] = NO;
  }

  /** Sequence number of the SYN or FIN itself. */
  get seq(): number { return this.f[this.b + K.SEQ]!; }
  /** Next sequence number after the segment: after the SYN's data too (TCP Fast Open). */
  get end(): number { return this.f[this.b + K.END]!; }
  get withAck(): boolean { return (this.f[this.b + K.BITS]! & 2) !== 0; }
  /** Whether its last copy has been answered (see answerCopy). */
  get lastAnswered(): boolean { return (this.f[this.b + K.BITS]! & LAST_ANSWERED) !== 0; }
  /** Whether the network duplicated its last copy: a D-SACK of it may report that duplicate. */
  get lastDuplicated(): boolean { return (this.f[this.b + K.BITS]! & LAST_DUPLICATED) !== 0; }
  setLastDuplicated(): void {
    this.f[this.b + K.BITS]! |= LAST_DUPLICATED;
  }
  /** Whether its first copy is one the capture missed, dated at the segment that showed it. */
  get notCaptured(): boolean { return (this.f[this.b + K.BITS]! & NOT_CAPTURED) !== 0; }
  markNotCaptured(): void {
    this.f[this.b + K.BITS]! |= NOT_CAPTURED;
  }
  markCaptured(): void {
    this.f[this.b + K.BITS] = this.f[this.b + K.BITS]! & ~NOT_CAPTURED;
  }
  /** True when the first acknowledgment covering it rode on a FIN (three-way close) or SYN/ACK. */
  get ackedByControl(): boolean { return (this.f[this.b + K.BITS]! & 4) !== 0; }

  /** The peer's latest packet that showed it had NOT received this yet (its ack short of it). */
  get notCoveredFrame(): number | null { return orNull(this.f[this.b + K.NOT_COVERED_FRAME]!); }
  get notCoveredS(): number { return this.f[this.b + K.NOT_COVERED_S]!; }
  setNotCovered(frame: number, s: number): void {
    this.f[this.b + K.NOT_COVERED_FRAME] = frame;
    this.f[this.b + K.NOT_COVERED_S] = s;
  }

  /** Frame and time of the peer's first acknowledgment covering it, once seen. */
  get ackedFrame(): number | null { return orNull(this.f[this.b + K.ACKED_FRAME]!); }
  get ackedS(): number | null { return this.f[this.b + K.ACKED_FRAME] === NO ? null : this.f[this.b + K.ACKED_S]!; }
  setAcked(frame: number, s: number, byControl: boolean): void {
    const f = this.f;
    f[this.b + K.ACKED_FRAME] = frame;
    f[this.b + K.ACKED_S] = s;
    f[this.b + K.BITS] = (f[this.b + K.BITS]! & ~4) | (byControl ? 4 : 0);
  }

  get copyCount(): number { return this.f[this.b + K.COUNT]!; }
  copyS(i: number): number { return this.copyField(i, COPY.S); }
  copyFrame(i: number): number { return this.copyField(i, COPY.FRAME); }
  copyAck(i: number): number | null { return orNull(this.copyField(i, COPY.ACK)); }
  copyAnsweredFrame(i: number): number | null { return orNull(this.copyField(i, COPY.ANSWERED_FRAME)); }

  /** Time from its last copy sent before `frame` to `s` (NaN: none before): how long an answer took. */
  sinceLastCopyBefore(frame: number, s: number): number {
    let last = NaN;
    for (let i = 0; i < this.copyCount; i++) if (this.copyFrame(i) < frame) last = this.copyS(i);
    return last === last ? diffS(last, s) : NaN;
  }

  /** Field `field` (COPY) of copy `i`: the first in place, the others in the list after it. */
  private copyField(i: number, field: number): number {
    if (i === 0) return this.f[this.b + K.FIRST + field]!;
    const arena = this.store.arena;
    return arena.data[arena.item(this.f[this.b + K.MORE]!, i - 1, COPY.SIZE) + field]!;
  }

  private setCopyField(i: number, field: number, x: number): void {
    if (i === 0) {
      this.f[this.b + K.FIRST + field] = x;
      return;
    }
    const arena = this.store.arena;
    arena.data[arena.item(this.f[this.b + K.MORE]!, i - 1, COPY.SIZE) + field] = x;
  }

  addCopy(s: number, frame: number, ack: number | null): void {
    const arena = this.store.arena;
    const f = this.f;
    const o = arena.append(f[this.b + K.MORE]!, COPY.SIZE);
    f[this.b + K.MORE] = arena.lastRef;
    f[this.b + K.COUNT]!++;
    f[this.b + K.BITS] = f[this.b + K.BITS]! & ~(LAST_ANSWERED | LAST_DUPLICATED);
    const d = arena.data;
    d[o + COPY.S] = s;
    d[o + COPY.FRAME] = frame;
    d[o + COPY.ACK] = ack ?? NO;
    d[o + COPY.ANSWERED_S] = 0;
    d[o + COPY.ANSWERED_FRAME] = NO;
  }

  /** Copy `i` was answered (acknowledged) by the peer's segment `frame` at `s`. */
  answerCopy(i: number, frame: number, s: number): void {
    this.setCopyField(i, COPY.ANSWERED_S, s);
    this.setCopyField(i, COPY.ANSWERED_FRAME, frame);
    if (i === this.copyCount - 1) this.f[this.b + K.BITS]! |= LAST_ANSWERED;
  }

  /** The answer taken for the last copy never reached the sender (Connection.lastAckAnswered). */
  unanswerLast(): void {
    this.setCopyField(this.copyCount - 1, COPY.ANSWERED_S, 0);
    this.setCopyField(this.copyCount - 1, COPY.ANSWERED_FRAME, NO);
    this.f[this.b + K.BITS] = this.f[this.b + K.BITS]! & ~LAST_ANSWERED;
  }

  /** Copy `i` as an object (built on each call). */
  copy(i: number): Copy {
    const answeredFrame = orNull(this.copyField(i, COPY.ANSWERED_FRAME));
    return {
      s: this.copyField(i, COPY.S), frame: this.copyField(i, COPY.FRAME), ack: orNull(this.copyField(i, COPY.ACK)),
      answeredS: answeredFrame === null ? null : this.copyField(i, COPY.ANSWERED_S), answeredFrame,
    };
  }

  /** Every copy, first to last, as objects (built on each call: for the findings, once per report). */
  get copies(): Copy[] {
    const out: Copy[] = [];
    for (let i = 0; i < this.copyCount; i++) out.push(this.copy(i));
    return out;
  }
}
