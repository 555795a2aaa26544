/**
 * One side of a connection: what it sent (sequence facts), and the log of state events the
 * connection has proven for it, from which its state history is derived.
 *
 * An Endpoint is a view: it names the fields of one side of a connection's slot in the
 * ConnectionStore (store.ts). `at()` points it at a connection; the tracker keeps one pair of
 * views and moves them from packet to packet, so nothing is allocated per packet.
 */
import type { TcpOptions } from '../decode/segment.js';
import { EventKind, EVENT_KINDS, EventCode, TCP_STATES, TcpCode, TcpState, nextCode } from './state.js';
import { Control } from './control.js';
import { C, E, EV, K, RESEND, type ConnectionStore, sideKey } from './store.js';
import { diffS, sumS } from '../time.js';
import { grown } from '../typed-arrays.js';
import { seqAdd, seqGE, seqLE, seqLT } from './seq.js';

export type Side = 'client' | 'server';

/** Margin beyond a retransmission's due time (timer slack) before an endpoint is taken to have given up. */
const GIVE_UP_SLACK_S = 0.2;

/** Linux's default lowest retransmission timeout (TCP_RTO_MIN, rto_min): a copy this long after the one before is the timer's. */
const RTO_MIN_S = 0.2;

/**
 * SYN_SENT's constant intervals (Linux 6.5+, tcp_syn_linear_timeouts, default 4): the RTO doubles
 * only once more timeouts than that have passed, so the first five intervals are equal and the
 * sixth is twice as long (SYNs at 0, 1, 2, 3, 4, 5, then 7 s).
 */
const LINEAR_SYN_INTERVALS = 5;
/** How long a SYN/ACK must go without its 1 s retransmission to be taken as a syncookie answer. */
const STATELESS_AFTER_S = 3;

/** Doubles a new event log is given room for (7 events: with the list's head, a 32-double block). */
const LOG_ROOM = 7 * EV.SIZE;

/** The frame number a timer event is logged with: after every frame. */
const TIMER_FRAME = Number.MAX_SAFE_INTEGER;

/**
 * The frame number of a timer event that went off before frame `frame` (and after the frame
 * before it): between the two, so the log keeps its order. A frame number that is not a whole
 * number is a timer's (no frame in the report).
 */
const timerBefore = (frame: number): number => frame - 0.5;
const isTimerFrame = (frame: number): boolean => frame === TIMER_FRAME || frame !== Math.floor(frame);

/** One entry of a state history. */
export interface Transition {
  state: TcpState;
  s: number;
  frame: number | null;
  /** What caused it: an EventKind ('gave-up' when its retransmissions ran out); 'initial' for the state it was first seen in. */
  event: EventKind | 'initial';
}

const nullable = (x: number): number | null => (x !== x ? null : x);
const orNaN = (x: number | null): number => (x === null ? NaN : x);

export class Endpoint {
  /** Absolute offset of this endpoint's fields in the store's array. */
  private b = 0;
  /** Its SYN (without ACK), its SYN/ACK and its FIN, each with every copy (views too). */
  private readonly synView: Control;
  private readonly synAckView: Control;
  private readonly finView: Control;

  constructor(readonly store: ConnectionStore, readonly side: Side) {
    this.offset = side === 'client' ? C.CLIENT : C.SERVER;
    this.synView = new Control(store);
    this.synAckView = new Control(store);
    this.finView = new Control(store);
  }

  /** Points the view at the connection whose slot is `slot`, its fields at `base` in `f`. */
  at(f: Float64Array, base: number, slot: number): this {
    this.f = f;
    this.b = base + this.offset;
    this.connBase = base;
    this.slot = slot;
    return this;
  }

  /** The array holding the connection's fields, where they start, and its slot. */
  private f: Float64Array = new Float64Array(0);
  private connBase = 0;
  private slot = 0;
  /** C.CLIENT or C.SERVER. */
  private readonly offset: number;

  /** The address as tcpdump -n writes it. */
  get ip(): string {
    return this.store.addressText(this.slot, this.side === 'client' ? C.C0 : C.S0);
  }

  get port(): number {
    return this.f[this.connBase + (this.side === 'client' ? C.CLIENT_PORT : C.SERVER_PORT)]!;
  }

