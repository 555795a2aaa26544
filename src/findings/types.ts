/**
 * Stage 4 of the pipe: connections -> findings. These are the report's types: what the views
 * print and what `--json` carries (SPEC section 6; the shipped JSON Schema describes the same).
 * Times end in S and are seconds relative to the first packet of the input.
 */
import type { IcmpEffect } from '../connections/connection.js';
import type { Side } from '../connections/endpoint.js';
import type { TcpState } from '../connections/state.js';
import type { MPTCP_RESET_REASONS, MptcpOption } from '../decode/segment.js';

export type HandshakeKind =
  | 'complete' | 'refused' | 'no-reply' | 'half-open' | 'reset-by-client' | 'simultaneous-open'
  | 'midstream' | 'invalid';
export const HANDSHAKE_KINDS: readonly HandshakeKind[] = [
  'complete', 'refused', 'no-reply', 'half-open', 'reset-by-client', 'simultaneous-open', 'midstream', 'invalid',
];

export type CloseKind =
  | 'four-way' | 'three-way' | 'simultaneous' | 'reset' | 'fin-then-reset' | 'incomplete' | 'none';
export const CLOSE_KINDS: readonly CloseKind[] = [
  'four-way', 'three-way', 'simultaneous', 'reset', 'fin-then-reset', 'incomplete', 'none',
];

export type ResetKind = 'refused' | 'abort' | 'after-close' | 'scan' | 'out-of-window' | 'no-connection';
export const RESET_KINDS: readonly ResetKind[] = ['refused', 'abort', 'after-close', 'scan', 'out-of-window', 'no-connection'];

export type AnomalyKind =
  | 'syn-fin' | 'syn-rst' | 'fin-rst' | 'fin-no-ack' | 'null' | 'xmas' | 'no-ack' | 'reserved-bits';
export const ANOMALY_KINDS: readonly AnomalyKind[] = [
  'syn-fin', 'syn-rst', 'fin-rst', 'fin-no-ack', 'null', 'xmas', 'no-ack', 'reserved-bits',
];

export type TimeWaitEnd = 'reused' | 'expired' | 'open' | 'reset';

export interface Address {
  ip: string;
  port: number;
}

export interface OptionsReport {
  mss: number | null;
  windowScale: number | null;
  sackPermitted: boolean;
  timestamps: boolean;
  fastOpen: boolean;
  /** Multipath TCP (RFC 8684): the SYN opened an MPTCP connection or joined one as a further subflow. */
  mptcp: MptcpOption | null;
  /** The capture's snaplen cut the options: absent ones may have been offered. */
  truncated: boolean;
}

export interface HandshakeReport {
  kind: HandshakeKind;
  /** First SYN, first SYN/ACK, and the client's ACK that completed the handshake. */
  synS: number | null;
  synFrame: number | null;
  synAckS: number | null;
  synAckFrame: number | null;
  ackS: number | null;
  ackFrame: number | null;
  /** First SYN to the completing ACK (Wireshark's initial RTT). */
  rttS: number | null;
  /** The last SYN copy before the SYN/ACK, to that SYN/ACK: the server side of the RTT. */
  synToSynAckS: number | null;
  /** The last SYN/ACK copy before the ACK, to that ACK: the client side of the RTT. */
  synAckToAckS: number | null;
  synRetransmits: number[];
  synRetransmitIntervalsS: number[];
  synAckRetransmits: number[];
  synAckRetransmitIntervalsS: number[];
  options: { client: OptionsReport | null; server: OptionsReport | null };
  /**
   * An MPTCP subflow (MP_JOIN): the id of the connection that opened the MPTCP connection it
   * joined (its MP_CAPABLE handshake showed the key whose token the join names); null otherwise.
   */
  mptcpSubflowOf: number | null;
}

export interface RetransmitReport {
  side: Side;
  s: number;
  frame: number;
  /** Time since the previous copy of the same segment (the back-off interval). */
  intervalS: number;
}

export interface CloseReport {
  kind: CloseKind;
  initiator: Side | 'both' | null;
  /** Data still flowed from the passive side after the first FIN. */
  halfClose: boolean;
  halfCloseBytes: number;
  firstFinS: number | null;
  /** When the last FIN was acknowledged (the close complete on the wire). */
  completeS: number | null;
  finRetransmits: RetransmitReport[];
  /** For an incomplete close: the state each side lingers in at capture end. */
  lingering: { client: TcpState; server: TcpState } | null;
}

export interface ResetReport {
  s: number;
  frame: number;
  file: string;
  fileFrame: number;
  from: Side;
  kind: ResetKind;
  /** Acceptable to the receiver (RFC 5961 exact match, see the README); null if it held no connection. */
  inWindow: boolean | null;
  senderState: TcpState;
  receiverState: TcpState;
  seq: number;
  ack: number | null;
  bytes: number;
  /** The sender's own later segments went on with the connection: this RST did not close it (injected in its name, or one segment refused). */
  senderContinued: boolean;
  /** The receiver's later segments acknowledged what the sender sent after it: it never took this RST. */
  receiverContinued: boolean;
  /** The RST's MPTCP options (RFC 8684); null when it carried none. */
  mptcp: MptcpResetReport | null;
}

