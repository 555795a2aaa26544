/**
 * tcpdump text input (SPEC section 1, issue 4): the line parser on literal lines of every form,
 * the agreement of every committed rendering (fixtures/<name>/text/*.txt, made by
 * fixtures/render-text.sh) with the report from the pcap itself, and text piped to the CLI.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTcpdumpTextDecoder } from '../src/decode/tcpdump-text.js';
import { SeqRecovery } from '../src/decode/tcpdump-seq.js';
import { ACK, AE, CWR, Direction, ECE, FIN, MPTCP_FAST_CLOSE, MPTCP_REASON_KNOWN, MPTCP_TCPRST, PSH, RST, SYN, URG, newSegment, type Segment } from '../src/decode/segment.js';
import type { Report } from '../src/pipeline.js';
import { formatAddress } from '../src/decode/addr.js';
import { FIXTURES, ROOT, analyze, cli } from './helpers/run.js';

/** A segment as a plain object, its addresses written out (they are getters on a Segment). */
const plain = (s: Segment) => ({ ...s, src: s.src, dst: s.dst });

/** Feeds `lines` to a fresh decoder; returns copies of the segments it emitted, and its stats. */
function decode(lines: string[]) {
  const d = createTcpdumpTextDecoder('test.txt', 0);
  const seg = newSegment();
  const out: ReturnType<typeof plain>[] = [];
  const emit = (s: Segment) => out.push(plain(s));
  lines.forEach((l, i) => d.line(l, i + 1, seg, emit));
  d.end(seg, emit);
  return { segs: out, stats: d.stats(), timeDigits: d.timeDigits };
}

function one(line: string | string[]): ReturnType<typeof plain> {
  const { segs } = decode(Array.isArray(line) ? line : [line]);
  expect(segs).toHaveLength(1);
  return segs[0]!;
}

const SYN_LINE = 'IP 127.0.0.1.41113 > 127.0.0.1.5113: Flags [S], seq 3112885078, win 65495, options [mss 65495,sackOK,TS val 3927747608 ecr 0,nop,wscale 10], length 0';

