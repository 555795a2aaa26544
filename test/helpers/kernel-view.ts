/**
 * Compares the tracker's state history with what the kernel showed (`ss -tan` polled while the
 * fixture was made; format in fixtures/README.md). A view is a set of sockets the kernel held
 * at every poll from its first to its last; the tracker agrees when, for each socket, the
 * endpoint's history holds that state within the first poll's window and within the last's (the
 * polling delay) and all the time between them, and when every endpoint the tracker holds open
 * outside LISTEN shows up in ss.
 */
import { readFileSync } from 'node:fs';
import type { Report } from '../../src/pipeline.js';
import type { ConnectionReport, StateEntry } from '../../src/findings/types.js';
import { SS_NAMES, type TcpState } from '../../src/connections/state.js';

export interface SsSocket { ns: string; state: string; local: string; peer: string }
export interface SsView { first: [number, number]; last: [number, number]; sockets: SsSocket[] }

export function readSsViews(path: string): SsView[] {
  const views = readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as SsView);
  // ss names the device of an address bound to one ("10.36.0.3%eth0:46045", an MPTCP subflow):
  // the four-tuple is the address alone.
  for (const v of views) for (const x of v.sockets) { x.local = x.local.replace(/%[^:\]]+/, ''); x.peer = x.peer.replace(/%[^:\]]+/, ''); }
  return views;
}

/** Epoch seconds of an ISO time with any number of fraction digits. */
export function epochOf(iso: string): number {
  const [whole, frac = '0'] = iso.replace('Z', '').split('.');
  return Date.parse(`${whole}Z`) / 1000 + Number(`0.${frac}`);
}

const fmt = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

interface Lifeline { conn: ConnectionReport; side: 'client' | 'server'; local: string; peer: string; entries: StateEntry[]; until: number }

/**
 * Every endpoint of every connection, with the time its incarnation gave way to the next: the
 * next one's first packet, unless the old one's own history goes on past it (a TIME_WAIT that
 * refused the new SYN, a LAST_ACK answering it), which then says when it ended.
 */
function lifelines(report: Report): Lifeline[] {
  const out: Lifeline[] = [];
  for (const conn of report.connections) {
    const c = fmt(conn.client.ip, conn.client.port);
    const s = fmt(conn.server.ip, conn.server.port);
    const next = report.connections.find((o) => o.id > conn.id && sameTuple(o, conn));
    const goesOn = next !== undefined && [...conn.states.client, ...conn.states.server].some((e) => e.s > next.firstS);
    const until = next && !goesOn ? next.firstS : Infinity;
    out.push({ conn, side: 'client', local: c, peer: s, entries: conn.states.client, until });
    out.push({ conn, side: 'server', local: s, peer: c, entries: conn.states.server, until });
  }
  return out;
}

function sameTuple(a: ConnectionReport, b: ConnectionReport): boolean {
  const k = (c: ConnectionReport) => [fmt(c.client.ip, c.client.port), fmt(c.server.ip, c.server.port)].sort().join(' ');
  return k(a) === k(b);
}

/**
 * Linux's timer wheel fires a timer up to 1/8 of its timeout late (a 60 s TIME_WAIT ends 60-62 s
 * after it began on this kernel, a request's last SYN/ACK timeout a fraction of a second late): a
 * state the tracker ends by a timer (no frame: TIME_WAIT expiry, a retransmitting endpoint that
 * gave up) may still be the kernel's for that long.
 */
const TIMER_SLACK = 1 / 8;

/** The states a lifeline holds during [from, to] (before its first packet it has no socket). */
function statesDuring(l: Lifeline, from: number, to: number): Set<string> {
  const held = new Set<string>();
  if (from < l.conn.firstS) held.add('none');
  if (to >= l.until) held.add('none');
  const e = l.entries;
  for (let i = 0; i < e.length; i++) {
    const start = e[i]!.s;
    const next = e[i + 1];
    const timerEnd = next !== undefined && next.frame === null ? next.s + (next.s - start) * TIMER_SLACK : undefined;
    const end = Math.min(next !== undefined ? timerEnd ?? next.s : Infinity, l.until);
    if (start <= to && end >= from && end > start - 1e-12) held.add(socketName(e[i]!.state));
  }
  return held;
}

