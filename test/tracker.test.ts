/**
 * The tracker's rules on synthetic segment sequences, for cases a kernel rarely produces on
 * demand: an out-of-window RST, a lost pure ACK, an invalid SYN/ACK, a midstream start.
 */
import { describe, expect, it } from 'vitest';
import { FlowTable } from '../src/connections/flow-table.js';
import { Connection } from '../src/connections/connection.js';
import { ACK, FIN, PSH, RST, SYN, flowHash, newSegment } from '../src/decode/segment.js';
import { connectionReport } from '../src/findings/report.js';
import type { ConnectionReport } from '../src/findings/types.js';

type Dir = 'c>s' | 's>c';
/** `icmp` (type << 8 | code): not a segment but an ICMP error quoting one sent `dir` with `seq` (NaN: not shown). */
interface Step { dir: Dir; flags: number; seq: number; ack?: number; len?: number; s: number; clientPort?: number; icmp?: number; direction?: number; ts?: number; ecr?: number; id?: number; cut?: boolean; dsack?: [number, number]; duplicate?: boolean; win?: number; signed?: boolean }

/** Tracks `steps` and reports every connection, in the order they opened. */
function run(steps: Step[], timeWaitS = 60): ConnectionReport[] {
  return finished(steps, timeWaitS).map((f) => f.report).sort((a, b) => a.id - b.id);
}

/** The reports in the order the flow table finished them, each with the capture time it was finished at. */
function finished(steps: Step[], timeWaitS = 60): { report: ConnectionReport; endS: number }[] {
  const end = steps.at(-1)!.s;
  const reports: { report: ConnectionReport; endS: number }[] = [];
  const table = new FlowTable((c: Connection, endS: number) => reports.push({ report: connectionReport(c, [], { captureEndS: end, timeWaitS, fileName: () => 'synthetic' }), endS }));
  steps.forEach((st, i) => {
    const seg = newSegment();
    const c = { ip: '10.0.0.1', port: st.clientPort ?? 40000 };
    const s = { ip: '10.0.0.2', port: 80 };
    const [from, to] = st.dir === 'c>s' ? [c, s] : [s, c];
    Object.assign(seg, {
      frame: i + 1, fileFrame: i + 1, s: st.s, src: from.ip, srcPort: from.port, dst: to.ip, dstPort: to.port,
      flags: st.flags, seq: st.seq !== st.seq ? NaN : st.seq >>> 0, ack: (st.ack ?? 0) >>> 0, payloadLen: st.len ?? 0, window: st.win ?? 65535,
      direction: st.direction ?? -1, tsVal: st.ts ?? -1, tsEcr: st.ecr ?? -1, ipId: st.id ?? -1, dsackLeft: st.dsack?.[0] ?? -1, dsackRight: st.dsack?.[1] ?? -1,
      signed: st.signed ?? false, truncated: st.cut === true,
    });
    // A SYN's options as a decoder reads them: timestamps when it carried a TSval.
    if (st.flags & SYN) seg.options = { mss: null, windowScale: null, sackPermitted: false, timestamps: st.ts !== undefined, fastOpen: false, mptcp: null, truncated: st.cut === true };
    if (st.duplicate) table.duplicated(seg); // a copy the network made, dropped by the copies filter
    else if (st.icmp === undefined) table.track(seg);
    else {
      seg.icmp = st.icmp;
      seg.icmpMtu = st.icmp === ((3 << 8) | 4) ? 1400 : NaN;
      seg.icmpSender[3] = 0xc0000209; // 192.0.2.9, a router
      table.icmpError(seg);
    }
  });
  table.end(end);
  return reports;
}

// A handshake: client ISN 100, server ISN 5000.
const HANDSHAKE: Step[] = [
  { dir: 'c>s', flags: SYN, seq: 100, s: 0 },
  { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0.01 },
  { dir: 'c>s', flags: ACK, seq: 101, ack: 5001, s: 0.02 },
];
// After HANDSHAKE, the client closes first, three-way (FIN, FIN+ACK, ACK): the client in TIME_WAIT from 1.2 s.
const CLIENT_CLOSES_THREE_WAY: Step[] = [
  { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1 },
  { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 102, s: 1.1 },
  { dir: 'c>s', flags: ACK, seq: 102, ack: 5002, s: 1.2 },
];
// The same over a path with a 0.3 s round trip: each side answers in 0.15 s.
const SLOW_HANDSHAKE: Step[] = [
  { dir: 'c>s', flags: SYN, seq: 100, s: 0 },
  { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0.15 },
  { dir: 'c>s', flags: ACK, seq: 101, ack: 5001, s: 0.3 },
];
const states = (c: ConnectionReport, side: 'client' | 'server') => c.states[side].map((e) => e.state);

describe('RST acceptability (RFC 9293 3.10.7, RFC 5961)', () => {
  it('a RST at the expected sequence number closes both sides', () => {
    const [c] = run([...HANDSHAKE, { dir: 's>c', flags: RST, seq: 5001, s: 1 }]);
    expect(c!.resets[0]).toMatchObject({ kind: 'abort', inWindow: true, senderState: 'ESTABLISHED', receiverState: 'ESTABLISHED' });
    expect(c!.finalState).toEqual({ client: 'CLOSED', server: 'CLOSED' });
  });
  it('a bare RST at once in reply, from what the peer acknowledged, is a host without the connection: after-close', () => {
    // The client's 100 bytes were never acknowledged (its socket gave up retransmitting them); the
    // server's data gets RST seq = its ack, no ACK flag: RFC 9293's reply when no connection exists.
    const lost = [
      ...HANDSHAKE,
      { dir: 'c>s', flags: ACK, seq: 101, ack: 5001, len: 100, s: 0.1 },
      { dir: 's>c', flags: ACK, seq: 5001, ack: 101, len: 20, s: 9 },
    ] satisfies Step[];
    const [reply] = run([...lost, { dir: 'c>s', flags: RST, seq: 101, s: 9.00002 }]);
    expect(reply!.resets[0]).toMatchObject({ kind: 'after-close', senderState: 'ESTABLISHED' });
    // Not a reply: long after the server's segment, or from the client's own next sequence number.
    const [late] = run([...lost, { dir: 'c>s', flags: RST, seq: 101, s: 12 }]);
    expect(late!.resets[0]!.kind).toBe('abort');
    const [own] = run([...lost, { dir: 'c>s', flags: RST, seq: 201, s: 9.00002 }]);
    expect(own!.resets[0]!.kind).toBe('abort');
    // With ACK it is a live socket aborting.
    const [withAck] = run([...lost, { dir: 'c>s', flags: RST | ACK, seq: 101, ack: 5021, s: 9.00002 }]);
    expect(withAck!.resets[0]!.kind).toBe('abort');
  });
  it('a RST far from the expected sequence number closes only its sender', () => {
    const [c] = run([...HANDSHAKE, { dir: 's>c', flags: RST, seq: 5001 + 1_000_000, s: 1 }]);
    expect(c!.resets[0]).toMatchObject({ kind: 'out-of-window', inWindow: false });
    expect(c!.finalState).toEqual({ client: 'ESTABLISHED', server: 'CLOSED' });
    expect(c!.close.kind).toBe('none');
  });
  it('a RST whose sender goes on with the connection was not its own: it does not close the sender', () => {
    // RFC 5961's blind reset: an out-of-window RST in the server's name, then the server's data.
    const forged = run([
      ...HANDSHAKE,
      { dir: 's>c', flags: RST, seq: 5001 + 1_000_000, s: 1 },
      { dir: 'c>s', flags: ACK, seq: 101, ack: 5001, s: 1.00002 }, // the client's challenge ACK
      { dir: 's>c', flags: ACK, seq: 5001, ack: 101, len: 10, s: 2 },
    ])[0]!;
    expect(forged.resets[0]).toMatchObject({ kind: 'out-of-window', inWindow: false, senderContinued: true });
    expect(forged.finalState).toEqual({ client: 'ESTABLISHED', server: 'ESTABLISHED' });
    expect(states(forged, 'server')).not.toContain('CLOSED');
    // An acceptable one still closes its receiver; the server closes later, at the client's reply.
    const injected = run([
      ...HANDSHAKE,
      { dir: 's>c', flags: RST, seq: 5001, s: 1 },
      { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 101, s: 2 },
      { dir: 'c>s', flags: RST, seq: 101, s: 2.00002 },
    ])[0]!;
    expect(injected.resets.map((r) => [r.from, r.inWindow, r.senderContinued])).toEqual([['server', true, true], ['client', true, false]]);
    expect(injected.states.client.at(-1)).toMatchObject({ state: 'CLOSED', frame: 4, event: 'recv-rst' });
    expect(injected.states.server.slice(-2).map((t) => [t.state, t.frame])).toEqual([['FIN_WAIT_1', 5], ['CLOSED', 6]]);
    // A sender that only sends more RSTs (or nothing) did close.
    const real = run([...HANDSHAKE, { dir: 's>c', flags: RST, seq: 5001 + 1_000_000, s: 1 }, { dir: 's>c', flags: RST, seq: 5001 + 1_000_000, s: 2 }])[0]!;
    expect(real.resets.map((r) => r.senderContinued)).toEqual([false, false]);
    expect(real.finalState.server).toBe('CLOSED');
  });
  it('a receiver that acknowledges what the sender sent after an acceptable RST never took it', () => {
    // A RST that looks acceptable (at what the client acknowledged) but that the client dropped
    // (PAWS, say): the server goes on, and the client acknowledges the server's later bytes.
    const steps: Step[] = [
      ...HANDSHAKE,
      { dir: 's>c', flags: ACK, seq: 5001, ack: 101, len: 10, s: 0.1 },
      { dir: 'c>s', flags: ACK, seq: 101, ack: 5011, s: 0.11 },
      { dir: 's>c', flags: RST, seq: 5011, s: 1 },
      { dir: 'c>s', flags: ACK, seq: 101, ack: 5011, s: 1.001 }, // could have left before the RST arrived
      { dir: 's>c', flags: ACK, seq: 5011, ack: 101, len: 10, s: 2 },
    ];
    const [unproven] = run(steps);
    expect(unproven!.resets[0]).toMatchObject({ inWindow: true, senderContinued: true, receiverContinued: false });
    expect(unproven!.finalState).toEqual({ client: 'CLOSED', server: 'ESTABLISHED' });
    const [proven] = run([...steps, { dir: 'c>s', flags: ACK, seq: 101, ack: 5021, s: 2.001 }]);
    expect(proven!.resets[0]).toMatchObject({ inWindow: true, senderContinued: true, receiverContinued: true });
    expect(proven!.finalState).toEqual({ client: 'ESTABLISHED', server: 'ESTABLISHED' });
    expect(states(proven!, 'client')).toEqual(['CLOSED', 'SYN_SENT', 'ESTABLISHED']);
    expect(proven!.close.kind).toBe('none'); // the RST ended nothing
    // A later RST it did take still closes it.
    const [later] = run([...steps, { dir: 'c>s', flags: ACK, seq: 101, ack: 5021, s: 2.001 }, { dir: 's>c', flags: RST, seq: 5021, s: 3 }]);
    expect(later!.resets.map((r) => r.receiverContinued)).toEqual([true, false]);
    expect(later!.states.client.at(-1)).toMatchObject({ state: 'CLOSED', frame: 10, event: 'recv-rst' });
    expect(later!.close).toMatchObject({ kind: 'reset', initiator: 'server', completeS: null });
    expect(later!.resets[1]!.frame).toBe(10);
  });
  it('a receiver still sending a second after an acceptable RST never took it; nor one that acknowledges a SYN/ACK sent after it', () => {
    const steps: Step[] = [
      ...HANDSHAKE,
      { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 5, s: 0.1 },
      { dir: 's>c', flags: RST, seq: 5001, s: 0.2 }, // the server stays silent after it
    ];
    // The client's retransmission of its data 0.05 s after the RST proves nothing (it may have
    // left before the RST arrived); nor does a pure ACK 0.5 s after it (it may answer something
    // on its way); anything of its own 1.3 s after the RST does.
    const soonSteps: Step[] = [...steps, { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 5, s: 0.25 }, { dir: 'c>s', flags: ACK, seq: 106, ack: 5001, s: 0.7 }];
    const [soon] = run(soonSteps);
    expect(soon!.resets[0]).toMatchObject({ inWindow: true, receiverContinued: false });
    expect(soon!.finalState.client).toBe('CLOSED');
    const [late] = run([...soonSteps, { dir: 'c>s', flags: ACK, seq: 106, ack: 5001, s: 1.5 }]);
    expect(late!.resets[0]).toMatchObject({ inWindow: true, receiverContinued: true });
    expect(late!.finalState.client).toBe('ESTABLISHED');
    expect([soon!.close.kind, late!.close.kind]).toEqual(['reset', 'none']);
    // In SYN_SENT, a RST acknowledging the SYN in the server's name before the server sent
    // anything (Suricata's bug-3286 evasion): the client goes on to acknowledge the SYN/ACK that
    // came after it, all of whose sequence space is later than the RST.
    const [synSent] = run([
      { dir: 'c>s', flags: SYN, seq: 100, s: 0 },
      { dir: 's>c', flags: RST | ACK, seq: 77, ack: 101, s: 0.06 },
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0.064 },
      { dir: 'c>s', flags: ACK, seq: 101, ack: 5001, s: 0.0645 },
    ]);
    expect(synSent!.resets[0]).toMatchObject({ inWindow: true, receiverContinued: true });
    expect(states(synSent!, 'client')).toEqual(['CLOSED', 'SYN_SENT', 'ESTABLISHED']);
  });
  describe('a receiver\'s data or FIN after a quiet spell shows it outlived a RST sooner, by its round trip (sw34 nt-l0c-20, sw35 ka-r-1)', () => {
    // The handshake shows each side answering in 0.01 s: a segment the client sent before the
    // RST reached it follows the RST by about that; four of them, but no less than 0.1 s, is room.
    const idle: Step[] = [
      ...HANDSHAKE,
      { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 10, s: 0.5 },
      { dir: 's>c', flags: ACK, seq: 5001, ack: 111, s: 0.51 },
      { dir: 's>c', flags: RST | ACK, seq: 5001, ack: 111, s: 1.0 }, // the server aborts; lost on its way
    ];
    const request = (s: number, seq = 111): Step => ({ dir: 'c>s', flags: ACK | PSH, seq, ack: 5001, len: 10, s });
    const answer = (s: number): Step => ({ dir: 's>c', flags: RST, seq: 5001, s }); // no socket there: a bare RST
    const facts = (c: ConnectionReport) => c.resets.map((r) => [r.frame, r.receiverContinued]);
    it('its next request 0.3 s after the RST: open until the RST answering it', () => {
      const [c] = run([...idle, request(1.3), answer(1.30002)]);
      expect(facts(c!)).toEqual([[6, true], [8, false]]);
      expect(c!.states.client.slice(-2).map((t) => [t.state, t.frame, t.event])).toEqual([['ESTABLISHED', 2, 'recv-syn-ack'], ['CLOSED', 8, 'recv-rst']]);
    });
    it('not within that room: 0.05 s after the RST, it may have left before the RST arrived', () => {
      const [c] = run([...idle, request(1.05), answer(1.05002)]);
      expect(facts(c!)).toEqual([[6, false], [8, false]]);
      expect(c!.states.client.at(-1)).toMatchObject({ state: 'CLOSED', frame: 6, event: 'recv-rst' });
    });
    it('not within a busy stream of its own (each segment 0.08 s after the one before), nor by a pure ACK', () => {
      const busy = [request(0.95, 111), request(1.03, 121), request(1.11, 131), request(1.19, 141)];
      const [c] = run([...idle.slice(0, -1), busy[0]!, idle.at(-1)!, ...busy.slice(1)]);
      expect(c!.resets.map((r) => r.receiverContinued)).toEqual([false]);
      expect(c!.states.client.at(-1)).toMatchObject({ state: 'CLOSED', event: 'recv-rst' });
      const [ack] = run([...idle, { dir: 'c>s', flags: ACK, seq: 111, ack: 5001, s: 1.3 }]);
      expect(ack!.resets.map((r) => r.receiverContinued)).toEqual([false]);
    });
    it('not without the handshake\'s answer times (midstream): a second, as before', () => {
      const mid = idle.slice(3).map((st) => ({ ...st }));
      const [c] = run([...mid, request(1.3), answer(1.30002)]);
      expect(c!.midstream).toBe(true);
      expect(facts(c!)).toEqual([[3, false], [5, false]]);
    });
  });
  it('a connection closed by a RST its receiver took while open waits as long as a TIME_WAIT for that receiver (sw35 K1)', () => {
    // The client's keep-alive gives up (one RST+ACK, lost); the server's FIN comes 6 s later.
    const idle: Step[] = [...HANDSHAKE, { dir: 'c>s', flags: RST | ACK, seq: 101, ack: 5001, s: 4 }];
    const [one, ...rest] = run([...idle, { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 101, s: 10 }, { dir: 'c>s', flags: RST, seq: 101, s: 10.00002 }]);
    expect(rest).toEqual([]);
    expect(one!.resets.map((r) => r.receiverContinued)).toEqual([true, false]);
    expect(states(one!, 'server').slice(-2)).toEqual(['FIN_WAIT_1', 'CLOSED']);
    // Finished when the wait (--time-wait, 60 s) is over, not 5 s after the RST.
    const later = (s: number): Step => ({ dir: 'c>s', flags: SYN, seq: 900, s, clientPort: 40001 });
    const order = finished([...idle, later(30), later(64.5)]);
    expect(order[0]!.report.id).toBe(1);
    expect(order[0]!.endS).toBe(64);
    // A RST refusing a SYN reached no open endpoint: the usual grace.
    const refused = finished([{ dir: 'c>s', flags: SYN, seq: 100, s: 0 }, { dir: 's>c', flags: RST | ACK, seq: 0, ack: 101, s: 0.001 }, later(30)]);
    expect(refused[0]!.endS).toBeLessThan(3);
  });
  it('a FIN sent after a RST the sender is later shown not to have taken is its close from the first copy (fixtures/rst-dropped)', () => {
    const steps: Step[] = [
      ...SLOW_HANDSHAKE,
      { dir: 's>c', flags: RST | ACK, seq: 5001, ack: 101, s: 0.5 }, // the server aborts; dropped before the client
      { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 0.8 }, // a round trip on: could have crossed the RST
      { dir: 's>c', flags: RST, seq: 5001, s: 0.80002 },
      { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1.0 },
      { dir: 's>c', flags: RST, seq: 5001, s: 1.00002 },
    ];
    // Nothing yet shows the client outlived the abort: CLOSED there, the FIN kept aside.
    const [open] = run(steps);
    expect(states(open!, 'client').at(-1)).toBe('CLOSED');
    expect(states(open!, 'client')).not.toContain('FIN_WAIT_1');
    // Its FIN again 1.4 s after the abort: it never took it, and it closed at the first copy.
    const [shown] = run([...steps, { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1.9 }]);
    expect(shown!.states.client.slice(-1)).toMatchObject([{ state: 'FIN_WAIT_1', frame: 5, event: 'send-fin' }]);
    expect(shown!.close.finRetransmits.map((r) => r.frame)).toEqual([7, 9]);
    expect(shown!.close).toMatchObject({ initiator: 'client', firstFinS: 0.8 });
  });
  it('RSTs that came while the receiver was held closed by one it is then shown never to have taken get its window as it stood (fixtures/rst-dropped)', () => {
    const steps: Step[] = [
      ...SLOW_HANDSHAKE,
      { dir: 's>c', flags: RST | ACK, seq: 5001, ack: 101, s: 0.5 }, // dropped before the client
      { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 0.8 },
      { dir: 's>c', flags: RST, seq: 5001, s: 0.80002 }, // the answer of a host without the socket
      { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1.0 },
      { dir: 's>c', flags: RST, seq: 5001 + 70000, s: 1.00002 }, // one the client's window never held
    ];
    const facts = (c: ConnectionReport) => c.resets.map((r) => [r.frame, r.inWindow, r.receiverContinued, r.kind]);
    // Held closed by the first: the client had no connection for the others, as far as is known.
    const [held] = run(steps);
    expect(facts(held!)).toEqual([[4, true, false, 'abort'], [6, null, false, 'after-close'], [8, null, false, 'after-close']]);
    // Its FIN again 1.4 s after the first: it was in FIN_WAIT_1 for all three, and took none.
    const [shown] = run([...steps, { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1.9 }]);
    expect(facts(shown!)).toEqual([[4, true, true, 'abort'], [6, true, true, 'after-close'], [8, false, false, 'out-of-window']]);
    expect(shown!.resets.map((r) => r.receiverState)).toEqual(['ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_1']);
    // Nothing ended it, then: the server aborted, and the client's FIN waits for an answer.
    expect(shown!.finalState).toEqual({ client: 'FIN_WAIT_1', server: 'CLOSED' });
    expect([held!.close.kind, shown!.close.kind]).toEqual(['reset', 'incomplete']);
  });
  describe('a receiver whose FIN comes again seconds after a RST it never took (sw32 rs-40c)', () => {
    // The client's data was lost once (sent again at 0.5 s), its FIN is not acknowledged when the
    // server's RST comes, and the FIN comes again 5.55 s after the RST: the RST was lost too.
    const lossy: Step[] = [
      ...HANDSHAKE,
      { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 10, s: 0.1 },
      { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 10, s: 0.5 },
      { dir: 's>c', flags: ACK, seq: 5001, ack: 111, s: 0.51 },
      { dir: 'c>s', flags: FIN | ACK, seq: 111, ack: 5001, s: 1 },
      { dir: 's>c', flags: RST, seq: 5001, s: 1.0001 },
    ];
    const again: Step[] = [
      { dir: 'c>s', flags: FIN | ACK, seq: 111, ack: 5001, s: 6.55 },
      { dir: 's>c', flags: RST, seq: 5001, s: 6.5501 },
    ];
    it('is the same connection, back in FIN_WAIT_1 until the next RST, not a new midstream one', () => {
      const conns = run([...lossy, ...again]);
      expect(conns).toHaveLength(1);
      const [c] = conns;
      expect(c!.resets.map((r) => [r.frame, r.receiverContinued])).toEqual([[8, true], [10, false]]);
      expect(c!.states.client.slice(-2).map((t) => [t.state, t.frame, t.event])).toEqual([['FIN_WAIT_1', 7, 'send-fin'], ['CLOSED', 10, 'recv-rst']]);
      expect(c!.close.finRetransmits.map((r) => r.frame)).toEqual([9]);
    });
    it('the connection waits for it up to TCP_RTO_MAX and its timer slack, then finishes', () => {
      const later = (s: number): Step => ({ dir: 'c>s', flags: SYN, seq: 900, s, clientPort: 40001 });
      const waited = finished([...lossy, later(100), later(136.1), later(137)]);
      // Finished when due, 135 s after the RST (the last segment), not at the 2 s grace's end.
      expect(waited[0]!.report.id).toBe(1);
      expect(waited[0]!.endS).toBeCloseTo(1.0001 + 135, 9);
    });
    it('past a TIME_WAIT\'s length, not on a path that lost nothing, nor for an endpoint with nothing unacknowledged: their late segments start a connection of their own', () => {
      // 70 s after the RST: the lossy path's connection still waits for it (TCP_RTO_MAX).
      const late: Step[] = again.map((st) => ({ ...st, s: st.s + 64 }));
      expect(run([...lossy, ...late]).map((c) => c.midstream)).toEqual([false]);
      // Without the data sent again, it waited a TIME_WAIT's length (60 s), and was finished.
      const clean = lossy.filter((st) => st.s !== 0.5);
      expect(run([...clean, ...late]).map((c) => c.midstream)).toEqual([false, true]);
      // Its FIN acknowledged before the RST (FIN_WAIT_2): nothing comes again on a timer.
      const acked = run([...lossy.slice(0, -1), { dir: 's>c', flags: ACK, seq: 5001, ack: 112, s: 1.00005 }, lossy.at(-1)!, { dir: 'c>s', flags: ACK, seq: 112, ack: 5001, s: 70.55 }]);
      expect(acked.map((c) => c.midstream)).toEqual([false, true]);
    });
  });
  it('a FIN carried by a RST closes nothing in order; nor does a FIN before the sender\'s SYN/ACK', () => {
    const [finRst] = run([...HANDSHAKE, { dir: 's>c', flags: FIN | RST | ACK, seq: 5001, ack: 101, s: 1 }]);
    expect(states(finRst!, 'server')).not.toContain('FIN_WAIT_1');
    expect(finRst!.finalState).toEqual({ client: 'CLOSED', server: 'CLOSED' });
    // A FIN in the server's name before it answered the SYN (an evasion test's forged FIN).
    const [early] = run([
      { dir: 'c>s', flags: SYN, seq: 100, s: 0 },
      { dir: 's>c', flags: FIN | ACK, seq: 0, ack: 101, s: 0.01 },
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0.02 },
      { dir: 'c>s', flags: ACK, seq: 101, ack: 5001, s: 0.03 },
    ]);
    expect(states(early!, 'server')).toEqual(['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED']);
    expect(early!.close.kind).toBe('none');
  });
  it('a RST in SYN_SENT is acceptable only if it acknowledges the SYN', () => {
    const [bad] = run([{ dir: 'c>s', flags: SYN, seq: 100, s: 0 }, { dir: 's>c', flags: RST | ACK, seq: 0, ack: 999, s: 0.01 }]);
    expect(bad!.resets[0]!.kind).toBe('out-of-window');
    expect(bad!.finalState.client).toBe('SYN_SENT');
  });
  it('a RST in TIME_WAIT ends it (Linux, tcp_rfc1337=0)', () => {
    const [c] = run([...HANDSHAKE, ...CLIENT_CLOSES_THREE_WAY, { dir: 's>c', flags: RST, seq: 5002, s: 2 }]);
    expect(c!.timeWait).toMatchObject([{ side: 'client', end: 'reset', endS: 2 }]);
    expect(c!.close.kind).toBe('three-way'); // the close had completed before the RST
  });
});

