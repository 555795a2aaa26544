/** How a connection closed (SPEC section 4, close). */
import type { Connection } from '../connections/connection.js';
import type { Side } from '../connections/endpoint.js';
import type { Control } from '../connections/control.js';
import type { TcpState } from '../connections/state.js';
import { intervals } from './handshake.js';
import type { CloseKind, CloseReport, RetransmitReport } from './types.js';

export function analyzeClose(conn: Connection, final: { client: TcpState; server: TcpState }): CloseReport {
  const fins: { side: Side; fin: Control }[] = [];
  if (conn.client.fin) fins.push({ side: 'client', fin: conn.client.fin });
  if (conn.server.fin) fins.push({ side: 'server', fin: conn.server.fin });
  fins.sort((a, b) => a.fin.copyFrame(0) - b.fin.copyFrame(0));
  const first = fins[0];
  const second = fins[1];
  // A FIN is done when its last copy was acknowledged: an ACK followed by a retransmission of the
  // FIN was lost (the LAST_ACK lingering of the seed articles), so it does not complete the close.
  const doneAt = (f: Control) => f.copy(f.copyCount - 1);
  const finsDone = second !== undefined && doneAt(first!.fin).answeredFrame !== null && doneAt(second.fin).answeredFrame !== null;
  const completeS = finsDone ? Math.max(doneAt(first!.fin).answeredS!, doneAt(second.fin).answeredS!) : null;
  const completeFrame = finsDone ? Math.max(doneAt(first!.fin).answeredFrame!, doneAt(second.fin).answeredFrame!) : Infinity;
  // The RST that ended it: the first one its receiver accepted (or that met no connection), unless
  // the FIN exchange had already completed (a late RST after a clean close does not change it).
  const rst = conn.resets.find((r) => r.acceptable !== false && r.frame < completeFrame);

  let kind: CloseKind;
  let initiator: Side | 'both' | null = first?.side ?? null;
  if (rst) {
    kind = first && first.fin.copyFrame(0) < rst.frame ? 'fin-then-reset' : 'reset';
    if (kind === 'reset') initiator = rst.from;
  } else if (finsDone) {
    const secondFirstFrame = second.fin.copyFrame(0);
    const firstAcked = first!.fin.ackedFrame!;
    if (firstAcked === secondFirstFrame) kind = 'three-way'; // the second FIN carried the ACK
    else if (firstAcked < secondFirstFrame) kind = 'four-way';
    else kind = 'simultaneous'; // both FINs sent before either was acknowledged
    if (kind === 'simultaneous') initiator = 'both';
  } else {
    kind = first ? 'incomplete' : 'none';
  }
  const passive = first && kind !== 'simultaneous' ? conn.endpoint(first.side === 'client' ? 'server' : 'client') : null;
  const halfCloseBytes = passive?.bytesAfterPeerFin ?? 0;
  return {
    kind,
    initiator,
    halfClose: halfCloseBytes > 0,
    halfCloseBytes,
    firstFinS: first?.fin.copyS(0) ?? null,
    completeS: rst ? null : completeS,
    finRetransmits: fins.flatMap(({ side, fin }) => finRetransmits(side, fin)),
    lingering: kind === 'incomplete' ? final : null,
  };
}

function finRetransmits(side: Side, fin: Control): RetransmitReport[] {
  const gaps = intervals(fin);
  return fin.copies.slice(1).map((c, i) => ({ side, s: c.s, frame: c.frame, intervalS: gaps[i]! }));
}