describe('tcpdump text: one line of each form', () => {
  it('reads a SYN with its options (default time of day)', () => {
    const s = one(`09:17:21.807237 ${SYN_LINE}`);
    expect(s).toMatchObject({
      frame: 1, ipVersion: 4, src: '127.0.0.1', srcPort: 41113, dst: '127.0.0.1', dstPort: 5113,
      seq: 3112885078, ack: 0, flags: SYN, window: 65495, payloadLen: 0, tsSec: 9 * 3600 + 17 * 60 + 21, tsNsec: 807237000,
      options: { mss: 65495, windowScale: 10, sackPermitted: true, timestamps: true, fastOpen: false, truncated: false },
    });
  });

  it('reads every timestamp form', () => {
    expect(one(`1795252641.807237 ${SYN_LINE}`)).toMatchObject({ tsSec: 1795252641, tsNsec: 807237000 }); // -tt
    expect(one(`2026-11-21 09:17:21.807237 ${SYN_LINE}`)).toMatchObject({ tsSec: Date.UTC(2026, 10, 21, 9, 17, 21) / 1000, tsNsec: 807237000 }); // -tttt
    expect(one(SYN_LINE)).toMatchObject({ tsSec: 0, tsNsec: 0 }); // -t
    const nano = decode([`1795252641.807237123 ${SYN_LINE}`]);
    expect(nano.segs[0]).toMatchObject({ tsSec: 1795252641, tsNsec: 807237123 });
    expect(nano.timeDigits).toBe(9);
    expect(decode([`09:17:21.807237 ${SYN_LINE}`]).timeDigits).toBe(6);
  });

  it('crosses midnight with time of day', () => {
    const { segs } = decode([`23:59:59.900000 ${SYN_LINE}`, `00:00:00.100000 ${SYN_LINE}`]);
    expect(segs[1]!.tsSec - segs[0]!.tsSec + (segs[1]!.tsNsec - segs[0]!.tsNsec) / 1e9).toBeCloseTo(0.2, 9);
  });

  it('adds up -ttt deltas once they are recognised as such', () => {
    const { segs } = decode([
      ` 00:00:00.000000 ${SYN_LINE}`,
      ` 00:00:01.000000 ${SYN_LINE}`,
      ` 00:00:00.000100 ${SYN_LINE}`, // a drop of more than 1 ms: deltas since the previous packet
      `-00:00:00.000050 ${SYN_LINE}`,
    ]);
    expect(segs.map((s) => s.tsSec * 1e6 + s.tsNsec / 1e3)).toEqual([0, 1e6, 1e6 + 100, 1e6 + 50]);
  });

  it('takes -ttttt values as they are', () => {
    const lines = [0, 1, 3, 7, 15].map((t) => ` 00:00:${String(t).padStart(2, '0')}.000000 ${SYN_LINE}`);
    expect(decode(lines).segs.map((s) => s.tsSec)).toEqual([0, 1, 3, 7, 15]);
  });

  it('tells -ttt from -ttttt by the TCP timestamp clock when the values alone cannot', () => {
    // SYN retransmissions 1, 2, 4 s apart; TS val ticks at 1 kHz. As -ttt: 1, 2, 4 (monotone).
    const syn = (ts: number) => `IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1, win 64240, options [mss 1460,TS val ${ts} ecr 0], length 0`;
    const ttt = decode([` 00:00:00.000000 ${syn(1000)}`, ` 00:00:01.000000 ${syn(2000)}`, ` 00:00:02.000000 ${syn(4000)}`, ` 00:00:04.000000 ${syn(8000)}`]);
    expect(ttt.segs.map((s) => s.tsSec)).toEqual([0, 1, 3, 7]);
    const ttttt = decode([` 00:00:00.000000 ${syn(1000)}`, ` 00:00:01.000000 ${syn(2000)}`, ` 00:00:03.000000 ${syn(4000)}`, ` 00:00:07.000000 ${syn(8000)}`]);
    expect(ttttt.segs.map((s) => s.tsSec)).toEqual([0, 1, 3, 7]);
  });

  it('keeps -ttttt despite a few out-of-order timestamps', () => {
    const us = Array.from({ length: 20 }, (_, i) => i * 100);
    us[5] = 390; // out of order by 10 µs
    const lines = us.map((u) => ` 00:00:00.${String(u).padStart(6, '0')} ${SYN_LINE}`);
    expect(decode(lines).segs.map((s) => s.tsNsec / 1000)).toEqual(us);
  });

  it('tells the pipe the frame and time of every packet that is not TCP, in order', () => {
    const d = createTcpdumpTextDecoder('test.txt', 0);
    const seg = newSegment();
    const events: string[] = [];
    const emit = (s: Segment) => events.push(`tcp ${s.frame} ${s.tsSec}.${s.tsNsec}`);
    const tick = (frame: number, sec: number, nsec: number) => events.push(`other ${frame} ${sec}.${nsec}`);
    const lines = [
      ' 00:00:00.000000 ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28',
      ` 00:00:00.000010 ${SYN_LINE}`,
      ' 00:00:02.000000 IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 60)',
      `    ${SYN_LINE.slice(3)}`,
      ' 00:00:00.000005 IP 10.0.0.1.53 > 10.0.0.2.40000: 1234 1/0/0 A 1.2.3.4 (45)',
    ];
    lines.forEach((l, i) => d.line(l, i + 1, seg, emit, tick));
    d.end(seg, emit, tick);
    // A drop of more than 1 ms (2 s, then 5 µs): deltas since the previous packet.
    expect(events).toEqual(['other 1 0.0', 'tcp 2 0.10000', 'tcp 3 2.10000', 'other 4 2.15000']);
  });

  it('reads the ICMP errors tcpdump prints about a TCP segment, and takes the rest from the opening they answer', () => {
    const syn = '1.000000 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 100, win 65535, length 0';
    const icmp = (body: string, from = '10.0.0.2') => `1.000100 IP ${from} > 10.0.0.1: ICMP ${body}, length 36`;
    const errors = (lines: string[]) => decode([syn, ...lines]).segs.slice(1).map((x) => ({ icmp: x.icmp, src: x.src, srcPort: x.srcPort, dst: x.dst, dstPort: x.dstPort, seq: x.seq }));
    const quoted = { src: '10.0.0.1', srcPort: 40000, dst: '10.0.0.2', dstPort: 80, seq: NaN };
    expect(errors([icmp('10.0.0.2 tcp port 80 unreachable')])).toEqual([{ icmp: 0x303, ...quoted }]);
    expect(errors([icmp('host 10.0.0.2 unreachable - admin prohibited filter', '192.0.2.9')])).toEqual([{ icmp: 0x30d, ...quoted }]);
    expect(errors([icmp('host 10.0.0.2 unreachable - admin prohibited', '192.0.2.9')])).toEqual([{ icmp: 0x30a, ...quoted }]);
    expect(errors([icmp('net 10.0.0.2 unreachable', '192.0.2.9')])).toEqual([{ icmp: 0x300, ...quoted }]);
    expect(errors([icmp('10.0.0.2 unreachable - need to frag (mtu 1400)', '192.0.2.9')])).toEqual([{ icmp: 0x304, ...quoted }]);
    expect(decode([syn, icmp('10.0.0.2 unreachable - need to frag (mtu 1400)', '192.0.2.9')]).segs[1]!.icmpMtu).toBe(1400);
    expect(errors([icmp('10.0.0.2 protocol 6 unreachable')])).toEqual([{ icmp: 0x302, ...quoted }]);
    // Not about TCP, about no opening seen, or not an error: packets that are not TCP.
    const { segs, stats } = decode([syn, icmp('10.0.0.2 udp port 53 unreachable'), icmp('10.0.0.7 tcp port 80 unreachable'), icmp('10.0.0.2 tcp port 81 unreachable'),
      '1.0002 IP 10.0.0.2 > 10.0.0.1: ICMP echo request, id 1, seq 1, length 64', '1.0003 IP 10.0.0.2 > 10.0.0.1: ICMP time exceeded in-transit, length 36']);
    expect(segs).toHaveLength(1);
    expect(stats.nonTcp).toBe(5);
    // The sender of the error is whoever sent it.
    const [, e] = decode([syn, icmp('host 10.0.0.2 unreachable', '192.0.2.9')]).segs;
    expect(formatAddress(4, Uint32Array.from(e!.icmpSender), 0)).toBe('192.0.2.9');
  });

  it('reads ICMPv6 errors, and the -v forms with the quoted packet after them (which is not a segment of its own)', () => {
    const syn6 = '1.000000 IP6 2001:db8::1.40000 > 2001:db8::2.80: Flags [S], seq 100, win 65535, length 0';
    const [, e6] = decode([syn6, '1.000100 IP6 2001:db8::2 > 2001:db8::1: ICMP6, destination unreachable, unreachable port, 2001:db8::2 tcp port 80, length 88']).segs;
    expect({ icmp: e6!.icmp, srcPort: e6!.srcPort, dst: e6!.dst, v: e6!.ipVersion }).toEqual({ icmp: 0x104, srcPort: 40000, dst: '2001:db8::2', v: 6 });
    const v6 = decode([syn6, '1.000100 IP6 (flowlabel 0xd84f2, hlim 64, next-header ICMPv6 (58) payload length: 88) 2001:db8::9 > 2001:db8::1: [icmp6 sum ok] ICMP6, destination unreachable, unreachable prohibited 2001:db8::2, length 88']).segs;
    expect(v6.map((x) => x.icmp)).toEqual([-1, 0x101]);
    // Time exceeded names the quoted destination (code 0 only); packet too big names nothing.
    const te6 = decode([syn6, '1.000100 IP6 2001:db8::9 > 2001:db8::1: ICMP6, time exceeded in-transit for 2001:db8::2, length 68',
      '1.000200 IP6 2001:db8::9 > 2001:db8::1: ICMP6, packet too big, mtu 1280, length 68']);
    expect(te6.segs.map((x) => [x.icmp, x.srcPort, x.dstPort])).toEqual([[-1, 40000, 80], [0x300, 40000, 80]]);
    expect(te6.stats.nonTcp).toBe(2);
    const v4 = decode([
      '1.000000 IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 60)',
      '    10.0.0.1.40000 > 10.0.0.2.80: Flags [S], cksum 0xfe30 (incorrect -> 0x98b5), seq 100, win 65495, length 0',
      '1.000100 IP (tos 0xc0, ttl 64, id 17255, offset 0, flags [none], proto ICMP (1), length 88)',
      '    10.0.0.2 > 10.0.0.1: ICMP 10.0.0.2 tcp port 80 unreachable, length 68',
      '\tIP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 60)',
      '    10.0.0.1.40000 > 10.0.0.2.80: Flags [S], cksum 0xfe30 (incorrect -> 0x98b5), seq 100, win 65495, length 0',
    ]);
    expect(v4.segs.map((x) => [x.frame, x.icmp, x.srcPort, x.seq])).toEqual([[1, -1, 40000, 100], [2, 0x303, 40000, 100]]);
    expect(v4.stats.tcp).toBe(1);
  });

  it('with -v reads the packet an ICMPv4 error quotes: its four-tuple and sequence number, time exceeded and parameter problem included', () => {
    const hdr = (proto: string, len: number) => `IP (tos 0x0, ttl 64, id 7, offset 0, flags [DF], proto ${proto}, length ${len})`;
    const open = [
      `1.000000 ${hdr('TCP (6)', 60)}`,
      '    10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1000, win 65495, length 0',
      `1.000100 ${hdr('TCP (6)', 60)}`,
      '    10.0.0.2.80 > 10.0.0.1.40000: Flags [S.], seq 5000, ack 1001, win 65483, length 0',
      `1.000200 ${hdr('TCP (6)', 52)}`,
      '    10.0.0.1.40000 > 10.0.0.2.80: Flags [.], ack 1, win 512, length 0',
    ];
    const icmp = (t: string, body: string) => [`${t} IP (tos 0xc0, ttl 64, id 9, offset 0, flags [none], proto ICMP (1), length 88)`, `    192.0.2.9 > 10.0.0.1: ICMP ${body}, length 68`];
    const quote = (proto: string, line: string) => [`\t${hdr(proto, 152)}`, `    ${line}`];
    const data = '10.0.0.1.40000 > 10.0.0.2.80: Flags [P.], cksum 0x94e4 (correct), seq 17:117, ack 13, win 63, length 100';
    const errors = (lines: string[]) => decode([...open, ...lines]);
    const fields = (x: ReturnType<typeof plain>) => ({ icmp: x.icmp, src: x.src, srcPort: x.srcPort, dst: x.dst, dstPort: x.dstPort, seq: x.seq });
    const about = { src: '10.0.0.1', srcPort: 40000, dst: '10.0.0.2', dstPort: 80 };

    // Time exceeded names no address: only the quote ties it to the connection. A relative seq
    // is made absolute from the client's base (ISN 1000).
    const te = errors([...icmp('2.0', 'time exceeded in-transit'), ...quote('TCP (6)', data)]);
    expect(te.segs.slice(3).map(fields)).toEqual([{ icmp: 0xb00, ...about, seq: 1017 }]);
    expect(te.stats).toMatchObject({ tcp: 3, nonTcp: 1 });
    const pp = errors([...icmp('2.0', 'parameter problem - octet 20'), ...quote('TCP (6)', data)]);
    expect(pp.segs.slice(3).map(fields)).toEqual([{ icmp: 0xc00, ...about, seq: 1017 }]);
    // A SYN's seq is printed absolute; the quoted ports are taken over the opening's guess.
    const syn = errors([...icmp('2.0', 'host 10.0.0.2 unreachable'), ...quote('TCP (6)', '10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1000, win 65495, length 0')]);
    expect(syn.segs.slice(3).map(fields)).toEqual([{ icmp: 0x301, ...about, seq: 1000 }]);
    // Quoted short (8 bytes of TCP): the ports, no seq.
    const short = errors([...icmp('2.0', 'time exceeded in-transit'), ...quote('TCP (6)', '10.0.0.1.40000 > 10.0.0.2.80:  [|tcp]')]);
    expect(short.segs.slice(3).map(fields)).toEqual([{ icmp: 0xb00, ...about, seq: NaN }]);
    // About a UDP datagram: not about TCP, though the address matches an opening.
    const udp = errors([...icmp('2.0', 'host 10.0.0.2 unreachable'), ...quote('UDP (17)', '10.0.0.1.5353 > 10.0.0.2.53: 1+ A? x. (17)')]);
    expect(udp.segs).toHaveLength(3);
    expect(udp.stats.nonTcp).toBe(1);
    // No quote printed (cut by the snap length): what the line names, as without -v; a time
    // exceeded then stays unattributed.
    const cut = errors([...icmp('2.0', 'host 10.0.0.2 unreachable'), ...icmp('2.1', 'time exceeded in-transit'), ...open.slice(4)]);
    expect(cut.segs.map((x) => [x.frame, x.icmp])).toEqual([[1, -1], [2, -1], [3, -1], [4, 0x301], [6, -1]]);
    expect(cut.segs[3]!.seq).toBeNaN();
    expect(cut.stats).toMatchObject({ packets: 6, tcp: 4, nonTcp: 2 });
  });

  it('reads a pasted excerpt of relative numbers as relative', () => {
    const { segs } = decode([
      '10:00:00.000001 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [P.], seq 1:17, ack 1, win 502, length 16',
      '10:00:00.000002 IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [.], ack 17, win 510, length 0',
      '10:00:00.000003 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [F.], seq 17, ack 1, win 502, length 0',
    ]);
    expect(segs.map((s) => [s.seq, s.ack])).toEqual([[1, 1], [1, 17], [17, 1]]);
  });

  it('reads -# numbers as frames, with or without a timestamp', () => {
    expect(one(`   42  09:17:21.807237 ${SYN_LINE}`).frame).toBe(42);
    expect(one(`    7  ${SYN_LINE}`).frame).toBe(7);
    expect(one(`    3   00:00:00.000088 ${SYN_LINE}`)).toMatchObject({ frame: 3, tsSec: 0, tsNsec: 88000 });
  });

  it('reads every flag string', () => {
    const cases: [string, number][] = [
      ['S', SYN], ['S.', SYN | ACK], ['.', ACK], ['P.', PSH | ACK], ['F.', FIN | ACK], ['R', RST], ['R.', RST | ACK],
      ['FS', FIN | SYN], ['SR', SYN | RST], ['FPU', FIN | PSH | URG], ['SEW', SYN | ECE | CWR], ['S.E', SYN | ACK | ECE],
      ['none', 0], ['FSRP.UEW', 0xff], ['SEWe', SYN | ECE | CWR | AE], ['S.W', SYN | ACK | CWR],
    ];
    for (const [str, bits] of cases) {
      const s = one(`1.000000 IP 10.0.0.1.1000 > 10.0.0.2.80: Flags [${str}], seq 5, ack 7, win 0, length 0`);
      expect(s.flags, str).toBe(bits);
    }
  });

  it('reads IPv6, -v two-line IPv4, -vv, -e, VLAN, -i any and IPv6 -v forms', () => {
    const v6 = one('09:17:25.583873 IP6 ::1.41114 > ::1.5114: Flags [S], seq 2743550665, win 65476, length 0');
    expect(v6).toMatchObject({ ipVersion: 6, src: '::1', srcPort: 41114, dst: '::1', dstPort: 5114, seq: 2743550665, direction: -1, ipId: -1 });
    const v = one([
      '    5  09:17:39.659496 IP (tos 0x0, ttl 64, id 31397, offset 0, flags [DF], proto TCP (6), length 60)',
      '    127.0.0.1.41116 > 127.0.0.1.5116: Flags [S], cksum 0xfe30 (incorrect -> 0xaa4a), seq 1291685401, win 65495, options [mss 65495,sackOK,TS val 3862245327 ecr 0,nop,wscale 10], length 0',
    ]);
    expect(v).toMatchObject({ frame: 5, src: '127.0.0.1', srcPort: 41116, seq: 1291685401, tsSec: 9 * 3600 + 17 * 60 + 39, options: { mss: 65495 }, ipId: 31397 });
    const e = one('09:18:12.778013 22:69:33:c9:ac:1f > ae:1c:22:3c:95:11, ethertype 802.1Q-QinQ (0x88a8), length 82: vlan 100, p 0, ethertype 802.1Q (0x8100), vlan 20, p 0, ethertype IPv4 (0x0800), 10.77.0.1.4118 > 10.77.0.2.5118: Flags [S], seq 2807583217, win 64240, length 0');
    expect(e).toMatchObject({ src: '10.77.0.1', srcPort: 4118, dst: '10.77.0.2', dstPort: 5118, seq: 2807583217 });
    const ev = one([
      '09:18:09.961503 f2:99:f6:0d:7e:e7 > 3a:95:f3:4f:de:e1, ethertype 802.1Q (0x8100), length 78: vlan 10, p 0, ethertype IPv4 (0x0800), (tos 0x0, ttl 64, id 6288, offset 0, flags [DF], proto TCP (6), length 60)',
      '    10.77.0.1.4117 > 10.77.0.2.5117: Flags [S], cksum 0x212a (correct), seq 2843436003, win 64240, length 0',
    ]);
    expect(ev).toMatchObject({ src: '10.77.0.1', seq: 2843436003 });
    expect(one('09:17:37.078946 lo    In  IP 127.0.0.1.41115 > 127.0.0.1.5115: Flags [S], seq 119100145, win 65495, length 0')).toMatchObject({ srcPort: 41115, direction: Direction.IN });
    expect(one('09:17:37.078946 enp0s31f6 Out IP 127.0.0.1.41115 > 127.0.0.1.5115: Flags [S], seq 1, win 1, length 0')).toMatchObject({ srcPort: 41115, direction: Direction.OUT });
    expect(one('09:17:37.078946 ?     P   IP 127.0.0.1.41115 > 127.0.0.1.5115: Flags [S], seq 1, win 1, length 0')).toMatchObject({ srcPort: 41115, direction: Direction.OTHER_HOST });
    // Each interface name is a number of its own (the copies filter tells interfaces apart by it).
    const ifaceOf = (name: string) => one(`09:17:37.078946 ${name} In  IP 127.0.0.1.41115 > 127.0.0.1.5115: Flags [S], seq 1, win 1, length 0`).iface;
    expect(ifaceOf('veth1')).toBe(ifaceOf('veth1'));
    expect(ifaceOf('veth1')).not.toBe(ifaceOf('veth2'));
    expect(ifaceOf('docker0')).toBeGreaterThanOrEqual(0);
    expect(one('09:17:37.078946 lo    In  ifindex 1 00:00:00:00:00:00 ethertype IPv4 (0x0800), length 80: 127.0.0.1.41115 > 127.0.0.1.5115: Flags [S], seq 1, win 1, length 0')).toMatchObject({ srcPort: 41115, direction: Direction.IN });
    expect(one('09:17:39.659496  In 00:00:00:00:00:00 ethertype IPv4 (0x0800), length 76: 127.0.0.1.41116 > 127.0.0.1.5116: Flags [S], seq 1, win 1, length 0')).toMatchObject({ srcPort: 41116, direction: Direction.IN });
    expect(one('09:17:39.659496 Out 02:42:ac:11:00:02 ethertype IPv4 (0x0800), length 76: 127.0.0.1.41116 > 127.0.0.1.5116: Flags [S], seq 1, win 1, length 0')).toMatchObject({ srcPort: 41116, direction: Direction.OUT });
    expect(one('09:17:25.583873 IP6 (flowlabel 0xf9362, hlim 64, next-header TCP (6) payload length: 40) ::1.41114 > ::1.5114: Flags [S], cksum 0x0030 (incorrect -> 0x6c6b), seq 2743550665, win 65476, length 0')).toMatchObject({ src: '::1', srcPort: 41114 });
    // IPv6 with an extension header: addresses first, then TCP prints its ports alone.
    const hbh = one('14:13:27.172200 IP6 (flowlabel 0xa31ee, hlim 64, next-header HBH (0), payload length 0) 2604:1380:4091:ce00::d > 2604:1380:4091:ce00::b: HBH (jumbo: 80040)  41851 > 43913: Flags [P.], seq 592820498:592900498, ack 2512896041, win 2128, length 80000');
    expect(hbh).toMatchObject({ src: '2604:1380:4091:ce00::d', dst: '2604:1380:4091:ce00::b', srcPort: 41851, dstPort: 43913, payloadLen: 80000 });
  });

  it('reads TCP under MPLS, PPPoE, PPP, raw IP and NFLOG in every form tcpdump prints them', () => {
    // Lines as tcpdump 4.99 prints Zeek's mpls-in-vlan, mixed-vlan-mpls and pppoe-over-qinq
    // captures, tcpdump's own PPP and raw-IP ones, and this project's nflog fixture.
    const want = { src: '10.1.2.1', srcPort: 11001, dst: '10.34.0.1', dstPort: 23, seq: 2553417723, flags: SYN };
    const tail = '10.1.2.1.11001 > 10.34.0.1.23: Flags [S], seq 2553417723, win 4128, options [mss 536], length 0';
    const v4 = '(tos 0xc0, ttl 255, id 0, offset 0, flags [none], proto TCP (6), length 44)';
    expect(one(`18:49:06.874907 MPLS (label 29, tc 6, [S], ttl 255) IP ${tail}`)).toMatchObject(want);
    expect(one(`18:49:06.874907 MPLS (label 254, tc 0, ttl 60) (label 99, tc 0, [S], ttl 60) IP ${tail}`)).toMatchObject(want);
    expect(one(`18:49:06.874907 00:30:96:05:28:38 > 00:30:96:e6:fc:39, ethertype MPLS unicast (0x8847), length 62: MPLS (label 29, tc 6, [S], ttl 255) ${tail}`)).toMatchObject(want);
    expect(one(`18:49:06.874907 00:08:e3:41:41:41 > 00:08:e3:41:41:41, ethertype 802.1Q (0x8100), length 1522: vlan 0, p 0, ethertype MPLS unicast (0x8847), MPLS (label 16106, tc 0, [S], ttl 44) ${tail}`)).toMatchObject(want);
    // -v: the labels on a line (further labels one a line), then the IPv4 header, then TCP.
    expect(one(['18:49:06.874907 MPLS (label 29, tc 6, [S], ttl 255)', `\tIP ${v4}`, `    ${tail}`])).toMatchObject(want);
    expect(one(['18:49:06.874907 MPLS (label 254, tc 0, ttl 60)', '\t(label 99, tc 0, [S], ttl 60)', `\tIP ${v4}`, `    ${tail}`])).toMatchObject(want);
    expect(one(['18:49:06.874907 00:30:96:05:28:38 > 00:30:96:e6:fc:39, ethertype MPLS unicast (0x8847), length 62: MPLS (label 29, tc 6, [S], ttl 255)', `\t${v4}`, `    ${tail}`])).toMatchObject(want);
    // PPPoE, plain, -v, -e (the PPP protocol then printed as "IP (0x0021), length N: ").
    expect(one(`09:09:58.449222 PPPoE  [ses 0xf07] IP ${tail}`)).toMatchObject(want);
    expect(one([`09:09:58.449222 PPPoE  [ses 0xf07] IP ${v4}`, `    ${tail}`])).toMatchObject(want);
    expect(one(`09:09:58.449222 00:00:00:00:00:00 > 00:00:00:00:00:01, ethertype 802.1Q (0x8100), length 94: vlan 3704, p 0, ethertype 802.1Q (0x8100), vlan 2474, p 0, ethertype PPPoE S (0x8864), PPPoE  [ses 0xf07] IP (0x0021), length 66: ${tail}`)).toMatchObject(want);
    // -v cut by the snap length: "truncated-ip - N bytes missing!" before the header.
    expect(one([`09:10:03.881032 PPPoE  [ses 0xf07] IP truncated-ip - 6 bytes missing! ${v4}`, `    ${tail}`])).toMatchObject(want);
    // PPP and raw IP with -e, NFLOG with -e.
    expect(one(`18:49:06.874907 IP (0x0021), length 177: ${tail}`)).toMatchObject(want);
    expect(one(`18:49:06.874907 ip: ${tail}`)).toMatchObject(want);
    expect(one('18:49:06.874907 ip: ::1.12345 > ::1.8080: Flags [S], seq 1, win 8192, length 0')).toMatchObject({ ipVersion: 6, src: '::1', dstPort: 8080 });
    expect(one(`18:49:06.874907 version 0, resource ID 7, family IPv4 (2), length 116: ${tail}`)).toMatchObject(want);
    // What is carried but not IP: PPP control, an MPLS pseudowire.
    expect(decode(['09:09:58.449222 PPPoE  [ses 0xf07] LCP, Echo-Request (0x09), id 1, length 10']).stats).toMatchObject({ packets: 1, tcp: 0, nonTcp: 1 });
  });

  it('reads the TCP a tunnel carries: IP in IP, GRE, Geneve and VXLAN, in every form tcpdump prints them', () => {
    // Lines as tcpdump 4.99 prints Suricata's ipv4_over_ipv4 / ipv6_over_ipv4, tcpdump's geneve
    // and this project's vxlan fixture.
    const want = { src: '10.1.0.3', srcPort: 80, dst: '10.1.0.4', dstPort: 81, seq: 129018 };
    const tcpPart = '10.1.0.3.80 > 10.1.0.4.81: Flags [S], seq 129018, win 1024, length 0';
    const inner4 = '(tos 0x0, ttl 127, id 1234, offset 0, flags [none], proto TCP (6), length 40)';
    expect(one(`00:00:05.000000 IP 10.1.0.1 > 10.1.0.2: IP ${tcpPart}`)).toMatchObject(want);
    expect(one(`00:00:05.000000 0a:00:27:00:00:00 > 0a:00:27:00:00:01, ethertype IPv4 (0x0800), length 126: 10.1.0.1 > 10.1.0.2: ${tcpPart}`)).toMatchObject(want);
    expect(one([
      '00:00:05.000000 IP (tos 0x0, ttl 127, id 1234, offset 0, flags [none], proto IPIP (4), length 60)',
      `    10.1.0.1 > 10.1.0.2: IP ${inner4}`,
      `    ${tcpPart}`,
    ])).toMatchObject(want);
    expect(one([
      '00:00:05.000000 0a:00:27:00:00:00 > 0a:00:27:00:00:01, ethertype IPv4 (0x0800), length 126: (tos 0x0, ttl 127, id 1234, offset 0, flags [none], proto IPIP (4), length 60)',
      `    10.1.0.1 > 10.1.0.2: ${inner4}`,
      `    ${tcpPart}`,
    ])).toMatchObject(want);
    expect(one([
      '00:00:03.000000 IP (tos 0x0, ttl 127, id 1234, offset 0, flags [none], proto IPv6 (41), length 92)',
      '    10.1.0.1 > 10.1.0.2: IP6 (hlim 127, next-header TCP (6) payload length: 32) 2001:db8::1.80 > 2001:db8::2.81: Flags [S], cksum 0x0a91 (correct), seq 7, win 1024, length 0',
    ])).toMatchObject({ ipVersion: 6, src: '2001:db8::1', dstPort: 81, seq: 7 });
    expect(one(`00:00:05.000000 IP 192.0.2.1 > 192.0.2.2: GREv0, length 60: IP ${tcpPart}`)).toMatchObject(want);
    expect(one(`22:04:33.999279 IP 20.0.0.2.43443 > 20.0.0.1.6081: Geneve, Flags [C], vni 0xa, options [8 bytes]: IP ${tcpPart}`)).toMatchObject(want);
    expect(one([
      '22:04:33.999279 IP (tos 0x0, ttl 64, id 57274, offset 0, flags [DF], proto UDP (17), length 118)',
      '    20.0.0.2.43443 > 20.0.0.1.6081: [no cksum] Geneve, Flags [none], vni 0xb',
      `\tIP ${inner4}`,
      `    ${tcpPart}`,
    ])).toMatchObject(want);
    // VXLAN: the inner frame on the line after, at column 0 and without a timestamp.
    const vx = '10.66.0.1.43068 > 10.66.0.2.4789: VXLAN, flags [I] (0x08), vni 42';
    expect(one([`11:56:45.964575 IP ${vx}`, `IP ${tcpPart}`])).toMatchObject(want);
    expect(one([`IP ${vx}`, `IP ${tcpPart}`])).toMatchObject(want); // -t
    expect(one([` 00:00:00.000000 06:8a:08:57:46:e2 > fa:c4:2f:da:e4:c9, ethertype IPv4 (0x0800), length 124: ${vx}`, `4e:88:94:b8:05:1f > de:12:59:67:39:31, ethertype IPv4 (0x0800), length 74: ${tcpPart}`])).toMatchObject(want);
    expect(one([
      '2026-12-06 11:56:45.964575 IP (tos 0x0, ttl 64, id 52738, offset 0, flags [none], proto UDP (17), length 110)',
      `    ${vx.replace('VXLAN', '[udp sum ok] VXLAN')}`,
      `IP ${inner4}`,
      `    ${tcpPart}`,
    ])).toMatchObject(want);
    // Two VXLAN packets in a row are two packets, each with its frame.
    expect(decode([`11:56:45.964575 IP ${vx}`, `IP ${tcpPart}`, `11:56:45.964600 IP ${vx}`, `IP ${tcpPart}`]).segs.map((x) => x.frame)).toEqual([1, 2]);
    // Protocols after an outer "SRC > DST: " that carry no packet stay what they are.
    expect(decode(['00:00:05.000000 IP 10.1.0.1 > 10.1.0.2: ICMP echo request, id 1, seq 1, length 64']).stats).toMatchObject({ tcp: 0, nonTcp: 1 });
    expect(decode(['00:00:05.000000 IP 10.1.0.1.53 > 10.1.0.2.40000: 1234 1/0/0 A 1.2.3.4 (45)']).stats).toMatchObject({ tcp: 0, nonTcp: 1 });
  });

  it('gives a SYN printed without options an empty set of options, as the capture decoder does', () => {
    expect(one('1.0 IP 1.1.1.1.13131 > 1.1.1.2.31313: Flags [S], seq 0, win 8192, length 0').options).toEqual({ mss: null, windowScale: null, sackPermitted: false, timestamps: false, fastOpen: false, mptcp: null, truncated: false });
    expect(one('1.0 IP 1.1.1.1.13131 > 1.1.1.2.31313: Flags [.], ack 1, win 8192, length 0').options).toBeNull();
  });

  it('keeps host names and maps service names to ports', () => {
    const s = one('10:50:09.891237 IP client.example.com.62146 > localhost.ssh: Flags [S], seq 1, win 1, length 0');
    expect(s).toMatchObject({ src: 'client.example.com', srcPort: 62146, dst: 'localhost', dstPort: 22 });
    for (const [name, n] of [['http', 80], ['https', 443], ['domain', 53], ['smtp', 25], ['http-alt', 8080], ['ms-wbt-server', 3389]] as const) {
      expect(one(`1.0 IP a.${name} > b.40000: Flags [S], seq 1, win 1, length 0`).srcPort, name).toBe(n);
    }
  });

  it('recovers absolute numbers from relative ones (base per conversation, reset by SYN/ACK)', () => {
    const { segs } = decode([
      '1.000001 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1000000000, win 64240, length 0',
      '1.000002 IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [S.], seq 3000000000, ack 1000000001, win 65160, length 0',
      '1.000003 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [.], ack 1, win 502, length 0',
      '1.000004 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [P.], seq 1:17, ack 1, win 502, length 16',
      '1.000005 IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [.], ack 17, win 510, length 0',
      '1.000006 IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [F.], seq 1, ack 17, win 510, length 0',
    ]);
    expect(segs.map((s) => [s.seq, s.ack])).toEqual([
      [1000000000, 0], [3000000000, 1000000001], [1000000001, 3000000001], [1000000001, 3000000001],
      [3000000001, 1000000017], [3000000001, 1000000017],
    ]);
    expect(segs[3]!.payloadLen).toBe(16);
  });

  describe('a conversation\'s numbering is kept as long as the tracker keeps its connection', () => {
    const HANDSHAKE = [
      '1000.000001 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1000000000, win 64240, length 0',
      '1000.000002 IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [S.], seq 3000000000, ack 1000000001, win 65160, length 0',
      '1000.000003 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [.], ack 1, win 502, length 0',
    ];
    const CLOSE = [
      '1000.000004 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [F.], seq 1, ack 1, win 502, length 0',
      '1000.000005 IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [F.], seq 1, ack 2, win 510, length 0',
      '1000.000006 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [.], ack 2, win 502, length 0',
    ];
    // Another conversation's packet moves the capture's time on (and sweeps).
    const other = (t: number) => `${t}.000000 IP 10.0.0.9.41000 > 10.0.0.2.80: Flags [S], seq 5, win 1, length 0`;
    const lastFin = (t: number) => `${t}.000000 IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [F.], seq 1, ack 2, win 510, length 0`;

    it('a FIN retransmitted within TIME_WAIT is numbered from the bases', () => {
      const { segs } = decode([...HANDSHAKE, ...CLOSE, other(1040), lastFin(1045)]);
      expect([segs.at(-1)!.seq, segs.at(-1)!.ack]).toEqual([3000000001, 1000000002]);
    });
    it('a closed conversation silent past TIME_WAIT is forgotten: a stray segment is a new record', () => {
      const { segs } = decode([...HANDSHAKE, ...CLOSE, other(1100), lastFin(1101)]);
      // Nothing to number it from: small numbers are taken as relative to an unknown base (0).
      expect([segs.at(-1)!.seq, segs.at(-1)!.ack]).toEqual([1, 2]);
    });
    it('the TIME_WAIT length given to the analysis is the one kept', () => {
      const d = createTcpdumpTextDecoder('test.txt', 0, 240);
      const seg = newSegment();
      const out: number[][] = [];
      [...HANDSHAKE, ...CLOSE, other(1100), other(1200), lastFin(1201)].forEach((l, i) => d.line(l, i + 1, seg, (s) => out.push([s.seq, s.ack])));
      expect(out.at(-1)).toEqual([3000000001, 1000000002]);
    });
    it('an open conversation is never forgotten: a keep-alive two hours on is numbered from the bases', () => {
      const { segs } = decode([
        ...HANDSHAKE, other(2000), other(5000), other(8000),
        '8200.000000 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [.], seq 0, ack 1, win 502, length 0',
      ]);
      expect([segs.at(-1)!.seq, segs.at(-1)!.ack]).toEqual([1000000000, 3000000001]);
    });
    it('records of finished conversations do not pile up over a long capture', () => {
      const r = new SeqRecovery(60);
      const seg = newSegment();
      // 20,000 refused connections, ten a second for 2,000 s: SYN, then RST/ACK.
      for (let i = 0; i < 20000; i++) {
        Object.assign(seg, { src: `10.1.${i >> 8 & 255}.${i & 255}`, srcPort: 40000 + (i >> 16), dst: '10.0.0.2', dstPort: 80, tsSec: i / 10, payloadLen: 0 });
        Object.assign(seg, { flags: SYN, seq: 1000, ack: 0 });
        r.recover(seg, true);
        Object.assign(seg, { src: '10.0.0.2', srcPort: 80, dst: `10.1.${i >> 8 & 255}.${i & 255}`, dstPort: 40000 + (i >> 16), flags: RST | ACK, seq: 0, ack: 1001 });
        r.recover(seg, true);
      }
      // Kept: those of the last TIME_WAIT + margin + one sweep period (100 s: 1,000), not 20,000.
      expect(r.size).toBeGreaterThan(0);
      expect(r.size).toBeLessThanOrEqual(1000);
    });
  });

  it('leaves -S numbers alone, telling them from relative ones', () => {
    const { segs } = decode([
      '1.000001 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1000000000, win 64240, length 0',
      '1.000002 IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [S.], seq 3000000000, ack 1000000001, win 65160, length 0',
      '1.000003 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [.], ack 3000000001, win 502, length 0',
      '1.000004 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [P.], seq 1000000001:1000000017, ack 3000000001, win 502, length 16',
    ]);
    expect(segs.slice(2).map((s) => [s.seq, s.ack])).toEqual([[1000000001, 3000000001], [1000000001, 3000000001]]);
  });

  it('reads a RST/ACK refusing a SYN as tcpdump numbers it (seq 0, absolute ack)', () => {
    const { segs } = decode([
      '09:16:01.119215 IP 127.0.0.1.41104 > 127.0.0.1.5104: Flags [S], seq 3001902048, win 65495, length 0',
      '09:16:01.119225 IP 127.0.0.1.5104 > 127.0.0.1.41104: Flags [R.], seq 0, ack 3001902049, win 0, length 0',
    ]);
    expect(segs[1]).toMatchObject({ flags: RST | ACK, seq: 0, ack: 3001902049 });
  });

  it('counts non-TCP packets and skips what is not tcpdump output', () => {
    const { segs, stats } = decode([
      'reading from file x.pcap, link-type EN10MB (Ethernet), snapshot length 262144',
      '09:18:09.961273 ARP, Request who-has 10.77.0.2 tell 10.77.0.1, length 28',
      '09:18:09.961300 IP 10.0.0.1.53 > 10.0.0.2.40000: 1234 1/0/0 A 1.2.3.4 (45)',
      '09:18:09.961400 IP 10.0.0.1 > 10.0.0.2: ICMP 10.0.0.1 tcp port 22 unreachable, length 36',
      '09:18:09.961500 IP 1.2.3.4 > 5.6.7.8: ip-proto-6',
      '09:18:09.961600 IP 1.2.3.4.80 > 5.6.7.8.99: Flags [S] [bad hdr length 60 - too long, > 40]',
      '    48.48.48.48.12336 > 48.48.48.48.12336:  [|tcp]',
      'this is not tcpdump',
      `09:18:09.961700 ${SYN_LINE}`,
      '\t0x0000:  4500 003c 1b68 4000 4006 2152 7f00 0001',
      '3 packets captured',
    ]);
    expect(segs).toHaveLength(1);
    expect(segs[0]!.frame).toBe(6);
    expect(stats).toMatchObject({ packets: 6, tcp: 1, nonTcp: 5, unrecognized: 1, unrecognizedLines: [8] });
  });

  it('reads a D-SACK block, printed relative to the ack\'s base as print-tcp.c does', () => {
    const lines = [
      '1.000000 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1000, win 64240, options [mss 1460,sackOK,TS val 1 ecr 0], length 0',
      '1.000100 IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [S.], seq 5000, ack 1001, win 64240, options [mss 1460,sackOK,TS val 2 ecr 1], length 0',
      '1.000200 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [.], ack 1, win 502, options [nop,nop,TS val 3 ecr 2], length 0',
      '1.100000 IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [FP.], seq 1:77, ack 1, win 502, options [nop,nop,TS val 4 ecr 3], length 76',
      '1.130000 IP 10.0.0.2.80 > 10.0.0.1.40000: Flags [FP.], seq 1:77, ack 1, win 502, options [nop,nop,TS val 34 ecr 3], length 76',
      '1.130100 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [.], ack 78, win 502, options [nop,nop,TS val 35 ecr 4,nop,nop,sack 1 {1:78}], length 0',
      '1.130200 IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [.], ack 78, win 502, options [nop,nop,TS val 36 ecr 4,nop,nop,sack 1 {90:100}], length 0',
    ];
    const { segs } = decode(lines);
    expect([segs[5]!.ack, segs[5]!.dsackLeft, segs[5]!.dsackRight]).toEqual([5078, 5001, 5078]);
    expect(segs[6]!.dsackLeft).toBe(-1); // above the ack: an ordinary SACK
    expect(segs.slice(0, 5).every((x) => x.dsackLeft === -1)).toBe(true);
  });

  it('skips tcpdump -A dumps, even payload lines that start like a timestamp or a packet number', () => {
    // -A prints each packet's bytes from the IP header on as ASCII, at column 0, over as many
    // lines as its payload has newlines (payload of zeek's http/get.pcap and suricata's bug-76).
    const { segs, stats } = decode([
      '1362692526.939527 IP 10.0.0.1.59856 > 10.0.0.2.80: Flags [P.], seq 1:137, ack 1, win 8235, length 136',
      'E.....@.@.....k..........GET / HTTP/1.1',
      'Host: example.org',
      '0.26 | 2012-08-24 15:10:04 -0700', // a timestamp's shape, but not this file's (6 digits)
      '12:00:01.500000 log line', // a time of day in a file of epoch seconds
      '1  <lay.r visibility="hide"></layer>', // "-#" numbers in a file without them
      '',
      '1362692527.009512 IP 10.0.0.2.80 > 10.0.0.1.59856: Flags [.], ack 137, win 122, length 0',
      'E..4..@.@.....',
    ]);
    expect(segs.map((s) => s.frame)).toEqual([1, 2]);
    expect(stats).toMatchObject({ packets: 2, tcp: 2, nonTcp: 0, dumpLines: 6, unrecognized: 0, unrecognizedLines: [] });
  });

  it('tells -A dumps of non-IP packets from stray lines by their pattern: text after (nearly) every packet', () => {
    const arp = decode([
      '09:22:34.457151 ARP, Request who-has 10.77.0.2 tell 10.77.0.1, length 28',
      '............,.', // the ARP header: no IP version byte to see
      'M........',
      '09:22:34.457279 ARP, Reply 10.77.0.2 is-at 4a:3f:05:80:be:59, length 28',
      '.........M..',
    ]);
    expect(arp.stats).toMatchObject({ packets: 2, nonTcp: 2, unrecognized: 0 });
    const stray = decode([
      `09:22:34.457151 ${SYN_LINE}`,
      `09:22:34.457152 ${SYN_LINE}`,
      'GET / HTTP/1.1', // after one packet of two, and no IP header as -A prints one
    ]);
    expect(stray.stats).toMatchObject({ packets: 2, dumpLines: 0, unrecognized: 1, unrecognizedLines: [3] });
  });

  it('still reports a packet line it cannot read among -A dumps', () => {
    const { segs, stats } = decode([
      `1.000000 ${SYN_LINE}`,
      'E..<..@.@.g.....',
      `1.00000x ${SYN_LINE}`, // a broken timestamp: prints TCP flags, so not payload
      'E..<..@.@.g.....',
      `2.000000 ${SYN_LINE}`,
    ]);
    expect(segs).toHaveLength(2);
    expect(stats).toMatchObject({ unrecognized: 1, unrecognizedLines: [3], dumpLines: 2 });
  });

  it('counts tcpdump -q lines (TCP without flags) and -t lines (no timestamp) apart', () => {
    const { segs, stats } = decode([
      '09:21:21.592866 IP 127.0.0.1.41103 > 127.0.0.1.5103: tcp 0',
      '09:21:21.592879 IP6 ::1.5103 > ::1.41103: tcp 1448',
      '09:21:21.592900 IP 127.0.0.1.53 > 127.0.0.1.41103: UDP, length 12',
    ]);
    expect(segs).toHaveLength(0);
    expect(stats).toMatchObject({ packets: 3, tcp: 0, nonTcp: 3, quietTcp: 2, unreadTcp: 0, untimed: 0 });
    const untimed = decode([SYN_LINE, SYN_LINE]);
    expect(untimed.segs).toHaveLength(2);
    expect(untimed.stats).toMatchObject({ packets: 2, tcp: 2, quietTcp: 0, untimed: 2 });
    expect(decode([`09:17:21.807237 ${SYN_LINE}`]).stats).toMatchObject({ quietTcp: 0, untimed: 0 });
  });

  it('reads a cut header and options it cannot fully see', () => {
    const s = one('1.0 IP 199.204.31.89.80 > 172.16.133.41.52875: Flags [R.], seq 1617159969:1617160027, ack 1936660873, win 5785, length 58 [|tcp]');
    expect(s).toMatchObject({ truncated: true, payloadLen: 58 });
    const bad = one('1.0 IP 182.181.202.230.52750 > 83.253.102.83.63764: Flags [S], seq 3757264999, win 8192, options [mss 1452,nop,wscale 2,nop,nop,scps[bad opt]]');
    expect(bad).toMatchObject({ payloadLen: 0, options: { mss: 1452, windowScale: 2 } });
    const tfo = one('1.0 IP 192.168.0.100.13047 > 3.3.3.3.13054: Flags [S], seq 218476388, win 1400, options [mss 1460,exp-tfo cookiereq], length 0');
    expect(tfo.options?.fastOpen).toBe(true);
  });

  it('tells segments signed with TCP-MD5 or TCP-AO, as tcpdump prints those options with and without -M', () => {
    const head = '1.0 IP 10.0.0.1.179 > 10.0.0.2.40000: Flags [.], ack 1, win 64, options ';
    expect(one(`${head}[nop,nop,md5 shared secret not supplied with -M, can't check - 1be2d6da23414fd8fb6ace85ac8ffb34], length 0`).signed).toBe(true);
    expect(one(`${head}[nop,nop,md5 valid], length 0`).signed).toBe(true);
    expect(one(`${head}[tcp-ao keyid 1 rnextkeyid 1 mac 0xcdcdcdcdcdcdcdcdcdcdcdcd,nop,nop,TS val 7 ecr 9], length 0`)).toMatchObject({ signed: true, tsVal: 7 });
    expect(one(`1.0 IP 10.0.0.1.40000 > 10.0.0.2.179: Flags [S], seq 5, win 65495, options [nop,nop,md5 invalid,mss 65495,nop,nop,sackOK,nop,wscale 10], length 0`)).toMatchObject({ signed: true, options: { mss: 65495 } });
    expect(one(`${head}[nop,nop,TS val 7 ecr 9], length 0`).signed).toBe(false);
    expect(one('1.0 IP 10.0.0.2.40000 > 10.0.0.1.179: Flags [R], seq 3684707477, win 0, length 0').signed).toBe(false);
  });

  it('reads the urgent pointer, SACK blocks and MPTCP options without losing the fields after them', () => {
    const s = one('1.0 IP 10.0.1.1.33306 > 10.0.2.1.10004: Flags [P.U], seq 1000:1100, ack 2000, win 256, urg 3, options [nop,nop,sack 1 {1:2},mptcp 22 capable v1 flags [H] {0x1f,0x29,data_len=8192},nop,nop], length 100');
    expect(s).toMatchObject({ flags: PSH | ACK | URG, payloadLen: 100, window: 256 });
  });

  it('reads what MPTCP options say: a SYN that opens or joins, a RST that fast-closes, and a reset reason where tcpdump prints it', () => {
    const syn = (mptcp: string) => one(`1.0 IP 10.81.2.1.41583 > 10.81.1.2.7600: Flags [S], seq 1, win 64240, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 10,${mptcp}], length 0`).options?.mptcp;
    expect(syn('mptcp 4 capable v1')).toBe('capable');
    expect(syn('mptcp 12 capable v0 flags [AH] csum {0x9b59be3d695e66a7}')).toBe('capable'); // tcpdump master, RFC 6824's version 0
    expect(syn('mptcp 12 join id 2 token 0xeb719a83 nonce 0x5e2a8f21')).toBe('join');
    expect(one(SYN_LINE).options?.mptcp).toBeNull();
    // The token: the one a join names, or the hash of the key a SYN/ACK carries (as in decode.test.ts).
    const token = (mptcp: string) => one(`1.0 IP 10.81.2.1.41583 > 10.81.1.2.7600: Flags [S.], seq 1, ack 1, win 64240, options [mss 1460,${mptcp}], length 0`).mptcpToken;
    expect(token('mptcp 12 join id 2 token 0xeb719a83 nonce 0x5e2a8f21')).toBe(0xeb719a83);
    expect(token('mptcp 12 capable v1 {0x3e409505a4198a38}')).toBe(createHash('sha256').update(Buffer.from('3e409505a4198a38', 'hex')).digest().readUInt32BE(0));
    expect(token('mptcp 12 capable v1 {0x9505a4198a38}')).toBe(createHash('sha256').update(Buffer.from('00009505a4198a38', 'hex')).digest().readUInt32BE(0)); // leading zeros not printed
    expect(token('mptcp 12 capable v0 flags [AH] csum {0x3e409505a4198a38}')).toBe(createHash('sha1').update(Buffer.from('3e409505a4198a38', 'hex')).digest().readUInt32BE(0));
    expect(token('mptcp 4 capable v1')).toBe(-1);
    const rst = (options: string) => one(`1.0 IP 10.81.1.1.47401 > 10.81.1.2.7600: Flags [R.], seq 1, ack 1, win 64, options [${options}], length 0`).mptcpRst;
    // tcpdump 4.99 (Linux's abort): MP_TCPRST printed as "unknown", its reason not known.
    expect(rst('nop,nop,TS val 1 ecr 2,mptcp 12 fast-close key 0x72371e6e3d440333,mptcp 4 unknown')).toBe(MPTCP_FAST_CLOSE);
    // tcpdump master (its mptcp-tcprst test): the reason by name.
    expect(rst('mptcp 4 tcprst flags [none] reason Unspecified error')).toBe(MPTCP_TCPRST | MPTCP_REASON_KNOWN | 0);
    expect(rst('mptcp 4 tcprst flags [T] reason MPTCP-specific error')).toBe(MPTCP_TCPRST | MPTCP_REASON_KNOWN | 1);
    expect(rst('mptcp 4 tcprst flags [T] reason Middlebox interference')).toBe(MPTCP_TCPRST | MPTCP_REASON_KNOWN | 6);
    expect(rst('nop,nop,TS val 1 ecr 2')).toBe(0);
    // Not a RST: its options are not read for MPTCP resets.
    expect(one('1.0 IP 10.81.1.1.47401 > 10.81.1.2.7600: Flags [.], ack 1, win 64, options [mptcp 12 fast-close key 0x1], length 0').mptcpRst).toBe(0);
  });
});