describe('waiting out TIME_WAIT, and crossing to the findings thread', () => {
  // Once only the TIME_WAIT timer is left, the connection waits in its slot until the timer or a
  // segment comes; finished, it may cross to another thread as numbers. Nothing may be lost.
  const CLOSE: Step[] = [
    ...HANDSHAKE,
    { dir: 'c>s', flags: ACK, seq: 101, ack: 5001, len: 10, s: 0.5 },
    { dir: 'c>s', flags: FIN | ACK, seq: 111, ack: 5001, s: 1 },
    { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 112, s: 1.1 },
    { dir: 'c>s', flags: ACK, seq: 112, ack: 5002, s: 1.2 }, // the client is in TIME_WAIT, the server CLOSED: parked
  ];

  it('a connection that waited out TIME_WAIT is reported as it was tracked', () => {
    const [c] = run([...CLOSE, { dir: 'c>s', flags: SYN, seq: 100, s: 200, clientPort: 40001 }]);
    expect(c).toMatchObject({
      packets: { clientToServer: 5, serverToClient: 2 }, bytes: { clientToServer: 10, serverToClient: 0 },
      handshake: { kind: 'complete', synS: 0, synAckS: 0.01, ackS: 0.02 },
      close: { kind: 'three-way', initiator: 'client' },
      timeWait: [{ side: 'client', enteredS: 1.1, end: 'expired', endS: 61.1 }],
    });
    expect(states(c!, 'client')).toEqual(['CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'TIME_WAIT', 'CLOSED']);
    expect(states(c!, 'server')).toEqual(['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
  });

  it('handed to another thread (a shared store), a finished connection stays as it was until released', () => {
    const report = (c: Connection) => JSON.stringify(connectionReport(c, [], { captureEndS: 300, timeWaitS: 60, fileName: () => 'synthetic' }));
    const finished: { slot: number; report: string }[] = [];
    const table = new FlowTable((c) => finished.push({ slot: c.slot, report: report(c) }), { timeWaitS: 60, closedGraceS: 2, shared: true });
    let frame = 0;
    /** Tracks one step; returns the slot of its connection. */
    const step = (st: Step): number => {
      const seg = newSegment();
      const c = { ip: '10.0.0.1', port: st.clientPort ?? 40000 };
      const s = { ip: '10.0.0.2', port: 80 };
      const [from, to] = st.dir === 'c>s' ? [c, s] : [s, c];
      frame++;
      Object.assign(seg, { frame, fileFrame: frame, s: st.s, src: from.ip, srcPort: from.port, dst: to.ip, dstPort: to.port, flags: st.flags, seq: st.seq >>> 0, ack: (st.ack ?? 0) >>> 0, payloadLen: st.len ?? 0, window: 65535 });
      return table.track(seg).conn.slot;
    };
    CLOSE.forEach(step);
    // The TIME_WAIT runs out while refused connections come and go (each finished 2 s later).
    for (let i = 0; i < 50; i++) {
      step({ dir: 'c>s', flags: SYN, seq: 100, s: 100 + i, clientPort: 41000 + i });
      step({ dir: 's>c', flags: RST | ACK, seq: 0, ack: 101, s: 100 + i, clientPort: 41000 + i });
    }
    expect(finished.length).toBeGreaterThan(10);
    const first = finished[0]!;
    // Still readable where it is, as it was: no later connection was given its slot.
    expect(report(new Connection(table.store).at(first.slot))).toBe(first.report);
    expect(new Set(finished.map((f) => f.slot)).size).toBe(finished.length);
    // Released, the slot is free for the next connection.
    table.store.release(first.slot);
    expect(step({ dir: 'c>s', flags: SYN, seq: 100, s: 200, clientPort: 42000 })).toBe(first.slot);
  });

  it('a FIN retransmitted into TIME_WAIT counts: the last ACK was lost', () => {
    const [c] = run([
      ...CLOSE,
      { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 112, s: 1.5 },
      { dir: 'c>s', flags: ACK, seq: 112, ack: 5002, s: 1.5 },
      { dir: 'c>s', flags: SYN, seq: 100, s: 200, clientPort: 40001 },
    ]);
    expect(c!.packets).toEqual({ clientToServer: 6, serverToClient: 3 });
    expect(c!.close.finRetransmits).toMatchObject([{ side: 'server', s: 1.5 }]);
    expect(c!.timeWait).toMatchObject([{ side: 'client', enteredS: 1.1, end: 'expired', finRetransmitsAnswered: [{ s: 1.5, answeredS: 1.5 }] }]);
    // The server's first ACK of its FIN did not arrive: it was in LAST_ACK until the second.
    expect(c!.states.server.at(-1)).toMatchObject({ state: 'CLOSED', s: 1.5 });
  });
});

describe('what is received counts once the receiver proves it', () => {
  it('a pure ACK is taken at its own time, and a retransmission of what it acknowledged marks it lost', () => {
    const [c] = run([
      ...HANDSHAKE,
      { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1 },
      { dir: 's>c', flags: ACK, seq: 5001, ack: 102, s: 1.1 }, // lost on its way
      { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1.3 }, // so the FIN comes again
      { dir: 's>c', flags: ACK, seq: 5001, ack: 102, s: 1.31 },
    ]);
    const fw2 = c!.states.client.find((e) => e.state === 'FIN_WAIT_2')!;
    expect(fw2.s).toBe(1.31);
    expect(c!.close.finRetransmits).toMatchObject([{ side: 'client', s: 1.3, intervalS: expect.closeTo(0.3, 9) }]);
    // The server acknowledged the FIN at 1.1, before the retransmission: it received the first copy.
    expect(c!.states.server.find((e) => e.state === 'CLOSE_WAIT')!.s).toBe(1);
  });

  describe('an ACK of a FIN carried on data that was lost (sw32 hc-a05-40, hc-fwd30)', () => {
    // The client half-closes; the server's answer carries the ACK of its FIN.
    const closing: Step[] = [
      ...HANDSHAKE,
      { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1 },
      { dir: 's>c', flags: ACK | PSH, seq: 5001, ack: 102, len: 50, s: 1.01 }, // lost past the capture point
      { dir: 's>c', flags: ACK | PSH, seq: 5051, ack: 102, len: 150, s: 1.2 },
    ];
    const fw2 = (c: ConnectionReport) => c.states.client.find((e) => e.state === 'FIN_WAIT_2');

    it('the data sent again: the ACK is taken at the next new segment that carried it', () => {
      const [c] = run([
        ...closing,
        { dir: 'c>s', flags: ACK, seq: 102, ack: 5001, s: 1.2001 }, // a hole before 5051 (the SACK is not read)
        { dir: 's>c', flags: ACK | PSH, seq: 5001, ack: 102, len: 50, s: 1.2002 },
        { dir: 'c>s', flags: ACK, seq: 102, ack: 5201, s: 1.2003 },
      ]);
      expect(fw2(c!)).toMatchObject({ s: 1.2, frame: 6 });
      // Without the copy, the first segment was received: the ACK stands at its own time.
      const [kept] = run([...closing, { dir: 'c>s', flags: ACK, seq: 102, ack: 5201, s: 1.2003 }]);
      expect(fw2(kept!)).toMatchObject({ s: 1.01, frame: 5 });
    });

    it('the next segment that carried it was the sender\'s FIN, ahead of the hole (sw34 ns-hc-30)', () => {
      const [c] = run([
        ...HANDSHAKE,
        { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1 },
        { dir: 's>c', flags: ACK | PSH, seq: 5001, ack: 102, len: 50, s: 1.01 }, // lost past the capture point
        { dir: 's>c', flags: FIN | ACK | PSH, seq: 5051, ack: 102, len: 150, s: 1.2 },
        { dir: 'c>s', flags: ACK, seq: 102, ack: 5001, s: 1.2001 },
        { dir: 's>c', flags: ACK | PSH, seq: 5001, ack: 102, len: 50, s: 2.5 },
        { dir: 'c>s', flags: ACK, seq: 102, ack: 5202, s: 2.5001 },
      ]);
      expect(c!.states.client.find((e) => e.state === 'FIN_WAIT_2')).toMatchObject({ s: 1.2, frame: 6 });
      expect(states(c!, 'client').at(-1)).toBe('TIME_WAIT');
    });

    it('everything that carried it sent again: the ACK is taken at the copy', () => {
      const [c] = run([
        ...closing,
        { dir: 's>c', flags: ACK | PSH, seq: 5001, ack: 102, len: 200, s: 1.5 },
        { dir: 'c>s', flags: ACK, seq: 102, ack: 5201, s: 1.52 },
        // The client's ACK lost on its way back: the server sends it all again, which changes nothing now.
        { dir: 's>c', flags: ACK | PSH, seq: 5001, ack: 102, len: 200, s: 2 },
        { dir: 'c>s', flags: ACK, seq: 102, ack: 5201, s: 2.02 },
      ]);
      expect(fw2(c!)).toMatchObject({ s: 1.5, frame: 7 });
    });

    it('data the FIN\'s sender acknowledged before it was sent again was received: the ACK stays', () => {
      const [c] = run([
        ...closing,
        { dir: 'c>s', flags: ACK, seq: 102, ack: 5201, s: 1.21 },
        { dir: 's>c', flags: ACK | PSH, seq: 5001, ack: 102, len: 200, s: 1.5 }, // its ACK lost past the capture point
      ]);
      expect(fw2(c!)).toMatchObject({ s: 1.01, frame: 5 });
    });
  });

  it('data sent again below a FIN whose ACK was taken shows that ACK was lost (sw34 nt-sfx-1)', () => {
    // The server answers and closes; the client's ACKs of the data and of the FIN are lost, and the
    // server's timer sends the second segment again, which Linux never does once it is acknowledged.
    const closing: Step[] = [
      ...HANDSHAKE,
      { dir: 's>c', flags: ACK | PSH, seq: 5001, ack: 101, len: 1000, s: 1 },
      { dir: 's>c', flags: ACK | PSH, seq: 6001, ack: 101, len: 1000, s: 1.01 },
      { dir: 'c>s', flags: ACK, seq: 101, ack: 7001, s: 1.02 },
      { dir: 's>c', flags: FIN | ACK, seq: 7001, ack: 101, s: 1.1 },
    ];
    const fw2 = (c: ConnectionReport) => c.states.server.find((e) => e.state === 'FIN_WAIT_2');
    const [c] = run([
      ...closing,
      { dir: 'c>s', flags: ACK, seq: 101, ack: 7002, s: 1.11 }, // lost past the capture point
      { dir: 's>c', flags: ACK | PSH, seq: 6001, ack: 101, len: 1000, s: 1.5 },
      { dir: 'c>s', flags: ACK, seq: 101, ack: 7002, s: 1.51 },
    ]);
    expect(fw2(c!)).toMatchObject({ s: 1.51, frame: 10 });
    // An ACK the copy crossed (captured within the server's reply time before it) was taken after all.
    const [crossed] = run([
      ...closing,
      { dir: 'c>s', flags: ACK, seq: 101, ack: 7002, s: 1.499 },
      { dir: 's>c', flags: ACK | PSH, seq: 6001, ack: 101, len: 1000, s: 1.5 },
    ]);
    expect(fw2(crossed!)).toMatchObject({ s: 1.499, frame: 8 });
  });

  it('a FIN never acknowledged leaves the receiver where it was', () => {
    const [c] = run([...HANDSHAKE, { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1 }, { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1.2 }]);
    expect(c!.finalState).toEqual({ client: 'FIN_WAIT_1', server: 'ESTABLISHED' });
    expect(c!.close.kind).toBe('incomplete');
  });

  it('a receipt is dated at the last copy before the proof', () => {
    const [c] = run([
      ...HANDSHAKE,
      { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1 },
      { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1.2 },
      { dir: 's>c', flags: ACK, seq: 5001, ack: 102, s: 1.25 },
    ]);
    expect(c!.states.server.find((e) => e.state === 'CLOSE_WAIT')).toMatchObject({ s: 1.2, frame: 5 });
  });
});

describe('a RST in an open endpoint\'s name that the endpoint outlives', () => {
  it('the endpoint going on seconds later (its FIN when its application closes) is the same connection, not a new one', () => {
    // A firewall's REJECT --reject-with tcp-reset answers the client's data in the server's name;
    // the server's socket stays open, and closes 3 s later.
    const steps: Step[] = [
      ...HANDSHAKE,
      { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 16, s: 0.5 },
      { dir: 's>c', flags: RST, seq: 5001, s: 0.5001 },
      { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 101, s: 3.5 },
    ];
    const reports = run(steps);
    expect(reports).toHaveLength(1);
    const [c] = reports;
    expect(c!.resets[0]).toMatchObject({ from: 'server', senderContinued: true });
    expect(states(c!, 'server')).toEqual(['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'FIN_WAIT_1']);
    // A refused SYN is no open connection: its RST does not keep the connection longer.
    expect(run([{ dir: 'c>s', flags: SYN, seq: 100, s: 0 }, { dir: 's>c', flags: RST | ACK, seq: 0, ack: 101, s: 0.001 }, { dir: 's>c', flags: RST | ACK, seq: 0, ack: 101, s: 3 }])).toHaveLength(2);
  });
});

describe('TCP-MD5 and TCP-AO: an endpoint that signs discards what arrives unsigned (RFC 2385, RFC 5925)', () => {
  // Both sides sign every segment they send, as BGP peers with a TCP-MD5 key do.
  const signed = (steps: Step[]): Step[] => steps.map((st) => ({ ...st, signed: true }));
  const SIGNED_HANDSHAKE = signed(HANDSHAKE);
  it('an unsigned RST in window, in the name of a side that signs, changes neither side: listed as one its receiver could not accept', () => {
    // A firewall's REJECT --reject-with tcp-reset answers the client's data in the server's name
    // (fixtures/md5-reject); the client sends it again, and the server acknowledges it.
    const [c] = run([
      ...SIGNED_HANDSHAKE,
      { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 500, s: 0.5, signed: true },
      { dir: 's>c', flags: RST, seq: 5001, s: 0.50002 },
      { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 500, s: 0.71, signed: true },
      { dir: 's>c', flags: ACK, seq: 5001, ack: 601, s: 0.71002, signed: true },
    ]);
    expect(c!.resets).toMatchObject([{ kind: 'out-of-window', inWindow: false, from: 'server', senderState: 'ESTABLISHED', receiverState: 'ESTABLISHED' }]);
    expect(c!.notes).toEqual([{ kind: 'unsigned', s: 0.50002, frame: 5, from: 'server', bytes: 0 }]);
    expect(c!.finalState).toEqual({ client: 'ESTABLISHED', server: 'ESTABLISHED' });
    expect(c!.close.kind).toBe('none');
    // The same RST signed (the server's own) closes both.
    const [own] = run([...SIGNED_HANDSHAKE, { dir: 's>c', flags: RST, seq: 5001, s: 0.5, signed: true }]);
    expect(own!.finalState).toEqual({ client: 'CLOSED', server: 'CLOSED' });
    expect(own!.notes).toEqual([]);
  });
  it("an unsigned segment is none of the signing side's own: a FIN in its name closes nothing, an ACK of the peer's FIN is not taken", () => {
    const fin = run([...SIGNED_HANDSHAKE, { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 101, s: 1 }, { dir: 'c>s', flags: ACK, seq: 101, ack: 5002, s: 1.1 }])[0]!;
    expect(fin.finalState).toEqual({ client: 'ESTABLISHED', server: 'ESTABLISHED' });
    expect(fin.close.kind).toBe('none');
    const ackOfFin = run([
      ...SIGNED_HANDSHAKE,
      { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1, signed: true },
      { dir: 's>c', flags: ACK, seq: 5001, ack: 102, s: 1.001 },
    ])[0]!;
    expect(states(ackOfFin, 'client')).toEqual(['CLOSED', 'SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1']);
    expect(ackOfFin.notes.map((n) => n.kind)).toEqual(['unsigned']);
  });
  it('a TIME_WAIT takes an unsigned RST (Linux checks no signature there), which its apparent sender did not send', () => {
    const [c] = run([...signed([...HANDSHAKE, ...CLIENT_CLOSES_THREE_WAY]), { dir: 's>c', flags: RST, seq: 5002, s: 1.20003 }]);
    expect(c!.timeWait).toMatchObject([{ side: 'client', end: 'reset', endS: 1.20003 }]);
    expect(c!.notes.map((n) => [n.kind, n.frame])).toEqual([['unsigned', 7]]);
    // md5-reject: the client's last ACK did not reach the server (REJECTed), which sends its FIN
    // again from LAST_ACK; the RST in its name closed the client only.
    const [lastAck] = run([
      ...signed([...HANDSHAKE, ...CLIENT_CLOSES_THREE_WAY]),
      { dir: 's>c', flags: RST, seq: 5002, s: 1.20003 },
      { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 102, s: 1.4, signed: true },
    ]);
    expect(lastAck!.finalState).toEqual({ client: 'CLOSED', server: 'LAST_ACK' });
    expect(lastAck!.states.server.map((e) => e.event)).not.toContain('send-rst');
    // A FIN_WAIT_2 is taken for a full socket, which discards it (sw39 r08, r20; an orphan with
    // the default tcp_fin_timeout would take it, r09, r19).
    const [fw2] = run([
      ...signed([...HANDSHAKE, { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1 }, { dir: 's>c', flags: ACK, seq: 5001, ack: 102, s: 1.001 }]),
      { dir: 's>c', flags: RST, seq: 5001, s: 1.5 },
    ]);
    expect(fw2!.finalState).toEqual({ client: 'FIN_WAIT_2', server: 'CLOSE_WAIT' });
    expect(fw2!.resets).toMatchObject([{ kind: 'out-of-window', inWindow: false }]);
  });
  it('a segment whose options the snap length cut may be signed past the cut: it is its sender\'s', () => {
    const [c] = run([...SIGNED_HANDSHAKE, { dir: 's>c', flags: RST, seq: 5001, s: 0.5, cut: true }]);
    expect(c!.notes).toEqual([]);
    expect(c!.finalState).toEqual({ client: 'CLOSED', server: 'CLOSED' });
  });
  it('only sides that sign from their first segment on make a signed connection: a lone signed segment is crafted', () => {
    // suricata-verify security-4710: an IDS evasion test sends one RST with an MD5 option inside
    // an unsigned connection; the server's data after it is the server's own.
    const [lone] = run([
      ...HANDSHAKE,
      { dir: 'c>s', flags: RST | ACK, seq: 101, ack: 5001, s: 0.1, signed: true },
      { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 100, s: 0.2 },
      { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 201, s: 0.3 },
    ]);
    expect(lone!.notes).toEqual([]);
    expect(states(lone!, 'server').at(-1)).toBe('FIN_WAIT_1');
    // A signed SYN answered by an unsigned RST (a closed port of a stack without the key): the
    // server does not sign, and the RST refuses the connection as any other.
    const [half] = run([
      { dir: 'c>s', flags: SYN, seq: 100, s: 0, signed: true },
      { dir: 's>c', flags: RST | ACK, seq: 0, ack: 101, s: 0.0001 },
    ]);
    expect(half!.notes).toEqual([]);
    expect(half!.handshake.kind).toBe('refused');
  });
});

describe('what the kernel does silently, inferred only when the capture shows it', () => {
  const synOnly = (times: number[]): Step[] => times.map((s) => ({ dir: 'c>s', flags: SYN, seq: 100, s }));
  /** A packet of another connection: the capture's clock goes on. */
  const tick = (s: number): Step => ({ dir: 'c>s', flags: SYN, seq: 1, s, clientPort: 40001 });

  it('a client that stops retransmitting its SYN gave up one doubled interval after the last copy', () => {
    // Not provable before 7 + 2 x 4 + slack: the next SYN could still come.
    expect(run([...synOnly([0, 1, 3, 7]), tick(15)])[0]!.finalState.client).toBe('SYN_SENT');
    const c = run([...synOnly([0, 1, 3, 7]), tick(20)])[0]!;
    expect(c.states.client.at(-1)).toMatchObject({ state: 'CLOSED', s: 15, frame: null, event: 'gave-up' });
  });

  it('a client that gave up and connects again from the same port gave up all the same (sw32 rc-30)', () => {
    // Its SYN/ACKs lost (the server's request gives up too): the application then binds the same
    // port and connects again, a SYN with a new ISN at 12 s that takes the four-tuple over.
    const steps: Step[] = [
      ...synOnly([0, 1, 3]),
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0.001 },
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 1.001 },
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 3.001 },
      { dir: 'c>s', flags: SYN, seq: 9000, s: 12 },
    ].sort((a, b) => a.s - b.s);
    const [old, fresh] = run(steps);
    expect(fresh!.states.client[1]).toMatchObject({ state: 'SYN_SENT', s: 12 });
    // The same as with the new SYN on another port: the old endpoints' timers, not the new SYN.
    const apart = run([...steps.slice(0, -1), { dir: 'c>s', flags: SYN, seq: 9000, s: 12, clientPort: 40001 }])[0]!;
    expect(apart.states.client.at(-1)).toMatchObject({ state: 'CLOSED', s: 7, event: 'gave-up' });
    expect(old!.states.client.at(-1)).toEqual(apart.states.client.at(-1));
    expect(old!.states.server.at(-1)).toEqual(apart.states.server.at(-1));
    expect(old!.states.server.at(-1)).toMatchObject({ state: 'CLOSED', event: 'gave-up' });
    // A new SYN before the timers ran out ends the old one at the SYN, as before.
    const early = run([...steps.slice(0, -1), { dir: 'c>s', flags: SYN, seq: 9000, s: 5 }])[0]!;
    expect(early.states.client.at(-1)).toMatchObject({ state: 'CLOSED', s: 5, event: 'reused' });
  });

  it('in the linear phase (tcp_syn_linear_timeouts) the last wait is one interval', () => {
    const c = run([...synOnly([0, 1, 2, 3]), tick(10)])[0]!;
    expect(c.states.client.at(-1)).toMatchObject({ s: 4, event: 'gave-up' });
  });

  it('after five equal intervals the linear phase is over: the last wait doubles (Linux: total_rto > tcp_syn_linear_timeouts)', () => {
    // SYNs at 0-5 s, 1 s apart (tcp_syn_linear_timeouts=4 adds its timeouts to tcp_syn_retries=2,
    // fixtures/router-reject-synack): the RTO doubles after the fifth timeout, so the kernel gives
    // up 2 s after the last SYN.
    expect(run([...synOnly([0, 1, 2, 3, 4]), tick(12)])[0]!.states.client.at(-1)).toMatchObject({ s: 5, event: 'gave-up' });
    expect(run([...synOnly([0, 1, 2, 3, 4, 5]), tick(12)])[0]!.states.client.at(-1)).toMatchObject({ s: 7, event: 'gave-up' });
  });

  it('copies whose interval stopped doubling reached the timer\'s cap: the last wait is that interval (TCP_RTO_MAX, tcp_rto_max_ms; sw38)', () => {
    // tcp_rto_max_ms=1500: SYNs 1 s apart in the linear phase, then 1.5 s apart; gone 1.5 s
    // after the last (syn-cap: ss lost it 1.48-1.52 s after).
    expect(run([...synOnly([0, 1, 2, 3, 4, 5, 6.5, 8, 9.5]), tick(15)])[0]!.states.client.at(-1)).toMatchObject({ s: 11, event: 'gave-up' });
    // The same for data sent again (data-cap-r8: copies 0.2, 0.4, 0.8, then 1 s apart).
    const data: Step[] = [...HANDSHAKE, ...[0.5, 0.7, 0.9, 1.3, 2.1, 3.1, 4.1, 5.1].map((s): Step => ({ dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 10, s }))];
    expect(run([...data, tick(9)])[0]!.states.client.at(-1)).toMatchObject({ state: 'CLOSED', s: 6.1, event: 'gave-up' });
    // Shown once the capture runs one capped interval (and slack) past the last copy, not two
    // (fixtures/retries-capped: the server's data, 1.68 s after the last copy, got the no-socket
    // RST).
    expect(run([...data, tick(6.3)])[0]!.states.client.at(-1)).toMatchObject({ state: 'ESTABLISHED' });
    expect(run([...data, tick(6.4)])[0]!.states.client.at(-1)).toMatchObject({ state: 'CLOSED', s: 6.1, event: 'gave-up' });
    // SYN_SENT's equal intervals may be a linear phase shorter than the default: there the
    // doubled interval must pass.
    expect(run([...synOnly([0, 1, 2, 3]), tick(5.2)])[0]!.states.client.at(-1)).toMatchObject({ state: 'SYN_SENT' });
    // A capped SYN/ACK timer (120 s) likewise.
    const synAcks: Step[] = [{ dir: 'c>s', flags: SYN, seq: 100, s: 0 }, ...[0, 1, 3, 7, 15, 31, 63, 127, 247, 367].map((s): Step => ({ dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s }))];
    expect(run([...synAcks, tick(800)])[0]!.states.server.at(-1)).toMatchObject({ state: 'CLOSED', s: 487, event: 'gave-up' });
  });

  it('a bare RST answering the peer\'s segment, at its ack, shows the side sending again had given up: dated by its copies (sw39 r02)', () => {
    // The server's data sent again 0.2, 0.4, 0.8, 1.6 s apart, unanswered: its timer gives up at
    // 7.2 s. The client's data at 7.4 s, before the capture ran 0.4 s of slack past that, draws a
    // bare RST at the client's ack: the server's host has no socket.
    const data: Step[] = [...HANDSHAKE, ...[1, 1.2, 1.6, 2.4, 4].map((s): Step => ({ dir: 's>c', flags: ACK | PSH, seq: 5001, ack: 101, len: 10, s }))];
    const answered = [...data, { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 10, s: 7.4 }] satisfies Step[];
    const c = run([...answered, { dir: 's>c', flags: RST, seq: 5001, s: 7.4001 }])[0]!;
    expect(c.states.server.at(-1)).toMatchObject({ state: 'CLOSED', s: 7.2, frame: null, event: 'gave-up' });
    expect(c.resets).toMatchObject([{ kind: 'after-close', senderState: 'CLOSED' }]);
    // Nothing shows it before the reply; a RST+ACK (a live socket's abort) shows nothing.
    expect(run(answered)[0]!.states.server.at(-1)).toMatchObject({ state: 'ESTABLISHED' });
    const abort = run([...answered, { dir: 's>c', flags: RST | ACK, seq: 5011, ack: 111, s: 7.4001 }])[0]!;
    expect(abort.states.server.at(-1)).toMatchObject({ state: 'CLOSED', s: 7.4001, event: 'send-rst' });
  });

  it('an ACK sent between the last FIN copy and the give-up (entering CLOSING) does not hold the give-up off', () => {
    // tcp_orphan_retries=1 (the sweep's seed 11): the client's FIN and its copies are lost; the
    // server's FIN crosses them and the client acknowledges it, going to CLOSING. The kernel
    // drops the socket one doubled interval after the last copy all the same; only something sent
    // after that shows it did not.
    const steps: Step[] = [
      ...HANDSHAKE,
      { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1 },
      { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1.2 },
      { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1.6 },
      { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 101, s: 1.7 },
      { dir: 'c>s', flags: ACK, seq: 102, ack: 5002, s: 1.7001 },
    ];
    const c = run([...steps, tick(4)])[0]!;
    expect(states(c, 'client').slice(-2)).toEqual(['CLOSING', 'CLOSED']);
    expect(c.states.client.at(-1)).toMatchObject({ s: 2.4, frame: null, event: 'gave-up' });
    // An ACK after the give-up time: the socket was still there.
    const alive = run([...steps, { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 101, s: 2.5 }, { dir: 'c>s', flags: ACK, seq: 102, ack: 5002, s: 2.5001 }, tick(4)])[0]!;
    expect(alive.finalState.client).toBe('CLOSING');
    // A FIN sent again 1.25 ms later and an ACK after it (macOS, when the peer's FIN comes in
    // FIN_WAIT_1; zeek's ssh.client-side-half-duplex): not the timer's copies, so the ACK holds.
    const bsd = run([
      ...HANDSHAKE,
      { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1 },
      { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1.00125 },
      { dir: 'c>s', flags: ACK, seq: 102, ack: 5002, s: 1.00165 },
      tick(4),
    ])[0]!;
    expect(bsd.states.client.map((e) => e.event)).not.toContain('gave-up');
  });

  it('a SYN/ACK sent once and never retransmitted long after the 1 s RTO was a syncookie: no SYN_RECEIVED', () => {
    const steps: Step[] = [{ dir: 'c>s', flags: SYN, seq: 100, s: 0 }, { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0.001 }];
    expect(run([...steps, tick(1)])[0]!.finalState.server).toBe('SYN_RECEIVED'); // too soon to tell
    expect(run([...steps, tick(5)])[0]!.states.server.map((e) => e.state)).toEqual(['LISTEN']);
  });

  it('a syncookie acknowledged seconds later and taken: the socket is made then, from LISTEN', () => {
    // tcp_syncookies=2, the client's ACK lost before the wire; its data at 4 s returns the cookie
    // and the server acknowledges it (the sweep's cookies2-ack-dropped-data: ss shows no server
    // socket until then).
    const steps: Step[] = [
      { dir: 'c>s', flags: SYN, seq: 100, s: 0 },
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0.001 },
      { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 17, s: 4 },
    ];
    const taken = run([...steps, { dir: 's>c', flags: ACK, seq: 5001, ack: 118, s: 4.0001 }])[0]!;
    expect(taken.states.server.map((e) => `${e.state}@${e.s}`)).toEqual(['LISTEN@0', 'ESTABLISHED@4']);
    expect(taken.handshake.kind).toBe('complete');
    // Answered with a RST, the late ACK was not a cookie's: the history stays as it was.
    const refused = run([...steps, { dir: 's>c', flags: RST, seq: 5001, s: 4.0001 }])[0]!;
    expect(states(refused, 'server')).toEqual(['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'CLOSED']);
    // Acknowledged within the 1 s RTO: an ordinary request.
    const prompt = run([{ dir: 'c>s', flags: SYN, seq: 100, s: 0 }, { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0.001 }, { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 17, s: 0.5 }, tick(5)])[0]!;
    expect(states(prompt, 'server')).toEqual(['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED']);
  });

  describe('what arrives after an endpoint gave up finds it gone', () => {
    // tcp_synack_retries=2, the client's ACK lost before the wire: SYN/ACKs at 0, 1, 3 s; the
    // request is dropped at 7 s; the client's data at 9 s gets a bare RST (the sweep's
    // synack-r2-ack-dropped-nodata-expire: ss shows no server socket from 7 s).
    const opening: Step[] = [
      { dir: 'c>s', flags: SYN, seq: 100, s: 0 },
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0.001 },
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 1.001 },
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 3.001 },
      { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 17, s: 9 },
    ];
    it('a SYN_RECEIVED server: given up at its timer, the handshake half-open, the RST no abort', () => {
      const c = run([...opening, { dir: 's>c', flags: RST, seq: 5001, s: 9.0001 }])[0]!;
      expect(c.states.server.slice(-1)).toEqual([{ state: 'CLOSED', s: 7.001, frame: null, event: 'gave-up' }]);
      expect(states(c, 'server')).toEqual(['LISTEN', 'SYN_RECEIVED', 'CLOSED']);
      expect(c.handshake).toMatchObject({ kind: 'half-open', ackS: null });
      expect(c.resets[0]).toMatchObject({ kind: 'after-close', senderState: 'CLOSED' });
    });
    it('unless it answers as a live socket would: then it had not given up', () => {
      const c = run([...opening, { dir: 's>c', flags: ACK, seq: 5001, ack: 118, s: 9.0001 }])[0]!;
      expect(states(c, 'server')).toEqual(['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED']);
      expect(c.handshake.kind).toBe('complete');
    });
    it('before its timer ran out, it takes what comes', () => {
      const early = opening.map((st) => (st.s === 9 ? { ...st, s: 6.5 } : st));
      const c = run([...early, { dir: 's>c', flags: RST, seq: 5001, s: 6.5001 }])[0]!;
      expect(states(c, 'server')).toEqual(['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'CLOSED']);
      expect(c.handshake.kind).toBe('complete');
    });
    it('an orphan in FIN_WAIT_1 is gone at its give-up, not at the RST that answers the peer later', () => {
      const c = run([
        ...HANDSHAKE,
        { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1 },
        { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1.2 },
        { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1.6 },
        { dir: 's>c', flags: ACK | PSH, seq: 5001, ack: 101, len: 10, s: 5 },
        { dir: 'c>s', flags: RST, seq: 102, s: 5.0001 },
      ])[0]!;
      expect(c.states.client.slice(-2)).toEqual([
        { state: 'FIN_WAIT_1', s: 1, frame: 4, event: 'send-fin' },
        { state: 'CLOSED', s: 2.4, frame: null, event: 'gave-up' },
      ]);
    });
  });

  it('a SYN/ACK sent at once in answer to a SYN sent again does not shorten the back-off (the seed lab: SYN_RCVD)', () => {
    // iptables drops what the server sends: the client sends its SYN again, the server answers
    // each with a SYN/ACK microseconds after its timer's own copy (Linux restarts the request's
    // timer on a SYN sent again). The back-off is the timer's, 16 s before the last pair.
    const steps: Step[] = [{ dir: 'c>s', flags: SYN, seq: 100, s: 0 }, { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0 }];
    for (const t of [1, 3, 7, 15, 31]) {
      steps.push({ dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: t });
      steps.push({ dir: 'c>s', flags: SYN, seq: 100, s: t + 0.000007 });
      steps.push({ dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: t + 0.000015 });
    }
    const server = (end: number) => run([...steps, tick(end)])[0]!.states.server.at(-1);
    expect(server(60)).toMatchObject({ state: 'SYN_RECEIVED' });
    expect(server(70)).toMatchObject({ state: 'CLOSED', event: 'gave-up' });
    expect(server(70)!.s).toBeCloseTo(63, 3);
  });

  it("an opening's timer runs in whole seconds: the next one is due 2^k s on, plus part of the lateness seen", () => {
    // SYN/ACKs 1.028 s apart (a 1 s timer that went off 28 ms late): given up 2.014 s after the
    // last, not 2.056 s (the sweep's synack-r1-ack-dropped-expire-data: ss lost it 2.004-2.016 s after).
    const synAckSentAgainAt = (again: number, end: number) => run([
      { dir: 'c>s', flags: SYN, seq: 100, s: 0 },
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0 },
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: again },
      tick(end),
    ])[0]!.states.server.at(-1);
    expect(synAckSentAgainAt(1.028, 6)).toMatchObject({ state: 'CLOSED', s: 3.042, event: 'gave-up' });
    // Another stack's 3 s timer (no power of two) is doubled as it is.
    expect(synAckSentAgainAt(3, 12)).toMatchObject({ state: 'CLOSED', s: 9, event: 'gave-up' });
  });

  describe('data sent again on a backing-off timer, then nothing: the socket gave up with its data (tcp_retries2; sw35 rto-r3-c)', () => {
    // The client's request is never acknowledged: the same segment again 0.2, 0.4, 0.8, 1.6 s
    // apart, the last at 3.7 s; the next was due 3.2 s later.
    const unanswered: Step[] = [...HANDSHAKE, ...[0.5, 0.7, 0.9, 1.3, 2.1, 3.7].map((s): Step => ({ dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 10, s }))];
    const client = (steps: Step[]) => run(steps)[0]!.states.client.at(-1);
    it('gone one doubled interval after the last copy, once the capture runs past the next copy\'s latest due time', () => {
      expect(client([...unanswered, tick(7)])).toMatchObject({ state: 'ESTABLISHED' });
      expect(client([...unanswered, tick(8)])).toMatchObject({ state: 'CLOSED', frame: null, event: 'gave-up' });
      expect(client([...unanswered, tick(8)])!.s).toBeCloseTo(6.9, 9);
    });
    it('the server\'s FIN later finds no socket: the RST answering it is after-close, the client CLOSED since its give-up', () => {
      const [c] = run([...unanswered, { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 101, s: 9 }, { dir: 'c>s', flags: RST, seq: 101, s: 9.00005 }]);
      expect(c!.states.client.slice(-2).map((t) => [t.state, t.event])).toEqual([['ESTABLISHED', 'recv-syn-ack'], ['CLOSED', 'gave-up']]);
      expect(c!.states.client.at(-1)!.s).toBeCloseTo(6.9, 9);
      expect(c!.resets[0]).toMatchObject({ from: 'client', kind: 'after-close', senderState: 'CLOSED' });
      // So does its data, which needs nothing else of the tracker (fixtures/retries-abort).
      const [d] = run([...unanswered, { dir: 's>c', flags: ACK | PSH, seq: 5001, ack: 101, len: 20, s: 9 }, { dir: 'c>s', flags: RST, seq: 101, s: 9.00002 }]);
      expect(d!.states.client.at(-1)).toMatchObject({ state: 'CLOSED', event: 'gave-up' });
      expect(d!.resets[0]).toMatchObject({ kind: 'after-close', senderState: 'CLOSED' });
    });
    it('not when the server acknowledged it, nor when the client sent anything after the give-up was due, nor for copies of different segments', () => {
      expect(client([...unanswered, { dir: 's>c', flags: ACK, seq: 5001, ack: 111, s: 3.8 }, tick(9)])).toMatchObject({ state: 'ESTABLISHED' });
      expect(client([...unanswered, { dir: 'c>s', flags: ACK, seq: 111, ack: 5001, s: 7.5 }, tick(9)])).toMatchObject({ state: 'ESTABLISHED' });
      // Each copy of another segment (a recovery moving along): no run of one to date anything.
      const moving: Step[] = [...HANDSHAKE, ...[0, 1, 2, 3, 4].map((i): Step => ({ dir: 'c>s', flags: ACK, seq: 101 + 10 * i, ack: 5001, len: 10, s: 0.5 + 0.01 * i }))];
      for (const [i, s] of [[0, 0.7], [1, 0.9], [2, 1.3], [3, 2.1], [4, 3.7]] as const) moving.push({ dir: 'c>s', flags: ACK, seq: 101 + 10 * i, ack: 5001, len: 10, s });
      expect(run([...moving, tick(9)])[0]!.retransmits.clientToServer).toBe(5);
      expect(client([...moving, tick(9)])).toMatchObject({ state: 'ESTABLISHED' });
    });
  });

  describe('zero-window probes on a backing-off timer, then nothing: the socket gave up (tcp_retries2, tcp_orphan_retries; sw35 zw-*)', () => {
    // The server acknowledges the client's 1000 bytes and closes its window; the client probes
    // (a bare ACK one below all it sent) 0.44 and 0.88 s apart, the first answered, the rest not.
    const probe = (s: number): Step => ({ dir: 'c>s', flags: ACK, seq: 1100, ack: 5001, s });
    const closed: Step[] = [
      ...HANDSHAKE,
      { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 1000, s: 0.1 },
      { dir: 's>c', flags: ACK, seq: 5001, ack: 1101, win: 0, s: 0.15 },
    ];
    const probing: Step[] = [...closed, probe(0.36), { dir: 's>c', flags: ACK, seq: 5001, ack: 1101, win: 0, s: 0.3601 }, probe(0.8), probe(1.68)];
    const client = (steps: Step[]) => run(steps)[0]!.states.client.at(-1);
    it('gone one doubled interval after the last probe, once the capture runs past the next one\'s latest due time', () => {
      expect(client([...probing, tick(3.5)])).toMatchObject({ state: 'ESTABLISHED' });
      expect(client([...probing, tick(4)])).toMatchObject({ state: 'CLOSED', frame: null, event: 'gave-up' });
      expect(client([...probing, tick(4)])!.s).toBeCloseTo(3.44, 9);
      // Probes no longer doubling reached the timer's cap: the next interval is the last one.
      expect(client([...probing, probe(2.6), tick(5)])!.s).toBeCloseTo(3.52, 9);
    });
    it('the server\'s window update later finds no socket: the RST answering it is after-close', () => {
      const [c] = run([...probing, { dir: 's>c', flags: ACK, seq: 5001, ack: 1101, s: 9 }, { dir: 'c>s', flags: RST, seq: 1101, s: 9.00003 }]);
      expect(c!.states.client.at(-1)).toMatchObject({ state: 'CLOSED', event: 'gave-up' });
      expect(c!.states.client.at(-1)!.s).toBeCloseTo(3.44, 9);
      expect(c!.resets[0]).toMatchObject({ from: 'client', kind: 'after-close', senderState: 'CLOSED' });
    });
    it('not while the server answers them and they go on, nor once the window opened and data followed, nor for keep-alives into an open window', () => {
      const answered: Step[] = [...closed];
      for (const s of [0.36, 0.8, 1.68, 3.44, 6.96]) answered.push(probe(s), { dir: 's>c', flags: ACK, seq: 5001, ack: 1101, win: 0, s: s + 0.0001 });
      expect(client([...answered, tick(9)])).toMatchObject({ state: 'ESTABLISHED' });
      const opened: Step[] = [...probing, { dir: 's>c', flags: ACK, seq: 5001, ack: 1101, s: 2 }, { dir: 'c>s', flags: ACK | PSH, seq: 1101, ack: 5001, len: 100, s: 2.0001 },
        { dir: 's>c', flags: ACK, seq: 5001, ack: 1201, s: 2.0002 }];
      expect(client([...opened, tick(9)])).toMatchObject({ state: 'ESTABLISHED' });
      // The same bare ACKs one below all it sent, the server's window open: keep-alives.
      const keepAlives: Step[] = [...HANDSHAKE, { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 1000, s: 0.1 },
        { dir: 's>c', flags: ACK, seq: 5001, ack: 1101, s: 0.15 }, probe(0.36), probe(0.8), probe(1.68)];
      expect(client([...keepAlives, tick(9)])).toMatchObject({ state: 'ESTABLISHED' });
    });
    it('not when the window was never seen closed: a capture of the client alone, or a RST\'s window field', () => {
      const oneSided: Step[] = [HANDSHAKE[0]!, HANDSHAKE[2]!, { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 1000, s: 0.1 }, probe(0.36), probe(0.8), probe(1.68)];
      expect(client([...oneSided, tick(9)])).toMatchObject({ state: 'ESTABLISHED' });
      // A RST out of the client's window (win 0, as RSTs are) leaves it open; its keep-alives follow.
      const afterRst: Step[] = [...closed.slice(0, -1), { dir: 's>c', flags: ACK, seq: 5001, ack: 1101, s: 0.15 },
        { dir: 's>c', flags: RST, seq: 9000, win: 0, s: 0.2 }, probe(0.36), probe(0.8), probe(1.68)];
      expect(client([...afterRst, tick(9)])).toMatchObject({ state: 'ESTABLISHED' });
    });
  });
});

describe('when a retransmitted FIN was received', () => {
  // The server's data+FIN, sent again 30 ms later because the client's ACK was slow (memory
  // pressure, the sweep's runs2/s0003): the client reports the second copy as a duplicate.
  const steps = (sack: Partial<Step>): Step[] => [
    ...HANDSHAKE,
    { dir: 's>c', flags: FIN | ACK | PSH, seq: 5001, ack: 101, len: 76, s: 1.1 },
    { dir: 's>c', flags: FIN | ACK | PSH, seq: 5001, ack: 101, len: 76, s: 1.13 },
    { dir: 'c>s', flags: ACK, seq: 101, ack: 5078, s: 1.1301, ...sack },
  ];
  const closeWait = (c: ConnectionReport) => c.states.client.find((e) => e.state === 'CLOSE_WAIT');
  it('at its first copy when the ACK reports the last copy with a D-SACK (RFC 2883)', () => {
    expect(closeWait(run(steps({ dsack: [5001, 5078] }))[0]!)).toMatchObject({ s: 1.1, frame: 4 });
  });
  it('at its last copy otherwise (the first may have been lost)', () => {
    expect(closeWait(run(steps({}))[0]!)).toMatchObject({ s: 1.13, frame: 5 });
    // A D-SACK of other data proves nothing about the FIN.
    expect(closeWait(run(steps({ dsack: [4000, 4100] }))[0]!)).toMatchObject({ s: 1.13, frame: 5 });
  });
  it('at its last copy when the network delivered that copy twice: the D-SACK reports the duplicate', () => {
    const s = steps({ dsack: [5001, 5078] });
    const dup: Step = { ...s[4]!, s: 1.1305, duplicate: true };
    expect(closeWait(run([...s.slice(0, 5), dup, s[5]!])[0]!)).toMatchObject({ s: 1.13, frame: 5 });
  });
});

describe('a SYN/ACK sent again by its timer as the ACK came in', () => {
  it('crossed the ACK, which completed the handshake; the data lost after it refuses nothing', () => {
    const [c] = run([
      { dir: 'c>s', flags: SYN, seq: 100, s: 0 },
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0.0001 }, // lost past the capture point
      { dir: 'c>s', flags: SYN, seq: 100, s: 1.0155 }, // the client's timer
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 1.01554 }, // its answer
      { dir: 'c>s', flags: ACK, seq: 101, ack: 5001, s: 1.01558 },
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 1.0156 }, // the server's timer, 20 us later
      { dir: 'c>s', flags: ACK, seq: 101, ack: 5001, s: 1.01561 },
      { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 28, s: 1.0164 }, // lost
      { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 28, s: 3.29 }, // sent again
      { dir: 's>c', flags: ACK, seq: 5001, ack: 129, s: 3.2901 },
    ]);
    expect(c!.states.server.find((e) => e.state === 'ESTABLISHED')).toMatchObject({ frame: 5, s: 1.01558 });
  });
  it('but one sent again a timer later shows the ACK before it was not taken', () => {
    const [c] = run([
      { dir: 'c>s', flags: SYN, seq: 100, s: 0 },
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0.0001 },
      { dir: 'c>s', flags: ACK, seq: 101, ack: 5001, s: 0.0002 }, // dropped by a full accept queue
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 1.0001 },
    ]);
    expect(states(c!, 'server')).toEqual(['LISTEN', 'SYN_RECEIVED']);
  });
});

