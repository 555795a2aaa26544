/**
 * One incarnation of a four-tuple: two endpoints and the rule that moves them.
 *
 * Each segment is turned into state events for its sender (at once) and for its receiver (only
 * when the receiver's own later segments prove it got it, dated at the last copy it could have
 * got, see state.ts). The connection keeps only control facts (SYN, FIN and RST copies, counters),
 * never the data segments, so its memory does not grow with the packets.
 *
 * A Connection is a view of one slot of the ConnectionStore (store.ts): `at(slot)` points it (and
 * its two Endpoint views) at a connection. The flow table keeps one view and moves it from packet
 * to packet; whoever reads a connection later (the findings) points a view of its own at it.
 */
import { formatAddress } from '../decode/addr.js';
import { ACK, FIN, RST, SYN, Segment, segmentLength } from '../decode/segment.js';
import { Endpoint, Side, initEndpoint } from './endpoint.js';
import { type Control, LAST_ANSWERED, NOT_CAPTURED } from './control.js';
import { C, CARRIER, ConnectionStore, E, EV, FAR, FAR_COPIES, GAP, GAPS_PER_SIDE, ICMP, K, NOTE, RESEND, RST as R, sideKey } from './store.js';
import { seqAdd, seqDiff, seqGE, seqLE, seqLT } from './seq.js';
import { EventCode, TcpCode, isOpenCode, isSynchronizedCode } from './state.js';

export interface RstFact {
  s: number;
  frame: number;
  fileIndex: number;
  fileFrame: number;
  from: Side;
  seq: number;
  ack: number | null;
  payloadLen: number;
  /** Acceptable to the receiver (RFC 9293 3.10.7 with RFC 5961); null when the receiver held no connection. */
  acceptable: boolean | null;
  /** The receiver's last segment carrying data or a FIN before this RST (what it may answer). */
  answersFrame: number;
  /** When and at which frame the receiver last sent anything before this RST (-Infinity, 0: never). */
  receiverLastS: number;
  receiverLastFrame: number;
  /** The frame of the sender's last segment before this RST (0: none). */
  senderLastFrame: number;
  /**
   * The sender went on with the connection after it (a later segment of its own, neither RST nor
   * SYN), so this RST did not close it: someone else sent it in the sender's name, or the sender
   * refused one segment with it and kept the connection (see senderOutlivedItsRsts).
   */
  senderContinued: boolean;
  /**
   * The receiver went on with the connection after it: it acknowledged what the sender sent after
   * this RST, or still sent a second later, so it never took it (see receiverOutlivedRsts).
   */
  receiverContinued: boolean;
  /** What its MPTCP options said (Segment.mptcpRst: MP_FASTCLOSE, MP_TCPRST and its reason; 0: none). */
  mptcp: number;
}

export type NoteKind = 'syn-data' | 'rst-data' | 'syn-on-open-connection' | 'syn-ack-new-isn' | 'syn-ack-not-captured' | 'ack-not-captured' | 'syn-to-time-wait' | 'syn-to-last-ack' | 'fin-not-captured' | 'self-connect' | 'unsigned';
export const NOTE_KINDS: readonly NoteKind[] = ['syn-data', 'rst-data', 'syn-on-open-connection', 'syn-ack-new-isn', 'syn-ack-not-captured', 'ack-not-captured', 'syn-to-time-wait', 'syn-to-last-ack', 'fin-not-captured', 'self-connect', 'unsigned'];
const enum Note { SYN_DATA, RST_DATA, SYN_ON_OPEN_CONNECTION, SYN_ACK_NEW_ISN, SYN_ACK_NOT_CAPTURED, ACK_NOT_CAPTURED, SYN_TO_TIME_WAIT, SYN_TO_LAST_ACK, FIN_NOT_CAPTURED, SELF_CONNECT, UNSIGNED }

export interface NoteFact {
  kind: NoteKind;
  s: number;
  frame: number;
  from: Side;
  bytes: number;
}

/**
 * What an ICMP error about a connection's segment did to the endpoint that sent the segment:
 * nothing (a soft error: Linux only remembers it, or the quoted segment was not one it still had
 * out), closed it (it was opening: connect() fails), or closed it at first sight but the endpoint's
 * own later segments showed it went on (Linux ignores an error that arrives while the socket is
 * busy in a system call, as on loopback, where it comes back within the connect() call itself).
 */
export type IcmpEffect = 'none' | 'closed' | 'ignored';
export const ICMP_EFFECTS: readonly IcmpEffect[] = ['none', 'closed', 'ignored'];
const enum IcmpEffectCode { NONE, CLOSED, IGNORED }

export interface IcmpFact {
  s: number;
  frame: number;
  fileIndex: number;
  fileFrame: number;
  /** The endpoint whose segment it quotes (the one it was sent to). */
  to: Side;
  /** Whoever sent it: a router or firewall on the way, or the peer's host. */
  sender: string;
  ipVersion: 4 | 6;
  type: number;
  code: number;
  /** The quoted sequence number (null: the input does not show it, as tcpdump text does not). */
  seq: number | null;
  /** Whether that lay in what the endpoint had sent and not yet had acknowledged (null: unknown). */
  acceptable: boolean | null;
  effect: IcmpEffect;
  /** The next-hop MTU of a fragmentation needed or packet too big (null: another error). */
  mtu: number | null;
}

/** A RST fact to read into (Connection.reset). */
export function newRstFact(): RstFact {
  return { s: 0, frame: 0, fileIndex: 0, fileFrame: 0, from: 'client', seq: 0, ack: null, payloadLen: 0, acceptable: null, answersFrame: 0, receiverLastS: -Infinity, receiverLastFrame: 0, senderLastFrame: 0, senderContinued: false, receiverContinued: false, mptcp: 0 };
}

/**
 * A segment of its own that a receiver sends this long after a RST reached it shows it is alive:
 * one sent before the RST arrived is at most a round trip behind it (a second is far beyond the
 * round trips of anything but a saturated satellite link).
 */
const RECEIVER_ALIVE_AFTER_S = 1;

/**
 * Sooner than RECEIVER_ALIVE_AFTER_S, a receiver's data or FIN shows it alive when it comes, after
 * a quiet spell of its own, more than this many of its handshake answer times after the RST: with
 * nothing of its own on the way (the quiet spell), a segment it sent before the RST reached it
 * follows the RST by at most its round trip from the capture point. Four of them leave room for a
 * path slower than at the handshake; a busy stream (a bottleneck's queue draining, each segment
 * delayed more) never shows such a spell, and a pure ACK may answer what was on its way.
 */
const RECEIVER_ALIVE_ROUND_TRIPS = 4;
/**
 * The least of that window: on one host or a LAN the round trip is microseconds, but a RST that
 * comes while the receiver's application holds its socket waits in the backlog until it lets go,
 * while what the application sends goes out.
 */
const RECEIVER_ALIVE_MIN_S = 0.1;

/**
 * A handshake answer slower than this is not taken as the endpoint's round trip
 * (Connection.replyWindowS): the window stays under 50 ms, well below the 200 ms at least that a
 * retransmission timer adds to the round trip, so an ACK lost before a FIN was sent again is not
 * taken for one that crossed it.
 */
const REPLY_GAP_MAX_S = 0.2;

/**
 * A SYN/ACK sent again this soon (or within the server's reply window, if longer) after the ACK
 * that acknowledged it crossed that ACK: its timer went off as the ACK came in (the client's SYN
 * timer and the server's SYN/ACK timer both run 1 s, so after a lost SYN/ACK the client's SYN
 * sent again, its answer, the ACK and the timer's copy come within microseconds). The kernel took
 * the ACK (sw32 rs-30c). A request whose ACK was refused (a full accept queue) sends its SYN/ACK
 * again on its timer, not within a millisecond of that ACK but by chance.
 */
const SYN_ACK_CROSSED_S = 0.001;

const MIDSTREAM = 1;
const LAST_WAS_RETRANSMIT = 2;
/** The client (the server) sent a RST that none of its own later segments has disowned yet. */
const CLIENT_SENT_RST = 4;
const SERVER_SENT_RST = 8;
/** The client (the server) took an acceptable RST that none of its own later segments has disowned yet. */
const CLIENT_TOOK_RST = 16;
const SERVER_TOOK_RST = 32;
/** The client (the server) was closed by an ICMP error that none of its own later segments has disowned yet. */
const CLIENT_TOOK_ICMP = 64;
const SERVER_TOOK_ICMP = 128;
/**
 * An endpoint with an open connection (synchronized, not in TIME_WAIT) sent a RST: an abort, which
 * may have been sent in its name (a firewall's REJECT with tcp-reset, an IPS): the endpoint
 * itself may still go on, seconds later (its application closes, a keep-alive).
 */
const ABORTED_OPEN = 256;
/** The client (the server) was found to have given up (Endpoint.giveUp), and none of its own later segments has disowned it yet. */
const CLIENT_GAVE_UP = 512;
const SERVER_GAVE_UP = 1024;
/**
 * An endpoint took an acceptable RST while sequence space it had sent (data or a FIN) was not yet
 * acknowledged by the RST's sender: had the RST been lost past the capture point, its
 * retransmission timer sends that space again, as much as TCP_RTO_MAX later (sw32 rs-40c: 5.5 s).
 */
const RST_RECEIVER_RETRANSMITS = 2048;
/**
 * An endpoint with an open connection (synchronized, not in TIME_WAIT) took an acceptable RST.
 * Linux sends a RST once (an abort, a keep-alive's give-up, an answer from a host without the
 * socket) and never again: if it was lost, the endpoint keeps its connection, and its next segment
 * (its FIN when its application closes, data, a keep-alive) may come any time later (sw35 K1).
 */
const RST_RECEIVER_WAS_OPEN = 4096;
/**
 * The client (the server) has a run of data sent again not yet acknowledged (store.resends): a
 * segment of its peer that needs nothing else may still find it gone (dataGaveUpAt).
 */
const CLIENT_SENT_AGAIN = 8192;
const SERVER_SENT_AGAIN = 16384;
/**
 * The client (the server) signed every segment it sent, from its first (Segment.signed: a TCP-MD5
 * signature or a TCP-AO MAC): it holds a key for its peer. An endpoint with a key signs all it
 * sends, from the SYN on (the key is set before connect() or on the listener); one whose segments
 * are signed only now and then was crafted (IDS evasion tests send a lone signed RST), and loses
 * the bit at its first unsigned one, until both sides have it.
 */
const CLIENT_SIGNS = 32768;
const SERVER_SIGNS = 65536;
const BOTH_SIGN = CLIENT_SIGNS | SERVER_SIGNS;
const CLIENT_PENDING = CLIENT_SENT_RST | CLIENT_TOOK_RST | CLIENT_TOOK_ICMP | CLIENT_GAVE_UP;
const SERVER_PENDING = SERVER_SENT_RST | SERVER_TOOK_RST | SERVER_TOOK_ICMP | SERVER_GAVE_UP;

export class Connection {
  readonly client: Endpoint;
  readonly server: Endpoint;
  /** The slot it views, the array holding its fields, and where they start in it. */
  slot = -1;
  private f: Float64Array = new Float64Array(0);
  private b = 0;
  /** The frame of the last segment the sender of the one being observed sent before it (0: none). */
  private senderLastFrame = 0;
  /** When the sender of the segment being observed last sent one before it (-Infinity: never). */
  private senderLastS = -Infinity;

  constructor(readonly store: ConnectionStore) {
    this.client = new Endpoint(store, 'client');
    this.server = new Endpoint(store, 'server');
  }

  /** Points the view at the connection in `slot`. */
  at(slot: number): this {
    this.slot = slot;
    const cell = this.store.cell(slot);
    this.f = this.store.cellChunk(cell);
    this.b = this.store.cellBase(cell);
    this.client.at(this.f, this.b, slot);
    this.server.at(this.f, this.b, slot);
    return this;
  }

  /**
   * Opens a connection at its first segment, in a new slot of the store (the view points at it).
   * SPEC section 2: the client is the sender of the first SYN without ACK; with no SYN, the
   * receiver of a SYN/ACK; with neither, the endpoint with the larger (ephemeral) port, ties to
   * the first sender.
   */
  open(id: number, seg: Segment): this {
    const f = seg.flags;
    // A SYN without ACK opens a connection, whatever else it carries (SYN+FIN, SYN+RST probes).
    const synOnly = (f & (SYN | ACK)) === SYN;
    const synAck = (f & (SYN | ACK | RST | FIN)) === (SYN | ACK);
    const senderIsClient = synOnly ? true : synAck ? false : seg.srcPort >= seg.dstPort;
    // Initial states. With a SYN first, the client starts CLOSED and the server LISTEN (assumed to
    // listen). Midstream, both sides are ESTABLISHED at the first packet (SPEC section 2), with two
    // exceptions: a SYN/ACK first means the handshake is under way; and a first segment that no
    // synchronized connection carries (no ACK: RFC 9293 3.10.7.4 drops those; a RST; a SYN mixed
    // with FIN or RST) is a probe or a stray reset, so both sides start CLOSED.
    let clientState = TcpCode.CLOSED;
    let serverState = TcpCode.LISTEN;
    if (synAck) { clientState = TcpCode.SYN_SENT; serverState = TcpCode.SYN_RECEIVED; }
    else if ((f & (ACK | SYN | RST)) === ACK) { clientState = TcpCode.ESTABLISHED; serverState = TcpCode.ESTABLISHED; }
    else if (!synOnly) serverState = TcpCode.CLOSED;

    this.at(this.store.allocate());
    const d = this.f;
    const b = this.b;
    const w = seg.addrs;
    const c = senderIsClient ? 0 : 4; // where the client's words are in seg.addrs
    d[b + C.ID] = id;
    d[b + C.IP_VERSION] = seg.ipVersion;
    d[b + C.C0] = w[c]!; d[b + C.C1] = w[c + 1]!; d[b + C.C2] = w[c + 2]!; d[b + C.C3] = w[c + 3]!;
    d[b + C.S0] = w[4 - c]!; d[b + C.S1] = w[5 - c]!; d[b + C.S2] = w[6 - c]!; d[b + C.S3] = w[7 - c]!;
    d[b + C.CLIENT_PORT] = senderIsClient ? seg.srcPort : seg.dstPort;
    d[b + C.SERVER_PORT] = senderIsClient ? seg.dstPort : seg.srcPort;
    d[b + C.BITS] = synOnly ? 0 : MIDSTREAM;
    d[b + C.FIRST_S] = d[b + C.LAST_S] = seg.s;
    d[b + C.FIRST_FRAME] = d[b + C.LAST_FRAME] = seg.frame;
    d[b + C.FILE_INDEX] = seg.fileIndex;
    initEndpoint(d, b + C.CLIENT, clientState, seg.s, seg.frame);
    initEndpoint(d, b + C.SERVER, serverState, seg.s, seg.frame);
    if (synAck) this.client.isn = (seg.ack - 1) >>> 0; // inferred from the SYN/ACK
    if (this.selfConnected(seg)) this.noteAt(Note.SELF_CONNECT, seg.s, seg.frame, true, 0);
    return this;
  }