  get initialState(): TcpState { return TCP_STATES[this.f[this.b + E.INITIAL_STATE]!]!; }
  get initialCode(): TcpCode { return this.f[this.b + E.INITIAL_STATE]!; }
  set initialCode(c: TcpCode) { this.f[this.b + E.INITIAL_STATE] = c; }
  get initialS(): number { return this.f[this.b + E.INITIAL_S]!; }
  get initialFrame(): number { return this.f[this.b + E.INITIAL_FRAME]!; }

  /** Initial sequence number (of its SYN or SYN/ACK), when seen or inferred. */
  get isn(): number | null { return nullable(this.f[this.b + E.ISN]!); }
  set isn(x: number | null) { this.f[this.b + E.ISN] = orNaN(x); }
  /** Next sequence number after the highest byte (or SYN/FIN) it has sent. */
  get sndNxt(): number | null { return nullable(this.f[this.b + E.SND_NXT]!); }
  set sndNxt(x: number | null) { this.f[this.b + E.SND_NXT] = orNaN(x); }
  /** Highest acknowledgment number it has sent. */
  get maxAck(): number | null { return nullable(this.f[this.b + E.MAX_ACK]!); }
  set maxAck(x: number | null) { this.f[this.b + E.MAX_ACK] = orNaN(x); }
  /** The timestamp value its latest FIN carried: what a TIME_WAIT peer holds as ts_recent (NaN: none). */
  get finTsVal(): number { return this.f[this.b + E.FIN_TS_VAL]!; }
  set finTsVal(x: number) { this.f[this.b + E.FIN_TS_VAL] = x; }
  get window(): number { return this.f[this.b + E.WINDOW]!; }
  set window(x: number) { this.f[this.b + E.WINDOW] = x; }

  get options(): TcpOptions | null {
    const bits = this.f[this.b + E.OPTIONS]!;
    if (bits === 0) return null;
    return {
      mss: nullable(this.f[this.b + E.MSS]!), windowScale: nullable(this.f[this.b + E.WINDOW_SCALE]!),
      sackPermitted: (bits & 2) !== 0, timestamps: (bits & 4) !== 0, fastOpen: (bits & 8) !== 0, truncated: (bits & 16) !== 0,
      mptcp: bits & 32 ? 'capable' : bits & 64 ? 'join' : null,
    };
  }

  set options(o: TcpOptions | null) {
    const f = this.f;
    if (o === null) {
      f[this.b + E.OPTIONS] = 0;
      return;
    }
    f[this.b + E.OPTIONS] = 1 | (o.sackPermitted ? 2 : 0) | (o.timestamps ? 4 : 0) | (o.fastOpen ? 8 : 0) | (o.truncated ? 16 : 0) |
      (o.mptcp === 'capable' ? 32 : o.mptcp === 'join' ? 64 : 0);
    f[this.b + E.MSS] = orNaN(o.mss);
    f[this.b + E.WINDOW_SCALE] = orNaN(o.windowScale);
  }

  /** Its SYN (without ACK), its SYN/ACK and its FIN, each with every copy; null until sent. */
  // (The control views are pointed when asked for: most packets never ask.)
  get syn(): Control | null { return this.f[this.b + E.SYN + K.BITS] === 0 ? null : this.synView.at(this.f, this.b + E.SYN); }
  get synAck(): Control | null { return this.f[this.b + E.SYN_ACK + K.BITS] === 0 ? null : this.synAckView.at(this.f, this.b + E.SYN_ACK); }
  get fin(): Control | null { return this.f[this.b + E.FIN + K.BITS] === 0 ? null : this.finView.at(this.f, this.b + E.FIN); }

  /** Records a SYN, SYN/ACK or FIN sent (its first copy) and returns it. */
  newControl(which: E.SYN | E.SYN_ACK | E.FIN, seq: number, end: number, withAck: boolean, s: number, frame: number, ack: number | null): Control {
    const view = (which === E.SYN ? this.synView : which === E.SYN_ACK ? this.synAckView : this.finView).at(this.f, this.b + which);
    view.reset(seq, end, withAck, s, frame, ack);
    return view;
  }

  /** Whether the peer's own packets have proven it received its SYN, SYN/ACK, FIN. */
  get synProven(): boolean { return (this.f[this.b + E.PROVEN]! & 1) !== 0; }
  set synProven(v: boolean) { this.setProven(1, v); }
  get synAckProven(): boolean { return (this.f[this.b + E.PROVEN]! & 2) !== 0; }
  set synAckProven(v: boolean) { this.setProven(2, v); }
  get finProven(): boolean { return (this.f[this.b + E.PROVEN]! & 4) !== 0; }
  set finProven(v: boolean) { this.setProven(4, v); }

