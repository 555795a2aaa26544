/**
 * What each kernel-made scenario must report (SPEC section 4): handshake, close, resets,
 * TIME_WAIT, retransmissions. The scenarios are the ones the seed articles walk through; the
 * fixture scripts (fixtures/<name>/make.py) say what was done, fixtures/<name>/ss.jsonl what the
 * kernel showed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, analyze, cli, fixture } from './helpers/run.js';
import { epochOf, readScenario } from './helpers/kernel-view.js';
import type { ConnectionReport } from '../src/findings/types.js';
import { type Report, analyzeCaptures } from '../src/pipeline.js';

async function only(name: string): Promise<ConnectionReport> {
  const r = await analyze(fixture(name));
  expect(r.connections).toHaveLength(1);
  return r.connections[0]!;
}

/**
 * The client of fixture `name`'s only connection, closed by a kernel timer with nothing on the
 * wire: the tool's give-up lies in the kernel's unseen window (`unseen[0]`: from the first ss poll
 * without the socket to the packet that shows it gone).
 */
async function expectGaveUpUnseen(name: string): Promise<void> {
  const report = await analyze(fixture(name));
  const { from, until } = readScenario(fixture(name, 'scenario.json')).unseen![0]!;
  const origin = epochOf(report.input.startTime!);
  const gaveUp = report.connections[0]!.states.client.at(-1)!;
  expect(gaveUp).toMatchObject({ state: 'CLOSED', event: 'gave-up', frame: null });
  expect(gaveUp.s).toBeGreaterThanOrEqual(from - origin);
  expect(gaveUp.s).toBeLessThanOrEqual(until - origin);
}

const stateNames = (c: ConnectionReport, side: 'client' | 'server') => c.states[side].map((e) => e.state);

