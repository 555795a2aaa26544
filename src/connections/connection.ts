/**
 * One incarnation of a four-tuple: two endpoints and the rule that moves them.
 *
 * Each segment is turned into state events for its sender (at once) and for its receiver (only
 * when the receiver's own later segments prove it got it, dated at the last copy it could have
 * got, see state.ts). The connection keeps only control facts (SYN, FIN and RST copies, counters),
 * never the data segments, so its memory does not grow with the packets.
 */
import { ACK, FIN, RST, SYN, Segment, segmentLength } from '../decode/segment.js';
import { Endpoint, Side, StateEvent } from './endpoint.js';
import { Control } from './control.js';
import { Flow } from './flow.js';
import { PackReader, PackWriter, codeOf, decode } from './pack.js';
import { seqAdd, seqDiff, seqGE, seqLE, seqLT, seqMax } from './seq.js';
import { EventKind, TcpState, isSynchronized } from './state.js';

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
}

export type NoteKind = 'syn-data' | 'rst-data' | 'syn-on-open-connection' | 'syn-ack-new-isn' | 'syn-ack-not-captured' | 'ack-not-captured';
const NOTE_KINDS: readonly NoteKind[] = ['syn-data', 'rst-data', 'syn-on-open-connection', 'syn-ack-new-isn', 'syn-ack-not-captured', 'ack-not-captured'];

export interface NoteFact {
  kind: NoteKind;
  s: number;
  frame: number;
  from: Side;
  bytes: number;
}

const NONE: readonly never[] = Object.freeze([]);

export class Connection extends Flow {
  /** No SYN seen (false again if a SYN captured after its SYN/ACK turns up: capture reordering). */
  midstream: boolean;
  /** Earliest and latest packet times (timestamps can go backwards; frames keep capture order). */
  firstS: number;
  readonly firstFrame: number;
  readonly fileIndex: number;
  lastS: number;
  lastFrame: number;
  /** Most connections have neither: both start as one shared empty list, replaced at the first entry. */
  resets: readonly RstFact[] = NONE;
  notes: readonly NoteFact[] = NONE;
  /** Whether the segment last observed resent sequence space already sent (for the ladder). */
  lastWasRetransmit = false;
  /** Set when a SYN with a new ISN started the next incarnation of this four-tuple. */
  reusedBy: { s: number; frame: number } | null = null;

  /**
   * Opens a connection at its first segment. SPEC section 2: the client is the sender of the first
   * SYN without ACK; with no SYN, the receiver of a SYN/ACK; with neither, the endpoint with the
   * larger (ephemeral) port, ties to the first sender.
   */
  static open(id: number, seg: Segment): Connection {
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
    let clientState: TcpState = 'CLOSED';
    let serverState: TcpState = 'LISTEN';
    if (synAck) { clientState = 'SYN_SENT'; serverState = 'SYN_RECEIVED'; }
    else if ((f & (ACK | SYN | RST)) === ACK) { clientState = 'ESTABLISHED'; serverState = 'ESTABLISHED'; }
    else if (!synOnly) serverState = 'CLOSED';
    const [cIp, cPort, sIp, sPort] = senderIsClient
      ? [seg.src, seg.srcPort, seg.dst, seg.dstPort]
      : [seg.dst, seg.dstPort, seg.src, seg.srcPort];
    const client = new Endpoint('client', cIp, cPort, clientState, seg.s, seg.frame);
    const server = new Endpoint('server', sIp, sPort, serverState, seg.s, seg.frame);
    if (synAck) client.isn = (seg.ack - 1) >>> 0; // inferred from the SYN/ACK
    const c = senderIsClient ? 0 : 4;
    return new Connection(id, client, server, seg.addrs, c, 4 - c, seg.s, seg.frame, seg.fileIndex, seg.ipVersion, !synOnly);
  }

  /** `words[clientAt..+4]` and `words[serverAt..+4]`: the endpoints' address words (Segment.addrs). */
  private constructor(
    id: number, readonly client: Endpoint, readonly server: Endpoint,
    words: ArrayLike<number>, clientAt: number, serverAt: number,
    firstS: number, firstFrame: number, fileIndex: number, ipVersion: 4 | 6, midstream: boolean,
  ) {
    super(id, ipVersion, words, clientAt, serverAt, client.port, server.port);
    this.midstream = midstream;
    this.firstS = this.lastS = firstS;
    this.firstFrame = this.lastFrame = firstFrame;
    this.fileIndex = fileIndex;
  }

