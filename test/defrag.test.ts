/**
 * IP fragments of TCP datagrams put back together (src/decode/defrag.ts), through the whole pipe:
 * hand-assembled raw-IP captures, written to a temporary pcap and analyzed. The real capture is
 * fixtures/ipv4-fragments (scenarios.test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ACK, FIN, SYN } from '../src/decode/segment.js';
import { CORPUS, HAVE_CORPUS, analyze } from './helpers/run.js';

const dir = mkdtempSync(join(tmpdir(), 'tcptrace-defrag-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CLIENT = [10, 0, 0, 1];
const SERVER = [10, 0, 0, 2];
const C_ISN = 1000;
const S_ISN = 5000;

/** A TCP header (20 bytes, or more with `options`) and `payload` bytes, from client port 40000 or server port 80. */
function tcp(fromClient: boolean, flags: number, seq: number, ack: number, payload = 0, options: number[] = []): Buffer {
  const hdr = 20 + options.length;
  const b = Buffer.alloc(hdr + payload, 0x61);
  b.writeUInt16BE(fromClient ? 40000 : 80, 0);
  b.writeUInt16BE(fromClient ? 80 : 40000, 2);
  b.writeUInt32BE(seq >>> 0, 4);
  b.writeUInt32BE(ack >>> 0, 8);
  b[12] = (hdr / 4) << 4;
  b[13] = flags;
  b.writeUInt16BE(65535, 14);
  b.writeUInt16BE(0, 16);
  b.writeUInt16BE(0, 18);
  Buffer.from(options).copy(b, 20);
  return b;
}

/** An IPv4 packet of `data` (a whole datagram's payload, or one fragment's), id 7. */
function ipv4(fromClient: boolean, data: Buffer, fragOffset = 0, more = false): Buffer {
  const b = Buffer.alloc(20);
  b[0] = 0x45;
  b.writeUInt16BE(20 + data.length, 2);
  b.writeUInt16BE(7, 4);
  b.writeUInt16BE((more ? 0x2000 : 0) | (fragOffset / 8), 6);
  b[8] = 64;
  b[9] = 6;
  Buffer.from(fromClient ? [...CLIENT, ...SERVER] : [...SERVER, ...CLIENT]).copy(b, 12);
  return Buffer.concat([b, data]);
}

/** The fragments of one datagram's payload, cut at `cuts` (multiples of 8), in the order `order` gives. */
function fragments(fromClient: boolean, data: Buffer, cuts: number[], order?: number[]): Buffer[] {
  const edges = [0, ...cuts, data.length];
  const frags = edges.slice(0, -1).map((start, i) => ipv4(fromClient, data.subarray(start, edges[i + 1]), start, i < edges.length - 2));
  return (order ?? frags.map((_, i) => i)).map((i) => frags[i]!);
}

/** A UDP datagram between the same hosts: a packet that is none of the fragments. */
function udp(): Buffer {
  const b = ipv4(true, Buffer.alloc(8));
  b[9] = 17;
  return b;
}

/** A raw-IP pcap (link type 101) of `packets`, 10 ms apart. */
function pcap(name: string, packets: Buffer[], linkType = 101): string {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(linkType, 20);
  const recs = packets.map((p, i) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1_700_000_000, 0);
    h.writeUInt32LE(i * 10_000, 4);
    h.writeUInt32LE(p.length, 8);
    h.writeUInt32LE(p.length, 12);
    return Buffer.concat([h, p]);
  });
  const file = join(dir, name);
  writeFileSync(file, Buffer.concat([head, ...recs]));
  return file;
}

const handshake = () => [
  ipv4(true, tcp(true, SYN, C_ISN, 0)),
  ipv4(false, tcp(false, SYN | ACK, S_ISN, C_ISN + 1)),
  ipv4(true, tcp(true, ACK, C_ISN + 1, S_ISN + 1)),
];

/** The server's answer to a client's `n` bytes and FIN, then its own FIN and the client's last ACK. */
const closeAfter = (n: number) => [
  ipv4(false, tcp(false, ACK, S_ISN + 1, C_ISN + 1 + n + 1)),
  ipv4(false, tcp(false, FIN | ACK, S_ISN + 1, C_ISN + 1 + n + 1)),
  ipv4(true, tcp(true, ACK, C_ISN + 1 + n + 1, S_ISN + 2)),
];

