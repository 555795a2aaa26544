/**
 * Layered decoding of one captured packet: link layer -> IPv4/IPv6 -> TCP, in the manner of
 * gopacket/etherparse: each layer reads its header in place and hands the next layer an offset,
 * so a packet costs no allocation beyond its two address strings.
 */
import type { PacketRecord } from '../input/record.js';
import { readIPv6Words } from './addr.js';
import { mptcpToken } from './mptcp.js';
import { ACK, MPTCP_FAST_CLOSE, MPTCP_REASON_KNOWN, MPTCP_TCPRST, RST, SYN, Segment, TcpOptions, noOptions } from './segment.js';

/** Why a packet did not become a segment; `TCP` means it did. */
export const enum Outcome {
  TCP = 0,
  NON_IP = 1,
  NON_TCP = 2,
  FRAGMENT = 3,
  TRUNCATED = 4,
  MALFORMED = 5,
  UNSUPPORTED_LINK = 6,
  /** Not TCP, but an ICMP error about a TCP segment: `out` holds the quoted segment (Segment.icmp). */
  ICMP_ERROR = 7,
}

/** Link types this decoder understands (LINKTYPE_* numbers, see pcap-linktype(7)). */
export const LINK_NAMES: Record<number, string> = {
  0: 'null', 1: 'ethernet', 9: 'ppp', 12: 'raw', 14: 'raw', 50: 'ppp-hdlc', 101: 'raw', 104: 'c-hdlc', 108: 'loop', 113: 'linux-sll',
  129: 'arcnet-linux', 178: 'juniper-ether', 228: 'ipv4', 229: 'ipv6', 239: 'nflog', 242: 'ipoib', 258: 'pktap', 276: 'linux-sll2',
};

export function isSupportedLinkType(linkType: number): boolean {
  return linkType in LINK_NAMES;
}

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_MPLS = 0x8847;
const ETH_MPLS_MULTICAST = 0x8848;
const ETH_PPPOE_SESSION = 0x8864;
const IPPROTO_TCP = 6;
const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;

/**
 * Decodes `rec` into `out`. Returns Outcome.TCP when `out` now holds the packet's TCP segment.
 */
export function decodePacket(rec: PacketRecord, out: Segment): Outcome {
  out.direction = -1;
  out.iface = -1;
  out.icmp = -1;
  out.fragOffset = -1;
  return decodeLink(rec.linkType, rec.data, rec.offset, rec.offset + rec.capLen, rec.origLen, out);
}

/** The packet of link type `linkType` in b[start, end) (`wireLen` bytes on the wire). */
function decodeLink(linkType: number, b: Uint8Array, start: number, end: number, wireLen: number, out: Segment): Outcome {
  let off: number;
  let etherType = -1; // -1: learn the IP version from the first nibble
  switch (linkType) {
    case 1: // Ethernet II
      return decodeEthernet(b, start, end, wireLen, out);
    case 113: // Linux cooked v1: 16-byte header, protocol in the last two bytes
      if (end - start < 16) return Outcome.TRUNCATED;
      etherType = (b[start + 14]! << 8) | b[start + 15]!;
      out.direction = linuxPacketType((b[start]! << 8) | b[start + 1]!);
      off = start + 16;
      break;
    case 276: // Linux cooked v2: 20-byte header, protocol first
      if (end - start < 20) return Outcome.TRUNCATED;
      etherType = (b[start]! << 8) | b[start + 1]!;
      out.direction = linuxPacketType(b[start + 10]!);
      out.iface = ((b[start + 4]! << 24) | (b[start + 5]! << 16) | (b[start + 6]! << 8) | b[start + 7]!) >>> 0;
      off = start + 20;
      break;
    case 9: // PPP (RFC 1661), with or without the HDLC-like address/control bytes (RFC 1662)
    case 50: { // PPP in HDLC-like framing
      off = start;
      if (end - off >= 2 && b[off] === 0xff && b[off + 1] === 0x03) off += 2;
      if (end - off < 1) return Outcome.TRUNCATED;
      let proto = b[off]!;
      if (proto & 1) off += 1; // protocol field compressed to one byte (RFC 1661 6.5)
      else { if (end - off < 2) return Outcome.TRUNCATED; proto = (proto << 8) | b[off + 1]!; off += 2; }
      etherType = proto === 0x21 ? ETH_IPV4 : proto === 0x57 ? ETH_IPV6 : 0;
      break;
    }
    case 242: // IP over InfiniBand (RFC 4391; libpcap's 44-byte header): the Ethernet type at 40
      if (end - start < 44) return Outcome.TRUNCATED;
      etherType = (b[start + 40]! << 8) | b[start + 41]!;
      off = start + 44;
      break;
    case 104: // Cisco HDLC: address, control, then an Ethernet type
      if (end - start < 4) return Outcome.TRUNCATED;
      etherType = (b[start + 2]! << 8) | b[start + 3]!;
      off = start + 4;
      break;
    case 0: // BSD null: 4-byte address family in the writer's byte order
    case 108: // OpenBSD loop: the same in network order
      off = start + 4;
      break;
    case 12: case 14: case 101: case 228: case 229:
      off = start;
      break;
    case 239: // Linux NFLOG (tcpdump -i nflog:N): the packet is one of its TLVs
      return decodeNflog(b, start, end, out);
    case 258: // Apple PKTAP (macOS tcpdump -i any, -i pktap,...): a header, then the packet in its own DLT
      return decodePktap(b, start, end, wireLen, out);
    case 178: // Juniper Ethernet (a capture taken on a Junos router): a header, then the frame
      return decodeJuniperEther(b, start, end, wireLen, out);
    case 129: { // ARCNET as Linux captures it (tcpdump's print-arcnet.c, arcnet_linux_if_print)
      // Source, destination, a 2-byte offset and the system code; the RFC 1201 codes (all but
      // RFC 1051's IP and ARP, and diagnostics) add a flag byte and a 2-byte sequence number.
      // Linux hands over packets put back together, never fragments.
      if (end - start < 5) return Outcome.TRUNCATED;
      const code = b[start + 4]!;
      const rfc1051 = code === ARC_IP_OLD || code === ARC_ARP_OLD || code === ARC_DIAGNOSE;
      off = start + (rfc1051 ? 5 : 8);
      if (end < off) return Outcome.TRUNCATED;
      etherType = code === ARC_IP_OLD || code === ARC_IP ? ETH_IPV4 : code === ARC_INET6 ? ETH_IPV6 : 0;
      break;
    }
    default:
      return Outcome.UNSUPPORTED_LINK;
  }
  return decodeEtherPayload(b, off, end, etherType, wireLen - (off - start), out);
}

