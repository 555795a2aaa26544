/**
 * Stage 2 of the pipe: records -> segments.
 *
 * A segment is the TCP header of one packet plus the few IP facts the tracker needs. Decoders fill
 * one reusable Segment per packet (no per-packet objects beyond the address strings), and the
 * connections stage copies what it keeps.
 */

/** TCP flag bits as they sit in the 9-bit flags field (RFC 9293, AE from RFC 9768 AccECN). */
export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;
export const ECE = 0x40;
export const CWR = 0x80;
export const AE = 0x100;

export interface TcpOptions {
  mss: number | null;
  windowScale: number | null;
  sackPermitted: boolean;
  timestamps: boolean;
  /** A TCP Fast Open cookie option (kind 34, or the experimental 254/0xF989) was present. */
  fastOpen: boolean;
  /** The snaplen cut the options: what is absent above may have been offered all the same. */
  truncated: boolean;
}

export interface Segment {
  /** 1-based position in the input: in the file, or in the merged capture when several are read. */
  frame: number;
  fileIndex: number;
  /** 1-based position within its own file (equal to `frame` for a single file). */
  fileFrame: number;
  tsSec: number;
  tsNsec: number;
  /** Seconds since the first packet of the input; set by the pipe once the segment is decoded. */
  s: number;
  ipVersion: 4 | 6;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  /** Sequence and acknowledgment numbers, unsigned 32-bit, as on the wire. */
  seq: number;
  ack: number;
  /** FIN..CWR plus AE, see the constants above. */
  flags: number;
  /** The three reserved header bits (no correct stack sets them). */
  reservedBits: number;
  window: number;
  /** TCP payload length on the wire (from the IP lengths, not from what the snaplen kept). */
  payloadLen: number;
  /** Parsed only for segments carrying SYN, where the handshake options live. */
  options: TcpOptions | null;
  /** True when the snaplen cut the TCP header's options. */
  truncated: boolean;
}

export function newSegment(): Segment {
  return {
    frame: 0, fileIndex: 0, fileFrame: 0, tsSec: 0, tsNsec: 0, s: 0, ipVersion: 4, src: '', dst: '', srcPort: 0,
    dstPort: 0, seq: 0, ack: 0, flags: 0, reservedBits: 0, window: 0, payloadLen: 0, options: null,
    truncated: false,
  };
}

/** Flags written the way tcpdump writes them: `F S R P . U E W`, `e` for AE, `none` for no flag. */
export function flagString(flags: number): string {
  let out = '';
  if (flags & FIN) out += 'F';
  if (flags & SYN) out += 'S';
  if (flags & RST) out += 'R';
  if (flags & PSH) out += 'P';
  if (flags & ACK) out += '.';
  if (flags & URG) out += 'U';
  if (flags & ECE) out += 'E';
  if (flags & CWR) out += 'W';
  if (flags & AE) out += 'e';
  return out === '' ? 'none' : out;
}

/** Sequence-space length of a segment: payload plus one for SYN and one for FIN (RFC 9293 3.4). */
export function segmentLength(seg: Segment): number {
  return seg.payloadLen + (seg.flags & SYN ? 1 : 0) + (seg.flags & FIN ? 1 : 0);
}
