/**
 * One side of a connection: what it sent (sequence facts), and the log of state events the
 * connection has proven for it, from which its state history is derived.
 */
import type { TcpOptions } from '../decode/segment.js';
import { EventKind, TCP_STATES, TcpState, nextState } from './state.js';
import { Control } from './control.js';
import { type PackReader, type PackWriter, codeOf } from './pack.js';
import { diffS, sumS } from '../time.js';
import { seqAdd, seqGE, seqLE } from './seq.js';

export type Side = 'client' | 'server';

/** Margin beyond a retransmission's due time (timer slack) before an endpoint is taken to have given up. */
const GIVE_UP_SLACK_S = 0.2;
/** How long a SYN/ACK must go without its 1 s retransmission to be taken as a syncookie answer. */
const STATELESS_AFTER_S = 3;

/** A state event, dated when the endpoint really sent or received what caused it. */
export interface StateEvent {
  kind: EventKind;
  /** Frame the event is dated at; null for timers (TIME_WAIT expiry). */
  frame: number | null;
  s: number;
  /** Tie-break inside one frame: 1 means "after the endpoint's own send in this frame". */
  order: number;
}

/**
 * The event log keeps four numbers per event (kind, frame, time, order) in one list of numbers:
 * an endpoint lives for a minute or more (TIME_WAIT), and a dozen small event objects each, held
 * that long by every connection, were a third of what the garbage collector had to trace.
 */
const EV = 4;
const EVENT_KINDS: readonly EventKind[] = [
  'send-syn', 'send-syn-ack', 'send-fin', 'send-rst', 'recv-syn', 'recv-syn-ack', 'recv-ack-of-syn', 'recv-fin',
  'recv-fin-ack-of-fin', 'recv-ack-of-fin', 'recv-rst', 'time-wait-expired', 'reused',
];
const KIND_CODE = new Map<EventKind, number>(EVENT_KINDS.map((k, i) => [k, i]));
/** The frame number a timer event is logged with: after every frame. */
const TIMER_FRAME = Number.MAX_SAFE_INTEGER;

/** One entry of a state history. */
export interface Transition {
  state: TcpState;
  s: number;
  frame: number | null;
  /** What caused it: an EventKind; 'initial' for the state it was first seen in; 'gave-up' when its retransmissions ran out. */
  event: EventKind | 'initial' | 'gave-up';
}

export class Endpoint {
  /** The state events proven so far, EV numbers each (see above), in the order they were added. */
  private log: number[] = [];

  /** Initial sequence number (of its SYN or SYN/ACK), when seen or inferred. */
  isn: number | null = null;
  /** Next sequence number after the highest byte (or SYN/FIN) it has sent. */
  sndNxt: number | null = null;
  /** Highest acknowledgment number it has sent. */
  maxAck: number | null = null;
  window = 0;
  options: TcpOptions | null = null;
  /** Its SYN (without ACK), its SYN/ACK and its FIN, each with every copy. */
  syn: Control | null = null;
  synAck: Control | null = null;
  fin: Control | null = null;
  /** Whether the peer's own packets have proven it received each of them. */
  synProven = false;
  synAckProven = false;
  finProven = false;

  packets = 0;
  bytes = 0;
  /** Time of the last segment it sent. */
  lastSentS = -Infinity;
  retransmits = 0;
  /** New payload bytes sent after the peer's FIN (a half-close seen from the passive side). */
  bytesAfterPeerFin = 0;
  /** Frame of the last segment it sent that carried data or a FIN (for RST classification). */
  lastDataOrFinFrame = 0;

  constructor(
    readonly side: Side,
    readonly ip: string,
    readonly port: number,
    public initialState: TcpState,
    public initialS: number,
    public initialFrame: number,
  ) {}

  /** Bumped whenever the event log changes: the endpoint's state may have changed. */
  version = 0;

