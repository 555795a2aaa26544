/**
 * The pcapng reader, on hand-built files: both byte orders, several sections, timestamp units,
 * every packet block type, unknown blocks, mixed link types, corrupt and cut-short files.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapngParser, MAX_BLOCK_BYTES } from '../src/input/pcapng.js';
import { InputError, type InputWarning, type PacketRecord, type RecordSink } from '../src/input/record.js';
import { reportJson } from '../src/views/json.js';
import { analyze } from './helpers/run.js';

// ---------------------------------------------------------------------------------------------
// A tiny pcapng writer (draft-ietf-opsawg-pcapng section 4)

const pad4 = (n: number): number => (n + 3) & ~3;

interface IdbOptions { tsresol?: number; tsoffset?: bigint; name?: string }

class Pcapng {
  private readonly parts: Buffer[] = [];
  private le = true;

  u16(v: number): Buffer { const b = Buffer.alloc(2); if (this.le) b.writeUInt16LE(v); else b.writeUInt16BE(v); return b; }
  u32(v: number): Buffer { const b = Buffer.alloc(4); if (this.le) b.writeUInt32LE(v >>> 0); else b.writeUInt32BE(v >>> 0); return b; }

  /** Any block: type, total length, body padded to 4, total length again. */
  block(type: number, body: Buffer, opts?: { length?: number; trailer?: number }): this {
    const len = 12 + pad4(body.length);
    const padded = Buffer.concat([body, Buffer.alloc(pad4(body.length) - body.length)]);
    this.parts.push(Buffer.concat([this.u32(type), this.u32(opts?.length ?? len), padded, this.u32(opts?.trailer ?? len)]));
    return this;
  }

  /** A section header in the given byte order; later blocks follow it. */
  shb(littleEndian = true): this {
    this.le = littleEndian;
    const body = Buffer.concat([this.u32(0x1a2b3c4d), this.u16(1), this.u16(0), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])]);
    return this.block(0x0a0d0d0a, body);
  }

  private option(code: number, value: Buffer): Buffer {
    return Buffer.concat([this.u16(code), this.u16(value.length), value, Buffer.alloc(pad4(value.length) - value.length)]);
  }

  idb(linkType: number, snaplen = 262144, o: IdbOptions = {}): this {
    const opts: Buffer[] = [];
    if (o.name !== undefined) opts.push(this.option(2, Buffer.from(o.name)));
    if (o.tsresol !== undefined) opts.push(this.option(9, Buffer.from([o.tsresol])));
    if (o.tsoffset !== undefined) {
      const v = Buffer.alloc(8);
      if (this.le) v.writeBigInt64LE(o.tsoffset); else v.writeBigInt64BE(o.tsoffset);
      opts.push(this.option(14, v));
    }
    if (opts.length > 0) opts.push(this.option(0, Buffer.alloc(0)));
    return this.block(1, Buffer.concat([this.u16(linkType), this.u16(0), this.u32(snaplen), ...opts]));
  }

  /** `flags`: its epb_flags option (default 1, inbound; null: no option); `comment`: an opt_comment before it. */
  epb(ifId: number, ts: bigint, data: Buffer, origLen = data.length, flags: number | null = 1, comment?: string): this {
    const body = Buffer.concat([
      this.u32(ifId), this.u32(Number(ts >> 32n)), this.u32(Number(ts & 0xffffffffn)),
      this.u32(data.length), this.u32(origLen), data, Buffer.alloc(pad4(data.length) - data.length),
      ...(comment === undefined ? [] : [this.option(1, Buffer.from(comment))]),
      // an epb_flags option, to prove options after the data are not mistaken for packet bytes
      ...(flags === null ? [] : [this.option(2, this.u32(flags))]), this.option(0, Buffer.alloc(0)),
    ]);
    return this.block(6, body);
  }

  pb(ifId: number, ts: bigint, data: Buffer, origLen = data.length): this {
    const body = Buffer.concat([
      this.u16(ifId), this.u16(0), this.u32(Number(ts >> 32n)), this.u32(Number(ts & 0xffffffffn)),
      this.u32(data.length), this.u32(origLen), data,
    ]);
    return this.block(2, body);
  }

  spb(data: Buffer, origLen = data.length): this {
    return this.block(3, Buffer.concat([this.u32(origLen), data]));
  }

  raw(bytes: Buffer): this { this.parts.push(bytes); return this; }

  build(): Buffer { return Buffer.concat(this.parts); }
}