  /**
   * Writes the connection to `w` (see pack.ts), for the thread that builds the findings; its place
   * in the flow table (hash chain) stays behind. `Connection.unpack` reads it back.
   */
  pack(w: PackWriter): void {
    w.push(this.id);
    for (const word of this.words()) w.push(word);
    w.push(this.firstS);
    w.push(this.firstFrame);
    w.push(this.fileIndex);
    w.push(this.ipVersion);
    w.push((this.midstream ? 1 : 0) | (this.lastWasRetransmit ? 2 : 0));
    w.push(this.lastS);
    w.push(this.lastFrame);
    w.push(this.flowHash);
    w.pushNullable(this.reusedBy?.s ?? null);
    w.pushNullable(this.reusedBy?.frame ?? null);
    w.push(this.resets.length);
    for (const r of this.resets) {
      w.push(r.s); w.push(r.frame); w.push(r.fileIndex); w.push(r.fileFrame); w.push(r.from === 'client' ? 0 : 1);
      w.push(r.seq); w.pushNullable(r.ack); w.push(r.payloadLen); w.push(r.acceptable === null ? -1 : r.acceptable ? 1 : 0);
      w.push(r.answersFrame);
    }
    w.push(this.notes.length);
    for (const n of this.notes) {
      w.push(codeOf(NOTE_KINDS, n.kind)); w.push(n.s); w.push(n.frame); w.push(n.from === 'client' ? 0 : 1); w.push(n.bytes);
    }
    this.client.pack(w);
    this.server.pack(w);
  }

  /**
   * The connection as a ParkedConnection due to finish at `finishAt`: called once it only waits
   * out TIME_WAIT (see ParkedConnection). This object is left as it is, for whoever still holds it.
   */
  park(finishAt: number): ParkedConnection {
    this.pack(scratch);
    const { code, strings } = scratch.takeCode();
    return new ParkedConnection(this.id, this.ipVersion, this.words(), this.clientPort, this.serverPort, this.flowHash, finishAt, code, strings[0]!, strings[1]!);
  }

  static unpack(r: PackReader): Connection {
    const id = r.next();
    const words = r.list(8);
    const firstS = r.next();
    const firstFrame = r.next();
    const fileIndex = r.next();
    const ipVersion = r.next() as 4 | 6;
    const bits = r.next();
    const lastS = r.next();
    const lastFrame = r.next();
    const flowHash = r.next();
    const reusedS = r.nullable();
    const reusedFrame = r.nullable();
    const resets: RstFact[] = [];
    for (let i = r.next(); i > 0; i--) {
      const s = r.next(); const frame = r.next(); const fileIndex = r.next(); const fileFrame = r.next();
      const from: Side = r.next() === 0 ? 'client' : 'server';
      const seq = r.next(); const ack = r.nullable(); const payloadLen = r.next();
      const a = r.next(); const acceptable = a < 0 ? null : a === 1;
      resets.push({ s, frame, fileIndex, fileFrame, from, seq, ack, payloadLen, acceptable, answersFrame: r.next() });
    }
    const notes: NoteFact[] = [];
    for (let i = r.next(); i > 0; i--) {
      const kind = NOTE_KINDS[r.next()]!; const s = r.next(); const frame = r.next();
      const from: Side = r.next() === 0 ? 'client' : 'server';
      notes.push({ kind, s, frame, from, bytes: r.next() });
    }
    const client = Endpoint.unpack(r, 'client');
    const server = Endpoint.unpack(r, 'server');
    const conn = new Connection(id, client, server, words, 0, 4, firstS, firstFrame, fileIndex, ipVersion, (bits & 1) !== 0);
    conn.lastWasRetransmit = (bits & 2) !== 0;
    conn.lastS = lastS;
    conn.lastFrame = lastFrame;
    conn.flowHash = flowHash;
    if (reusedS !== null && reusedFrame !== null) conn.reusedBy = { s: reusedS, frame: reusedFrame };
    if (resets.length > 0) conn.resets = resets;
    if (notes.length > 0) conn.notes = notes;
    return conn;
  }

  /** Changes whenever either endpoint's state events change (so its states may have). */
  get stateVersion(): number {
    return this.client.version + this.server.version;
  }

  endpoint(side: Side): Endpoint {
    return side === 'client' ? this.client : this.server;
  }