  get id(): number { return this.f[this.b + C.ID]!; }
  /** An MPTCP subflow (MP_JOIN): the id of the connection whose MPTCP connection it joined; 0: none known. */
  get mptcpSubflowOf(): number { return this.f[this.b + C.MPTCP_SUBFLOW_OF]!; }
  set mptcpSubflowOf(id: number) { this.f[this.b + C.MPTCP_SUBFLOW_OF] = id; }
  get ipVersion(): 4 | 6 { return this.f[this.b + C.IP_VERSION] as 4 | 6; }
  get clientPort(): number { return this.f[this.b + C.CLIENT_PORT]!; }
  get serverPort(): number { return this.f[this.b + C.SERVER_PORT]!; }
  get flowHash(): number { return this.f[this.b + C.FLOW_HASH]!; }
  set flowHash(h: number) { this.f[this.b + C.FLOW_HASH] = h; }
  /** No SYN seen (false again if a SYN captured after its SYN/ACK turns up: capture reordering). */
  get midstream(): boolean { return (this.f[this.b + C.BITS]! & MIDSTREAM) !== 0; }
  /** Whether the segment last observed resent sequence space already sent (for the ladder). */
  get lastWasRetransmit(): boolean { return (this.f[this.b + C.BITS]! & LAST_WAS_RETRANSMIT) !== 0; }
  /** Earliest and latest packet times (timestamps can go backwards; frames keep capture order). */
  get firstS(): number { return this.f[this.b + C.FIRST_S]!; }
  get lastS(): number { return this.f[this.b + C.LAST_S]!; }
  get firstFrame(): number { return this.f[this.b + C.FIRST_FRAME]!; }
  get lastFrame(): number { return this.f[this.b + C.LAST_FRAME]!; }
  get fileIndex(): number { return this.f[this.b + C.FILE_INDEX]!; }
  /** Set when a SYN with a new ISN started the next incarnation of this four-tuple. */
  get reusedBy(): { s: number; frame: number } | null {
    const s = this.f[this.b + C.REUSED_S]!;
    return s !== s ? null : { s, frame: this.f[this.b + C.REUSED_FRAME]! };
  }
  /** The client's address words then the server's (Segment.addrs' layout) into `into`, returned. */
  addressWords(into: Float64Array): Float64Array {
    // Word by word: a subarray to copy from is an object, made for every finished connection.
    const f = this.f;
    const b = this.b;
    for (let i = 0; i < 4; i++) {
      into[i] = f[b + C.C0 + i]!;
      into[4 + i] = f[b + C.S0 + i]!;
    }
    return into;
  }

  /** The capture time the flow table scheduled it to finish at (NaN: none). */
  get dueAt(): number { return this.f[this.b + C.DUE_AT]!; }
  set dueAt(x: number) { this.f[this.b + C.DUE_AT] = x; }

  /** Changes whenever either endpoint's state events change (so its states may have). */
  get stateVersion(): number {
    return this.f[this.b + C.CLIENT + E.VERSION]! + this.f[this.b + C.SERVER + E.VERSION]!;
  }

  endpoint(side: Side): Endpoint {
    return side === 'client' ? this.client : this.server;
  }

  /** Every RST of the connection (objects built on each call). */
  get resets(): RstFact[] {
    const out: RstFact[] = [];
    for (let i = 0; i < this.resetCount; i++) out.push(this.reset(i, newRstFact()));
    return out;
  }

  /** Every note of the connection (objects built on each call). */
  get notes(): NoteFact[] {
    const arena = this.store.arena;
    const ref = this.f[this.b + C.NOTES]!;
    const out: NoteFact[] = [];
    for (let i = 0; i < arena.count(ref, NOTE.SIZE); i++) {
      const o = arena.item(ref, i, NOTE.SIZE);
      const d = arena.data;
      out.push({ kind: NOTE_KINDS[d[o + NOTE.KIND]!]!, s: d[o + NOTE.S]!, frame: d[o + NOTE.FRAME]!, from: d[o + NOTE.FROM] === 0 ? 'client' : 'server', bytes: d[o + NOTE.BYTES]! });
    }
    return out;
  }

  /** How many RSTs it has; `reset(i, into)` reads one without making objects. */
  get resetCount(): number {
    return this.store.arena.count(this.f[this.b + C.RESETS]!, R.SIZE);
  }

  /** RST `i` into `into` (returned). */
  reset(i: number, into: RstFact): RstFact {
    const arena = this.store.arena;
    const o = arena.item(this.f[this.b + C.RESETS]!, i, R.SIZE);
    const d = arena.data;
    const ack = d[o + R.ACK]!;
    const acceptable = d[o + R.ACCEPTABLE]!;
    into.s = d[o + R.S]!;
    into.frame = d[o + R.FRAME]!;
    into.fileIndex = d[o + R.FILE_INDEX]!;
    into.fileFrame = d[o + R.FILE_FRAME]!;
    into.from = d[o + R.FROM] === 0 ? 'client' : 'server';
    into.seq = d[o + R.SEQ]!;
    into.ack = ack !== ack ? null : ack;
    into.payloadLen = d[o + R.PAYLOAD]!;
    into.acceptable = acceptable < 0 ? null : acceptable === 1;
    into.answersFrame = d[o + R.ANSWERS_FRAME]!;
    into.receiverLastS = d[o + R.RECEIVER_LAST_S]!;
    into.receiverLastFrame = d[o + R.RECEIVER_LAST_FRAME]!;
    into.senderLastFrame = d[o + R.SENDER_LAST_FRAME]!;
    into.senderContinued = d[o + R.SENDER_CONTINUED] === 1;
    into.receiverContinued = d[o + R.RECEIVER_CONTINUED] === 1;
    into.mptcp = d[o + R.MPTCP]!;
    return into;
  }

  get noteCount(): number {
    return this.store.arena.count(this.f[this.b + C.NOTES]!, NOTE.SIZE);
  }

  /** Whether a note of `kind` was made. */
  private hasNote(kind: Note): boolean {
    const arena = this.store.arena;
    const ref = this.f[this.b + C.NOTES]!;
    for (let i = 0; i < arena.count(ref, NOTE.SIZE); i++) if (arena.data[arena.item(ref, i, NOTE.SIZE) + NOTE.KIND] === kind) return true;
    return false;
  }

  /** When an endpoint was found to have given up, silently (Endpoint.giveUp); NaN if it was not. */
  gaveUpS(side: Side): number {
    return this.f[this.b + C.BITS]! & (side === 'client' ? CLIENT_GAVE_UP : SERVER_GAVE_UP) ? this.endpoint(side).gaveUpS() : NaN;
  }

  /** Whether the capture missed the server's SYN/ACK that the client's ACK shows it received. */
  get synAckNotCaptured(): boolean {
    return this.hasNote(Note.SYN_ACK_NOT_CAPTURED);
  }

  /** The key of one endpoint (the client if `client`) in the store's side tables (gaps, ackCarriers, ...). */
  private sideKey(client: boolean): number {
    return sideKey(this.slot, client);
  }

  /**
   * Whether `seg`, one of this connection's, shows its four-tuple is one socket's address twice: a
   * socket connected to itself. Linux does this when a client's port is the one it connects to on
   * its own address (bound to it, or handed it as its ephemeral port when nothing listens there):
   * its SYN comes back to it, a simultaneous open with itself. Each segment is then sent and
   * received by the same socket. The segment's ports are compared first: nearly always unequal.
   */
  selfConnected(seg: Segment): boolean {
    if (seg.srcPort !== seg.dstPort) return false;
    const f = this.f;
    const b = this.b;
    return f[b + C.CLIENT_PORT] === f[b + C.SERVER_PORT] && f[b + C.C3] === f[b + C.S3] && f[b + C.C0] === f[b + C.S0] && f[b + C.C1] === f[b + C.S1] && f[b + C.C2] === f[b + C.S2];
  }

  isFromClient(seg: Segment): boolean {
    const a = seg.addrs;
    const f = this.f;
    const b = this.b;
    return seg.srcPort === f[b + C.CLIENT_PORT] && a[3] === f[b + C.C3] && a[0] === f[b + C.C0] && a[1] === f[b + C.C1] && a[2] === f[b + C.C2];
  }

  /** Does `seg` belong to this four-tuple (either direction)? */
  carries(seg: Segment): boolean {
    return carries(this.f, this.b, seg);
  }

  /**
   * Feeds one segment of this connection, in capture order.
   *
   * This runs for every packet, so the fields it touches on every one (counters, sequence
   * numbers, the receiver's pending SYN and FIN) are read and written in the store directly;
   * the rarer work (a SYN, FIN or RST, an acknowledgment that proves or answers something) goes
   * through the views.
   */
  observe(seg: Segment, fromClient: boolean): void {
    const d = this.f;
    const b = this.b;
    const xb = b + (fromClient ? C.CLIENT : C.SERVER); // the sender's fields
    const f = seg.flags;
    const s = seg.s;
    if (s > d[b + C.LAST_S]!) d[b + C.LAST_S] = s;
    if (s < d[b + C.FIRST_S]!) d[b + C.FIRST_S] = s;
    d[b + C.LAST_FRAME] = seg.frame;
    const packets = ++d[xb + E.PACKETS]!;
    d[xb + E.BYTES]! += seg.payloadLen;
    this.senderLastS = d[xb + E.LAST_SENT_S]!;
    this.senderLastFrame = d[xb + E.LAST_SENT_FRAME]!;
    // TCP-MD5 and TCP-AO: on a connection whose two sides sign, an unsigned segment is neither's.
    // One whose options the snap length cut may have been signed past the cut: it is its sender's.
    const bits = d[b + C.BITS]!;
    let unsignedRst = false;
    if ((bits & BOTH_SIGN) === BOTH_SIGN) {
      if (!seg.signed && !seg.truncated) {
        if (!(f & RST) || !this.timeWaitTakesUnsigned(fromClient)) {
          this.unsignedNotSent(seg, fromClient);
          return;
        }
        this.note(Note.UNSIGNED, seg, fromClient);
        unsignedRst = true;
      }
    } else if (seg.signed) {
      if (packets === 1) d[b + C.BITS] = bits | (fromClient ? CLIENT_SIGNS : SERVER_SIGNS);
    } else if (bits & (fromClient ? CLIENT_SIGNS : SERVER_SIGNS) && !seg.truncated) {
      d[b + C.BITS] = bits & ~(fromClient ? CLIENT_SIGNS : SERVER_SIGNS);
    }
    if ((f & (RST | ACK)) === RST) this.gaveUpBeforeItsReply(seg, fromClient);
    if (s > d[xb + E.LAST_SENT_S]!) d[xb + E.LAST_SENT_S] = s;
    const ts = seg.tsVal;
    if (ts >= 0) {
      const last = d[xb + E.TS_LAST]!;
      if (last !== last) {
        d[xb + E.TS_FIRST] = ts;
        d[xb + E.TS_FIRST_S] = s;
      }
      if (last !== last || seqLE(last, ts)) {
        d[xb + E.TS_LAST] = ts;
        d[xb + E.TS_LAST_S] = s;
      }
    }
    d[xb + E.LAST_SENT_FRAME] = seg.frame;
    // The server was only assumed to listen: one that first answers with a RST (refused), or
    // opens with its own SYN (simultaneous open), was not listening.
    if (!fromClient && packets === 1 && d[xb + E.INITIAL_STATE] === TcpCode.LISTEN && ((f & RST) || (f & (SYN | ACK)) === SYN)) {
      d[xb + E.INITIAL_STATE] = TcpCode.CLOSED;
    }

    const pending = d[b + C.BITS]! & (fromClient ? CLIENT_PENDING : SERVER_PENDING);
    if (pending !== 0) this.sentAfterClosing(pending, fromClient, seg);
    if (!fromClient && this.store.lapsedRequestAcks.size > 0) this.requestAnswered(seg);
    if (!fromClient && this.store.openingAcksWithoutData.size > 0) this.openingShownByAnswer(seg);

    const len = segmentLength(seg);
    const sndNxt = d[xb + E.SND_NXT]!; // NaN: nothing sent yet
    const gaps = this.store.gaps;
    // The first copy of a FIN taken as missed (finNotCaptured), captured after what showed it.
    const lateFin = (f & (FIN | RST)) === FIN && (d[xb + E.FIN + K.BITS]! & NOT_CAPTURED) !== 0 && this.finCapturedLate(fromClient, seg);
    const retransmit = len > 0 && !(f & RST) && sndNxt === sndNxt && seqLT(seg.seq, sndNxt) && !isKeepAlive(seg, sndNxt) && !lateFin &&
      !(gaps.size > 0 && this.capturedLate(gaps.get(this.sideKey(fromClient)), seg, len));
    d[b + C.BITS] = (d[b + C.BITS]! & ~LAST_WAS_RETRANSMIT) | (retransmit ? LAST_WAS_RETRANSMIT : 0);
    if (this.store.ackCarriers.size > 0) this.ackCarrierNews(seg, fromClient, retransmit);
    if (retransmit) {
      d[xb + E.RETRANSMITS]!++;
      if (seg.payloadLen > 0 && !(f & (SYN | FIN))) this.dataSentAgain(fromClient, seg.seq, s);
      if (fromClient && seg.payloadLen > 0) this.openingAckNotTaken(seg);
      // Data sent again below the sender's FIN after the ACK of that FIN was taken as received:
      // Linux never sends again what was acknowledged, so that ACK had not arrived (SPEC section
      // 3: a later retransmission of what it acknowledged marks it lost). A FIN sent again, with
      // or without data, is sentFin's.
      if (d[xb + E.ACK_OF_FIN_EVENTS]! > 0 && !(f & FIN)) this.ackOfFinLost(fromClient, seg);
    } else if (len === 0) {
      // A bare ACK one below all it sent, into a window its peer closed: a zero-window probe.
      if ((f & (SYN | FIN | RST | ACK)) === ACK && sndNxt === sndNxt && seg.seq === seqAdd(sndNxt, -1) &&
        d[b + (fromClient ? C.SERVER : C.CLIENT) + E.WINDOW] === 0) this.windowProbeSent(fromClient, seg.seq, s);
    } else if (d[b + C.BITS]! & (fromClient ? CLIENT_SENT_AGAIN : SERVER_SENT_AGAIN)) this.newDataAfterRun(fromClient);
    if (len > 0 && !(f & RST) && sndNxt === sndNxt && seqLT(sndNxt, seg.seq)) {
      // Sequence space skipped: lost before the capture point, or captured later (capturedLate).
      const key = this.sideKey(fromClient);
      let g = gaps.get(key);
      if (g === undefined) gaps.set(key, (g = new Float64Array(GAPS_PER_SIDE * GAP.SIZE).fill(NaN)));
      openGap(g, sndNxt, seg.seq, s, seg.ipId, seg.tsVal);
    }

    // A FIN the capture missed (finNotCaptured): the receiver acknowledges one past all its
    // sender was seen to send, or the sender's own ACK stands one past it. Data past a FIN taken
    // so (or a FIN further on) shows the missing unit was a byte of data (finWasData).
    if ((f & (ACK | SYN | RST)) === ACK) {
      const yNxt = d[b + (fromClient ? C.SERVER : C.CLIENT) + E.SND_NXT]!;
      if (yNxt === yNxt && seg.ack === seqAdd(yNxt, 1)) this.finNotCaptured(!fromClient, seg, fromClient);
      if (len === 0 && sndNxt === sndNxt && seg.seq === seqAdd(sndNxt, 1)) this.finNotCaptured(fromClient, seg, fromClient);
    }
    if (len > 0 && d[xb + E.FIN + K.BITS]! & NOT_CAPTURED) this.finWasData(fromClient, seg);

    const control = (f & (SYN | FIN | RST)) !== 0 || !(f & ACK) || seg.payloadLen > 0 && d[b + (fromClient ? C.SERVER : C.CLIENT) + E.FIN + K.BITS] !== 0;
    if (control || !this.ackIsQuiet(seg, fromClient)) {
      const y = fromClient ? this.server : this.client;
      this.arrivesAfterGiveUp(y, seg, fromClient);
      if (control) this.observeControl(seg, fromClient, lateFin, unsignedRst);
      else this.sentAck(fromClient ? this.client : this.server, y, seg, fromClient);
    } else {
      if (d[b + C.BITS]! & (fromClient ? SERVER_SENT_AGAIN : CLIENT_SENT_AGAIN)) this.quietAfterDataSentAgain(seg, fromClient);
      if (fromClient && this.store.openingAcksWithoutData.size > 0 && this.store.openingAcksWithoutData.has(this.slot)) {
        // An ACK of the SYN/ACK with nothing new to prove, while the server may still wait in SYN_RECEIVED.
        const synAck = this.server.synAck;
        if (synAck !== null) this.openingAckSeen(synAck, seg, false);
      }
    }

    if (!(f & RST) && (len > 0 || sndNxt !== sndNxt)) {
      const end = seqAdd(seg.seq, len);
      const next = d[xb + E.SND_NXT]!;
      if (next !== next || seqLT(next, end)) d[xb + E.SND_NXT] = end;
    }
    if (f & ACK) {
      const maxAck = d[xb + E.MAX_ACK]!;
      if (maxAck !== maxAck || seqLT(maxAck, seg.ack)) d[xb + E.MAX_ACK] = seg.ack;
    }
    if (seg.payloadLen > 0 || (f & FIN)) d[xb + E.LAST_DATA_OR_FIN_FRAME] = seg.frame;
    // A RST's window field means nothing (zero-window probes are told by the peer's window).
    if (!(f & RST)) d[xb + E.WINDOW] = seg.window;
  }