// ---------------------------------------------------------------------------------------------
// Packets: IPv4 + TCP (raw IP), optionally behind an Ethernet header

interface Tcp { src: string; dst: string; sport: number; dport: number; flags: number; seq: number; ack?: number; payload?: number }
const F = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 };

function ipTcp(p: Tcp): Buffer {
  const payload = p.payload ?? 0;
  const b = Buffer.alloc(40 + payload);
  b[0] = 0x45; b.writeUInt16BE(40 + payload, 2); b[8] = 64; b[9] = 6;
  Buffer.from(p.src.split('.').map(Number)).copy(b, 12);
  Buffer.from(p.dst.split('.').map(Number)).copy(b, 16);
  b.writeUInt16BE(p.sport, 20); b.writeUInt16BE(p.dport, 22);
  b.writeUInt32BE(p.seq >>> 0, 24); b.writeUInt32BE((p.ack ?? 0) >>> 0, 28);
  b[32] = 5 << 4; b[33] = p.flags; b.writeUInt16BE(65535, 34);
  return b;
}

function ether(ip: Buffer): Buffer {
  const h = Buffer.alloc(14);
  h.writeUInt16BE(0x0800, 12);
  return Buffer.concat([h, ip]);
}

/** A complete connection: handshake, one data segment, a three-way close (FIN, FIN+ACK, ACK). */
function conversation(c = '10.0.0.1', s = '10.0.0.2', cport = 40000, sport = 80): Buffer[] {
  const C = { src: c, dst: s, sport: cport, dport: sport };
  const S = { src: s, dst: c, sport, dport: cport };
  return [
    ipTcp({ ...C, flags: F.SYN, seq: 1000 }),
    ipTcp({ ...S, flags: F.SYN | F.ACK, seq: 5000, ack: 1001 }),
    ipTcp({ ...C, flags: F.ACK, seq: 1001, ack: 5001 }),
    ipTcp({ ...C, flags: F.PSH | F.ACK, seq: 1001, ack: 5001, payload: 10 }),
    ipTcp({ ...S, flags: F.ACK, seq: 5001, ack: 1011 }),
    ipTcp({ ...C, flags: F.FIN | F.ACK, seq: 1011, ack: 5001 }),
    ipTcp({ ...S, flags: F.FIN | F.ACK, seq: 5001, ack: 1012 }),
    ipTcp({ ...C, flags: F.ACK, seq: 1012, ack: 5002 }),
  ];
}

// ---------------------------------------------------------------------------------------------
// Running the parser with a collecting sink

interface Got { frame: number; linkType: number; tsSec: number; tsNsec: number; capLen: number; origLen: number; bytes: string; fileOffset: number; iface: number; direction: number }

function parse(buf: Buffer, chunkSizes: number[] = [buf.length]) {
  const records: Got[] = [];
  const warnings: InputWarning[] = [];
  const sink: RecordSink = {
    record(r: PacketRecord) {
      records.push({
        frame: r.frame, linkType: r.linkType, tsSec: r.tsSec, tsNsec: r.tsNsec, capLen: r.capLen, origLen: r.origLen,
        bytes: Buffer.from(r.data.subarray(r.offset, r.offset + r.capLen)).toString('hex'), fileOffset: r.fileOffset,
        iface: r.iface, direction: r.direction,
      });
    },
    line() { throw new Error('no lines in pcapng'); },
    warning(w) { warnings.push(w); },
  };
  const p = new PcapngParser('t.pcapng', 0, sink);
  let off = 0;
  let i = 0;
  while (off < buf.length) {
    const n = chunkSizes[i++ % chunkSizes.length]!;
    p.push(buf.subarray(off, off + n));
    off += n;
  }
  p.end();
  return { records, warnings, info: p.info() };
}