describe('IP fragments of a TCP segment', () => {
  it('a segment with data and a FIN, fragmented and captured out of order, is one segment of its whole length', async () => {
    const seg = tcp(true, FIN | ACK, C_ISN + 1, S_ISN + 1, 3000); // 3020 bytes: fragments of 1480, 1480, 60
    const r = await analyze(pcap('whole.pcap', [...handshake(), ...fragments(true, seg, [1480, 2960], [0, 2, 1]), ...closeAfter(3000)]));
    expect(r.input.skipped.fragments).toBe(2);
    const [c] = r.connections;
    expect(r.connections).toHaveLength(1);
    expect(c!.bytes.clientToServer).toBe(3000);
    expect(c!.packets.clientToServer).toBe(4);
    // The FIN sits after the 3000 bytes: the server's ACK of it closes the client's side.
    expect(c!.close.kind).toBe('four-way');
    expect(c!.finalState).toEqual({ client: 'TIME_WAIT', server: 'CLOSED' });
    // The segment is placed at its first fragment, the frame that holds its TCP header.
    expect(c!.states.client.find((s) => s.state === 'FIN_WAIT_1')!.frame).toBe(4);
    expect(c!.anomalies).toEqual([]);
    expect(r.input.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^1 TCP segments came as IP fragments \(3 in all\) and were put back together/)]);
  });

  it('a first fragment whose others were not captured is the segment it carries', async () => {
    // A capture filtered by port keeps first fragments only; the server's ACK follows at once.
    const seg = tcp(true, ACK, C_ISN + 1, S_ISN + 1, 3000);
    const [first] = fragments(true, seg, [1480]);
    const r = await analyze(pcap('first-only.pcap', [...handshake(), first!, ipv4(false, tcp(false, ACK, S_ISN + 1, C_ISN + 3001))]));
    expect(r.input.skipped.fragments).toBe(0);
    expect(r.connections[0]!.bytes.clientToServer).toBe(1460);
    expect(r.connections[0]!.packets).toEqual({ clientToServer: 3, serverToClient: 2 });
    expect(r.input.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^1 TCP segments are first IP fragments whose other fragments are not in the capture/)]);
  });

  it('fragments with other packets between them, two datagrams interleaved, are put together in capture order', async () => {
    const fromClient = fragments(true, tcp(true, ACK, C_ISN + 1, S_ISN + 1, 3000), [1480]);
    const fromServer = fragments(false, tcp(false, ACK, S_ISN + 1, C_ISN + 1, 2000), [1480]);
    const r = await analyze(pcap('between.pcap', [...handshake(), fromClient[0]!, udp(), fromServer[0]!, fromClient[1]!, fromServer[1]!]));
    expect(r.input.skipped).toMatchObject({ fragments: 2, nonTcp: 1 });
    expect(r.input.packets).toBe(8);
    const c = r.connections[0]!;
    expect(c.bytes).toEqual({ clientToServer: 3000, serverToClient: 2000 });
    // Each segment at its first fragment's frame (4 and 6), in capture order.
    expect([c.lastFrame, c.packets]).toEqual([6, { clientToServer: 3, serverToClient: 2 }]);
  });

  it('a datagram whose other fragments come too late (a second, or 256 packets) goes on as its first fragment, in order', async () => {
    const [first, second] = fragments(true, tcp(true, ACK, C_ISN + 1, S_ISN + 1, 3000), [1480]);
    const filler = Array.from({ length: 300 }, () => udp());
    const r = await analyze(pcap('late.pcap', [...handshake(), first!, ...filler, second!]));
    expect(r.input.skipped).toMatchObject({ fragments: 1, nonTcp: 300 });
    expect(r.connections[0]!.bytes.clientToServer).toBe(1460);
  });

  it('a fragment captured twice counts once; fragments that overlap otherwise are dropped with their datagram (Linux, RFC 5722)', async () => {
    const seg = tcp(true, ACK, C_ISN + 1, S_ISN + 1, 3000); // 3020 bytes
    const [a, b, c] = fragments(true, seg, [1480, 2960]);
    const twice = await analyze(pcap('twice.pcap', [...handshake(), a!, Buffer.from(a!), b!, Buffer.from(b!), c!, Buffer.from(c!)]));
    expect(twice.input.skipped).toMatchObject({ fragments: 5, duplicates: 0 });
    expect(twice.connections[0]!.bytes.clientToServer).toBe(3000);
    expect(twice.connections[0]!.packets.clientToServer).toBe(3);
    // A second fragment from 1472 instead of 1480: it overlaps the first's last 8 bytes.
    const overlap = ipv4(true, seg.subarray(1472, 2960), 1472, true);
    const r = await analyze(pcap('overlap.pcap', [...handshake(), a!, overlap, c!]));
    expect(r.input.skipped.fragments).toBe(3);
    expect(r.connections[0]!.bytes.clientToServer).toBe(0);
    expect(r.connections[0]!.packets.clientToServer).toBe(2);
  });

  it('a SYN whose TCP header is cut into 8-byte fragments is read whole, options included', async () => {
    const syn = tcp(true, SYN, C_ISN, 0, 0, [3, 3, 14, 0]); // window scale 14, end of options
    const r = await analyze(pcap('split-syn.pcap', fragments(true, syn, [8, 16])));
    expect(r.input.skipped).toMatchObject({ fragments: 2, truncated: 0 });
    expect(r.connections).toHaveLength(1);
    const c = r.connections[0]!;
    expect(c.handshake.synFrame).toBe(1);
    expect(c.handshake.options.client).toMatchObject({ windowScale: 14, mss: null });
  });

  it('IPv6 fragments (the fragment header, RFC 8200 4.5) are put together too', async () => {
    const src = [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 1];
    const dst = [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 2];
    const v6 = (fromClient: boolean, next: number, payload: Buffer) => {
      const b = Buffer.alloc(40);
      b[0] = 0x60;
      b.writeUInt16BE(payload.length, 4);
      b[6] = next;
      b[7] = 64;
      Buffer.from(fromClient ? [...src, ...dst] : [...dst, ...src]).copy(b, 8);
      return Buffer.concat([b, payload]);
    };
    const frag = (data: Buffer, offset: number, more: boolean) => {
      const h = Buffer.from([6, 0, 0, 0, 0, 0, 0x12, 0x34]);
      h.writeUInt16BE(offset | (more ? 1 : 0), 2);
      return v6(true, 44, Buffer.concat([h, data]));
    };
    const seg = tcp(true, FIN | ACK, C_ISN + 1, S_ISN + 1, 2000);
    const packets = [
      v6(true, 6, tcp(true, SYN, C_ISN, 0)),
      v6(false, 6, tcp(false, SYN | ACK, S_ISN, C_ISN + 1)),
      v6(true, 6, tcp(true, ACK, C_ISN + 1, S_ISN + 1)),
      frag(seg.subarray(0, 1232), 0, true),
      frag(seg.subarray(1232), 1232, false),
      v6(false, 6, tcp(false, FIN | ACK, S_ISN + 1, C_ISN + 2002)),
      v6(true, 6, tcp(true, ACK, C_ISN + 2002, S_ISN + 2)),
    ];
    const r = await analyze(pcap('ipv6.pcap', packets, 101));
    expect(r.input.skipped.fragments).toBe(1);
    const c = r.connections[0]!;
    expect(c.bytes.clientToServer).toBe(2000);
    expect(c.finalState).toEqual({ client: 'TIME_WAIT', server: 'CLOSED' });
  });
});