  /** Feeds one segment of this connection, in capture order. */
  observe(seg: Segment, fromClient: boolean): void {
    const x = fromClient ? this.client : this.server; // the sender
    const y = fromClient ? this.server : this.client; // the receiver
    const f = seg.flags;
    if (seg.s > this.lastS) this.lastS = seg.s;
    if (seg.s < this.firstS) this.firstS = seg.s;
    this.lastFrame = seg.frame;
    x.packets++;
    x.bytes += seg.payloadLen;
    if (seg.s > x.lastSentS) x.lastSentS = seg.s;
    // The server was only assumed to listen: one that first answers with a RST (refused), or
    // opens with its own SYN (simultaneous open), was not listening.
    if (x === this.server && x.packets === 1 && x.initialState === 'LISTEN' && ((f & RST) || (f & (SYN | ACK)) === SYN)) {
      x.initialState = 'CLOSED';
    }

    const len = segmentLength(seg);
    this.lastWasRetransmit = len > 0 && !(f & RST) && x.sndNxt !== null && seqLT(seg.seq, x.sndNxt) && !isKeepAlive(seg, x.sndNxt);
    if (this.lastWasRetransmit) x.retransmits++;
    if (seg.payloadLen > 0 && (f & SYN)) this.note('syn-data', seg, x.side);
    if (seg.payloadLen > 0 && (f & RST)) this.note('rst-data', seg, x.side);

    if (f & SYN) this.sentSyn(x, seg);
    // A RST's acknowledgment field proves nothing: the kernel fills it in for a segment it is
    // refusing (a closed port's RST+ACK acknowledges the SYN it never accepted).
    if ((f & ACK) && !(f & RST)) this.sentAck(x, y, seg);
    else if (!(f & ACK)) this.sentWithoutAck(y, seg);
    if (!(f & RST)) this.countHalfCloseBytes(x, y, seg);
    if (f & FIN) this.sentFin(x, seg);
    if (f & RST) this.sentRst(x, y, seg);

    if (!(f & RST) && (len > 0 || x.sndNxt === null)) x.sndNxt = seqMax(x.sndNxt, seqAdd(seg.seq, len));
    if (f & ACK) x.maxAck = seqMax(x.maxAck, seg.ack);
    if (seg.payloadLen > 0 || (f & FIN)) x.lastDataOrFinFrame = seg.frame;
    x.window = seg.window;
  }

  /** Marks the end of this incarnation: a SYN with a new ISN took the four-tuple over. */
  reuse(s: number, frame: number): void {
    this.reusedBy = { s, frame };
    for (const e of [this.client, this.server]) e.addEvent(event('reused', frame, s));
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
    if (sender.syn !== null && sender.syn.seq === seg.seq) return false;
    // The SYN this connection's first SYN/ACK answered, captured after it (capture reordering).
    if (this.answersOpeningSynAck(seg)) return false;
    const c = this.client.current();
    const s = this.server.current();
    const open = (st: TcpState) => isSynchronized(st) && st !== 'TIME_WAIT';
    if (open(c) && open(s)) return false;
    // The peer's own first SYN while ours is still unanswered: a simultaneous open (RFC 9293 3.5).
    const peerOpening = receiver.current() === 'SYN_SENT' || receiver.current() === 'SYN_RECEIVED';
    if (sender.syn === null && sender.synAck === null && receiver.syn !== null && peerOpening) return false;
    return true;
  }

  /** Is `seg` the client's SYN that the SYN/ACK which opened this connection acknowledged? */
  private answersOpeningSynAck(seg: Segment): boolean {
    const synAck = this.server.synAck;
    return this.midstream && this.client.syn === null && synAck !== null && this.isFromClient(seg) &&
      synAck.copyFrame(0) === this.firstFrame && synAck.copyAck(0) === seqAdd(seg.seq, 1);
  }