  /**
   * True when the acknowledgment in `seg` (ACK, no SYN, FIN or RST) changes nothing: the
   * receiver's SYN, SYN/ACK and FIN are all proven and answered, what it already knows covers it,
   * and neither side is still opening (where a one-sided capture can show a missed SYN/ACK).
   * Nearly every data segment and pure ACK of an open connection is such a one.
   */
  private ackIsQuiet(seg: Segment, fromClient: boolean): boolean {
    const d = this.f;
    const yb = this.b + (fromClient ? C.SERVER : C.CLIENT);
    const xb = this.b + (fromClient ? C.CLIENT : C.SERVER);
    const proven = d[yb + E.PROVEN]!;
    const syn = d[yb + E.SYN + K.BITS]!;
    const synAck = d[yb + E.SYN_ACK + K.BITS]!;
    const fin = d[yb + E.FIN + K.BITS]!;
    // Something to prove, or a copy still to mark as answered.
    if (syn !== 0 && (!(proven & 1) || !(syn & LAST_ANSWERED))) return false;
    if (synAck !== 0 && (!(proven & 2) || !(synAck & LAST_ANSWERED))) return false;
    if (fin !== 0 && (!(proven & 4) || !(fin & LAST_ANSWERED))) return false;
    // The receiver's opening or FIN acknowledged at last (a pure ACK taken as received).
    const opening = synAck !== 0 ? E.SYN_ACK : syn !== 0 ? E.SYN : -1;
    if (opening >= 0 && d[yb + E.ACK_OF_SYN_EVENTS] === 0 && covers(seg.ack, d[yb + opening + K.SEQ]!)) return false;
    if (fin !== 0 && d[yb + E.ACK_OF_FIN_EVENTS] === 0 && covers(seg.ack, d[yb + E.FIN + K.SEQ]!)) return false;
    // A one-sided capture (Connection.impliedByOneSidedCapture): only while a side is in SYN_SENT.
    if (d[xb + E.SYN + K.BITS] !== 0 && synAck === 0) return false;
    if (d[xb + E.SYN_ACK + K.BITS] !== 0 && syn === 0 && d[yb + E.ISN] === d[yb + E.ISN]) return false;
    return true;
  }

  /**
   * The capture missed x's FIN (x the client if `finFromClient`), which `seg` shows: y
   * acknowledges exactly one past all x was seen to send, or x's own segment without data stands
   * there. A capture that drops packets (tcpdump's "dropped by kernel" under load) or a tap past
   * which the FIN was lost on its way shows this. x sent it before `seg`: its FIN is taken as sent
   * then, and y's proof of receipt (an ACK covering it) follows as for any FIN; a later copy of it
   * is its retransmission. The unit could have been one byte of data (a keystroke) as well: data
   * or a FIN from x after it undoes this (finWasData). Only x open (ESTABLISHED, CLOSE_WAIT) with
   * no FIN of its own seen, and y synchronized.
   */
  private finNotCaptured(finFromClient: boolean, seg: Segment, segFromClient: boolean): void {
    const x = finFromClient ? this.client : this.server;
    const y = finFromClient ? this.server : this.client;
    const sndNxt = x.sndNxt;
    const state = x.currentCode();
    if (x.fin !== null || sndNxt === null || (state !== TcpCode.ESTABLISHED && state !== TcpCode.CLOSE_WAIT)) return;
    if (!isSynchronizedCode(y.currentCode())) return;
    const own = segFromClient === finFromClient;
    const s = own ? seg.s : this.missedFinS(finFromClient, seg);
    // What the FIN itself acknowledged is unknown: its sender's later segment may acknowledge more.
    const ctl = x.newControl(E.FIN, sndNxt, seqAdd(sndNxt, 1), true, s, seg.frame, null);
    ctl.markNotCaptured();
    x.addEvent(EventCode.SEND_FIN, seg.frame, s, -1);
    x.sndNxt = seqAdd(sndNxt, 1);
    this.noteAt(Note.FIN_NOT_CAPTURED, s, seg.frame, finFromClient, 0);
  }

  /**
   * When x (the client if `finFromClient`) sent the FIN the capture missed that y's `seg`
   * acknowledges: read from x's clock. y echoes the FIN's TSval (its TSecr: the FIN came in order
   * and updated ts_recent, RFC 7323 4.3), and x's own segments show how its clock runs (its first
   * and latest TSval and when they were captured; 1 tick a millisecond, Linux's, when they span
   * under 50 ms). Never before x's or y's segments before `seg` (neither had sent or received it
   * yet), nor after `seg`; `seg`'s own time without timestamps.
   */
  private missedFinS(finFromClient: boolean, seg: Segment): number {
    const d = this.f;
    const xb = this.b + (finFromClient ? C.CLIENT : C.SERVER);
    const last = d[xb + E.TS_LAST]!;
    const lastS = d[xb + E.TS_LAST_S]!;
    const ticks = seg.tsEcr >= 0 && last === last ? seqDiff(seg.tsEcr, last) : -1;
    if (ticks < 0) return seg.s;
    const spanS = lastS - d[xb + E.TS_FIRST_S]!;
    const spanTicks = seqDiff(last, d[xb + E.TS_FIRST]!);
    const perS = spanS >= TS_CLOCK_SPAN_S && spanTicks > 0 ? spanTicks / spanS : 1000;
    const earliest = Math.max(d[xb + E.LAST_SENT_S]!, this.senderLastS);
    // A clock of millisecond ticks dates to no better than that: the estimate is kept to microseconds.
    return Math.min(seg.s, Math.max(earliest, Math.round((lastS + ticks / perS) * 1e6) / 1e6));
  }

  /**
   * Whether `seg`, x's FIN (x the client if `fromClient`) at the place of the one taken as missed
   * (finNotCaptured), is that FIN's first copy captured late, after what showed it (a capture on
   * several CPUs records an ACK before the segment it answers): it came within lateWithinS of the
   * segment that showed it, sooner than anything is sent again. The FIN stays dated there, and is
   * no longer one the capture missed.
   */
  private finCapturedLate(fromClient: boolean, seg: Segment): boolean {
    const fin = (fromClient ? this.client : this.server).fin!;
    if (fin.copyCount !== 1 || fin.seq !== seqAdd(seg.seq, seg.payloadLen) || seg.s - fin.copyS(0) > this.lateWithinS()) return false;
    fin.markCaptured();
    this.dropNote(Note.FIN_NOT_CAPTURED, fin.copyFrame(0));
    return true;
  }

  /**
   * x (the client if `fromClient`) sends `seg` after a FIN the capture was taken to have missed
   * (finNotCaptured): data at or past that FIN's place, or a FIN further on, so the unit was a
   * byte of data. The FIN, its receipt, its acknowledgment and the note are undone, as if never inferred.
   */
  private finWasData(fromClient: boolean, seg: Segment): void {
    const x = fromClient ? this.client : this.server;
    const y = fromClient ? this.server : this.client;
    const fin = x.fin!;
    // Data, or a FIN, whose place (after the data) is past the FIN taken as missed.
    if (!(seg.payloadLen > 0 || seg.flags & FIN) || !seqLT(fin.seq, seqAdd(seg.seq, seg.payloadLen))) return;
    const frame = fin.copyFrame(0);
    x.removeEventsFrom(EventCode.SEND_FIN, frame);
    x.removeEventsFrom(EventCode.RECV_ACK_OF_FIN, frame);
    y.removeEventsFrom(EventCode.RECV_FIN, frame);
    y.removeEventsFrom(EventCode.RECV_FIN_ACK_OF_FIN, frame);
    x.dropFin();
    y.bytesAfterPeerFin = 0;
    this.dropNote(Note.FIN_NOT_CAPTURED, frame);
  }

  /**
   * The segments that carry a SYN, FIN or RST, lack an ACK, or send data past the peer's FIN.
   * `unsignedRst`: an unsigned RST of a signed connection that its receiver takes in TIME_WAIT.
   */
  private observeControl(seg: Segment, fromClient: boolean, lateFin: boolean, unsignedRst: boolean): void {
    const x = fromClient ? this.client : this.server; // the sender
    const y = fromClient ? this.server : this.client; // the receiver
    const f = seg.flags;
    if (seg.payloadLen > 0 && (f & SYN)) this.note(Note.SYN_DATA, seg, fromClient);
    if (seg.payloadLen > 0 && (f & RST)) this.note(Note.RST_DATA, seg, fromClient);

    if (f & SYN) this.sentSyn(x, seg, fromClient);
    // A RST's acknowledgment field proves nothing: the kernel fills it in for a segment it is
    // refusing (a closed port's RST+ACK acknowledges the SYN it never accepted).
    if ((f & ACK) && !(f & RST)) this.sentAck(x, y, seg, fromClient);
    else if (!(f & ACK)) sentWithoutAck(y, seg);
    if (!(f & RST)) countHalfCloseBytes(x, y, seg);
    // A RST's FIN closes nothing in order: its receiver acts on the RST alone (RFC 9293 3.10.7.4's
    // second check comes before the eighth, the FIN's), and it is an anomaly either way.
    // A FIN sent again: the ACK of it taken as received was lost.
    if ((f & (SYN | FIN | RST)) === FIN && x.fin === null && this.f[this.b + C.BITS]! & (fromClient ? CLIENT_TOOK_RST : SERVER_TOOK_RST) &&
      !isSynchronizedCode(x.currentCode())) this.finAfterRst(fromClient, seg);
    if ((f & (FIN | RST)) === FIN && !lateFin && sentFin(x, seg)) this.ackOfFinLost(fromClient, seg);
    if (f & RST) this.sentRst(x, y, seg, fromClient, unsignedRst);
  }

  /**
   * Whether the receiver of an unsigned RST, an endpoint that signs its own (TCP-MD5, RFC 2385;
   * TCP-AO, RFC 5925), takes it: only in TIME_WAIT. Both RFCs have a connection with a key discard
   * every segment without a valid signature, before any other check, and Linux does so in
   * tcp_inbound_hash for every full socket (sw39: SYN_SENT, ESTABLISHED, FIN_WAIT_1, CLOSE_WAIT,
   * CLOSING, LAST_ACK, FIN_WAIT_2). A timewait socket goes through no such check: a TIME_WAIT takes
   * an unsigned RST in window and is gone (fixtures/md5-reject). So does an orphaned FIN_WAIT_2,
   * which Linux turns into a timewait socket when tcp_fin_timeout is no longer than 60 s, the
   * default (sw39 r09, r19); but one after shutdown(), or with a longer tcp_fin_timeout, is a full
   * socket and discards it (r08, r20), and the wire does not tell them apart. A FIN_WAIT_2 is taken
   * to discard it: taken for closed, it would also take what came after as its peer's. Whatever
   * else a timewait socket is sent (a FIN, data) is left as changing nothing. The signature itself
   * cannot be checked without the key: a signed segment is taken as its sender's.
   */
  private timeWaitTakesUnsigned(fromClient: boolean): boolean {
    return (fromClient ? this.server : this.client).currentCode() === TcpCode.TIME_WAIT;
  }

  /**
   * An unsigned segment that changes nothing at its receiver (timeWaitTakesUnsigned), in the name
   * of an endpoint that signs its own (the client if `fromClient`): that endpoint did not send it.
   * Linux signs every segment of a socket with a key, its RSTs and its TIME_WAIT's ACKs included,
   * and a host without the socket answers a signed segment only with a RST it can sign: its
   * listener on the segment's destination port refuses it, or tcp_v4_send_reset signs with the key
   * of a listener on its source port; else nothing (sw39). So it came from something in the path:
   * a firewall's REJECT with tcp-reset (fixtures/md5-reject), an IPS, an attacker's forged RST,
   * which is what the signatures are for. It changes neither side: it gets an `unsigned` note, and
   * a RST is listed as one its receiver could not accept. (A timewait socket answers unsigned data
   * with an unsigned RST and is gone, sw39 r10: only an attacker's unsigned data comes first.)
   */
  private unsignedNotSent(seg: Segment, fromClient: boolean): void {
    this.note(Note.UNSIGNED, seg, fromClient);
    if (seg.flags & RST) this.recordRst(fromClient ? this.server : this.client, seg, fromClient, 0);
  }

  /**
   * The client sends data again (`seg`) while the server has sent nothing since its last SYN/ACK,
   * a SYN/ACK it had sent again although the client had acknowledged one before: Linux with a full
   * accept queue (tcp_abort_on_overflow=0) drops the handshake's ACK and keeps the request, sending
   * its SYN/ACK again. The ACK taken as completing the handshake since then was dropped the same
   * way, and so was the data: the server is still in SYN_RECEIVED. The segment's own
   * acknowledgment is taken next, until the server answers one (fixtures/accept-queue-full).
   */
  private openingAckNotTaken(seg: Segment): void {
    const server = this.server;
    const synAck = server.synAck;
    if (synAck === null || synAck.copyCount < 2 || !server.hasAckOfSyn()) return;
    const lastCopy = synAck.copyFrame(synAck.copyCount - 1);
    const acked = synAck.ackedFrame;
    if (acked === null || acked > lastCopy || server.lastSentFrame !== lastCopy) return;
    // The copy after that ACK crossed it: it refused nothing (the data was lost on its way).
    for (let i = 1; i < synAck.copyCount; i++) {
      if (synAck.copyFrame(i) > acked) {
        if (this.synAckCrossedAck(synAck, synAck.copyFrame(i), synAck.copyS(i))) return;
        break;
      }
    }
    // A request still waiting sends its SYN/ACK again on its timer: data sent again after that
    // copy was due, none sent, finds none waiting. Either the ACK after the last copy was taken
    // (the client's data lost on its way, its timer backing off past the request's: sw34
    // nt-rs-40b, no timestamps, ss ESTAB 9 s before the data got through) or the request gave
    // up (sw34 ns-cf-fwd30: that ACK lost too, the data answered by a bare RST). The server's
    // answer to the data tells (requestAnswered); until then the ACK is taken back.
    const lapsed = this.store.lapsedRequestAcks;
    if (!lapsed.has(this.slot) && server.stoppedWaitingBefore(TcpCode.SYN_RECEIVED, seg.s)) {
      const o = server.latestEventBefore(EventCode.RECV_ACK_OF_SYN, seg.frame);
      const d = this.store.arena.data;
      if (o >= 0) lapsed.set(this.slot, [d[o + EV.FRAME]!, d[o + EV.S]!]);
    }
    server.retract(EventCode.RECV_ACK_OF_SYN, seg.frame);
  }

  /**
   * The server sends `seg` after an ACK of its SYN/ACK was taken back although its request's
   * timer had lapsed (openingAckNotTaken). An acknowledgment of the client's data shows a socket:
   * no request was waiting since that timer, so that ACK had made it (Linux sends nothing for a
   * full accept queue but the request's SYN/ACKs); a RST or its SYN/ACK again shows no socket,
   * and the ACK stays taken back.
   */
  private requestAnswered(seg: Segment): void {
    const lapsed = this.store.lapsedRequestAcks;
    const taken = lapsed.get(this.slot);
    if (taken === undefined) return;
    const f = seg.flags;
    if (f & (RST | SYN)) {
      lapsed.delete(this.slot);
      return;
    }
    const clientIsn = this.f[this.b + C.CLIENT + E.ISN]!;
    if (!(f & ACK) || !seqLT(seqAdd(clientIsn, 1), seg.ack)) return;
    lapsed.delete(this.slot);
    this.server.retract(EventCode.RECV_ACK_OF_SYN, seg.frame);
    this.server.addEvent(EventCode.RECV_ACK_OF_SYN, taken[0], taken[1]);
  }