  private setProven(bit: number, v: boolean): void {
    const p = this.f[this.b + E.PROVEN]!;
    this.f[this.b + E.PROVEN] = v ? p | bit : p & ~bit;
  }

  get packets(): number { return this.f[this.b + E.PACKETS]!; }
  set packets(x: number) { this.f[this.b + E.PACKETS] = x; }
  get bytes(): number { return this.f[this.b + E.BYTES]!; }
  set bytes(x: number) { this.f[this.b + E.BYTES] = x; }
  /** Time of the last segment it sent. */
  get lastSentS(): number { return this.f[this.b + E.LAST_SENT_S]!; }
  /** The frame of the last segment it sent. */
  get lastSentFrame(): number { return this.f[this.b + E.LAST_SENT_FRAME]!; }
  set lastSentS(x: number) { this.f[this.b + E.LAST_SENT_S] = x; }
  get retransmits(): number { return this.f[this.b + E.RETRANSMITS]!; }
  set retransmits(x: number) { this.f[this.b + E.RETRANSMITS] = x; }
  /** New payload bytes sent after the peer's FIN (a half-close seen from the passive side). */
  get bytesAfterPeerFin(): number { return this.f[this.b + E.BYTES_AFTER_PEER_FIN]!; }
  set bytesAfterPeerFin(x: number) { this.f[this.b + E.BYTES_AFTER_PEER_FIN] = x; }
  /** Frame of the last segment it sent that carried data or a FIN (for RST classification). */
  get lastDataOrFinFrame(): number { return this.f[this.b + E.LAST_DATA_OR_FIN_FRAME]!; }
  set lastDataOrFinFrame(x: number) { this.f[this.b + E.LAST_DATA_OR_FIN_FRAME] = x; }

  /** Bumped whenever the event log changes: the endpoint's state may have changed. */
  get version(): number { return this.f[this.b + E.VERSION]!; }

  /** Number of events in the log. */
  get eventCount(): number {
    return this.store.arena.count(this.f[this.b + E.LOG]!, EV.SIZE);
  }

  addEvent(kind: EventCode, frame: number | null, s: number, order = 0): void {
    const f = this.f;
    const b = this.b;
    f[b + E.VERSION]!++;
    const arena = this.store.arena;
    const ref = f[b + E.LOG]!;
    const at = frame ?? TIMER_FRAME;
    // The log stays in the order the endpoint lived the events (by frame, then order; ties in the
    // order added). A receipt is often dated before the last event (at the copy it received):
    // it goes in its place, and the state is folded again from there.
    const n = arena.count(ref, EV.SIZE);
    let i = n;
    while (i > 0) {
      const prev = arena.item(ref, i - 1, EV.SIZE);
      const d = arena.data[prev + EV.FRAME]! - at || arena.data[prev + EV.ORDER]! - order;
      if (d <= 0) break;
      i--;
    }
    // A log holds half a dozen events in most connections: room for that many from the start.
    const o = i === n ? arena.append(ref, EV.SIZE, LOG_ROOM) : arena.insert(ref, i, EV.SIZE);
    f[b + E.LOG] = arena.lastRef;
    const d = arena.data;
    d[o + EV.KIND] = kind;
    d[o + EV.FRAME] = at;
    d[o + EV.S] = s;
    d[o + EV.ORDER] = order;
    if (i < n && i < f[b + E.FOLDED]!) f[b + E.FOLDED] = -1;
    if (kind === EventCode.RECV_ACK_OF_SYN) f[b + E.ACK_OF_SYN_EVENTS]!++;
    else if (kind === EventCode.RECV_ACK_OF_FIN) f[b + E.ACK_OF_FIN_EVENTS]!++;
  }

  /** Adds the receipt event `e`, dated where it was worked out (frame, time, order within the frame). */
  addStateEvent(kind: EventCode, e: { frame: number; s: number; order: number }): void {
    this.addEvent(kind, e.frame, e.s, e.order);
  }