const T0 = 1_700_000_000n;
const pkt = (n: number): Buffer => ipTcp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1000 + n, dport: 80, flags: F.SYN, seq: n });

describe('pcapng: sections and byte order', () => {
  it('reads a little-endian file: link type, µs timestamps, 1-based frames, info()', () => {
    const f = new Pcapng().shb(true).idb(101).epb(0, T0 * 1_000_000n + 123_456n, pkt(1)).epb(0, T0 * 1_000_000n + 999_999n, pkt(2)).build();
    const { records, warnings, info } = parse(f);
    expect(warnings).toEqual([]);
    expect(records.map((r) => [r.frame, r.linkType, r.tsSec, r.tsNsec, r.capLen])).toEqual([
      [1, 101, 1_700_000_000, 123_456_000, 40],
      [2, 101, 1_700_000_000, 999_999_000, 40],
    ]);
    expect(records[0]!.bytes).toBe(pkt(1).toString('hex'));
    expect(info).toEqual({ file: 't.pcapng', format: 'pcapng', linkTypes: [101], timeDigits: 6, packets: 2, truncated: false });
  });

  it('reads a big-endian file to the same records', () => {
    const build = (le: boolean) => new Pcapng().shb(le).idb(1, 65535, { tsresol: 9, tsoffset: 5n })
      .epb(0, T0 * 1_000_000_000n + 7n, ether(pkt(1))).spb(ether(pkt(2))).pb(0, T0 * 1_000_000_000n + 8n, ether(pkt(3))).build();
    const le = parse(build(true));
    const be = parse(build(false));
    expect(be.warnings.filter((w) => w.truncated)).toEqual([]);
    expect(be.records.map(({ fileOffset: _o, ...r }) => r)).toEqual(le.records.map(({ fileOffset: _o, ...r }) => r));
    expect(be.records).toHaveLength(3);
    expect(be.records[0]).toMatchObject({ linkType: 1, tsSec: 1_700_000_005, tsNsec: 7 });
  });

  it('starts a new interface list and byte order in every section', () => {
    const f = new Pcapng()
      .shb(true).idb(1).idb(101).epb(1, T0 * 1_000_000n, pkt(1)).epb(0, T0 * 1_000_000n + 1n, ether(pkt(2)))
      .shb(false).idb(101).epb(0, T0 * 1_000_000n + 2n, pkt(3))
      .epb(1, T0 * 1_000_000n + 3n, pkt(4)) // interface 1 belonged to the first section only
      .epb(0, T0 * 1_000_000n + 4n, pkt(5))
      .build();
    const { records, warnings, info } = parse(f);
    expect(records.map((r) => [r.frame, r.linkType, r.tsNsec])).toEqual([
      [1, 101, 0], [2, 1, 1000], [3, 101, 2000], [4, 101, 4000],
    ]);
    expect(records[3]!.bytes).toBe(pkt(5).toString('hex'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ truncated: false });
    expect(warnings[0]!.message).toMatch(/interface 1/);
    expect(info.truncated).toBe(false);
    expect(info.linkTypes.sort()).toEqual([1, 101]);
  });

  it('rejects a file whose first section header is not one', () => {
    const f = new Pcapng().shb(true).idb(1).build();
    f.writeUInt32LE(0xdeadbeef, 8); // byte-order magic
    expect(() => parse(f)).toThrow(InputError);
    expect(() => parse(f)).toThrow(/t\.pcapng: not a pcapng file: bad pcapng byte-order magic.*byte offset 8/);
    expect(() => parse(f.subarray(0, 10))).toThrow(/file ends inside the pcapng section header block/);
    const v2 = new Pcapng().shb(true).build();
    v2.writeUInt16LE(2, 12);
    expect(() => parse(v2)).toThrow(/unsupported pcapng version 2\.0/);
  });
});