describe('which SYN/ACK copy the client took', () => {
  // SPEC section 3: a receipt is dated at the last copy seen before its proof. (A client whose
  // ACK is dropped before the wire took the first copy, as ss shows; nothing captured says so:
  // fixtures/synack-retries-expired records that window as unseen.)
  it('the last one before its proof, even with no SYN sent again in between', () => {
    const synAck = (s: number): Step => ({ dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s });
    const c = run([
      { dir: 'c>s', flags: SYN, seq: 100, s: 0 },
      synAck(0.001),
      synAck(1.001),
      { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 10, s: 1.5 },
    ])[0]!;
    expect(c.states.client.find((e) => e.state === 'ESTABLISHED')).toMatchObject({ s: 1.001, frame: 3 });
  });
});

describe('a full accept queue (tcp_abort_on_overflow=0) drops the handshake ACK and keeps the request', () => {
  // The sweep's ackovf-b2-ab0-ck0-data-late: the ACK and the data are dropped, the SYN/ACK goes
  // out again, its duplicate ACK and the data sent again are dropped too, until accept() makes
  // room: ss shows the server SYN-RECV until the copy the server acknowledges.
  const opening: Step[] = [
    { dir: 'c>s', flags: SYN, seq: 100, s: 0 },
    { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0.05 },
    { dir: 'c>s', flags: ACK, seq: 101, ack: 5001, s: 0.1 },
    { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 17, s: 0.1001 },
    { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 17, s: 0.42 },
  ];
  const answered = (steps: Step[], s: number) => [
    ...steps,
    { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 17, s },
    { dir: 's>c', flags: ACK, seq: 5001, ack: 118, s: s + 0.05 },
  ] satisfies Step[];
  it('data sent again with the server silent since a SYN/ACK it had to send again: the ACK was dropped too', () => {
    const steps: Step[] = [
      ...opening,
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 1.05 },
      { dir: 'c>s', flags: ACK, seq: 101, ack: 5001, s: 1.1 },
      { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 17, s: 1.4 },
    ];
    const c = run(answered(steps, 3.1))[0]!;
    expect(c.states.server.map((e) => `${e.state}@${e.s}`)).toEqual(['LISTEN@0', 'SYN_RECEIVED@0', 'ESTABLISHED@3.1']);
  });
  it('not when no ACK was refused before (the data alone was lost): the first ACK completed it', () => {
    const c = run(answered(opening, 0.75))[0]!;
    expect(c.states.server.map((e) => `${e.state}@${e.s}`)).toEqual(['LISTEN@0', 'SYN_RECEIVED@0', 'ESTABLISHED@0.1']);
  });
});