describe('opening', () => {
  it('a normal handshake is complete, with times, RTT and options', async () => {
    const c = await only('client-close-first');
    expect(c.handshake.kind).toBe('complete');
    expect(c.handshake.synS).toBe(0);
    expect(c.handshake.synAckS).toBeGreaterThan(0);
    expect(c.handshake.ackS).toBeGreaterThan(c.handshake.synAckS!);
    expect(c.handshake.rttS).toBeCloseTo(c.handshake.ackS! - c.handshake.synS!, 9);
    expect(c.handshake.options.client).toMatchObject({ mss: 65495, sackPermitted: true, timestamps: true });
    expect(c.handshake.options.server?.windowScale).not.toBeNull();
    expect(stateNames(c, 'client').slice(0, 3)).toEqual(['CLOSED', 'SYN_SENT', 'ESTABLISHED']);
    expect(stateNames(c, 'server').slice(0, 3)).toEqual(['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED']);
  });

  it('a connection to a closed port is refused by a RST from the server', async () => {
    const c = await only('refused');
    expect(c.handshake.kind).toBe('refused');
    expect(c.resets).toMatchObject([{ kind: 'refused', from: 'server', senderState: 'CLOSED', receiverState: 'SYN_SENT', inWindow: true }]);
    expect(c.close.kind).toBe('reset');
    expect(c.finalState).toEqual({ client: 'CLOSED', server: 'CLOSED' });
  });

  it('dropped SYNs leave the client in SYN_SENT with the doubling back-off', async () => {
    const c = await only('syn-dropped');
    expect(c.handshake.kind).toBe('no-reply');
    expect(c.handshake.synRetransmits).toHaveLength(3);
    const gaps = c.handshake.synRetransmitIntervalsS;
    // tcp_syn_linear_timeouts=0 in this fixture: 1 s, 2 s, 4 s (timer slack of a few ms).
    expect(gaps.map((g) => Math.round(g))).toEqual([1, 2, 4]);
    expect(c.finalState.client).toBe('SYN_SENT');
    expect(c.close.kind).toBe('none');
  });

  it('dropped SYN/ACKs leave the server in SYN_RECEIVED, retransmitting', async () => {
    const c = await only('synack-dropped');
    expect(c.handshake.kind).toBe('half-open');
    expect(c.handshake.synAckRetransmits.length).toBeGreaterThanOrEqual(2);
    expect(c.handshake.synRetransmits.length).toBeGreaterThanOrEqual(2);
    expect(c.finalState).toEqual({ client: 'SYN_SENT', server: 'SYN_RECEIVED' });
  });

  it('a request whose final ACK never reaches the wire gives up after tcp_synack_retries; the listener answers the client\'s later data with a bare RST', async () => {
    const c = await only('synack-retries-expired');
    const scenario = JSON.parse(readFileSync(fixture('synack-retries-expired', 'scenario.json'), 'utf8')) as
      { synackRetriesExpired: { synAcks: { frame: number }[]; data: { frame: number }; rst: { frame: number }; requestGoneFromSs: { secondsAfterSyn: [number, number] } } };
    const story = scenario.synackRetriesExpired;
    // The client's ACKs were dropped before the capture point: the SYN/ACK sent again twice (1 and 3 s).
    expect(c.handshake).toMatchObject({ kind: 'half-open', ackFrame: null, synRetransmits: [] });
    expect(c.handshake.synAckRetransmits).toHaveLength(story.synAcks.length - 1);
    // The request expires with nothing on the wire, ~7 s after the SYN (1 + 2 + 4 s), before ss stopped showing it.
    expect(stateNames(c, 'server')).toEqual(['LISTEN', 'SYN_RECEIVED', 'CLOSED']);
    const gaveUp = c.states.server.at(-1)!;
    expect(gaveUp).toMatchObject({ state: 'CLOSED', event: 'gave-up', frame: null });
    expect(gaveUp.s).toBeCloseTo(7, 0);
    expect(gaveUp.s).toBeLessThan(story.requestGoneFromSs.secondsAfterSyn[1]);
    // The listener has no socket for the client's data: the bare RST of a closed port.
    expect(c.resets).toMatchObject([{ kind: 'after-close', from: 'server', frame: story.rst.frame, senderState: 'CLOSED', receiverState: 'ESTABLISHED', ack: null, inWindow: true }]);
    expect(c.states.client.at(-1)).toMatchObject({ state: 'CLOSED', frame: story.rst.frame, event: 'recv-rst' });
    expect(c.close).toMatchObject({ kind: 'reset', initiator: 'server' });
    expect(c.finalState).toEqual({ client: 'CLOSED', server: 'CLOSED' });
  });

  it('a client that gave up connecting and connects again from the same port: both ends of the first attempt gave up on their timers, not at the new SYN', async () => {
    const r = await analyze(fixture('syn-retry-same-port'));
    const scenario = JSON.parse(readFileSync(fixture('syn-retry-same-port', 'scenario.json'), 'utf8')) as
      { synRetrySamePort: { ssGone: Record<'clientSynSent' | 'serverSynRecv', { secondsAfterFirstSyn: [number, number] }>; attempt2: { syn: { frame: number } } } };
    const story = scenario.synRetrySamePort;
    expect(r.connections).toHaveLength(2);
    const [first, second] = r.connections;
    expect(first!.handshake.kind).toBe('half-open');
    // Each side's give-up: no frame, before the second attempt's SYN, where ss stopped showing it.
    for (const [side, gone] of [['client', story.ssGone.clientSynSent], ['server', story.ssGone.serverSynRecv]] as const) {
      const end = first!.states[side].at(-1)!;
      expect(end).toMatchObject({ state: 'CLOSED', event: 'gave-up', frame: null });
      expect(end.s).toBeGreaterThan(gone.secondsAfterFirstSyn[0] - 0.05);
      expect(end.s).toBeLessThan(gone.secondsAfterFirstSyn[1] + 0.05);
    }
    expect(first!.states.client.some((e) => e.event === 'reused')).toBe(false);
    expect(second!.handshake).toMatchObject({ kind: 'complete', synFrame: story.attempt2.syn.frame });
  });

  it('a firewall that REJECTs answers the SYN with an ICMP error: the client gives up its opening as the kernel did', async () => {
    // iptables REJECT (port unreachable), REJECT --reject-with icmp-host-prohibited, ip6tables REJECT.
    const r = await analyze(fixture('icmp-reject'));
    expect(r.connections).toHaveLength(3);
    expect(r.input.skipped.nonTcp).toBe(6);
    expect([r.summary.icmpErrors, r.summary.icmpKinds]).toEqual([6, { 'port-unreachable': 4, 'host-prohibited': 2 }]);
    const messages = r.connections.map((c) => c.icmp.map((e) => e.message));
    expect(messages).toEqual([['port-unreachable', 'port-unreachable'], ['host-prohibited', 'host-prohibited'], ['port-unreachable', 'port-unreachable']]);
    for (const c of r.connections) {
      // On loopback the first error comes while connect() holds the socket: Linux ignores it and
      // sends the SYN again; the error about that one ends it (connect() fails, ss shows nothing).
      expect(c.icmp.map((e) => [e.to, e.effect, e.acceptable])).toEqual([['client', 'ignored', true], ['client', 'closed', true]]);
      expect(c.handshake.synRetransmits).toHaveLength(1);
      expect(c.states.client.map((e) => [e.state, e.event])).toEqual([['CLOSED', 'initial'], ['SYN_SENT', 'send-syn'], ['CLOSED', 'recv-icmp-error']]);
      expect(c.states.client[2]!.frame).toBe(c.icmp[1]!.frame);
    }
  });

  it('a router\'s reject routes answer SYNs with ICMP errors: one each, and connect() fails at once', async () => {
    // Not loopback: each error reaches a connect() that sleeps, so the first one ends it.
    const r = await analyze(fixture('router-unreachable'));
    const [host, prohibited, noRoute, established] = r.connections;
    for (const [c, message] of [[host, 'host-unreachable'], [prohibited, 'admin-prohibited'], [noRoute, 'no-route']] as const) {
      expect(c!.icmp.map((e) => [e.message, e.effect, e.acceptable])).toEqual([[message, 'closed', true]]);
      expect(c!.handshake.synRetransmits).toEqual([]);
      expect(stateNames(c!, 'client')).toEqual(['CLOSED', 'SYN_SENT', 'CLOSED']);
    }
    expect(noRoute!.icmp[0]!.sender).toBe('fd84:1::fe');
    // An established connection losing its route: soft errors, retransmissions, then the client
    // gives up unseen and its kernel answers the server's later data with a bare RST.
    expect(established!.icmp.length).toBeGreaterThan(0);
    for (const e of established!.icmp) expect(e).toMatchObject({ message: 'host-unreachable', sender: '10.84.1.254', effect: 'none' });
    expect(established!.resets).toMatchObject([{ kind: 'after-close', from: 'client' }]);
  });

  it('a router answering a TTL / hop limit of 1 with time exceeded ends the opening at once; to an established connection it is a soft error', async () => {
    // Not loopback (RPS on the router): each error reaches a connect() that sleeps.
    const r = await analyze(fixture('ttl-exceeded'));
    expect(r.connections).toHaveLength(3);
    const [v4, v6, established] = r.connections;
    for (const [c, message, sender] of [[v4, 'ttl-exceeded', '10.86.1.254'], [v6, 'hop-limit-exceeded', 'fd86:1::fe']] as const) {
      expect(c!.icmp.map((e) => [e.type, e.code, e.message, e.sender, e.effect, e.acceptable])).toEqual([[v4 === c ? 11 : 3, 0, message, sender, 'closed', true]]);
      expect(c!.handshake.synRetransmits).toEqual([]);
      expect(stateNames(c!, 'client')).toEqual(['CLOSED', 'SYN_SENT', 'CLOSED']);
      expect(c!.states.client[2]!.frame).toBe(c!.icmp[0]!.frame);
    }
    // IP_TTL=1 on an established socket: every copy of the data draws time exceeded, a soft error
    // (no state change); the copy sent after IP_TTL=64 gets through, then a normal close.
    expect(established!.icmp.length).toBeGreaterThan(0);
    for (const e of established!.icmp) expect(e).toMatchObject({ to: 'client', message: 'ttl-exceeded', sender: '10.86.1.254', acceptable: true, effect: 'none' });
    expect(established!.retransmits.clientToServer).toBe(established!.icmp.length);
    expect(established!.resets).toEqual([]);
    expect(established!.close).toMatchObject({ kind: 'four-way', initiator: 'client' });
    expect(stateNames(established!, 'client')).toEqual(['CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
    expect(established!.finalState).toEqual({ client: 'TIME_WAIT', server: 'CLOSED' });
  });

  it('a router answering the SYN/ACK with host unreachable ends each request at once; every SYN sent again makes a new one', async () => {
    const c = await only('router-reject-synack');
    const n = c.icmp.length;
    expect(n).toBeGreaterThanOrEqual(3);
    for (const e of c.icmp) expect(e).toMatchObject({ to: 'server', sender: '10.85.2.254', message: 'host-unreachable', acceptable: true, effect: 'closed' });
    // One request per SYN copy, each with its own ISN, each ended by its error.
    expect(c.handshake.synRetransmits).toHaveLength(n - 1);
    expect(stateNames(c, 'server')).toEqual(['LISTEN', ...Array.from({ length: n }, () => ['SYN_RECEIVED', 'CLOSED']).flat()]);
    expect(c.notes.filter((x) => x.kind === 'syn-ack-new-isn')).toHaveLength(n - 1);
    expect(c.finalState.client).toBe('SYN_SENT'); // the capture ends before the client gives up
  });

  it('a simultaneous open goes SYN_SENT -> SYN_RECEIVED -> ESTABLISHED on both sides', async () => {
    const c = await only('simultaneous-open');
    expect(c.handshake.kind).toBe('simultaneous-open');
    for (const side of ['client', 'server'] as const) {
      const names = stateNames(c, side);
      expect(names.slice(names.indexOf('SYN_SENT'), names.indexOf('SYN_SENT') + 3)).toEqual(['SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED']);
    }
  });

  it('a socket connected to itself takes its own SYN, FIN and data: both sides are its one path, one RST', async () => {
    const r = await analyze(fixture('self-connect'));
    const [closed, aborted] = r.connections;
    expect(r.connections).toHaveLength(2);
    for (const c of r.connections) {
      expect(c.client).toEqual(c.server);
      expect(c.notes.map((n) => [n.kind, n.frame])).toEqual([['self-connect', c.firstFrame]]);
      expect(c.handshake.kind).toBe('simultaneous-open');
      // What it sent is what it received: each segment is counted each way.
      expect(c.bytes).toEqual({ clientToServer: 6, serverToClient: 6 });
    }
    // ss: SYN-RECV, ESTAB, TIME-WAIT (one socket), reused by the second connect().
    for (const side of ['client', 'server'] as const) {
      expect(stateNames(closed!, side)).toEqual(['CLOSED', 'SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED', 'FIN_WAIT_1', 'CLOSING', 'TIME_WAIT', 'CLOSED']);
      expect(stateNames(aborted!, side)).toEqual(['CLOSED', 'SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED', 'CLOSED']);
    }
    expect(closed!.close.kind).toBe('simultaneous');
    expect(closed!.timeWait.map((t) => t.end)).toEqual(['reused', 'reused']);
    // The RST is sent once and closes the socket; the copy that comes back finds nothing.
    expect(aborted!.resets).toMatchObject([{ kind: 'abort', from: 'client', senderState: 'ESTABLISHED' }]);
    expect(r.summary.resets).toBe(1);
  });
});

describe('closing', () => {
  it('client closes first: four-way, client lingers in TIME_WAIT', async () => {
    const c = await only('client-close-first');
    expect(c.close).toMatchObject({ kind: 'four-way', initiator: 'client', halfClose: false });
    expect(stateNames(c, 'client').slice(-3)).toEqual(['FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
    expect(stateNames(c, 'server').slice(-3)).toEqual(['CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
    expect(c.timeWait).toMatchObject([{ side: 'client', end: 'open', endS: null }]);
    expect(c.timeWait[0]!.durationS).toBeCloseTo(c.lastS - c.timeWait[0]!.enteredS, 9);
  });

  it('server closes first: the server ends in TIME_WAIT', async () => {
    const c = await only('server-close-first');
    expect(c.close).toMatchObject({ kind: 'four-way', initiator: 'server' });
    expect(c.timeWait).toMatchObject([{ side: 'server', end: 'open' }]);
    expect(c.finalState).toEqual({ client: 'CLOSED', server: 'TIME_WAIT' });
  });

  it('FIN, FIN+ACK, ACK is a three-way close straight from FIN_WAIT_1 to TIME_WAIT', async () => {
    const c = await only('three-way-close');
    expect(c.close).toMatchObject({ kind: 'three-way', initiator: 'client' });
    expect(stateNames(c, 'client').slice(-2)).toEqual(['FIN_WAIT_1', 'TIME_WAIT']);
  });

  it('a half-close reports the bytes the passive side sent after the first FIN', async () => {
    const c = await only('half-close');
    expect(c.close.kind).toBe('four-way');
    expect(c.close.halfClose).toBe(true);
    expect(c.close.halfCloseBytes).toBeGreaterThan(0);
    expect(c.close.halfCloseBytes).toBeLessThanOrEqual(c.bytes.serverToClient);
  });

  it('a half-close whose first answer (carrying the ACK of the FIN) was lost: FIN_WAIT_2 comes with the next segment that carried it', async () => {
    const c = await only('fin-ack-on-lost-data');
    const scenario = JSON.parse(readFileSync(fixture('fin-ack-on-lost-data', 'scenario.json'), 'utf8')) as
      { finAckOnLostData: { frames: Record<'chunk1' | 'chunk2' | 'retransmission', number> } };
    const frames = scenario.finAckOnLostData.frames;
    expect(c.close).toMatchObject({ kind: 'four-way', initiator: 'client', halfClose: true });
    expect(c.retransmits.serverToClient).toBe(1);
    // Chunk 1 carried the ACK but was sent again (frame `retransmission`): chunk 2 is what the client took.
    expect(c.states.client.find((e) => e.state === 'FIN_WAIT_2')).toMatchObject({ frame: frames.chunk2, event: 'recv-ack-of-fin' });
    expect(frames.chunk1).toBeLessThan(frames.chunk2);
    expect(frames.chunk2).toBeLessThan(frames.retransmission);
  });

  it('a simultaneous close goes through CLOSING to TIME_WAIT on both sides', async () => {
    const c = await only('simultaneous-close');
    expect(c.close).toMatchObject({ kind: 'simultaneous', initiator: 'both' });
    for (const side of ['client', 'server'] as const) expect(stateNames(c, side).slice(-3)).toEqual(['FIN_WAIT_1', 'CLOSING', 'TIME_WAIT']);
    expect(c.timeWait.map((t) => t.side).sort()).toEqual(['client', 'server']);
  });

  it('a dropped FIN leaves the sender in FIN_WAIT_1 retransmitting and the receiver ESTABLISHED', async () => {
    const c = await only('fin-dropped');
    expect(c.close.kind).toBe('incomplete');
    expect(c.close.lingering).toEqual({ client: 'FIN_WAIT_1', server: 'ESTABLISHED' });
    expect(c.close.finRetransmits.length).toBeGreaterThanOrEqual(2);
    expect(c.close.finRetransmits.every((r) => r.side === 'client' && r.intervalS > 0)).toBe(true);
    // The tail-loss probe fires first at ~0.2 s, then the RTO (200 ms minimum) doubles each time.
    const gaps = c.close.finRetransmits.map((r) => r.intervalS);
    expect(gaps[0]!).toBeGreaterThan(0.15);
    expect(gaps[0]!).toBeLessThan(0.3);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThan(gaps[i - 1]! * 0.9);
    expect(gaps.at(-1)!).toBeGreaterThan(gaps[0]! * 3);
  });

  it('a lost last ACK keeps the server in LAST_ACK; TIME_WAIT answers its retransmitted FINs', async () => {
    const c = await only('last-ack');
    const server = c.states.server;
    expect(server.some((e) => e.state === 'LAST_ACK')).toBe(true);
    expect(c.close.finRetransmits.filter((r) => r.side === 'server').length).toBeGreaterThanOrEqual(2);
    const tw = c.timeWait.find((t) => t.side === 'client')!;
    expect(tw.finRetransmitsAnswered.length).toBe(c.close.finRetransmits.filter((r) => r.side === 'server').length);
    // Each retransmission proves the previous ACK lost: LAST_ACK lasts until the last one at least.
    const lastAckEntry = server.find((e) => e.state === 'LAST_ACK')!;
    const lastRetransmit = Math.max(...c.close.finRetransmits.map((r) => r.s));
    const closed = server.find((e) => e.state === 'CLOSED' && e.s > lastAckEntry.s);
    if (closed) expect(closed.s).toBeGreaterThan(lastRetransmit);
  });

  it('a dropped FIN from CLOSE_WAIT leaves the sender in LAST_ACK retransmitting and the peer in FIN_WAIT_2', async () => {
    const c = await only('last-ack-fin-dropped');
    const scenario = JSON.parse(readFileSync(fixture('last-ack-fin-dropped', 'scenario.json'), 'utf8')) as
      { lastAck: { finTransmissions: { frame: number; interval?: number }[] } };
    const fins = scenario.lastAck.finTransmissions;
    expect(c.close).toMatchObject({ kind: 'incomplete', initiator: 'server', lingering: { client: 'LAST_ACK', server: 'FIN_WAIT_2' } });
    // Every copy of the client's FIN after the first is a retransmission, at the interval the kernel used.
    expect(c.close.finRetransmits.map((r) => [r.side, r.frame])).toEqual(fins.slice(1).map((f) => ['client', f.frame]));
    c.close.finRetransmits.forEach((r, i) => expect(r.intervalS).toBeCloseTo(fins[i + 1]!.interval!, 5));
    // The server never acknowledged it: the client went LAST_ACK at its first FIN and stayed there.
    expect(c.states.client.at(-1)).toMatchObject({ state: 'LAST_ACK', frame: fins[0]!.frame, event: 'send-fin' });
    expect(stateNames(c, 'server').slice(-2)).toEqual(['FIN_WAIT_1', 'FIN_WAIT_2']);
  });
});

describe('capture copies', () => {
  it('tcpdump -i any on a bridge records each segment twice: each is tracked once, never as a retransmission', async () => {
    const r = await analyze(fixture('any-bridge'));
    const scenario = JSON.parse(readFileSync(fixture('any-bridge', 'scenario.json'), 'utf8')) as
      { copies: { frames: number[]; directions: string[] }[]; copiesSummary: { distinctTcpSegments: number; tcpdumpNnE: string[] } };
    const copies = scenario.copies.length;
    expect(r.input).toMatchObject({ packets: 2 * copies, tcpPackets: scenario.copiesSummary.distinctTcpSegments });
    expect(r.input.skipped.duplicates).toBe(copies);
    expect(r.input.warnings.map((w) => w.message).join('\n')).toMatch(new RegExp(`^${copies} TCP packets were another copy`, 'm'));
    expect(r.connections).toHaveLength(1);
    const c = r.connections[0]!;
    expect(c.packets.clientToServer + c.packets.serverToClient).toBe(copies);
    expect(c.retransmits).toEqual({ clientToServer: 0, serverToClient: 0 });
    expect(c.handshake).toMatchObject({ kind: 'complete', synRetransmits: [], synAckRetransmits: [] });
    expect(c.close).toMatchObject({ kind: 'four-way', finRetransmits: [] });
    // Each state changes at the first copy of the segment that made it (frames 1, 3, ...).
    const firstCopies = new Set(scenario.copies.map((x) => x.frames[0]));
    for (const side of ['client', 'server'] as const) {
      for (const t of c.states[side].slice(1)) if (t.frame !== null) expect(firstCopies.has(t.frame)).toBe(true);
    }
    // --keep-copies: every copy tracked as captured (tshark's view), on either threading (the
    // tracking thread runs the built code: the CLI's).
    const keptOn2 = JSON.parse(cli(['analyze', fixture('any-bridge'), '--keep-copies', '--threads', '2', '--json']).stdout) as Report;
    for (const kept of [await analyzeCaptures([fixture('any-bridge')], { timeWaitS: 60, keepCopies: true }), keptOn2]) {
      expect(kept.options.keepCopies).toBe(true);
      expect(kept.input).toMatchObject({ tcpPackets: 2 * copies, skipped: { duplicates: 0 } });
      const k = kept.connections[0]!;
      expect(k.packets.clientToServer + k.packets.serverToClient).toBe(2 * copies);
      expect(k.handshake.synRetransmits).toHaveLength(1);
    }
    expect(r.options.keepCopies).toBe(false);
    // tcpdump -nn -e as printed in the bridge's own namespace (with its port names) reads the same.
    const dir = mkdtempSync(join(tmpdir(), 'tt-any-bridge-'));
    try {
      const file = join(dir, 'nn-e.txt');
      writeFileSync(file, scenario.copiesSummary.tcpdumpNnE.join('\n') + '\n');
      const t = await analyze(file);
      expect(t.input.skipped.duplicates).toBe(copies);
      expect(t.connections[0]!.retransmits).toEqual({ clientToServer: 0, serverToClient: 0 });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe('capture copies on two interfaces of one pcapng', () => {
  it('dumpcap on both sides of a router: each segment tracked once, the report of one side\'s capture', async () => {
    const dir = 'router-two-ifaces';
    const scenario = JSON.parse(readFileSync(fixture(dir, 'scenario.json'), 'utf8')) as
      { twoInterfaces: { epbFlagsPresent: boolean; copies: { frames: number[] }[] } };
    const copies = scenario.twoInterfaces.copies;
    // dumpcap writes no direction: only the interface tells the copies apart.
    expect(scenario.twoInterfaces.epbFlagsPresent).toBe(false);
    const both = await analyze(fixture(dir, 'two-interfaces.pcapng'));
    const one = await analyze(fixture(dir)); // tcpdump -i ra, judged against ss by kernel-agreement
    expect(both.input).toMatchObject({ packets: 2 * copies.length, tcpPackets: copies.length, skipped: { duplicates: copies.length } });
    expect(both.connections).toHaveLength(1);
    expect(one.connections).toHaveLength(1);
    const [b, o] = [both.connections[0]!, one.connections[0]!];
    expect(b.retransmits).toEqual({ clientToServer: 0, serverToClient: 0 });
    for (const k of ['client', 'server', 'packets', 'bytes', 'retransmits', 'finalState'] as const) expect(b[k]).toEqual(o[k]);
    expect([b.handshake.kind, b.close.kind, b.close.initiator]).toEqual([o.handshake.kind, o.close.kind, o.close.initiator]);
    expect(b.timeWait.map((t) => [t.side, t.end])).toEqual(o.timeWait.map((t) => [t.side, t.end]));
    for (const side of ['client', 'server'] as const) {
      expect(b.states[side].map((t) => [t.state, t.event])).toEqual(o.states[side].map((t) => [t.state, t.event]));
      // Dated by the copy met first in the file (dumpcap writes each interface's packets in runs,
      // so that is sometimes the later one), microseconds from the one tcpdump saw on ra.
      const firstInFile = new Set(copies.map((c) => Math.min(...c.frames)));
      for (const t of b.states[side].slice(1)) expect(t.frame === null || firstInFile.has(t.frame)).toBe(true);
      b.states[side].forEach((t, i) => expect(Math.abs(t.s - o.states[side][i]!.s)).toBeLessThan(1e-4));
    }
  });
});

describe('capture copies through NAT', () => {
  it('tcpdump -i any on a NATing host: the veth and bridge copies are one packet, the NATed form a second connection', async () => {
    const r = await analyze(fixture('any-nat'));
    const scenario = JSON.parse(readFileSync(fixture('any-nat', 'scenario.json'), 'utf8')) as {
      copies: { frames: number[] }[];
      nat: { clientInContainer: string; clientAfterNat: string; server: string; natedFrames: number[]; preNatFrames: number[] };
    };
    const segments = scenario.copies.length;
    // Three frames per segment: two copies before NAT (one is dropped), one NATed.
    expect(r.input.packets).toBe(3 * segments);
    expect(r.input.skipped.duplicates).toBe(scenario.nat.preNatFrames.length - segments);
    const ends = r.connections.map((c) => [`${c.client.ip}:${c.client.port}`, `${c.server.ip}:${c.server.port}`]);
    expect(ends).toEqual([[scenario.nat.clientInContainer, scenario.nat.server], [scenario.nat.clientAfterNat, scenario.nat.server]]);
    for (const c of r.connections) {
      expect(c.packets.clientToServer + c.packets.serverToClient).toBe(segments);
      expect(c.retransmits).toEqual({ clientToServer: 0, serverToClient: 0 });
      expect(c.handshake).toMatchObject({ kind: 'complete', synRetransmits: [], synAckRetransmits: [] });
      expect(c.close).toMatchObject({ kind: 'four-way', initiator: 'client', finRetransmits: [] });
    }
  });
});

describe('resets', () => {
  it('SO_LINGER 0 aborts with a RST from an established endpoint', async () => {
    const c = await only('abort-linger0');
    expect(c.close).toMatchObject({ kind: 'reset', initiator: 'client' });
    expect(c.resets).toMatchObject([{ kind: 'abort', from: 'client', senderState: 'ESTABLISHED', inWindow: true }]);
    expect(c.finalState).toEqual({ client: 'CLOSED', server: 'CLOSED' });
  });

  it('data written to a peer that closed is answered by a bare RST (after-close)', async () => {
    const c = await only('rst-after-close');
    expect(c.close).toMatchObject({ kind: 'fin-then-reset', initiator: 'server' });
    expect(c.resets).toMatchObject([{ kind: 'after-close', from: 'server', ack: null, inWindow: true }]);
    expect(c.close.halfCloseBytes).toBeGreaterThan(0);
  });

  it('RSTs a firewall drops: the client closes and sends its FIN again for 13 s, one connection in FIN_WAIT_1 from its first FIN', async () => {
    const c = await only('rst-dropped');
    const scenario = JSON.parse(readFileSync(fixture('rst-dropped', 'scenario.json'), 'utf8')) as
      { rstDropped: { finFrames: number[]; rstFrames: number[]; abortFrame: number; gapsS: number[] } };
    const story = scenario.rstDropped;
    // The last wait (6.8 s) is longer than a connection aborted by a RST waits for late segments.
    expect(story.gapsS.at(-1)!).toBeGreaterThan(5);
    expect(c.midstream).toBe(false);
    expect(c.lastFrame).toBe(story.rstFrames.at(-1));
    expect(c.close).toMatchObject({ kind: 'fin-then-reset', initiator: 'client' });
    expect(c.close.finRetransmits.map((r) => r.frame)).toEqual(story.finFrames.slice(1));
    expect(c.states.client.slice(-2)).toMatchObject([
      { state: 'FIN_WAIT_1', frame: story.finFrames[0], event: 'send-fin' },
      { state: 'CLOSED', frame: story.rstFrames.at(-1), event: 'recv-rst' },
    ]);
    expect(c.resets.find((r) => r.frame === story.abortFrame)).toMatchObject({ kind: 'abort', from: 'server', receiverContinued: true });
    // Each RST answering a copy of the FIN came to the client in FIN_WAIT_1, at its RCV.NXT (ss:
    // FIN-WAIT-1 throughout), and was dropped; the last got through and closed it.
    expect(c.resets.map((r) => [r.frame, r.receiverState, r.inWindow, r.receiverContinued])).toEqual([
      [story.abortFrame, 'ESTABLISHED', true, true],
      ...story.rstFrames.slice(0, -1).map((f) => [f, 'FIN_WAIT_1', true, true]),
      [story.rstFrames.at(-1), 'FIN_WAIT_1', true, false],
    ]);
  });

  it('a keep-alive give-up RST lost on its way: the server\'s FIN 6 s later, in the old sequence space, is the same connection', async () => {
    const c = await only('keepalive-rst-lost');
    const scenario = JSON.parse(readFileSync(fixture('keepalive-rst-lost', 'scenario.json'), 'utf8')) as
      { keepaliveRstLost: Record<'rstFrame' | 'finFrame' | 'answerFrame' | 'finAfterRstS', number> };
    const story = scenario.keepaliveRstLost;
    expect(story.finAfterRstS).toBeGreaterThan(5);
    expect(c.midstream).toBe(false);
    expect(c.lastFrame).toBe(story.answerFrame);
    expect(c.resets.map((r) => [r.frame, r.from, r.receiverContinued])).toEqual([[story.rstFrame, 'client', true], [story.answerFrame, 'client', false]]);
    expect(c.states.client.at(-1)).toMatchObject({ state: 'CLOSED', frame: story.rstFrame, event: 'send-rst' });
    expect(c.states.server.slice(-3)).toMatchObject([
      { state: 'ESTABLISHED', event: 'recv-ack-of-syn' },
      { state: 'FIN_WAIT_1', frame: story.finFrame, event: 'send-fin' },
      { state: 'CLOSED', frame: story.answerFrame, event: 'recv-rst' },
    ]);
  });
});

describe('TIME_WAIT', () => {
  it('a four-tuple reused while in TIME_WAIT starts a new connection and ends TIME_WAIT as reused', async () => {
    const r = await analyze(fixture('time-wait-reuse'));
    expect(r.connections).toHaveLength(2);
    const [first, second] = r.connections as [ConnectionReport, ConnectionReport];
    expect([first.client, first.server]).toEqual([second.client, second.server]);
    expect(first.timeWait).toMatchObject([{ side: 'client', end: 'reused' }]);
    expect(first.timeWait[0]!.endS).toBeCloseTo(second.handshake.synS!, 9);
    expect(first.timeWait[0]!.durationS).toBeCloseTo(second.handshake.synS! - first.timeWait[0]!.enteredS, 9);
    expect(second.handshake.kind).toBe('complete');
  });

  it('TIME_WAIT expires after the configured length when the capture runs past it', async () => {
    const r = await analyze(fixture('time-wait-expiry'));
    const tw = r.connections[0]!.timeWait[0]!;
    expect(tw).toMatchObject({ side: 'client', end: 'expired', durationS: 60 });
    expect(r.connections[0]!.finalState.client).toBe('CLOSED');
    // With RFC 793's 2 x MSL the same capture ends first: the entry is open, a lower bound.
    const r240 = await analyze(fixture('time-wait-expiry'), 240);
    expect(r240.connections[0]!.timeWait[0]).toMatchObject({ end: 'open', endS: null });
    expect(r240.connections[0]!.finalState.client).toBe('TIME_WAIT');
  });
});

describe('link layers and address families report the same connection', () => {
  for (const name of ['ipv6', 'any-sll1', 'any-sll2', 'vlan', 'vlan-qinq', 'nanosecond', 'nflog', 'vxlan']) {
    it(name, async () => {
      const c = await only(name);
      expect(c.handshake.kind).toBe('complete');
      expect(c.close.kind).toBe('four-way');
      expect(c.timeWait.map((t) => t.side)).toEqual(['client']);
    });
  }
  it('IPv6 addresses are written in RFC 5952 form', async () => {
    const c = await only('ipv6');
    expect(c.client.ip).toBe('::1');
    expect(c.ipVersion).toBe(6);
  });
  it('NFLOG (link type 239): every logged packet is read from its payload TLV', async () => {
    const r = await analyze(fixture('nflog'));
    expect(r.input.linkTypes).toEqual(['nflog']);
    expect(r.input.tcpPackets).toBe(r.input.packets);
    const c = r.connections[0]!;
    expect([c.client.port, c.server.port, c.packets.clientToServer, c.packets.serverToClient]).toEqual([41158, 5142, 6, 5]);
    expect(c.bytes).toEqual({ clientToServer: 16, serverToClient: 12 });
  });
  it('VXLAN: the connection is the inner one, the underlay is not a connection', async () => {
    const r = await analyze(fixture('vxlan'));
    expect(r.input.tcpPackets).toBe(r.input.packets);
    const c = r.connections[0]!;
    expect([c.client.ip, c.client.port, c.server.ip, c.server.port]).toEqual(['192.168.66.1', 41159, '192.168.66.2', 5143]);
    expect(c.bytes).toEqual({ clientToServer: 16, serverToClient: 12 });
  });
  it('nanosecond captures keep 9 digits', async () => {
    const r = await analyze(fixture('nanosecond'));
    expect(r.input.timePrecision).toBe(9);
    expect(r.input.format).toBe('pcap-ns');
  });
});

describe('illegal flags (crafted with scapy beside a kernel connection)', () => {
  it('every crafted combination is an anomaly with its frame; legal SYN data and RST data are notes', async () => {
    const r = await analyze(fixture('illegal-flags'));
    const kinds = new Set(r.anomalies.map((a) => a.kind));
    for (const k of ['syn-fin', 'syn-rst', 'fin-rst', 'fin-no-ack', 'null', 'xmas', 'no-ack', 'reserved-bits']) expect(kinds).toContain(k);
    const notes = r.connections.flatMap((c) => c.notes.map((n) => n.kind));
    expect(notes).toContain('syn-data');
    expect(notes).toContain('rst-data');
    // The kernel connection beside them is untouched, and its own packets raise nothing.
    const kernel = r.connections[0]!;
    expect(kernel.handshake.kind).toBe('complete');
    expect(kernel.close.kind).toBe('four-way');
    expect(kernel.anomalies).toEqual([]);
    expect(kernel.notes.map((n) => n.kind)).toEqual(['syn-on-open-connection']);
    // A SYN, SYN/ACK, RST from the prober is a half-open scan.
    expect(r.connections.some((c) => c.handshake.kind === 'reset-by-client' && c.resets[0]?.kind === 'scan')).toBe(true);
    for (const a of r.anomalies) expect(r.connections.find((c) => c.id === a.connection)!.anomalies).toContainEqual(a);
  });
});

describe('what the kernel sends that is not a state change', () => {
  it.each(['keepalive', 'zero-window'])('%s: probes one byte below the next sequence number are not retransmissions, anomalies or states', async (name) => {
    const c = await only(name);
    expect(c.handshake.kind).toBe('complete');
    expect(c.retransmits).toEqual({ clientToServer: 0, serverToClient: 0 });
    expect(c.anomalies).toEqual([]);
    expect(c.notes).toEqual([]);
    expect(stateNames(c, 'client')).toEqual(['CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
    expect(c.close).toMatchObject({ kind: 'four-way', initiator: 'client' });
  });

  it('ECN (RFC 3168): ECE and CWR on the SYN, the SYN/ACK and later segments are neither anomalies nor losses', async () => {
    // The kernels' own flags: the negotiation ([SEW], [S.E]), the server echoing CE marks the
    // router made (ECE on ACKs), the client's answer (CWR).
    const ladder = cli(['ladder', fixture('ecn'), '--ascii', '--full']).stdout;
    for (const flags of ['[SEW]', '[S.E]', '[.E]', '[.W]']) expect(ladder).toContain(flags);
    const c = await only('ecn');
    expect(c.handshake.kind).toBe('complete');
    expect(c.anomalies).toEqual([]);
    expect(c.notes).toEqual([]);
    expect(c.retransmits).toEqual({ clientToServer: 0, serverToClient: 0 });
    expect(c.close).toMatchObject({ kind: 'four-way', initiator: 'client' });
    expect(c.finalState).toEqual({ client: 'TIME_WAIT', server: 'CLOSED' });
  });

  it('TCP Fast Open: data in the SYN is a note, and the handshake is complete', async () => {
    const r = await analyze(fixture('fast-open'));
    expect(r.connections.map((c) => c.handshake.kind)).toEqual(['complete', 'complete']);
    expect(r.connections[0]!.handshake.options.client?.fastOpen).toBe(true);
    expect(r.connections[1]!.notes).toMatchObject([{ kind: 'syn-data', from: 'client', bytes: 17 }]);
    expect(r.anomalies).toEqual([]);
  });
});

describe('resets a kernel sends of its own', () => {
  it('close() with unread data sends RST+ACK instead of FIN (RFC 2525): an abort by the server', async () => {
    const c = await only('close-unread-rst');
    expect(c.resets).toMatchObject([{ kind: 'abort', from: 'server', senderState: 'ESTABLISHED', inWindow: true }]);
    expect(c.resets[0]!.ack).not.toBeNull();
    expect(c.close).toMatchObject({ kind: 'reset', initiator: 'server' });
  });

  it('a socket a timer closed unseen answers the next segment with a bare RST: after-close', async () => {
    // tcp_retries2 gave up on the client's data; the server's later data gets the no-socket reply.
    const lost = await only('retries-abort');
    expect(lost.retransmits.clientToServer).toBeGreaterThanOrEqual(3);
    expect(lost.resets).toMatchObject([{ kind: 'after-close', from: 'client', ack: null }]);
    // Its data sent again, backing off, then nothing: gone one doubled interval after the last
    // copy, where ss lost it, before the server's data reached it.
    await expectGaveUpUnseen('retries-abort');
    expect(lost.resets[0]!.senderState).toBe('CLOSED');
    // The orphaned FIN_WAIT_2 timed out (tcp_fin_timeout); the server's FIN gets the same reply.
    const orphan = await only('fin-wait-2-timeout');
    expect(orphan.resets).toMatchObject([{ kind: 'after-close', from: 'client', senderState: 'FIN_WAIT_2', receiverState: 'LAST_ACK', ack: null }]);
    expect(orphan.close.kind).toBe('fin-then-reset');
    for (const c of [lost, orphan]) expect(c.finalState).toEqual({ client: 'CLOSED', server: 'CLOSED' });
  });

  it('a socket whose retransmission timer reached its cap (tcp_rto_max_ms) gives up one capped interval after its last copy', async () => {
    const c = await only('retries-capped');
    expect(c.resets).toMatchObject([{ kind: 'after-close', from: 'client', senderState: 'CLOSED', ack: null }]);
    // A doubled interval would be past the RST that ends the unseen window.
    await expectGaveUpUnseen('retries-capped');
  });

  it('an orphan whose zero-window probes go unanswered gives up unseen: gone one doubled interval after its last probe', async () => {
    // tcp_orphan_retries=2; iptables drops the probes after the capture point. The server's
    // window update later gets the no-socket reply.
    const c = await only('zero-window-give-up');
    expect(c.retransmits.clientToServer).toBe(0);
    expect(c.resets).toMatchObject([{ kind: 'after-close', from: 'client', senderState: 'CLOSED', receiverState: 'ESTABLISHED', ack: null }]);
    await expectGaveUpUnseen('zero-window-give-up');
  });

  it('IPv6: the server closes first and waits in TIME_WAIT; a SYN to a closed port is refused', async () => {
    const r = await analyze(fixture('ipv6-time-wait-refused'));
    const [closed, refused] = r.connections;
    expect(closed).toMatchObject({ ipVersion: 6, close: { kind: 'four-way', initiator: 'server' }, finalState: { client: 'CLOSED', server: 'TIME_WAIT' } });
    expect(closed!.timeWait).toMatchObject([{ side: 'server', end: 'open' }]);
    expect(refused).toMatchObject({ ipVersion: 6, handshake: { kind: 'refused' }, resets: [{ kind: 'refused', from: 'server' }] });
  });
});

describe('more that kernels do to connections', () => {
  it('TCP-MD5: unsigned RSTs from a firewall in the server\'s name are discarded by the client, except in TIME_WAIT', async () => {
    const [c, held] = (await analyze(fixture('md5-reject'))).connections;
    // Each copy of each client's data answered by netfilter's unsigned RST: neither side moves.
    const unsigned = c!.resets.filter((r) => r.kind === 'out-of-window');
    expect(unsigned).toHaveLength(4);
    for (const r of [...unsigned, ...held!.resets]) {
      expect(r).toMatchObject({ kind: 'out-of-window', from: 'server', inWindow: false, senderState: 'ESTABLISHED', receiverState: 'ESTABLISHED' });
    }
    // Every RST in the servers' names was netfilter's: each has an `unsigned` note.
    for (const x of [c!, held!]) expect(x.notes.map((n) => [n.kind, n.frame])).toEqual(x.resets.filter((r) => r.from === 'server').map((r) => ['unsigned', r.frame]));
    // The first connection's fifth copy got through: an ordinary close from the client, whose
    // TIME_WAIT the second rule's unsigned RST ends; the server's FIN sent again draws the signed
    // reply of a host without the socket.
    expect(stateNames(c!, 'client')).toEqual(['CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED']);
    expect(stateNames(c!, 'server')).toEqual(['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
    expect(c!.timeWait).toMatchObject([{ side: 'client', end: 'reset' }]);
    expect(c!.resets.slice(4)).toMatchObject([
      { from: 'server', inWindow: true, receiverState: 'TIME_WAIT', senderContinued: false },
      { kind: 'after-close', from: 'client', senderState: 'CLOSED', receiverState: 'LAST_ACK' },
    ]);
    // The second's rule stayed: both ends still ESTABLISHED at the capture's end, as ss had them.
    expect(held!.resets).toHaveLength(5);
    expect(held!.finalState).toEqual({ client: 'ESTABLISHED', server: 'ESTABLISHED' });
  });

  it('Multipath TCP: each subflow is a TCP connection of its own; a DATA_FIN closes none, MP_FASTCLOSE comes in an abort', async () => {
    const report = await analyze(fixture('mptcp'));
    const scenario = readScenario(fixture('mptcp', 'scenario.json'));
    const at = (what: RegExp) => scenario.timeline.find((e) => what.test(e.what))!.t - epochOf(report.input.startTime!);
    const [first, firstJoin, second, secondJoin] = report.connections;
    expect(report.connections.map((c) => [c.client.ip, c.handshake.options.client?.mptcp, c.handshake.options.server?.mptcp])).toEqual([
      ['10.81.1.1', 'capable', 'capable'], ['10.81.2.1', 'join', 'join'], ['10.81.1.1', 'capable', 'capable'], ['10.81.2.1', 'join', 'join']]);
    // Each join names the token of the connection it joins: the hash of the key the first
    // subflow's SYN/ACK showed.
    expect(report.connections.map((c) => c.handshake.mptcpSubflowOf)).toEqual([null, first!.id, null, second!.id]);
    // The client's close() sent a DATA_FIN (an option on an ACK) at once; the subflows' FINs
    // came only after the server's close(), 0.3 s later: until then both stayed ESTABLISHED.
    for (const c of [first!, firstJoin!]) {
      expect(c.close.firstFinS!).toBeGreaterThan(at(/^server close\(\)$/));
      expect(stateNames(c, 'client')).toEqual(['CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', ...(c === first ? [] : ['FIN_WAIT_2']), 'TIME_WAIT']);
      expect(c.resets).toEqual([]);
    }
    // The second path's endpoint deleted: its subflow closed with FINs. The abort (SO_LINGER 0)
    // then resets the remaining one with MP_FASTCLOSE and MP_TCPRST.
    expect([secondJoin!.close.kind, secondJoin!.finalState.client, secondJoin!.resets.length]).toEqual(['four-way', 'TIME_WAIT', 0]);
    expect(second!.resets).toMatchObject([{ kind: 'abort', from: 'client', mptcp: { fastClose: true, reason: 'unspecified' } }]);
    expect(second!.finalState).toEqual({ client: 'CLOSED', server: 'CLOSED' });
    // The table says so (its cells wrapped: borders and line breaks read as one space).
    const table = cli(['analyze', fixture('mptcp')]).stdout.replace(/[│\s]+/g, ' ');
    expect(table).toMatch(/abort from client at [\d.]+ \(frame \d+\): client ESTABLISHED, peer ESTABLISHED; MPTCP fast close: the whole MPTCP connection aborted, reason unspecified/);
    expect(table).toMatch(/client offered mss 1460, wscale 10, sack, timestamps, MPTCP join /);
    expect(table).toMatch(/client offered mss 1460, wscale 10, sack, timestamps, MPTCP /);
    expect(table).toMatch(new RegExp(`an MPTCP subflow of #${second!.id}'s connection`));
  });

  it('path MTU discovery: a router\'s fragmentation-needed errors are reported with its MTU and change no state', async () => {
    const c = await only('pmtu-frag-needed');
    expect(c.icmp.length).toBeGreaterThan(0);
    for (const e of c.icmp) expect(e).toMatchObject({ to: 'client', sender: '10.83.1.254', message: 'fragmentation-needed', mtu: 1280, acceptable: true, effect: 'none' });
    // The client sends again in smaller segments: retransmissions, and an ordinary close.
    expect(c.retransmits.clientToServer).toBeGreaterThan(0);
    expect([c.handshake.kind, c.close.kind, c.finalState.client]).toEqual(['complete', 'four-way', 'TIME_WAIT']);
    expect(stateNames(c, 'client')).toEqual(['CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
  });

  it('segments a router fragmented are counted whole, the one carrying the FIN too (IPv4 fragments put together)', async () => {
    const r = await analyze(fixture('ipv4-fragments'));
    const scenario = JSON.parse(readFileSync(join(FIXTURES, 'ipv4-fragments', 'scenario.json'), 'utf8'));
    // Each datagram the router fragmented (FragOKs) came as two fragments: one is the segment,
    // the other a skipped fragment.
    const created = scenario.ipCounters.router['Ip.FragCreates'];
    expect(r.input.skipped.fragments).toBe(created - scenario.ipCounters.router['Ip.FragOKs']);
    // As many segments put together as the server's kernel reassembled datagrams.
    const reassembled = scenario.ipCounters.server['Ip.ReasmOKs'];
    expect(r.input.warnings.map((w) => w.message)).toEqual([expect.stringMatching(new RegExp(`^${reassembled} TCP segments came as IP fragments \\(${created} in all\\)`))]);
    expect(r.connections).toHaveLength(1);
    const c = r.connections[0]!;
    expect(c.bytes).toEqual({ clientToServer: 6000 + 1400, serverToClient: 12 });
    expect(c.anomalies).toEqual([]);
    expect([c.handshake.kind, c.close.kind, c.close.initiator]).toEqual(['complete', 'four-way', 'client']);
    expect(c.finalState).toEqual({ client: 'TIME_WAIT', server: 'CLOSED' });
    expect(stateNames(c, 'client')).toEqual(['CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
    // The ladder marks the segments put together, the one with the FIN among them.
    const ladder = cli(['ladder', '--full', '--ascii', fixture('ipv4-fragments')]).stdout;
    expect(ladder.match(/\(2 IP fragments\)/g)).toHaveLength(reassembled);
    expect(ladder).toMatch(/\[FP\.\] seq \d+ ack \d+ len 1400 .*\(2 IP fragments\)/);

    // The same packets through "tcp port N" keep the first fragments only: each segment is
    // taken as long as its first fragment, and a warning says so.
    const filtered = await analyze(join(FIXTURES, 'ipv4-fragments', scenario.portFiltered.file));
    expect(filtered.input.packets).toBe(scenario.portFiltered.packets);
    expect(filtered.input.warnings.map((w) => w.message)).toEqual([expect.stringMatching(new RegExp(`^${reassembled} TCP segments are first IP fragments whose other fragments are not in the capture`))]);
    const f = filtered.connections[0]!;
    expect(f.bytes.clientToServer).toBeLessThan(c.bytes.clientToServer);
    expect(f.finalState).toEqual(c.finalState);
  });

  it('a listener closed with connections not yet accepted resets each of them (an abort by the server)', async () => {
    const r = await analyze(fixture('listener-close-pending'));
    expect(r.connections).toHaveLength(2);
    for (const c of r.connections) {
      expect(c.resets).toMatchObject([{ kind: 'abort', from: 'server', senderState: 'ESTABLISHED', receiverState: 'ESTABLISHED', inWindow: true }]);
      expect(c.finalState).toEqual({ client: 'CLOSED', server: 'CLOSED' });
    }
  });

  it('TCP_USER_TIMEOUT closes the client unseen; its kernel answers the server\'s later data with a bare RST (after-close)', async () => {
    const c = await only('user-timeout');
    expect(c.retransmits.clientToServer).toBeGreaterThanOrEqual(3);
    expect(c.resets).toMatchObject([{ kind: 'after-close', from: 'client', inWindow: true }]);
    expect(c.finalState).toEqual({ client: 'CLOSED', server: 'CLOSED' });
  });

  it('a full accept queue with tcp_abort_on_overflow: the request refuses the final ACK (abort), then answers the data (after-close)', async () => {
    const r = await analyze(fixture('accept-queue-abort'));
    const refused = r.connections.find((c) => c.resets.length > 0)!;
    expect(refused.resets).toMatchObject([
      { kind: 'abort', from: 'server', ack: null },
      { kind: 'after-close', from: 'server', senderState: 'CLOSED', ack: null },
    ]);
    expect(refused.close).toMatchObject({ kind: 'reset', initiator: 'server' });
    expect(r.connections.filter((c) => c !== refused).map((c) => c.close.kind)).toEqual(['four-way', 'four-way']);
  });

  it('a full accept queue with tcp_abort_on_overflow=0: the request drops the final ACK and the data until the server accept()s; the copy taken then opens the connection', async () => {
    const r = await analyze(fixture('accept-queue-full'));
    interface Frame { frame: number }
    const scenario = JSON.parse(readFileSync(fixture('accept-queue-full', 'scenario.json'), 'utf8')) as
      { acceptQueueFull: { client: string; syn: Frame; synAcks: Frame[]; finalAck: Frame; duplicateAcks: Frame[]; dataDropped: Frame[]; dataTaken: Frame; serverAck: Frame } };
    const story = scenario.acceptQueueFull;
    expect(r.connections).toHaveLength(4);
    const late = r.connections.find((c) => `${c.client.ip}:${c.client.port}` === story.client)!;
    // The server side stays SYN_RECEIVED through the final ACK, the duplicate ACK and every copy of
    // the data it dropped; ESTABLISHED at the copy it acknowledged (after the accept()).
    expect(late.states.server.slice(0, 4).map((e) => [e.state, e.frame, e.event])).toEqual([
      ['LISTEN', story.syn.frame, 'initial'], ['SYN_RECEIVED', story.syn.frame, 'recv-syn'],
      ['ESTABLISHED', story.dataTaken.frame, 'recv-ack-of-syn'], ['CLOSE_WAIT', expect.any(Number), 'recv-fin'],
    ]);
    expect(late.handshake).toMatchObject({ kind: 'complete', synFrame: story.syn.frame, synAckFrame: story.synAcks[0]!.frame });
    expect(late.handshake.synAckRetransmits).toHaveLength(story.synAcks.length - 1);
    expect(late.states.client.slice(1, 3).map((e) => [e.state, e.frame])).toEqual([['SYN_SENT', story.syn.frame], ['ESTABLISHED', story.synAcks[0]!.frame]]);
    expect(late.retransmits.clientToServer).toBe(story.dataDropped.length); // every copy after the first
    expect(late.resets).toEqual([]);
    expect(late.close).toMatchObject({ kind: 'four-way', initiator: 'client' });
    // The clients that filled the queue: ordinary connections.
    for (const c of r.connections.filter((x) => x !== late)) {
      expect(c.handshake.kind).toBe('complete');
      expect(c.handshake.synAckRetransmits).toEqual([]);
      expect(c.states.server[2]).toMatchObject({ state: 'ESTABLISHED', frame: c.handshake.ackFrame });
      expect(c.close).toMatchObject({ kind: 'four-way', initiator: 'client' });
    }
    expect(r.anomalies).toEqual([]);
  });

  it('a RST taken in TIME_WAIT ends it (RFC 1337 assassination, Linux tcp_rfc1337=0)', async () => {
    const c = await only('time-wait-rst');
    const rst = c.resets[0]!;
    expect(c.resets).toHaveLength(1);
    expect(rst).toMatchObject({ from: 'server', inWindow: true, senderState: 'CLOSED', receiverState: 'TIME_WAIT' });
    expect(c.timeWait).toMatchObject([{ side: 'client', end: 'reset', endS: rst.s }]);
    expect(c.states.client.at(-1)).toMatchObject({ state: 'CLOSED', frame: rst.frame });
    expect(c.close.kind).toBe('four-way'); // the close had completed before the RST
  });

  it('packets the network duplicated are copies, not retransmissions: the counts are the kernels\' own', async () => {
    const r = await analyze(fixture('network-duplicates'));
    const scenario = JSON.parse(readFileSync(fixture('network-duplicates', 'scenario.json'), 'utf8')) as
      { duplicatedFrames: { frame: number }[]; counters: Record<string, Record<string, number>> };
    expect(r.input.skipped.duplicates).toBe(scenario.duplicatedFrames.length);
    const [c] = r.connections;
    const sent = (ns: string) => scenario.counters[ns]!['Tcp.RetransSegs'] ?? 0;
    expect(c!.retransmits).toEqual({ clientToServer: sent('tt-netdup-a'), serverToClient: sent('tt-netdup-b') });
    expect(c!.handshake).toMatchObject({ kind: 'complete', synAckRetransmits: [] });
    expect(c!.close).toMatchObject({ kind: 'four-way', initiator: 'client', finRetransmits: [] });
    expect(r.input.warnings.map((w) => w.message)).toEqual([expect.stringContaining('duplicated on its way')]);
  });

  it('a FIN the capture missed is shown by its ACK and by its sender\'s next segment: each close is the four-way one the kernels lived', async () => {
    const r = await analyze(fixture('fin-not-captured'));
    expect(r.connections.map((c) => c.client.port)).toEqual([41235, 41236]);
    for (const [c, from] of [[r.connections[0]!, 'client'], [r.connections[1]!, 'server']] as const) {
      expect(c.notes).toMatchObject([{ kind: 'fin-not-captured', from }]);
      expect(c.close).toMatchObject({ kind: 'four-way', initiator: 'client', finRetransmits: [] });
      expect(c.finalState).toEqual({ client: 'TIME_WAIT', server: 'CLOSED' });
      expect(c.retransmits).toEqual({ clientToServer: 0, serverToClient: 0 });
    }
    // The first connection's client FIN is dated at the server's ACK of it, the one packet that shows it.
    const [first] = r.connections;
    const ackOfFin = first!.states.server.find((e) => e.state === 'CLOSE_WAIT')!;
    expect(first!.states.client.filter((e) => e.frame === ackOfFin.frame).map((e) => e.state)).toEqual(['FIN_WAIT_1', 'FIN_WAIT_2']);
  });

  it('segments a path reordered, two holes open at once, are first copies, not retransmissions: the counts are the kernels\' own', async () => {
    const r = await analyze(fixture('reordering-path'));
    const scenario = JSON.parse(readFileSync(fixture('reordering-path', 'scenario.json'), 'utf8')) as
      { overtakenFrames: { frame: number; overtakenBy: number }[]; counters: Record<string, Record<string, number>> };
    // The capture holds the reordering: two held segments captured after the same later one.
    expect(scenario.overtakenFrames.filter((f) => f.overtakenBy === scenario.overtakenFrames[0]!.overtakenBy)).toHaveLength(2);
    // The client's kernel saw it as reordering (TCPSACKReorder, TCPTSReorder ...); a run may also
    // have sent a held segment again before the reordering showed (TCPFastRetrans): counted below.
    expect(Object.keys(scenario.counters['tt-reorder-a']!).filter((k) => k.endsWith('Reorder'))).not.toEqual([]);
    const [c] = r.connections;
    const sent = (ns: string) => scenario.counters[ns]!['Tcp.RetransSegs'] ?? 0;
    expect(c!.retransmits).toEqual({ clientToServer: sent('tt-reorder-a'), serverToClient: sent('tt-reorder-b') });
    expect(c!.close).toMatchObject({ kind: 'four-way', initiator: 'client' });
    expect(r.input.skipped.duplicates).toBe(0);
  });

  it('a port reused while the server waits in LAST_ACK for the client\'s lost last ACK: the old connection keeps the LAST_ACK\'s ACK and the RST that ends it', async () => {
    const r = await analyze(fixture('last-ack-port-reuse'));
    expect(r.connections.map((c) => c.client.port)).toEqual([41231, 41231, 41232, 41232]);
    const reuse = (JSON.parse(readFileSync(fixture('last-ack-port-reuse', 'scenario.json'), 'utf8')) as
      { reuseFrames: Record<string, { frame: number; flags: string }[]> }).reuseFrames;
    for (const [old, fresh] of [[r.connections[0]!, r.connections[1]!], [r.connections[2]!, r.connections[3]!]]) {
      const [syn, lastAckAnswer, rst, synAgain] = reuse[String(old.client.port)]!;
      expect([syn!.flags, lastAckAnswer!.flags, rst!.flags, synAgain!.flags]).toEqual(['S', 'A', 'R', 'S']);
      // The LAST_ACK lasts until the RST answering its ACK; the client's TIME_WAIT ends at the SYN.
      expect(old.states.server.slice(-2)).toMatchObject([{ state: 'LAST_ACK' }, { state: 'CLOSED', frame: rst!.frame, event: 'recv-rst' }]);
      expect(old.lastFrame).toBe(rst!.frame);
      expect(old.timeWait).toMatchObject([{ side: 'client', end: 'reused' }]);
      expect(old.resets).toMatchObject([{ frame: rst!.frame, kind: 'after-close', receiverState: 'LAST_ACK' }]);
      expect(old.close).toMatchObject({ kind: 'fin-then-reset', initiator: 'client' });
      expect(fresh.notes).toMatchObject([{ kind: 'syn-to-last-ack', frame: syn!.frame }]);
      expect(fresh.handshake).toMatchObject({ kind: 'complete', synFrame: syn!.frame });
      expect(fresh.handshake.synRetransmits).toHaveLength(1); // the SYN sent again after the RST
      expect(fresh.resets).toEqual([]);
      expect(fresh.close).toMatchObject({ kind: 'four-way', initiator: 'client' });
    }
    // The first time, nothing but the LAST_ACK's answer shows the last ACK was lost.
    expect(r.connections[0]!.close.finRetransmits).toEqual([]);
    expect(r.connections[2]!.close.finRetransmits.length).toBeGreaterThan(0);
  });

  it('a SYN the server\'s TIME_WAIT does not take (seq before its rcv_nxt, no timestamps): the old connection keeps its ACK and the RST answering it', async () => {
    const r = await analyze(fixture('time-wait-syn-rejected'));
    expect(r.connections.map((c) => c.client.port)).toEqual([41210, 41210, 41211, 41211]);
    const [old, fresh, old1337, fresh1337] = r.connections;
    // tcp_rfc1337=0: the client's RST ends the TIME_WAIT; its SYN sent again opens the new connection.
    expect(old!.timeWait).toMatchObject([{ side: 'server', end: 'reset' }]);
    expect(old!.resets).toMatchObject([{ kind: 'after-close', from: 'client', senderState: 'CLOSED', receiverState: 'TIME_WAIT' }]);
    expect(fresh!.notes).toMatchObject([{ kind: 'syn-to-time-wait', frame: fresh!.handshake.synFrame }]);
    expect(fresh!.handshake).toMatchObject({ kind: 'complete' });
    expect(fresh!.handshake.synRetransmits).toHaveLength(1);
    expect(fresh!.resets).toEqual([]);
    expect(fresh!.close).toMatchObject({ kind: 'four-way', initiator: 'client' });
    // tcp_rfc1337=1: each RST is shown ignored by the TIME_WAIT's next ACK; the client stays SYN_SENT.
    expect(old1337!.resets.length).toBeGreaterThan(1);
    expect(old1337!.resets.slice(0, -1).every((x) => x.receiverContinued)).toBe(true);
    expect(fresh1337!.handshake).toMatchObject({ kind: 'no-reply' });
    expect(fresh1337!.resets).toEqual([]);
    expect(fresh1337!.finalState).toEqual({ client: 'SYN_SENT', server: 'LISTEN' });
    expect(fresh1337!.handshake.synRetransmits).toHaveLength(old1337!.resets.length);
    // Retransmissions as the kernels counted them (Tcp.RetransSegs, SYNs included), though on lo
    // with two CPUs the capture holds some first copies after later segments.
    const counters = (JSON.parse(readFileSync(fixture('time-wait-syn-rejected', 'scenario.json'), 'utf8')) as { counters: Record<string, Record<string, number>> }).counters;
    const retrans = (phase: string) => counters[phase]!['Tcp.RetransSegs'] ?? 0;
    expect(r.connections.map((c) => c.retransmits.clientToServer + c.retransmits.serverToClient)).toEqual([
      retrans('variant1Connection1'), retrans('variant1SecondConnect') + retrans('variant1Connection2'),
      retrans('variant2Connection1'), retrans('variant2SecondConnect'),
    ]);
  });

  it('behind one NAT address, with timestamps: each SYN on the four-tuple of the server\'s TIME_WAIT taken or refused as the kernel did (newer TSval takes, PAWS refuses)', async () => {
    const r = await analyze(fixture('nat-time-wait-timestamps'));
    interface Pair {
      natPort: number; takenByTimeWait: boolean; bIsnAfterOldRcvNxt: boolean; bTsvalNewer: boolean;
      bSyn: { frame: number }; clientRsts: { frame: number }[]; synsSentAgain: { frame: number }[];
      synAck: { frame: number }; synAckIsnMinusOldSndNxt: number;
    }
    const scenario = JSON.parse(readFileSync(fixture('nat-time-wait-timestamps', 'scenario.json'), 'utf8')) as
      { natTimeWaitTimestamps: { pairs: Pair[] } };
    const pairs = scenario.natTimeWaitTimestamps.pairs;
    // What the fixture is for: a SYN taken for its newer TSval alone, and one PAWS refused although its seq was after rcv_nxt.
    expect(pairs.some((p) => p.takenByTimeWait && p.bTsvalNewer && !p.bIsnAfterOldRcvNxt)).toBe(true);
    expect(pairs.some((p) => !p.takenByTimeWait && !p.bTsvalNewer && p.bIsnAfterOldRcvNxt)).toBe(true);
    const byId = [...r.connections].sort((a, b) => a.id - b.id);
    expect(byId.map((c) => c.client.port)).toEqual(pairs.flatMap((p) => [p.natPort, p.natPort]));
    pairs.forEach((p, i) => {
      const old = byId[2 * i]!;
      const fresh = byId[2 * i + 1]!;
      expect(fresh.handshake).toMatchObject({ kind: 'complete', synFrame: p.bSyn.frame, synAckFrame: p.synAck.frame });
      if (p.takenByTimeWait) {
        // The TIME_WAIT took the SYN (SYN/ACK ISN = old snd_nxt + 65537): a reuse, nothing beside it.
        expect(p.synAckIsnMinusOldSndNxt).toBe(65537);
        expect(old.timeWait).toMatchObject([{ side: 'server', end: 'reused', endS: fresh.handshake.synS }]);
        expect(old.resets).toEqual([]);
        expect(fresh.notes).toEqual([]);
        expect(fresh.handshake.synRetransmits).toEqual([]);
      } else {
        // PAWS refused it: the old connection keeps the TIME_WAIT's ACK and B's RST, which ends it;
        // the SYN sent again opens the new connection at the listener.
        expect(old.timeWait).toMatchObject([{ side: 'server', end: 'reset' }]);
        expect(old.resets).toMatchObject(p.clientRsts.map((x) => ({ kind: 'after-close', from: 'client', frame: x.frame, receiverState: 'TIME_WAIT' })));
        expect(fresh.notes).toMatchObject([{ kind: 'syn-to-time-wait', frame: p.bSyn.frame }]);
        expect(fresh.handshake.synRetransmits).toHaveLength(p.synsSentAgain.length);
        expect(fresh.resets).toEqual([]);
      }
    });
  });

  it('RSTs forged in the server\'s name (RFC 5961 blind reset) never close the server; the exact one resets the client', async () => {
    const c = await only('rst-challenge-ack');
    const scenario = JSON.parse(readFileSync(fixture('rst-challenge-ack', 'scenario.json'), 'utf8')) as
      { crafted: { frame: number; seqMinusRcvNxt: number }[]; frames: { frame: number; flags: string; src: string; origin: string }[] };
    const crafted = new Set(scenario.crafted.map((x) => x.frame));
    // Every RST the scapy probes sent is reported as not the server's own, acceptable only at rcv.nxt.
    for (const x of scenario.crafted) {
      expect(c.resets.find((r) => r.frame === x.frame)).toMatchObject({ from: 'server', senderContinued: true, inWindow: x.seqMinusRcvNxt === 0 });
    }
    // The client kernel's own RST, answering the server's FIN, is its own.
    const kernelRst = c.resets.filter((r) => !crafted.has(r.frame));
    expect(kernelRst).toMatchObject([{ from: 'client', senderContinued: false, senderState: 'CLOSED', receiverState: 'FIN_WAIT_1' }]);
    // The client: ESTABLISHED through the rejected ones, CLOSED at the exact one.
    const exact = scenario.crafted.find((x) => x.seqMinusRcvNxt === 0)!;
    expect(c.states.client.map((t) => t.state)).toEqual(['CLOSED', 'SYN_SENT', 'ESTABLISHED', 'CLOSED']);
    expect(c.states.client.at(-1)).toMatchObject({ frame: exact.frame, event: 'recv-rst' });
    // The server: ESTABLISHED until its own FIN, CLOSED by the client's RST.
    const fin = scenario.frames.find((f) => f.origin === 'kernel' && f.flags.includes('F'))!;
    expect(c.states.server.slice(2).map((t) => [t.state, t.frame])).toEqual([
      ['ESTABLISHED', 3], ['FIN_WAIT_1', fin.frame], ['CLOSED', kernelRst[0]!.frame],
    ]);
  });

  it('a SYN reusing the four-tuple of a server in TIME_WAIT ends that TIME_WAIT and opens the next connection', async () => {
    const r = await analyze(fixture('server-time-wait-reuse'));
    const scenario = JSON.parse(readFileSync(fixture('server-time-wait-reuse', 'scenario.json'), 'utf8')) as
      { serverTimeWaitReuse: { newSyn: { frame: number } } };
    const syn = scenario.serverTimeWaitReuse.newSyn.frame;
    expect(r.connections).toHaveLength(2);
    const [first, second] = r.connections as [ConnectionReport, ConnectionReport];
    expect([first.client.port, first.server.port]).toEqual([second.client.port, second.server.port]);
    expect(first.close).toMatchObject({ kind: 'four-way', initiator: 'server' });
    const entered = first.states.server.find((t) => t.state === 'TIME_WAIT')!;
    expect(first.timeWait).toMatchObject([{ side: 'server', end: 'reused', enteredS: entered.s }]);
    expect(first.states.server.at(-1)).toMatchObject({ state: 'CLOSED', frame: syn, event: 'reused' });
    expect(first.timeWait[0]!.endS).toBe(first.states.server.at(-1)!.s);
    expect(second.handshake).toMatchObject({ kind: 'complete', synRetransmits: [] });
    expect(second.states.server.slice(0, 3).map((t) => [t.state, t.frame])).toEqual([['LISTEN', syn], ['SYN_RECEIVED', syn], ['ESTABLISHED', syn + 2]]);
  });

  it('ss -K destroys a socket with RST+ACK: an abort, as SO_LINGER {1,0} would be', async () => {
    const r = await analyze(fixture('ss-kill'));
    expect(r.connections.map((c) => c.resets.map((x) => [x.kind, x.from, x.senderState]))).toEqual([
      [['abort', 'client', 'ESTABLISHED']],
      [['abort', 'server', 'CLOSE_WAIT']],
    ]);
  });

  it('random loss: the retransmissions counted each way are the kernels\' own RetransSegs', async () => {
    const c = await only('lossy-bulk');
    const scenario = JSON.parse(readFileSync(fixture('lossy-bulk', 'scenario.json'), 'utf8')) as { retransSegsDelta: { clientToServer: number; serverToClient: number } };
    expect(c.retransmits).toEqual(scenario.retransSegsDelta);
    expect(c.retransmits.clientToServer + c.retransmits.serverToClient).toBeGreaterThan(5);
    expect(c.close.kind).toBe('four-way');
    expect(c.anomalies).toEqual([]);
  });
});
