/** Each endpoint's final state and time spent in each state (SPEC section 4, states); the transitions are its history. */
import type { History } from '../connections/endpoint.js';
import { TCP_STATES, TcpCode, type TcpState } from '../connections/state.js';
import { diffS, sumS } from '../time.js';

/**
 * Seconds spent in each state, in the order the states were first entered: `order[0..count)` are
 * state codes, `seconds[code]` their totals. Refilled for each connection.
 */
export class TimeInState {
  count = 0;
  readonly order = new Uint8Array(TCP_STATES.length);
  readonly seconds = new Float64Array(TCP_STATES.length);

  /** As the report's object (keys in the order first entered). */
  record(): Partial<Record<TcpState, number>> {
    const out: Partial<Record<TcpState, number>> = {};
    for (let i = 0; i < this.count; i++) out[TCP_STATES[this.order[i]!]!] = this.seconds[this.order[i]!]!;
    return out;
  }
}

/**
 * Seconds spent in each state entered after the first sighting, up to the capture's end. The
 * initial state (assumed, not observed) and a final CLOSED (no socket any more) are not counted.
 */
export function timeInState(h: History, captureEndS: number, out: TimeInState): void {
  out.count = 0;
  out.seconds.fill(-1);
  for (let i = 1; i < h.length; i++) {
    const state = h.state[i]!;
    const last = i + 1 >= h.length;
    if (last && state === TcpCode.CLOSED) continue;
    const spent = Math.max(0, diffS(h.s[i]!, last ? captureEndS : h.s[i + 1]!));
    const before = out.seconds[state]!;
    if (before < 0) {
      out.order[out.count++] = state;
      out.seconds[state] = sumS(0, spent);
    } else out.seconds[state] = sumS(before, spent);
  }
}
