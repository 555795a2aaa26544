/** Each endpoint's final state and time spent in each state (SPEC section 4, states); the transitions are its history. */
import type { Transition } from '../connections/endpoint.js';
import type { TcpState } from '../connections/state.js';
import { diffS, sumS } from '../time.js';

export function finalState(h: Transition[]): TcpState {
  return h[h.length - 1]!.state;
}

/**
 * Seconds spent in each state entered after the first sighting, up to the capture's end. The
 * initial state (assumed, not observed) and a final CLOSED (no socket any more) are not counted.
 */
export function timeInState(h: Transition[], captureEndS: number): Partial<Record<TcpState, number>> {
  const out: Partial<Record<TcpState, number>> = {};
  for (let i = 1; i < h.length; i++) {
    const t = h[i]!;
    const next = h[i + 1];
    if (!next && t.state === 'CLOSED') continue;
    out[t.state] = sumS(out[t.state] ?? 0, Math.max(0, diffS(t.s, next ? next.s : captureEndS)));
  }
  return out;
}
