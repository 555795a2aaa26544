/** TIME_WAIT entries and how each ended (SPEC section 4, TIME_WAIT). */
import type { Connection } from '../connections/connection.js';
import type { Control } from '../connections/control.js';
import { EventCode, TcpCode } from '../connections/state.js';
import type { History } from '../connections/endpoint.js';
import type { TimeWaitEnd, TimeWaitReport } from './types.js';
import { diffS } from '../time.js';
import { orNull } from './handshake.js';
import { grown } from '../typed-arrays.js';

export const TIME_WAIT_ENDS: readonly TimeWaitEnd[] = ['reused', 'expired', 'open', 'reset'];
export const enum TimeWaitEndCode { REUSED, EXPIRED, OPEN, RESET }

/**
 * Each TIME_WAIT entry of one connection, refilled for each: its side (0 client, 1 server), the
 * index of its entry in that side's history, how and when it ended (NaN: open), how long it
 * lasted, and which retransmissions of the peer's FIN it answered (copy indices, `answered` from
 * `answeredFrom[i]` to `answeredFrom[i + 1]`). Typed arrays kept from one connection to the next:
 * emptying a list (length = 0) let go of its memory, and seven lists made again per connection
 * were a sixth of what a run allocated.
 */
export class TimeWaitFacts {
  count = 0;
  side = new Uint8Array(4);
  entry = new Int32Array(4);
  end = new Uint8Array(4);
  endS = new Float64Array(4);
  durationS = new Float64Array(4);
  answeredFrom = new Int32Array(5);
  answered = new Int32Array(4);
  answeredCount = 0;

  clear(): void {
    this.count = 0;
    this.answeredCount = 0;
  }

  /** Adds an entry (its answered copies are pushed before, with `answer`). */
  push(side: number, entry: number, end: number, endS: number, durationS: number): void {
    const i = this.count;
    if (i === this.side.length) this.grow();
    this.side[i] = side;
    this.entry[i] = entry;
    this.end[i] = end;
    this.endS[i] = endS;
    this.durationS[i] = durationS;
    this.answeredFrom[i + 1] = this.answeredCount;
    this.count = i + 1;
  }

  /** One of the peer's FIN copies answered during the entry being added. */
  answer(copy: number): void {
    if (this.answeredCount === this.answered.length) this.answered = grown(this.answered, this.answered.length * 2);
    this.answered[this.answeredCount++] = copy;
  }

  private grow(): void {
    const n = this.side.length * 2;
    this.side = grown(this.side, n);
    this.entry = grown(this.entry, n);
    this.end = grown(this.end, n);
    this.endS = grown(this.endS, n);
    this.durationS = grown(this.durationS, n);
    this.answeredFrom = grown(this.answeredFrom, n + 1);
  }
}

export function analyzeTimeWait(conn: Connection, out: TimeWaitFacts, client: History, server: History, captureEndS: number): void {
  out.clear();
  addEntries(out, 0, client, conn.server.fin, captureEndS);
  addEntries(out, 1, server, conn.client.fin, captureEndS);
}

/** Each TIME_WAIT in `h` (the history of `side`), with the peer's FIN retransmissions it answered. */
function addEntries(out: TimeWaitFacts, side: number, h: History, peerFin: Control | null, captureEndS: number): void {
  for (let i = 0; i < h.length; i++) {
    if (h.state[i] !== TcpCode.TIME_WAIT) continue;
    const last = i + 1 >= h.length;
    const nextEvent = last ? -1 : h.event[i + 1]!;
    const end = last ? TimeWaitEndCode.OPEN
      : nextEvent === EventCode.REUSED ? TimeWaitEndCode.REUSED
      : nextEvent === EventCode.TIME_WAIT_EXPIRED ? TimeWaitEndCode.EXPIRED
      : TimeWaitEndCode.RESET;
    const endS = last ? NaN : h.s[i + 1]!;
    // Why TIME_WAIT exists: the peer's FIN sent again (its ACK lost) and acknowledged again. The
    // retransmissions (copies after the first) that came while it lasted and were answered.
    const from = h.frame[i]!;
    const until = last ? NaN : h.frame[i + 1]!;
    if (peerFin !== null && from === from) {
      for (let k = 1; k < peerFin.copyCount; k++) {
        const frame = peerFin.copyFrame(k);
        if (frame > from && (until !== until || frame < until) && peerFin.copyAnsweredFrame(k) !== null) out.answer(k);
      }
    }
    out.push(side, i, end, endS, diffS(h.s[i]!, last ? captureEndS : endS));
  }
}

/** The entries as the report's objects (`h` the histories by side, `fin` the FINs by side). */
export function timeWaitReports(conn: Connection, t: TimeWaitFacts, client: History, server: History): TimeWaitReport[] {
  const out: TimeWaitReport[] = [];
  for (let i = 0; i < t.count; i++) {
    const h = t.side[i] === 0 ? client : server;
    const peerFin = t.side[i] === 0 ? conn.server.fin : conn.client.fin;
    const entered = h.frame[t.entry[i]!]!;
    const answered: TimeWaitReport['finRetransmitsAnswered'] = [];
    for (let k = t.answeredFrom[i]!; k < t.answeredFrom[i + 1]!; k++) {
      const c = peerFin!.copy(t.answered[k]!);
      answered.push({ s: c.s, frame: c.frame, answeredS: c.answeredS });
    }
    out.push({
      side: t.side[i] === 0 ? 'client' : 'server',
      enteredS: h.s[t.entry[i]!]!,
      enteredFrame: orNull(entered),
      end: TIME_WAIT_ENDS[t.end[i]!]!,
      endS: orNull(t.endS[i]!),
      durationS: t.durationS[i]!,
      finRetransmitsAnswered: answered,
    });
  }
  return out;
}