describe('data sent again after the request\'s SYN/ACK timer lapsed (sw34, no timestamps: the data timer backs off past the request\'s)', () => {
  // The first ACK and the data are lost at the server; its timer sends the SYN/ACK again at 1 s,
  // the client acknowledges it; the data is lost twice more (sent again at 4 s and 10 s). A
  // request still waiting would have sent its SYN/ACK again by ~3 s.
  const opening: Step[] = [
    { dir: 'c>s', flags: SYN, seq: 100, s: 0 },
    { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0.001 },
    { dir: 'c>s', flags: ACK, seq: 101, ack: 5001, s: 0.002 },
    { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 28, s: 0.003 },
    { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 1.001 },
    { dir: 'c>s', flags: ACK, seq: 101, ack: 5001, s: 1.0011 },
    { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 28, s: 4 },
    { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 28, s: 10 },
  ];

  it('the server acknowledging the data shows the ACK after the last SYN/ACK was taken (nt-rs-40b)', () => {
    const [c] = run([...opening, { dir: 's>c', flags: ACK, seq: 5001, ack: 129, s: 10.0001 }]);
    expect(c!.states.server.find((e) => e.state === 'ESTABLISHED')).toMatchObject({ s: 1.0011, frame: 6 });
    expect(c!.states.server.map((e) => e.event)).not.toContain('gave-up');
  });

  it('a bare RST shows the request had given up: that ACK was lost too (ns-cf-fwd30)', () => {
    const [c] = run([...opening, { dir: 's>c', flags: RST, seq: 5001, s: 10.0001 }]);
    expect(states(c!, 'server')).toEqual(['LISTEN', 'SYN_RECEIVED', 'CLOSED']);
    expect(c!.states.server.at(-1)).toMatchObject({ event: 'gave-up', frame: null });
  });
});

