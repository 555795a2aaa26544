/** TIME_WAIT entries and how each ended (SPEC section 4, TIME_WAIT). */
import type { Connection } from '../connections/connection.js';
import type { Side, Transition } from '../connections/endpoint.js';
import type { TimeWaitEnd, TimeWaitReport } from './types.js';
import { diffS } from '../time.js';

export function analyzeTimeWait(
  conn: Connection, hist: { client: Transition[]; server: Transition[] }, captureEndS: number,
): TimeWaitReport[] {
  const out: TimeWaitReport[] = [];
  for (const side of ['client', 'server'] as Side[]) {
    const h = hist[side];
    const peerFin = conn.endpoint(side === 'client' ? 'server' : 'client').fin;
    h.forEach((t, i) => {
      if (t.state !== 'TIME_WAIT') return;
      const next = h[i + 1];
      const end: TimeWaitEnd = !next ? 'open'
        : next.event === 'reused' ? 'reused'
        : next.event === 'time-wait-expired' ? 'expired'
        : 'reset';
      const endS = next ? next.s : null;
      const after = (c: { frame: number }) => t.frame !== null && c.frame > t.frame && (next?.frame == null || c.frame < next.frame);
      out.push({
        side,
        enteredS: t.s,
        enteredFrame: t.frame,
        end,
        endS,
        durationS: diffS(t.s, endS ?? captureEndS),
        // Why TIME_WAIT exists: the peer's FIN sent again (its ACK lost) and acknowledged again.
        finRetransmitsAnswered: (peerFin?.copies.slice(1) ?? [])
          .filter((c) => after(c) && c.answeredFrame !== null)
          .map((c) => ({ s: c.s, frame: c.frame, answeredS: c.answeredS })),
      });
    });
  }
  return out;
}
