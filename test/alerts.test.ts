/**
 * Alerts across connections (SPEC section 4), on kernel-made fixtures: a SYN flood from spoofed
 * sources (crafted SYNs, kernel answers), nmap scans, a server that never closes, and a client
 * leaving many endpoints in TIME_WAIT. Ordinary fixtures raise none with the default thresholds.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, cli, fixture } from './helpers/run.js';
import { analyzeCaptures } from '../src/pipeline.js';
import { AlertBuilder, type AlertThresholds, DEFAULT_THRESHOLDS, peakOverlap } from '../src/findings/alerts.js';
import { FlowTable } from '../src/connections/flow-table.js';
import { ConnectionFindings } from '../src/findings/report.js';
import { ACK, RST, SYN, type Segment, newSegment } from '../src/decode/segment.js';

const alertsOf = async (name: string, thresholds: Partial<AlertThresholds> = {}) =>
  (await analyzeCaptures([fixture(name)], { timeWaitS: 60, thresholds })).alerts;

describe('alerts', () => {
  it('syn-flood: 300 spoofed SYNs in a second, 9 queued (SYN/ACK retransmitted), 291 answered by syncookies', async () => {
    const [a, ...rest] = await alertsOf('syn-flood');
    expect(rest).toEqual([]);
    expect(a).toMatchObject({ kind: 'syn-flood', server: { ip: '10.88.0.2', port: 5125 }, count: 300, sources: 300, answers: { retransmitted: 9, once: 291, none: 0 } });
    if (a!.kind !== 'syn-flood') throw new Error('unreachable');
    expect(a.ratePerS).toBeGreaterThan(250);
    // The kernel held 9 requests in SYN-RECV at once (ss); syncookie answers hold none.
    expect(a.peakHalfOpen).toBeGreaterThanOrEqual(9);
    expect(a.peakHalfOpen).toBeLessThan(20);
  });

  it('port-scan, nmap -sS: a SYN scan, 3 ports open, the rest closed', async () => {
    const alerts = await alertsOf('nmap-syn');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'port-scan', style: 'syn', ports: 200, openPorts: [22, 80, 100] });
    if (alerts[0]!.kind === 'port-scan') expect(alerts[0]!.closedPorts).toHaveLength(197);
  });

  it('port-scan, nmap -sF, -sN, -sX: three scans, open ports silent', async () => {
    const alerts = await alertsOf('nmap-fin-null-xmas');
    expect(alerts.map((a) => a.kind === 'port-scan' && a.style)).toEqual(['fin', 'null', 'xmas']);
    for (const a of alerts) expect(a).toMatchObject({ ports: 100, openPorts: [], silentPorts: [22, 80, 100] });
  });

  it('lingering: a server that never calls close() sits in CLOSE_WAIT, its peer in FIN_WAIT_2', async () => {
    expect(await alertsOf('close-wait-linger')).toEqual([]); // 12 s: under the 30 s default
    const alerts = await alertsOf('close-wait-linger', { lingerS: 10 });
    expect(alerts.map((a) => a.kind === 'lingering' && `${a.side} ${a.state} ${a.atCaptureEnd}`).sort()).toEqual(['client FIN_WAIT_2 true', 'server CLOSE_WAIT true']);
    for (const a of alerts) if (a.kind === 'lingering') expect(a.durationS).toBeGreaterThan(11);
  });

  it('lingering reports the retransmission intervals seen while it waited', async () => {
    const [a] = await alertsOf('fin-dropped', { lingerS: 1 });
    expect(a).toMatchObject({ kind: 'lingering', state: 'FIN_WAIT_1', side: 'client' });
    if (a!.kind === 'lingering') expect(a.retransmitIntervalsS.length).toBeGreaterThanOrEqual(3);
  });

  it('time-wait-pileup: 150 client endpoints in TIME_WAIT at once', async () => {
    expect(await alertsOf('time-wait-pileup')).toEqual([]); // default 500
    const [a] = await alertsOf('time-wait-pileup', { timeWaitPileup: 100 });
    expect(a).toMatchObject({ kind: 'time-wait-pileup', host: '127.0.0.1', peak: 150, entries: 150 });
  });

  it('ordinary fixtures raise no alert with the default thresholds', async () => {
    const alerting = new Set(['syn-flood', 'nmap-syn', 'nmap-fin-null-xmas']);
    const names = readdirSync(FIXTURES).filter((d) => existsSync(join(FIXTURES, d, 'capture.pcap')) && !alerting.has(d));
    expect(names.length).toBeGreaterThan(20);
    for (const name of names) expect({ name, alerts: await alertsOf(name) }).toEqual({ name, alerts: [] });
  });

  it('every alert kind can be named in --fail-on, one line each', () => {
    const r = cli(['analyze', fixture('nmap-fin-null-xmas'), '--fail-on', 'port-scan']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').map((l) => l.replace(/ of .*/, ''))).toEqual([
      'tcptrace: fail-on port-scan: port-scan (fin)', 'tcptrace: fail-on port-scan: port-scan (null)', 'tcptrace: fail-on port-scan: port-scan (xmas)',
    ]);
    expect(cli(['analyze', fixture('syn-flood'), '--fail-on', 'syn-flood']).code).toBe(1);
    expect(cli(['analyze', fixture('client-close-first'), '--fail-on', 'alerts']).code).toBe(0);
  });

  it('peakOverlap counts intervals open at once (an interval ending as another starts does not overlap)', () => {
    expect(peakOverlap([[0, 2], [1, 3], [2, 4], [5, 6]])).toEqual({ peak: 2, at: 1 });
  });
});