  /**
   * Drops the events of `kind` before `frame` that later segments showed never happened: an ACK
   * of its SYN or FIN its own retransmission showed was lost, a RST sent in its name by someone
   * else or one it never took (Connection.senderOutlivedItsRsts, receiverOutlivedRsts), an ICMP
   * error it went on after (Connection.outlivedIcmpErrors), a give-up it went on after
   * (Connection.outlivedGiveUp).
   */
  retract(kind: EventCode.RECV_ACK_OF_SYN | EventCode.RECV_ACK_OF_FIN | EventCode.SEND_RST | EventCode.RECV_RST | EventCode.RECV_ICMP_ERROR | EventCode.GAVE_UP, frame: number): void {
    const arena = this.store.arena;
    const ref = this.f[this.b + E.LOG]!;
    for (let i = arena.count(ref, EV.SIZE) - 1; i >= 0; i--) {
      const o = arena.item(ref, i, EV.SIZE);
      const d = arena.data;
      if (d[o + EV.KIND] === kind && d[o + EV.FRAME]! !== TIMER_FRAME && d[o + EV.FRAME]! < frame) this.removeEvent(ref, i, kind);
    }
  }

  /** Removes the events of `kind` at `frame` or later (a FIN inferred and undone: Connection.finWasData). */
  removeEventsFrom(kind: EventCode, frame: number): void {
    const arena = this.store.arena;
    const ref = this.f[this.b + E.LOG]!;
    for (let i = arena.count(ref, EV.SIZE) - 1; i >= 0; i--) {
      const o = arena.item(ref, i, EV.SIZE);
      if (arena.data[o + EV.KIND] === kind && arena.data[o + EV.FRAME]! >= frame) this.removeEvent(ref, i, kind);
    }
  }

  /** Removes event `i` (of `kind`) from the log at `ref`, and has the state folded again. */
  private removeEvent(ref: number, i: number, kind: EventCode): void {
    const f = this.f;
    const b = this.b;
    this.store.arena.remove(ref, i, EV.SIZE);
    f[b + E.VERSION]!++;
    f[b + E.FOLDED] = -1;
    if (kind === EventCode.RECV_ACK_OF_SYN) f[b + E.ACK_OF_SYN_EVENTS]!--;
    else if (kind === EventCode.RECV_ACK_OF_FIN) f[b + E.ACK_OF_FIN_EVENTS]!--;
  }

  /** Forgets its FIN (one inferred and undone), with the proof of its receipt. */
  dropFin(): void {
    this.f[this.b + E.FIN + K.BITS] = 0;
    this.finProven = false;
  }

  // Asked on every segment carrying an ACK: counted as events come and go, not searched for.
  hasAckOfSyn(): boolean {
    return this.f[this.b + E.ACK_OF_SYN_EVENTS]! > 0;
  }

  hasAckOfFin(): boolean {
    return this.f[this.b + E.ACK_OF_FIN_EVENTS]! > 0;
  }

  /** Whether it closed from LAST_ACK at the ACK of its FIN (the only way that event closes), and nothing happened to it since. */
  closedByAckOfFin(): boolean {
    return this.lastEventKind() === EventCode.RECV_ACK_OF_FIN && this.currentCode() === TcpCode.CLOSED;
  }

  /** Whether the last thing that happened to it was an ICMP error ending its opening. */
  openingEndedByIcmpError(): boolean {
    return this.lastEventKind() === EventCode.RECV_ICMP_ERROR;
  }

  /** The kind of the last event in the log (null when empty). */
  private lastEventKind(): EventCode | null {
    const n = this.eventCount;
    return n === 0 ? null : this.eventField(n - 1, EV.KIND);
  }

  /** Field `field` (EV) of event `i` of its log; -1 past the end. */
  private eventField(i: number, field: number): number {
    const arena = this.store.arena;
    const ref = this.f[this.b + E.LOG]!;
    return i < arena.count(ref, EV.SIZE) ? arena.data[arena.item(ref, i, EV.SIZE) + field]! : -1;
  }

