/** The classic pcap reader: both magics and byte orders, chunking, cut-short and corrupt files. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PcapParser } from '../src/input/pcap.js';
import type { InputWarning, PacketRecord, RecordSink } from '../src/input/record.js';
import { fixture } from './helpers/run.js';
import { recordOffsets, swapPcapByteOrder } from './helpers/pcap-bytes.js';

interface Got { frame: number; tsSec: number; tsNsec: number; capLen: number; origLen: number; linkType: number; bytes: string }

function parse(buf: Buffer, chunk = buf.length): { records: Got[]; warnings: InputWarning[]; truncated: boolean } {
  const records: Got[] = [];
  const warnings: InputWarning[] = [];
  const sink: RecordSink = {
    record: (r: PacketRecord) => records.push({
      frame: r.frame, tsSec: r.tsSec, tsNsec: r.tsNsec, capLen: r.capLen, origLen: r.origLen, linkType: r.linkType,
      bytes: Buffer.from(r.data.subarray(r.offset, r.offset + r.capLen)).toString('hex'),
    }),
    line: () => { throw new Error('no text expected'); },
    warning: (w) => warnings.push(w),
  };
  const p = new PcapParser('test.pcap', 0, sink);
  for (let i = 0; i < buf.length; i += chunk) p.push(buf.subarray(i, i + chunk));
  p.end();
  return { records, warnings, truncated: p.info().truncated };
}

const us = readFileSync(fixture('client-close-first'));

describe('classic pcap', () => {
  it('agrees with pcap-parser (the named dependency, used here as an oracle) on a µs capture', async () => {
    const require = createRequire(import.meta.url);
    const pcapParser = require('pcap-parser') as { parse: (s: Readable) => NodeJS.EventEmitter };
    const oracle: Got[] = await new Promise((resolve, reject) => {
      const out: Got[] = [];
      let linkType = 0;
      const parser = pcapParser.parse(Readable.from([us]));
      parser.on('globalHeader', (h: { linkLayerType: number }) => { linkType = h.linkLayerType; });
      parser.on('packet', (p: { header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number }; data: Buffer }) => {
        out.push({
          frame: out.length + 1, tsSec: p.header.timestampSeconds, tsNsec: p.header.timestampMicroseconds * 1000,
          capLen: p.header.capturedLength, origLen: p.header.originalLength, linkType, bytes: p.data.toString('hex'),
        });
      });
      parser.on('end', () => resolve(out));
      parser.on('error', reject);
    });
    expect(oracle.length).toBeGreaterThan(5);
    expect(parse(us).records).toEqual(oracle);
  });

  it('gives the same records whatever the chunk boundaries', () => {
    const whole = parse(us).records;
    for (const chunk of [1, 7, 16, 23, 24, 25, 100]) expect(parse(us, chunk).records).toEqual(whole);
  });

  it('reads the big-endian byte order the same', () => {
    expect(parse(swapPcapByteOrder(us)).records).toEqual(parse(us).records);
  });

  it('reads nanosecond captures with full precision', () => {
    const ns = parse(readFileSync(fixture('nanosecond')));
    expect(ns.records.length).toBeGreaterThan(0);
    expect(ns.records.some((r) => r.tsNsec % 1000 !== 0)).toBe(true);
  });

  it('a capture cut inside a record keeps every packet before it and warns with the offset', () => {
    const offs = recordOffsets(us);
    const cut = us.subarray(0, offs[5]! + 20);
    const r = parse(cut, 64);
    expect(r.records).toEqual(parse(us).records.slice(0, 5));
    expect(r.truncated).toBe(true);
    expect(r.warnings).toMatchObject([{ offset: offs[5], truncated: true }]);
  });

  it('a corrupt record length (2 GiB) stops with a warning, no allocation, earlier packets kept', () => {
    const offs = recordOffsets(us);
    const bad = Buffer.from(us);
    bad.writeUInt32LE(0x80000000, offs[3]! + 8);
    const r = parse(bad, 4096);
    expect(r.records).toHaveLength(3);
    expect(r.truncated).toBe(true);
    expect(r.warnings[0]!.message).toMatch(/corrupt record/);
    expect(r.warnings[0]!.offset).toBe(offs[3]);
  });

  it('clamps an invalid sub-second field (a second or more) to the end of its second, warning once', () => {
    const offs = recordOffsets(us);
    const bad = Buffer.from(us);
    bad.writeUInt32LE(0x80000000, offs[2]! + 4);
    bad.writeUInt32LE(1_000_000, offs[3]! + 4);
    const r = parse(bad);
    expect(r.records[2]!.tsNsec).toBe(999_999_000);
    expect(r.records[3]!.tsNsec).toBe(999_999_000);
    expect(r.records[2]!.tsSec).toBe(parse(us).records[2]!.tsSec);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatchObject({ truncated: false, offset: offs[2] });
    expect(r.truncated).toBe(false);
  });

  it('rejects what is not a pcap', () => {
    expect(() => parse(Buffer.from('0123456789abcdef0123456789abcdef'))).toThrow(/not a pcap file/);
    expect(() => parse(us.subarray(0, 10))).toThrow(/file ends inside the pcap file header/);
  });
});