  private sentSyn(x: Endpoint, seg: Segment): void {
    const withAck = (seg.flags & ACK) !== 0;
    const ctl = withAck ? x.synAck : x.syn;
    if (ctl !== null && withAck && ctl.seq !== seg.seq && !x.synAckProven && !isSynchronized(x.current())) {
      // A server whose SYN/ACKs went unanswered drops the request after tcp_synack_retries; a later
      // SYN retransmission then gets a fresh request and a SYN/ACK with a new ISN. Same connection.
      this.note('syn-ack-new-isn', seg, x.side);
      x.isn = seg.seq;
      x.synAck = control(seg.seq, true, seg);
      return;
    }
    if (ctl !== null) {
      if (ctl.seq !== seg.seq) {
        // Another ISN on a connection open on both sides (the flow table starts a new incarnation
        // otherwise): the kernel answers with a challenge ACK (RFC 5961 4) and nothing changes.
        this.note('syn-on-open-connection', seg, x.side);
        return;
      }
      // A retransmission. A SYN/ACK sent again shows the ACK that "completed" the handshake never
      // arrived (a SYN sent again, that the SYN/ACK did not: see sentWithoutAck).
      addCopy(ctl, seg);
      if (withAck) x.retractAcks('recv-ack-of-syn', seg.frame);
      return;
    }
    if (!withAck && this.answersOpeningSynAck(seg)) this.midstream = false; // the handshake is whole after all
    if (x.isn === null || !withAck) x.isn = seg.seq;
    if (seg.options) x.options = seg.options;
    if (withAck) x.synAck = control(seg.seq, true, seg);
    else x.syn = control(seg.seq, false, seg);
    x.addEvent(event(withAck ? 'send-syn-ack' : 'send-syn', seg.frame, seg.s));
  }