describe('IP fragments in any order, lost, doubled, among other packets (seeded)', () => {
  /** A small deterministic generator (mulberry32). */
  const rng = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  it.each(Array.from({ length: 24 }, (_, i) => i + 1))('seed %i: every packet is accounted for, and a capture that lost none has every byte', async (seed) => {
    const r = rng(seed);
    const lossy = seed % 2 === 0;
    const packets: Buffer[] = [...handshake()];
    let seq = C_ISN + 1;
    let sent = 0;
    const pending: Buffer[][] = [];
    for (let d = 0; d < 4; d++) {
      const n = 100 + Math.floor(r() * 4000);
      const seg = tcp(true, ACK, seq, S_ISN + 1, n);
      seq += n;
      sent += n;
      const cuts: number[] = [];
      for (let at = 8 * (1 + Math.floor(r() * 100)); at < seg.length; at += 8 * (1 + Math.floor(r() * 150))) cuts.push(at);
      const frags = fragments(true, seg, cuts).map((f) => { f.writeUInt16BE(100 + d, 4); return f; }); // its own IP id
      for (let i = frags.length - 1; i > 0; i--) { // any order
        const j = Math.floor(r() * (i + 1));
        [frags[i], frags[j]] = [frags[j]!, frags[i]!];
      }
      pending.push(frags);
    }
    // Interleave the datagrams' fragments with one another and with UDP packets.
    while (pending.some((f) => f.length > 0)) {
      const open = pending.filter((f) => f.length > 0);
      const f = open[Math.floor(r() * open.length)]!.shift()!;
      if (lossy && r() < 0.15) continue; // lost
      packets.push(f);
      if (lossy && r() < 0.1) packets.push(Buffer.from(f)); // captured twice
      if (r() < 0.3) packets.push(udp());
    }
    packets.push(ipv4(false, tcp(false, ACK, S_ISN + 1, seq)));
    const rep = await analyze(pcap(`seeded-${seed}.pcap`, packets));
    const k = rep.input.skipped;
    expect(rep.input.packets).toBe(packets.length);
    expect(rep.input.tcpPackets + k.nonIp + k.nonTcp + k.fragments + k.truncated + k.malformed + k.unsupportedLink + k.duplicates).toBe(packets.length);
    const c = rep.connections[0]!;
    if (!lossy) expect(c.bytes.clientToServer).toBe(sent);
    else expect(c.bytes.clientToServer).toBeLessThanOrEqual(sent);
  });
});