describe('pcapng: timestamps', () => {
  const one = (o: IdbOptions, ts: bigint) => parse(new Pcapng().shb().idb(101, 0, o).epb(0, ts, pkt(1)).build());

  it('if_tsresol 10^-9: exact nanoseconds, timeDigits 9', () => {
    const { records, info } = one({ tsresol: 9 }, 1_700_000_000_123_456_789n);
    expect(records[0]).toMatchObject({ tsSec: 1_700_000_000, tsNsec: 123_456_789 });
    expect(info.timeDigits).toBe(9);
  });

  it('if_tsresol 2^-20: binary fractions, exact to the nanosecond below', () => {
    const { records, info } = one({ tsresol: 0x80 | 20 }, (T0 << 20n) + (1n << 19n) + 1n);
    // 2^19 / 2^20 = 0.5 s; 1 / 2^20 s = 953.67 ns -> 953
    expect(records[0]).toMatchObject({ tsSec: 1_700_000_000, tsNsec: 500_000_953 });
    expect(info.timeDigits).toBe(9);
    expect(one({ tsresol: 0x80 | 10 }, T0 << 10n).info.timeDigits).toBe(6); // ~1 ms units
  });

  it('if_tsoffset adds seconds to every timestamp', () => {
    const { records } = one({ tsoffset: 1_000_000_000n }, 700_000_000n * 1_000_000n + 42n);
    expect(records[0]).toMatchObject({ tsSec: 1_700_000_000, tsNsec: 42_000 });
    const neg = one({ tsoffset: -100n, tsresol: 3 }, 1_700_000_100_250n);
    expect(neg.records[0]).toMatchObject({ tsSec: 1_700_000_000, tsNsec: 250_000_000 });
  });

  it('units finer than a nanosecond (10^-12) are cut to nanoseconds', () => {
    const { records, info } = one({ tsresol: 12 }, 1_700_000_000_123_456_789_999n & 0xffffffffffffffffn);
    const ts = 1_700_000_000_123_456_789_999n & 0xffffffffffffffffn;
    expect(records[0]).toMatchObject({ tsSec: Number(ts / 10n ** 12n), tsNsec: Number((ts % 10n ** 12n) / 1000n) });
    expect(info.timeDigits).toBe(9);
  });

  it('is exact for any 64-bit count in units of 10^0 .. 10^-9 (checked against BigInt)', () => {
    let seed = 12345;
    const rnd = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed; };
    for (let exp = 0; exp <= 9; exp++) {
      const b = new Pcapng().shb().idb(101, 0, { tsresol: exp });
      const want: [number, number][] = [];
      for (let i = 0; i < 200; i++) {
        // realistic (seconds below 2^33) and edge values
        const hiMax = Number((8n << 30n) * 10n ** BigInt(exp) >> 32n) + 1;
        // (0x1fffff and 0x200000: either side of 2^53, where the reader changes method)
        const hi = i === 0 ? 0 : i === 1 ? Math.min(hiMax, 0xffffffff) : i === 3 ? 0x1fffff : i === 4 ? 0x200000 : rnd() % hiMax;
        const lo = i === 2 || i === 3 ? 0xffffffff : i === 4 ? 0 : rnd();
        const ts = (BigInt(hi) << 32n) | BigInt(lo);
        const units = 10n ** BigInt(exp);
        want.push([Number(ts / units), Number((ts % units) * 10n ** BigInt(9 - exp))]);
        b.epb(0, ts, pkt(i));
      }
      const got = parse(b.build()).records.map((r) => [r.tsSec, r.tsNsec]);
      expect(got, `if_tsresol 10^-${exp}`).toEqual(want);
    }
  });
});