  /**
   * The client's `seg` acknowledges the SYN/ACK of a server that sent it again and has been silent
   * since (so still in SYN_RECEIVED, or it would have answered by now as far as the capture
   * knows; `taking`: the tracker takes `seg` as the ACK that completes the handshake). For
   * openingShownByAnswer: the latest such segment that brings the request no data in order (a
   * pure ACK, or data past a hole), and the latest taken one that does.
   */
  private openingAckSeen(synAck: Control, seg: Segment, taking: boolean): void {
    const last = synAck.copyCount - 1;
    if (this.server.lastSentFrame !== synAck.copyFrame(last)) return;
    const rcvNxt = synAck.copyAck(last); // the request's: it took nothing else
    const inOrder = seg.payloadLen > 0 && seg.seq === rcvNxt;
    if (inOrder && !taking) return;
    const acks = this.store.openingAcksWithoutData;
    let o = acks.get(this.slot);
    if (o === undefined) acks.set(this.slot, (o = new Float64Array([NaN, NaN, NaN])));
    if (inOrder) o[2] = seg.frame;
    else { o[0] = seg.frame; o[1] = seg.s; }
  }

  /**
   * The server's first segment after its SYN/ACK sent again (`seg`; a SYN/ACK or RST is no such
   * answer) shows it synchronized, and its acknowledgment what it received. When that covers
   * nothing past the client's SYN while the completion was taken at a client segment carrying data
   * in order (openingAckNotTaken moves it from data segment to data segment), the server never
   * got that data, so not that segment either: it was the latest segment before the answer that
   * brought no data in order (openingAckSeen; Linux and RFC 9293 3.10.7.4 take an in-window ACK
   * ahead of RCV.NXT in SYN-RECEIVED). sw36 da-drop-long: client data dropped on its way, the pure
   * ACK to the SYN/ACK sent again after TCP_DEFER_ACCEPT's wait completed it; ss ESTAB from then.
   */
  private openingShownByAnswer(seg: Segment): void {
    const acks = this.store.openingAcksWithoutData;
    const seen = acks.get(this.slot);
    if (seen === undefined || seg.flags & SYN) return;
    acks.delete(this.slot);
    const synAck = this.server.synAck;
    if (seg.flags & RST || !(seg.flags & ACK) || synAck === null || seg.ack !== synAck.copyAck(synAck.copyCount - 1)) return;
    const pureFrame = seen[0]!;
    const o = this.server.latestEventBefore(EventCode.RECV_ACK_OF_SYN, seg.frame);
    if (pureFrame !== pureFrame || o < 0 || this.store.arena.data[o + EV.FRAME] !== seen[2]) return;
    this.server.retract(EventCode.RECV_ACK_OF_SYN, seg.frame);
    this.server.addEvent(EventCode.RECV_ACK_OF_SYN, pureFrame, seen[1]!);
  }

  /**
   * Whether the server's SYN/ACK copy sent at `frame`, `s` crossed the first ACK of its SYN/ACK
   * (captured before it, within SYN_ACK_CROSSED_S or the server's reply window): it shows nothing
   * about that ACK.
   */
  private synAckCrossedAck(synAck: Control, frame: number, s: number): boolean {
    const ackedFrame = synAck.ackedFrame;
    if (ackedFrame === null || ackedFrame > frame) return false;
    return s - synAck.ackedS! < Math.max(SYN_ACK_CROSSED_S, this.replyWindowS(false));
  }

  /** Connection.capturedLate's test, with the window this connection's round trip allows. */
  private capturedLate(gap: Float64Array | undefined, seg: Segment, len: number): boolean {
    return gap !== undefined && capturedLate(gap, seg, len, this.lateWithinS());
  }

  /**
   * How long after a gap its first copy may still come (capturedLate): LATE_CAPTURE_S, or three
   * quarters of the round trip the handshake showed at the capture point, if longer. A sender
   * learns of a loss from the peer (duplicate ACKs, SACKs: a round trip at least) or its timer (a
   * round trip and more), so nothing it sends again comes that soon after the segment that
   * skipped the gap; the IPv4 identification still has to say it was sent before that one.
   */
  private lateWithinS(): number {
    const rtt = this.handshakeAnswerS(false) + this.handshakeAnswerS(true);
    return rtt === rtt ? Math.max(LATE_CAPTURE_S, 0.75 * rtt) : LATE_CAPTURE_S;
  }

  /**
   * x's bare RST `seg` (no ACK) at the sequence number its peer y last acknowledged, sent after y's
   * latest segment with nothing from x in between: the reply of a host without the socket (RFC
   * 9293 3.10.7.1; a live socket that aborts sends RST+ACK from its own next sequence number). If
   * x was sending something again, backing off, and its copies date the give-up before y's
   * segment came, its timer had given up then, whether or not the capture ran on past the next
   * copy's due time (Endpoint.gaveUpBefore asks for that when nothing shows it gone; sw39 r02:
   * the server gave up ~0.35 s before the client's data drew its listener's RST). Copies that
   * date it later say nothing of when it went (an ICMP error undoes the back-off, another stack
   * sends its FIN again at once): it stays closed at the RST.
   */
  private gaveUpBeforeItsReply(seg: Segment, fromClient: boolean): void {
    if (this.f[this.b + C.BITS]! & (fromClient ? CLIENT_GAVE_UP : SERVER_GAVE_UP)) return;
    const x = fromClient ? this.client : this.server;
    const y = fromClient ? this.server : this.client;
    if (seg.seq !== y.maxAck || !(x.lastSentFrame < y.lastSentFrame)) return;
    const at = x.gaveUpBefore(Infinity);
    if (at === null || at > y.lastSentS) return;
    x.giveUp(at, y.lastSentFrame);
    this.f[this.b + C.BITS]! |= fromClient ? CLIENT_GAVE_UP : SERVER_GAVE_UP;
  }

  /**
   * `seg` reaches y after y's retransmissions ran out (Endpoint.gaveUpBefore): y had dropped the
   * connection, silently, before it came, and its answer will be a RST. Only segments that are not
   * quiet come here: one that can be (ackIsQuiet) finds its receiver waiting for nothing. So does
   * a new incarnation's SYN, for its receiver and for its own sender (gaveUpBeforeNewIncarnation).
   */
  private arrivesAfterGiveUp(y: Endpoint, seg: Segment, yIsServer: boolean): void {
    const at = y.gaveUpBefore(seg.s);
    if (at === null) return;
    y.giveUp(at, seg.frame);
    this.f[this.b + C.BITS]! |= yIsServer ? SERVER_GAVE_UP : CLIENT_GAVE_UP;
  }

  /**
   * The sender of `seg` (the client if `fromClient`) sent again its FIN, or data before it, after
   * the ACK of that FIN was taken as received: that ACK was lost, whatever carried it (nothing for
   * ackCarrierLost to move), unless it crossed `seg` (finCrossedAck).
   */
  private ackOfFinLost(fromClient: boolean, seg: Segment): void {
    const x = fromClient ? this.client : this.server;
    x.retract(EventCode.RECV_ACK_OF_FIN, seg.frame);
    if (this.store.ackCarriers.size > 0) this.store.ackCarriers.delete(this.sideKey(fromClient));
    this.finCrossedAck(x, fromClient ? this.server : this.client, seg, fromClient);
  }

  /**
   * x sent its FIN (or data before it) again, so the ACK of it taken as received had been lost
   * (ackOfFinLost), unless that ACK was still on its way: y's last segment, captured less than x's
   * reply time before this copy, crossed it, and x took its acknowledgment after sending the copy
   * (which that ACK answers: the close is done, as far as this FIN goes).
   */
  private finCrossedAck(x: Endpoint, y: Endpoint, seg: Segment, fromClient: boolean): void {
    const fin = x.fin!;
    const lastFrame = y.lastSentFrame;
    const lastS = y.lastSentS;
    const maxAck = y.maxAck;
    if (maxAck === null || !covers(maxAck, fin.seq) || !(lastFrame > fin.copyFrame(0))) return;
    if (!(seg.s - lastS < this.replyWindowS(fromClient))) return;
    x.addEvent(EventCode.RECV_ACK_OF_FIN, lastFrame, lastS);
    fin.answerCopy(fin.copyCount - 1, lastFrame, lastS);
  }

  /**
   * A quarter of the time the capture point saw an endpoint (the client if `toClient`) take to
   * answer in the handshake: the server's SYN/ACK after the SYN, the client's ACK after the
   * SYN/ACK. A segment reaches it and its answer comes back no sooner than about that round trip
   * (its network path, when the capture point is not at its host); a quarter leaves room for a
   * handshake answered slowly (a remote host's replies vary by half and more: zeek's ssh.pcap).
   * 0 when the handshake did not show it (or was answered late, after a copy or REPLY_GAP_MAX_S).
   */
  private replyWindowS(toClient: boolean): number {
    // The client's answer only to a SYN/ACK sent once (to which copy did it answer?).
    const gap = toClient && this.server.synAck?.copyCount !== 1 ? NaN : this.handshakeAnswerS(toClient);
    return gap > 0 && gap < REPLY_GAP_MAX_S ? gap / 4 : 0;
  }

  /**
   * How long the capture point saw an endpoint (the client if `toClient`) take to answer in the
   * handshake: the client's ACK after the last SYN/ACK copy before it, the server's first SYN/ACK
   * after the last SYN copy before it. NaN when the handshake did not show it.
   */
  private handshakeAnswerS(toClient: boolean): number {
    const synAck = this.server.synAck;
    if (synAck === null) return NaN;
    if (!toClient) return this.client.syn?.sinceLastCopyBefore(synAck.copyFrame(0), synAck.copyS(0)) ?? NaN;
    const ackedFrame = synAck.ackedFrame;
    return ackedFrame === null ? NaN : synAck.sinceLastCopyBefore(ackedFrame, synAck.ackedS!);
  }

  /**
   * A SYN with a new ISN comes on the four-tuple (FlowTable.track): an endpoint of this
   * incarnation whose retransmissions had run out before it (Endpoint.gaveUpBefore) dropped the
   * connection then, silently, as it would have were the new SYN on another port: the SYN's
   * sender (a client that gave up connecting and tries again from the same port) and its
   * receiver (a request or a LAST_ACK that gave up). Whatever the new incarnation does after
   * does not move that time (sw32 rc-30, rc-40c).
   */
  gaveUpBeforeNewIncarnation(seg: Segment): void {
    const fromClient = this.isFromClient(seg);
    this.arrivesAfterGiveUp(fromClient ? this.client : this.server, seg, !fromClient);
    this.arrivesAfterGiveUp(fromClient ? this.server : this.client, seg, fromClient);
  }

  /** Marks the end of this incarnation: a SYN with a new ISN took the four-tuple over. */
  reuse(s: number, frame: number): void {
    this.reuseSide(true, s, frame);
    this.reuseSide(false, s, frame);
  }

  /**
   * Marks the end of this incarnation for one side (the client if `client`) only: the other may
   * still hold the old connection (lastAckMayHold).
   */
  reuseSide(client: boolean, s: number, frame: number): void {
    this.f[this.b + C.REUSED_S] = s;
    this.f[this.b + C.REUSED_FRAME] = frame;
    (client ? this.client : this.server).addEvent(EventCode.REUSED, frame, s);
  }

  /**
   * True when a SYN (without ACK) in `seg` starts a new incarnation rather than belonging here:
   * its ISN is new and this connection is closed, reset, in TIME_WAIT, or never got synchronized
   * (a client that gave up and retried). A SYN with the same ISN is a retransmission; a new one
   * on a connection open on both sides is answered by a challenge ACK (RFC 5961 4), so it stays.
   */
  startsNewIncarnation(seg: Segment): boolean {
    if (!(seg.flags & SYN) || (seg.flags & ACK)) return false;
    const fromClient = this.isFromClient(seg);
    const sender = fromClient ? this.client : this.server;
    const receiver = fromClient ? this.server : this.client;
    const senderSyn = sender.syn;
    if (senderSyn !== null && senderSyn.seq === seg.seq) return false;
    // The SYN this connection's first SYN/ACK answered, captured after it (capture reordering).
    if (this.answersOpeningSynAck(seg)) return false;
    const c = this.client.currentCode();
    const s = this.server.currentCode();
    if (isOpenCode(c) && isOpenCode(s)) return false;
    // The peer's own first SYN while ours is still unanswered: a simultaneous open (RFC 9293 3.5).
    const r = receiver.currentCode();
    const peerOpening = r === TcpCode.SYN_SENT || r === TcpCode.SYN_RECEIVED;
    if (senderSyn === null && sender.synAck === null && receiver.syn !== null && peerOpening) return false;
    return true;
  }

  /**
   * Whether a SYN (without ACK) that would start a new incarnation reaches an endpoint waiting in
   * TIME_WAIT that may not take it. Linux's TIME_WAIT (tcp_timewait_state_process) takes a SYN
   * whose sequence number is after what it expects next (its rcv_nxt: the sender's FIN and all
   * before it), or, where the connection used timestamps (RFC 7323), whose TSval is newer than
   * the last one it got (the sender's FIN's); PAWS refuses one with an older TSval whatever its
   * sequence number (tcp_paws_reject, window 0). A SYN it does not take is answered by an ACK of
   * the old connection, and the TIME_WAIT lives on beside the SYN's new socket. True also where
   * the timestamps cannot be told (options cut by the snap length, a FIN's TSval not seen): the
   * TIME_WAIT's answer then decides (FlowTable.route). Where the handshake was not seen, false.
   * False for a socket connected to itself: the SYN's sender is the TIME_WAIT's own four-tuple on
   * its own host, whose connect() took the TIME_WAIT over before sending it (Linux refuses the
   * connect() otherwise, EADDRNOTAVAIL, and no SYN leaves).
   */
  timeWaitRejects(seg: Segment): boolean {
    if (this.selfConnected(seg)) return false;
    const fromClient = this.isFromClient(seg);
    const sender = fromClient ? this.client : this.server;
    const receiver = fromClient ? this.server : this.client;
    if (receiver.currentCode() !== TcpCode.TIME_WAIT) return false;
    const rcvNxt = sender.sndNxt;
    const clientOptions = this.f[this.b + C.CLIENT + E.OPTIONS]!;
    const serverOptions = this.f[this.b + C.SERVER + E.OPTIONS]!;
    if (rcvNxt === null || clientOptions === 0 || serverOptions === 0) return false;
    // Bit 4: timestamps offered; 16: the options were cut (timestamps may have been there).
    if ((clientOptions | serverOptions) & 16 || seg.options?.truncated === true) return true;
    if ((clientOptions & serverOptions & 4) !== 0 && seg.tsVal >= 0) {
      const tsRecent = sender.finTsVal;
      if (tsRecent !== tsRecent) return true;
      const older = (tsRecent - seg.tsVal) | 0;
      if (older > 0) return true; // PAWS
      if (older < 0) return false;
    }
    return seqDiff(seg.seq, rcvNxt) <= 0;
  }

  /**
   * Whether `seg`, on the four-tuple of this connection's TIME_WAIT (the client's if
   * `clientWaits`) and of a connection opened beside it (timeWaitRejects), is this one's: what
   * the TIME_WAIT endpoint sends (ACKs of the old connection, at its old numbers: it sends nothing
   * else), and a RST from the peer at the sequence number those acknowledge, the new SYN_SENT
   * socket's answer to such an ACK (RFC 9293 3.10.7.3), which ends a Linux TIME_WAIT
   * (tcp_rfc1337=0). The new connection's own segments carry its own numbers.
   */
  timeWaitTakes(seg: Segment, clientWaits: boolean): boolean {
    const waiter = clientWaits ? this.client : this.server;
    const peer = clientWaits ? this.server : this.client;
    if (this.isFromClient(seg) === clientWaits) {
      return (seg.flags & (SYN | RST | ACK)) === ACK && seg.seq === waiter.sndNxt && seg.ack === peer.sndNxt;
    }
    return (seg.flags & (RST | ACK)) === RST && seg.seq === peer.sndNxt;
  }

  /** Whether the endpoint that waited in TIME_WAIT (the client if `clientWaits`) still does. */
  stillWaits(clientWaits: boolean): boolean {
    return (clientWaits ? this.client : this.server).currentCode() === TcpCode.TIME_WAIT;
  }

