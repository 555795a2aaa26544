/** Every RST of a connection, with what it was (SPEC section 4, resets). */
import type { Connection, RstFact } from '../connections/connection.js';
import { Transition, stateBefore } from '../connections/endpoint.js';
import { TcpState, isSynchronized } from '../connections/state.js';
import type { ResetKind, ResetReport } from './types.js';

const CLOSING_STATES: ReadonlySet<TcpState> = new Set(['FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSING', 'LAST_ACK', 'TIME_WAIT']);

export function analyzeResets(
  conn: Connection, hist: { client: Transition[]; server: Transition[] }, fileName: (i: number) => string,
): ResetReport[] {
  return conn.resets.map((r) => {
    const senderHist = r.from === 'client' ? hist.client : hist.server;
    const receiverHist = r.from === 'client' ? hist.server : hist.client;
    const senderState = stateBefore(senderHist, r.frame, r.s);
    const receiverState = stateBefore(receiverHist, r.frame, r.s);
    return {
      s: r.s,
      frame: r.frame,
      file: fileName(r.fileIndex),
      fileFrame: r.fileFrame,
      from: r.from,
      kind: resetKind(conn, r, senderState, receiverState, hist),
      inWindow: r.acceptable,
      senderState,
      receiverState,
      seq: r.seq,
      ack: r.ack,
      bytes: r.payloadLen,
    };
  });
}

function resetKind(
  conn: Connection, r: RstFact, senderState: TcpState, receiverState: TcpState,
  hist: { client: Transition[]; server: Transition[] },
): ResetKind {
  if (r.acceptable === false) return 'out-of-window';
  const synAckFrame = conn.server.synAck?.copyFrame(0) ?? Infinity;
  // The server answers the client's SYN with RST: nobody listens on that port.
  if (r.from === 'server' && receiverState === 'SYN_SENT' && r.frame < synAckFrame) return 'refused';
  // SYN, SYN/ACK, then RST from the client instead of the ACK: a half-open (SYN) scan.
  if (r.from === 'client' && senderState === 'SYN_SENT' && synAckFrame < r.frame) return 'scan';
  if (senderState === 'CLOSED' || senderState === 'LISTEN') {
    // The sender holds no connection: it answers a segment for one that is gone, or never was.
    return everSynchronized(hist, r.frame) ? 'after-close' : 'no-connection';
  }
  // The sender had closed (sent its FIN) and the peer then sent data or a FIN it can no longer take.
  const senderFin = conn.endpoint(r.from).fin;
  if (CLOSING_STATES.has(senderState) && senderFin && r.answersFrame > senderFin.copyFrame(0)) return 'after-close';
  return 'abort';
}

function everSynchronized(hist: { client: Transition[]; server: Transition[] }, frame: number): boolean {
  const reached = (h: Transition[]) => h.some((t) => (t.frame === null || t.frame < frame) && isSynchronized(t.state));
  return reached(hist.client) || reached(hist.server);
}
