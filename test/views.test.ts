/**
 * The terminal views: ladder diagrams fixed by snapshots made from fixtures, and the states-at
 * view judged, like the tracker, by the kernel's ss recordings.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, analyze, cli, fixture } from './helpers/run.js';
import { changedUnseen, epochOf, notASocket, readScenario, readSsViews } from './helpers/kernel-view.js';
import { statesAt, parseAt } from '../src/views/states-at.js';
import { SS_NAMES } from '../src/connections/state.js';

const ladder = (name: string, ...args: string[]) => cli(['ladder', fixture(name), ...args], undefined, { COLUMNS: '100' });

describe('tcptrace ladder', () => {
  for (const name of ['client-close-first', 'three-way-close', 'simultaneous-close', 'last-ack', 'refused', 'rst-after-close']) {
    it(`${name} (unicode)`, async () => {
      const r = ladder(name);
      expect(r.code).toBe(0);
      await expect(r.stdout).toMatchFileSnapshot(`__snapshots__/ladder-${name}.txt`);
    });
  }
  it('draws in plain ASCII with --ascii', async () => {
    const r = ladder('fin-dropped', '--ascii');
    expect(r.stdout).toMatch(/^[\x20-\x7e\n]*$/);
    await expect(r.stdout).toMatchFileSnapshot('__snapshots__/ladder-fin-dropped-ascii.txt');
  });
  it('writes each side\'s state changes beside its lifeline, on the frame that made them', () => {
    const lines = ladder('client-close-first').stdout.split('\n');
    const synRow = lines.find((l) => l.includes('  #1 '))!;
    expect(synRow.startsWith('SYN_SENT')).toBe(true);
    expect(synRow.trimEnd().endsWith('SYN_RECEIVED')).toBe(true);
    expect(lines.find((l) => l.includes('[F.]') && l.startsWith('FIN_WAIT_1'))).toBeDefined();
  });
  it('marks retransmissions and folds long data phases unless --full', () => {
    const retx = ladder('fin-dropped').stdout;
    expect(retx.match(/↻ \[F\.\]/g)!.length).toBe(4);
    const folded = ladder('half-close').stdout;
    expect(folded).toMatch(/data and ACK segments folded/);
    const full = ladder('half-close', '--full').stdout;
    expect(full).not.toMatch(/folded/);
    expect(full.split('\n').filter((l) => / #\d+ /.test(l)).length).toBe(17);
  });
  it('draws a FIN the capture missed as a row of its own, from its sender, before the segment that showed it', () => {
    const lines = ladder('fin-not-captured').stdout.split('\n');
    for (const [shownBy, fromClient] of [[8, true], [20, false]] as const) {
      const at = lines.findIndex((l) => l.includes(`(shown by #${shownBy})`));
      expect(at).toBeGreaterThan(0);
      expect(lines[at + 1]).toContain(` #${shownBy} `);
      expect(lines[at]).toMatch(fromClient ? /│─ \[F\] not captured .*▶│$/ : /│◀─+ \[F\] not captured .*─│$/);
    }
  });
  it('draws a timer\'s transition at its time among the segments, not after them all', () => {
    // The server gave up its SYN/ACKs at 7.04 s; the client's data at 9.0 s finds no socket.
    const lines = ladder('synack-retries-expired').stdout.split('\n');
    const gaveUp = lines.findIndex((l) => / gave-up +│ CLOSED$/.test(l));
    expect(gaveUp).toBeGreaterThan(0);
    expect(lines[gaveUp - 1]).toContain(' #4 ');
    expect(lines[gaveUp + 1]).toContain(' #5 ');
  });
  it('numbers a socket connected to itself from its own ISN both ways, as tcpdump does', () => {
    const rows = ladder('self-connect', '--conn', '1').stdout.split('\n').filter((l) => / #\d+ /.test(l));
    expect(rows.map((l) => /\[[^\]]+\] (.*?) len/.exec(l)![1])).toEqual(['seq 0', 'seq 0 ack 1', 'ack 1', 'seq 1 ack 1', 'ack 7', 'seq 7 ack 7', 'ack 8']);
  });
  it('keeps the lifelines straight when a client state label is longer than its column', () => {
    for (const name of ['self-connect', 'simultaneous-open']) {
      const lines = ladder(name, '--conn', '1').stdout.split('\n').filter((l) => l.includes('│'));
      expect(lines.some((l) => l.startsWith('SYN_SENT>SYN_RECEIVED') || l.includes('│ SYN_SENT>SYN_RECEIVED'))).toBe(true);
      expect(new Set(lines.map((l) => l.indexOf('│'))).size).toBe(1);
      expect(new Set(lines.map((l) => l.lastIndexOf('│'))).size).toBe(1);
    }
  });
  it('marks illegal-flag segments', () => {
    const r = ladder('illegal-flags', '--client', '127.0.0.1:42001');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\[FS\].*⚠ syn-fin/);
  });
  it('marks the RSTs whose apparent sender lived on (injected in its name)', () => {
    const rows = ladder('rst-challenge-ack').stdout.split('\n').filter((l) => /\[R\.?\]/.test(l));
    // The four scapy RSTs toward the client are marked; the client kernel's own final RST is not.
    expect(rows.map((l) => l.includes('⚠ sender lived on'))).toEqual([true, true, true, true, false]);
  });
  it('marks the unsigned segments of a signed connection (TCP-MD5) as discarded, and their table rows say why', () => {
    const rows = ladder('md5-reject', '--conn', '1').stdout.split('\n').filter((l) => /\[R\.?\]/.test(l));
    // netfilter's four unsigned RSTs; then its fifth, taken by the TIME_WAIT; the client host's signed one.
    expect(rows.map((l) => (l.includes('⚠ unsigned, discarded') ? 'discarded' : l.includes('⚠ unsigned') ? 'taken' : ''))).toEqual(['discarded', 'discarded', 'discarded', 'discarded', 'taken', '']);
    const table = cli(['analyze', fixture('md5-reject')]).stdout;
    expect(table.match(/unsigned on a signed connection \(TCP-MD5\/TCP-AO\)/g)).toHaveLength(10);
  });
  it('selects by --conn, --client, --server; an empty selection is a usage error', () => {
    expect(ladder('time-wait-reuse', '--conn', '2').stdout).toMatch(/^#2 /);
    expect(ladder('illegal-flags', '--server', '127.0.0.1:5121').stdout.match(/^#\d+ /gm)!.length).toBe(10);
    const none = ladder('refused', '--conn', '9');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no connection matches/);
  });
});

describe('tcptrace states --at', () => {
  const fixtures = readdirSync(FIXTURES).filter((d) => existsSync(join(FIXTURES, d, 'ss.jsonl')) && existsSync(join(FIXTURES, d, 'scenario.json')));
  for (const name of fixtures) {
    it(`${name}: at the middle of each long ss view, the listed endpoints are the kernel's sockets`, async () => {
      const report = await analyze(fixture(name));
      const scenario = readScenario(join(FIXTURES, name, 'scenario.json'));
      const origin = epochOf(report.input.startTime!);
      // Not judged: crafted sources, and a socket while the kernel changed it unseen (kernel-view.ts).
      const unjudged = changedUnseen(scenario.unseen, origin);
      const unseenAt = (local: string, at: number) => unjudged(local, at, at);
      const judges = notASocket(scenario);
      const notSocket = (local: string, peer: string, at: number) => judges(local, peer) || unseenAt(local, at);
      let judged = 0;
      for (const v of readSsViews(join(FIXTURES, name, 'ss.jsonl'))) {
        // Long views only (the middle is far from any transition), clipped to the capture's span.
        const from = Math.max(v.first[1] - origin, 0);
        const to = Math.min(v.last[0] - origin, report.input.durationS);
        if (to - from < 0.04) continue;
        const at = (from + to) / 2;
        const ours = statesAt(report, at).filter((e) => !notSocket(e.local, e.peer, at))
          .map((e) => `${SS_NAMES[e.state]} ${e.local} ${e.peer}`).sort();
        const kernel = v.sockets.filter((s) => s.state !== 'LISTEN' && !unseenAt(s.local, at)).map((s) => `${s.state} ${s.local} ${s.peer}`).sort();
        expect({ at, ours }).toEqual({ at, ours: kernel });
        judged++;
      }
      // Only a capture over in a blink (refused: two packets in microseconds) has no view to judge.
      if (report.input.durationS > 0.1) expect(judged).toBeGreaterThan(0);
    });
  }
  it('reads seconds, clock times and ISO times', () => {
    const start = '2026-11-21T09:15:15.381417Z';
    expect(parseAt('1.5', start)).toBe(1.5);
    expect(parseAt('2026-11-21T09:15:16.381417Z', start)).toBeCloseTo(1, 6);
    expect(parseAt('nonsense', start)).toBeNull();
  });
  it('past the capture\'s end: endpoints as the capture left them, each TIME_WAIT over once its length has passed', async () => {
    const report = await analyze(fixture('client-close-first')); // ends ~1 s into the client's TIME_WAIT
    const tw = report.connections[0]!.timeWait[0]!;
    expect(tw).toMatchObject({ side: 'client', end: 'open' });
    const end = report.input.durationS;
    const at = (s: number) => statesAt(report, s).map((e) => e.state);
    expect(at(end)).toEqual(['TIME_WAIT']);
    expect(at(tw.enteredS + 59.999)).toEqual(['TIME_WAIT']);
    expect(at(tw.enteredS + 60)).toEqual([]);
    // --time-wait changes it, as it changes when the tracker ends one inside a capture.
    const rfc = await analyze(fixture('client-close-first'), 240);
    expect(statesAt(rfc, tw.enteredS + 200).map((e) => e.state)).toEqual(['TIME_WAIT']);
    const r = cli(['states', fixture('client-close-first'), '--at', '300']);
    expect(r.stdout).toMatch(/after the capture's end at [\d.]+ s/);
    expect(r.stdout).toMatch(/no endpoint held a connection/);
    const j = JSON.parse(cli(['states', fixture('client-close-first'), '--at', '300', '--json']).stdout) as { captureEndS: number; endpoints: unknown[] };
    expect(j).toEqual({ atS: 300, captureEndS: end, endpoints: [] });
  });
  it('counts endpoints per state at the bottom, like netstat | grep | wc -l', () => {
    const r = cli(['states', fixture('simultaneous-close'), '--at', '1.49']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('CLOSING 2');
  });
});