  /** The acknowledgment field of a segment x sent: proofs of receipt, and ACKs y receives. */
  private sentAck(x: Endpoint, y: Endpoint, seg: Segment): void {
    const a = seg.ack;
    const carriesControl = (seg.flags & (SYN | FIN)) !== 0;
    if (!(seg.flags & SYN)) this.impliedByOneSidedCapture(x, y, seg);
    // Proofs: x acknowledging y's SYN, SYN/ACK or FIN shows x received it.
    if (y.syn !== null && !y.synProven && this.proves(a, y.syn, seg)) {
      y.synProven = true;
      x.addEvent(receipt('recv-syn', y.syn));
    }
    if (y.synAck !== null && !y.synAckProven && this.proves(a, y.synAck, seg)) {
      y.synAckProven = true;
      // A SYN/ACK that does not acknowledge x's ISN + 1 does not synchronize x (the handshake is invalid).
      if (synAckIsValid(y.synAck, x)) x.addEvent(receipt('recv-syn-ack', y.synAck));
    }
    if (y.fin !== null && !y.finProven && this.proves(a, y.fin, seg)) {
      y.finProven = true;
      // A FIN that also acknowledged x's own FIN takes FIN-WAIT-1 straight to TIME-WAIT (RFC 9293).
      const finAck = y.fin.copyAck(y.fin.copyCount - 1);
      const acksOurs = x.fin !== null && finAck !== null && covers(finAck, x.fin.seq);
      x.addEvent(receipt(acksOurs ? 'recv-fin-ack-of-fin' : 'recv-fin', y.fin));
    }
    // Three calls, not a loop over a fresh array: this runs for every segment carrying ACK.
    if (y.syn !== null) answerCopies(y.syn, a, seg);
    if (y.synAck !== null) answerCopies(y.synAck, a, seg);
    if (y.fin !== null) answerCopies(y.fin, a, seg);
    // A segment without SYN or FIN is taken as received at its own time (SPEC section 3); a later
    // retransmission by y of what it acknowledged retracts it (Endpoint.retractAcks).
    if (!carriesControl) {
      const opening = y.synAck ?? y.syn;
      if (opening !== null && covers(a, opening.seq) && !y.hasEvent('recv-ack-of-syn')) {
        y.addEvent(event('recv-ack-of-syn', seg.frame, seg.s));
      }
      if (y.fin !== null && covers(a, y.fin.seq) && !y.hasEvent('recv-ack-of-fin')) {
        y.addEvent(event('recv-ack-of-fin', seg.frame, seg.s));
      }
    }
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
  private impliedByOneSidedCapture(x: Endpoint, y: Endpoint, seg: Segment): void {
    if (seg.flags & RST) return;
    if (y.synAck === null && x.syn !== null && x.current() === 'SYN_SENT') {
      this.note('syn-ack-not-captured', seg, x.side);
      x.addEvent(event('recv-syn-ack', seg.frame, seg.s, -1));
      if (y.syn === null && (y.current() === 'LISTEN' || y.current() === 'CLOSED')) {
        y.addEvent(receipt('recv-syn', x.syn));
        y.addEvent(event('recv-ack-of-syn', seg.frame, seg.s));
      }
      return;
    }
    const ySent = y.isn !== null && y.syn === null && seqGE(seg.ack, seqAdd(y.isn, 2));
    if (ySent && x.synAck !== null && y.current() === 'SYN_SENT') {
      this.note('ack-not-captured', seg, x.side);
      y.addEvent(receipt('recv-syn-ack', x.synAck));
      if (x.current() === 'SYN_RECEIVED') x.addEvent(event('recv-ack-of-syn', seg.frame, seg.s, -1));
    }
  }

  /**
   * A segment without ACK acknowledges nothing: its sender had not received any of y's pending
   * SYN, SYN/ACK or FIN yet (a SYN crossing the peer's SYN in a simultaneous open, a SYN
   * retransmitted because the SYN/ACK never came), so their receipt is dated after it.
   */
  private sentWithoutAck(y: Endpoint, seg: Segment): void {
    for (const [ctl, proven] of [[y.syn, y.synProven], [y.synAck, y.synAckProven], [y.fin, y.finProven]] as const) {
      if (ctl !== null && !proven && ctl.copyFrame(0) < seg.frame) ctl.setNotCovered(seg.frame, seg.s);
    }
  }

  /**
   * Does acknowledgment `a` in `seg` prove receipt of `ctl`? If not, `seg` shows the receiver did
   * not have it yet, which bounds the date of its receipt from below (see `receipt`).
   */
  private proves(a: number, ctl: Control, seg: Segment): boolean {
    if (seg.frame <= ctl.copyFrame(0)) return false;
    if (covers(a, ctl.seq)) {
      ctl.setAcked(seg.frame, seg.s, (seg.flags & (SYN | FIN)) !== 0);
      return true;
    }
    ctl.setNotCovered(seg.frame, seg.s);
    return false;
  }

  private sentFin(x: Endpoint, seg: Segment): void {
    const finSeq = seqAdd(seg.seq, seg.payloadLen + (seg.flags & SYN ? 1 : 0));
    const ctl = x.fin;
    if (ctl !== null) {
      if (ctl.seq === finSeq) {
        // Retransmitted FIN: whatever ACK of it we took as received was lost.
        addCopy(ctl, seg);
        x.retractAcks('recv-ack-of-fin', seg.frame);
      }
      return; // a FIN at another sequence number: no correct stack sends one; anomalies report it
    }
    // Only an endpoint that holds a connection can close it (RFC 9293 3.10.4: CLOSE in SYN-SENT
    // sends no FIN); a FIN from a closed or half-opened one is a probe (SYN+FIN, FIN scan).
    const state = x.current();
    if (!isSynchronized(state) && state !== 'SYN_RECEIVED') return;
    x.fin = control(finSeq, (seg.flags & ACK) !== 0, seg);
    x.addEvent(event('send-fin', seg.frame, seg.s));
  }

  private sentRst(x: Endpoint, y: Endpoint, seg: Segment): void {
    const acceptable = rstAcceptable(seg, x, y);
    x.addEvent(event('send-rst', seg.frame, seg.s));
    if (acceptable) y.addEvent(event('recv-rst', seg.frame, seg.s, 1));
    if (this.resets === NONE) this.resets = [];
    (this.resets as RstFact[]).push({
      s: seg.s, frame: seg.frame, fileIndex: seg.fileIndex, fileFrame: seg.fileFrame, from: x.side, seq: seg.seq,
      ack: seg.flags & ACK ? seg.ack : null, payloadLen: seg.payloadLen, acceptable,
      answersFrame: y.lastDataOrFinFrame,
    });
  }

  private countHalfCloseBytes(x: Endpoint, y: Endpoint, seg: Segment): void {
    if (seg.payloadLen === 0 || y.fin === null) return;
    const end = seqAdd(seg.seq, seg.payloadLen);
    const fresh = x.sndNxt === null ? seg.payloadLen : Math.min(seg.payloadLen, seqDiff(end, x.sndNxt));
    if (fresh > 0) x.bytesAfterPeerFin += fresh;
  }

  private note(kind: NoteKind, seg: Segment, from: Side): void {
    if (this.notes === NONE) this.notes = [];
    (this.notes as NoteFact[]).push({ kind, s: seg.s, frame: seg.frame, from, bytes: seg.payloadLen });
  }
}

/** The writer connections are parked with (one at a time). */
const scratch = new PackWriter(1 << 10);

/**
 * A connection that only waits out TIME_WAIT, held as numbers until its timer runs out or a
 * segment (a retransmitted FIN, a SYN reusing the four-tuple) wakes it. There are many of them: a
 * busy server closes thousands of connections a second, and each waits a minute, so a capture
 * holds ~60 s worth of them at once (195 k at 10 M packets of the bench capture). As objects
 * (two endpoints, their controls, event logs, options, boxed numbers) each was ~30 objects for the
 * garbage collector to copy and mark again and again, ~2.7 KB; packed, it is two (this and a
 * one-byte string, nothing inside to trace), ~0.8 KB.
 */
export class ParkedConnection extends Flow {
  constructor(
    id: number, ipVersion: 4 | 6, words: ArrayLike<number>, clientPort: number, serverPort: number,
    flowHash: number,
    /** Capture time at which its TIME_WAIT runs out (the flow table's due time for it). */
    readonly finishAt: number,
    /** The packed connection in the compact code of pack.ts (`decode`). */
    private readonly code: string,
    private readonly clientIp: string,
    private readonly serverIp: string,
  ) {
    super(id, ipVersion, words, 0, 4, clientPort, serverPort);
    this.flowHash = flowHash;
  }