describe('the handshake completed by an ACK ahead of the data the server never got (sw36 da-drop-long)', () => {
  // TCP_DEFER_ACCEPT keeps the request past the first ACK; the client's data is lost on its way
  // each time; the SYN/ACK sent again after the wait is answered by a pure ACK at the client's
  // snd_nxt (seq 151: past the lost data, in the window), which Linux takes. The server's FIN
  // acknowledges nothing past the SYN: it never got the data segments sent after that ACK.
  const steps: Step[] = [
    { dir: 'c>s', flags: SYN, seq: 100, s: 0 },
    { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0.0001 },
    { dir: 'c>s', flags: ACK, seq: 101, ack: 5001, s: 0.0002 },
    { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 50, s: 0.09 },
    { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 50, s: 0.3 },
    { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 1.0 },
    { dir: 'c>s', flags: ACK, seq: 151, ack: 5001, s: 1.0001 },
    { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 50, s: 1.8 },
    { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 50, s: 3.4 },
  ];
  const established = (c: ConnectionReport) => c.states.server.find((e) => e.state === 'ESTABLISHED');

  it('a server answer that covers none of the data: the pure ACK completed the handshake', () => {
    const [c] = run([...steps, { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 101, s: 4.6 }]);
    expect(established(c!)).toMatchObject({ s: 1.0001, frame: 7, event: 'recv-ack-of-syn' });
  });
  it('the latest such ACK before the answer, though data sent again came after it', () => {
    const [c] = run([
      ...steps.slice(0, 8),
      { dir: 'c>s', flags: ACK, seq: 151, ack: 5001, s: 2.0 },
      { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 101, s: 2.5 },
    ]);
    expect(established(c!)).toMatchObject({ s: 2.0, frame: 9 });
  });
  it('not when the answer acknowledges the data: a data segment may have completed it', () => {
    const [c] = run([...steps, { dir: 's>c', flags: ACK, seq: 5001, ack: 151, s: 3.4001 }]);
    expect([8, 9]).toContain(established(c!)!.frame);
  });
  it('not a pure ACK the SYN/ACK sent again after it showed lost', () => {
    const [c] = run([
      ...steps.slice(0, 8),
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 3.0 },
      { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 50, s: 3.4 },
      { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 101, s: 4.6 },
    ]);
    expect(established(c!)!.frame).toBeGreaterThan(9);
  });
});

