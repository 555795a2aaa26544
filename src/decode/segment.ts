/**
 * Stage 2 of the pipe: records -> segments.
 *
 * A segment is the TCP header of one packet plus the few IP facts the tracker needs. Decoders fill
 * one reusable Segment per packet (no per-packet objects or strings), and the connections stage
 * copies what it keeps.
 */
import { formatAddress, parseAddress } from './addr.js';

/**
 * Linux packet types (SLL's pkttype: PACKET_HOST, _BROADCAST, _MULTICAST, _OTHERHOST, _OUTGOING),
 * as tcpdump -i any prints them: In, B, M, P, Out.
 */
export const enum Direction { IN = 0, BROADCAST = 1, MULTICAST = 2, OTHER_HOST = 3, OUT = 4 }

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

/** How a SYN takes part in Multipath TCP (RFC 8684 3.1, 3.2). */
export type MptcpOption = 'capable' | 'join';

/**
 * What a RST's MPTCP options say (Segment.mptcpRst, RFC 8684 3.5, 3.6): MP_FASTCLOSE (the whole
 * MPTCP connection is aborted, every subflow reset), MP_TCPRST (this subflow alone is reset), and
 * with MPTCP_REASON_KNOWN the MP_TCPRST's reason code in the low byte (tcpdump 4.99's text does
 * not print it). 0: neither option.
 */
export const MPTCP_FAST_CLOSE = 0x100;
export const MPTCP_TCPRST = 0x200;
export const MPTCP_REASON_KNOWN = 0x400;
/** MP_TCPRST reason codes (RFC 8684 3.6, IANA "MPTCP TCPRST Reason Codes"), by code. */
export const MPTCP_RESET_REASONS = [
  'unspecified', 'mptcp-error', 'lack-of-resources', 'administratively-prohibited',
  'too-much-outstanding-data', 'unacceptable-performance', 'middlebox-interference',
] as const;

export interface TcpOptions {
  mss: number | null;
  windowScale: number | null;
  sackPermitted: boolean;
  timestamps: boolean;
  /** A TCP Fast Open cookie option (kind 34, or the experimental 254/0xF989) was present. */
  fastOpen: boolean;
  /**
   * Multipath TCP (RFC 8684, option 30): the SYN opens an MPTCP connection (MP_CAPABLE) or a
   * further subflow of one (MP_JOIN); null for plain TCP.
   */
  mptcp: MptcpOption | null;
  /** The snaplen cut the options: what is absent above may have been offered all the same. */
  truncated: boolean;
}

/** A SYN's options before any is read: none offered. */
export function noOptions(truncated = false): TcpOptions {
  return { mss: null, windowScale: null, sackPermitted: false, timestamps: false, fastOpen: false, mptcp: null, truncated };
}

/**
 * One packet's TCP segment. Decoders fill one reused instance per packet; whoever keeps one copies
 * it (`clone`). Addresses live as numbers (`addrs`); their text is written only when asked for.
 */