  /**
   * The state history into `h`: the initial state, then one entry per event that changed the
   * state, in the order the endpoint lived them. `timeWaitS` > 0 ends TIME_WAIT by expiry once the
   * next event, or `endS` (the capture's end, when the history is final), lies past entry +
   * timeWaitS.
   */
  historyInto(h: History, timeWaitS: number, endS: number | null): void {
    h.clear();
    let state = this.initialCode;
    h.push(state, this.initialS, this.initialFrame, INITIAL);
    let enteredTimeWait = 0;
    const stateless = endS !== null && this.answeredStatelessly(endS);
    const arena = this.store.arena;
    const ref = this.f[this.b + E.LOG]!;
    const n = arena.count(ref, EV.SIZE);
    for (let i = 0; i < n; i++) {
      const o = arena.item(ref, i, EV.SIZE);
      const d = arena.data;
      const kind: EventCode = d[o + EV.KIND]!;
      const s = d[o + EV.S]!;
      if (state === TcpCode.TIME_WAIT && expiresBy(enteredTimeWait, timeWaitS, s)) {
        state = TcpCode.CLOSED;
        h.push(state, sumS(enteredTimeWait, timeWaitS), NaN, EventCode.TIME_WAIT_EXPIRED);
      }
      // A syncookie answer keeps no request: the SYN and its SYN/ACK leave the listener as it was.
      if (stateless && (kind === EventCode.RECV_SYN || kind === EventCode.SEND_SYN_ACK)) continue;
      const next = nextCode(state, kind);
      if (next === state) continue;
      state = next;
      if (state === TcpCode.TIME_WAIT) enteredTimeWait = s;
      const frame = d[o + EV.FRAME]!;
      h.push(state, s, isTimerFrame(frame) ? NaN : frame, kind);
    }
    if (endS !== null) {
      if (state === TcpCode.TIME_WAIT && expiresBy(enteredTimeWait, timeWaitS, endS)) {
        state = TcpCode.CLOSED;
        h.push(state, sumS(enteredTimeWait, timeWaitS), NaN, EventCode.TIME_WAIT_EXPIRED);
      }
      const gaveUp = this.gaveUpAt(state, endS);
      if (gaveUp !== null) h.push(TcpCode.CLOSED, gaveUp, NaN, EventCode.GAVE_UP);
    }
  }

  /** The state history as objects (see historyInto). */
  history(timeWaitS: number, endS: number | null): Transition[] {
    const h = new History();
    this.historyInto(h, timeWaitS, endS);
    return h.transitions();
  }

  /**
   * When an endpoint still waiting for an answer (SYN_SENT, SYN_RECEIVED, FIN_WAIT_1, CLOSING,
   * LAST_ACK) gave up retransmitting, if the capture shows it did: the kernel backs off (doubling
   * the interval; SYN_SENT keeps it constant for its first tcp_syn_linear_timeouts retries) and
   * drops the socket one more interval after its last retransmission, sending nothing. Taken as
   * shown once the capture runs past the next retransmission's latest due time with none, and
   * the endpoint sent nothing after its last copy. When the copies are surely the timer's (the
   * last interval doubled the one before, or was at least rto_min), only what it sent after it
   * gave up counts: the ACK of the peer's FIN that took it from FIN_WAIT_1 to CLOSING does not
   * restart the retransmission timer. Closer copies may be re-sends of another kind (a BSD stack
   * sends its FIN again, with the new ack, when the peer's FIN arrives in FIN_WAIT_1), and an ACK
   * after them may be the close going on. Null otherwise.
   */
  private gaveUpAt(state: TcpCode, endS: number): number | null {
    // The states that retransmit something until it is answered, each with what it waits on.
    const ctl = state === TcpCode.SYN_SENT ? this.syn
      : state === TcpCode.SYN_RECEIVED ? this.synAck
      : state === TcpCode.FIN_WAIT_1 || state === TcpCode.CLOSING || state === TcpCode.LAST_ACK ? this.fin : null;
    const n = ctl === null ? 0 : ctl.copyCount;
    if (ctl === null || n < 2) return null;
    return this.backedOffGaveUpAt(state, n, ctl.copyS(n - 1), ctl.copyS(n - 2), n >= 3 ? ctl.copyS(n - 3) : NaN, endS);
  }

