/**
 * tcpdump's own test captures (../shared/corpus/tcpdump/tests, when present): for each TCP
 * capture whose expected output (`.out`, made by `tcpdump -# -n -r CAPTURE -tttt OPTIONS`, see
 * TESTLIST) uses options this reader supports, the text path and the pcap path must agree on
 * the connections, handshakes (with times and MPTCP's part), closes, resets (with MPTCP's
 * reasons) and anomalies. The files are read where they are, never copied. The .out files come from tcpdump 5.0-dev; the ones that cannot agree are listed
 * as skipped, with the reason in the test name.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeCaptures, type Report } from '../src/pipeline.js';
import { CORPUS, HAVE_CORPUS, analyze } from './helpers/run.js';

const DIR = join(CORPUS, 'tcpdump', 'tests');

interface Case {
  name: string;
  capture: string;
  out: string;
  options: string;
}

/**
 * Options whose output this reader reads: the TCP line is printed whatever they add around it
 * (-v header lines, -x/-X/-A payload dumps, -e link layer, -b and -T payload decoders).
 */
const SUPPORTED = /^(-[vetSxXAnb]+|-t{1,5}|--nano|-T \S+|)$/;

/** Why a case cannot agree, or null. */
function unsupported(c: Case): string | null {
  const opts = c.options.replace('SPECIAL_t', '').trim();
  if (/(^| )-q( |$)/.test(opts)) return '-q prints no flags or numbers';
  if (/--skip|-c \d|--print-sampling/.test(opts)) return 'prints a subset of the packets, so frames differ';
  if (opts.startsWith('--') && !opts.startsWith('--nano')) return 'a filter expression prints a subset of the packets';
  const parts = opts.match(/-T \S+|\S+/g) ?? [];
  for (const p of parts) if (!SUPPORTED.test(p)) return `option ${p} not supported`;
  return null;
}

function cases(): Case[] {
  const list: Case[] = [];
  for (const line of readFileSync(join(DIR, 'TESTLIST'), 'utf8').split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const m = /^(\S+)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const [, name, capture, out, options] = m;
    if (!existsSync(join(DIR, capture!)) || !existsSync(join(DIR, out!))) continue;
    list.push({ name: name!, capture: capture!, out: out!, options: options!.trim() });
  }
  return list;
}

/**
 * Whether the pipe times packet lines that are not TCP (the decoder's `tick`): without it, a text
 * capture's clock starts at its first TCP packet and times are compared only when that is frame 1.
 */
async function pipeTimesNonTcp(): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), 'tcptrace-corpus-'));
  const file = join(dir, 'probe.txt');
  writeFileSync(file, '1.000000 ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28\n2.000000 IP 10.0.0.1.1000 > 10.0.0.2.80: Flags [S], seq 1, win 1, length 0\n');
  const ok = (await analyze(file)).connections[0]?.handshake.synS === 1;
  rmSync(dir, { recursive: true });
  return ok;
}

function digest(r: Report, times: boolean) {
  const anomalies = (list: Report['anomalies']) => list.filter((a) => a.kind !== 'reserved-bits').map((a) => `${a.kind}@${a.frame}`);
  return {
    connections: r.connections.map((c) => ({
      client: `${c.client.ip}.${c.client.port}`,
      server: `${c.server.ip}.${c.server.port}`,
      midstream: c.midstream,
      packets: c.packets,
      bytes: c.bytes,
      times: times ? [c.handshake.synS, c.handshake.synAckS, c.handshake.ackS, c.close.firstFinS, c.close.completeS].map((t) => (t === null ? null : Math.round(t * 1e6))) : null,
      handshake: c.handshake.kind,
      mptcp: [c.handshake.options.client?.mptcp, c.handshake.options.server?.mptcp, c.handshake.mptcpSubflowOf],
      close: `${c.close.kind}/${c.close.initiator}`,
      // tcpdump 5.0 prints an MP_TCPRST's reason (tcpdump 4.99 does not: text.test.ts).
      resets: c.resets.map((x) => `${x.kind}@${x.frame}/${x.from}${x.mptcp ? ` mptcp ${x.mptcp.fastClose ? 'fast-close ' : ''}${x.mptcp.reason}` : ''}`),
      anomalies: anomalies(c.anomalies),
    })),
    anomalies: anomalies(r.anomalies),
  };
}

async function tryAnalyze(file: string): Promise<Report | Error> {
  try {
    return await analyze(file);
  } catch (e) {
    return e as Error;
  }
}

describe.skipIf(!HAVE_CORPUS)('tcpdump corpus: the text path agrees with the pcap path', () => {
  if (!HAVE_CORPUS) return;
  let ticks = false;
  beforeAll(async () => {
    ticks = await pipeTimesNonTcp();
  });
  for (const c of cases()) {
    const why = unsupported(c);
    if (why !== null) {
      it.skip(`${c.name} (skipped: ${why})`, () => {});
      continue;
    }
    it(`${c.name} (${c.options || 'no options'})`, async (ctx) => {
      const pcap = await tryAnalyze(join(DIR, c.capture));
      if (pcap instanceof Error) {
        ctx.skip(`the capture itself is not readable here: ${pcap.message}`);
        return;
      }
      if (pcap.input.tcpPackets === 0) {
        ctx.skip('no TCP in the capture');
        return;
      }
      const text = await analyze(join(DIR, c.out));
      expect(text.input.format).toBe('tcpdump-text');
      expect(text.input.packets).toBe(pcap.input.packets);
      // Packets the network duplicated are told by their IPv4 identification and checksum, which
      // text without -v does not print: there the copies are packets (and retransmissions), as
      // the pcap read with --keep-copies has them.
      const same = !/-v/.test(c.options) && pcap.input.skipped.duplicates > 0 && text.input.skipped.duplicates === 0
        ? await analyzeCaptures([join(DIR, c.capture)], { timeWaitS: 60, keepCopies: true })
        : pcap;
      expect(text.input.tcpPackets).toBe(same.input.tcpPackets);
      const times = ticks || Math.min(...pcap.connections.map((x) => x.firstFrame)) === 1;
      expect(digest(text, times)).toEqual(digest(same, times));
    });
  }
});