describe('pcapng: blocks', () => {
  it('EPB, SPB (time of the packet before it, length from the block, cut to snaplen) and obsolete PB', () => {
    const big = ipTcp({ src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2, flags: F.ACK, seq: 1, payload: 100 });
    const f = new Pcapng().shb().idb(101, 64)
      .epb(0, T0 * 1_000_000n + 5n, pkt(1))
      .spb(big.subarray(0, 64), big.length) // captured 64 of 140
      .spb(pkt(2)) // fits whole
      .pb(0, T0 * 1_000_000n + 9n, pkt(3), 1500)
      .build();
    const { records, warnings } = parse(f);
    expect(records.map((r) => [r.frame, r.tsSec, r.tsNsec, r.capLen, r.origLen])).toEqual([
      [1, 1_700_000_000, 5000, 40, 40],
      [2, 1_700_000_000, 5000, 64, 140],
      [3, 1_700_000_000, 5000, 40, 40],
      [4, 1_700_000_000, 9000, 40, 1500],
    ]);
    expect(records[1]!.bytes).toBe(big.subarray(0, 64).toString('hex'));
    expect(warnings.map((w) => w.message).join('\n')).toMatch(/simple packet blocks carry no timestamp/);
    expect(warnings.every((w) => !w.truncated)).toBe(true);
  });

  it('an SPB padded past its packet keeps only the original length', () => {
    const f = new Pcapng().shb().idb(101, 0).epb(0, 1n, pkt(1)).spb(Buffer.concat([pkt(2), Buffer.alloc(8)]), 40).build();
    expect(parse(f).records[1]).toMatchObject({ capLen: 40, origLen: 40, bytes: pkt(2).toString('hex') });
  });

  it('skips every other block type by its length (NRB, ISB, DSB, custom, unknown)', () => {
    const f = new Pcapng().shb().idb(101)
      .block(4, Buffer.alloc(20, 0x41)) // name resolution
      .epb(0, 1n, pkt(1))
      .block(5, Buffer.alloc(24, 0x42)) // interface statistics
      .block(0x0a, Buffer.alloc(16, 0x43)) // decryption secrets
      .block(0x00000bad, Buffer.alloc(13, 0x44)) // custom, odd body length padded
      .block(0x12345678, Buffer.alloc(0)) // unknown, empty body (12-byte block)
      .epb(0, 2n, pkt(2))
      .build();
    const { records, warnings } = parse(f);
    expect(records.map((r) => r.bytes)).toEqual([pkt(1).toString('hex'), pkt(2).toString('hex')]);
    expect(warnings).toEqual([]);
  });

  it('two interfaces of different link types in one section: link type per record', () => {
    const f = new Pcapng().shb().idb(1).idb(101).idb(113)
      .epb(0, 1n, ether(pkt(1))).epb(1, 2n, pkt(2)).epb(0, 3n, ether(pkt(3))).build();
    const { records, info } = parse(f);
    expect(records.map((r) => r.linkType)).toEqual([1, 101, 1]);
    expect(info.linkTypes.sort((a, b) => a - b)).toEqual([1, 101]); // 113 carried no packet
  });

  it('is the same whatever the chunk boundaries (1 byte, 7 bytes, mixed)', () => {
    const f = new Pcapng().shb(false).idb(101, 0, { tsresol: 9 }).block(4, Buffer.alloc(100))
      .epb(0, 10n, pkt(1)).spb(pkt(2)).pb(0, 20n, pkt(3)).shb(true).idb(1).epb(0, 30n, ether(pkt(4))).build();
    const whole = parse(f);
    expect(whole.records).toHaveLength(4);
    for (const sizes of [[1], [7], [3, 50, 1, 200], [f.length - 1, 1]]) {
      expect(parse(f, sizes)).toEqual(whole);
    }
  });
});