  /**
   * Whether a SYN (without ACK) that would start a new incarnation reaches an endpoint that may
   * still hold this connection in LAST_ACK: one in LAST_ACK, or one taken to have closed from it at
   * its peer's last ACK, silent since (that ACK may have been lost past the capture point; the
   * peer, whose TIME_WAIT it ended, then reuses the port at once). A LAST_ACK socket does not take
   * a SYN: Linux answers it with an ACK at the old numbers (tcp_validate_incoming, RFC 5961 4),
   * which the new SYN_SENT socket answers with a RST at that ACK's ack number (RFC 9293
   * 3.10.7.3), and that RST ends the LAST_ACK. So the SYN opens the new connection beside this
   * one, and the receiver's answer decides (FlowTable.route): an ACK at the old numbers
   * (lastAckTakes, lastAckAnswered) or a SYN/ACK, which shows it had closed.
   */
  lastAckMayHold(seg: Segment): boolean {
    // A socket connected to itself closes through CLOSING, never LAST_ACK (see timeWaitRejects).
    if (this.selfConnected(seg)) return false;
    return this.mayBeInLastAck(!this.isFromClient(seg));
  }

  /** Whether the endpoint (the client if `client`) is in LAST_ACK, or closed from it by the ACK of its FIN (lastAckMayHold). */
  mayBeInLastAck(client: boolean): boolean {
    const waiter = client ? this.client : this.server;
    return waiter.currentCode() === TcpCode.LAST_ACK || waiter.closedByAckOfFin();
  }

  /**
   * Whether `seg`, on the four-tuple of this connection's LAST_ACK endpoint (the client if
   * `clientWaits`; lastAckMayHold) and of a connection opened beside it, is this one's: what the
   * LAST_ACK socket sends at its old numbers (ACKs, its FIN sent again), and the RST answering
   * such an ACK (timeWaitTakes).
   */
  lastAckTakes(seg: Segment, clientWaits: boolean): boolean {
    if (this.timeWaitTakes(seg, clientWaits)) return true;
    if (this.isFromClient(seg) !== clientWaits) return false;
    const waiter = clientWaits ? this.client : this.server;
    const peer = clientWaits ? this.server : this.client;
    const fin = waiter.fin;
    return (seg.flags & (SYN | RST | FIN | ACK)) === (FIN | ACK) && fin !== null && seg.seq === fin.seq && seg.ack === peer.sndNxt;
  }

  /**
   * The endpoint taken to have closed from LAST_ACK at its peer's last ACK (the client if
   * `client`) answered a new SYN as the LAST_ACK socket does (lastAckTakes) at `frame`: that ACK
   * never reached it. Its receipt is dropped, and the FIN's last copy is unanswered again.
   */
  lastAckAnswered(client: boolean, frame: number): void {
    const waiter = client ? this.client : this.server;
    if (!waiter.closedByAckOfFin()) return;
    waiter.retract(EventCode.RECV_ACK_OF_FIN, frame);
    waiter.fin?.unanswerLast();
  }

  /** Is `seg` the client's SYN that the SYN/ACK which opened this connection acknowledged? */
  private answersOpeningSynAck(seg: Segment): boolean {
    const synAck = this.server.synAck;
    return this.midstream && this.client.syn === null && synAck !== null && this.isFromClient(seg) &&
      synAck.copyFrame(0) === this.firstFrame && synAck.copyAck(0) === seqAdd(seg.seq, 1);
  }

  private sentSyn(x: Endpoint, seg: Segment, fromClient: boolean): void {
    const withAck = (seg.flags & ACK) !== 0;
    const ctl = withAck ? x.synAck : x.syn;
    // A server whose request an ICMP error ended (tcp_req_err: no socket holds it, Linux always
    // takes it) answers the client's SYN sent again from a new request: SYN_RECEIVED again.
    if (withAck && ctl !== null && x.openingEndedByIcmpError()) x.addEvent(EventCode.SEND_SYN_ACK, seg.frame, seg.s);
    if (ctl !== null && withAck && ctl.seq !== seg.seq && !x.synAckProven && !isSynchronizedCode(x.currentCode())) {
      // A server whose SYN/ACKs went unanswered drops the request after tcp_synack_retries (or an
      // ICMP error ends it); a later SYN retransmission then gets a fresh request and a SYN/ACK
      // with a new ISN. Same connection.
      this.note(Note.SYN_ACK_NEW_ISN, seg, fromClient);
      x.isn = seg.seq;
      newControl(x, E.SYN_ACK, seg.seq, true, seg);
      return;
    }
    if (ctl !== null) {
      if (ctl.seq !== seg.seq) {
        // Another ISN on a connection open on both sides (the flow table starts a new incarnation
        // otherwise): the kernel answers with a challenge ACK (RFC 5961 4) and nothing changes.
        this.note(Note.SYN_ON_OPEN_CONNECTION, seg, fromClient);
        return;
      }
      // A retransmission. A SYN/ACK sent again shows the ACK that "completed" the handshake never
      // arrived (a SYN sent again, that the SYN/ACK did not: see sentWithoutAck).
      addCopy(ctl, seg);
      if (withAck && !this.synAckCrossedAck(ctl, seg.frame, seg.s)) {
        x.retract(EventCode.RECV_ACK_OF_SYN, seg.frame);
        if (this.store.openingAcksWithoutData.size > 0) this.store.openingAcksWithoutData.delete(this.slot);
      }
      return;
    }
    if (!withAck && this.answersOpeningSynAck(seg)) this.f[this.b + C.BITS]! &= ~MIDSTREAM; // the handshake is whole after all
    if (x.isn === null || !withAck) x.isn = seg.seq;
    if (seg.options) x.options = seg.options;
    newControl(x, withAck ? E.SYN_ACK : E.SYN, seg.seq, withAck, seg);
    x.addEvent(withAck ? EventCode.SEND_SYN_ACK : EventCode.SEND_SYN, seg.frame, seg.s);
  }

  /** The acknowledgment field of a segment x sent: proofs of receipt, and ACKs y receives. */
  private sentAck(x: Endpoint, y: Endpoint, seg: Segment, fromClient: boolean): void {
    const a = seg.ack;
    const carriesControl = (seg.flags & (SYN | FIN)) !== 0;
    if (!(seg.flags & SYN)) this.impliedByOneSidedCapture(x, y, seg, fromClient);
    // Proofs: x acknowledging y's SYN, SYN/ACK or FIN shows x received it.
    const ySyn = y.syn;
    if (ySyn !== null && !y.synProven && proves(a, ySyn, seg)) {
      y.synProven = true;
      addReceipt(x, EventCode.RECV_SYN, ySyn);
    }
    const ySynAck = y.synAck;
    if (ySynAck !== null && !y.synAckProven && proves(a, ySynAck, seg)) {
      y.synAckProven = true;
      // A SYN/ACK that does not acknowledge x's ISN + 1 does not synchronize x (the handshake is invalid).
      if (synAckIsValid(ySynAck, x)) addReceipt(x, EventCode.RECV_SYN_ACK, ySynAck);
    }
    const yFin = y.fin;
    const xFin = x.fin;
    if (yFin !== null && !y.finProven && proves(a, yFin, seg)) {
      y.finProven = true;
      const copy = receivedCopy(yFin, seg);
      // A FIN that also acknowledged x's own FIN takes FIN-WAIT-1 straight to TIME-WAIT (RFC 9293).
      const finAck = yFin.copyAck(copy);
      const acksOurs = xFin !== null && finAck !== null && covers(finAck, xFin.seq);
      // x had acknowledged less than all that came before the FIN: it came ahead of a hole.
      const xAcked = x.maxAck;
      const hole = xAcked !== null && seqLT(xAcked, yFin.seq);
      addReceipt(x, acksOurs ? EventCode.RECV_FIN_ACK_OF_FIN : EventCode.RECV_FIN, yFin, copy, hole ? y : null);
    }
    if (ySyn !== null) answerCopies(ySyn, a, seg);
    if (ySynAck !== null) answerCopies(ySynAck, a, seg);
    if (yFin !== null) answerCopies(yFin, a, seg);
    // A segment without SYN or FIN is taken as received at its own time (SPEC section 3); a later
    // retransmission by y of what it acknowledged retracts it (Endpoint.retract). So is a FIN sent
    // again: y has its FIN or will take the next copy, and the acknowledgment it carries is news
    // (two FINs crossing, each side's ACK lost: the copies close both sides). It is placed after
    // the copy's FIN, should that copy's receipt be proven (then the FIN acknowledged ours: this
    // one changes nothing).
    const finAgain = (seg.flags & (SYN | FIN)) === FIN && xFin !== null && xFin.seq === seqAdd(seg.seq, seg.payloadLen);
    if (!carriesControl || finAgain) {
      const order = finAgain ? 2 : 0;
      const opening = ySynAck ?? ySyn;
      if (opening !== null && covers(a, opening.seq)) {
        const taking = !y.hasAckOfSyn();
        if (fromClient && ySynAck !== null && ySynAck.copyCount > 1 && !finAgain) this.openingAckSeen(ySynAck, seg, taking);
        if (taking) y.addEvent(EventCode.RECV_ACK_OF_SYN, seg.frame, seg.s, order);
      }
      if (yFin !== null && covers(a, yFin.seq) && !y.hasAckOfFin()) {
        y.addEvent(EventCode.RECV_ACK_OF_FIN, seg.frame, seg.s, order);
        this.ackCarriedBy(!fromClient, seg);
      }
    }
  }

  /**
   * The ACK of the FIN of one endpoint (the client if `finFromClient`) was just taken as received
   * at `seg`, its peer's: a data segment is remembered (ackCarrierLost), anything else forgotten.
   */
  private ackCarriedBy(finFromClient: boolean, seg: Segment): void {
    const carriers = this.store.ackCarriers;
    const key = this.sideKey(finFromClient);
    if (seg.payloadLen === 0 || seg.flags & FIN) {
      if (carriers.size > 0) carriers.delete(key);
      return;
    }
    let c = carriers.get(key);
    if (c === undefined) carriers.set(key, (c = new Float64Array(CARRIER.SIZE)));
    c[CARRIER.SEQ] = seg.seq;
    c[CARRIER.END] = seqAdd(seg.seq, seg.payloadLen);
    c[CARRIER.NEXT_SEQ] = c[CARRIER.NEXT_END] = c[CARRIER.NEXT_FRAME] = c[CARRIER.NEXT_S] = NaN;
  }

  /**
   * What `seg` tells of a data segment that carried the ACK of a FIN (ackCarriedBy): from the
   * FIN's sender, an acknowledgment of its data shows it arrived (nothing more to learn); from the
   * data's sender, the next segment with that ACK is remembered, and a retransmission of the data
   * shows it was lost (ackCarrierLost).
   */
  private ackCarrierNews(seg: Segment, fromClient: boolean, retransmit: boolean): void {
    const carriers = this.store.ackCarriers;
    const ownKey = this.sideKey(fromClient);
    const own = carriers.get(ownKey);
    if (own !== undefined && seg.flags & ACK && seqGE(seg.ack, own[CARRIER.END]!)) carriers.delete(ownKey);
    const key = this.sideKey(!fromClient);
    const c = carriers.get(key);
    const len = seg.payloadLen;
    if (c === undefined || seg.flags & (SYN | RST)) return;
    if (retransmit) {
      if (len > 0 && seqLT(seg.seq, c[CARRIER.END]!) && seqLT(c[CARRIER.SEQ]!, seqAdd(seg.seq, len))) this.ackCarrierLost(c, key, seg, fromClient);
    } else if (c[CARRIER.NEXT_END] !== c[CARRIER.NEXT_END] && seg.flags & ACK) {
      // Any segment with that ACK (more data, the sender's FIN ahead of the hole, a pure ACK):
      // Linux takes the ACK field of a segment that arrives out of order.
      const fin = this.f[this.b + (fromClient ? C.SERVER : C.CLIENT) + E.FIN + K.SEQ]!;
      if (!covers(seg.ack, fin)) return;
      c[CARRIER.NEXT_SEQ] = seg.seq;
      c[CARRIER.NEXT_END] = seqAdd(seg.seq, len);
      c[CARRIER.NEXT_FRAME] = seg.frame;
      c[CARRIER.NEXT_S] = seg.s;
    }
  }

  /**
   * The data segment whose acknowledgment the peer's FIN was taken to receive is sent again
   * (`seg`, from its sender), before the peer acknowledged its data: it was lost (SPEC section 3,
   * as a pure ACK is by the FIN sent again), and the FIN's sender stayed in FIN_WAIT_1 (or
   * CLOSING, LAST_ACK). The ACK is taken as received at the next segment that carried it, if
   * this retransmission does not send that one's data again too; else at this retransmission, which
   * carries it (sentAck takes it so, and it becomes the carrier). sw32 hc-a05-40, hc-fwd30: the
   * kernel's FIN_WAIT_1 lasted until then.
   */
  private ackCarrierLost(c: Float64Array, key: number, seg: Segment, fromClient: boolean): void {
    const finSender = fromClient ? this.server : this.client;
    finSender.retract(EventCode.RECV_ACK_OF_FIN, seg.frame);
    const nextEnd = c[CARRIER.NEXT_END]!;
    const nextSeq = c[CARRIER.NEXT_SEQ]!;
    if (nextEnd === nextEnd && !(seqLT(seg.seq, nextEnd) && seqLT(nextSeq, seqAdd(seg.seq, seg.payloadLen)))) {
      finSender.addEvent(EventCode.RECV_ACK_OF_FIN, c[CARRIER.NEXT_FRAME]!, c[CARRIER.NEXT_S]!);
      c[CARRIER.SEQ] = nextSeq;
      c[CARRIER.END] = nextEnd;
      c[CARRIER.NEXT_SEQ] = c[CARRIER.NEXT_END] = c[CARRIER.NEXT_FRAME] = c[CARRIER.NEXT_S] = NaN;
    } else this.store.ackCarriers.delete(key);
  }

  /**
   * What an acknowledgment proves when the capture saw only one direction (a tap on an asymmetric
   * route): the peer's segments are missing, so the usual proofs never come, yet the endpoints
   * plainly talk. Only used where the direct evidence is absent.
   * - An ACK from an endpoint in SYN_SENT shows it received a SYN/ACK the capture missed: it is
   *   ESTABLISHED, and the peer (which answered its SYN) got that SYN, and then this ACK.
   * - Acknowledging the peer's data shows the peer was synchronized when it sent it: a peer whose
   *   opening was never seen (its state only assumed from a SYN/ACK) had received that SYN/ACK,
   *   and this endpoint, in SYN_RECEIVED, had received its ACK.
   */
  private impliedByOneSidedCapture(x: Endpoint, y: Endpoint, seg: Segment, fromClient: boolean): void {
    if (seg.flags & RST) return;
    const xSyn = x.syn;
    if (y.synAck === null && xSyn !== null && x.currentCode() === TcpCode.SYN_SENT) {
      this.note(Note.SYN_ACK_NOT_CAPTURED, seg, fromClient);
      x.addEvent(EventCode.RECV_SYN_ACK, seg.frame, seg.s, -1);
      const yState = y.currentCode();
      if (y.syn === null && (yState === TcpCode.LISTEN || yState === TcpCode.CLOSED)) {
        addReceipt(y, EventCode.RECV_SYN, xSyn);
        y.addEvent(EventCode.RECV_ACK_OF_SYN, seg.frame, seg.s);
      }
      return;
    }
    const yIsn = y.isn;
    const ySent = yIsn !== null && y.syn === null && seqGE(seg.ack, seqAdd(yIsn, 2));
    const xSynAck = x.synAck;
    if (ySent && xSynAck !== null && y.currentCode() === TcpCode.SYN_SENT) {
      this.note(Note.ACK_NOT_CAPTURED, seg, fromClient);
      addReceipt(y, EventCode.RECV_SYN_ACK, xSynAck);
      if (x.currentCode() === TcpCode.SYN_RECEIVED) x.addEvent(EventCode.RECV_ACK_OF_SYN, seg.frame, seg.s, -1);
    }
  }