describe('FINs sent again, crossing each other', () => {
  // A simultaneous close seen mid-path (50 ms round trip to each side, the sweep's sc-d25-ackin):
  // the FINs cross, each side's ACK of the other's FIN is lost, and both send their FIN again,
  // each copy acknowledging the other's FIN. Linux takes each copy's ACK: CLOSING -> TIME_WAIT.
  const close: Step[] = [
    { dir: 'c>s', flags: SYN, seq: 100, s: 0 },
    { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0.05 },
    { dir: 'c>s', flags: ACK, seq: 101, ack: 5001, s: 0.1 },
    { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 101, s: 1 },
    { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1.0001 },
    { dir: 'c>s', flags: ACK, seq: 102, ack: 5002, s: 1.05 },
    { dir: 's>c', flags: ACK, seq: 5002, ack: 102, s: 1.05001 },
  ];
  const copies: Step[] = [
    { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5002, s: 1.35 },
    { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 102, s: 1.35002 },
  ];
  it("a FIN sent again acknowledges the peer's FIN as a pure ACK would; one that crossed the peer's copy is not taken back by it", () => {
    const c = run([...close, ...copies])[0]!;
    expect(states(c, 'client').slice(-3)).toEqual(['FIN_WAIT_1', 'CLOSING', 'TIME_WAIT']);
    expect(states(c, 'server').slice(-3)).toEqual(['FIN_WAIT_1', 'CLOSING', 'TIME_WAIT']);
    // The client took the ACK on the server's copy; the server the one on the client's copy,
    // which crossed its own (20 us apart, against 50 ms from the capture point to it and back).
    expect(c.states.client.at(-1)).toMatchObject({ state: 'TIME_WAIT', frame: 9, event: 'recv-ack-of-fin' });
    expect(c.states.server.at(-1)).toMatchObject({ state: 'TIME_WAIT', frame: 8, event: 'recv-ack-of-fin' });
    expect(c.close.kind).toBe('simultaneous');
  });
  it('an ACK captured long before the copy (more than the round trip) was lost: the copy takes it back', () => {
    const late = [copies[0]!, { ...copies[1]!, s: 1.6 }];
    const c = run([...close, ...late])[0]!;
    expect(c.states.server.at(-1)).toMatchObject({ state: 'CLOSING' });
    expect(c.states.client.at(-1)).toMatchObject({ state: 'TIME_WAIT', frame: 9 });
  });
});

describe('one-sided captures (a tap that sees one direction only)', () => {
  it('client side only: its ACK after the SYN shows the SYN/ACK came, unseen', () => {
    const [c] = run([
      { dir: 'c>s', flags: SYN, seq: 100, s: 0 },
      { dir: 'c>s', flags: ACK, seq: 101, ack: 5001, s: 0.01 },
      { dir: 'c>s', flags: ACK | 0x08, seq: 101, ack: 5001, len: 50, s: 0.02 },
    ]);
    expect(c!.handshake.kind).toBe('complete');
    expect(c!.handshake.synAckS).toBeNull();
    expect(c!.states.client.map((e) => e.state)).toEqual(['CLOSED', 'SYN_SENT', 'ESTABLISHED']);
    expect(c!.states.server.map((e) => e.state)).toEqual(['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED']);
    expect(c!.notes.map((n) => n.kind)).toEqual(['syn-ack-not-captured']);
  });
  it('server side only: acknowledging client data shows both sides synchronized', () => {
    const [c] = run([
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0 },
      { dir: 's>c', flags: ACK, seq: 5001, ack: 181, s: 0.05 },
    ]);
    expect(c!.handshake.kind).toBe('midstream');
    expect(c!.states.client.map((e) => `${e.state}@${e.frame}`)).toEqual(['SYN_SENT@1', 'ESTABLISHED@1']);
    expect(c!.states.server.map((e) => `${e.state}@${e.frame}`)).toEqual(['SYN_RECEIVED@1', 'ESTABLISHED@2']);
  });
  it('an ACK of only the SYN proves nothing more (the server may send data in SYN_RECEIVED)', () => {
    const [c] = run([
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0 },
      { dir: 's>c', flags: ACK | 0x08, seq: 5001, ack: 101, len: 80, s: 0.05 },
    ]);
    expect(c!.finalState).toEqual({ client: 'SYN_SENT', server: 'SYN_RECEIVED' });
  });
});

describe('handshakes', () => {
  it('TCP Fast Open: a SYN/ACK acknowledging the SYN\'s data (accepted) or only the SYN (declined) is valid', () => {
    for (const ack of [111, 101]) {
      const [c] = run([
        { dir: 'c>s', flags: SYN, seq: 100, len: 10, s: 0 },
        { dir: 's>c', flags: SYN | ACK, seq: 5000, ack, s: 0.01 },
        { dir: 'c>s', flags: ACK, seq: 111, ack: 5001, s: 0.02 },
      ]);
      expect(c!.handshake.kind).toBe('complete');
      expect(c!.finalState).toEqual({ client: 'ESTABLISHED', server: 'ESTABLISHED' });
      expect(c!.notes.map((n) => n.kind)).toEqual(['syn-data']);
    }
    // Acknowledging more than the SYN carried is invalid.
    const [bad] = run([{ dir: 'c>s', flags: SYN, seq: 100, len: 10, s: 0 }, { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 112, s: 0.01 }]);
    expect(bad!.handshake.kind).toBe('invalid');
  });
  it('a SYN/ACK that does not acknowledge ISN + 1 is invalid', () => {
    const [c] = run([
      { dir: 'c>s', flags: SYN, seq: 100, s: 0 },
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 777, s: 0.01 },
      { dir: 'c>s', flags: RST, seq: 777, s: 0.02 },
    ]);
    expect(c!.handshake.kind).toBe('invalid');
    expect(states(c!, 'client')).not.toContain('ESTABLISHED');
  });
  it('a retransmitted SYN (same ISN) stays in the connection; a new ISN after the close starts the next one', () => {
    const conns = run([
      { dir: 'c>s', flags: SYN, seq: 100, s: 0 },
      { dir: 'c>s', flags: SYN, seq: 100, s: 1 },
      { dir: 's>c', flags: RST | ACK, seq: 0, ack: 101, s: 1.01 },
      { dir: 'c>s', flags: SYN, seq: 9000, s: 2 },
    ]);
    expect(conns).toHaveLength(2);
    expect(conns[0]!.handshake).toMatchObject({ kind: 'refused', synRetransmits: [1], synRetransmitIntervalsS: [1] });
    expect(conns[1]!.handshake.synS).toBe(2);
  });
  it('with no SYN seen, the connection is midstream and both sides start ESTABLISHED; the larger port is the client', () => {
    const [c] = run([{ dir: 's>c', flags: ACK, seq: 5001, ack: 101, len: 100, s: 0 }, { dir: 'c>s', flags: ACK, seq: 101, ack: 5101, s: 0.01 }]);
    expect(c!.midstream).toBe(true);
    expect(c!.handshake.kind).toBe('midstream');
    expect(c!.client.port).toBe(40000);
    expect(c!.states.client[0]).toMatchObject({ state: 'ESTABLISHED', event: 'initial', frame: 1 });
    expect(c!.close.kind).toBe('none');
  });
  it('a SYN captured after the SYN/ACK that answers it joins that connection (capture reordering)', () => {
    const conns = run([
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0 },
      { dir: 'c>s', flags: SYN, seq: 100, s: -0.0003 },
      { dir: 'c>s', flags: ACK, seq: 101, ack: 5001, s: 0.001 },
    ]);
    expect(conns).toHaveLength(1);
    expect(conns[0]!.midstream).toBe(false);
    expect(conns[0]!.handshake.kind).toBe('complete');
    // Times going backwards: first and last are the earliest and latest, whatever the order.
    expect([conns[0]!.firstS, conns[0]!.lastS]).toEqual([-0.0003, 0.001]);
  });
  it('SYN retransmissions are counted as retransmissions of the client', () => {
    const [c] = run([{ dir: 'c>s', flags: SYN, seq: 100, s: 0 }, { dir: 'c>s', flags: SYN, seq: 100, s: 1 }, { dir: 'c>s', flags: SYN, seq: 100, s: 3 }]);
    expect(c!.retransmits.clientToServer).toBe(2);
    expect(c!.handshake.synRetransmitIntervalsS).toEqual([1, 2]);
  });
});

describe('flow table: four-tuples by hash', () => {
  const seg = (src: string, srcPort: number, dst: string, dstPort: number, frame: number, version: 4 | 6 = 4) => {
    const g = newSegment();
    g.ipVersion = version;
    Object.assign(g, { frame, fileFrame: frame, s: frame / 1000, src, srcPort, dst, dstPort, flags: SYN, seq: 1000 + frame, window: 1 });
    return g;
  };
  it('both directions of a four-tuple hash alike', () => {
    expect(flowHash(seg('10.0.0.1', 40000, '10.0.0.2', 80, 1))).toBe(flowHash(seg('10.0.0.2', 80, '10.0.0.1', 40000, 2)));
  });
  it('four-tuples whose hashes collide stay separate connections, and finishing one leaves the other', () => {
    // Find two client ports whose four-tuples share a hash (30 bits: a few ten thousand tries).
    const seen = new Map<number, string>();
    let pair: [string, string] | null = null;
    for (let i = 0; pair === null; i++) {
      const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      const h = flowHash(seg(ip, 40000, '10.255.0.1', 80, 1));
      const other = seen.get(h);
      if (other !== undefined) pair = [other, ip];
      else seen.set(h, ip);
    }
    const finished: number[] = [];
    const table = new FlowTable((c) => finished.push(c.id), { timeWaitS: 60, closedGraceS: 2 });
    const [a, b] = pair;
    const ca = table.track(seg(a, 40000, '10.255.0.1', 80, 1)).conn.id;
    const cb = table.track(seg(b, 40000, '10.255.0.1', 80, 2)).conn.id;
    expect(cb).not.toBe(ca);
    expect(table.openCount).toBe(2);
    // A's server refuses (RST/ACK): A finishes after the grace; B, in the same bucket, stays.
    const rst = seg('10.255.0.1', 80, a, 40000, 3);
    Object.assign(rst, { flags: RST | ACK, seq: 0, ack: 1002 });
    expect(table.track(rst).conn.id).toBe(ca);
    table.expire(10);
    expect(finished).toEqual([ca]);
    expect(table.openCount).toBe(1);
    const back = seg('10.255.0.1', 80, b, 40000, 4);
    Object.assign(back, { flags: SYN | ACK, seq: 9000, ack: 1003 });
    const tracked = table.track(back);
    expect({ id: tracked.conn.id, fromClient: tracked.fromClient }).toEqual({ id: cb, fromClient: false });
  });
  it('the capture end hands over the connections still open in parts, in the order they opened', () => {
    const finished: number[] = [];
    const table = new FlowTable((c) => finished.push(c.id), { timeWaitS: 60, closedGraceS: 2 });
    const opened = Array.from({ length: 7 }, (_, i) => table.track(seg(`10.0.0.${i + 1}`, 40000 + i, '10.255.0.1', 80, i + 1)).conn.id);
    const parts: number[] = [];
    while (table.endSome(1, 3)) parts.push(finished.length);
    parts.push(finished.length);
    expect(parts).toEqual([3, 6, 7]);
    expect(finished).toEqual(opened);
    expect(table.openCount).toBe(0);
    // The table is empty and usable again: the same four-tuple is a new connection.
    expect(table.track(seg('10.0.0.1', 40000, '10.255.0.1', 80, 9)).conn.id).not.toBe(opened[0]);
    expect(table.openCount).toBe(1);
  });
  it('an IPv4 address and the IPv6 address ::a.b.c.d are different hosts', () => {
    const table = new FlowTable(() => {}, { timeWaitS: 60, closedGraceS: 2 });
    const v4 = table.track(seg('1.2.3.4', 40000, '5.6.7.8', 80, 1)).conn.id;
    const v6 = table.track(seg('::1.2.3.4', 40000, '::5.6.7.8', 80, 2, 6)).conn;
    expect(v6.id).not.toBe(v4);
    expect(v6.client.ip).toBe('::1.2.3.4');
  });
});

describe('ICMP errors about a connection still opening (Linux: tcp_v4_err, tcp_v6_err, tcp_req_err)', () => {
  const PORT_UNREACHABLE = (3 << 8) | 3;
  const HOST_UNREACHABLE = (3 << 8) | 1;
  const FRAG_NEEDED = (3 << 8) | 4;
  it('a destination unreachable quoting the SYN closes the client in SYN_SENT, at its time', () => {
    const [c] = run([{ dir: 'c>s', flags: SYN, seq: 100, s: 0 }, { dir: 'c>s', flags: 0, seq: 100, s: 0.01, icmp: PORT_UNREACHABLE }]);
    expect(c!.states.client.map((e) => [e.state, e.s, e.event])).toEqual([['CLOSED', 0, 'initial'], ['SYN_SENT', 0, 'send-syn'], ['CLOSED', 0.01, 'recv-icmp-error']]);
    expect(c!.icmp).toEqual([{ s: 0.01, frame: 2, file: 'synthetic', fileFrame: 2, to: 'client', sender: '192.0.2.9', type: 3, code: 3, message: 'port-unreachable', seq: 100, acceptable: true, effect: 'closed', mtu: null }]);
    expect(c!.finalState.client).toBe('CLOSED');
  });
  it('a SYN sent again after it shows the client did not take it (Linux ignores one that comes while connect() holds the socket)', () => {
    const [c] = run([
      { dir: 'c>s', flags: SYN, seq: 100, s: 0 },
      { dir: 'c>s', flags: 0, seq: 100, s: 0.0001, icmp: PORT_UNREACHABLE },
      { dir: 'c>s', flags: SYN, seq: 100, s: 1 },
      { dir: 'c>s', flags: 0, seq: 100, s: 1.0001, icmp: PORT_UNREACHABLE },
    ]);
    expect(states(c!, 'client')).toEqual(['CLOSED', 'SYN_SENT', 'CLOSED']);
    expect(c!.states.client[2]!.s).toBe(1.0001);
    expect(c!.icmp.map((e) => e.effect)).toEqual(['ignored', 'closed']);
    expect(c!.handshake.synRetransmits).toEqual([1]); // still one connection
  });
  it('the same error again with nothing sent in between is a copy of one, recorded once', () => {
    const [c] = run([
      { dir: 'c>s', flags: SYN, seq: 100, s: 0 },
      { dir: 'c>s', flags: 0, seq: 100, s: 0.0001, icmp: PORT_UNREACHABLE },
      { dir: 'c>s', flags: 0, seq: 100, s: 0.0001, icmp: PORT_UNREACHABLE },
    ]);
    expect(c!.icmp).toHaveLength(1);
    // Unknown sequence numbers (tcpdump text): a burst about several segments, unless the
    // capture tells places apart (tcpdump -i any), where one error can be recorded twice.
    const burst = (direction: number) => run([
      ...HANDSHAKE,
      { dir: 'c>s', flags: ACK, seq: 101, ack: 5001, len: 1448, s: 0.1 },
      { dir: 'c>s', flags: ACK, seq: 1549, ack: 5001, len: 1448, s: 0.1 },
      { dir: 'c>s', flags: 0, seq: NaN, s: 0.11, icmp: FRAG_NEEDED, direction },
      { dir: 'c>s', flags: 0, seq: NaN, s: 0.11, icmp: FRAG_NEEDED, direction },
    ])[0]!.icmp.length;
    expect([burst(-1), burst(0)]).toEqual([2, 1]);
  });
  it('takes no error about a sequence number the client does not have out, nor fragmentation needed', () => {
    const stale = run([{ dir: 'c>s', flags: SYN, seq: 100, s: 0 }, { dir: 'c>s', flags: 0, seq: 7, s: 0.01, icmp: PORT_UNREACHABLE }]);
    expect(stale[0]!.icmp[0]).toMatchObject({ acceptable: false, effect: 'none' });
    expect(stale[0]!.finalState.client).toBe('SYN_SENT');
    const frag = run([{ dir: 'c>s', flags: SYN, seq: 100, s: 0 }, { dir: 'c>s', flags: 0, seq: 100, s: 0.01, icmp: FRAG_NEEDED }]);
    expect(frag[0]!.icmp[0]).toMatchObject({ acceptable: true, effect: 'none', message: 'fragmentation-needed', mtu: 1400 });
    expect(frag[0]!.finalState.client).toBe('SYN_SENT');
  });
  it('an error about an established connection is soft: reported, no state changes', () => {
    const [c] = run([...HANDSHAKE, { dir: 'c>s', flags: ACK, seq: 101, ack: 5001, len: 1400, s: 0.1 }, { dir: 'c>s', flags: 0, seq: 101, s: 0.11, icmp: HOST_UNREACHABLE }]);
    expect(c!.icmp[0]).toMatchObject({ to: 'client', acceptable: true, effect: 'none' });
    expect(c!.finalState).toEqual({ client: 'ESTABLISHED', server: 'ESTABLISHED' });
  });
  it('a server\'s half-open request is dropped only by the errors tcp_req_err calls fatal, quoting its SYN/ACK', () => {
    const open = [{ dir: 'c>s', flags: SYN, seq: 100, s: 0 }, { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0.01 }] satisfies Step[];
    const [dropped] = run([...open, { dir: 's>c', flags: 0, seq: 5000, s: 0.02, icmp: HOST_UNREACHABLE }]);
    expect(states(dropped!, 'server')).toEqual(['LISTEN', 'SYN_RECEIVED', 'CLOSED']);
    const [kept] = run([...open, { dir: 's>c', flags: 0, seq: 5000, s: 0.02, icmp: PORT_UNREACHABLE }]);
    expect(kept!.finalState.server).toBe('SYN_RECEIVED');
    const [other] = run([...open, { dir: 's>c', flags: 0, seq: 5001, s: 0.02, icmp: HOST_UNREACHABLE }]);
    expect(other!.icmp[0]).toMatchObject({ acceptable: false, effect: 'none' });
  });
  it('a request an ICMP error ended stays ended (Linux always takes those); the SYN sent again makes a new one', () => {
    const [c] = run([
      { dir: 'c>s', flags: SYN, seq: 100, s: 0 },
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0.01 },
      { dir: 's>c', flags: 0, seq: 5000, s: 0.02, icmp: HOST_UNREACHABLE },
      { dir: 'c>s', flags: SYN, seq: 100, s: 1 },
      { dir: 's>c', flags: SYN | ACK, seq: 9000, ack: 101, s: 1.01 },
      { dir: 's>c', flags: 0, seq: 9000, s: 1.02, icmp: HOST_UNREACHABLE },
    ]);
    expect(c!.states.server.map((e) => [e.state, e.s])).toEqual([['LISTEN', 0], ['SYN_RECEIVED', 0], ['CLOSED', 0.02], ['SYN_RECEIVED', 1.01], ['CLOSED', 1.02]]);
    expect(c!.icmp.map((e) => [e.acceptable, e.effect])).toEqual([[true, 'closed'], [true, 'closed']]);
    expect(c!.notes.map((n) => n.kind)).toEqual(['syn-ack-new-isn']);
  });
  it('an error whose sequence number the input does not show is taken as acceptable (tcpdump text)', () => {
    const [c] = run([{ dir: 'c>s', flags: SYN, seq: 100, s: 0 }, { dir: 'c>s', flags: 0, seq: NaN, s: 0.01, icmp: PORT_UNREACHABLE }]);
    expect(c!.icmp[0]).toMatchObject({ seq: null, acceptable: null, effect: 'closed' });
  });
  it('an error about a four-tuple the table does not hold opens nothing', () => {
    expect(run([{ dir: 'c>s', flags: SYN, seq: 100, s: 0 }, { dir: 'c>s', flags: 0, seq: 100, s: 0.01, icmp: PORT_UNREACHABLE, clientPort: 40001 }])).toHaveLength(1);
  });
});