  addEvent(ev: StateEvent): void {
    this.version++;
    const log = this.log;
    const frame = ev.frame ?? TIMER_FRAME;
    // The log stays in the order the endpoint lived the events (by frame, then order; ties in the
    // order added). A receipt is often dated before the last event (at the copy it received):
    // it goes in its place, and the state is folded again from there.
    let at = log.length;
    while (at > 0 && (log[at - EV + 1]! - frame || log[at - EV + 3]! - ev.order) > 0) at -= EV;
    if (at === log.length) log.push(KIND_CODE.get(ev.kind)!, frame, ev.s, ev.order);
    else {
      log.splice(at, 0, KIND_CODE.get(ev.kind)!, frame, ev.s, ev.order);
      if (at < this.folded * EV) this.folded = -1;
    }
    if (ev.kind === 'recv-ack-of-syn') this.ackOfSynEvents++;
    else if (ev.kind === 'recv-ack-of-fin') this.ackOfFinEvents++;
  }

  /** Writes it to `w` (see pack.ts): every field but its side, which the connection knows. */
  pack(w: PackWriter): void {
    w.pushString(this.ip);
    w.push(this.port);
    w.push(codeOf(TCP_STATES, this.initialState));
    w.push(this.initialS);
    w.push(this.initialFrame);
    w.pushNullable(this.isn);
    w.pushNullable(this.sndNxt);
    w.pushNullable(this.maxAck);
    w.push(this.window);
    const o = this.options;
    if (o === null) w.push(0);
    else {
      w.push(1 | (o.sackPermitted ? 2 : 0) | (o.timestamps ? 4 : 0) | (o.fastOpen ? 8 : 0) | (o.truncated ? 16 : 0));
      w.pushNullable(o.mss);
      w.pushNullable(o.windowScale);
    }
    // Three calls, not a loop over a fresh array: this runs for every connection that parks.
    packControl(w, this.syn);
    packControl(w, this.synAck);
    packControl(w, this.fin);
    w.push((this.synProven ? 1 : 0) | (this.synAckProven ? 2 : 0) | (this.finProven ? 4 : 0));
    w.push(this.packets);
    w.push(this.bytes);
    w.push(this.lastSentS);
    w.push(this.retransmits);
    w.push(this.bytesAfterPeerFin);
    w.push(this.lastDataOrFinFrame);
    w.push(this.version);
    w.push(this.ackOfSynEvents);
    w.push(this.ackOfFinEvents);
    w.push(this.log.length);
    for (let i = 0; i < this.log.length; i++) w.push(this.log[i]!);
  }

  /** The endpoint `pack` wrote (its folded state is worked out again when first asked). */
  static unpack(r: PackReader, side: Side): Endpoint {
    const ip = r.string();
    const port = r.next();
    const e = new Endpoint(side, ip, port, TCP_STATES[r.next()]!, r.next(), r.next());
    e.isn = r.nullable();
    e.sndNxt = r.nullable();
    e.maxAck = r.nullable();
    e.window = r.next();
    const bits = r.next();
    if (bits !== 0) {
      const mss = r.nullable();
      const windowScale = r.nullable();
      e.options = { mss, windowScale, sackPermitted: (bits & 2) !== 0, timestamps: (bits & 4) !== 0, fastOpen: (bits & 8) !== 0, truncated: (bits & 16) !== 0 };
    }
    e.syn = r.bool() ? Control.unpack(r) : null;
    e.synAck = r.bool() ? Control.unpack(r) : null;
    e.fin = r.bool() ? Control.unpack(r) : null;
    const proven = r.next();
    e.synProven = (proven & 1) !== 0;
    e.synAckProven = (proven & 2) !== 0;
    e.finProven = (proven & 4) !== 0;
    e.packets = r.next();
    e.bytes = r.next();
    e.lastSentS = r.next();
    e.retransmits = r.next();
    e.bytesAfterPeerFin = r.next();
    e.lastDataOrFinFrame = r.next();
    e.version = r.next();
    e.ackOfSynEvents = r.next();
    e.ackOfFinEvents = r.next();
    e.log = r.list(r.next());
    return e;
  }