  /**
   * Whether the client (if `yIsClient`, else the server), open, has sent sequence space its peer
   * has not acknowledged (the peer's highest ACK so far, not the RST being observed): its
   * retransmission timer is running. Only on a path seen to lose segments (either endpoint sent
   * something again): a RST lost past the capture point is one more loss there, and waiting for
   * its retransmission costs each such connection its memory for two minutes, which an abort on
   * a clean path (a client closing a download) would spend for nothing.
   */
  private waitsOnItsTimer(yIsClient: boolean): boolean {
    const d = this.f;
    if (d[this.b + C.CLIENT + E.RETRANSMITS]! + d[this.b + C.SERVER + E.RETRANSMITS]! === 0) return false;
    const yNext = d[this.b + (yIsClient ? C.CLIENT : C.SERVER) + E.SND_NXT]!;
    const acked = d[this.b + (yIsClient ? C.SERVER : C.CLIENT) + E.MAX_ACK]!;
    return yNext === yNext && (acked !== acked || seqLT(acked, yNext));
  }

  /**
   * x's RST `seg` to y. `unsigned`: one of a signed connection, without a signature, that y takes
   * in TIME_WAIT (timeWaitTakesUnsigned): x did not send it and stays as it was.
   */
  private sentRst(x: Endpoint, y: Endpoint, seg: Segment, fromClient: boolean, unsigned: boolean): void {
    const acceptable = rstAcceptable(seg, x, y);
    if (!unsigned) {
      if (isOpenCode(x.currentCode())) this.f[this.b + C.BITS]! |= ABORTED_OPEN;
      // Closes x at once (SPEC section 3), until x's own later segments say otherwise (senderOutlivedItsRsts).
      x.addEvent(EventCode.SEND_RST, seg.frame, seg.s);
      this.f[this.b + C.BITS]! |= fromClient ? CLIENT_SENT_RST : SERVER_SENT_RST;
    }
    if (acceptable) {
      // Not while opening: a SYN or SYN/ACK comes again on the opening's own timer.
      if (isOpenCode(y.currentCode())) {
        this.f[this.b + C.BITS]! |= RST_RECEIVER_WAS_OPEN;
        if (this.waitsOnItsTimer(!fromClient)) this.f[this.b + C.BITS]! |= RST_RECEIVER_RETRANSMITS;
      }
      y.addEvent(EventCode.RECV_RST, seg.frame, seg.s, 1);
      this.f[this.b + C.BITS]! |= fromClient ? SERVER_TOOK_RST : CLIENT_TOOK_RST;
    }
    // A receiver held closed by a RST it took gets its window kept aside: should its own later
    // segments show it never took that one (receiverOutlivedRsts), it was open when this came.
    const heldClosed = acceptable === null && (this.f[this.b + C.BITS]! & (fromClient ? SERVER_TOOK_RST : CLIENT_TOOK_RST)) !== 0;
    this.recordRst(y, seg, fromClient, acceptable !== null ? (acceptable ? 1 : 0) : heldClosed ? rstHeldClosedCode(seg, x, y) : -1);
  }

  /** Appends the RST `seg`, to y, to the connection's list; `acceptable`: R.ACCEPTABLE's code. */
  private recordRst(y: Endpoint, seg: Segment, fromClient: boolean, acceptable: number): void {
    const arena = this.store.arena;
    const o = arena.append(this.f[this.b + C.RESETS]!, R.SIZE);
    this.f[this.b + C.RESETS] = arena.lastRef;
    const d = arena.data;
    d[o + R.S] = seg.s;
    d[o + R.FRAME] = seg.frame;
    d[o + R.FILE_INDEX] = seg.fileIndex;
    d[o + R.FILE_FRAME] = seg.fileFrame;
    d[o + R.FROM] = fromClient ? 0 : 1;
    d[o + R.SEQ] = seg.seq;
    d[o + R.ACK] = seg.flags & ACK ? seg.ack : NaN;
    d[o + R.PAYLOAD] = seg.payloadLen;
    d[o + R.ACCEPTABLE] = acceptable;
    d[o + R.ANSWERS_FRAME] = y.lastDataOrFinFrame;
    d[o + R.RECEIVER_LAST_S] = y.lastSentS;
    d[o + R.RECEIVER_LAST_FRAME] = y.lastSentFrame;
    d[o + R.SENDER_LAST_FRAME] = this.senderLastFrame;
    d[o + R.SENDER_CONTINUED] = 0;
    d[o + R.SENDER_NEXT] = this.f[this.b + (fromClient ? C.CLIENT : C.SERVER) + E.SND_NXT]!;
    d[o + R.RECEIVER_CONTINUED] = 0;
    d[o + R.MPTCP] = seg.mptcpRst;
  }

  /**
   * The sender of `seg` was taken as closed (`bits`: it sent a RST, took one, or an ICMP error),
   * and sends again: whether this shows it was not.
   */
  private sentAfterClosing(bits: number, fromClient: boolean, seg: Segment): void {
    const f = seg.flags;
    if (!(f & (RST | SYN))) {
      if (bits & (CLIENT_SENT_RST | SERVER_SENT_RST)) this.senderOutlivedItsRsts(fromClient, seg.frame);
      if (bits & (CLIENT_TOOK_RST | SERVER_TOOK_RST)) this.receiverOutlivedRsts(fromClient, seg);
    }
    // An endpoint that gave up its opening sends nothing more for it but RSTs (to what still
    // arrives); its SYN or SYN/ACK sent again (a new ISN would open a new incarnation) shows it
    // kept the connection.
    if (bits & (CLIENT_TOOK_ICMP | SERVER_TOOK_ICMP) && !(f & RST)) this.outlivedIcmpErrors(fromClient, seg.frame);
    // Nor after it gave up: anything but a RST (to what still arrives) shows it had not.
    if (bits & (CLIENT_GAVE_UP | SERVER_GAVE_UP) && !(f & RST)) this.outlivedGiveUp(fromClient, seg.frame);
  }

  /** The sender (the client if `fromClient`) sent `frame` after it was taken to have given up: it had not. */
  private outlivedGiveUp(fromClient: boolean, frame: number): void {
    this.f[this.b + C.BITS]! &= ~(fromClient ? CLIENT_GAVE_UP : SERVER_GAVE_UP);
    (fromClient ? this.client : this.server).retract(EventCode.GAVE_UP, frame);
  }

  /**
   * An ICMP error (Segment.icmp) quoting a segment of this connection, which `seg` holds (its
   * sender is the endpoint the error was sent to). Recorded; and an endpoint still opening takes it
   * as Linux does (tcp_v4_err, tcp_v6_err): the error closes a SYN_SENT endpoint (or one in a
   * simultaneous open) whatever the unreachable code, bar fragmentation needed, and on time
   * exceeded and parameter problem; a server's half-open request only on the errors tcp_req_err
   * calls fatal, and only when it quotes the SYN/ACK's own sequence number. It stands until the
   * endpoint's own later segments show it went on (outlivedIcmpErrors). Anywhere else an ICMP
   * error is soft: remembered by the socket, reported if it later times out, no state change.
   */
  icmpError(seg: Segment): void {
    const toClient = this.isFromClient(seg);
    const x = toClient ? this.client : this.server;
    const y = toClient ? this.server : this.client;
    const to = toClient ? 0 : 1;
    const arena = this.store.arena;
    const ref = this.f[this.b + C.ICMP]!;
    const n = arena.count(ref, ICMP.SIZE);
    if (n > 0) {
      // The same error about the same segment again, with nothing sent since by the endpoint it
      // is about: another copy of one error (captured at two places, as tcpdump -i any records
      // it once per interface). Each segment sent again draws an error of its own. Where the
      // quoted sequence number is not shown (tcpdump text), a burst of errors about several
      // segments (fragmentation needed for each) looks the same: only a capture that tells
      // places apart (-i any) can have copies then.
      const last = arena.item(ref, n - 1, ICMP.SIZE);
      const d = arena.data;
      const seq = d[last + ICMP.SEQ]!;
      const sameSegment = seq === seg.seq || (seq !== seq && seg.seq !== seg.seq && (seg.direction >= 0 || seg.iface >= 0));
      const sentSince = (toClient ? this.client : this.server).lastSentFrame > d[last + ICMP.FRAME]!;
      if (!sentSince && d[last + ICMP.TO] === to && d[last + ICMP.TYPE_CODE] === seg.icmp && sameSegment) return;
    }
    const state = x.currentCode();
    // A passive opening: the endpoint answered a SYN (Linux keeps a request, not a socket).
    const request = state === TcpCode.SYN_RECEIVED && x.syn === null && x.synAck !== null;
    const acceptable = icmpAcceptable(seg.seq, x, y, request);
    const closes = acceptable !== false && (request ? abortsRequest(seg.icmp, seg.ipVersion)
      : (state === TcpCode.SYN_SENT || state === TcpCode.SYN_RECEIVED) && abortsOpening(seg.icmp, seg.ipVersion));
    if (closes) {
      x.addEvent(EventCode.RECV_ICMP_ERROR, seg.frame, seg.s);
      // A socket may have been busy and ignored it (its later segments tell); a request never is.
      if (!request) this.f[this.b + C.BITS]! |= toClient ? CLIENT_TOOK_ICMP : SERVER_TOOK_ICMP;
    }
    const o = arena.append(ref, ICMP.SIZE);
    this.f[this.b + C.ICMP] = arena.lastRef;
    const d = arena.data;
    d[o + ICMP.S] = seg.s;
    d[o + ICMP.FRAME] = seg.frame;
    d[o + ICMP.FILE_INDEX] = seg.fileIndex;
    d[o + ICMP.FILE_FRAME] = seg.fileFrame;
    d[o + ICMP.TO] = to;
    d[o + ICMP.TYPE_CODE] = seg.icmp;
    for (let i = 0; i < 4; i++) d[o + ICMP.W0 + i] = seg.icmpSender[i]!;
    d[o + ICMP.SEQ] = seg.seq;
    d[o + ICMP.ACCEPTABLE] = acceptable === null ? -1 : acceptable ? 1 : 0;
    d[o + ICMP.EFFECT] = closes ? IcmpEffectCode.CLOSED : IcmpEffectCode.NONE;
    d[o + ICMP.MTU] = seg.icmpMtu;
  }

  /**
   * The endpoint, closed by an ICMP error, sent again (not a RST): Linux ignored the error (it
   * arrived while the socket was busy in a system call, as loopback's does within connect()).
   * Every close by an error before `frame` is dropped from its history and marked ignored.
   */
  private outlivedIcmpErrors(fromClient: boolean, frame: number): void {
    (fromClient ? this.client : this.server).retract(EventCode.RECV_ICMP_ERROR, frame);
    this.f[this.b + C.BITS]! &= ~(fromClient ? CLIENT_TOOK_ICMP : SERVER_TOOK_ICMP);
    const arena = this.store.arena;
    const ref = this.f[this.b + C.ICMP]!;
    const to = fromClient ? 0 : 1;
    for (let i = 0; i < arena.count(ref, ICMP.SIZE); i++) {
      const o = arena.item(ref, i, ICMP.SIZE);
      const d = arena.data;
      if (d[o + ICMP.TO] === to && d[o + ICMP.EFFECT] === IcmpEffectCode.CLOSED && d[o + ICMP.FRAME]! < frame) d[o + ICMP.EFFECT] = IcmpEffectCode.IGNORED;
    }
  }

  /**
   * Whether an endpoint was closed in a way its own later segments may yet undo, seconds on: by
   * an ICMP error (a stack that did not take it sends its SYN again after its back-off), or by a
   * RST that aborted an open connection (the RST may have been sent in its name). The flow table
   * keeps such a connection longer for them.
   */
  get mayGoOn(): boolean {
    return (this.f[this.b + C.BITS]! & (CLIENT_TOOK_ICMP | SERVER_TOOK_ICMP | ABORTED_OPEN)) !== 0;
  }

  /**
   * Whether an endpoint took a RST while its retransmission timer ran (RST_RECEIVER_RETRANSMITS):
   * if the RST was lost, it sends again, up to TCP_RTO_MAX later, and those segments belong
   * to this connection (they show it never took the RST).
   */
  get mayRetransmitAfterRst(): boolean {
    return (this.f[this.b + C.BITS]! & RST_RECEIVER_RETRANSMITS) !== 0;
  }

  /** Whether an endpoint took a RST while its connection was open (RST_RECEIVER_WAS_OPEN). */
  get rstReachedOpenEndpoint(): boolean {
    return (this.f[this.b + C.BITS]! & RST_RECEIVER_WAS_OPEN) !== 0;
  }

  get icmpCount(): number {
    return this.store.arena.count(this.f[this.b + C.ICMP]!, ICMP.SIZE);
  }

  /** The ICMP errors about its segments (objects built on each call). */
  icmpErrors(): IcmpFact[] {
    const arena = this.store.arena;
    const ref = this.f[this.b + C.ICMP]!;
    const out: IcmpFact[] = [];
    const v = this.ipVersion;
    for (let i = 0; i < arena.count(ref, ICMP.SIZE); i++) {
      const o = arena.item(ref, i, ICMP.SIZE);
      const d = arena.data;
      const seq = d[o + ICMP.SEQ]!;
      const acceptable = d[o + ICMP.ACCEPTABLE]!;
      const mtu = d[o + ICMP.MTU]!;
      const words = new Uint32Array(8);
      for (let k = 0; k < 4; k++) words[k] = d[o + ICMP.W0 + k]!;
      out.push({
        s: d[o + ICMP.S]!, frame: d[o + ICMP.FRAME]!, fileIndex: d[o + ICMP.FILE_INDEX]!, fileFrame: d[o + ICMP.FILE_FRAME]!,
        to: d[o + ICMP.TO] === 0 ? 'client' : 'server', sender: formatAddress(v, words, 0), ipVersion: v,
        type: d[o + ICMP.TYPE_CODE]! >> 8, code: d[o + ICMP.TYPE_CODE]! & 0xff,
        seq: seq !== seq ? null : seq, acceptable: acceptable < 0 ? null : acceptable === 1,
        effect: ICMP_EFFECTS[d[o + ICMP.EFFECT]!]!, mtu: mtu !== mtu ? null : mtu,
      });
    }
    return out;
  }