export class Segment {
  /** 1-based position in the input: in the file, or in the merged capture when several are read. */
  frame = 0;
  fileIndex = 0;
  /** 1-based position within its own file (equal to `frame` for a single file). */
  fileFrame = 0;
  tsSec = 0;
  tsNsec = 0;
  /** Seconds since the first packet of the input; set by the pipe once the segment is decoded. */
  s = 0;
  ipVersion: 4 | 6 = 4;
  /**
   * Source address in words 0-3, destination in 4-7, 32 bits each, network order (IPv4: word 3,
   * the others 0). The tracker hashes and compares these: no string per packet.
   */
  readonly addrs = new Uint32Array(8);
  srcPort = 0;
  dstPort = 0;
  /** Sequence and acknowledgment numbers, unsigned 32-bit, as on the wire. */
  seq = 0;
  ack = 0;
  /** FIN..CWR plus AE, see the constants above. */
  flags = 0;
  /** The three reserved header bits (no correct stack sets them). */
  reservedBits = 0;
  window = 0;
  /** TCP payload length on the wire (from the IP lengths, not from what the snaplen kept). */
  payloadLen = 0;
  /** Parsed only for segments carrying SYN, where the handshake options live. */
  options: TcpOptions | null = null;
  /** True when the snaplen cut the TCP header's options. */
  truncated = false;
  /**
   * The RFC 7323 timestamp value (TSval) it carried, and the echo reply (TSecr); -1: none. A
   * TIME_WAIT's test of a new SYN compares TSvals (tcp_timewait_state_process); without an IPv4
   * identification the TSval tells a reordered first copy from a retransmission
   * (Connection.capturedLate); the sender's clock dates a FIN the capture missed, from the TSecr
   * that echoes it (Connection.finNotCaptured).
   */
  tsVal = -1;
  tsEcr = -1;
  /**
   * A D-SACK (RFC 2883): the first SACK block of an ACK when it lies below the cumulative ack,
   * reporting a segment received twice; -1 when there is none. Its left and right edges.
   */
  dsackLeft = -1;
  dsackRight = -1;
  /**
   * It carries a TCP-MD5 signature (RFC 2385, option 19) or a TCP-AO MAC (RFC 5925, option 29):
   * its sender holds a key for its peer, and discards whatever arrives unsigned
   * (Connection.discardsUnsigned).
   */
  signed = false;
  /** On a RST: MPTCP_FAST_CLOSE and MPTCP_TCPRST | reason, as its options hold them (0: none). */
  mptcpRst = 0;
  /**
   * On a SYN with MPTCP options (mptcp.ts): an MP_CAPABLE SYN's or SYN/ACK's sender's token (from
   * the key it carries; RFC 8684's SYN carries none), or the token an MP_JOIN SYN names: the
   * connection it joins. -1: none.
   */
  mptcpToken = -1;
  /** The IPv4 identification field (-1: IPv6, or not printed in tcpdump text without -v). */
  ipId = -1;
  /**
   * The TCP checksum field as it was captured (-1: not printed in tcpdump text without -v): two
   * copies of one packet carry the same, a segment sent again with other bytes another (CopyFilter).
   */
  checksum = -1;
  /**
   * Which way the packet went past the capturing interface, as Linux's "any" device records it
   * (SLL packet type; tcpdump -i any prints it): a Direction, -1 when the capture does not
   * say. The same packet seen twice with two directions was captured twice (copies.ts).
   */
  direction = -1;
  /**
   * Where it was captured, as far as the capture tells places apart: SLL2's interface index (in
   * tcpdump -i any text, a number for the interface's name), combined with the pcapng interface
   * and the file when there are several (pipeline.ts, placeOf); -1 when it does not.
   */
  iface = -1;
  /**
   * Not a TCP segment but an ICMP error about one (decoders set it; -1 for a segment): the ICMP
   * type << 8 | code, of ICMPv6 when `ipVersion` is 6. Then the addresses, ports and `seq` are the
   * quoted segment's (its sender first: the endpoint the error was sent to), `seq` NaN when the
   * input does not show it (tcpdump text), and `icmpSender` holds the words of whoever sent the
   * error (a router, a firewall, the peer's host), as `addrs` does (IPv4 in word 3).
   */
  icmp = -1;
  readonly icmpSender = new Uint32Array(4);
  /** The next-hop MTU a fragmentation needed (ICMP) or packet too big (ICMPv6) error gives (NaN: none). */
  icmpMtu = NaN;
  /**
   * On an IP fragment of a TCP datagram (the decoders set these, defrag.ts puts the datagram
   * together): where its data lies in the datagram, in bytes (-1: not such a fragment), whether
   * more follow (1: MF or IPv6's M flag set, 0: the last, -1: the input does not say, as
   * tcpdump's text of an IPv6 fragment header), the datagram's identification, its data's length
   * as its IP header says (fragLen) and, from a binary capture, where that data lies in the
   * record's bytes as captured: [fragStart, fragEnd). The first fragment (offset 0) is decoded as
   * a segment as well, with the length it carries.
   */
  fragOffset = -1;
  fragMore = 0;
  fragId = 0;
  fragStart = 0;
  fragEnd = 0;
  fragLen = 0;
  /** A segment put together from IP fragments (defrag.ts): how many; 0 when it came whole. */
  ipFragments = 0;