/** The kernel shows no socket for CLOSED, and a listener, not a connection socket, for LISTEN. */
function socketName(state: TcpState): string {
  return state === 'CLOSED' || state === 'LISTEN' ? 'none' : SS_NAMES[state];
}

export interface Disagreement { window: [number, number]; endpoint: string; kernel: string; tracker: string[] }

/**
 * Disagreements between the report and the kernel's views, judged up to `judgeUntilS` (seconds
 * from the first packet; after the capture stopped the kernel may still change states unseen).
 */
export function disagreements(
  report: Report, views: SsView[], toleranceS: number, judgeUntilS: number, notSockets: (local: string, peer: string) => boolean = () => false,
  unseen: Unseen[] = [],
): Disagreement[] {
  const origin = epochOf(report.input.startTime!);
  const lines = lifelines(report).filter((l) => !notSockets(l.local, l.peer));
  const unjudged = changedUnseen(unseen, origin);
  const out: Disagreement[] = [];
  // How long one poll took at the most: a connection that lived less than two polls can fall
  // between two of them (busy machines: 46-84 ms a poll in the sweeps), so ss never lists it.
  const pollS = views.reduce((m, v) => Math.max(m, v.first[1] - v.first[0], v.last[1] - v.last[0]), 0);
  for (const v of views) {
    const from = v.first[0] - origin - toleranceS;
    if (from > judgeUntilS) continue;
    // A view stands for every poll from its first to its last, so the tracker must hold its states
    // at the first poll and again at the last (the last the judge looks at), not merely at some
    // moment between: a state left too early and entered again fails.
    const polls: [number, number][] = [[from, v.first[1] - origin + toleranceS]];
    if (v.last[0] - origin - toleranceS <= judgeUntilS) polls.push([v.last[0] - origin - toleranceS, v.last[1] - origin + toleranceS]);
    for (const [pFrom, pTo] of polls) {
      const seen = new Set<string>();
      for (const sock of v.sockets) {
        if (sock.state === 'LISTEN' || unjudged(sock.local, pFrom, pTo)) continue;
        const key = `${sock.local} ${sock.peer}`;
        seen.add(key);
        const candidates = lines.filter((l) => l.local === sock.local && l.peer === sock.peer);
        const held = new Set(candidates.flatMap((l) => [...statesDuring(l, pFrom, pTo)]));
        if (!held.has(sock.state)) out.push({ window: [round(pFrom), round(pTo)], endpoint: key, kernel: sock.state, tracker: [...held] });
      }
      // Endpoints the tracker holds open must be sockets the kernel listed.
      for (const l of lines) {
        const key = `${l.local} ${l.peer}`;
        if (seen.has(key) || unjudged(l.local, pFrom, pTo)) continue;
        const held = statesDuring(l, pFrom, pTo);
        if (!held.has('none')) out.push({ window: [round(pFrom), round(pTo)], endpoint: key, kernel: 'none', tracker: [...held] });
      }
    }
    // Between the first poll and the last, every poll showed the same: the tracker must hold each
    // socket's state all along (an incarnation of its four-tuple at every moment), and hold no
    // other endpoint open. Gaps within twice the polling tolerance are the polls' own blur, and an
    // endpoint open for less than two polls may have lived between them. (The two polls alone let
    // a wrong state in between pass: sw35's lost keep-alive RSTs.)
    const t0 = v.first[1] - origin + toleranceS;
    const t1 = Math.min(v.last[0] - origin - toleranceS, judgeUntilS);
    if (t1 <= t0) continue;
    const listed = new Set<string>();
    for (const sock of v.sockets) {
      if (sock.state === 'LISTEN') continue;
      const key = `${sock.local} ${sock.peer}`;
      listed.add(key);
      if (unjudged(sock.local, t0, t1)) continue;
      const spans = lines.filter((l) => l.local === sock.local && l.peer === sock.peer).flatMap((l) => spansOf(l, sock.state));
      for (const gap of gaps(spans, t0, t1, 2 * toleranceS)) out.push({ window: [round(gap[0]), round(gap[1])], endpoint: key, kernel: sock.state, tracker: ['other'] });
    }
    for (const l of lines) {
      const key = `${l.local} ${l.peer}`;
      if (listed.has(key) || unjudged(l.local, t0, t1)) continue;
      for (const gap of gaps(spansOf(l, 'none'), t0, t1, Math.max(2 * toleranceS, 2 * pollS))) out.push({ window: [round(gap[0]), round(gap[1])], endpoint: key, kernel: 'none', tracker: ['open'] });
    }
  }
  return out;
}