  /**
   * The endpoint, which took an acceptable RST, goes on: it acknowledges sequence space its peer
   * sent only after that RST (all of it, when the peer had sent nothing before, like a server whose
   * SYN/ACK followed a RST forged in its name), so it received the peer's later segments, which
   * followed the RST on its way, and answered them as a live connection, not with a RST; or it
   * still sends, neither RST nor SYN, more than RECEIVER_ALIVE_AFTER_S after the RST (a
   * retransmission of its FIN, data to a silent peer), or sends data or a FIN after a quiet spell
   * of its own, more than a few of its round trips after the RST (receiverAliveAfterQuietS). A
   * segment of its own sent before the RST arrived could follow the RST in the capture, but not by
   * that much. So it never took the RST (a Linux receiver drops a RST whose timestamp fails PAWS
   * and answers one that is in the window but not exactly RCV.NXT with a challenge ACK; and the RST
   * may have been lost past the capture point). Every RST it was taken to receive is dropped from
   * its history.
   */
  private receiverOutlivedRsts(fromClient: boolean, seg: Segment): void {
    const arena = this.store.arena;
    const ref = this.f[this.b + C.RESETS]!;
    const peer = fromClient ? 1 : 0;
    const senderIsn = this.f[this.b + (fromClient ? C.SERVER : C.CLIENT) + E.ISN]!;
    const n = arena.count(ref, R.SIZE);
    // Sequence space it sends after its own quiet spell, and how long that must have lasted.
    const quietSince = segmentLength(seg) > 0 ? this.senderLastS : NaN;
    const quietS = quietSince === quietSince ? this.receiverAliveAfterQuietS(fromClient) : NaN;
    // The last RST it was taken to receive that this segment shows it outlived; any before it
    // went untaken too (it is alive after them all). One after it stays until its own proof.
    let proven = -1;
    let first = -1;
    let pending = false;
    for (let i = 0; i < n; i++) {
      const o = arena.item(ref, i, R.SIZE);
      const d = arena.data;
      if (d[o + R.FROM] !== peer || d[o + R.ACCEPTABLE] !== 1 || d[o + R.RECEIVER_CONTINUED] === 1) continue;
      if (first < 0) first = i;
      // What the sender had sent when it sent the RST ends at `next`; when it had sent nothing,
      // all of its sequence space came after, from its ISN on.
      const next = d[o + R.SENDER_NEXT]!;
      const after = next === next ? next : senderIsn;
      const rstS = d[o + R.S]!;
      if ((seg.flags & ACK && after === after && seqLT(after, seg.ack)) || seg.s - rstS > RECEIVER_ALIVE_AFTER_S ||
          seg.s - Math.max(rstS, quietSince) > quietS) {
        proven = i;
        pending = false;
      } else pending = true;
    }
    if (proven < 0) return;
    const upTo = arena.data[arena.item(ref, proven, R.SIZE) + R.FRAME]!;
    (fromClient ? this.client : this.server).retract(EventCode.RECV_RST, upTo + 1);
    if (!pending) {
      this.f[this.b + C.BITS]! &= ~(fromClient ? CLIENT_TOOK_RST : SERVER_TOOK_RST);
      if (this.store.finsAfterRst.size > 0) this.finsOutlivedRsts(fromClient);
    }
    for (let i = 0; i <= proven; i++) {
      const o = arena.item(ref, i, R.SIZE);
      if (arena.data[o + R.FROM] === peer && arena.data[o + R.ACCEPTABLE] === 1) arena.data[o + R.RECEIVER_CONTINUED] = 1;
    }
    // The RSTs that came while it was held closed by those, up to one it is still taken to have
    // received, came to it open (fixtures/rst-dropped: every copy of the server's RST was dropped
    // on its way to the client in FIN-WAIT-1): their window as it stood then says whether they
    // were acceptable, and an acceptable one, like those before it, was never taken.
    for (let i = first + 1; i < n; i++) {
      const o = arena.item(ref, i, R.SIZE);
      const d = arena.data;
      if (d[o + R.FROM] !== peer) continue;
      const code = d[o + R.ACCEPTABLE]!;
      if (code === 1 && d[o + R.RECEIVER_CONTINUED] !== 1) break;
      if (code === -2) {
        d[o + R.ACCEPTABLE] = 1;
        d[o + R.RECEIVER_CONTINUED] = 1;
      } else if (code === -3) d[o + R.ACCEPTABLE] = 0;
    }
  }

  /**
   * How long the client (the server) must have been quiet, and the RST past, for its data or FIN
   * to show it outlived the RST (RECEIVER_ALIVE_ROUND_TRIPS): NaN when the handshake did not show
   * its answer time, or showed one too slow to be its round trip (REPLY_GAP_MAX_S).
   */
  private receiverAliveAfterQuietS(client: boolean): number {
    const gap = this.handshakeAnswerS(client);
    return gap > 0 && gap < REPLY_GAP_MAX_S ? Math.max(RECEIVER_ALIVE_MIN_S, RECEIVER_ALIVE_ROUND_TRIPS * gap) : NaN;
  }

  /**
   * The client (the server) sent data again at `seq`, captured at `s`: one more copy of its latest
   * run (store.resends) at the same sequence number, or the first of a new run. The retransmission
   * timer sends the oldest unacknowledged segment again, backing off, until it is acknowledged or
   * the endpoint gives up (Endpoint.dataGaveUpAt); a fast retransmit or SACK recovery moves along.
   */
  private dataSentAgain(fromClient: boolean, seq: number, s: number): void {
    this.runGoesOn(fromClient, seq, s, 0);
  }

  /**
   * The client (the server) sent a zero-window probe at `seq` (one below all it sent), captured at
   * `s`: one more of its latest run (store.resends), or the first. Linux's probe timer backs off
   * as the retransmission timer does and gives up, as silently, after tcp_retries2 unanswered
   * probes (tcp_orphan_retries for an orphan, or TCP_USER_TIMEOUT: sw35 zw-*). Its peer's
   * answers, still closing the window, do not end the run; its data or FIN does
   * (newDataAfterRun).
   */
  private windowProbeSent(fromClient: boolean, seq: number, s: number): void {
    this.runGoesOn(fromClient, seq, s, 1);
  }

  /** One more copy (probe: `probes` 1) in the run of dataSentAgain (windowProbeSent). */
  private runGoesOn(fromClient: boolean, seq: number, s: number, probes: number): void {
    const key = this.sideKey(fromClient);
    let r = this.store.resends.get(key);
    if (r === undefined) this.store.resends.set(key, (r = new Float64Array(RESEND.SIZE)));
    this.f[this.b + C.BITS]! |= fromClient ? CLIENT_SENT_AGAIN : SERVER_SENT_AGAIN;
    if (r[RESEND.COUNT]! > 0 && r[RESEND.SEQ] === seq && r[RESEND.PROBES] === probes) {
      r[RESEND.COUNT]!++;
      r[RESEND.S1] = r[RESEND.S2]!;
      r[RESEND.S2] = r[RESEND.S3]!;
    } else {
      r[RESEND.SEQ] = seq;
      r[RESEND.COUNT] = 1;
      r[RESEND.S1] = NaN;
      r[RESEND.S2] = NaN;
      r[RESEND.PROBES] = probes;
    }
    r[RESEND.S3] = s;
  }

  /**
   * The client (the server), with a run of copies or probes, sent new data or a FIN: a window
   * opened, and a run of probes is over. (A run of data sent again goes on until acknowledged.)
   */
  private newDataAfterRun(fromClient: boolean): void {
    const key = this.sideKey(fromClient);
    const r = this.store.resends.get(key);
    if (r !== undefined && r[RESEND.PROBES] === 0) return;
    this.store.resends.delete(key);
    this.f[this.b + C.BITS]! &= ~(fromClient ? CLIENT_SENT_AGAIN : SERVER_SENT_AGAIN);
  }

  /**
   * A segment that needs nothing else (ackIsQuiet) from the peer of y (the server if
   * `fromClient`), which has a run of data sent again or of window probes: one acknowledging the
   * data ends the run; any other, and any answer to probes, may find y gone (arrivesAfterGiveUp:
   * an ACK or data from the peer answered by the RST of a host without the socket,
   * fixtures/retries-abort).
   */
  private quietAfterDataSentAgain(seg: Segment, fromClient: boolean): void {
    const key = this.sideKey(!fromClient);
    const r = this.store.resends.get(key);
    if (r !== undefined && (r[RESEND.PROBES] === 1 || !(seg.flags & ACK && seqLT(r[RESEND.SEQ]!, seg.ack)))) {
      this.arrivesAfterGiveUp(fromClient ? this.server : this.client, seg, fromClient);
      return;
    }
    this.store.resends.delete(key);
    this.f[this.b + C.BITS]! &= ~(fromClient ? SERVER_SENT_AGAIN : CLIENT_SENT_AGAIN);
  }

  /**
   * Before the connection is handed on (its end, `endS`): an endpoint whose data sent again shows
   * it gave up by then (Endpoint.dataGaveUpAt) has that logged, as what came after it would have
   * (arrivesAfterGiveUp). The run of copies stays with this thread; the event goes with the
   * connection.
   */
  settleDataGiveUps(endS: number): void {
    if (this.store.resends.size === 0) return;
    const atClient = this.client.dataGaveUpBefore(endS);
    if (atClient !== null) this.client.addEvent(EventCode.GAVE_UP, null, atClient);
    const atServer = this.server.dataGaveUpBefore(endS);
    if (atServer !== null) this.server.addEvent(EventCode.GAVE_UP, null, atServer);
  }

  /**
   * x (the client if `fromClient`), taken to be closed by a RST, sends a FIN (`seg`). A closed
   * Linux socket sends none: the FIN left before the RST arrived and was captured after it, or
   * the RST never arrived (dropped by a firewall or lost past the capture point). Until x's later
   * segments decide (receiverOutlivedRsts), the FIN and its copies are kept aside and x stays
   * closed; shown alive, x sent it at its first copy (finsOutlivedRsts).
   */
  private finAfterRst(fromClient: boolean, seg: Segment): void {
    const key = this.sideKey(fromClient);
    const finSeq = seqAdd(seg.seq, seg.payloadLen);
    let e = this.store.finsAfterRst.get(key);
    if (e === undefined) {
      e = new Float64Array(FAR.COPIES + FAR_COPIES * FAR.COPY_SIZE);
      e[FAR.SEQ] = finSeq;
      e[FAR.END] = seqAdd(seg.seq, segmentLength(seg));
      e[FAR.WITH_ACK] = seg.flags & ACK ? 1 : 0;
      this.store.finsAfterRst.set(key, e);
    } else if (e[FAR.SEQ] !== finSeq) return; // not a copy of it (anomalies report a FIN that moves)
    const n = e[FAR.COUNT]!;
    if (n === FAR_COPIES) return;
    const o = FAR.COPIES + n * FAR.COPY_SIZE;
    e[o + FAR.COPY_S] = seg.s;
    e[o + FAR.COPY_FRAME] = seg.frame;
    e[o + FAR.COPY_ACK] = seg.flags & ACK ? seg.ack : NaN;
    e[FAR.COUNT] = n + 1;
  }

  /**
   * Every RST x (the client if `fromClient`) was taken to receive is shown untaken: the FIN it
   * sent after them (finAfterRst) was its close, from its first copy (fixtures/rst-dropped: ss
   * showed FIN-WAIT-1 from there, while the server's RSTs were dropped).
   */
  private finsOutlivedRsts(fromClient: boolean): void {
    const key = this.sideKey(fromClient);
    const e = this.store.finsAfterRst.get(key);
    if (e === undefined) return;
    this.store.finsAfterRst.delete(key);
    const x = fromClient ? this.client : this.server;
    if (x.fin !== null || !isSynchronizedCode(x.currentCode())) return;
    const ackOf = (o: number): number | null => (e[o + FAR.COPY_ACK]! === e[o + FAR.COPY_ACK]! ? e[o + FAR.COPY_ACK]! : null);
    const first = FAR.COPIES;
    const ctl = x.newControl(E.FIN, e[FAR.SEQ]!, e[FAR.END]!, e[FAR.WITH_ACK] === 1, e[first + FAR.COPY_S]!, e[first + FAR.COPY_FRAME]!, ackOf(first));
    for (let i = 1; i < e[FAR.COUNT]!; i++) {
      const o = FAR.COPIES + i * FAR.COPY_SIZE;
      ctl.addCopy(e[o + FAR.COPY_S]!, e[o + FAR.COPY_FRAME]!, ackOf(o));
    }
    x.addEvent(EventCode.SEND_FIN, e[first + FAR.COPY_FRAME]!, e[first + FAR.COPY_S]!);
  }

  /**
   * The endpoint sent a segment (neither RST nor SYN) after RSTs that bore its address. One that
   * aborts with a RST has dropped its connection (RFC 9293 3.10.7) and answers anything later for
   * it with another RST; a new SYN would start a new incarnation. So one that goes on with the
   * connection was not closed by them: a middlebox or an attacker sent them in its name (the
   * blind reset of RFC 5961, a firewall's injected RST), or its stack sent them to refuse one
   * segment and kept the connection (RFC 9293 3.10.7.3: an unacceptable ACK in SYN-SENT). Their
   * SEND_RST events are dropped and its history folded again. Their receiver's side is
   * untouched: an acceptable one closed it (as the kernel did), an unacceptable one never did.
   */
  private senderOutlivedItsRsts(fromClient: boolean, frame: number): void {
    (fromClient ? this.client : this.server).retract(EventCode.SEND_RST, frame);
    this.f[this.b + C.BITS]! &= ~(fromClient ? CLIENT_SENT_RST : SERVER_SENT_RST);
    const arena = this.store.arena;
    const ref = this.f[this.b + C.RESETS]!;
    const from = fromClient ? 0 : 1;
    for (let i = 0; i < arena.count(ref, R.SIZE); i++) {
      const o = arena.item(ref, i, R.SIZE);
      if (arena.data[o + R.FROM] === from && arena.data[o + R.FRAME]! < frame) arena.data[o + R.SENDER_CONTINUED] = 1;
    }
  }

  /**
   * This connection's SYN met the previous connection's TIME_WAIT on the four-tuple, which did
   * not take it: it answered with an ACK of its own (FlowTable.route). Noted at the client's
   * first SYN.
   */
  metTimeWait(): void {
    const syn = this.client.syn;
    if (syn !== null) this.noteAt(Note.SYN_TO_TIME_WAIT, syn.copyS(0), syn.copyFrame(0), true, 0);
  }

  /**
   * `seg`, a segment of this connection, was captured twice at one place: the network duplicated
   * it (CopyFilter), and its receiver got both. A FIN's copy so duplicated explains a D-SACK of it.
   */
  duplicated(seg: Segment): void {
    if (!(seg.flags & FIN) || (seg.flags & (SYN | RST))) return;
    const fin = (this.isFromClient(seg) ? this.client : this.server).fin;
    if (fin !== null && fin.seq === seqAdd(seg.seq, seg.payloadLen) && fin.copyFrame(fin.copyCount - 1) < seg.frame) fin.setLastDuplicated();
  }

  /** The same for the previous connection's LAST_ACK (Connection.lastAckMayHold). */
  metLastAck(): void {
    const syn = this.client.syn;
    if (syn !== null) this.noteAt(Note.SYN_TO_LAST_ACK, syn.copyS(0), syn.copyFrame(0), true, 0);
  }

  /** The time and frame of the client's first SYN (NaN: none), for the TIME_WAIT it met (FlowTable.route). */
  get openingS(): number {
    return this.client.syn?.copyS(0) ?? NaN;
  }
  get openingFrame(): number {
    return this.client.syn?.copyFrame(0) ?? NaN;
  }

  private note(kind: Note, seg: Segment, fromClient: boolean): void {
    this.noteAt(kind, seg.s, seg.frame, fromClient, seg.payloadLen);
  }

  /** Drops the note of `kind` made at `frame`. */
  private dropNote(kind: Note, frame: number): void {
    const arena = this.store.arena;
    const ref = this.f[this.b + C.NOTES]!;
    for (let i = arena.count(ref, NOTE.SIZE) - 1; i >= 0; i--) {
      const o = arena.item(ref, i, NOTE.SIZE);
      if (arena.data[o + NOTE.KIND] === kind && arena.data[o + NOTE.FRAME] === frame) arena.remove(ref, i, NOTE.SIZE);
    }
  }

  private noteAt(kind: Note, s: number, frame: number, fromClient: boolean, bytes: number): void {
    const arena = this.store.arena;
    const o = arena.append(this.f[this.b + C.NOTES]!, NOTE.SIZE);
    this.f[this.b + C.NOTES] = arena.lastRef;
    const d = arena.data;
    d[o + NOTE.KIND] = kind;
    d[o + NOTE.S] = s;
    d[o + NOTE.FRAME] = frame;
    d[o + NOTE.FROM] = fromClient ? 0 : 1;
    d[o + NOTE.BYTES] = bytes;
  }
}

/**
 * How long after a gap in a sender's sequence space its missing segments may still be captured
 * late: at least this, and up to three quarters of the handshake's round trip (lateWithinS).
 */
const LATE_CAPTURE_S = 0.005;

/** How long a sender's TSvals must span before their rate is trusted over Linux's 1 kHz (missedFinS). */
const TS_CLOCK_SPAN_S = 0.05;

/**
 * Remembers the gap [start, end) a segment skipped at `s` (its IPv4 identification `id`, TSval
 * `ts`), in a free entry of `gaps` or else in place of the oldest (never entry `keep`): a path
 * that reorders leaves several holes open at once, each filled later by its own first copies.
 */
