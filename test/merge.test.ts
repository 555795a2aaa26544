/** Several files are one capture: merged in timestamp order, as mergecap does (SPEC section 1). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, fixture } from './helpers/run.js';
import { recordOffsets, splitPcap } from './helpers/pcap-bytes.js';
import type { Report } from '../src/pipeline.js';

const tmp = mkdtempSync(join(tmpdir(), 'tcptrace-merge-'));

/** The findings, without what names the files. */
function findings(r: Report) {
  const strip = <T extends object>(o: T) => JSON.parse(JSON.stringify(o, (k, v) => (k === 'file' || k === 'fileFrame' ? undefined : v)));
  return { connections: strip(r.connections), anomalies: strip(r.anomalies), summary: r.summary };
}

function parts(name: string, n: number, pick: (i: number) => number): string[] {
  return splitPcap(readFileSync(fixture(name)), n, pick).map((buf, i) => {
    const p = join(tmp, `${name}-${n}-${i}-${pick(1)}.pcap`);
    writeFileSync(p, buf);
    return p;
  });
}

describe('several files', () => {
  for (const name of ['time-wait-reuse', 'illegal-flags', 'last-ack']) {
    it(`${name}: interleaved halves merge back into the original capture`, async () => {
      const whole = await analyze(fixture(name));
      const [odd, even] = parts(name, 2, (i) => i % 2);
      // Named in either order: the merge goes by time, not by argument order.
      expect(findings(await analyze([odd!, even!]))).toEqual(findings(whole));
      expect(findings(await analyze([even!, odd!]))).toEqual(findings(whole));
    });
  }

  it('a capture split in time (as editcap -i does) reads back as one', async () => {
    const name = 'time-wait-reuse';
    const n = recordOffsets(readFileSync(fixture(name))).length;
    const files = parts(name, 3, (i) => Math.floor((i * 3) / n));
    expect(findings(await analyze(files))).toEqual(findings(await analyze(fixture(name))));
  });

  it('captures of the same packets at two places (both sides of a router, merged) track each packet once', async () => {
    // The second file is the first seen 20 us later on another interface (same IP id, as routed).
    const name = 'lossy-bulk'; // retransmissions, SACK, a full close: copies must not become or hide any
    const pcap = readFileSync(fixture(name));
    const later = Buffer.from(pcap);
    for (const off of recordOffsets(later)) {
      const us = later.readUInt32LE(off + 4) + 20;
      later.writeUInt32LE(later.readUInt32LE(off) + Math.floor(us / 1e6), off);
      later.writeUInt32LE(us % 1e6, off + 4);
    }
    const p = join(tmp, `${name}-20us-later.pcap`);
    writeFileSync(p, later);
    const whole = await analyze(fixture(name));
    const both = await analyze([fixture(name), p]);
    expect(both.input.packets).toBe(2 * whole.input.packets);
    expect(both.input.skipped.duplicates).toBe(whole.input.tcpPackets);
    // Frames count every record of the merged input; the rest is the single capture's report.
    const shape = (r: Report) => r.connections.map((c) => ({
      ends: [c.client, c.server], packets: c.packets, bytes: c.bytes, retransmits: c.retransmits,
      handshake: c.handshake.kind, close: c.close.kind, finRetransmits: c.close.finRetransmits.length,
      states: Object.fromEntries((['client', 'server'] as const).map((side) => [side, c.states[side].map((t) => [t.state, t.event, t.s])])),
    }));
    expect(shape(both)).toEqual(shape(whole));
    expect(whole.connections.some((c) => c.retransmits.clientToServer + c.retransmits.serverToClient > 0)).toBe(true);
  });

  it('each per-packet finding names its file and its frame there', async () => {
    const [odd, even] = parts('illegal-flags', 2, (i) => i % 2);
    const r = await analyze([odd!, even!]);
    const whole = await analyze(fixture('illegal-flags'));
    expect(r.anomalies.length).toBe(whole.anomalies.length);
    for (const a of r.anomalies) {
      // Frame f of the merged capture is frame ceil(f/2) of its part.
      expect(a.file).toBe(a.frame % 2 === 1 ? odd : even); // part 0 holds frames 1, 3, 5 ...
      expect(a.fileFrame).toBe(Math.ceil(a.frame / 2));
    }
    expect(r.input.files.map((f) => f.name)).toEqual([odd, even]);
    expect(r.input.packets).toBe(whole.input.packets);
  });
});