describe('a SYN reaching a TIME_WAIT (Linux tcp_timewait_state_process)', () => {
  // The server closes first and waits in TIME_WAIT; its rcv_nxt is 102 (the client's FIN at 101).
  const closed = (ts?: { syn: number; fin: number }): Step[] => [
    { dir: 'c>s', flags: SYN, seq: 100, s: 0, ts: ts?.syn },
    { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0.01, ts: ts === undefined ? undefined : 1 },
    { dir: 'c>s', flags: ACK, seq: 101, ack: 5001, s: 0.02 },
    { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 101, s: 1 },
    { dir: 'c>s', flags: ACK, seq: 101, ack: 5002, s: 1.01 },
    { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5002, s: 1.02, ts: ts?.fin },
    { dir: 's>c', flags: ACK, seq: 5002, ack: 102, s: 1.03 },
  ];
  const timeWaitEnd = (steps: Step[]) => run(steps)[0]!.timeWait[0]!.end;

  it('refused (seq before its rcv_nxt): the ACK and the RST answering it are the old connection\'s, which that RST ends; the SYN sent again opens the new one', () => {
    const [old, fresh, ...rest] = run([
      ...closed(),
      { dir: 'c>s', flags: SYN, seq: 50, s: 2 },
      { dir: 's>c', flags: ACK, seq: 5002, ack: 102, s: 2.0001 }, // the TIME_WAIT's ACK
      { dir: 'c>s', flags: RST, seq: 102, s: 2.0002 }, // the new SYN_SENT socket's answer
      { dir: 'c>s', flags: SYN, seq: 50, s: 2.011 },
      { dir: 's>c', flags: SYN | ACK, seq: 9000, ack: 51, s: 2.0111 },
      { dir: 'c>s', flags: ACK, seq: 51, ack: 9001, s: 2.0112 },
    ]);
    expect(rest).toEqual([]);
    expect(old!.timeWait).toMatchObject([{ side: 'server', end: 'reset' }]);
    expect(old!.resets).toMatchObject([{ frame: 10, from: 'client', senderState: 'CLOSED', receiverState: 'TIME_WAIT' }]);
    expect(old!.packets).toEqual({ clientToServer: 5, serverToClient: 4 });
    expect(fresh!.notes).toMatchObject([{ kind: 'syn-to-time-wait', frame: 8, from: 'client' }]);
    expect(fresh!.handshake).toMatchObject({ kind: 'complete', synFrame: 8, synAckFrame: 12 });
    expect(fresh!.resets).toEqual([]);
    expect(states(fresh!, 'client')).toEqual(['CLOSED', 'SYN_SENT', 'ESTABLISHED']);
    expect(states(fresh!, 'server')).toEqual(['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED']);
  });

  it('a SYN with yet another ISN from the refused client stands beside the same TIME_WAIT', () => {
    const [old, first, second, ...rest] = run([
      ...closed(),
      { dir: 'c>s', flags: SYN, seq: 50, s: 2 },
      { dir: 's>c', flags: ACK, seq: 5002, ack: 102, s: 2.0001 }, // refused
      { dir: 'c>s', flags: SYN, seq: 70, s: 3 }, // a new socket, another ISN
      { dir: 's>c', flags: ACK, seq: 5002, ack: 102, s: 3.0001 }, // refused again
      { dir: 'c>s', flags: RST, seq: 102, s: 3.0002 },
      { dir: 'c>s', flags: SYN, seq: 70, s: 3.011 },
      { dir: 's>c', flags: SYN | ACK, seq: 9000, ack: 71, s: 3.0111 },
      { dir: 'c>s', flags: ACK, seq: 71, ack: 9001, s: 3.0112 },
    ]);
    expect(rest).toEqual([]);
    expect(old!.packets.serverToClient).toBe(5); // both refusals are the TIME_WAIT's
    expect(old!.timeWait).toMatchObject([{ side: 'server', end: 'reset' }]);
    expect(first!.notes).toMatchObject([{ kind: 'syn-to-time-wait', frame: 8 }]);
    expect(second!.notes).toMatchObject([{ kind: 'syn-to-time-wait', frame: 10 }]);
    expect(second!.handshake).toMatchObject({ kind: 'complete', synFrame: 10 });
  });

  it('taken (seq after its rcv_nxt): the TIME_WAIT is reused', () => {
    expect(timeWaitEnd([...closed(), { dir: 'c>s', flags: SYN, seq: 200, s: 2 }])).toBe('reused');
    expect(timeWaitEnd([...closed(), { dir: 'c>s', flags: SYN, seq: 102, s: 2 }])).toBe('open'); // not after: refused
  });

  it('with timestamps: a newer TSval takes it whatever the seq, an older one is refused whatever the seq (PAWS)', () => {
    const ts = { syn: 900, fin: 1000 };
    const syn = (seq: number, tsVal: number): Step => ({ dir: 'c>s', flags: SYN, seq, s: 2, ts: tsVal });
    expect(timeWaitEnd([...closed(ts), syn(50, 1001)])).toBe('reused');
    expect(timeWaitEnd([...closed(ts), syn(200, 998)])).toBe('open');
    expect(timeWaitEnd([...closed(ts), syn(200, 999)])).toBe('open'); // tcp_paws_reject's window is 0 here
    // Equal: the sequence number decides.
    expect(timeWaitEnd([...closed(ts), syn(50, 1000)])).toBe('open');
    expect(timeWaitEnd([...closed(ts), syn(200, 1000)])).toBe('reused');
    // A SYN without a timestamp: the sequence number decides.
    expect(timeWaitEnd([...closed(ts), { dir: 'c>s', flags: SYN, seq: 50, s: 2 }])).toBe('open');
  });

  it('where the snap length cut the options, the TIME_WAIT\'s answer decides: a SYN/ACK (it took it) or its ACK (it did not)', () => {
    const ts = { syn: 900, fin: 1000 };
    const cutSyn: Step = { dir: 'c>s', flags: SYN, seq: 50, s: 2, cut: true }; // seq before rcv_nxt, TSval unseen
    const [taken, fresh, ...none] = run([...closed(ts), cutSyn,
      { dir: 's>c', flags: SYN | ACK, seq: 5002 + 65537, ack: 51, s: 2.0001 }, { dir: 'c>s', flags: ACK, seq: 51, ack: 5002 + 65538, s: 2.0002 }]);
    expect(none).toEqual([]);
    expect(taken!.timeWait).toMatchObject([{ side: 'server', end: 'reused', endS: 2 }]);
    expect(fresh!.handshake).toMatchObject({ kind: 'complete', synFrame: 8 });
    expect(fresh!.notes).toEqual([]);
    const [refused, other] = run([...closed(ts), cutSyn,
      { dir: 's>c', flags: ACK, seq: 5002, ack: 102, s: 2.0001 }, { dir: 'c>s', flags: RST, seq: 102, s: 2.0002 }]);
    expect(refused!.timeWait).toMatchObject([{ side: 'server', end: 'reset' }]);
    expect(other!.notes).toMatchObject([{ kind: 'syn-to-time-wait', frame: 8, s: 2 }]);
  });
});

describe('a SYN reaching a LAST_ACK (the client reuses its TIME_WAIT port; its last ACK may have been lost)', () => {
  // The client closes first; the server's FIN (5001) is acknowledged at 1.03 and the client waits
  // in TIME_WAIT. Its rcv_nxt at the server is 102.
  const closed: Step[] = [
    { dir: 'c>s', flags: SYN, seq: 100, s: 0 },
    { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0.01 },
    { dir: 'c>s', flags: ACK, seq: 101, ack: 5001, s: 0.02 },
    { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1 },
    { dir: 's>c', flags: ACK, seq: 5001, ack: 102, s: 1.01 },
    { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 102, s: 1.02 },
    { dir: 'c>s', flags: ACK, seq: 102, ack: 5002, s: 1.03 }, // lost past the capture point, or not
  ];
  const newSyn: Step = { dir: 'c>s', flags: SYN, seq: 50, s: 1.1 };

  it('answered by an ACK at the old numbers: the last ACK was lost, LAST_ACK lasted until the RST answering that ACK', () => {
    const [old, fresh, ...rest] = run([
      ...closed, newSyn,
      { dir: 's>c', flags: ACK, seq: 5002, ack: 102, s: 1.1001 }, // the LAST_ACK socket's answer
      { dir: 'c>s', flags: RST, seq: 102, s: 1.1002 }, // the new SYN_SENT socket's RST
      { dir: 'c>s', flags: SYN, seq: 50, s: 1.111 },
      { dir: 's>c', flags: SYN | ACK, seq: 9000, ack: 51, s: 1.1111 },
      { dir: 'c>s', flags: ACK, seq: 51, ack: 9001, s: 1.1112 },
    ]);
    expect(rest).toEqual([]);
    expect(old!.states.server.map((e) => [e.state, e.frame])).toEqual([['LISTEN', 1], ['SYN_RECEIVED', 1], ['ESTABLISHED', 3], ['CLOSE_WAIT', 4], ['LAST_ACK', 6], ['CLOSED', 10]]);
    expect(old!.timeWait).toMatchObject([{ side: 'client', end: 'reused', endS: 1.1 }]);
    expect(old!.resets).toMatchObject([{ frame: 10, from: 'client', kind: 'after-close', senderState: 'CLOSED', receiverState: 'LAST_ACK' }]);
    expect(old!.close).toMatchObject({ kind: 'fin-then-reset', initiator: 'client' });
    expect(old!.packets).toEqual({ clientToServer: 5, serverToClient: 4 });
    expect(fresh!.notes).toMatchObject([{ kind: 'syn-to-last-ack', frame: 8, from: 'client' }]);
    expect(fresh!.handshake).toMatchObject({ kind: 'complete', synFrame: 8, synAckFrame: 12 });
    expect(fresh!.resets).toEqual([]);
    expect(fresh!.close.kind).toBe('none');
    expect(states(fresh!, 'server')).toEqual(['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED']);
  });

  it('answered by a SYN/ACK: the server had closed at the last ACK, and the new connection is an ordinary one', () => {
    const [old, fresh, ...rest] = run([
      ...closed, newSyn,
      { dir: 's>c', flags: SYN | ACK, seq: 9000, ack: 51, s: 1.1001 },
      { dir: 'c>s', flags: ACK, seq: 51, ack: 9001, s: 1.1002 },
    ]);
    expect(rest).toEqual([]);
    expect(old!.states.server.at(-1)).toMatchObject({ state: 'CLOSED', frame: 7, event: 'recv-ack-of-fin' });
    expect(old!.close).toMatchObject({ kind: 'four-way', initiator: 'client' });
    expect(old!.timeWait).toMatchObject([{ side: 'client', end: 'reused', endS: 1.1 }]);
    expect(fresh!.notes).toEqual([]);
    expect(fresh!.handshake).toMatchObject({ kind: 'complete', synFrame: 8, synAckFrame: 9 });
  });

  it('unanswered (the answer not captured): the old connection, both sides gone, is finished soon after its last packet, not at its client\'s TIME_WAIT\'s end', () => {
    const order = finished([
      ...closed, newSyn,
      { dir: 'c>s', flags: SYN, seq: 700, s: 20, clientPort: 40001 }, // another connection, 20 s later
    ]);
    expect(order[0]!.report.id).toBe(1);
    expect(order[0]!.endS).toBeLessThan(10);
  });

  it('a server seen still in LAST_ACK (its FIN sent again) answering with its FIN: the old connection keeps it', () => {
    const [old, fresh] = run([
      ...closed,
      { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 102, s: 1.25 }, // the ACK was lost
      newSyn,
      { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 102, s: 1.65 },
      { dir: 'c>s', flags: RST, seq: 102, s: 1.6501 },
      { dir: 'c>s', flags: SYN, seq: 50, s: 2.1 },
      { dir: 's>c', flags: SYN | ACK, seq: 9000, ack: 51, s: 2.1001 },
      { dir: 'c>s', flags: ACK, seq: 51, ack: 9001, s: 2.1002 },
    ]);
    expect(old!.states.server.at(-1)).toMatchObject({ state: 'CLOSED', frame: 11, event: 'recv-rst' });
    expect(old!.close.finRetransmits.map((r) => r.frame)).toEqual([8, 10]);
    expect(fresh!.handshake).toMatchObject({ kind: 'complete', synFrame: 9, synAckFrame: 13 });
  });
});

describe('a FIN that arrives ahead of a hole in its sender\'s data', () => {
  it('is taken when the hole is filled (the data sent again), not at the FIN or the ACK that showed it missing', () => {
    const [c] = run([
      ...HANDSHAKE,
      { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 16, s: 1 }, // lost past the capture point
      { dir: 'c>s', flags: FIN | ACK, seq: 117, ack: 5001, s: 1.05 },
      { dir: 's>c', flags: ACK, seq: 5001, ack: 101, s: 1.06 }, // short of the FIN (it SACKs it)
      { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 16, s: 1.3 }, // the hole filled
      { dir: 's>c', flags: ACK, seq: 5001, ack: 118, s: 1.31 },
    ]);
    expect(c!.states.server.at(-1)).toMatchObject({ state: 'CLOSE_WAIT', frame: 7, s: 1.3, event: 'recv-fin' });
  });
  it('with nothing from its sender after the ACK that showed it missing, it stays dated after that ACK', () => {
    const [c] = run([
      ...HANDSHAKE,
      { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1.05 },
      { dir: 's>c', flags: ACK, seq: 5001, ack: 101, s: 1.06 }, // a duplicate ACK sent before it arrived
      { dir: 's>c', flags: ACK, seq: 5001, ack: 102, s: 1.07 },
    ]);
    expect(c!.states.server.at(-1)).toMatchObject({ state: 'CLOSE_WAIT', frame: 5, s: 1.06 });
  });
});