describe('IP fragments in tcpdump text (lengths only)', () => {
  // tcpdump 4.99's lines for the IPv6 capture of the test above (tcpdump -nn -tt, then -v):
  // print-frag6.c prints the offset and length of each fragment, not its M flag.
  const head = [
    '1700000000.000000 IP6 2001:db8::1.40000 > 2001:db8::2.80: Flags [S], seq 1000, win 65535, length 0',
    '1700000000.010000 IP6 2001:db8::2.80 > 2001:db8::1.40000: Flags [S.], seq 5000, ack 1001, win 65535, length 0',
    '1700000000.020000 IP6 2001:db8::1.40000 > 2001:db8::2.80: Flags [.], ack 1, win 65535, length 0',
  ];
  const tail = [
    '1700000000.050000 IP6 2001:db8::2.80 > 2001:db8::1.40000: Flags [F.], seq 1, ack 2002, win 65535, length 0',
    '1700000000.060000 IP6 2001:db8::1.40000 > 2001:db8::2.80: Flags [.], ack 2, win 65535, length 0',
  ];
  const plain = [
    '1700000000.030000 IP6 2001:db8::1 > 2001:db8::2: frag (0|1232) 40000 > 80: Flags [F.], seq 1:1213, ack 1, win 65535, length 1212: HTTP',
    '1700000000.040000 IP6 2001:db8::1 > 2001:db8::2: frag (1232|788)',
  ];
  const verbose = [
    '1700000000.030000 IP6 (hlim 64, next-header Fragment (44) payload length: 1240) 2001:db8::1 > 2001:db8::2: frag (0x00001234:0|1232) 40000 > 80: Flags [F.], seq 1:1213, ack 1, win 65535, length 1212: HTTP',
    '1700000000.040000 IP6 (hlim 64, next-header Fragment (44) payload length: 796) 2001:db8::1 > 2001:db8::2: frag (0x00001234:1232|788)',
  ];
  it.each([['without -v', plain], ['with -v', verbose]])('IPv6 fragment headers %s make one segment of the whole length', async (name, frags) => {
    const file = join(dir, `ipv6-${name.replace(/\W+/g, '-')}.txt`);
    writeFileSync(file, [...head, ...frags, ...tail].join('\n') + '\n');
    const r = await analyze(file);
    expect(r.input.format).toBe('tcpdump-text');
    expect(r.input.skipped.fragments).toBe(1);
    const c = r.connections[0]!;
    expect(c.bytes.clientToServer).toBe(2000);
    expect(c.finalState).toEqual({ client: 'TIME_WAIT', server: 'CLOSED' });
  });
});