  // The addresses' text, once written (or as read from tcpdump text); null when not yet.
  private srcText: string | null = null;
  private dstText: string | null = null;

  /** The binary decoders set the words directly, then call this: the old text no longer holds. */
  addressesChanged(): void {
    this.srcText = null;
    this.dstText = null;
  }

  get src(): string {
    return (this.srcText ??= formatAddress(this.ipVersion, this.addrs, 0));
  }

  /** Sets the source address from its text (tcpdump text, tests); `ipVersion` must be set first. */
  set src(text: string) {
    this.setAddress(text, 0);
  }

  get dst(): string {
    return (this.dstText ??= formatAddress(this.ipVersion, this.addrs, 4));
  }

  set dst(text: string) {
    this.setAddress(text, 4);
  }

  private setAddress(text: string, at: 0 | 4): void {
    // Lines mostly repeat the previous line's two addresses, often swapped: reuse their words.
    const other = at === 0 ? this.dstText : this.srcText;
    const same = at === 0 ? this.srcText : this.dstText;
    if (text !== same) {
      if (text === other) this.addrs.copyWithin(at, 4 - at, 8 - at);
      else parseAddress(text, this.ipVersion, this.addrs, at);
    }
    if (at === 0) this.srcText = text;
    else this.dstText = text;
  }

  /**
   * Leaves the addresses, ports and sequence number: the rest of the header is not there (the
   * few bytes of a segment an ICMP error quotes).
   */
  clearAfterSeq(): void {
    this.ack = 0;
    this.flags = 0;
    this.reservedBits = 0;
    this.window = 0;
    this.payloadLen = 0;
    this.options = null;
    this.truncated = false;
    this.ipId = -1;
    this.checksum = -1;
    this.tsVal = -1;
    this.tsEcr = -1;
    this.signed = false;
    this.mptcpRst = 0;
    this.mptcpToken = -1;
    this.dsackLeft = -1;
    this.dsackRight = -1;
  }

  clone(): Segment {
    const c = new Segment();
    Object.assign(c, this);
    (c as { addrs: Uint32Array }).addrs = this.addrs.slice();
    (c as { icmpSender: Uint32Array }).icmpSender = this.icmpSender.slice();
    return c;
  }
}

export function newSegment(): Segment {
  return new Segment();
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

/**
 * The same hash for both directions of a four-tuple: each endpoint (address words, port) is mixed
 * into 32 bits, the two are combined order-independently, and the result kept to 30 bits.
 * Tables keyed by it (the flow table, tcpdump text's sequence records) compare the four-tuples
 * on lookup, so collisions only chain.
 */
export function flowHash(seg: Segment): number {
  const w = seg.addrs;
  const a = endpointHash(w[0]!, w[1]!, w[2]!, w[3]!, seg.srcPort);
  const b = endpointHash(w[4]!, w[5]!, w[6]!, w[7]!, seg.dstPort);
  const lo = a < b ? a : b;
  const hi = a < b ? b : a;
  return (Math.imul(lo ^ Math.imul(hi, 0x85ebca77), 0xc2b2ae3d) >>> 2);
}

function endpointHash(w0: number, w1: number, w2: number, w3: number, port: number): number {
  let h = Math.imul(w3 ^ port, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15) ^ w2, 0x85ebca77);
  h = Math.imul(h ^ (h >>> 13) ^ w1, 0xc2b2ae3d);
  h = Math.imul(h ^ (h >>> 16) ^ w0, 0x27d4eb2f);
  return (h ^ (h >>> 15)) >>> 0;
}