// ---- agreement with the pcap ------------------------------------------------------------------

interface Digest {
  connections: unknown[];
  anomalies: unknown[];
}

/**
 * The facts the text must reproduce, with each side's state history when `histories`. Times are
 * rounded to what the text printed; `timed` false
 * (-t) drops them and what depends on them: TIME_WAIT ends, whether a bare RST was a reply, and
 * the kind of the handshakes in `openedByTimer` and the closes in `outlivedByTime` (see below). Addresses are replaced by their order
 * of appearance when the rendering resolved names. reserved-bits anomalies are left out: tcpdump
 * does not print the reserved bits.
 */
function digest(r: Report, digits: number, timed: boolean, byName: boolean, times = timed, quotes = false, openedByTimer = new Set<string>(), outlivedByTime = new Set<string>(),
  histories = false): Digest {
  const names = new Map<string, string>();
  const addr = (ip: string, port: number) => {
    if (byName && !names.has(ip)) names.set(ip, `host${names.size}`);
    return `${byName ? names.get(ip) : ip}.${port}`;
  };
  const unit = 10 ** digits;
  const t = (s: number | null) => (!times || s === null ? null : Math.round(s * unit) / unit);
  const anomalies = (list: Report['anomalies']) => list.filter((a) => a.kind !== 'reserved-bits').map((a) => ({ kind: a.kind, frame: a.frame }));
  return {
    connections: r.connections.map((c) => ({
      client: addr(c.client.ip, c.client.port),
      server: addr(c.server.ip, c.server.port),
      midstream: c.midstream,
      packets: c.packets,
      bytes: c.bytes,
      handshake: { kind: openedByTimer.has(`${c.client.port} ${c.server.port}`) ? null : c.handshake.kind, synS: t(c.handshake.synS), synAckS: t(c.handshake.synAckS), ackS: t(c.handshake.ackS), synFrame: c.handshake.synFrame,
        mptcp: [c.handshake.options.client?.mptcp, c.handshake.options.server?.mptcp, c.handshake.mptcpSubflowOf] },
      close: outlivedByTime.has(`${c.client.port} ${c.server.port}`) ? { kind: null, initiator: null, firstFinS: null, completeS: null }
        : { kind: c.close.kind, initiator: c.close.initiator, firstFinS: t(c.close.firstFinS), completeS: t(c.close.completeS) },
      // A bare RST is after-close only if it came at once in reply (resets.ts): -t cannot say.
      // tcpdump 4.99 prints an MP_TCPRST as "mptcp 4 unknown", without its reason.
      resets: c.resets.map((x) => ({ kind: !timed && (x.kind === 'after-close' || x.kind === 'abort') ? 'abort or after-close' : x.kind, frame: x.frame, from: x.from, s: t(x.s),
        mptcpFastClose: x.mptcp?.fastClose ?? null })),
      timeWait: c.timeWait.map((w) => ({ side: w.side, enteredS: t(w.enteredS), end: timed ? w.end : null })),
      finalState: timed ? c.finalState : null, // TIME_WAIT expiry depends on time
      // Each side's whole history, where the text prints every sequence number (see `histories`).
      states: histories ? (['client', 'server'] as const).map((side) => c.states[side].map((e) => [e.state, e.event, e.frame, t(e.s)])) : null,
      anomalies: anomalies(c.anomalies),
      // The text prints the quoted segment (and so its sequence number, and whether that was
      // acceptable) only with -v, and only for ICMPv4 (print-icmp.c; print-icmp6.c does not).
      icmp: c.icmp.map((e) => {
        const quoted = quotes && !c.client.ip.includes(':');
        return { frame: e.frame, to: e.to, sender: byName ? null : e.sender, type: e.type, code: e.code, message: e.message, effect: e.effect, mtu: e.mtu, s: t(e.s),
          seq: quoted ? e.seq : null, acceptable: quoted ? e.acceptable : null };
      }),
    })),
    anomalies: anomalies(r.anomalies),
  };
}

