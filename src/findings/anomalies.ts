/**
 * Flag combinations no correct TCP stack sends (SPEC section 4, anomalies), judged per packet.
 * Names follow the SPEC; Snort 3's decoder rules 116:400-423 flag the same patterns.
 */
import { ACK, FIN, PSH, RST, SYN, Segment, URG } from '../decode/segment.js';
import type { AnomalyKind } from './types.js';

const CLASSIC_FLAGS = FIN | SYN | RST | PSH | ACK | URG;

/**
 * The flag anomaly of a segment, or null. One kind per packet, most specific first: every
 * classic flag set counts as XMAS (it holds SYN+FIN too); reserved bits are judged separately.
 */
export function flagAnomaly(flags: number): AnomalyKind | null {
  const f = flags & CLASSIC_FLAGS;
  if (f === 0) return 'null';
  if (f === CLASSIC_FLAGS) return 'xmas';
  // nmap -sX: FIN+PSH+URG without ACK (Snort 116:422 "FIN/PSH/URG without ACK").
  if ((f & (FIN | PSH | URG)) === (FIN | PSH | URG) && !(f & (SYN | RST | ACK))) return 'xmas';
  if ((f & SYN) && (f & FIN)) return 'syn-fin';
  if ((f & SYN) && (f & RST)) return 'syn-rst';
  if ((f & FIN) && (f & RST)) return 'fin-rst';
  if ((f & FIN) && !(f & ACK)) return 'fin-no-ack';
  // After the handshake every segment carries ACK (RFC 9293 3.10.7.4); a bare RST is legal.
  if (!(f & (ACK | SYN | RST))) return 'no-ack';
  return null;
}

const NONE: readonly AnomalyKind[] = Object.freeze([]);

/**
 * The anomalies of `seg`, in the order they are reported. Asked for every packet: nearly always
 * none, so the common path returns one shared empty list (and the caller needs no closure).
 */
export function segmentAnomalies(seg: Segment): readonly AnomalyKind[] {
  const kind = flagAnomaly(seg.flags);
  if (seg.reservedBits !== 0) return kind === null ? ['reserved-bits'] : [kind, 'reserved-bits'];
  return kind === null ? NONE : [kind];
}
