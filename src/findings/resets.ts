/** Every RST of a connection, with what it was (SPEC section 4, resets). */
import type { Connection, RstFact } from '../connections/connection.js';
import type { History } from '../connections/endpoint.js';
import { TCP_STATES, TcpCode, isSynchronizedCode } from '../connections/state.js';
import { RESET_KINDS, type MptcpResetReason, type MptcpResetReport, type ResetReport } from './types.js';
import { MPTCP_FAST_CLOSE, MPTCP_REASON_KNOWN, MPTCP_RESET_REASONS, MPTCP_TCPRST } from '../decode/segment.js';

/** The reset kinds as numbers (their index in RESET_KINDS). */
export const enum ResetCode { REFUSED, ABORT, AFTER_CLOSE, SCAN, OUT_OF_WINDOW, NO_CONNECTION }

/** What each RST of one connection was: kind, and its sender's and receiver's state before it. */
export class ResetFacts {
  count = 0;
  kind = new Uint8Array(4);
  senderState = new Uint8Array(4);
  receiverState = new Uint8Array(4);

  set(i: number, kind: ResetCode, senderState: TcpCode, receiverState: TcpCode): void {
    if (i >= this.kind.length) {
      const grow = (a: Uint8Array) => { const b = new Uint8Array(a.length * 2); b.set(a); return b; };
      this.kind = grow(this.kind);
      this.senderState = grow(this.senderState);
      this.receiverState = grow(this.receiverState);
    }
    this.kind[i] = kind;
    this.senderState[i] = senderState;
    this.receiverState[i] = receiverState;
  }
}

const isClosing = (s: TcpCode) =>
  s === TcpCode.FIN_WAIT_1 || s === TcpCode.FIN_WAIT_2 || s === TcpCode.CLOSING || s === TcpCode.LAST_ACK || s === TcpCode.TIME_WAIT;

/** `rst`: a RstFact to read the connection's RSTs into; `rttS`: the handshake's round trip (NaN: not seen). */
export function analyzeResets(conn: Connection, out: ResetFacts, client: History, server: History, rst: RstFact, rttS: number): void {
  out.count = conn.resetCount;
  for (let i = 0; i < out.count; i++) {
    const r = conn.reset(i, rst);
    const senderState = (r.from === 'client' ? client : server).stateBefore(r.frame, r.s);
    const receiverState = (r.from === 'client' ? server : client).stateBefore(r.frame, r.s);
    out.set(i, resetKind(conn, r, senderState, receiverState, client, server, rttS), senderState, receiverState);
  }
}

