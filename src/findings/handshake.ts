/** How a connection opened (SPEC section 4, handshake). */
import type { Connection, RstFact } from '../connections/connection.js';
import type { Endpoint } from '../connections/endpoint.js';
import type { Control } from '../connections/control.js';
import { HANDSHAKE_KINDS, type HandshakeKind, type HandshakeReport, type OptionsReport } from './types.js';
import { diffS } from '../time.js';

/** The handshake kinds as numbers (their index in HANDSHAKE_KINDS). */
export const enum HandshakeCode { COMPLETE, REFUSED, NO_REPLY, HALF_OPEN, RESET_BY_CLIENT, SIMULTANEOUS_OPEN, MIDSTREAM, INVALID }

/**
 * The handshake of one connection as numbers (null as NaN), refilled for each connection. The
 * retransmissions and options are read from the connection itself (see handshakeReport).
 */
export class HandshakeFacts {
  kind = HandshakeCode.COMPLETE;
  synS = NaN;
  synFrame = NaN;
  synAckS = NaN;
  synAckFrame = NaN;
  ackS = NaN;
  ackFrame = NaN;
  rttS = NaN;
  synToSynAckS = NaN;
  synAckToAckS = NaN;

  get kindName(): HandshakeKind {
    return HANDSHAKE_KINDS[this.kind]!;
  }
}

/** `rst`: a RstFact to read the connection's RSTs into. */
export function analyzeHandshake(conn: Connection, h: HandshakeFacts, rst: RstFact): void {
  const syn = conn.client.syn;
  const synAck = conn.server.synAck;
  const completed = synAck !== null && conn.server.synAckProven && synAckValid(synAck, conn.client) && !ackedAfterGivingUp(conn, synAck);
  h.kind = handshakeKind(conn, rst);
  h.ackS = completed ? synAck.ackedS! : NaN;
  h.ackFrame = completed ? synAck.ackedFrame! : NaN;
  h.synS = syn !== null ? syn.copyS(0) : NaN;
  h.synFrame = syn !== null ? syn.copyFrame(0) : NaN;
  h.synAckS = synAck !== null ? synAck.copyS(0) : NaN;
  h.synAckFrame = synAck !== null ? synAck.copyFrame(0) : NaN;
  h.rttS = h.synS === h.synS && h.ackS === h.ackS ? diffS(h.synS, h.ackS) : NaN;
  h.synToSynAckS = syn !== null && synAck !== null ? syn.sinceLastCopyBefore(synAck.copyFrame(0), synAck.copyS(0)) : NaN;
  h.synAckToAckS = synAck !== null && completed ? synAck.sinceLastCopyBefore(h.ackFrame, h.ackS) : NaN;
}

function handshakeKind(conn: Connection, rst: RstFact): HandshakeCode {
  const { client, server } = conn;
  const syn = client.syn;
  if (syn !== null && server.syn !== null) return HandshakeCode.SIMULTANEOUS_OPEN;
  if (syn === null) return HandshakeCode.MIDSTREAM;
  const synAck = server.synAck;
  if (synAck !== null && !synAckValid(synAck, client)) return HandshakeCode.INVALID;
  // A one-sided capture: the client went on as established, so the unseen SYN/ACK did come.
  if (synAck === null && conn.synAckNotCaptured) return HandshakeCode.COMPLETE;
  if (synAck !== null && server.synAckProven && !ackedAfterGivingUp(conn, synAck)) return HandshakeCode.COMPLETE;
  const synAckFrame = synAck?.copyFrame(0) ?? Infinity;
  const synFrame = syn.copyFrame(0);
  // A RST from the server before any SYN/ACK answers the SYN: nobody listens (or a firewall rejects).
  if (anyReset(conn, rst, 'server', synFrame, synAckFrame)) return HandshakeCode.REFUSED;
  if (synAck === null) return HandshakeCode.NO_REPLY;
  // SYN, SYN/ACK, RST from the client: the signature of a half-open (SYN) scan.
  if (anyReset(conn, rst, 'client', synAckFrame, Infinity)) return HandshakeCode.RESET_BY_CLIENT;
  return HandshakeCode.HALF_OPEN;
}

/**
 * Whether the SYN/ACK was acknowledged only after the server had given its request up (its
 * SYN/ACK retransmissions ran out first): the ACK found no socket, and the handshake stayed
 * half-open where it mattered.
 */
function ackedAfterGivingUp(conn: Connection, synAck: Control): boolean {
  const gaveUpS = conn.gaveUpS('server');
  return gaveUpS === gaveUpS && synAck.ackedS! > gaveUpS;
}

/** Whether `from` sent a RST strictly between frames `after` and `before`. */
function anyReset(conn: Connection, rst: RstFact, from: 'client' | 'server', after: number, before: number): boolean {
  for (let i = 0; i < conn.resetCount; i++) {
    const r = conn.reset(i, rst);
    if (r.from === from && r.frame > after && r.frame < before) return true;
  }
  return false;
}

/** A SYN/ACK is valid when it acknowledges the client's SYN (and, with TCP Fast Open, its data). */
function synAckValid(synAck: Control, client: Endpoint): boolean {
  return client.acknowledgesOpening(synAck.copyAck(0));
}

/** The handshake as the report's object. */
export function handshakeReport(conn: Connection, h: HandshakeFacts): HandshakeReport {
  const syn = conn.client.syn;
  const synAck = conn.server.synAck;
  return {
    kind: h.kindName,
    synS: orNull(h.synS),
    synFrame: orNull(h.synFrame),
    synAckS: orNull(h.synAckS),
    synAckFrame: orNull(h.synAckFrame),
    ackS: orNull(h.ackS),
    ackFrame: orNull(h.ackFrame),
    rttS: orNull(h.rttS),
    synToSynAckS: orNull(h.synToSynAckS),
    synAckToAckS: orNull(h.synAckToAckS),
    synRetransmits: retransmitTimes(syn),
    synRetransmitIntervalsS: intervals(syn),
    synAckRetransmits: retransmitTimes(synAck),
    synAckRetransmitIntervalsS: intervals(synAck),
    options: { client: options(conn.client), server: options(conn.server) },
    mptcpSubflowOf: conn.mptcpSubflowOf || null,
  };
}

export function retransmitTimes(ctl: Control | null): number[] {
  const out: number[] = [];
  for (let i = 1; ctl !== null && i < ctl.copyCount; i++) out.push(ctl.copyS(i));
  return out;
}

/** The interval before each retransmission of `ctl` (its back-off). */
export function intervals(ctl: Control | null): number[] {
  const out: number[] = [];
  for (let i = 1; ctl !== null && i < ctl.copyCount; i++) out.push(diffS(ctl.copyS(i - 1), ctl.copyS(i)));
  return out;
}

export function options(e: Endpoint): OptionsReport | null {
  const o = e.options;
  return o ? { mss: o.mss, windowScale: o.windowScale, sackPermitted: o.sackPermitted, timestamps: o.timestamps, fastOpen: o.fastOpen, mptcp: o.mptcp, truncated: o.truncated } : null;
}

/** NaN (none) as null. */
export function orNull(x: number): number | null {
  return x !== x ? null : x;
}