/** The spans [from, to] in which a lifeline holds socket state `state` ('none': no socket), as statesDuring reads it. */
function spansOf(l: Lifeline, state: string): [number, number][] {
  const out: [number, number][] = [];
  if (state === 'none') {
    out.push([-Infinity, l.conn.firstS]);
    if (l.until < Infinity) out.push([l.until, Infinity]);
  }
  const e = l.entries;
  for (let i = 0; i < e.length; i++) {
    if (socketName(e[i]!.state) !== state) continue;
    const start = e[i]!.s;
    const next = e[i + 1];
    const timerEnd = next !== undefined && next.frame === null ? next.s + (next.s - start) * TIMER_SLACK : undefined;
    const end = Math.min(next !== undefined ? timerEnd ?? next.s : Infinity, l.until);
    if (end > start - 1e-12) out.push([start, end]);
  }
  return out;
}

/** The parts of [from, to] no span covers, longer than `blur`. */
function gaps(spans: [number, number][], from: number, to: number, blur: number): [number, number][] {
  const out: [number, number][] = [];
  let at = from;
  for (const [a, b] of [...spans].sort((x, y) => x[0] - y[0])) {
    if (a > at && Math.min(a, to) - at > blur) out.push([at, Math.min(a, to)]);
    if (b > at) at = b;
    if (at >= to) return out;
  }
  if (to - at > blur) out.push([at, to]);
  return out;
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** What a fixture's scenario.json says that the judges need. */
export interface Scenario {
  timeline: { t: number; what: string }[];
  captureToEndpointDelayS?: number;
  client?: string;
  server?: string;
  /** Packets crafted with scapy: their source is no kernel socket, so ss cannot judge that end. */
  crafted?: { sport: number }[];
  /** Sockets the kernel changed with nothing on the wire (a timer), until a packet showed it (epoch seconds). */
  unseen?: Unseen[];
  /** Endpoints ("ip:port" and their peer) the report holds that are no socket: a NAT's other half. */
  notSockets?: { local: string; peer: string }[];
}

/** A socket ("ip:port") whose kernel state changed unseen: from when ss showed it, until the packet that shows it. */
export interface Unseen { socket: string; from: number; until: number; what: string }

/**
 * Whether socket `local` was changed by the kernel with nothing on the wire at some time in
 * [from, to] (seconds from `origin`): it is not judged until a packet shows it.
 */
export function changedUnseen(unseen: Unseen[] = [], origin: number): (local: string, from: number, to: number) => boolean {
  return (local, from, to) => unseen.some((u) => u.socket === local && u.from - origin <= to && u.until - origin >= from);
}

export function readScenario(path: string): Scenario {
  return JSON.parse(readFileSync(path, 'utf8')) as Scenario;
}

/**
 * Whether an endpoint ("ip:port", with its peer) is no kernel socket: a port scapy crafted packets
 * from, unless it is the scenario's own client or server (a segment spoofed into the kernel's
 * connection); or one the scenario lists in `notSockets` (the other half of a NATed connection).
 */
export function notASocket(scenario: Scenario): (local: string, peer: string) => boolean {
  const kernelPorts = new Set([scenario.client, scenario.server].map((a) => Number(a?.split(':').pop())));
  const crafted = new Set((scenario.crafted ?? []).map((c) => c.sport).filter((p) => !kernelPorts.has(p)));
  const listed = new Set((scenario.notSockets ?? []).map((x) => `${x.local} ${x.peer}`));
  return (local, peer) => crafted.has(Number(local.split(':').pop())) || listed.has(`${local} ${peer}`);
}