  /** Drops ACK-driven events of `kind` before `frame`: the endpoint's retransmission shows they were lost. */
  retractAcks(kind: 'recv-ack-of-syn' | 'recv-ack-of-fin', frame: number): void {
    const code = KIND_CODE.get(kind)!;
    const log = this.log;
    for (let i = log.length - EV; i >= 0; i -= EV) {
      if (log[i] === code && log[i + 1]! !== TIMER_FRAME && log[i + 1]! < frame) {
        log.splice(i, EV);
        this.version++;
        this.folded = -1;
        if (kind === 'recv-ack-of-syn') this.ackOfSynEvents--;
        else this.ackOfFinEvents--;
      }
    }
  }

  // Asked on every segment carrying an ACK: counted as events come and go, not searched for.
  private ackOfSynEvents = 0;
  private ackOfFinEvents = 0;

  hasEvent(kind: 'recv-ack-of-syn' | 'recv-ack-of-fin'): boolean {
    return (kind === 'recv-ack-of-syn' ? this.ackOfSynEvents : this.ackOfFinEvents) > 0;
  }

  /**
   * The state history: the initial state, then one entry per event that changed the state, in the
   * order the endpoint lived them. `timeWaitS` > 0 ends TIME_WAIT by expiry once the next event,
   * or `endS` (the capture's end, when the history is final), lies past entry + timeWaitS.
   */
  history(timeWaitS: number, endS: number | null): Transition[] {
    let state = this.initialState;
    const out: Transition[] = [{ state, s: this.initialS, frame: this.initialFrame, event: 'initial' }];
    let enteredTimeWait = 0;
    const expireBefore = (s: number) => {
      if (state === 'TIME_WAIT' && timeWaitS > 0 && s >= enteredTimeWait + timeWaitS) {
        state = 'CLOSED';
        out.push({ state, s: sumS(enteredTimeWait, timeWaitS), frame: null, event: 'time-wait-expired' });
      }
    };
    const stateless = endS !== null && this.answeredStatelessly(endS);
    const log = this.log;
    for (let i = 0; i < log.length; i += EV) {
      const kind = EVENT_KINDS[log[i]!]!;
      const s = log[i + 2]!;
      expireBefore(s);
      // A syncookie answer keeps no request: the SYN and its SYN/ACK leave the listener as it was.
      if (stateless && (kind === 'recv-syn' || kind === 'send-syn-ack')) continue;
      const next = nextState(state, kind);
      if (next === state) continue;
      state = next;
      if (state === 'TIME_WAIT') enteredTimeWait = s;
      const frame = log[i + 1]!;
      out.push({ state, s, frame: frame === TIMER_FRAME ? null : frame, event: kind });
    }
    if (endS !== null) {
      expireBefore(endS);
      const gaveUp = this.gaveUpAt(state, endS);
      if (gaveUp !== null) {
        state = 'CLOSED';
        out.push({ state, s: gaveUp, frame: null, event: 'gave-up' });
      }
    }
    return out;
  }

  /**
   * When an endpoint still waiting for an answer (SYN_SENT, SYN_RECEIVED, FIN_WAIT_1, CLOSING,
   * LAST_ACK) gave up retransmitting, if the capture shows it did: the kernel backs off (doubling
   * the interval; SYN_SENT keeps it constant for its first tcp_syn_linear_timeouts retries) and
   * drops the socket one more interval after its last retransmission, sending nothing. Taken as
   * shown once the capture runs past the next retransmission's latest due time with none, and
   * the endpoint sent nothing after its last copy. Null otherwise.
   */
  private gaveUpAt(state: TcpState, endS: number): number | null {
    const ctl = state === 'SYN_SENT' ? this.syn
      : state === 'SYN_RECEIVED' ? this.synAck
      : state === 'FIN_WAIT_1' || state === 'CLOSING' || state === 'LAST_ACK' ? this.fin : null;
    const n = ctl === null ? 0 : ctl.copyCount;
    if (ctl === null || n < 2) return null;
    const last = ctl.copyS(n - 1);
    if (this.lastSentS > last) return null;
    const interval = diffS(ctl.copyS(n - 2), last);
    if (interval <= 0) return null;
    if (endS < last + 2 * interval + Math.max(GIVE_UP_SLACK_S, interval / 4)) return null;
    const prev = n >= 3 ? ctl.copyS(n - 2) - ctl.copyS(n - 3) : 0;
    const linear = state === 'SYN_SENT' && n >= 3 && Math.abs(interval - prev) <= prev / 4;
    return sumS(last, (linear ? 1 : 2) * interval);
  }