function resetKind(conn: Connection, r: RstFact, senderState: TcpCode, receiverState: TcpCode, client: History, server: History, rttS: number): ResetCode {
  if (r.acceptable === false) return ResetCode.OUT_OF_WINDOW;
  const synAckFrame = conn.server.synAck?.copyFrame(0) ?? Infinity;
  // The server answers the client's SYN with RST: nobody listens on that port.
  if (r.from === 'server' && receiverState === TcpCode.SYN_SENT && r.frame < synAckFrame) return ResetCode.REFUSED;
  // SYN, SYN/ACK, then RST from the client instead of the ACK: a half-open (SYN) scan.
  if (r.from === 'client' && senderState === TcpCode.SYN_SENT && synAckFrame < r.frame) return ResetCode.SCAN;
  // A SYN_SENT socket refusing an ACK that is not for its connection (RFC 9293 3.10.7.3), which
  // then goes on with its own: the RST answers a segment of no connection the sender holds.
  if (senderState === TcpCode.SYN_SENT && r.senderContinued && r.frame < synAckFrame) return ResetCode.NO_CONNECTION;
  if (senderState === TcpCode.CLOSED || senderState === TcpCode.LISTEN) {
    // The sender holds no connection: it answers a segment for one that is gone, or never was.
    return everSynchronized(client, r.frame) || everSynchronized(server, r.frame) ? ResetCode.AFTER_CLOSE : ResetCode.NO_CONNECTION;
  }
  // The sender had closed (sent its FIN) and the peer then sent data or a FIN it can no longer take.
  const senderFin = conn.endpoint(r.from).fin;
  if (isClosing(senderState) && senderFin && r.answersFrame > senderFin.copyFrame(0)) return ResetCode.AFTER_CLOSE;
  // A RST without ACK whose sequence number is exactly what the receiver acknowledged, sent at once
  // in reply to the receiver's latest packet (nothing from the sender in between, within two round
  // trips): the reply of a host that holds no connection (RFC 9293 3.10.7.1, <SEQ=SEG.ACK><CTL=RST>).
  // A live socket that aborts sends RST+ACK from its own next sequence number (Linux, BSD, Windows),
  // so the sender's socket had gone unseen: a retransmission timeout, an orphaned FIN_WAIT_2 timing
  // out, a reboot. Nothing on the wire dates that; the tracker closes it here.
  // Not when the sender's last segment was its SYN/ACK: then the RST comes from the request
  // socket itself, refusing the handshake's last ACK (Linux with tcp_abort_on_overflow when the
  // accept queue is full) - the connection was never established there, and it is an abort.
  const receiver = conn.endpoint(r.from === 'client' ? 'server' : 'client');
  const senderSynAck = conn.endpoint(r.from).synAck;
  const afterItsSynAck = senderSynAck !== null && r.senderLastFrame === senderSynAck.copyFrame(senderSynAck.copyCount - 1);
  if (r.ack === null && isSynchronizedCode(senderState) && r.seq === receiver.maxAck && !afterItsSynAck &&
      r.senderLastFrame < r.receiverLastFrame && r.s - r.receiverLastS <= replyWithinS(rttS)) {
    return ResetCode.AFTER_CLOSE;
  }
  return ResetCode.ABORT;
}

/**
 * How soon a reply follows the packet it answers, seen from anywhere on the path: at most a round
 * trip (two, for slack), or 200 ms when the handshake was not seen.
 */
function replyWithinS(rttS: number): number {
  return rttS === rttS ? Math.max(2 * rttS, 0.005) : 0.2;
}

/** Whether the history reached a synchronized state before `frame` (timer transitions count). */
function everSynchronized(h: History, frame: number): boolean {
  for (let i = 0; i < h.length; i++) {
    const f = h.frame[i]!;
    if ((f !== f || f < frame) && isSynchronizedCode(h.state[i]!)) return true;
  }
  return false;
}

/** The RSTs as the report's objects. */
export function resetReports(conn: Connection, f: ResetFacts, fileName: (i: number) => string, rst: RstFact): ResetReport[] {
  const out: ResetReport[] = [];
  for (let i = 0; i < f.count; i++) {
    const r = conn.reset(i, rst);
    out.push({
      s: r.s,
      frame: r.frame,
      file: fileName(r.fileIndex),
      fileFrame: r.fileFrame,
      from: r.from,
      kind: RESET_KINDS[f.kind[i]!]!,
      inWindow: r.acceptable,
      senderState: TCP_STATES[f.senderState[i]!]!,
      receiverState: TCP_STATES[f.receiverState[i]!]!,
      seq: r.seq,
      ack: r.ack,
      bytes: r.payloadLen,
      senderContinued: r.senderContinued,
      receiverContinued: r.receiverContinued,
      mptcp: mptcpReset(r.mptcp),
    });
  }
  return out;
}

/** A RST's MPTCP options (RstFact.mptcp) as the report's object; null when it carried none. */
export function mptcpReset(bits: number): MptcpResetReport | null {
  if (bits === 0) return null;
  return { fastClose: (bits & MPTCP_FAST_CLOSE) !== 0, reason: mptcpResetReason(bits) };
}

function mptcpResetReason(bits: number): MptcpResetReason | null {
  if (!(bits & MPTCP_TCPRST) || !(bits & MPTCP_REASON_KNOWN)) return null;
  const code = bits & 0xff;
  return MPTCP_RESET_REASONS[code] ?? `code-${code}`;
}