/**
 * ICMP errors tcpdump prints without naming the packet they answer: IPv4 time exceeded and
 * parameter problem unless -v prints the quote; ICMPv6 packet too big, parameter problem, time
 * exceeded other than in transit.
 */
function namesNoPacket(e: Report['connections'][number]['icmp'][number], ipVersion: number, quotes: boolean): boolean {
  if (ipVersion === 4) return !quotes && (e.type === 11 || e.type === 12);
  return e.type === 2 || e.type === 4 || (e.type === 3 && e.code !== 0);
}

/** Times in a µs rendering of a ns capture differ by up to 1 µs: compare at the coarser unit. */
function renderingDigits(file: string): number {
  const bytes = readFileSync(file);
  const first = (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8').split('\n', 1)[0]!;
  return /\.\d{9} /.test(first) ? 9 : 6;
}

const renderings = readdirSync(FIXTURES)
  .filter((d) => existsSync(join(FIXTURES, d, 'capture.pcap')) && existsSync(join(FIXTURES, d, 'text')))
  .map((d) => ({ name: d, files: readdirSync(join(FIXTURES, d, 'text')).filter((f) => /\.txt(\.gz)?$/.test(f)).sort() }))
  .filter((d) => d.files.length > 0);

describe('tcpdump text agrees with the pcap', () => {
  it('has renderings to check', () => {
    expect(renderings.length).toBeGreaterThan(0);
  });
  for (const { name, files } of renderings) {
    describe(name, () => {
      let pcap: Report;
      beforeAll(async () => {
        pcap = await analyze(join(FIXTURES, name, 'capture.pcap'));
      });
      for (const f of files) {
        it(f, async () => {
          const file = join(FIXTURES, name, 'text', f);
          const text = await analyze(file);
          const timed = !/(^|-)t\.txt(\.gz)?$/.test(f); // -t prints no time
          const byName = !/^n/.test(f); // without -n, names replace addresses
          const digits = Math.min(renderingDigits(file), pcap.input.timePrecision);
          expect(text.input.format).toBe(f.endsWith('.gz') ? 'tcpdump-text+gzip' : 'tcpdump-text');
          expect(text.input.packets).toBe(pcap.input.packets);
          expect(text.input.tcpPackets).toBe(pcap.input.tcpPackets);
          expect(text.input.timePrecision).toBe(digits);
          expect(text.input.warnings.filter((w) => /not tcpdump output/.test(w.message))).toEqual([]); // every line is tcpdump's
          const quotes = /(^|-)vv?\.txt(\.gz)?$/.test(f); // -v: ICMP errors' quoted packets are printed
          // An ICMP error printed without the packet it answers cannot be tied to its connection
          // (which it may have closed): the reader says how many there are, and those
          // connections are compared no further.
          const unnamed = pcap.connections.filter((c) => c.icmp.some((e) => namesNoPacket(e, c.ipVersion, quotes)));
          const count = unnamed.reduce((n, c) => n + c.icmp.filter((e) => namesNoPacket(e, c.ipVersion, quotes)).length, 0);
          const warned = text.input.warnings.find((w) => /ICMP errors .* do not say which packet they answer/.test(w.message));
          expect(warned?.message.match(/^\d+/)?.[0] ?? '0').toBe(String(count));
          const named = (r: Report): Report => ({ ...r, connections: r.connections.filter((c) => !unnamed.some((u) => u.client.ip === c.client.ip && u.client.port === c.client.port)) });
          // A request whose SYN/ACK retransmissions ran out (a timer) before the ESTABLISHED client's
          // segments came: without times the give-up cannot be placed, and those segments read as
          // completing the handshake (synack-retries-expired).
          const openedByTimer = new Set(timed ? [] : pcap.connections
            .filter((c) => c.states.server.some((e) => e.event === 'gave-up') && c.states.client.some((e) => e.state === 'ESTABLISHED'))
            .map((c) => `${c.client.port} ${c.server.port}`));
          // An endpoint shown to have outlived a RST by still sending a second after it: without
          // times, what it sent after reads as sent by a closed endpoint (its FIN kept aside), and
          // the close is the RST's (rst-dropped, keepalive-rst-lost).
          const outlivedByTime = new Set(timed ? [] : pcap.connections
            .filter((c) => c.resets.some((x) => x.receiverContinued))
            .map((c) => `${c.client.port} ${c.server.port}`));
          // With times and -vv (every sequence number printed, an empty ACK's too) the text holds
          // all the tracker reads: each side's state history must come out the same. Below -vv a
          // keep-alive or zero-window probe reads as a plain ACK (zero-window-give-up).
          const histories = timed && /(^|-)vv\.txt(\.gz)?$/.test(f);
          expect(digest(named(text), digits, timed, byName, timed, quotes, openedByTimer, outlivedByTime, histories))
            .toEqual(digest(named(pcap), digits, timed, byName, timed, quotes, openedByTimer, outlivedByTime, histories));
        });
      }
    });
  }
});

describe('what only -vv text shows: the sequence number of an empty ACK', () => {
  it('zero-window probes (one below the next sequence number), and the give-up they date, are read from -vv text alone', async () => {
    const dir = join(FIXTURES, 'zero-window-give-up');
    const lastOfClient = async (file: string) => (await analyze(join(dir, file))).connections[0]!.states.client.at(-1)!;
    const pcap = await lastOfClient('capture.pcap');
    expect(pcap).toMatchObject({ state: 'CLOSED', event: 'gave-up' });
    expect(await lastOfClient('text/nn-ttttt-vv.txt')).toEqual(pcap);
    // Without -vv the probes print as plain ACKs: the client is closed only by its RST.
    expect(await lastOfClient('text/nn-S-tt.txt')).toMatchObject({ state: 'CLOSED', event: 'send-rst' });
  });
});

// ---- the CLI --------------------------------------------------------------------------------

describe('tcpdump text through the CLI', () => {
  const built = existsSync(join(ROOT, 'dist/cli/main.js'));
  it.skipIf(!built)('reads text piped to stdin (`tcpdump -l ... | tcptrace analyze -`)', () => {
    const text = readFileSync(join(FIXTURES, 'refused', 'text', 'nn-S-tt.txt'), 'utf8');
    const r = cli(['analyze', '-', '--json'], text);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.input.format).toBe('tcpdump-text');
    expect(doc.connections).toHaveLength(1);
    expect(doc.connections[0].handshake.kind).toBe('refused');
    expect(doc.connections[0].resets[0]).toMatchObject({ kind: 'refused', from: 'server' });
  });

  it.skipIf(!built)('says why text printed with -q or -t gives a thin report, and what to print instead', () => {
    const text = readFileSync(join(FIXTURES, 'refused', 'text', 'nn-S-tt.txt'), 'utf8');
    // The same packets as -q prints them: the TCP part replaced by "tcp LENGTH".
    const quiet = text.replace(/: Flags \[.*, length (\d+).*$/gm, ': tcp $1');
    expect(quiet).toMatch(/: tcp 0$/m);
    const q = JSON.parse(cli(['analyze', '-', '--json'], quiet).stdout);
    expect(q.input.tcpPackets).toBe(0);
    expect(q.input.warnings.map((w: { message: string }) => w.message).join('\n')).toMatch(/TCP packets are printed as tcpdump -q prints them.*without -q/);
    const t = JSON.parse(cli(['analyze', join(FIXTURES, 'refused', 'text', 'nn-t.txt'), '--json']).stdout);
    expect(t.connections).toHaveLength(1);
    expect(t.input.warnings.map((w: { message: string }) => w.message).join('\n')).toMatch(/packets have no timestamp \(tcpdump -t\)/);
    const tt = JSON.parse(cli(['analyze', '-', '--json'], text).stdout);
    expect(tt.input.warnings).toEqual([]);
  });

  it.skipIf(!built)('says how many TCP lines it could not read, and where the first is', () => {
    const text = readFileSync(join(FIXTURES, 'refused', 'text', 'nn-S-tt.txt'), 'utf8').trimEnd().split('\n');
    // A link layer this reader does not know (tcpdump -e of ARCNET prints "be 50 c3 65: ..."), on the second line.
    text[1] = text[1]!.replace(/ IP /, ' be 50 c3 65: ');
    const r = JSON.parse(cli(['analyze', '-', '--json'], text.join('\n') + '\n').stdout);
    expect(r.input.skipped.nonTcp).toBe(1);
    expect(r.input.warnings).toMatchObject([{ line: 2, message: expect.stringMatching(/^1 packet lines print TCP flags \("Flags \["\) but could not be read/) }]);
  });

  it.skipIf(!built)('rejects text that is not tcpdump output with exit 2 and one line', () => {
    const r = cli(['analyze', '-'], 'hello\nthis is a shopping list\nmilk\n');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/not a capture|not tcpdump text/);
  });
});