describe('a RST from a SYN_SENT socket refusing a stray ACK', () => {
  it('ends nothing: the socket sends its SYN again, and the connection closes as it goes on to', () => {
    const [c, ...rest] = run([
      { dir: 'c>s', flags: SYN, seq: 50, s: 0 },
      { dir: 's>c', flags: ACK, seq: 7000, ack: 3000, s: 0.0001 }, // a socket the capture did not see open
      { dir: 'c>s', flags: RST, seq: 3000, s: 0.0002 },
      { dir: 'c>s', flags: SYN, seq: 50, s: 1 },
      { dir: 's>c', flags: SYN | ACK, seq: 9000, ack: 51, s: 1.0001 },
      { dir: 'c>s', flags: ACK, seq: 51, ack: 9001, s: 1.0002 },
      { dir: 'c>s', flags: FIN | ACK, seq: 51, ack: 9001, s: 2 },
      { dir: 's>c', flags: FIN | ACK, seq: 9001, ack: 52, s: 2.0001 },
      { dir: 'c>s', flags: ACK, seq: 52, ack: 9002, s: 2.0002 },
    ]);
    expect(rest).toEqual([]);
    expect(c!.resets).toMatchObject([{ frame: 3, from: 'client', kind: 'no-connection', senderState: 'SYN_SENT', senderContinued: true }]);
    expect(c!.close).toMatchObject({ kind: 'three-way', initiator: 'client' });
    expect(c!.handshake).toMatchObject({ kind: 'complete', synFrame: 1, synRetransmits: [1] });
  });
  it('the ACK it refused not captured: the RST met no connection at the listener, and closes nothing', () => {
    const [c] = run([
      { dir: 'c>s', flags: SYN, seq: 50, s: 0 },
      { dir: 'c>s', flags: RST, seq: 3000, s: 0.0002 },
      { dir: 'c>s', flags: SYN, seq: 50, s: 1 },
      { dir: 's>c', flags: SYN | ACK, seq: 9000, ack: 51, s: 1.0001 },
      { dir: 'c>s', flags: ACK, seq: 51, ack: 9001, s: 1.0002 },
    ]);
    expect(c!.resets).toMatchObject([{ frame: 2, kind: 'no-connection', inWindow: null, receiverState: 'LISTEN', senderContinued: true }]);
    expect(c!.close.kind).toBe('none');
    expect(c!.finalState).toEqual({ client: 'ESTABLISHED', server: 'ESTABLISHED' });
  });
});

describe('retransmissions and segments captured late', () => {
  const data = (seq: number, id: number | undefined, s: number): Step => ({ dir: 'c>s', flags: ACK, seq, ack: 5001, len: 100, s, id });
  const retransmits = (steps: Step[]) => run([...HANDSHAKE, ...steps])[0]!.retransmits.clientToServer;

  it('a first copy captured after later segments (its IP ID is older, within 5 ms of the gap) is no retransmission', () => {
    // Sent 101, 201, 301 (ids 10-12); captured 101, 301, 201.
    expect(retransmits([data(101, 10, 1), data(301, 12, 1.0001), data(201, 11, 1.0002)])).toBe(0);
    // Without IP IDs (IPv6, text without -v) it counts, as before.
    expect(retransmits([data(101, undefined, 1), data(301, undefined, 1.0001), data(201, undefined, 1.0002)])).toBe(1);
    // A newer IP ID: sent after, a retransmission of what was lost before the capture point.
    expect(retransmits([data(101, 10, 1), data(301, 12, 1.0001), data(201, 13, 1.0002)])).toBe(1);
    // Too long after the gap: a retransmission whatever its IP ID.
    expect(retransmits([data(101, 10, 1), data(301, 12, 1.0001), data(201, 11, 1.3)])).toBe(1);
  });

  it('on a path that reorders, a first copy may come as late as three quarters of the handshake\'s round trip', () => {
    // A handshake with a 40 ms round trip at the capture point (SYN 0, SYN/ACK +20 ms, ACK +20 ms).
    const slow: Step[] = [
      { dir: 'c>s', flags: SYN, seq: 100, s: 0 },
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0.02 },
      { dir: 'c>s', flags: ACK, seq: 101, ack: 5001, s: 0.04 },
    ];
    const late = (s: number, id: number) => run([...slow, data(101, 10, 1), data(301, 12, 1.0001), data(201, id, s)])[0]!.retransmits.clientToServer;
    expect(late(1.03, 11)).toBe(0); // 30 ms late, sent before 301: reordered
    expect(late(1.03, 13)).toBe(1); // sent after 301: a retransmission
    expect(late(1.05, 11)).toBe(1); // later than 30 ms: a retransmission whatever its IP ID
  });

  it('a retransmission into the gap leaves it to the first copy, captured later still', () => {
    // 201 lost from view, retransmitted (id 13), then its first copy (id 11) shows up: one retransmission.
    expect(retransmits([data(101, 10, 1), data(301, 12, 1.0001), data(201, 13, 1.0002), data(201, 11, 1.0003)])).toBe(1);
    // A copy of what was already captured is a retransmission, gap or not.
    expect(retransmits([data(101, 10, 1), data(301, 12, 1.0001), data(201, 11, 1.0002), data(201, 11, 1.0003)])).toBe(1);
  });

  it('several holes open at once are each filled by their own first copies', () => {
    // Sent 101..701 (ids 10-16); captured 101, 301, 501, 701, then 201, 401, 601: three holes,
    // each skipped by a segment sent after what fills it.
    const reordered = [data(101, 10, 1), data(301, 12, 1.0001), data(501, 14, 1.0002), data(701, 16, 1.0003)];
    expect(retransmits([...reordered, data(201, 11, 1.0004), data(401, 13, 1.0005), data(601, 15, 1.0006)])).toBe(0);
    // The oldest hole filled by a segment sent after the one that skipped it (a newer id): a retransmission.
    expect(retransmits([...reordered, data(201, 17, 1.0004), data(401, 13, 1.0005), data(601, 15, 1.0006)])).toBe(1);
  });

  it('a first copy in the middle of a hole leaves the two ends to theirs', () => {
    // Sent 101..501 (ids 10-14); captured 101, 501, 301, 201, 401.
    const middleFirst = [data(101, 10, 1), data(501, 14, 1.0001), data(301, 12, 1.0002)];
    expect(retransmits([...middleFirst, data(201, 11, 1.0003), data(401, 13, 1.0004)])).toBe(0);
    // With every gap entry in use (16), the split's other half takes the oldest entry but its own.
    const at = (k: number) => 1 + k * 0.0001;
    const full = [data(101, 10, at(0)), data(501, 14, at(1))]; // the hole 201-500, then 15 holes of one segment
    for (let k = 0; k < 15; k++) full.push(data(701 + 200 * k, 16 + 2 * k, at(2 + k)));
    expect(retransmits([...full, data(301, 12, at(20)), data(201, 11, at(21)), data(401, 13, at(22))])).toBe(0);
    // What the middle copy filled is no longer missing: 301 again is a retransmission.
    expect(retransmits([...middleFirst, data(301, 12, 1.0003), data(201, 11, 1.0004), data(401, 13, 1.0005)])).toBe(1);
  });

  it('without an IP ID (IPv6), a TSval older than the segment that skipped the hole shows a first copy', () => {
    const v6 = (seq: number, ts: number, s: number): Step => ({ dir: 'c>s', flags: ACK, seq, ack: 5001, len: 100, s, ts });
    // 201 sent a millisecond before 301 (TSval 7 < 8): reordered.
    expect(retransmits([v6(101, 7, 1), v6(301, 8, 1.0001), v6(201, 7, 1.0002)])).toBe(0);
    // The same millisecond: it may have been sent after, so it counts.
    expect(retransmits([v6(101, 8, 1), v6(301, 8, 1.0001), v6(201, 8, 1.0002)])).toBe(1);
    // A later TSval: sent after 301, a retransmission.
    expect(retransmits([v6(101, 7, 1), v6(301, 8, 1.0001), v6(201, 9, 1.0002)])).toBe(1);
  });
});

describe('a FIN the capture missed', () => {
  // The client sends 100 bytes (101-200); its FIN at 201 is not in the capture.
  const request: Step = { dir: 'c>s', flags: ACK | PSH, seq: 101, ack: 5001, len: 100, s: 1 };
  const lastStates = (c: ConnectionReport, side: 'client' | 'server') => c.states[side].map((e) => [e.state, e.frame]);

  it('the receiver acknowledging one past all the sender sent shows it: the close is the one the kernels lived', () => {
    const [c] = run([
      ...HANDSHAKE, request,
      { dir: 's>c', flags: ACK, seq: 5001, ack: 201, s: 1.001 },
      { dir: 's>c', flags: ACK, seq: 5001, ack: 202, s: 1.2 }, // frame 6: acknowledges the missed FIN
      { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 202, s: 1.5 },
      { dir: 'c>s', flags: ACK, seq: 202, ack: 5002, s: 1.501 },
    ]);
    expect(lastStates(c!, 'client').slice(-3)).toEqual([['FIN_WAIT_1', 6], ['FIN_WAIT_2', 6], ['TIME_WAIT', 7]]);
    expect(lastStates(c!, 'server').slice(-3)).toEqual([['CLOSE_WAIT', 6], ['LAST_ACK', 7], ['CLOSED', 8]]);
    expect(c!.close).toMatchObject({ kind: 'four-way', initiator: 'client', firstFinS: 1.2, finRetransmits: [] });
    expect(c!.notes).toMatchObject([{ kind: 'fin-not-captured', from: 'client', frame: 6 }]);
    expect(c!.retransmits).toEqual({ clientToServer: 0, serverToClient: 0 });
  });

  it('dated by the sender\'s clock: the TSecr of the ACK echoes the FIN\'s TSval', () => {
    // The client's clock: TSval 1000 at 1 s, 1100 at 1.1 s (1 kHz); the FIN left at TSval 1150.
    const [c] = run([
      { dir: 'c>s', flags: SYN, seq: 100, s: 0.9, ts: 900 },
      { dir: 's>c', flags: SYN | ACK, seq: 5000, ack: 101, s: 0.91, ts: 7, ecr: 900 },
      { dir: 'c>s', flags: ACK, seq: 101, ack: 5001, s: 0.92, ts: 920, ecr: 7 },
      { ...request, ts: 1000, ecr: 7 },
      { dir: 's>c', flags: ACK, seq: 5001, ack: 201, s: 1.05, ts: 50, ecr: 1000 },
      { dir: 'c>s', flags: ACK, seq: 201, ack: 5001, s: 1.1, ts: 1100, ecr: 50 },
      { dir: 's>c', flags: ACK, seq: 5001, ack: 202, s: 1.2, ts: 60, ecr: 1150 }, // frame 7
    ]);
    expect(c!.states.client.slice(-2)).toMatchObject([{ state: 'FIN_WAIT_1', frame: 7, s: 1.15 }, { state: 'FIN_WAIT_2', frame: 7, s: 1.2 }]);
    expect(c!.states.server.at(-1)).toMatchObject({ state: 'CLOSE_WAIT', frame: 7, s: 1.15 });
    expect(c!.close.firstFinS).toBe(1.15);
    // Never before what either side sent before the proof: an echo older than the client's last segment.
    const [d] = run([...HANDSHAKE, { ...request, ts: 1000 }, { dir: 's>c', flags: ACK, seq: 5001, ack: 202, s: 1.2, ecr: 990 }]);
    expect(d!.states.client.find((e) => e.state === 'FIN_WAIT_1')).toMatchObject({ s: 1.2 });
  });

  it('the sender\'s own segment one past all it sent shows it, and its copy sent again is a retransmission', () => {
    // Simultaneous close seen at the client: the server's FIN is lost before the capture point.
    const [c] = run([
      ...HANDSHAKE,
      { dir: 'c>s', flags: FIN | ACK, seq: 101, ack: 5001, s: 1 },
      { dir: 's>c', flags: ACK, seq: 5002, ack: 102, s: 1.05 }, // frame 5: seq one past all the server sent
      { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 102, s: 1.3 }, // its FIN again
      { dir: 'c>s', flags: ACK, seq: 102, ack: 5002, s: 1.301 },
    ]);
    expect(c!.notes).toMatchObject([{ kind: 'fin-not-captured', from: 'server', frame: 5 }]);
    expect(lastStates(c!, 'server')).toContainEqual(['LAST_ACK', 5]);
    expect(c!.close.finRetransmits).toMatchObject([{ side: 'server', frame: 6 }]);
    expect(c!.retransmits).toEqual({ clientToServer: 0, serverToClient: 1 });
    expect(c!.finalState).toEqual({ client: 'TIME_WAIT', server: 'CLOSED' });
  });

  it('a byte of data after it shows the missed unit was data: nothing is inferred', () => {
    const [c] = run([
      ...HANDSHAKE, request,
      { dir: 's>c', flags: ACK, seq: 5001, ack: 202, s: 1.2 }, // one past: a FIN, or one byte (201)
      { dir: 'c>s', flags: ACK | PSH, seq: 202, ack: 5001, len: 10, s: 1.3 }, // data at 202: it was a byte
      { dir: 's>c', flags: ACK, seq: 5001, ack: 212, s: 1.301 },
    ]);
    expect(c!.notes).toEqual([]);
    expect(c!.close.kind).toBe('none');
    expect(c!.finalState).toEqual({ client: 'ESTABLISHED', server: 'ESTABLISHED' });
    // Undone after its acknowledgment too: the real close that follows is taken as any other.
    const [d] = run([
      ...HANDSHAKE, request,
      { dir: 'c>s', flags: ACK, seq: 202, ack: 5001, s: 1.1 }, // seq one past: a FIN, or one byte
      { dir: 's>c', flags: ACK, seq: 5001, ack: 202, s: 1.2 },
      { dir: 'c>s', flags: ACK | PSH, seq: 202, ack: 5001, len: 10, s: 1.3 },
      { dir: 's>c', flags: ACK, seq: 5001, ack: 212, s: 1.301 },
      { dir: 'c>s', flags: FIN | ACK, seq: 212, ack: 5001, s: 2 },
      { dir: 's>c', flags: ACK, seq: 5001, ack: 213, s: 2.001 },
      { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 213, s: 2.3 },
      { dir: 'c>s', flags: ACK, seq: 213, ack: 5002, s: 2.301 },
    ]);
    expect(d!.notes).toEqual([]);
    expect(d!.close).toMatchObject({ kind: 'four-way', initiator: 'client', firstFinS: 2 });
    expect(d!.states.client.map((e) => e.state).slice(-3)).toEqual(['FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
    expect(d!.finalState).toEqual({ client: 'TIME_WAIT', server: 'CLOSED' });
  });

  it('a FIN captured just after the ACK that answered it (a capture on several CPUs) is its first copy, no retransmission', () => {
    const [c] = run([
      ...HANDSHAKE, request,
      { dir: 's>c', flags: ACK, seq: 5001, ack: 202, s: 1.2 },
      { dir: 'c>s', flags: FIN | ACK, seq: 201, ack: 5001, s: 1.20001 },
      { dir: 's>c', flags: FIN | ACK, seq: 5001, ack: 202, s: 1.5 },
      { dir: 'c>s', flags: ACK, seq: 202, ack: 5002, s: 1.501 },
    ]);
    expect(c!.notes).toEqual([]);
    expect(c!.close).toMatchObject({ kind: 'four-way', initiator: 'client', finRetransmits: [] });
    expect(c!.retransmits).toEqual({ clientToServer: 0, serverToClient: 0 });
    expect(c!.finalState).toEqual({ client: 'TIME_WAIT', server: 'CLOSED' });
  });
});