/** The little-endian 32-bit word at `at`. */
function le32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** The fixed part of a PKTAP header (its version 1 fields, up to the effective command name). */
const PKTAP_MIN = 108;

/**
 * LINKTYPE_PKTAP (tcpdump's print-pktap.c, Apple's net/pktap.h): little-endian fields, the first
 * being the header's own length (108 or more); the record type (1: a packet follows); the DLT of
 * the packet; the interface's name (24 bytes, NUL-padded); flags, of which bit 0 is "in" and bit
 * 1 "out". macOS records a packet once for each interface it crosses, as Linux's "any" does, so
 * the interface and direction go to Segment.iface and .direction for the copies filter.
 */
function decodePktap(b: Uint8Array, start: number, end: number, wireLen: number, out: Segment): Outcome {
  if (end - start < PKTAP_MIN) return Outcome.TRUNCATED;
  const hdrLen = le32(b, start);
  if (hdrLen < PKTAP_MIN) return Outcome.MALFORMED;
  if (end - start < hdrLen) return Outcome.TRUNCATED;
  if (le32(b, start + 4) !== 1) return Outcome.NON_IP; // PKT_REC_NONE: no packet follows
  const dlt = le32(b, start + 8);
  if (dlt === 258) return Outcome.MALFORMED; // a PKTAP inside a PKTAP
  const flags = le32(b, start + 36);
  out.direction = flags & 1 ? 0 : flags & 2 ? 4 : -1; // Direction.IN, Direction.OUT
  let h = 0x811c9dc5; // FNV-1a of the interface name, as tcpdump -i any text's (tcpdump-text.ts)
  for (let i = start + 12; i < start + 36 && b[i] !== 0; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  out.iface = h >>> 0;
  return decodeLink(dlt, b, start + hdrLen, end, wireLen - hdrLen, out);
}

/** ARCNET system codes (tcpdump's arcnet.h): RFC 1051's IP, ARP and diagnostics, RFC 1201's IP, IPv6. */
const ARC_IP_OLD = 0xf0;
const ARC_ARP_OLD = 0xf1;
const ARC_DIAGNOSE = 0x80;
const ARC_IP = 0xd4;
const ARC_INET6 = 0xc4;

/** Juniper's magic number, "MGC", the first three bytes of every DLT_JUNIPER_* header. */
const JUNIPER_MAGIC = 0x4d4743;
/** Flags (the header's fourth byte): the packet came in; no link layer (IP follows); extensions follow. */
const JUNIPER_IN = 0x01;
const JUNIPER_NO_L2 = 0x02;
const JUNIPER_EXT = 0x80;

/**
 * LINKTYPE_JUNIPER_ETHER (tcpdump's print-juniper.c, juniper_parse_header): "MGC", a flags byte,
 * with JUNIPER_EXT a 16-bit length and that many bytes of TLVs (interface index, name, media
 * type, ...), then the Ethernet frame. With JUNIPER_NO_L2 there is no frame: 4 more bytes, then
 * the IP packet. The flags also say which way it went, a place for copies (copies.ts) as SLL's
 * packet type is.
 */
function decodeJuniperEther(b: Uint8Array, start: number, end: number, wireLen: number, out: Segment): Outcome {
  if (end - start < 4) return Outcome.TRUNCATED;
  if (((b[start]! << 16) | (b[start + 1]! << 8) | b[start + 2]!) !== JUNIPER_MAGIC) return Outcome.MALFORMED;
  const flags = b[start + 3]!;
  out.direction = flags & JUNIPER_IN ? 0 : 4; // Direction.IN, Direction.OUT
  let off = start + 4;
  if (flags & JUNIPER_EXT) {
    if (end - off < 2) return Outcome.TRUNCATED;
    off += 2 + ((b[off]! << 8) | b[off + 1]!);
  }
  if (flags & JUNIPER_NO_L2) return decodeNetwork(b, off + 4, end, -1, wireLen - (off + 4 - start), out);
  return decodeEthernet(b, off, end, wireLen - (off - start), out);
}

/** An SLL packet type as a Direction (0..4), -1 for any other (a loopback or netlink type). */
function linuxPacketType(t: number): number {
  return t <= 4 ? t : -1;
}

/** An Ethernet II frame at `start`, with any stack of 802.1Q / 802.1ad / old QinQ tags. */
function decodeEthernet(b: Uint8Array, start: number, end: number, wireLen: number, out: Segment): Outcome {
  if (end - start < 14) return Outcome.TRUNCATED;
  let off = start + 12;
  let etherType = (b[off]! << 8) | b[off + 1]!;
  off += 2;
  while (etherType === 0x8100 || etherType === 0x88a8 || etherType === 0x9100 || etherType === 0x9200) {
    if (end - off < 4) return Outcome.TRUNCATED;
    etherType = (b[off + 2]! << 8) | b[off + 3]!;
    off += 4;
  }
  return decodeEtherPayload(b, off, end, etherType, wireLen - (off - start), out);
}

/** What an Ethernet type names at `off` (-1: learn the IP version from the first nibble). */
function decodeEtherPayload(b: Uint8Array, off: number, end: number, etherType: number, wireLen: number, out: Segment): Outcome {
  const start = off;
  if (etherType === ETH_MPLS || etherType === ETH_MPLS_MULTICAST) {
    // An MPLS label stack (RFC 3032): 4 bytes a label, down to the one with the bottom-of-stack
    // bit. What follows carries no type: IP is told by its version nibble, as tcpdump does.
    for (;;) {
      if (end - off < 4) return Outcome.TRUNCATED;
      const bottom = b[off + 2]! & 1;
      off += 4;
      if (bottom) break;
    }
    etherType = -1;
  } else if (etherType === ETH_PPPOE_SESSION) {
    // PPPoE session stage (RFC 2516): 6 bytes of header, then the PPP protocol number.
    if (end - off < 8) return Outcome.TRUNCATED;
    const proto = (b[off + 6]! << 8) | b[off + 7]!;
    etherType = proto === 0x21 ? ETH_IPV4 : proto === 0x57 ? ETH_IPV6 : 0;
    off += 8;
  }
  return decodeNetwork(b, off, end, etherType, wireLen - (off - start), out);
}

/**
 * The network layer at `off`: IPv4 or IPv6 by `etherType`, or by the version nibble when it is -1.
 * `wireIpLen` is the IP packet's length on the wire, for headers whose length field is 0 (TSO /
 * BIG TCP captures).
 */
function decodeNetwork(b: Uint8Array, off: number, end: number, etherType: number, wireIpLen: number, out: Segment): Outcome {
  if (end - off < 1) return Outcome.TRUNCATED;
  if (etherType === -1) {
    const version = b[off]! >> 4;
    etherType = version === 4 ? ETH_IPV4 : version === 6 ? ETH_IPV6 : 0;
  }
  if (etherType === ETH_IPV4) return decodeIPv4(b, off, end, wireIpLen, out);
  if (etherType === ETH_IPV6) return decodeIPv6(b, off, end, wireIpLen, out);
  return Outcome.NON_IP;
}

/** Tunnels within tunnels are followed this deep (a crafted packet could nest without end). */
const MAX_TUNNEL_DEPTH = 4;
let tunnelDepth = 0;

/**
 * The packet inside a tunnel, as tcpdump, tshark and Zeek follow it: IP in IP (protocol 4, 41),
 * GRE (47) carrying IP, Ethernet or ERSPAN, and UDP to the VXLAN (4789) or Geneve (6081) port.
 * The TCP connection is the inner packet's; anything else in `proto` is a packet that is not TCP.
 * `p` is where the IP payload starts, `len` its length on the wire.
 */
function decodeTunnel(b: Uint8Array, proto: number, p: number, end: number, len: number, out: Segment): Outcome {
  if (proto !== 4 && proto !== 41 && proto !== 47 && proto !== 17) return Outcome.NON_TCP;
  if (tunnelDepth >= MAX_TUNNEL_DEPTH) return Outcome.NON_TCP;
  tunnelDepth++;
  const outcome = tunnelPayload(b, proto, p, end, len, out);
  tunnelDepth--;
  return outcome;
}

function tunnelPayload(b: Uint8Array, proto: number, p: number, end: number, len: number, out: Segment): Outcome {
  if (proto === 4) return decodeNetwork(b, p, end, ETH_IPV4, len, out);
  if (proto === 41) return decodeNetwork(b, p, end, ETH_IPV6, len, out);
  if (proto === 47) {
    // GRE (RFC 2784/2890): flags and version, the protocol, then checksum, key and sequence
    // number words as the C, K and S bits say. Version 1 (PPTP) and source routes are not followed.
    if (end - p < 4) return Outcome.NON_TCP;
    const flags = b[p]!;
    if ((b[p + 1]! & 7) !== 0 || flags & 0x40) return Outcome.NON_TCP;
    const type = (b[p + 2]! << 8) | b[p + 3]!;
    const hdr = 4 + (flags & 0x80 ? 4 : 0) + (flags & 0x20 ? 4 : 0) + (flags & 0x10 ? 4 : 0);
    let q = p + hdr;
    if (type === ETH_IPV4 || type === ETH_IPV6) return decodeNetwork(b, q, end, type, len - hdr, out);
    if (type === 0x6558) return decodeEthernet(b, q, end, len - hdr, out); // transparent Ethernet bridging
    if (type === 0x88be) {
      // ERSPAN: type II has an 8-byte header (and a GRE sequence number); type I has neither.
      if (flags & 0x10) q += 8;
      return decodeEthernet(b, q, end, len - (q - p), out);
    }
    if (type === 0x22eb) {
      // ERSPAN type III: 12 bytes, and 8 more when its O bit says a platform subheader follows.
      if (end - q < 12) return Outcome.NON_TCP;
      q += b[q + 11]! & 1 ? 20 : 12;
      return decodeEthernet(b, q, end, len - (q - p), out);
    }
    return Outcome.NON_TCP;
  }
  // UDP: only to the ports IANA gave VXLAN and Geneve.
  if (end - p < 16) return Outcome.NON_TCP;
  const port = (b[p + 2]! << 8) | b[p + 3]!;
  if (port === 4789) {
    // VXLAN (RFC 7348): 8 bytes, the I bit set, then the Ethernet frame.
    if (!(b[p + 8]! & 0x08)) return Outcome.NON_TCP;
    return decodeEthernet(b, p + 16, end, len - 16, out);
  }
  if (port === 6081) {
    // Geneve (RFC 8926): version 0, options length in 4-byte words, an Ethernet type.
    if (b[p + 8]! >> 6 !== 0) return Outcome.NON_TCP;
    const hdr = 8 + 8 + (b[p + 8]! & 0x3f) * 4;
    const type = (b[p + 10]! << 8) | b[p + 11]!;
    if (type === 0x6558) return decodeEthernet(b, p + hdr, end, len - hdr, out);
    if (type === ETH_IPV4 || type === ETH_IPV6) return decodeNetwork(b, p + hdr, end, type, len - hdr, out);
  }
  return Outcome.NON_TCP;
}

/** NFULA_PAYLOAD: the TLV of an NFLOG record that holds the packet, from its network header on. */
const NFULA_PAYLOAD = 9;

/**
 * LINKTYPE_NFLOG (pcap-linktype(7)): a 4-byte header (address family, version, resource id), then
 * TLVs of a 16-bit length (its own 4 bytes included) and a 16-bit type, each padded to 4 bytes.
 * Length and type are in the byte order of the host that captured, which the file does not say
 * per record: a type is below 256, so whichever of its two bytes is zero tells the order.
 */
function decodeNflog(b: Uint8Array, start: number, end: number, out: Segment): Outcome {
  let off = start + 4;
  if (end - off < 4) return Outcome.TRUNCATED;
  const little = b[off + 3] === 0 && b[off + 2] !== 0;
  while (end - off >= 4) {
    const length = little ? b[off]! | (b[off + 1]! << 8) : (b[off]! << 8) | b[off + 1]!;
    const type = little ? b[off + 2]! | (b[off + 3]! << 8) : (b[off + 2]! << 8) | b[off + 3]!;
    if (length < 4) return Outcome.MALFORMED;
    if (type === NFULA_PAYLOAD) {
      const payloadEnd = off + length;
      return decodeNetwork(b, off + 4, Math.min(end, payloadEnd), -1, length - 4, out);
    }
    off += (length + 3) & ~3;
  }
  // No payload in what was captured: cut by the snap length, or logged without it.
  return Outcome.TRUNCATED;
}

function decodeIPv4(b: Uint8Array, off: number, end: number, wireLen: number, out: Segment): Outcome {
  if (end - off < 20) return Outcome.TRUNCATED;
  if (b[off]! >> 4 !== 4) return Outcome.MALFORMED;
  const ihl = (b[off]! & 0x0f) * 4;
  if (ihl < 20) return Outcome.MALFORMED;
  let totalLen = (b[off + 2]! << 8) | b[off + 3]!;
  if (totalLen === 0) totalLen = wireLen; // TSO/BIG TCP: the length field is left 0
  const fragField = (b[off + 6]! << 8) | b[off + 7]!;
  if (fragField & 0x3fff) { // MF set or an offset: a fragment
    const fragOffset = (fragField & 0x1fff) * 8;
    if (b[off + 9] === IPPROTO_TCP && totalLen >= ihl && end - off >= ihl) {
      setIPv4Addresses(b, off, out);
      noteFragment(out, fragOffset, (fragField & 0x2000) !== 0, out.ipId, off + ihl, Math.min(end, off + totalLen), totalLen - ihl);
    }
    if (fragOffset !== 0) return Outcome.FRAGMENT; // no TCP header here: defrag.ts may use its data
  }
  if (b[off + 9] === IPPROTO_ICMP) return decodeIcmpError(b, off + ihl, end, 4, off + 12, out);
  if (b[off + 9] !== IPPROTO_TCP) return totalLen > ihl ? decodeTunnel(b, b[off + 9]!, off + ihl, end, totalLen - ihl, out) : Outcome.NON_TCP;
  if (totalLen < ihl) return Outcome.MALFORMED;
  if (end - off < ihl) return Outcome.TRUNCATED;
  setIPv4Addresses(b, off, out);
  return decodeTcp(b, off + ihl, end, totalLen - ihl, out);
}

/** The version, identification and addresses of the IPv4 header at `off` (20 bytes captured). */
function setIPv4Addresses(b: Uint8Array, off: number, out: Segment): void {
  out.ipVersion = 4;
  out.ipId = (b[off + 4]! << 8) | b[off + 5]!;
  const a = out.addrs;
  a[0] = a[1] = a[2] = a[4] = a[5] = a[6] = 0;
  a[3] = ((b[off + 12]! << 24) | (b[off + 13]! << 16) | (b[off + 14]! << 8) | b[off + 15]!) >>> 0;
  a[7] = ((b[off + 16]! << 24) | (b[off + 17]! << 16) | (b[off + 18]! << 8) | b[off + 19]!) >>> 0;
  out.addressesChanged();
}

/** Records on `out` that the packet is a fragment of a TCP datagram (Segment.fragOffset). */
function noteFragment(out: Segment, offset: number, more: boolean, id: number, start: number, end: number, len: number): void {
  out.fragOffset = offset;
  out.fragMore = more ? 1 : 0;
  out.fragId = id;
  out.fragStart = start;
  out.fragEnd = Math.max(start, end);
  out.fragLen = len;
}

function decodeIPv6(b: Uint8Array, off: number, end: number, wireLen: number, out: Segment): Outcome {
  if (end - off < 40) return Outcome.TRUNCATED;
  if (b[off]! >> 4 !== 6) return Outcome.MALFORMED;
  let payloadLen = (b[off + 4]! << 8) | b[off + 5]!;
  if (payloadLen === 0) payloadLen = wireLen - 40; // jumbogram (RFC 2675) or BIG TCP
  const ipEnd = Math.min(end, off + 40 + payloadLen);
  let next = b[off + 6]!;
  out.ipVersion = 6;
  out.ipId = -1;
  readIPv6Words(b, off + 8, out.addrs, 0);
  readIPv6Words(b, off + 24, out.addrs, 4);
  out.addressesChanged();
  let p = off + 40;
  // Walk the extension headers (RFC 8200 4.1) to the upper-layer header.
  for (;;) {
    if (next === IPPROTO_TCP) break;
    if (next === 0 || next === 43 || next === 60) { // hop-by-hop, routing, destination options
      if (end - p < 2) return Outcome.TRUNCATED;
      const len = (b[p + 1]! + 1) * 8;
      next = b[p]!;
      p += len;
      payloadLen -= len;
    } else if (next === 44) { // fragment
      if (end - p < 8) return Outcome.TRUNCATED;
      const fragOffset = ((b[p + 2]! << 8) | b[p + 3]!) & 0xfff8;
      const more = (b[p + 3]! & 1) !== 0;
      if (b[p] === IPPROTO_TCP && (fragOffset !== 0 || more) && payloadLen >= 8) {
        noteFragment(out, fragOffset, more, u32At(b, p + 4), p + 8, ipEnd, payloadLen - 8);
      }
      if (fragOffset !== 0) return Outcome.FRAGMENT; // no TCP header here: defrag.ts may use its data
      next = b[p]!;
      p += 8;
      payloadLen -= 8;
    } else if (next === 51) { // authentication header: length in 4-octet units, minus 2
      if (end - p < 2) return Outcome.TRUNCATED;
      const len = (b[p + 1]! + 2) * 4;
      next = b[p]!;
      p += len;
      payloadLen -= len;
    } else if (next === IPPROTO_ICMPV6) {
      return decodeIcmpError(b, p, end, 6, off + 8, out);
    } else {
      return decodeTunnel(b, next, p, end, payloadLen, out); // a tunnel, or not TCP: UDP, ESP ...
    }
    if (payloadLen < 0) return Outcome.MALFORMED;
  }
  return decodeTcp(b, p, end, payloadLen, out);
}

/**
 * An ICMP error about a TCP segment (RFC 792, RFC 4443): after its 8-byte header it quotes the IP
 * header and at least the first 8 bytes of the segment that caused it, enough for the ports and
 * the sequence number. The errors a TCP stack acts on (Linux: tcp_v4_err, tcp_v6_err) are
 * destination unreachable (fragmentation needed and packet too big included), time exceeded and
 * parameter problem; `out` gets the quoted segment's four-tuple and sequence number, the error's
 * type and code (Segment.icmp) and its sender's address (`senderAt`, in the outer header). Any
 * other ICMP, or an error quoting something other than the start of a TCP segment, is a packet
 * that is not TCP.
 */
function decodeIcmpError(b: Uint8Array, p: number, end: number, version: 4 | 6, senderAt: number, out: Segment): Outcome {
  if (end - p < 8) return Outcome.NON_TCP;
  const type = b[p]!;
  const isError = version === 4 ? type === 3 || type === 11 || type === 12 : type >= 1 && type <= 4;
  if (!isError) return Outcome.NON_TCP;
  let q = p + 8;
  const a = out.addrs;
  if (version === 4) {
    if (end - q < 20 || b[q]! >> 4 !== 4 || b[q + 9] !== IPPROTO_TCP) return Outcome.NON_TCP;
    const ihl = (b[q]! & 0x0f) * 4;
    // A later fragment quoted holds no TCP header.
    if (ihl < 20 || (((b[q + 6]! << 8) | b[q + 7]!) & 0x1fff) !== 0) return Outcome.NON_TCP;
    a[0] = a[1] = a[2] = a[4] = a[5] = a[6] = 0;
    a[3] = ((b[q + 12]! << 24) | (b[q + 13]! << 16) | (b[q + 14]! << 8) | b[q + 15]!) >>> 0;
    a[7] = ((b[q + 16]! << 24) | (b[q + 17]! << 16) | (b[q + 18]! << 8) | b[q + 19]!) >>> 0;
    const w = out.icmpSender;
    w[0] = w[1] = w[2] = 0;
    w[3] = ((b[senderAt]! << 24) | (b[senderAt + 1]! << 16) | (b[senderAt + 2]! << 8) | b[senderAt + 3]!) >>> 0;
    q += ihl;
  } else {
    if (end - q < 40 || b[q]! >> 4 !== 6) return Outcome.NON_TCP;
    let next = b[q + 6]!;
    readIPv6Words(b, q + 8, a, 0);
    readIPv6Words(b, q + 24, a, 4);
    readIPv6Words(b, senderAt, out.icmpSender, 0);
    q += 40;
    while (next !== IPPROTO_TCP) {
      if (next === 0 || next === 43 || next === 60) {
        if (end - q < 2) return Outcome.NON_TCP;
        next = b[q]!;
        q += (b[q + 1]! + 1) * 8;
      } else if (next === 44) {
        if (end - q < 8 || ((b[q + 2]! << 8) | b[q + 3]!) >> 3 !== 0) return Outcome.NON_TCP;
        next = b[q]!;
        q += 8;
      } else {
        return Outcome.NON_TCP;
      }
    }
  }
  if (end - q < 8) return Outcome.NON_TCP;
  out.ipVersion = version;
  out.addressesChanged();
  out.srcPort = (b[q]! << 8) | b[q + 1]!;
  out.dstPort = (b[q + 2]! << 8) | b[q + 3]!;
  out.seq = ((b[q + 4]! << 24) | (b[q + 5]! << 16) | (b[q + 6]! << 8) | b[q + 7]!) >>> 0;
  out.clearAfterSeq();
  out.icmp = (type << 8) | b[p + 1]!;
  // Path MTU discovery (RFC 1191, RFC 8201): the next-hop MTU, in the ICMP header's second word.
  out.icmpMtu = version === 4 && type === 3 && b[p + 1] === 4 ? (b[p + 6]! << 8) | b[p + 7]!
    : version === 6 && type === 2 ? ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0 : NaN;
  return Outcome.ICMP_ERROR;
}

/**
 * The TCP header at b[off, end) (what was captured of it), the IP layer already read into `out`.
 * `ipPayloadLen` is the TCP header plus data as the IP header says, not as captured. Exported for
 * defrag.ts, which hands it a datagram put together from fragments.
 */
export function decodeTcp(b: Uint8Array, off: number, end: number, ipPayloadLen: number, out: Segment): Outcome {
  if (end - off < 20) return Outcome.TRUNCATED;
  const hdrLen = (b[off + 12]! >> 4) * 4;
  if (hdrLen < 20 || hdrLen > ipPayloadLen) return Outcome.MALFORMED;
  out.srcPort = (b[off]! << 8) | b[off + 1]!;
  out.dstPort = (b[off + 2]! << 8) | b[off + 3]!;
  out.seq = ((b[off + 4]! << 24) | (b[off + 5]! << 16) | (b[off + 6]! << 8) | b[off + 7]!) >>> 0;
  out.ack = ((b[off + 8]! << 24) | (b[off + 9]! << 16) | (b[off + 10]! << 8) | b[off + 11]!) >>> 0;
  out.flags = ((b[off + 12]! & 0x01) << 8) | b[off + 13]!;
  out.reservedBits = (b[off + 12]! >> 1) & 0x07;
  out.window = (b[off + 14]! << 8) | b[off + 15]!;
  out.checksum = (b[off + 16]! << 8) | b[off + 17]!;
  out.payloadLen = ipPayloadLen - hdrLen;
  out.truncated = end - off < hdrLen;
  out.options = out.flags & SYN ? parseOptions(b, off + 20, Math.min(end, off + hdrLen)) : null;
  if (out.options && out.truncated) out.options.truncated = true;
  out.mptcpToken = out.options?.mptcp ? mptcpSynToken(b, off + 20, Math.min(end, off + hdrLen)) : -1;
  // Linux's usual segment carries NOP, NOP, timestamps and nothing else: read in place, without a
  // walk, and no SACK block to look for.
  const usual = hdrLen === 32 && b[off + 22] === 8;
  if (usual && end >= off + 32 && b[off + 23] === 10 && b[off + 20] === 1 && b[off + 21] === 1) {
    out.tsVal = u32At(b, off + 24);
    out.tsEcr = u32At(b, off + 28);
    out.signed = false;
  } else if (hdrLen > 20) {
    readTimestampsAndSignature(b, off + 20, Math.min(end, off + hdrLen), out);
  } else {
    out.tsVal = -1;
    out.tsEcr = -1;
    out.signed = false;
  }
  out.dsackLeft = -1;
  out.dsackRight = -1;
  if (out.flags & ACK && hdrLen > 20 && !usual) readDsack(b, off + 20, Math.min(end, off + hdrLen), out);
  out.mptcpRst = out.flags & RST && hdrLen > 20 ? mptcpReset(b, off + 20, Math.min(end, off + hdrLen)) : 0;
  return Outcome.TCP;
}

/**
 * What the MPTCP options (kind 30) among the options in [off, end) say of a RST: MP_FASTCLOSE
 * (subtype 7) and MP_TCPRST (subtype 8, its reason in the option's fourth byte), as
 * Segment.mptcpRst holds them.
 */
function mptcpReset(b: Uint8Array, off: number, end: number): number {
  let out = 0;
  for (let o = findOption(b, off, end, 30); o >= 0; o = findOption(b, o + b[o + 1]!, end, 30)) {
    const len = b[o + 1]!;
    const subtype = len >= 3 ? b[o + 2]! >> 4 : -1;
    if (subtype === 7) out |= MPTCP_FAST_CLOSE;
    else if (subtype === 8 && len >= 4) out |= MPTCP_TCPRST | MPTCP_REASON_KNOWN | b[o + 3]!;
  }
  return out;
}

/**
 * A SYN's MPTCP token (Segment.mptcpToken): MP_CAPABLE with the sender's key (RFC 8684's SYN/ACK;
 * both of RFC 6824's, version 0) hashed, or the token in an MP_JOIN SYN; -1 when it has neither.
 */
function mptcpSynToken(b: Uint8Array, off: number, end: number): number {
  const o = findOption(b, off, end, 30);
  if (o < 0) return -1;
  const len = b[o + 1]!;
  const subtype = b[o + 2]! >> 4;
  if (subtype === 0 && len >= 12) return mptcpToken(u32At(b, o + 4), u32At(b, o + 8), b[o + 2]! & 0x0f);
  if (subtype === 1 && len === 12) return u32At(b, o + 4);
  return -1;
}

/** Sets out.dsackLeft/Right when the first SACK block lies below the cumulative ack (RFC 2883). */
function readDsack(b: Uint8Array, off: number, end: number, out: Segment): void {
  const o = findOption(b, off, end, 5);
  if (o < 0 || b[o + 1]! < 10) return;
  const left = u32At(b, o + 2);
  if (((left - out.ack) | 0) >= 0) return;
  out.dsackLeft = left;
  out.dsackRight = u32At(b, o + 6);
}

/**
 * In one walk of the options in [off, end): the timestamp option's TSval and TSecr (RFC 7323), -1
 * when they hold none (or it was not captured), and whether they hold a TCP-MD5 signature (RFC
 * 2385, kind 19) or a TCP-AO MAC (RFC 5925, kind 29).
 */
function readTimestampsAndSignature(b: Uint8Array, off: number, end: number, out: Segment): void {
  out.tsVal = -1;
  out.tsEcr = -1;
  out.signed = false;
  while (off < end) {
    const k = b[off]!;
    if (k === 0) return; // end of option list
    if (k === 1) { off++; continue; } // no-operation
    if (k === 19 || k === 29) out.signed = true; // its kind says so, should the snap length cut the digest
    if (off + 1 >= end) return;
    const len = b[off + 1]!;
    if (len < 2 || off + len > end) return;
    if (k === 8 && len === 10) {
      out.tsVal = u32At(b, off + 2);
      out.tsEcr = u32At(b, off + 6);
    }
    off += len;
  }
}

/** Where option `kind` starts among the options in [off, end), -1 when they hold none (or it was not captured whole). */
function findOption(b: Uint8Array, off: number, end: number, kind: number): number {
  while (off < end) {
    const k = b[off]!;
    if (k === 0) return -1; // end of option list
    if (k === 1) { off++; continue; } // no-operation
    if (off + 1 >= end) return -1;
    const len = b[off + 1]!;
    if (len < 2 || off + len > end) return -1;
    if (k === kind) return off;
    off += len;
  }
  return -1;
}

function u32At(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** Handshake options (RFC 9293 3.2, RFC 7323, RFC 2018, RFC 7413, RFC 8684); stops at what was captured. */
export function parseOptions(b: Uint8Array, off: number, end: number): TcpOptions {
  const o = noOptions();
  while (off < end) {
    const kind = b[off]!;
    if (kind === 0) break; // end of option list
    if (kind === 1) { off++; continue; } // no-operation
    if (off + 1 >= end) break;
    const len = b[off + 1]!;
    if (len < 2 || off + len > end) break;
    if (kind === 2 && len === 4) o.mss = (b[off + 2]! << 8) | b[off + 3]!;
    else if (kind === 3 && len === 3) o.windowScale = b[off + 2]!;
    else if (kind === 4) o.sackPermitted = true;
    else if (kind === 8) o.timestamps = true;
    else if (kind === 34 || (kind === 254 && len >= 4 && b[off + 2] === 0xf9 && b[off + 3] === 0x89)) o.fastOpen = true;
    else if (kind === 30 && len >= 3 && b[off + 2]! >> 4 <= 1) o.mptcp = b[off + 2]! >> 4 === 0 ? 'capable' : 'join';
    off += len;
  }
  return o;
}