function openGap(gaps: Float64Array, start: number, end: number, s: number, id: number, ts: number, keep = -1): void {
  let at = keep === 0 ? GAP.SIZE : 0;
  for (let o = 0; o < gaps.length; o += GAP.SIZE) {
    if (o === keep) continue; // the other half of a gap being split
    if (gaps[o + GAP.END] !== gaps[o + GAP.END]) {
      at = o;
      break;
    }
    if (gaps[o + GAP.S]! < gaps[at + GAP.S]!) at = o;
  }
  gaps[at + GAP.START] = start;
  gaps[at + GAP.END] = end;
  gaps[at + GAP.S] = s;
  gaps[at + GAP.ID] = id;
  gaps[at + GAP.TS_VAL] = ts;
}

/**
 * Whether `seg` (carrying `len` of sequence space below what its sender was seen to send) is no
 * retransmission but the first copy of what a gap skipped, captured after later segments: a
 * capture on a host whose CPUs each hand packets to it (loopback, veths) records a flow's segments
 * slightly out of order, and a path that reorders (a jittery link, netem) does so by as much as its
 * jitter, several holes open at once. It lies in one of the gaps remembered, it came within
 * `withinS` of it, and it was sent before the segment that skipped it, which a sender sends every
 * first copy in order and each retransmission after:
 * - its IPv4 identification is older (Linux, Windows: a counter per socket or host; a
 *   retransmission gets a new, higher one);
 * - without one (IPv6, identification 0), its TSval is older (a clock: a copy sent in the same
 *   millisecond stays a retransmission).
 * The gap shrinks by what it fills (splitting in two around a segment in its middle); a
 * retransmission into it leaves it for the first copies.
 */
function capturedLate(gaps: Float64Array | undefined, seg: Segment, len: number, withinS: number): boolean {
  if (gaps === undefined) return false;
  const segEnd = seqAdd(seg.seq, len);
  for (let o = 0; o < gaps.length; o += GAP.SIZE) {
    const start = gaps[o + GAP.START]!;
    const end = gaps[o + GAP.END]!;
    if (end !== end || seqLT(seg.seq, start) || seqLT(end, segEnd)) continue;
    if (seg.s - gaps[o + GAP.S]! > withinS || !sentBefore(seg, gaps[o + GAP.ID]!, gaps[o + GAP.TS_VAL]!)) return false;
    if (seg.seq === start) {
      if (segEnd === end) gaps[o + GAP.END] = NaN;
      else gaps[o + GAP.START] = segEnd;
    } else if (segEnd === end) {
      gaps[o + GAP.END] = seg.seq;
    } else {
      gaps[o + GAP.END] = seg.seq;
      openGap(gaps, segEnd, end, gaps[o + GAP.S]!, gaps[o + GAP.ID]!, gaps[o + GAP.TS_VAL]!, o);
    }
    return true;
  }
  return false;
}

/**
 * Whether `seg` left its sender before the segment with IPv4 identification `id` and TSval `ts`
 * (-1: none): by the identification where both have one (not 0), else by a strictly older TSval.
 */
function sentBefore(seg: Segment, id: number, ts: number): boolean {
  if (seg.ipId > 0 && id > 0) {
    const before = (id - seg.ipId) & 0xffff;
    return before !== 0 && before < 0x8000;
  }
  return seg.ipId <= 0 && id <= 0 && seg.tsVal >= 0 && ts >= 0 && seqLT(seg.tsVal, ts);
}

/** Does `seg` belong to the four-tuple of the connection whose slot starts at `b` (either direction)? */
export function carries(f: Float64Array, b: number, seg: Segment): boolean {
  if (seg.ipVersion !== f[b + C.IP_VERSION]) return false; // ::a.b.c.d and a.b.c.d share their words
  const a = seg.addrs;
  const src3 = a[3]!;
  const dst3 = a[7]!;
  // The last words first: they differ in most four-tuples, and are all IPv4 has.
  if (seg.srcPort === f[b + C.CLIENT_PORT] && seg.dstPort === f[b + C.SERVER_PORT] && src3 === f[b + C.C3] && dst3 === f[b + C.S3] &&
    a[0] === f[b + C.C0] && a[1] === f[b + C.C1] && a[2] === f[b + C.C2] &&
    a[4] === f[b + C.S0] && a[5] === f[b + C.S1] && a[6] === f[b + C.S2]) return true;
  return seg.srcPort === f[b + C.SERVER_PORT] && seg.dstPort === f[b + C.CLIENT_PORT] && src3 === f[b + C.S3] && dst3 === f[b + C.C3] &&
    a[0] === f[b + C.S0] && a[1] === f[b + C.S1] && a[2] === f[b + C.S2] &&
    a[4] === f[b + C.C0] && a[5] === f[b + C.C1] && a[6] === f[b + C.C2];
}

/**
 * A segment without ACK acknowledges nothing: its sender had not received any of y's pending
 * SYN, SYN/ACK or FIN yet (a SYN crossing the peer's SYN in a simultaneous open, a SYN
 * retransmitted because the SYN/ACK never came), so their receipt is dated after it.
 */
function sentWithoutAck(y: Endpoint, seg: Segment): void {
  const syn = y.syn;
  if (syn !== null && !y.synProven && syn.copyFrame(0) < seg.frame) syn.setNotCovered(seg.frame, seg.s);
  const synAck = y.synAck;
  if (synAck !== null && !y.synAckProven && synAck.copyFrame(0) < seg.frame) synAck.setNotCovered(seg.frame, seg.s);
  const fin = y.fin;
  if (fin !== null && !y.finProven && fin.copyFrame(0) < seg.frame) fin.setNotCovered(seg.frame, seg.s);
}

/**
 * Does acknowledgment `a` in `seg` prove receipt of `ctl`? If not, `seg` shows the receiver did
 * not have it yet, which bounds the date of its receipt from below (see `addReceipt`).
 */
function proves(a: number, ctl: Control, seg: Segment): boolean {
  // A first copy the capture missed is dated at the segment that showed it, which may prove it too.
  if (seg.frame < ctl.copyFrame(0) || (seg.frame === ctl.copyFrame(0) && !ctl.notCaptured)) return false;
  if (covers(a, ctl.seq)) {
    ctl.setAcked(seg.frame, seg.s, (seg.flags & (SYN | FIN)) !== 0);
    return true;
  }
  ctl.setNotCovered(seg.frame, seg.s);
  return false;
}

/** Records a FIN x sent; true when it was its FIN sent again. */
function sentFin(x: Endpoint, seg: Segment): boolean {
  if (seg.tsVal >= 0) x.finTsVal = seg.tsVal;
  const finSeq = seqAdd(seg.seq, seg.payloadLen + (seg.flags & SYN ? 1 : 0));
  const ctl = x.fin;
  if (ctl !== null) {
    if (ctl.seq === finSeq) {
      // Retransmitted FIN: whatever ACK of it we took as received was lost (Connection.ackOfFinLost).
      addCopy(ctl, seg);
      return true;
    }
    return false; // a FIN at another sequence number: no correct stack sends one; anomalies report it
  }
  // Only an endpoint that holds a connection can close it (RFC 9293 3.10.4: CLOSE in SYN-SENT
  // sends no FIN); a FIN from a closed or half-opened one is a probe (SYN+FIN, FIN scan). In
  // SYN-RECEIVED a FIN follows the endpoint's own SYN or SYN/ACK: one that sent neither has no
  // sequence number to put it at (a forged FIN racing the real answer).
  const state = x.currentCode();
  if (!isSynchronizedCode(state) && (state !== TcpCode.SYN_RECEIVED || x.isn === null)) return false;
  newControl(x, E.FIN, finSeq, (seg.flags & ACK) !== 0, seg);
  x.addEvent(EventCode.SEND_FIN, seg.frame, seg.s);
  return false;
}

function countHalfCloseBytes(x: Endpoint, y: Endpoint, seg: Segment): void {
  if (seg.payloadLen === 0 || y.fin === null) return;
  const end = seqAdd(seg.seq, seg.payloadLen);
  const sndNxt = x.sndNxt;
  const fresh = sndNxt === null ? seg.payloadLen : Math.min(seg.payloadLen, seqDiff(end, sndNxt));
  if (fresh > 0) x.bytesAfterPeerFin += fresh;
}

function addCopy(ctl: Control, seg: Segment): void {
  ctl.addCopy(seg.s, seg.frame, seg.flags & ACK ? seg.ack : null);
}

function newControl(x: Endpoint, which: E.SYN | E.SYN_ACK | E.FIN, seq: number, withAck: boolean, seg: Segment): void {
  x.newControl(which, seq, seqAdd(seg.seq, segmentLength(seg)), withAck, seg.s, seg.frame, seg.flags & ACK ? seg.ack : null);
}

/** True when acknowledgment number `a` covers the SYN or FIN at sequence number `seq`. */
function covers(a: number, seq: number): boolean {
  return seqGE(a, seqAdd(seq, 1));
}

/** Marks the copies of `ctl` that `a` (sent in `seg`) acknowledges as answered. */
function answerCopies(ctl: Control, a: number, seg: Segment): void {
  // The copies are answered from the last back to the first answered one: once the last is, none is left.
  if (ctl.lastAnswered || !covers(a, ctl.seq)) return;
  for (let i = ctl.copyCount - 1; i >= 0; i--) {
    if (ctl.copyAnsweredFrame(i) !== null) break;
    if (ctl.copyFrame(i) < seg.frame || (i === 0 && ctl.notCaptured)) ctl.answerCopy(i, seg.frame, seg.s);
  }
}

/**
 * Which copy of `ctl` the ACK `seg` that proves its receipt answers: the last one sent before the
 * proof, unless `seg` reports it as a duplicate with a D-SACK (RFC 2883): an earlier copy had
 * arrived and the last one was a spurious retransmission (the ACK of the first was slow or lost).
 * Linux reports a FIN or data+FIN received twice this way. (Not by timing: a proof captured
 * sooner after the last copy than the receiver's handshake reply took is no sign that the two
 * crossed, a slow SYN/ACK is common: zeek's tcp/reassembly.pcap.)
 */
function receivedCopy(ctl: Control, seg: Segment): number {
  // Not when the network delivered the last copy twice: the D-SACK reports that duplicate.
  const duplicate = ctl.copyCount > 1 && !ctl.lastDuplicated && seg.dsackLeft >= 0 && seqLE(seg.dsackLeft, ctl.seq) && seqLT(ctl.seq, seg.dsackRight);
  return ctl.copyCount - (duplicate ? 2 : 1);
}

/**
 * Logs the receipt of `ctl` for `e`, once proven: dated at copy `copy` (receivedCopy; the last
 * one when not given), or later, at the receiver's own last segment that showed it had not
 * received it yet.
 */
function addReceipt(e: Endpoint, kind: EventCode, ctl: Control, copy = ctl.copyCount - 1, sender: Endpoint | null = null): void {
  const notCovered = ctl.notCoveredFrame;
  if (notCovered !== null && notCovered > ctl.copyFrame(copy)) {
    // e acknowledged short of it after its last copy. When that left a hole before it (`sender`
    // given), it arrived ahead of the hole (e SACKed it, held it out of order) and was taken only
    // once the hole was filled, by a segment the sender sent after that (Linux's tcp_fin runs when
    // the FIN comes in order): dated at the sender's last segment before the proof, if there is
    // one since. Otherwise (FINs that crossed) it arrived after e's packet that did not cover it.
    const filled = sender === null ? -1 : sender.lastSentFrame;
    if (filled > notCovered) e.addEvent(kind, filled, sender!.lastSentS, 0);
    else e.addEvent(kind, notCovered, ctl.notCoveredS, 1);
  } else e.addEvent(kind, ctl.copyFrame(copy), ctl.copyS(copy), 0);
}

/** A SYN/ACK completes the handshake only if it acknowledges the client's SYN (see Endpoint.acknowledgesOpening). */
function synAckIsValid(synAck: Control, client: Endpoint): boolean {
  return client.acknowledgesOpening(synAck.copyAck(synAck.copyCount - 1));
}

/** A bare ACK one byte below the next sequence number (or empty) is a keep-alive probe, not data. */
function isKeepAlive(seg: Segment, sndNxt: number): boolean {
  return seg.payloadLen <= 1 && !(seg.flags & (SYN | FIN)) && seg.seq === seqAdd(sndNxt, -1);
}

/**
 * Is the RST in `seg`, sent by x, acceptable to y? RFC 9293 3.10.7: in SYN-SENT, when its ACK
 * acknowledges y's SYN; otherwise (RFC 5961 3.2, as Linux does) when its sequence number is
 * exactly y's RCV.NXT. A passive observer knows RCV.NXT only within [what y has acknowledged,
 * what x has sent]: any value in that range could have matched. Null when y has no connection.
 */
function rstAcceptable(seg: Segment, x: Endpoint, y: Endpoint): boolean | null {
  const state = y.currentCode();
  if (state === TcpCode.CLOSED || state === TcpCode.LISTEN) return null;
  return rstInWindow(seg, x, y, state === TcpCode.SYN_SENT);
}

/**
 * What a RST in `seg` from x would be to y held closed by a RST it took (CLOSED, yet maybe alive:
 * that RST may never have arrived): whether it was in y's window as y's sequence numbers stood,
 * y in SYN-SENT if it had acknowledged nothing yet. -2 in the window, -3 not (RST.ACCEPTABLE).
 */
function rstHeldClosedCode(seg: Segment, x: Endpoint, y: Endpoint): number {
  return rstInWindow(seg, x, y, y.maxAck === null) ? -2 : -3;
}

/** rstAcceptable's rule for y open, in SYN-SENT if `synSent`. */
function rstInWindow(seg: Segment, x: Endpoint, y: Endpoint, synSent: boolean): boolean {
  if (synSent) {
    const isn = y.isn;
    const sndNxt = y.sndNxt;
    if (!(seg.flags & ACK) || isn === null || sndNxt === null) return false;
    return seqLT(isn, seg.ack) && seqLE(seg.ack, sndNxt);
  }
  const lo = y.maxAck ?? x.sndNxt;
  const hi = x.sndNxt ?? lo;
  if (lo === null || hi === null) return true;
  const inOrder = seqLE(lo, hi);
  const from = inOrder ? lo : hi;
  const to = inOrder ? hi : lo;
  return seqGE(seg.seq, from) && seqLE(seg.seq, to);
}

/**
 * Whether an ICMP error quoting sequence number `seq` of x's is one x's stack takes (Linux): it
 * must lie in what x sent and has not had acknowledged, [SND.UNA, SND.NXT]; for a half-open
 * request, it must be the SYN/ACK's own. Null when unknown (tcpdump text does not show it).
 */
function icmpAcceptable(seq: number, x: Endpoint, y: Endpoint, request: boolean): boolean | null {
  const isn = x.isn;
  if (seq !== seq || isn === null) return null;
  if (request) return seq === isn;
  const sndNxt = x.sndNxt;
  if (sndNxt === null) return null;
  const acked = y.maxAck;
  const una = acked !== null && seqLE(acked, sndNxt) && seqLT(isn, acked) ? acked : isn;
  return seqGE(seq, una) && seqLE(seq, sndNxt);
}

/**
 * The ICMP errors that end an opening connection's socket (SYN_SENT, a simultaneous open) in
 * Linux: every destination unreachable but fragmentation needed / packet too big (path MTU
 * discovery), time exceeded, parameter problem. `icmp` is type << 8 | code.
 */
function abortsOpening(icmp: number, ipVersion: number): boolean {
  const type = icmp >> 8;
  const code = icmp & 0xff;
  if (ipVersion === 4) return (type === 3 && code <= 15 && code !== 4) || type === 11 || type === 12;
  return type === 1 || type === 3 || type === 4;
}

/**
 * The ICMP errors that drop a half-open request (tcp_req_err's `abort`): IPv4 parameter problem,
 * time exceeded, net or host unreachable; IPv6 what icmpv6_err_convert calls fatal: parameter
 * problem, and unreachable for administrative reasons (1), port (4), source policy (5) and reject
 * route (6).
 */
function abortsRequest(icmp: number, ipVersion: number): boolean {
  const type = icmp >> 8;
  const code = icmp & 0xff;
  if (ipVersion === 4) return type === 12 || type === 11 || (type === 3 && (code === 0 || code === 1));
  return type === 4 || (type === 1 && (code === 1 || code === 4 || code === 5 || code === 6));
}