describe('pcapng: where each packet was captured', () => {
  const t = (i: number) => T0 * 1_000_000n + BigInt(i);

  it('a file with one interface names none; with several, each packet names its own, numbered across sections', () => {
    const one = parse(new Pcapng().shb().idb(101).epb(0, t(0), pkt(1)).epb(0, t(1), pkt(2)).build());
    expect(one.records.map((r) => r.iface)).toEqual([-1, -1]);
    const several = parse(new Pcapng()
      .shb().idb(101).idb(101).epb(0, t(0), pkt(1)).epb(1, t(1), pkt(2)).epb(0, t(2), pkt(3))
      .shb().idb(101).epb(0, t(3), pkt(4)).spb(pkt(5))
      .build());
    // The second section's interface 0 is the file's third interface.
    expect(several.records.map((r) => r.iface)).toEqual([0, 1, 0, 2, 2]);
  });

  it('reads the direction from epb_flags: inbound by how it was addressed, outbound, or none', () => {
    // bits 0-1: 1 inbound, 2 outbound; bits 2-4 (inbound): 2 multicast, 3 broadcast, 4 promiscuous
    const flags: (number | null)[] = [1, 1 | (1 << 2), 1 | (2 << 2), 1 | (3 << 2), 1 | (4 << 2), 2, 0, 3, null];
    const ng = new Pcapng().shb().idb(101);
    flags.forEach((f, i) => ng.epb(0, t(i), pkt(i), undefined, f));
    ng.epb(0, t(9), pkt(9), undefined, 2, 'an opt_comment before the flags'); // options are walked, not assumed
    ng.pb(0, t(10), pkt(10)); // the obsolete packet block: no flags read
    const { records, warnings } = parse(ng.build());
    expect(warnings).toEqual([]);
    // Directions as Linux's packet types (decode/segment.ts Direction): IN 0, BROADCAST 1, MULTICAST 2, OTHER_HOST 3, OUT 4.
    expect(records.map((r) => r.direction)).toEqual([0, 0, 2, 1, 3, 4, -1, -1, -1, 4, -1]);
    expect(records[9]!.bytes).toBe(pkt(9).toString('hex'));
  });
});

describe('pcapng: corrupt and cut-short files', () => {
  const good = () => new Pcapng().shb().idb(101).epb(0, 1n, pkt(1)).epb(0, 2n, pkt(2));

  for (const [what, length, trailer] of [
    ['a length past the 16 MiB bound (2 GiB claim)', 0x80000000, undefined],
    ['a length that is not a multiple of 4', 62, undefined],
    ['a length below the 12-byte minimum', 8, undefined],
    ['a trailing length that differs', undefined, 64],
  ] as const) {
    it(`${what}: warning with the offset, truncated, earlier packets kept`, () => {
      const head = good().build();
      const bad = new Pcapng().block(6, Buffer.alloc(48), { length, trailer }).build();
      const f = Buffer.concat([head, bad, new Pcapng().epb(0, 3n, pkt(3)).build()]);
      const { records, warnings, info } = parse(f, [17]);
      expect(records).toHaveLength(2);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ file: 't.pcapng', offset: head.length, truncated: true });
      expect(warnings[0]!.message).toMatch(/corrupt block/);
      expect(info).toMatchObject({ truncated: true, packets: 2 });
    });
  }

  it('a file cut inside a block: warning with the offset, truncated, earlier packets kept', () => {
    const head = good().build();
    const f = Buffer.concat([head, new Pcapng().epb(0, 3n, pkt(3)).build()]);
    for (const cut of [3, 8, 30, 70, f.length - head.length - 4]) {
      const { records, warnings, info } = parse(f.subarray(0, f.length - cut));
      expect(records).toHaveLength(2);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.message).toMatch(/capture ends inside a block/);
      expect(warnings[0]).toMatchObject({ offset: head.length, truncated: true });
      expect(info.truncated).toBe(true);
    }
  });

  it('an EPB whose captured length overruns its block is skipped with a warning', () => {
    const epb = new Pcapng().epb(0, 3n, pkt(3)).build();
    epb.writeUInt32LE(400, 20); // captured length
    const { records, warnings } = parse(Buffer.concat([good().build(), epb, new Pcapng().epb(0, 4n, pkt(4)).build()]));
    expect(records.map((r) => r.frame)).toEqual([1, 2, 3]);
    expect(records[2]!.bytes).toBe(pkt(4).toString('hex'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ truncated: false });
  });

  it('a block at the 16 MiB bound is read in linear time, chunk by chunk', () => {
    const body = MAX_BLOCK_BYTES - 12;
    const blob = new Pcapng().block(0x0bad, Buffer.alloc(body)).build();
    expect(blob.length).toBe(MAX_BLOCK_BYTES);
    const f = Buffer.concat([good().build(), blob, new Pcapng().epb(0, 3n, pkt(3)).build()]);
    const t = Date.now();
    const { records, warnings } = parse(f, [65536]);
    expect(Date.now() - t).toBeLessThan(2000);
    expect(records).toHaveLength(3);
    expect(warnings).toEqual([]);
  });
});