  /** The connection as it was parked (a new object; its place in the flow table is the caller's to hand over). */
  unpark(): Connection {
    return ParkedConnection.unpark(this.code, this.clientIp, this.serverIp);
  }

  /** Writes it to `w` as it is (three strings), for `ParkedConnection.unpark` on the other side. */
  packCode(w: PackWriter): void {
    w.pushString(this.code);
    w.pushString(this.clientIp);
    w.pushString(this.serverIp);
  }

  static unpark(code: string, clientIp: string, serverIp: string): Connection {
    return Connection.unpack(new PackReader(decode(code), [clientIp, serverIp]));
  }
}

/** How the flow table hands a connection over once it is finished: live, or still parked. */
export type FinishedConnection = Connection | ParkedConnection;

/** The Connection itself, unparked if need be. */
export function liveConnection(c: FinishedConnection): Connection {
  return c instanceof ParkedConnection ? c.unpark() : c;
}

/** A state event dated at `frame`; `order` as in StateEvent. */
function event(kind: EventKind, frame: number, s: number, order = 0): StateEvent {
  return { kind, frame, s, order };
}

function addCopy(ctl: Control, seg: Segment): void {
  ctl.addCopy(seg.s, seg.frame, seg.flags & ACK ? seg.ack : null);
}

function control(seq: number, withAck: boolean, seg: Segment): Control {
  return new Control(seq, seqAdd(seg.seq, segmentLength(seg)), withAck, seg.s, seg.frame, seg.flags & ACK ? seg.ack : null);
}

/** True when acknowledgment number `a` covers the SYN or FIN at sequence number `seq`. */
function covers(a: number, seq: number): boolean {
  return seqGE(a, seqAdd(seq, 1));
}

/** Marks the copies of `ctl` that `a` (sent in `seg`) acknowledges as answered. */
function answerCopies(ctl: Control, a: number, seg: Segment): void {
  if (!covers(a, ctl.seq)) return;
  for (let i = ctl.copyCount - 1; i >= 0; i--) {
    if (ctl.copyAnsweredFrame(i) !== null) break;
    if (ctl.copyFrame(i) < seg.frame) ctl.answerCopy(i, seg.frame, seg.s);
  }
}

/**
 * The receipt of `ctl`, once proven: dated at the last copy sent before the proof, or later, at
 * the receiver's own last segment that showed it had not received it yet.
 */
function receipt(kind: EventKind, ctl: Control): StateEvent {
  const last = ctl.copyCount - 1;
  const notCovered = ctl.notCoveredFrame;
  const after = notCovered !== null && notCovered > ctl.copyFrame(last);
  return {
    kind,
    frame: after ? notCovered : ctl.copyFrame(last),
    s: after ? ctl.notCoveredS : ctl.copyS(last),
    order: after ? 1 : 0,
  };
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
  const state = y.current();
  if (state === 'CLOSED' || state === 'LISTEN') return null;
  if (state === 'SYN_SENT') {
    if (!(seg.flags & ACK) || y.isn === null || y.sndNxt === null) return false;
    return seqLT(y.isn, seg.ack) && seqLE(seg.ack, y.sndNxt);
  }
  const lo = y.maxAck ?? x.sndNxt;
  const hi = x.sndNxt ?? lo;
  if (lo === null || hi === null) return true;
  const [from, to] = seqLE(lo, hi) ? [lo, hi] : [hi, lo];
  return seqGE(seg.seq, from) && seqLE(seg.seq, to);
}