  /**
   * gaveUpAt for data: an endpoint in ESTABLISHED or CLOSE_WAIT (or closing, with no FIN copies
   * to go on) whose retransmission timer sends the oldest unacknowledged segment again, backing
   * off (store.resends), and gives up after tcp_retries2 copies (an orphan after
   * tcp_orphan_retries, or TCP_USER_TIMEOUT), dropping the socket without a packet: the last
   * copies the capture shows date it as they date a FIN's. Only copies sent again at least twice in
   * a row (the first one's own first send is not known), and only while the peer has not
   * acknowledged them. The same for a run of zero-window probes, whatever the peer answered:
   * Linux's probe timer gives up after as many probes in a row unanswered (the peer's answers may
   * be lost past the capture point, sw35 zw-s2c), or an orphan's after tcp_orphan_retries. The
   * tracking thread's alone (the run of copies is a side table there).
   */
  private dataGaveUpAt(state: TcpCode, endS: number): number | null {
    if (!(state === TcpCode.ESTABLISHED || state === TcpCode.CLOSE_WAIT || state === TcpCode.FIN_WAIT_1 ||
      state === TcpCode.CLOSING || state === TcpCode.LAST_ACK)) return null;
    const r = this.store.resends.size > 0 ? this.store.resends.get(sideKey(this.slot, this.offset === C.CLIENT)) : undefined;
    if (r === undefined) return null;
    const n = r[RESEND.COUNT]!;
    if (!(n >= 2)) return null;
    const probes = r[RESEND.PROBES] === 1;
    const peerAck = this.f[this.connBase + (this.offset === C.CLIENT ? C.SERVER : C.CLIENT) + E.MAX_ACK]!;
    if (!probes && peerAck === peerAck && seqLT(r[RESEND.SEQ]!, peerAck)) return null;
    return this.backedOffGaveUpAt(state, n, r[RESEND.S3]!, r[RESEND.S2]!, r[RESEND.S1]!, endS);
  }

  /** When its data sent again shows it gave up (dataGaveUpAt), if it had before `s`. */
  dataGaveUpBefore(s: number): number | null {
    return this.dataGaveUpAt(this.currentCode(), s);
  }

  /**
   * gaveUpAt from its last copies: `n` of them (at least 2), the last captured at `last`, the one
   * before at `before`, and the one before that at `beforeThat` (NaN: none).
   */
  private backedOffGaveUpAt(state: TcpCode, n: number, last: number, before: number, beforeThat: number, endS: number): number | null {
    const prev = n >= 3 && beforeThat === beforeThat ? before - beforeThat : 0;
    // A copy sent at once in answer to the peer's own copy (Linux answers a SYN sent again with
    // the SYN/ACK, beside its timer's copy, microseconds apart: the seed article's SYN_RCVD lab)
    // closes a gap shorter than the back-off: the back-off is the longer of the last two gaps.
    const interval = Math.max(diffS(before, last), prev);
    if (interval <= 0) return null;
    // Copies whose interval stopped doubling reached the timer's cap (TCP_RTO_MAX, 120 s, or
    // net.ipv4.tcp_rto_max_ms; for probes also a back-off of tcp_retries2): the timer goes off
    // once more that long after the last and gives up (sw38: data, FIN, SYN and probes, each one
    // capped interval after its last copy). SYN_SENT's first intervals are equal by design
    // (tcp_syn_linear_timeouts): the one after them doubles. (Probes capped by tcp_retries2 at the
    // last one, as in sw35 zw-r3, come out one interval late: only the sysctl tells.)
    const linear = n >= 3 && Math.abs(diffS(before, last) - prev) <= prev / 4 &&
      !(state === TcpCode.SYN_SENT && n - 1 === LINEAR_SYN_INTERVALS);
    // Shown once the capture runs past the next copy's latest due time: one interval on at the
    // cap, but a doubled one in SYN_SENT, whose linear phase may be shorter than Linux's default.
    const due = (linear && state !== TcpCode.SYN_SENT ? 1 : 2) * interval;
    if (endS < last + due + Math.max(GIVE_UP_SLACK_S, interval / 4)) return null;
    // An opening's timer runs in whole seconds (Linux: TCP_TIMEOUT_INIT, 1 s, doubled per retry)
    // and goes off late by up to the timer wheel's granularity: the next one is due that much
    // later than the seconds alone say, not twice the lateness seen (taken as half of it).
    const nominal = state === TcpCode.SYN_SENT || state === TcpCode.SYN_RECEIVED ? wholeSecondsTimer(interval) : interval;
    const at = sumS(last, (linear ? 1 : 2) * nominal + (interval - nominal) / 2);
    const timed = interval >= RTO_MIN_S || (n >= 3 && Math.abs(interval - 2 * prev) <= prev / 2);
    return this.lastSentS > (timed ? at : last) ? null : at;
  }

  /**
   * When the endpoint gave up waiting (gaveUpAt), if it had before `s`, the time something of
   * its peer's reaches it: past the next copy's latest due time, with nothing sent since.
   * What arrives then finds no socket (Linux answers it with a RST): the kernel dropped it
   * silently, and the peer's late ACK, data or FIN does not take it on to another state.
   */
  gaveUpBefore(s: number): number | null {
    const state = this.currentCode();
    return this.gaveUpAt(state, s) ?? this.dataGaveUpAt(state, s);
  }