  /**
   * A SYN/ACK sent once, never retransmitted although the capture ran on well past the 1 s
   * initial RTO, never acknowledged, and nothing after it: the server answered with a syncookie
   * (under a SYN flood) and kept no request, as `ss` shows. Linux retransmits a queued request's
   * SYN/ACK after 1 s.
   */
  private answeredStatelessly(endS: number): boolean {
    const sa = this.synAck;
    if (sa === null || sa.copyCount !== 1 || this.synAckProven || this.syn !== null) return false;
    const at = sa.copyS(0);
    const n = this.log.length;
    const lastIsSynAck = n > 0 && EVENT_KINDS[this.log[n - EV]!] === 'send-syn-ack';
    return this.lastSentS <= at && lastIsSynAck && endS - at >= STATELESS_AFTER_S;
  }

  /**
   * Does acknowledgment number `ack` (of the peer's SYN/ACK) acknowledge this endpoint's SYN? It
   * must cover the SYN and no more than was sent with it: ISN + 1, or up to the end of the SYN's
   * data when a TCP Fast Open server accepted it (RFC 7413 4.2). With the SYN unseen, any will do.
   */
  acknowledgesOpening(ack: number | null): boolean {
    if (this.isn === null) return true;
    if (ack === null) return false;
    const end = this.syn?.end ?? seqAdd(this.isn, 1);
    return seqGE(ack, seqAdd(this.isn, 1)) && seqLE(ack, end);
  }

  /** When the endpoint last entered TIME_WAIT, by what has been seen so far; null if it has not. */
  timeWaitEnteredS(): number | null {
    this.refresh();
    return this.memoTimeWait;
  }

  /** The state after everything seen so far (no timer applied). */
  current(): TcpState {
    this.refresh();
    return this.memoState;
  }

  // current() is asked for on every control segment and state change. Events almost always come
  // in order, so the state is folded forward from the events already folded; only an event
  // inserted out of order, a retraction or a changed initial state folds again from the start.
  // (The same fold as history(0, null), without its transitions.)
  /** How many events memoState folds in; -1 when it must be folded again from the start. */
  private folded = -1;
  private memoInitial: TcpState = 'CLOSED';
  private memoState: TcpState = 'CLOSED';
  private memoTimeWait: number | null = null;

  private refresh(): void {
    if (this.folded < 0 || this.memoInitial !== this.initialState) {
      this.folded = 0;
      this.memoInitial = this.initialState;
      this.memoState = this.initialState;
      this.memoTimeWait = null;
    }
    const log = this.log;
    for (let i = this.folded * EV; i < log.length; i += EV) {
      const next = nextState(this.memoState, EVENT_KINDS[log[i]!]!);
      if (next === this.memoState) continue;
      this.memoState = next;
      if (next === 'TIME_WAIT') this.memoTimeWait = log[i + 2]!;
    }
    this.folded = log.length / EV;
  }
}

/** A control (or none) as Endpoint.pack writes it: a presence flag, then the control. */
function packControl(w: PackWriter, c: Control | null): void {
  w.push(c === null ? 0 : 1);
  c?.pack(w);
}

/** The state an endpoint was in just before `frame` (timer transitions compare by time). */
export function stateBefore(history: Transition[], frame: number, s: number): TcpState {
  let state = history[0]!.state;
  for (let i = 1; i < history.length; i++) {
    const t = history[i]!;
    if (t.frame !== null ? t.frame >= frame : t.s >= s) break;
    state = t.state;
  }
  return state;
}