describe('IPv4 fragments in tcpdump text without -v', () => {
  it('are said to have no lengths, the segment taken as long as its first fragment', async () => {
    // tcpdump -nn of a segment a router cut in two: the later fragment is "ip-proto-6" alone.
    const file = join(dir, 'ipv4-plain.txt');
    writeFileSync(file, [
      '23:06:52.885545 IP 10.84.1.1.47420 > 10.84.2.1.7630: Flags [S], seq 100, win 64240, length 0',
      '23:06:52.885560 IP 10.84.2.1.7630 > 10.84.1.1.47420: Flags [S.], seq 900, ack 101, win 65160, length 0',
      '23:06:52.885570 IP 10.84.1.1.47420 > 10.84.2.1.7630: Flags [.], ack 1, win 63, length 0',
      '23:06:52.885578 IP 10.84.1.1.47420 > 10.84.2.1.7630: Flags [.], seq 1:1237, ack 1, win 63, length 1236',
      '23:06:52.885590 IP 10.84.1.1 > 10.84.2.1: ip-proto-6',
    ].join('\n') + '\n');
    const r = await analyze(file);
    expect(r.connections[0]!.bytes.clientToServer).toBe(1236);
    expect(r.input.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^1 lines are later IPv4 fragments of TCP \("ip-proto-6"\), printed without their lengths/)]);
  });
});

describe.skipIf(!HAVE_CORPUS)('IP fragments in other projects\' test captures (their lengths as tshark reassembles them)', () => {
  const corpus = (rel: string) => join(CORPUS, rel);
  it('Zeek\'s fragmented-4: four fragments out of order that overlap are dropped, as Linux drops them', async () => {
    // [0,24) [48,72) [72,89) and then [24,72), over [48,72): Wireshark and Zeek make a 69-byte
    // segment of them; Linux discards the datagram (RFC 5722), so no segment reached TCP.
    const r = await analyze(corpus('zeek/testing/btest/Traces/ipv4/fragmented-4.pcap'));
    expect(r.input.skipped.fragments).toBe(4);
    expect(r.connections.map((c) => c.bytes.clientToServer)).toEqual([0, 0]);
    expect(r.input.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^1 TCP segments came as IP fragments that overlap, and were dropped as Linux drops/)]);
  });
  it('Suricata\'s defrag tests: a SYN in three 8-byte fragments, over Ethernet+VLAN, PPP and raw IPv4', async () => {
    for (const rel of ['bug-6887-defrag-ipv4-tcp-syn/frag-ip-tcp-syn.pcap', 'bug-6887-defrag-eth-vlan-ipv4-tcp-syn/frag-eth-vlan-ip-tcp-syn.pcap', 'bug-6887-defrag-ppp-ipv4-tcp-syn/frag-ppp-ip-tcp-syn.pcap']) {
      const r = await analyze(corpus(`suricata-verify/tests/defrag/${rel}`));
      expect(r.connections, rel).toHaveLength(1);
      expect(r.connections[0]!.handshake.options.client!.windowScale, rel).toBe(14);
    }
  });
  it('Suricata\'s IPv6 defrag tests: three fragments make one 1000-byte segment', async () => {
    for (const rel of ['bug-6887-defrag-ipv6-tcp/frag-ip-tcp.pcap', 'bug-6887-defrag-ppp-ipv6-tcp/frag-ppp-ipv6-tcp.pcap']) {
      const r = await analyze(corpus(`suricata-verify/tests/defrag/${rel}`));
      expect(r.connections.map((c) => c.bytes.clientToServer), rel).toEqual([1000]);
    }
  });
});
