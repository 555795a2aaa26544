/** How a connection opened (SPEC section 4, handshake). */
import type { Connection } from '../connections/connection.js';
import type { Endpoint } from '../connections/endpoint.js';
import type { Control } from '../connections/control.js';
import type { HandshakeKind, HandshakeReport, OptionsReport } from './types.js';
import { diffS } from '../time.js';

export function analyzeHandshake(conn: Connection): HandshakeReport {
  const syn = conn.client.syn;
  const synAck = conn.server.synAck;
  const completed = synAck !== null && conn.server.synAckProven && synAckValid(synAck, conn.client);
  const ackS = completed ? synAck.ackedS : null;
  const ackFrame = completed ? synAck.ackedFrame : null;
  const synS = syn?.copyS(0) ?? null;
  const synAckS = synAck?.copyS(0) ?? null;
  return {
    kind: handshakeKind(conn),
    synS,
    synFrame: syn?.copyFrame(0) ?? null,
    synAckS,
    synAckFrame: synAck?.copyFrame(0) ?? null,
    ackS,
    ackFrame,
    rttS: synS !== null && ackS !== null ? diffS(synS, ackS) : null,
    synToSynAckS: syn && synAck ? gapToLastBefore(syn, synAck.copyFrame(0), synAck.copyS(0)) : null,
    synAckToAckS: synAck && ackFrame !== null && ackS !== null ? gapToLastBefore(synAck, ackFrame, ackS) : null,
    synRetransmits: retransmitTimes(syn),
    synRetransmitIntervalsS: intervals(syn),
    synAckRetransmits: retransmitTimes(synAck),
    synAckRetransmitIntervalsS: intervals(synAck),
    options: { client: options(conn.client), server: options(conn.server) },
  };
}

function handshakeKind(conn: Connection): HandshakeKind {
  const { client, server } = conn;
  if (client.syn !== null && server.syn !== null) return 'simultaneous-open';
  if (client.syn === null) return 'midstream';
  const synAck = server.synAck;
  if (synAck !== null && !synAckValid(synAck, client)) return 'invalid';
  // A one-sided capture: the client went on as established, so the unseen SYN/ACK did come.
  if (synAck === null && conn.notes.some((n) => n.kind === 'syn-ack-not-captured')) return 'complete';
  if (synAck !== null && server.synAckProven) return 'complete';
  const synAckFrame = synAck?.copyFrame(0) ?? Infinity;
  const synFrame = client.syn.copyFrame(0);
  // A RST from the server before any SYN/ACK answers the SYN: nobody listens (or a firewall rejects).
  if (conn.resets.some((r) => r.from === 'server' && r.frame > synFrame && r.frame < synAckFrame)) return 'refused';
  if (synAck === null) return 'no-reply';
  // SYN, SYN/ACK, RST from the client: the signature of a half-open (SYN) scan.
  if (conn.resets.some((r) => r.from === 'client' && r.frame > synAckFrame)) return 'reset-by-client';
  return 'half-open';
}

/** A SYN/ACK is valid when it acknowledges the client's SYN (and, with TCP Fast Open, its data). */
function synAckValid(synAck: Control, client: Endpoint): boolean {
  return client.acknowledgesOpening(synAck.copyAck(0));
}

/** Time from the last copy of `ctl` sent before `frame`, to `s`. */
function gapToLastBefore(ctl: Control, frame: number, s: number): number | null {
  let last: number | null = null;
  for (let i = 0; i < ctl.copyCount; i++) if (ctl.copyFrame(i) < frame) last = ctl.copyS(i);
  return last === null ? null : diffS(last, s);
}

export function retransmitTimes(ctl: Control | null): number[] {
  const out: number[] = [];
  for (let i = 1; ctl !== null && i < ctl.copyCount; i++) out.push(ctl.copyS(i));
  return out;
}

export function intervals(ctl: Control | null): number[] {
  if (!ctl) return [];
  const out: number[] = [];
  for (let i = 1; i < ctl.copyCount; i++) out.push(diffS(ctl.copyS(i - 1), ctl.copyS(i)));
  return out;
}

function options(e: Endpoint): OptionsReport | null {
  const o = e.options;
  return o ? { mss: o.mss, windowScale: o.windowScale, sackPermitted: o.sackPermitted, timestamps: o.timestamps, fastOpen: o.fastOpen, truncated: o.truncated } : null;
}
