/** How a connection closed (SPEC section 4, close). */
import type { Connection, RstFact } from '../connections/connection.js';
import type { Side } from '../connections/endpoint.js';
import type { Control } from '../connections/control.js';
import { TCP_STATES, type TcpCode } from '../connections/state.js';
import { diffS } from '../time.js';
import { orNull } from './handshake.js';
import { CLOSE_KINDS, type CloseKind, type CloseReport, type RetransmitReport } from './types.js';

/** The close kinds as numbers (their index in CLOSE_KINDS). */
export const enum CloseCode { FOUR_WAY, THREE_WAY, SIMULTANEOUS, RESET, FIN_THEN_RESET, INCOMPLETE, NONE }

/** Who closed: a side, both, or nobody. */
export const enum Initiator { NONE = -1, CLIENT = 0, SERVER = 1, BOTH = 2 }
export const INITIATORS: readonly (Side | 'both')[] = ['client', 'server', 'both'];

/** The close of one connection as numbers (null as NaN), refilled for each connection. */
export class CloseFacts {
  kind = CloseCode.NONE;
  initiator = Initiator.NONE;
  halfCloseBytes = 0;
  firstFinS = NaN;
  completeS = NaN;
  /** Which side sent the first FIN (Initiator.CLIENT or SERVER; NONE without FIN). */
  firstFinSide = Initiator.NONE;
  /** For an incomplete close: the states each side lingers in at capture end. */
  lingerClient = 0 as TcpCode;
  lingerServer = 0 as TcpCode;

  get kindName(): CloseKind {
    return CLOSE_KINDS[this.kind]!;
  }
}

/** `final`: each side's state at the end; `rst`: a RstFact to read the connection's RSTs into. */
export function analyzeClose(conn: Connection, c: CloseFacts, finalClient: TcpCode, finalServer: TcpCode, rst: RstFact): void {
  const clientFin = conn.client.fin;
  const serverFin = conn.server.fin;
  // The FINs in the order they were first sent.
  const clientFirst = clientFin !== null && (serverFin === null || clientFin.copyFrame(0) <= serverFin.copyFrame(0));
  const first = clientFirst ? clientFin : serverFin;
  const second = clientFirst ? serverFin : clientFin;
  c.firstFinSide = first === null ? Initiator.NONE : clientFirst ? Initiator.CLIENT : Initiator.SERVER;
  // A FIN is done when its last copy was acknowledged: an ACK followed by a retransmission of the
  // FIN was lost (the LAST_ACK lingering of the seed articles), so it does not complete the close.
  const finsDone = first !== null && second !== null && lastCopyAnswered(first) && lastCopyAnswered(second);
  const completeS = finsDone ? Math.max(answeredS(first), answeredS(second)) : NaN;
  const completeFrame = finsDone ? Math.max(answeredFrame(first), answeredFrame(second)) : Infinity;
  // The RST that ended it: the first one its receiver accepted (or that met no connection), unless
  // the FIN exchange had already completed (a late RST after a clean close does not change it), or
  // its receiver's own later segments showed it went on (it ended nothing). One that met no
  // connection and whose sender went on ended nothing either: a SYN_SENT socket refusing a stray
  // ACK (RFC 9293 3.10.7.3) keeps its connection and sends its SYN again.
  let rstFrame = NaN;
  let rstFrom: Side = 'client';
  for (let i = 0; i < conn.resetCount; i++) {
    const r = conn.reset(i, rst);
    if (r.acceptable !== false && r.frame < completeFrame && !r.receiverContinued && !(r.acceptable === null && r.senderContinued)) {
      rstFrame = r.frame;
      rstFrom = r.from;
      break;
    }
  }

  c.initiator = c.firstFinSide;
  if (rstFrame === rstFrame) {
    c.kind = first !== null && first.copyFrame(0) < rstFrame ? CloseCode.FIN_THEN_RESET : CloseCode.RESET;
    if (c.kind === CloseCode.RESET) c.initiator = rstFrom === 'client' ? Initiator.CLIENT : Initiator.SERVER;
  } else if (finsDone) {
    const secondFirstFrame = second.copyFrame(0);
    const firstAcked = first.ackedFrame!;
    if (firstAcked === secondFirstFrame) c.kind = CloseCode.THREE_WAY; // the second FIN carried the ACK
    else if (firstAcked < secondFirstFrame) c.kind = CloseCode.FOUR_WAY;
    else c.kind = CloseCode.SIMULTANEOUS; // both FINs sent before either was acknowledged
    if (c.kind === CloseCode.SIMULTANEOUS) c.initiator = Initiator.BOTH;
  } else {
    c.kind = first !== null ? CloseCode.INCOMPLETE : CloseCode.NONE;
  }
  // Half-close: what the passive side (the one that did not send the first FIN) sent after it.
  const passive = c.firstFinSide !== Initiator.NONE && c.kind !== CloseCode.SIMULTANEOUS
    ? (c.firstFinSide === Initiator.CLIENT ? conn.server : conn.client) : null;
  c.halfCloseBytes = passive?.bytesAfterPeerFin ?? 0;
  c.firstFinS = first !== null ? first.copyS(0) : NaN;
  c.completeS = rstFrame === rstFrame ? NaN : completeS;
  c.lingerClient = finalClient;
  c.lingerServer = finalServer;
}

/** The first FIN and the second (null where there is none), by the side that sent the first. */
export function finsInOrder(conn: Connection, c: CloseFacts): [Control | null, Control | null] {
  return c.firstFinSide === Initiator.SERVER ? [conn.server.fin, conn.client.fin] : [conn.client.fin, conn.server.fin];
}

function lastCopyAnswered(fin: Control): boolean {
  return fin.copyAnsweredFrame(fin.copyCount - 1) !== null;
}

function answeredS(fin: Control): number {
  return fin.copy(fin.copyCount - 1).answeredS!;
}

function answeredFrame(fin: Control): number {
  return fin.copyAnsweredFrame(fin.copyCount - 1)!;
}

/** The close as the report's object. */
export function closeReport(conn: Connection, c: CloseFacts): CloseReport {
  const [first, second] = finsInOrder(conn, c);
  const firstSide: Side = c.firstFinSide === Initiator.SERVER ? 'server' : 'client';
  const finRetransmits: RetransmitReport[] = [];
  if (first !== null) addFinRetransmits(finRetransmits, firstSide, first);
  if (second !== null) addFinRetransmits(finRetransmits, firstSide === 'client' ? 'server' : 'client', second);
  return {
    kind: c.kindName,
    initiator: c.initiator === Initiator.NONE ? null : INITIATORS[c.initiator]!,
    halfClose: c.halfCloseBytes > 0,
    halfCloseBytes: c.halfCloseBytes,
    firstFinS: orNull(c.firstFinS),
    completeS: orNull(c.completeS),
    finRetransmits,
    lingering: c.kind === CloseCode.INCOMPLETE ? { client: TCP_STATES[c.lingerClient]!, server: TCP_STATES[c.lingerServer]! } : null,
  };
}

/** Each retransmission of `fin` (its copies after the first), with the interval since the copy before. */
function addFinRetransmits(out: RetransmitReport[], side: Side, fin: Control): void {
  for (let i = 1; i < fin.copyCount; i++) {
    out.push({ side, s: fin.copyS(i), frame: fin.copyFrame(i), intervalS: diffS(fin.copyS(i - 1), fin.copyS(i)) });
  }
}