describe('port-scan memory', () => {
  // Probes of one source to one target, each a SYN answered by RST/ACK (a closed port).
  const probes = (ports: number[], startS: number): { s: number; seg: Segment }[] => ports.flatMap((port, i) => {
    const s = startS + i * 0.01;
    const syn = newSegment();
    Object.assign(syn, { s, src: '192.0.2.66', srcPort: 50000, dst: '10.0.0.9', dstPort: port, flags: SYN, seq: 1000 });
    const rst = newSegment();
    Object.assign(rst, { s: s + 0.001, src: '10.0.0.9', srcPort: port, dst: '192.0.2.66', dstPort: 50000, flags: RST | ACK, seq: 0, ack: 1001 });
    return [{ s, seg: syn }, { s: s + 0.001, seg: rst }];
  });
  const scans = (steps: { s: number; seg: Segment }[]) => {
    const builder = new AlertBuilder({ ...DEFAULT_THRESHOLDS, portScan: 15 }, 60);
    const end = steps.at(-1)!.s;
    const findings = new ConnectionFindings();
    const table = new FlowTable((c, endS) => builder.add(findings.analyze(c, [], { captureEndS: end, timeWaitS: 60, fileName: () => 'synthetic' }), endS));
    steps.forEach(({ seg }, i) => {
      seg.frame = seg.fileFrame = i + 1;
      table.track(seg);
    });
    table.end(end);
    return builder.result(end).filter((a) => a.kind === 'port-scan');
  };
  const ports = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

  it('two bursts of 10 ports 30 s apart are one scan of 20 ports', () => {
    const found = scans([...probes(ports(100, 10), 0), ...probes(ports(200, 10), 30)]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ source: '192.0.2.66', target: '10.0.0.9', ports: 20 });
  });
  it('two bursts of 10 ports 90 s apart (quiet for more than 60 s between) are not a scan', () => {
    expect(scans([...probes(ports(100, 10), 0), ...probes(ports(200, 10), 90)])).toEqual([]);
  });
  it('a scan past the threshold is kept however long it then stays quiet', () => {
    const found = scans([...probes(ports(100, 20), 0), ...probes(ports(200, 1), 500)]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ ports: 21 });
  });
});