describe('pcapng through the pipeline', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcptrace-pcapng-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The same packets as classic pcap (µs, Ethernet or raw IP). */
  function pcap(frames: { ts: bigint; data: Buffer }[], linkType: number): Buffer {
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0); h.writeUInt16LE(2, 4); h.writeUInt16LE(4, 6); h.writeUInt32LE(262144, 16); h.writeUInt32LE(linkType, 20);
    return Buffer.concat([h, ...frames.flatMap(({ ts, data }) => {
      const r = Buffer.alloc(16);
      r.writeUInt32LE(Number(ts / 1_000_000n), 0); r.writeUInt32LE(Number(ts % 1_000_000n), 4);
      r.writeUInt32LE(data.length, 8); r.writeUInt32LE(data.length, 12);
      return [r, data];
    })]);
  }

  const strip = (json: string) => {
    const { input: _i, ...rest } = JSON.parse(json) as Record<string, unknown>;
    return JSON.stringify(rest).replaceAll(/"file":"[^"]*"/g, '"file":"<file>"');
  };

  it('gives the same report as the same packets in classic pcap', async () => {
    const frames = conversation().map((ip, i) => ({ ts: T0 * 1_000_000n + BigInt(i) * 1500n, data: ether(ip) }));
    const ng = new Pcapng().shb(false).idb(1, 262144, { tsresol: 6 });
    for (const f of frames) ng.epb(0, f.ts, f.data);
    writeFileSync(join(dir, 'a.pcapng'), ng.build());
    writeFileSync(join(dir, 'a.pcap'), pcap(frames, 1));
    const a = await analyze(join(dir, 'a.pcapng'));
    const b = await analyze(join(dir, 'a.pcap'));
    expect(a.connections).toHaveLength(1);
    expect(a.connections[0]!.handshake.kind).toBe('complete');
    expect(a.input).toMatchObject({ format: 'pcapng', packets: 8, tcpPackets: 8, truncated: false, linkTypes: ['ethernet'] });
    expect(strip(reportJson(a))).toBe(strip(reportJson(b)));
  });

  it('reads two interfaces of different link types as one capture', async () => {
    const one = conversation('10.0.0.1', '10.0.0.2', 40000, 80);
    const two = conversation('10.0.0.3', '10.0.0.4', 40001, 443);
    const ng = new Pcapng().shb().idb(1).idb(101, 262144, { tsresol: 9 });
    for (let i = 0; i < one.length; i++) {
      ng.epb(0, T0 * 1_000_000n + BigInt(i * 10), ether(one[i]!));
      ng.epb(1, T0 * 1_000_000_000n + BigInt(i * 10_000 + 5_000), two[i]!);
    }
    writeFileSync(join(dir, 'two.pcapng'), ng.build());
    const r = await analyze(join(dir, 'two.pcapng'));
    expect(r.input).toMatchObject({ packets: 16, tcpPackets: 16, timePrecision: 9 });
    expect(r.input.linkTypes.sort()).toEqual(['ethernet', 'raw']);
    expect(r.connections.map((c) => [c.server.port, c.handshake.kind, c.close.kind])).toEqual([
      [80, 'complete', 'three-way'], [443, 'complete', 'three-way'],
    ]);
    expect(r.connections[1]!.firstS).toBeCloseTo(0.000005, 9);
  });

  it('a packet recorded on two interfaces is tracked once; twice on one interface, it was sent twice', async () => {
    const frames = conversation().map((ip, i) => ({ ts: T0 * 1_000_000n + BigInt(i) * 1500n, data: ether(ip) }));
    writeFileSync(join(dir, 'once.pcap'), pcap(frames, 1));
    const once = await analyze(join(dir, 'once.pcap'));
    // As dumpcap -i a -i b records a router's traffic: each frame on its way in, then on its way
    // out (at the same microsecond here, so that the capture ends when it did).
    const write = (name: string, secondIface: number, flags: [number | null, number | null]) => {
      const ng = new Pcapng().shb().idb(1).idb(1);
      for (const f of frames) ng.epb(0, f.ts, f.data, undefined, flags[0]).epb(secondIface, f.ts, f.data, undefined, flags[1]);
      writeFileSync(join(dir, name), ng.build());
      return analyze(join(dir, name));
    };
    // Frame numbers count every record: the n-th packet kept is frame 2n - 1 there.
    const framesHalved = (json: string) => strip(json).replaceAll(/("\w*[fF]rame)":(\d+)/g, (_m, k: string, n: string) => `${k}":${(Number(n) + 1) / 2}`);
    const twoIfaces = await write('two-ifaces.pcapng', 1, [null, null]);
    expect(twoIfaces.input).toMatchObject({ packets: 16, tcpPackets: 8, skipped: { duplicates: 8 } });
    expect(twoIfaces.input.warnings.map((w) => w.message).join('\n')).toMatch(/^8 TCP packets were another copy/m);
    expect(framesHalved(reportJson(twoIfaces))).toBe(strip(reportJson(once)));
    // One interface, in and out again (epb_flags): also copies.
    const inOut = await write('in-out.pcapng', 0, [1, 2]);
    expect(inOut.input.skipped.duplicates).toBe(8);
    expect(framesHalved(reportJson(inOut))).toBe(strip(reportJson(once)));
    // The same place twice: every segment retransmitted.
    const samePlace = await write('same-place.pcapng', 0, [1, 1]);
    expect(samePlace.input.skipped.duplicates).toBe(0);
    expect(samePlace.connections[0]!.handshake.synRetransmits).toHaveLength(1);
    expect(samePlace.connections[0]!.packets).toEqual({ clientToServer: 10, serverToClient: 6 });
  });

  it('keeps what came before a corrupt block and says where', async () => {
    const ng = new Pcapng().shb().idb(101);
    conversation().slice(0, 3).forEach((ip, i) => ng.epb(0, T0 * 1_000_000n + BigInt(i), ip));
    const head = ng.build();
    const f = Buffer.concat([head, new Pcapng().block(6, Buffer.alloc(40), { length: 0xfffffff0 }).build()]);
    writeFileSync(join(dir, 'bad.pcapng'), f);
    const r = await analyze(join(dir, 'bad.pcapng'));
    expect(r.input.truncated).toBe(true);
    expect(r.input.packets).toBe(3);
    expect(r.input.warnings[0]).toMatchObject({ offset: head.length });
    expect(r.connections[0]!.handshake.kind).toBe('complete');
  });
});