/**
 * MPTCP's word on a subflow's RST: MP_FASTCLOSE aborts the whole MPTCP connection (every subflow
 * is reset); MP_TCPRST gives this subflow's reason (null when it carried none, or the input does
 * not print it: tcpdump 4.99's text).
 */
export interface MptcpResetReport {
  fastClose: boolean;
  reason: MptcpResetReason | null;
}

/** RFC 8684 3.6's reason codes 0-6 by name; a code past them as `code-N`. */
export type MptcpResetReason = (typeof MPTCP_RESET_REASONS)[number] | `code-${number}`;

export interface TimeWaitReport {
  side: Side;
  enteredS: number;
  enteredFrame: number | null;
  end: TimeWaitEnd;
  /** When it ended; null while still open at capture end. */
  endS: number | null;
  /** How long it lasted; for `open`, a lower bound (capture end minus entry). */
  durationS: number;
  /** Peer FIN retransmissions that arrived in TIME_WAIT and were acknowledged again. */
  finRetransmitsAnswered: { s: number; frame: number; answeredS: number | null }[];
}

export interface StateEntry {
  state: TcpState;
  s: number;
  frame: number | null;
  event: string;
}

export interface NoteReport {
  kind: string;
  s: number;
  frame: number;
  from: Side;
  bytes: number;
}

/** An ICMP error about one of the connection's segments (Connection.icmpError). */
export interface IcmpReport {
  s: number;
  frame: number;
  file: string;
  fileFrame: number;
  /** The endpoint whose segment it quotes: the one it was sent to. */
  to: Side;
  /** Who sent it: a router or firewall on the way, or the peer's host. */
  sender: string;
  /** ICMP (IPv4) or ICMPv6 type and code, as on the wire. */
  type: number;
  code: number;
  /** Their name (icmpMessage). */
  message: string;
  /** The quoted sequence number; null where the input does not show it (tcpdump text). */
  seq: number | null;
  /** Whether it lay in what the endpoint had sent and not had acknowledged (what Linux checks); null: unknown. */
  acceptable: boolean | null;
  /** `closed`: it ended the endpoint's opening; `ignored`: it did, but the endpoint went on; `none`. */
  effect: IcmpEffect;
  /** The next-hop MTU a fragmentation needed (ICMP) or packet too big (ICMPv6) gives; null for other errors. */
  mtu: number | null;
}

/** ICMP errors by name: IPv4 type 3 codes 0-15, 11 and 12; ICMPv6 types 1 (codes 0-6), 2, 3, 4. */
const UNREACHABLE_V4 = ['net-unreachable', 'host-unreachable', 'protocol-unreachable', 'port-unreachable', 'fragmentation-needed', 'source-route-failed', 'net-unknown', 'host-unknown', 'host-isolated', 'net-prohibited', 'host-prohibited', 'net-tos-unreachable', 'host-tos-unreachable', 'admin-prohibited', 'host-precedence-violation', 'precedence-cutoff'];
const UNREACHABLE_V6 = ['no-route', 'admin-prohibited', 'beyond-scope', 'address-unreachable', 'port-unreachable', 'source-policy-failed', 'reject-route'];

/** The name of an ICMP error (`unreachable-code-N` and the like for codes without one). */
export function icmpMessage(ipVersion: 4 | 6, type: number, code: number): string {
  if (ipVersion === 4) {
    if (type === 3) return UNREACHABLE_V4[code] ?? `unreachable-code-${code}`;
    if (type === 11) return code === 1 ? 'reassembly-time-exceeded' : 'ttl-exceeded';
    if (type === 12) return 'parameter-problem';
    return `icmp-type-${type}`;
  }
  if (type === 1) return UNREACHABLE_V6[code] ?? `unreachable-code-${code}`;
  if (type === 2) return 'packet-too-big';
  if (type === 3) return code === 1 ? 'reassembly-time-exceeded' : 'hop-limit-exceeded';
  if (type === 4) return 'parameter-problem';
  return `icmp6-type-${type}`;
}

export interface AnomalyReport {
  kind: AnomalyKind;
  flags: string;
  frame: number;
  /** The file the packet came from and its frame there (they differ from `frame` when merging). */
  file: string;
  fileFrame: number;
  s: number;
  connection: number | null;
  from: Side | null;
  src: string;
  dst: string;
}

export interface Pair<T> {
  clientToServer: T;
  serverToClient: T;
}

export interface ConnectionReport {
  id: number;
  client: Address;
  server: Address;
  ipVersion: 4 | 6;
  midstream: boolean;
  firstS: number;
  lastS: number;
  firstFrame: number;
  lastFrame: number;
  file: string;
  packets: Pair<number>;
  bytes: Pair<number>;
  retransmits: Pair<number>;
  handshake: HandshakeReport;
  close: CloseReport;
  resets: ResetReport[];
  timeWait: TimeWaitReport[];
  states: { client: StateEntry[]; server: StateEntry[] };
  finalState: { client: TcpState; server: TcpState };
  timeInStateS: { client: Partial<Record<TcpState, number>>; server: Partial<Record<TcpState, number>> };
  anomalies: AnomalyReport[];
  notes: NoteReport[];
  icmp: IcmpReport[];
}
