/**
 * Layered decoding on hand-assembled packets, for the link types and IP headers a loopback capture
 * does not produce (BSD null/loop, raw IP, MPLS, PPPoE, NFLOG's TLVs, tunnels, IPv4 options, IPv6
 * extension headers, fragments).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Outcome, decodePacket } from '../src/decode/packet.js';
import { ACK, Direction, MPTCP_FAST_CLOSE, MPTCP_REASON_KNOWN, MPTCP_TCPRST, RST, SYN, type Segment, newSegment } from '../src/decode/segment.js';
import { CopyFilter, copyBucket } from '../src/decode/copies.js';
import { formatAddress, formatIPv6, parseAddress } from '../src/decode/addr.js';
import type { PacketRecord } from '../src/input/record.js';

function tcp(opts: { flags?: number; seq?: number; ack?: number; payload?: number; options?: number[]; reserved?: number } = {}): number[] {
  const options = opts.options ?? [];
  const hdr = 20 + options.length;
  const b = Buffer.alloc(hdr + (opts.payload ?? 0));
  b.writeUInt16BE(40000, 0);
  b.writeUInt16BE(80, 2);
  b.writeUInt32BE(opts.seq ?? 1000, 4);
  b.writeUInt32BE(opts.ack ?? 0, 8);
  b[12] = ((hdr / 4) << 4) | ((opts.reserved ?? 0) << 1);
  b[13] = opts.flags ?? SYN;
  b.writeUInt16BE(65535, 14);
  Buffer.from(options).copy(b, 20);
  return [...b];
}

function ipv4(payload: number[], opts: { proto?: number; options?: number[]; fragOffset?: number; mf?: boolean } = {}): number[] {
  const options = opts.options ?? [];
  const ihl = 20 + options.length;
  const b = Buffer.alloc(ihl);
  b[0] = 0x40 | (ihl / 4);
  b.writeUInt16BE(ihl + payload.length, 2);
  b.writeUInt16BE(((opts.mf ? 1 : 0) << 13) | (opts.fragOffset ?? 0), 6);
  b[8] = 64;
  b[9] = opts.proto ?? 6;
  Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]).copy(b, 12);
  Buffer.from(options).copy(b, 20);
  return [...b, ...payload];
}

const V6_SRC = [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 1];
const V6_DST = [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 2];
function ipv6(next: number, payload: number[]): number[] {
  const b = Buffer.alloc(40);
  b[0] = 0x60;
  b.writeUInt16BE(payload.length, 4);
  b[6] = next;
  b[7] = 64;
  Buffer.from([...V6_SRC, ...V6_DST]).copy(b, 8);
  return [...b, ...payload];
}

const ether = (type: number, payload: number[], tags: number[][] = []) => [
  ...Array(12).fill(0xaa), ...tags.flatMap(([tpid, vid]) => [tpid! >> 8, tpid! & 0xff, vid! >> 8, vid! & 0xff]), type >> 8, type & 0xff, ...payload,
];

function decode(linkType: number, bytes: number[], capLen = bytes.length) {
  const data = Buffer.from(bytes);
  const rec: PacketRecord = { frame: 1, fileIndex: 0, linkType, data, offset: 0, capLen, origLen: bytes.length, tsSec: 0, tsNsec: 0, fileOffset: 0, iface: -1, direction: -1 };
  const seg = newSegment();
  const outcome = decodePacket(rec, seg);
  return { outcome, seg };
}

describe('copies of one packet (tcpdump -i any across a bridge)', () => {
  const seg = (direction: number, s: number, over: Partial<Segment> = {}) => {
    const x = decode(276, [0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, ...Array(8).fill(0), ...ipv4(tcp({ flags: ACK, seq: 7, ack: 9, payload: 10 }))]).seg;
    return Object.assign(x, { direction, s, ...over });
  };
  it('drops the copy seen going another way, not a retransmission sent the same way', () => {
    const f = new CopyFilter();
    expect(f.isCopy(seg(Direction.OTHER_HOST, 0))).toBe(false); // in at the bridge's first port
    expect(f.isCopy(seg(Direction.OUT, 0.00001))).toBe(true); // out at the second: a copy
    expect(f.isCopy(seg(Direction.OTHER_HOST, 0.2))).toBe(false); // the same segment again, the same way: a retransmission
    expect(f.isCopy(seg(Direction.OUT, 0.20001))).toBe(true); // and its copy
    expect(f.copies).toBe(2);
  });
  it('tells copies apart by every header field, the IPv4 identification included', () => {
    const f = new CopyFilter();
    f.isCopy(seg(Direction.IN, 0, { ipId: 1 }));
    expect(f.isCopy(seg(Direction.OUT, 0.00001, { ipId: 2 }))).toBe(false); // another packet (IP id)
    expect(f.isCopy(seg(Direction.IN, 0.00002, { seq: 8 }))).toBe(false);
    expect(f.isCopy(seg(Direction.OUT, 0.00003, { ipId: 1, window: 1 }))).toBe(false);
    expect(f.isCopy(seg(Direction.OUT, 0.00004, { ipId: 1 }))).toBe(true);
  });
  it('drops the copy seen the same way on another interface (a veth end, then the bridge)', () => {
    const f = new CopyFilter();
    expect(f.isCopy(seg(Direction.IN, 0, { iface: 5 }))).toBe(false);
    expect(f.isCopy(seg(Direction.IN, 0.00001, { iface: 2 }))).toBe(true);
    expect(f.isCopy(seg(Direction.IN, 0.3, { iface: 5 }))).toBe(false); // a retransmission
  });
  it('finds the copy when another segment took its index bucket in between (the ring is searched)', () => {
    const first = seg(Direction.IN, 0, { seq: 1000 });
    let other = 1001;
    while (copyBucket(seg(Direction.IN, 0, { seq: other })) !== copyBucket(first)) other++;
    const f = new CopyFilter();
    expect(f.isCopy(first)).toBe(false);
    expect(f.isCopy(seg(Direction.IN, 0.00001, { seq: other }))).toBe(false); // another key, the same bucket
    expect(f.isCopy(seg(Direction.OUT, 0.00002, { seq: 1000 }))).toBe(true); // the first one's copy
    expect(f.isCopy(seg(Direction.OUT, 0.00003, { seq: other }))).toBe(true); // and the other's
    expect(f.isCopy(seg(Direction.IN, 0.3, { seq: 1000 }))).toBe(false); // later, the same way: a retransmission
    expect(f.copies).toBe(2);
  });
  it('at one place, drops a copy the network made: the same IPv4 identification and checksum (a retransmission gets a new identification)', () => {
    const f = new CopyFilter();
    expect(f.isCopy(seg(-1, 0, { ipId: 700, checksum: 0x1234 }))).toBe(false);
    expect(f.isCopy(seg(-1, 0.02, { ipId: 700, checksum: 0x1234 }))).toBe(true); // duplicated on its way
    expect(f.isCopy(seg(-1, 0.3, { ipId: 731, checksum: 0x1234 }))).toBe(false); // sent again: a retransmission
    expect(f.isCopy(seg(-1, 0.31, { ipId: 731, checksum: 0x4321 }))).toBe(false); // other bytes under one identification (crafted)
    expect(f.isCopy(seg(-1, 0.5, { ipId: 0 }))).toBe(false);
    expect(f.isCopy(seg(-1, 0.50001, { ipId: 0 }))).toBe(false); // identification 0 says nothing
    expect(f.copies).toBe(1);
  });
  it('at one place, a SYN/ACK with identification 0 is never a copy: the timer\'s copy and the answer to a SYN sent again can be the same bytes', () => {
    // Linux (sw32 rs-30c): the client's SYN and the server's SYN/ACK timers both run 1 s; the
    // SYN/ACK answering the SYN sent again and the timer's own left 63 us apart, one TSval.
    const synAck = (s: number) => seg(-1, s, { flags: SYN | ACK, ipId: 0, tsVal: 5000, checksum: 0x2222 });
    const f = new CopyFilter();
    expect(f.isCopy(synAck(1))).toBe(false);
    expect(f.isCopy(synAck(1.000063))).toBe(false);
  });
  it('leaves captures that record no direction, and copies too far apart, alone', () => {
    const f = new CopyFilter();
    expect(f.isCopy(seg(-1, 0))).toBe(false);
    expect(f.isCopy(seg(-1, 0.00001))).toBe(false);
    f.isCopy(seg(Direction.IN, 1));
    expect(f.isCopy(seg(Direction.OUT, 1.5))).toBe(false);
  });
});

describe('link layers', () => {
  const pkt = ipv4(tcp());
  it('Ethernet, with 802.1Q and stacked 802.1ad + 802.1Q tags', () => {
    for (const tags of [[], [[0x8100, 10]], [[0x88a8, 100], [0x8100, 10]]]) {
      const { outcome, seg } = decode(1, ether(0x0800, pkt, tags));
      expect(outcome).toBe(Outcome.TCP);
      expect([seg.src, seg.srcPort, seg.dst, seg.dstPort]).toEqual(['10.0.0.1', 40000, '10.0.0.2', 80]);
    }
  });
  it('Apple PKTAP (258): the packet in its own DLT after the header, with interface and direction', () => {
    // pth_length, pth_type_next (1: a packet), pth_dlt, pth_ifname[24], pth_flags (1 in, 2 out), then the rest of 108 bytes
    const pktap = (dlt: number, ifname: string, flags: number, packet: number[], opts: { len?: number; rectype?: number } = {}) => {
      const h = Buffer.alloc(opts.len ?? 108);
      h.writeUInt32LE(opts.len ?? 108, 0); h.writeUInt32LE(opts.rectype ?? 1, 4); h.writeUInt32LE(dlt, 8);
      h.write(ifname, 12, 'latin1'); h.writeUInt32LE(flags, 36);
      return [...h, ...packet];
    };
    const eth = decode(258, pktap(1, 'en0', 2, ether(0x0800, pkt)));
    expect(eth.outcome).toBe(Outcome.TCP);
    expect([eth.seg.src, eth.seg.srcPort, eth.seg.dst, eth.seg.dstPort, eth.seg.direction]).toEqual(['10.0.0.1', 40000, '10.0.0.2', 80, Direction.OUT]);
    // utun: DLT_NULL (a 4-byte address family), here coming in; a longer header is skipped by its length
    const utun = decode(258, pktap(0, 'utun3', 1, [2, 0, 0, 0, ...pkt], { len: 156 }));
    expect(utun.outcome).toBe(Outcome.TCP);
    expect(utun.seg.direction).toBe(Direction.IN);
    // Another interface is another place for the copies filter; the same name, the same place.
    expect(utun.seg.iface).not.toBe(eth.seg.iface);
    expect(decode(258, pktap(1, 'en0', 1, ether(0x0800, pkt))).seg.iface).toBe(eth.seg.iface);
    expect(decode(258, pktap(1, 'en0', 0, ether(0x0800, pkt))).seg.direction).toBe(-1);
    expect(decode(258, pktap(1, 'en0', 2, ether(0x0800, pkt), { rectype: 0 })).outcome).toBe(Outcome.NON_IP); // PKT_REC_NONE
    expect(decode(258, pktap(1, 'en0', 2, ether(0x0800, pkt)).slice(0, 100)).outcome).toBe(Outcome.TRUNCATED);
    const short = pktap(1, 'en0', 2, ether(0x0800, pkt));
    short[0] = 40; // a header length below the fixed fields
    expect(decode(258, short).outcome).toBe(Outcome.MALFORMED);
    expect(decode(258, pktap(258, 'en0', 2, pktap(1, 'en0', 2, ether(0x0800, pkt)))).outcome).toBe(Outcome.MALFORMED);
  });
  it('Juniper Ethernet (178): "MGC", flags, extension TLVs skipped by their length, then the frame (or IP with no-L2)', () => {
    const MGC = [0x4d, 0x47, 0x43];
    // The extensions of tcpdump's bgp-aigp.pcap: media type, encapsulation, interface index, unit.
    const ext = [0x03, 0x01, 0x01, 0x06, 0x01, 0x0e, 0x01, 0x02, 0x8c, 0x00, 0x04, 0x04, 0x4c, 0x01, 0x00, 0x00];
    const withExt = decode(178, [...MGC, 0x80, 0, ext.length, ...ext, ...ether(0x0800, pkt)]);
    expect(withExt.outcome).toBe(Outcome.TCP);
    expect([withExt.seg.src, withExt.seg.srcPort, withExt.seg.dst, withExt.seg.dstPort, withExt.seg.direction]).toEqual(['10.0.0.1', 40000, '10.0.0.2', 80, Direction.OUT]);
    const inbound = decode(178, [...MGC, 0x01, ...ether(0x0800, pkt)]);
    expect([inbound.outcome, inbound.seg.direction]).toEqual([Outcome.TCP, Direction.IN]);
    // No link layer: four bytes, then IPv4 or IPv6 by its version nibble.
    const noL2 = decode(178, [...MGC, 0x82, 0, ext.length, ...ext, 0, 0, 0, 0, ...pkt]);
    expect([noL2.outcome, noL2.seg.srcPort]).toEqual([Outcome.TCP, 40000]);
    expect(decode(178, [0x4d, 0x47, 0x44, 0x00, ...ether(0x0800, pkt)]).outcome).toBe(Outcome.MALFORMED); // no magic
    expect(decode(178, [...MGC, 0x80, 0]).outcome).toBe(Outcome.TRUNCATED);
    expect(decode(178, [...MGC, 0x80, 0, 40, ...ext]).outcome).toBe(Outcome.TRUNCATED); // extensions past the end
  });
  it('ARCNET as Linux captures it (129): RFC 1051 and RFC 1201 headers, IP by the system code', () => {
    // source, destination, a 2-byte offset, the system code (RFC 1201 adds a flag and a 2-byte sequence number)
    const old = decode(129, [0xbe, 0x50, 0xcb, 0x00, 0xf0, ...pkt]);
    expect([old.outcome, old.seg.src, old.seg.srcPort, old.seg.dst, old.seg.dstPort]).toEqual([Outcome.TCP, '10.0.0.1', 40000, '10.0.0.2', 80]);
    const rfc1201 = decode(129, [0xbe, 0x50, 0x00, 0x00, 0xd4, 0x00, 0x00, 0x01, ...pkt]);
    expect([rfc1201.outcome, rfc1201.seg.dstPort]).toEqual([Outcome.TCP, 80]);
    expect(decode(129, [0xbe, 0x00, 0xed, 0x08, 0xf1, ...Array(18).fill(0)]).outcome).toBe(Outcome.NON_IP); // RFC 1051 ARP
    expect(decode(129, [0xbe, 0x50, 0x00, 0x00]).outcome).toBe(Outcome.TRUNCATED);
    expect(decode(129, [0xbe, 0x50, 0x00, 0x00, 0xd4, 0x00]).outcome).toBe(Outcome.TRUNCATED);
  });
  it('Ethernet carrying ARP is not IP', () => {
    expect(decode(1, ether(0x0806, Array(28).fill(0))).outcome).toBe(Outcome.NON_IP);
  });
  it('Linux cooked SLL (113) and SLL2 (276)', () => {
    const sll = [0, 0, 0, 1, 0, 6, ...Array(8).fill(0), 0x08, 0x00, ...pkt];
    const sll2 = [0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, ...Array(8).fill(0), ...pkt];
    expect(decode(113, sll).outcome).toBe(Outcome.TCP);
    expect(decode(276, sll2).outcome).toBe(Outcome.TCP);
  });
  it('keeps the direction SLL and SLL2 record (In, B, M, P, Out) and the IPv4 identification', () => {
    const withId = [...pkt];
    withId[4] = 0x12;
    withId[5] = 0x34;
    for (const type of [0, 3, 4]) {
      const sll = [0, type, 0, 1, 0, 6, ...Array(8).fill(0), 0x08, 0x00, ...withId];
      const sll2 = [0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, type, 6, ...Array(8).fill(0), ...withId];
      expect(decode(113, sll).seg).toMatchObject({ direction: type, ipId: 0x1234 });
      expect(decode(276, sll2).seg).toMatchObject({ direction: type, ipId: 0x1234, iface: 1 });
    }
    // Netlink and loopback packet types say nothing of a direction; nor does Ethernet.
    expect(decode(113, [0, 7, 0, 1, 0, 6, ...Array(8).fill(0), 0x08, 0x00, ...pkt]).seg.direction).toBe(-1);
    expect(decode(1, ether(0x0800, pkt)).seg.direction).toBe(-1);
    expect(decode(229, ipv6(6, tcp())).seg.ipId).toBe(-1);
  });
  it('BSD null (0) in either byte order, OpenBSD loop (108), raw IP (101, 12, 14), IPv4 (228), IPv6 (229)', () => {
    expect(decode(0, [2, 0, 0, 0, ...pkt]).outcome).toBe(Outcome.TCP);
    expect(decode(0, [0, 0, 0, 2, ...pkt]).outcome).toBe(Outcome.TCP);
    expect(decode(0, [30, 0, 0, 0, ...ipv6(6, tcp())]).outcome).toBe(Outcome.TCP);
    expect(decode(108, [0, 0, 0, 2, ...pkt]).outcome).toBe(Outcome.TCP);
    for (const lt of [101, 12, 14, 228]) expect(decode(lt, pkt).outcome).toBe(Outcome.TCP);
    expect(decode(229, ipv6(6, tcp())).outcome).toBe(Outcome.TCP);
  });
  it('PPP (9, 50) with and without address/control and protocol compression, Cisco HDLC (104)', () => {
    expect(decode(9, [0xff, 0x03, 0x00, 0x21, ...pkt]).outcome).toBe(Outcome.TCP);
    expect(decode(9, [0x00, 0x21, ...pkt]).outcome).toBe(Outcome.TCP);
    expect(decode(9, [0x21, ...pkt]).outcome).toBe(Outcome.TCP);
    expect(decode(50, [0xff, 0x03, 0x00, 0x57, ...ipv6(6, tcp())]).outcome).toBe(Outcome.TCP);
    expect(decode(9, [0xff, 0x03, 0xc0, 0x21, 1, 2, 0, 4]).outcome).toBe(Outcome.NON_IP); // LCP
    expect(decode(104, [0x0f, 0x00, 0x08, 0x00, ...pkt]).outcome).toBe(Outcome.TCP);
  });
  it('IP over InfiniBand (242): the Ethernet type at byte 40 of a 44-byte header', () => {
    expect(decode(242, [...Array(40).fill(0xfe), 0x08, 0x00, 0, 0, ...pkt]).outcome).toBe(Outcome.TCP);
    expect(decode(242, [...Array(40).fill(0xfe), 0x86, 0xdd, 0, 0, ...ipv6(6, tcp())]).outcome).toBe(Outcome.TCP);
    expect(decode(242, [...Array(40).fill(0xfe), 0x08, 0x06, 0, 0, ...Array(28).fill(0)]).outcome).toBe(Outcome.NON_IP);
    expect(decode(242, Array(30).fill(0)).outcome).toBe(Outcome.TRUNCATED);
  });
  it('MPLS label stacks (unicast and multicast) over Ethernet, VLAN and Linux cooked, down to IPv4 or IPv6', () => {
    const label = (bottom: boolean) => [0x00, 0x3e, 0x80 | (bottom ? 1 : 0), 64]; // label 1000, S bit, ttl 64
    const v6 = ipv6(6, tcp());
    expect(decode(1, ether(0x8847, [...label(true), ...pkt])).outcome).toBe(Outcome.TCP);
    expect(decode(1, ether(0x8847, [...label(false), ...label(false), ...label(true), ...v6])).outcome).toBe(Outcome.TCP);
    expect(decode(1, ether(0x8848, [...label(true), ...pkt], [[0x8100, 10]])).outcome).toBe(Outcome.TCP);
    expect(decode(113, [0, 0, 0, 1, 0, 6, ...Array(8).fill(0), 0x88, 0x47, ...label(true), ...pkt]).outcome).toBe(Outcome.TCP);
    const { seg } = decode(1, ether(0x8847, [...label(false), ...label(true), ...pkt]));
    expect([seg.src, seg.srcPort, seg.dst, seg.dstPort]).toEqual(['10.0.0.1', 40000, '10.0.0.2', 80]);
    // A stack that never reaches its bottom label, or an Ethernet pseudowire (first nibble 0).
    expect(decode(1, ether(0x8847, [...label(false), ...label(false)])).outcome).toBe(Outcome.TRUNCATED);
    expect(decode(1, ether(0x8847, [...label(true), 0, 0, 0, 0, ...ether(0x0800, pkt)])).outcome).toBe(Outcome.NON_IP);
  });
  it('PPPoE sessions over Ethernet and stacked VLAN tags: IPv4 and IPv6 within, PPP control is not IP', () => {
    const pppoe = (proto: number, payload: number[]) => [0x11, 0x00, 0x0f, 0x07, (payload.length + 2) >> 8, (payload.length + 2) & 0xff, proto >> 8, proto & 0xff, ...payload];
    expect(decode(1, ether(0x8864, pppoe(0x0021, pkt))).outcome).toBe(Outcome.TCP);
    expect(decode(1, ether(0x8864, pppoe(0x0021, pkt), [[0x8100, 3704], [0x8100, 2474]])).outcome).toBe(Outcome.TCP);
    expect(decode(1, ether(0x8864, pppoe(0x0057, ipv6(6, tcp())))).outcome).toBe(Outcome.TCP);
    expect(decode(1, ether(0x8864, pppoe(0xc021, [1, 2, 0, 4]))).outcome).toBe(Outcome.NON_IP); // LCP
    expect(decode(1, ether(0x8864, [0x11, 0x00, 0x0f])).outcome).toBe(Outcome.TRUNCATED);
  });
  it('Linux NFLOG (239): the packet is the payload TLV, found past the others in either byte order', () => {
    // TLVs: a 16-bit length (its 4 header bytes included) and type, each padded to 4 bytes.
    const tlv = (little: boolean, type: number, value: number[]) => {
      const len = 4 + value.length;
      const head = little ? [len & 0xff, len >> 8, type, 0] : [len >> 8, len & 0xff, 0, type];
      return [...head, ...value, ...Array((4 - (len % 4)) % 4).fill(0)];
    };
    for (const little of [true, false]) {
      const prefix = tlv(little, 10, [...Buffer.from('to-server'), 0]); // NFULA_PREFIX, 14 bytes: padded
      const record = [2, 0, 0, 7, ...tlv(little, 1, [0x08, 0x00, 3, 0]), ...prefix, ...tlv(little, 9, pkt)];
      const { outcome, seg } = decode(239, record);
      expect(outcome).toBe(Outcome.TCP);
      expect([seg.src, seg.srcPort, seg.dst, seg.dstPort]).toEqual(['10.0.0.1', 40000, '10.0.0.2', 80]);
      expect(decode(239, [10, 0, 0, 7, ...tlv(little, 9, ipv6(6, tcp()))]).outcome).toBe(Outcome.TCP);
      // Logged without its payload (or cut by the snap length before it).
      expect(decode(239, [2, 0, 0, 7, ...tlv(little, 1, [0x08, 0x00, 3, 0])]).outcome).toBe(Outcome.TRUNCATED);
    }
    expect(decode(239, [2, 0, 0, 7, 2, 0, 1, 0, ...pkt]).outcome).toBe(Outcome.MALFORMED); // a TLV shorter than its header
  });
  it('an unknown link type is reported as such, not guessed', () => {
    expect(decode(147, pkt).outcome).toBe(Outcome.UNSUPPORTED_LINK);
  });
});

describe('tunnels: the connection is the inner packet\'s', () => {
  const inner = ipv4(tcp());
  const innerAddrs = (seg: ReturnType<typeof decode>['seg']) => [seg.src, seg.srcPort, seg.dst, seg.dstPort];
  // An outer IPv4 header around `payload` with protocol `proto` (its addresses 192.0.2.1 -> .2).
  const outer = (proto: number, payload: number[]) => {
    const b = ipv4(payload, { proto });
    b.splice(12, 8, 192, 0, 2, 1, 192, 0, 2, 2);
    return b;
  };
  const udp = (port: number, payload: number[]) => [0xc0, 0x01, port >> 8, port & 0xff, (payload.length + 8) >> 8, (payload.length + 8) & 0xff, 0, 0, ...payload];
  const gre = (flags: number, type: number, words: number, payload: number[]) => [flags, 0, type >> 8, type & 0xff, ...Array(words * 4).fill(0), ...payload];

  it('IP in IP (4), IPv6 in IPv4 (41), and both inside IPv6', () => {
    for (const bytes of [outer(4, inner), outer(41, ipv6(6, tcp())), ipv6(4, inner), ipv6(41, ipv6(6, tcp()))]) {
      const { outcome, seg } = decode(101, bytes);
      expect(outcome).toBe(Outcome.TCP);
      expect(seg.srcPort).toBe(40000);
      expect(seg.src).not.toBe('192.0.2.1');
    }
    expect(innerAddrs(decode(1, ether(0x0800, outer(4, inner))).seg)).toEqual(['10.0.0.1', 40000, '10.0.0.2', 80]);
  });
  it('GRE with checksum, key and sequence words, carrying IP, Ethernet or ERSPAN II/III', () => {
    const frame = ether(0x0800, inner);
    for (const bytes of [
      gre(0x00, 0x0800, 0, inner), gre(0xb0, 0x0800, 3, inner), gre(0x20, 0x86dd, 1, ipv6(6, tcp())), gre(0x00, 0x6558, 0, frame),
      gre(0x10, 0x88be, 1, [...Array(8).fill(0), ...frame]), // ERSPAN II: sequence number, 8-byte header
      gre(0x00, 0x88be, 0, frame), // ERSPAN I: neither
      gre(0x10, 0x22eb, 1, [...Array(11).fill(0), 0, ...frame]), gre(0x10, 0x22eb, 1, [...Array(11).fill(0), 1, ...Array(8).fill(0), ...frame]), // ERSPAN III, with and without its subheader
    ]) {
      const { outcome, seg } = decode(101, outer(47, bytes));
      expect(outcome).toBe(Outcome.TCP);
      expect(seg.srcPort).toBe(40000);
    }
    expect(decode(101, outer(47, [0x00, 0x01, 0x88, 0x0b, ...Array(8).fill(0)])).outcome).toBe(Outcome.NON_TCP); // GRE v1 (PPTP)
    expect(decode(101, outer(47, gre(0x00, 0x0806, 0, Array(28).fill(0)))).outcome).toBe(Outcome.NON_TCP);
  });
  it('UDP to VXLAN (4789) and Geneve (6081), and only those ports', () => {
    const frame = ether(0x0800, inner);
    const vxlan = [0x08, 0, 0, 0, 0, 0, 42, 0, ...frame];
    expect(innerAddrs(decode(101, outer(17, udp(4789, vxlan))).seg)).toEqual(['10.0.0.1', 40000, '10.0.0.2', 80]);
    expect(decode(101, outer(17, udp(4789, [0x00, ...vxlan.slice(1)]))).outcome).toBe(Outcome.NON_TCP); // I bit clear
    const geneve = (optWords: number, type: number, payload: number[]) => [optWords, 0, type >> 8, type & 0xff, 0, 0, 11, 0, ...Array(optWords * 4).fill(0), ...payload];
    expect(decode(101, outer(17, udp(6081, geneve(0, 0x6558, frame)))).outcome).toBe(Outcome.TCP);
    expect(decode(101, outer(17, udp(6081, geneve(2, 0x6558, frame)))).outcome).toBe(Outcome.TCP);
    expect(decode(101, outer(17, udp(6081, geneve(0, 0x0800, inner)))).outcome).toBe(Outcome.TCP);
    expect(decode(101, outer(17, udp(53, vxlan))).outcome).toBe(Outcome.NON_TCP);
    expect(decode(101, outer(1, Array(8).fill(0))).outcome).toBe(Outcome.NON_TCP); // ICMP
  });
  it('follows tunnels in tunnels only so deep', () => {
    let bytes = inner;
    for (let i = 0; i < 4; i++) bytes = outer(4, bytes);
    expect(decode(101, bytes).outcome).toBe(Outcome.TCP);
    expect(decode(101, outer(4, bytes)).outcome).toBe(Outcome.NON_TCP);
  });
});

describe('IPv4', () => {
  it('skips header options to find TCP', () => {
    const withOptions = ipv4(tcp({ flags: SYN | ACK, seq: 7, ack: 9, payload: 5 }), { options: [0x94, 0x04, 0, 0, 1, 1, 1, 0] });
    const { outcome, seg } = decode(101, withOptions);
    expect(outcome).toBe(Outcome.TCP);
    expect([seg.seq, seg.ack, seg.flags, seg.payloadLen]).toEqual([7, 9, SYN | ACK, 5]);
  });
  it('a first fragment is decoded; a later fragment is skipped', () => {
    expect(decode(101, ipv4(tcp(), { mf: true })).outcome).toBe(Outcome.TCP);
    expect(decode(101, ipv4(Array(16).fill(0), { fragOffset: 3 })).outcome).toBe(Outcome.FRAGMENT);
  });
  it('UDP is not TCP', () => {
    expect(decode(101, ipv4(Array(8).fill(0), { proto: 17 })).outcome).toBe(Outcome.NON_TCP);
  });
  it('a snaplen that cuts the TCP header counts as truncated; one that cuts only the payload is analyzed', () => {
    const p = ipv4(tcp({ payload: 100 }));
    expect(decode(101, p, 30).outcome).toBe(Outcome.TRUNCATED);
    const { outcome, seg } = decode(101, p, 40);
    expect(outcome).toBe(Outcome.TCP);
    expect(seg.payloadLen).toBe(100); // from the IP length, not from what was captured
  });
  it('a TCP data offset below 5 is malformed', () => {
    const t = tcp();
    t[12] = 0x40;
    expect(decode(101, ipv4(t)).outcome).toBe(Outcome.MALFORMED);
  });
});

describe('IPv6', () => {
  it('walks hop-by-hop, routing, destination options and a first fragment to TCP', () => {
    const t = tcp({ payload: 3 });
    const frag = [6, 0, 0, 1, 0, 0, 0, 42]; // next TCP, offset 0, M=1
    const dst = [44, 0, 1, 4, 0, 0, 0, 0]; // next fragment, 8 bytes, PadN
    const rt = [60, 0, 0, 0, 0, 0, 0, 0]; // next destination options
    const hbh = [43, 0, 1, 4, 0, 0, 0, 0]; // next routing
    const { outcome, seg } = decode(229, ipv6(0, [...hbh, ...rt, ...dst, ...frag, ...t]));
    expect(outcome).toBe(Outcome.TCP);
    expect(seg.src).toBe('2001:db8::1');
    expect(seg.payloadLen).toBe(3);
  });
  it('a later fragment is skipped; no-next-header and ICMPv6 are not TCP', () => {
    expect(decode(229, ipv6(44, [6, 0, 0, 0x10, 0, 0, 0, 1, ...Array(8).fill(0)])).outcome).toBe(Outcome.FRAGMENT);
    expect(decode(229, ipv6(59, [])).outcome).toBe(Outcome.NON_TCP);
    expect(decode(229, ipv6(58, Array(8).fill(0))).outcome).toBe(Outcome.NON_TCP);
  });
  it('writes addresses in RFC 5952 form', () => {
    const hex = (s: string) => Buffer.from(s.replace(/:/g, ''), 'hex');
    expect(formatIPv6(hex('0000:0000:0000:0000:0000:0000:0000:0001'), 0)).toBe('::1');
    expect(formatIPv6(hex('2001:0db8:0000:0000:0001:0000:0000:0001'), 0)).toBe('2001:db8::1:0:0:1');
    expect(formatIPv6(hex('2001:0db8:0000:0001:0001:0001:0001:0001'), 0)).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIPv6(hex('fe80:0000:0000:0000:0000:0000:0000:0000'), 0)).toBe('fe80::');
    expect(formatIPv6(hex('0000:0000:0000:0000:0000:ffff:c000:0201'), 0)).toBe('::ffff:192.0.2.1');
    // IPv4-compatible, as inet_ntop (and so tcpdump) writes it; :: and ::1 stay as they are.
    expect(formatIPv6(hex('0000:0000:0000:0000:0000:0000:c000:0201'), 0)).toBe('::192.0.2.1');
    expect(formatIPv6(hex('0000:0000:0000:0000:0000:0000:0102:0000'), 0)).toBe('::1.2.0.0');
    expect(formatIPv6(hex('0000:0000:0000:0000:0000:0000:0000:0000'), 0)).toBe('::');
    expect(formatIPv6(hex('0000:0000:0000:0000:0001:0000:c000:0201'), 0)).toBe('::1:0:c000:201');
  });
});

describe('addresses as numbers', () => {
  const roundTrip = (text: string, version: 4 | 6) => {
    const w = new Uint32Array(4);
    parseAddress(text, version, w, 0);
    return { words: [...w], text: formatAddress(version, w, 0) };
  };
  it('an IPv4 address is its last word; the text comes back as it was', () => {
    expect(roundTrip('192.0.2.1', 4)).toEqual({ words: [0, 0, 0, 0xc0000201], text: '192.0.2.1' });
    expect(roundTrip('255.255.255.255', 4).words[3]).toBe(0xffffffff);
  });
  it('IPv4 text stays right for more hosts than are kept (one string per host, forgotten past 65536)', () => {
    const w = new Uint32Array(4);
    const text = (word: number) => { w[3] = word; return formatAddress(4, w, 0); };
    for (let i = 0; i < 70_000; i++) {
      const word = (0x0a000000 + i * 977) >>> 0;
      expect(text(word)).toBe(`${word >>> 24}.${(word >>> 16) & 255}.${(word >>> 8) & 255}.${word & 255}`);
    }
    expect(text(0xc0000201)).toBe('192.0.2.1');
    expect(text(0xfffffffe)).toBe('255.255.255.254'); // top bit set: the key is the word as a signed integer
    expect(text(0x7ffffffe)).toBe('127.255.255.254');
  });
  it('IPv6 in every written form parses to the same words and is written back in RFC 5952 form', () => {
    expect(roundTrip('2001:db8::1:0:0:1', 6)).toEqual({ words: [0x20010db8, 0, 0x10000, 1], text: '2001:db8::1:0:0:1' });
    expect(roundTrip('2001:DB8:0:0:1:0:0:1', 6).text).toBe('2001:db8::1:0:0:1');
    expect(roundTrip('::1', 6).words).toEqual([0, 0, 0, 1]);
    expect(roundTrip('fe80::', 6).words).toEqual([0xfe800000, 0, 0, 0]);
    expect(roundTrip('::ffff:192.0.2.1', 6)).toEqual({ words: [0, 0, 0xffff, 0xc0000201], text: '::ffff:192.0.2.1' });
  });
  it('names and malformed text get a number of their own: equal texts equal, different texts different', () => {
    const a = roundTrip('client.example.com', 4);
    expect(a.text).toBe('client.example.com');
    expect(roundTrip('client.example.com', 4).words).toEqual(a.words);
    expect(roundTrip('localhost', 4).words).not.toEqual(a.words);
    expect(roundTrip('1.2.3', 4).text).toBe('1.2.3');
    expect(roundTrip('256.1.1.1', 4).text).toBe('256.1.1.1');
    expect(roundTrip('1::2::3', 6).text).toBe('1::2::3');
  });
  it('a decoded packet writes its addresses only when asked, and as tcpdump -n does', () => {
    const r = decode(229, ipv6(6, tcp()));
    expect(r.outcome).toBe(Outcome.TCP);
    expect([...r.seg.addrs]).toEqual([0x20010db8, 0, 0, 1, 0x20010db8, 0, 0, 2]);
    expect([r.seg.src, r.seg.dst]).toEqual(['2001:db8::1', '2001:db8::2']);
    const v4 = decode(101, ipv4(tcp()));
    expect(v4.seg.src).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(v4.seg.addrs[3]).toBe(v4.seg.src.split('.').reduce((n, x) => n * 256 + Number(x), 0));
  });
});

describe('TCP', () => {
  it('parses handshake options on SYN segments', () => {
    const opts = [2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7];
    const { seg } = decode(101, ipv4(tcp({ options: opts })));
    expect(seg.options).toEqual({ mss: 1460, windowScale: 7, sackPermitted: true, timestamps: true, fastOpen: false, mptcp: null, truncated: false });
  });
  it('reads the reserved bits and the AE flag', () => {
    const t = tcp({ flags: ACK, reserved: 0b100 });
    t[12] |= 0x01; // AE (RFC 9768)
    const { seg } = decode(101, ipv4(t));
    expect(seg.reservedBits).toBe(0b100);
    expect(seg.flags).toBe(ACK | 0x100);
  });
  it('reads a D-SACK (RFC 2883): the first SACK block when it lies below the ack', () => {
    const u32 = (v: number) => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
    const ts = [1, 1, 8, 10, ...u32(7), ...u32(9)];
    const sack = (l: number, r: number) => [1, 1, 5, 10, ...u32(l), ...u32(r)];
    const ack = (0xfffffff0 + 0x20) >>> 0; // wraps past 2^32: 0x10
    // Linux's order (timestamps, then SACK), a block below the ack: a duplicate reported.
    const dup = decode(101, ipv4(tcp({ flags: ACK, ack, options: [...ts, ...sack(0xfffffff0, 0x10)] }))).seg;
    expect([dup.dsackLeft, dup.dsackRight]).toEqual([0xfffffff0, 0x10]);
    // Without timestamps too.
    expect(decode(101, ipv4(tcp({ flags: ACK, ack: 500, options: sack(400, 450) }))).seg.dsackLeft).toBe(400);
    // An ordinary SACK (data beyond a hole, above the ack), and timestamps alone: none.
    expect(decode(101, ipv4(tcp({ flags: ACK, ack: 500, options: [...ts, ...sack(600, 700)] }))).seg.dsackLeft).toBe(-1);
    expect(decode(101, ipv4(tcp({ flags: ACK, ack: 500, options: ts }))).seg.dsackLeft).toBe(-1);
  });
  it('tells a segment signed with TCP-MD5 (RFC 2385) or TCP-AO (RFC 5925) from an unsigned one, and reads its timestamps', () => {
    const u32 = (v: number) => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
    const md5 = [1, 1, 19, 18, ...new Array<number>(16).fill(0xab)]; // Linux: NOP, NOP, then the digest
    const ao = [29, 16, 1, 1, ...new Array<number>(12).fill(0xcd)]; // key ids, a 96-bit MAC
    const ts = [1, 1, 8, 10, ...u32(7), ...u32(9)];
    const signed = (options: number[], flags = ACK) => decode(101, ipv4(tcp({ flags, options }))).seg;
    expect(signed(md5).signed).toBe(true);
    expect(signed([...md5, ...ts])).toMatchObject({ signed: true, tsVal: 7, tsEcr: 9 });
    expect(signed([...ts, ...ao])).toMatchObject({ signed: true, tsVal: 7, tsEcr: 9 });
    expect(signed([...md5, 2, 4, 0x05, 0xb4, 1, 1, 4, 2], SYN).signed).toBe(true);
    // Linux's usual options (NOP, NOP, timestamps), none, or a SACK: unsigned.
    expect(signed(ts)).toMatchObject({ signed: false, tsVal: 7 });
    expect(signed([]).signed).toBe(false);
    expect(signed([1, 1, 5, 10, ...u32(400), ...u32(450)]).signed).toBe(false);
    // A snap length that cuts the digest leaves the option's kind: signed, the header cut.
    const cut = decode(101, ipv4(tcp({ flags: ACK, options: md5 })), 20 + 20 + 4).seg;
    expect(cut).toMatchObject({ signed: true, truncated: true });
  });
  it('reads what Multipath TCP options (RFC 8684) say: in a SYN whether it opens or joins, in a RST a fast close and the reset reason', () => {
    const key = new Array<number>(8).fill(0x5a);
    const capable = [30, 4, 0x01, 0x01]; // MP_CAPABLE v1 in a SYN: subtype 0, version 1
    const join = [30, 12, 0x10, 0x00, ...new Array<number>(8).fill(7)]; // MP_JOIN, address id 0, token, nonce
    const fastClose = [30, 12, 0x70, 0x00, ...key]; // MP_FASTCLOSE: subtype 7, the peer's key
    const tcprst = (reason: number) => [30, 4, 0x80, reason]; // MP_TCPRST: subtype 8, flags, reason
    const seg = (flags: number, options: number[]) => decode(101, ipv4(tcp({ flags, options }))).seg;
    expect(seg(SYN, [2, 4, 0x05, 0xb4, ...capable]).options?.mptcp).toBe('capable');
    expect(seg(SYN | ACK, [...join, 1, 1, 1, 1]).options?.mptcp).toBe('join');
    expect(seg(SYN, [2, 4, 0x05, 0xb4]).options?.mptcp).toBeNull();
    // Linux's abort (SO_LINGER 0): both options in one RST, after the timestamps.
    const linux = seg(RST | ACK, [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, ...fastClose, ...tcprst(0)]);
    expect(linux.mptcpRst).toBe(MPTCP_FAST_CLOSE | MPTCP_TCPRST | MPTCP_REASON_KNOWN | 0);
    expect(linux.tsVal).toBe(1);
    expect(seg(RST, tcprst(3)).mptcpRst).toBe(MPTCP_TCPRST | MPTCP_REASON_KNOWN | 3);
    expect(seg(RST | ACK, [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]).mptcpRst).toBe(0);
    // Only a RST's count: an MP_FASTCLOSE on an ACK (RFC 8684's first way) is followed by RSTs.
    expect(seg(ACK, fastClose).mptcpRst).toBe(0);
  });
  it('reads an MPTCP SYN\'s token: the hash of the key an MP_CAPABLE SYN/ACK carries, the one an MP_JOIN SYN names', () => {
    const key = [0x3e, 0x40, 0x95, 0x05, 0xa4, 0x19, 0x8a, 0x38];
    const token = (hash: string) => createHash(hash).update(Buffer.from(key)).digest().readUInt32BE(0);
    const seg = (flags: number, options: number[]) => decode(101, ipv4(tcp({ flags, options }))).seg;
    expect(seg(SYN | ACK, [30, 12, 0x01, 0x01, ...key]).mptcpToken).toBe(token('sha256')); // RFC 8684, version 1
    expect(seg(SYN | ACK, [30, 12, 0x00, 0x81, ...key]).mptcpToken).toBe(token('sha1')); // RFC 6824, version 0
    expect(seg(SYN, [30, 12, 0x10, 0x01, 0xeb, 0x71, 0x9a, 0x83, 0, 0, 0, 7]).mptcpToken).toBe(0xeb719a83); // MP_JOIN: the token named
    expect(seg(SYN, [30, 4, 0x01, 0x01]).mptcpToken).toBe(-1); // RFC 8684's SYN carries no key
    expect(seg(SYN | ACK, [30, 16, 0x10, 0x01, ...key, 0, 0, 0, 7]).mptcpToken).toBe(-1); // a join's SYN/ACK: a MAC
  });
});

describe('ICMP errors about TCP segments (RFC 792, RFC 4443)', () => {
  // An ICMPv4 error from 192.0.2.9 to 10.0.0.1 quoting 10.0.0.1:40000 -> 10.0.0.2:80's segment.
  const quoted4 = ipv4(tcp({ seq: 0xdeadbeef })).slice(0, 28); // the IP header and 8 bytes of TCP
  const icmp4 = (type: number, code: number, quote = quoted4, mtu = 0) => {
    const outer = ipv4([type, code, 0, 0, 0, 0, mtu >> 8, mtu & 0xff, ...quote], { proto: 1 });
    outer.splice(12, 8, 192, 0, 2, 9, 10, 0, 0, 1);
    return outer;
  };
  it('reads the quoted four-tuple, sequence number, type, code and sender of an ICMPv4 error', () => {
    const { outcome, seg } = decode(1, ether(0x0800, icmp4(3, 3)));
    expect(outcome).toBe(Outcome.ICMP_ERROR);
    expect({ src: seg.src, srcPort: seg.srcPort, dst: seg.dst, dstPort: seg.dstPort, seq: seg.seq, icmp: seg.icmp })
      .toEqual({ src: '10.0.0.1', srcPort: 40000, dst: '10.0.0.2', dstPort: 80, seq: 0xdeadbeef, icmp: (3 << 8) | 3 });
    expect(formatAddress(4, seg.icmpSender, 0)).toBe('192.0.2.9');
    expect(decode(1, ether(0x0800, icmp4(11, 0))).seg.icmp).toBe(11 << 8);
    expect(decode(1, ether(0x0800, icmp4(12, 0))).outcome).toBe(Outcome.ICMP_ERROR);
    expect(seg.icmpMtu).toBeNaN();
  });
  it('reads the next-hop MTU of a fragmentation needed and of an ICMPv6 packet too big (path MTU discovery)', () => {
    expect(decode(1, ether(0x0800, icmp4(3, 4, quoted4, 1492))).seg.icmpMtu).toBe(1492);
    const quote = ipv6(6, tcp({ seq: 77 }).slice(0, 8));
    const tooBig = decode(1, ether(0x86dd, ipv6(58, [2, 0, 0, 0, 0, 0, 0x05, 0x00, ...quote])));
    expect([tooBig.outcome, tooBig.seg.icmp, tooBig.seg.icmpMtu]).toEqual([Outcome.ICMP_ERROR, 2 << 8, 1280]);
  });
  it('reads an ICMPv6 error, extension headers in the quoted packet included', () => {
    const quote = ipv6(60, [6, 0, 1, 4, 0, 0, 0, 0, ...tcp({ seq: 77 }).slice(0, 8)]); // destination options, then TCP
    const { outcome, seg } = decode(1, ether(0x86dd, ipv6(58, [1, 4, 0, 0, 0, 0, 0, 0, ...quote])));
    expect(outcome).toBe(Outcome.ICMP_ERROR);
    expect({ src: seg.src, srcPort: seg.srcPort, dst: seg.dst, dstPort: seg.dstPort, seq: seg.seq, icmp: seg.icmp, v: seg.ipVersion })
      .toEqual({ src: '2001:db8::1', srcPort: 40000, dst: '2001:db8::2', dstPort: 80, seq: 77, icmp: (1 << 8) | 4, v: 6 });
    expect(formatAddress(6, seg.icmpSender, 0)).toBe('2001:db8::1');
  });
  it('leaves other ICMP, and errors about anything but the start of a TCP segment, as packets that are not TCP', () => {
    expect(decode(1, ether(0x0800, icmp4(8, 0))).outcome).toBe(Outcome.NON_TCP); // echo request
    expect(decode(1, ether(0x0800, icmp4(5, 1))).outcome).toBe(Outcome.NON_TCP); // redirect
    const udp = ipv4([0x9c, 0x40, 0, 53, 0, 8, 0, 0], { proto: 17 });
    expect(decode(1, ether(0x0800, icmp4(3, 3, udp))).outcome).toBe(Outcome.NON_TCP);
    expect(decode(1, ether(0x0800, icmp4(3, 3, quoted4.slice(0, 24)))).outcome).toBe(Outcome.NON_TCP); // 4 bytes of TCP: no sequence number
    expect(decode(1, ether(0x0800, icmp4(3, 3, ipv4(tcp(), { fragOffset: 100 }).slice(0, 28)))).outcome).toBe(Outcome.NON_TCP);
    const echo6 = ipv6(58, [128, 0, 0, 0, 0, 1, 0, 1]);
    expect(decode(1, ether(0x86dd, echo6)).outcome).toBe(Outcome.NON_TCP);
    // A TCP segment after it starts clean: nothing of the error is left on the reused segment.
    const seg = newSegment();
    const rec = (bytes: number[]): PacketRecord => ({ frame: 1, fileIndex: 0, linkType: 1, data: Buffer.from(bytes), offset: 0, capLen: bytes.length, origLen: bytes.length, tsSec: 0, tsNsec: 0, fileOffset: 0, iface: -1, direction: -1 });
    decodePacket(rec(ether(0x0800, icmp4(3, 3))), seg);
    expect(decodePacket(rec(ether(0x0800, ipv4(tcp()))), seg)).toBe(Outcome.TCP);
    expect(seg.icmp).toBe(-1);
  });
});