  /**
   * Whether, had it still waited in `state` (SYN_SENT, SYN_RECEIVED, FIN_WAIT_1, CLOSING,
   * LAST_ACK), it would have sent its SYN, SYN/ACK or FIN again before `s` and sent nothing
   * (gaveUpAt): then it was not waiting there any more.
   */
  stoppedWaitingBefore(state: TcpCode, s: number): boolean {
    return this.gaveUpAt(state, s) !== null;
  }

  /** The latest event of `kind` before frame `frame` (its EV item offset in the arena), or -1. */
  latestEventBefore(kind: EventCode, frame: number): number {
    const arena = this.store.arena;
    const ref = this.f[this.b + E.LOG]!;
    for (let i = arena.count(ref, EV.SIZE) - 1; i >= 0; i--) {
      const o = arena.item(ref, i, EV.SIZE);
      if (arena.data[o + EV.KIND] === kind && arena.data[o + EV.FRAME]! < frame) return o;
    }
    return -1;
  }

  /** Logs the give-up at `s` (gaveUpBefore), a timer that went off before frame `frame`. */
  giveUp(s: number, frame: number): void {
    this.addEvent(EventCode.GAVE_UP, timerBefore(frame), s);
  }

  /** When its give-up was logged (giveUp), NaN if it was not. */
  gaveUpS(): number {
    for (let i = 0, n = this.eventCount; i < n; i++) {
      if (this.eventField(i, EV.KIND) === EventCode.GAVE_UP) return this.eventField(i, EV.S);
    }
    return NaN;
  }

  /**
   * A SYN/ACK sent once, never retransmitted although the capture ran on well past the 1 s
   * initial RTO, never acknowledged, and nothing after it: the server answered with a syncookie
   * (under a SYN flood) and kept no request, as `ss` shows. Linux retransmits a queued request's
   * SYN/ACK after 1 s. Also when it was acknowledged only that long after and took the ACK
   * (answered it with no RST): the cookie came back, and the socket was made from it then.
   */
  private answeredStatelessly(endS: number): boolean {
    const sa = this.synAck;
    if (sa === null || sa.copyCount !== 1 || this.syn !== null) return false;
    const at = sa.copyS(0);
    if (!this.synAckProven) return this.lastSentS <= at && this.lastEventKind() === EventCode.SEND_SYN_ACK && endS - at >= STATELESS_AFTER_S;
    const ackedS = sa.ackedS;
    if (ackedS === null || ackedS - at < STATELESS_AFTER_S) return false;
    // Its log then reads: SEND_SYN_ACK, RECV_ACK_OF_SYN (the cookie's ACK), and no RST sent next.
    const n = this.eventCount;
    let i = 0;
    while (i < n && this.eventField(i, EV.KIND) !== EventCode.SEND_SYN_ACK) i++;
    return this.eventField(i + 1, EV.KIND) === EventCode.RECV_ACK_OF_SYN && this.eventField(i + 2, EV.KIND) !== EventCode.SEND_RST;
  }

  /**
   * Does acknowledgment number `ack` (of the peer's SYN/ACK) acknowledge this endpoint's SYN? It
   * must cover the SYN and no more than was sent with it: ISN + 1, or up to the end of the SYN's
   * data when a TCP Fast Open server accepted it (RFC 7413 4.2). With the SYN unseen, any will do.
   */
  acknowledgesOpening(ack: number | null): boolean {
    const isn = this.isn;
    if (isn === null) return true;
    if (ack === null) return false;
    const end = this.syn?.end ?? seqAdd(isn, 1);
    return seqGE(ack, seqAdd(isn, 1)) && seqLE(ack, end);
  }

  /** When the endpoint last entered TIME_WAIT, by what has been seen so far; null if it has not. */
  timeWaitEnteredS(): number | null {
    this.refresh();
    return nullable(this.f[this.b + E.MEMO_TIME_WAIT]!);
  }

  /** The state after everything seen so far (no timer applied). */
  current(): TcpState {
    return TCP_STATES[this.currentCode()]!;
  }

  currentCode(): TcpCode {
    this.refresh();
    return this.f[this.b + E.MEMO_STATE]!;
  }

  // current() is asked for on every control segment and state change. Events almost always come
  // in order, so the state is folded forward from the events already folded; only an event
  // inserted out of order, a retraction or a changed initial state folds again from the start.
  // (The same fold as history(0, null), without its transitions.)
  private refresh(): void {
    const f = this.f;
    const b = this.b;
    if (f[b + E.FOLDED]! < 0 || f[b + E.MEMO_INITIAL] !== f[b + E.INITIAL_STATE]) {
      f[b + E.FOLDED] = 0;
      f[b + E.MEMO_INITIAL] = f[b + E.INITIAL_STATE]!;
      f[b + E.MEMO_STATE] = f[b + E.INITIAL_STATE]!;
      f[b + E.MEMO_TIME_WAIT] = NaN;
    }
    const arena = this.store.arena;
    const ref = f[b + E.LOG]!;
    const n = arena.count(ref, EV.SIZE);
    let state: TcpCode = f[b + E.MEMO_STATE]!;
    for (let i = f[b + E.FOLDED]!; i < n; i++) {
      const o = arena.item(ref, i, EV.SIZE);
      const next = nextCode(state, arena.data[o + EV.KIND]!);
      if (next === state) continue;
      state = next;
      if (next === TcpCode.TIME_WAIT) f[b + E.MEMO_TIME_WAIT] = arena.data[o + EV.S]!;
    }
    f[b + E.MEMO_STATE] = state;
    f[b + E.FOLDED] = n;
  }
}

/** An endpoint first seen at frame `frame` (time `s`) in `state` (the slot's other fields are as the store hands them out). */
export function initEndpoint(f: Float64Array, b: number, state: TcpCode, s: number, frame: number): void {
  f[b + E.INITIAL_STATE] = state;
  f[b + E.INITIAL_S] = s;
  f[b + E.INITIAL_FRAME] = frame;
}

/** Whether a TIME_WAIT entered at `enteredS` has expired by `s` (`timeWaitS` 0: it never does). */
function expiresBy(enteredS: number, timeWaitS: number, s: number): boolean {
  return timeWaitS > 0 && s >= enteredS + timeWaitS;
}

/**
 * The timer an interval between copies of a SYN or SYN/ACK shows: 2^k seconds when it is at most
 * 10 % longer than that (a timer never goes off early), else the interval itself (another stack's).
 */
function wholeSecondsTimer(interval: number): number {
  const seconds = 2 ** Math.round(Math.log2(interval));
  return interval >= seconds && interval - seconds <= seconds / 10 ? seconds : interval;
}

/** What caused a transition: an EventCode, or this one. */
export const INITIAL = EVENT_KINDS.length;
/** The names of transition causes by code (EventCode, INITIAL). */
export const TRANSITION_EVENTS: readonly Transition['event'][] = [...EVENT_KINDS, 'initial'];

/**
 * A state history as numbers: for each transition its state (TcpCode), time, frame (NaN for a
 * timer) and cause (TRANSITION_EVENTS). Refilled for each connection, so reports of a large
 * capture make no objects for it.
 */
export class History {
  length = 0;
  state = new Uint8Array(16);
  s = new Float64Array(16);
  frame = new Float64Array(16);
  event = new Uint8Array(16);

  clear(): void {
    this.length = 0;
  }

  push(state: TcpCode, s: number, frame: number, event: number): void {
    if (this.length === this.state.length) this.grow();
    const i = this.length++;
    this.state[i] = state;
    this.s[i] = s;
    this.frame[i] = frame;
    this.event[i] = event;
  }

  /** The state at the end. */
  get final(): TcpCode {
    return this.state[this.length - 1]!;
  }

  /** Transition `i` as an object. */
  transition(i: number): Transition {
    const frame = this.frame[i]!;
    return { state: TCP_STATES[this.state[i]!]!, s: this.s[i]!, frame: frame !== frame ? null : frame, event: TRANSITION_EVENTS[this.event[i]!]! };
  }

  transitions(): Transition[] {
    const out: Transition[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.transition(i));
    return out;
  }

  /** The state just before `frame` (timer transitions compare by time). */
  stateBefore(frame: number, s: number): TcpCode {
    let state = this.state[0]!;
    for (let i = 1; i < this.length; i++) {
      const f = this.frame[i]!;
      if (f === f ? f >= frame : this.s[i]! >= s) break;
      state = this.state[i]!;
    }
    return state;
  }

  private grow(): void {
    const n = this.state.length * 2;
    this.state = grown(this.state, n);
    this.s = grown(this.s, n);
    this.frame = grown(this.frame, n);
    this.event = grown(this.event, n);
  }
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
