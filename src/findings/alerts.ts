/**
 * Alerts across connections (SPEC section 4): the patterns the seed articles spend most words on.
 * Each finished connection is folded into small aggregates (no connection is kept), and the alerts
 * are named at the end, so they work as well on a streamed capture as on a whole one. Thresholds
 * are options, with defaults that do not fire on ordinary traffic.
 */
import { TCP_STATES, TcpCode, type TcpState } from '../connections/state.js';
import type { History } from '../connections/endpoint.js';
import type { Address } from './types.js';
import type { ConnectionFindings } from './report.js';
import { HandshakeCode, intervals } from './handshake.js';
import { type Probe, ProbeTable } from './probe-table.js';
import { diffS } from '../time.js';
import { grown } from '../typed-arrays.js';

export interface AlertThresholds {
  /** Half-open connections to one server endpoint within `synFloodWindowS` seconds. */
  synFlood: number;
  synFloodWindowS: number;
  /** Distinct ports of one target probed by one source. */
  portScan: number;
  /** Seconds an endpoint may sit in SYN_SENT, SYN_RECEIVED, FIN_WAIT_1/2, CLOSE_WAIT, LAST_ACK. */
  lingerS: number;
  /** Endpoints of one host in TIME_WAIT at once. */
  timeWaitPileup: number;
}

export const DEFAULT_THRESHOLDS: AlertThresholds = {
  synFlood: 100, synFloodWindowS: 10, portScan: 15, lingerS: 30, timeWaitPileup: 500,
};

export type ScanStyle = 'syn' | 'connect' | 'fin' | 'null' | 'xmas';

export interface SynFloodAlert {
  kind: 'syn-flood';
  server: Address;
  /** Half-open connections in the busiest window of `windowS` seconds, and in all. */
  count: number;
  windowS: number;
  total: number;
  sources: number;
  peakHalfOpen: number;
  peakS: number;
  ratePerS: number;
  firstS: number;
  lastS: number;
  /** How the server answered the half-open SYNs: SYN/ACKs it retransmitted (queued requests), single SYN/ACKs never retransmitted (syncookies answer once), or none. */
  answers: { retransmitted: number; once: number; none: number };
}

export interface PortScanAlert {
  kind: 'port-scan';
  source: string;
  target: string;
  ports: number;
  style: ScanStyle;
  styles: Partial<Record<ScanStyle, number>>;
  /** Ports that answered a SYN with SYN/ACK. */
  openPorts: number[];
  /** Ports that answered with RST. */
  closedPorts: number[];
  /** Ports that did not answer (open|filtered for FIN, NULL and XMAS probes; filtered for SYN). */
  silentPorts: number[];
  firstS: number;
  lastS: number;
}

export interface LingerAlert {
  kind: 'lingering';
  state: TcpState;
  side: 'client' | 'server';
  endpoint: Address;
  peer: Address;
  connection: number;
  enteredS: number;
  durationS: number;
  /** Still in that state at capture end: the duration is a lower bound. */
  atCaptureEnd: boolean;
  /** The retransmission intervals seen while it waited (SYN, SYN/ACK or FIN back-off). */
  retransmitIntervalsS: number[];
}

export interface TimeWaitPileupAlert {
  kind: 'time-wait-pileup';
  host: string;
  peak: number;
  peakS: number;
  entries: number;
}

export type Alert = SynFloodAlert | PortScanAlert | LingerAlert | TimeWaitPileupAlert;
export const ALERT_KINDS = ['syn-flood', 'port-scan', 'lingering', 'time-wait-pileup'] as const;

const lingers = (s: TcpCode) =>
  s === TcpCode.SYN_SENT || s === TcpCode.SYN_RECEIVED || s === TcpCode.FIN_WAIT_1 || s === TcpCode.FIN_WAIT_2 || s === TcpCode.CLOSE_WAIT || s === TcpCode.LAST_ACK;
const halfOpen = (k: HandshakeCode) => k === HandshakeCode.HALF_OPEN || k === HandshakeCode.NO_REPLY || k === HandshakeCode.RESET_BY_CLIENT;

/**
 * The half-open handshakes with one server port, for `syn-flood`: each one's SYN time and until
 * when it was half-open as numbers (a flood brings them by the hundred thousand: an object each
 * measured ~100 bytes of heap, these are 16), its sources as a set, how the SYN/ACKs went as counts.
 */
class HalfOpenList {
  synS = new Float64Array(16);
  untilS = new Float64Array(16);
  length = 0;
  readonly sources = new Set<string>();
  readonly answers = { retransmitted: 0, once: 0, none: 0 };

  constructor(readonly server: Address) {}

  push(synS: number, untilS: number): void {
    if (this.length === this.synS.length) {
      this.synS = grown(this.synS, this.length * 2);
      this.untilS = grown(this.untilS, this.length * 2);
    }
    this.synS[this.length] = synS;
    this.untilS[this.length] = untilS;
    this.length++;
  }

  /** The entries' indices by SYN time (ties in arrival order). */
  bySynTime(): number[] {
    const syn = this.synS;
    return Array.from({ length: this.length }, (_, i) => i).sort((a, b) => syn[a]! - syn[b]!);
  }
}

/** The scan styles by code (Probe.style; -1: none). */
const STYLES: readonly ScanStyle[] = ['syn', 'connect', 'fin', 'null', 'xmas'];
const enum Style { NONE = -1, SYN, CONNECT, FIN, NULL, XMAS }
/** The probe families, each a scan of its own (see addProbe): SYN-based, FIN, NULL, XMAS. */
const familyOf = (style: Style) => (style === Style.FIN ? 1 : style === Style.NULL ? 2 : style === Style.XMAS ? 3 : 0);

export class AlertBuilder {
  private readonly halfOpen = new Map<string, HalfOpenList>();
  /**
   * Probed ports per source, target and probe family. Ordinary traffic uses one port per pair, so
   * a pair holds just its first port (as numbers) until a second one shows up.
   */
  private readonly probes = new ProbeTable();
  private readonly words = new Float64Array(8);
  /** Pairs are swept for forgotten ones when there are this many (doubling: amortized). */
  private sweepProbesAt = PROBE_SWEEP_MIN;
  private readonly lingering: LingerAlert[] = [];
  private readonly timeWait = new Map<string, PeakCounter>();

  /** `timeWaitS`: the TIME_WAIT length, which bounds how late a TIME_WAIT can be reported. */
  constructor(private readonly t: AlertThresholds, private readonly timeWaitS: number) {}

  /** Folds one finished connection in; `endS` is the capture time it was finished at. */
  add(f: ConnectionFindings, endS: number): void {
    this.addHalfOpen(f);
    this.addProbe(f);
    this.addLingering(f, endS);
    const t = f.timeWait;
    for (let i = 0; i < t.count; i++) {
      const side = t.side[i]!;
      const host = side === 0 ? f.clientIp : f.serverIp;
      let counter = this.timeWait.get(host);
      if (!counter) this.timeWait.set(host, (counter = new PeakCounter()));
      // A TIME_WAIT still to be reported began at most a TIME_WAIT length before now: what ended
      // well before that can be folded into the running peak (memory stays flat).
      const endedS = t.endS[i]!;
      counter.add((side === 0 ? f.client : f.server).s[t.entry[i]!]!, endedS === endedS ? endedS : null, endS - 2 * this.timeWaitS);
    }
  }

  /** The alerts, once the capture has ended at `captureEndS`. */
  result(captureEndS: number): Alert[] {
    return [...this.synFloods(captureEndS), ...this.portScans(), ...this.lingering, ...this.pileups()];
  }

  private addHalfOpen(f: ConnectionFindings): void {
    const h = f.handshake;
    if (!halfOpen(h.kind) || h.synS !== h.synS) return;
    const port = f.conn.serverPort;
    const key = `${f.serverIp}|${port}`;
    let e = this.halfOpen.get(key);
    if (!e) this.halfOpen.set(key, (e = new HalfOpenList({ ip: f.serverIp, port })));
    // Half-open from the SYN until the server let go: its SYN_RECEIVED ended, or the connection's last packet.
    const states = f.server;
    let untilS = Math.max(f.conn.lastS, h.synS);
    for (let i = 0; i < states.length; i++) {
      if (states.state[i] !== TcpCode.SYN_RECEIVED) continue;
      if (i + 1 < states.length) untilS = states.s[i + 1]!;
      break;
    }
    const synAck = f.conn.server.synAck;
    e.push(h.synS, untilS);
    e.sources.add(f.clientIp);
    e.answers[h.synAckS !== h.synAckS ? 'none' : synAck !== null && synAck.copyCount > 1 ? 'retransmitted' : 'once']++;
  }

  private synFloods(captureEndS: number): SynFloodAlert[] {
    const out: SynFloodAlert[] = [];
    for (const e of this.halfOpen.values()) {
      if (e.length < this.t.synFlood) continue;
      const order = e.bySynTime();
      const syn = order.map((i) => e.synS[i]!);
      // The busiest window of synFloodWindowS seconds (two pointers over the SYN times).
      let best = 0;
      let bestStart = 0;
      for (let i = 0, j = 0; j < syn.length; j++) {
        while (syn[j]! - syn[i]! > this.t.synFloodWindowS) i++;
        if (j - i + 1 > best) { best = j - i + 1; bestStart = i; }
      }
      if (best < this.t.synFlood) continue;
      const { peak, at } = peakOverlap(order.map((i) => {
        const untilS = e.untilS[i]!;
        const synS = e.synS[i]!;
        return [synS, untilS === synS ? captureEndS : untilS] as const;
      }));
      out.push({
        kind: 'syn-flood', server: e.server, count: best, windowS: this.t.synFloodWindowS, total: e.length,
        sources: e.sources.size,
        peakHalfOpen: peak, peakS: at,
        ratePerS: Math.round((best / Math.max(syn[bestStart + best - 1]! - syn[bestStart]!, 1e-6)) * 1000) / 1000,
        firstS: syn[0]!, lastS: syn.at(-1)!,
        answers: { ...e.answers },
      });
    }
    return out;
  }

  private addProbe(f: ConnectionFindings): void {
    // One scan per source, target and probe family: FIN, NULL and XMAS probes are scans of their
    // own (nmap -sF, -sN, -sX); SYN-based probes (half-open or full connect) are one family.
    const style = probeStyle(f);
    const conn = f.conn;
    const table = this.probes;
    const row = table.find(conn.ipVersion * 4 + familyOf(style), conn.addressWords(this.words), 0, 4);
    const lastS = conn.lastS;
    const port = conn.serverPort;
    // A pair below the threshold that has been quiet for SCAN_IDLE_S is forgotten: quiet is per
    // pair, so a scan stays as long as its probes keep coming (nmap's "sneaky" -T1 sends one every
    // 15 s); a scan slower than that cannot be told from ordinary traffic anyway.
    if (table.added || this.forgotten(row, lastS)) {
      table.start(row, port, probeOf(f, style), lastS);
      if (table.size >= this.sweepProbesAt) this.sweepProbes(lastS);
      return;
    }
    table.setLastS(row, Math.max(table.lastS(row), lastS));
    let pair = table.multiPort(row);
    if (pair === null) {
      if (port === table.first(row)) return; // ordinary repeat traffic to one port
      pair = { source: f.clientIp, target: f.serverIp, ports: new Map([[table.first(row), table.firstProbe(row)]]) };
      table.setMultiPort(row, pair);
    }
    if (pair.ports.has(port) && pair.ports.size < this.t.portScan) return;
    pair.ports.set(port, probeOf(f, style));
  }

  /** Whether pair `row` has been quiet, below the threshold, for more than SCAN_IDLE_S by `now`. */
  private forgotten(row: number, now: number): boolean {
    if (now - this.probes.lastS(row) <= SCAN_IDLE_S) return false;
    const pair = this.probes.multiPort(row);
    return pair === null || pair.ports.size < this.t.portScan;
  }

  /**
   * Drops the forgotten pairs (memory: ordinary pairs would otherwise cost memory in proportion to
   * the connections), once there are twice as many pairs as after the last sweep.
   */
  private sweepProbes(now: number): void {
    this.probes.retain((row) => !this.forgotten(row, now));
    this.sweepProbesAt = Math.max(PROBE_SWEEP_MIN, 2 * this.probes.size);
  }

  private portScans(): PortScanAlert[] {
    const out: PortScanAlert[] = [];
    // In the order the pairs were first seen.
    for (const { source, target, ports } of this.probes.multiPortPairs()) {
      if (ports.size < this.t.portScan) continue;
      const styles: Partial<Record<ScanStyle, number>> = {};
      for (const p of ports.values()) if (p.style !== Style.NONE) styles[STYLES[p.style]!] = (styles[STYLES[p.style]!] ?? 0) + 1;
      const style = (Object.entries(styles).sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'syn') as ScanStyle;
      const sorted = [...ports.entries()].sort((a, b) => a[0] - b[0]);
      const times = [...ports.values()].map((p) => p.s);
      out.push({
        kind: 'port-scan', source, target, ports: ports.size, style, styles,
        openPorts: sorted.filter(([, p]) => p.open).map(([n]) => n),
        closedPorts: sorted.filter(([, p]) => !p.open && p.closed).map(([n]) => n),
        silentPorts: sorted.filter(([, p]) => !p.open && !p.closed).map(([n]) => n),
        firstS: Math.min(...times), lastS: Math.max(...times),
      });
    }
    return out;
  }

  private addLingering(f: ConnectionFindings, finishedS: number): void {
    this.addLingeringSide(f, 'client', finishedS);
    this.addLingeringSide(f, 'server', finishedS);
  }

  private addLingeringSide(f: ConnectionFindings, side: 'client' | 'server', finishedS: number): void {
    const h: History = side === 'client' ? f.client : f.server;
    // The initial state (index 0) is assumed, not seen.
    for (let i = 1; i < h.length; i++) {
      const state = h.state[i]!;
      if (!lingers(state)) continue;
      const last = i + 1 >= h.length;
      const enteredS = h.s[i]!;
      const endS = last ? finishedS : h.s[i + 1]!; // the last state lasts until the connection was finished
      if (diffS(enteredS, endS) < this.t.lingerS) continue;
      const client = { ip: f.clientIp, port: f.conn.clientPort };
      const server = { ip: f.serverIp, port: f.conn.serverPort };
      const [endpoint, peer] = side === 'client' ? [client, server] : [server, client];
      this.lingering.push({
        kind: 'lingering', state: TCP_STATES[state]!, side, endpoint, peer, connection: f.conn.id, enteredS,
        durationS: diffS(enteredS, endS), atCaptureEnd: last, retransmitIntervalsS: retransmitsDuring(f, side, state),
      });
    }
  }

  private pileups(): TimeWaitPileupAlert[] {
    const out: TimeWaitPileupAlert[] = [];
    for (const [host, counter] of this.timeWait) {
      if (counter.entries < this.t.timeWaitPileup) continue;
      const { peak, at } = counter.result();
      if (peak >= this.t.timeWaitPileup) out.push({ kind: 'time-wait-pileup', host, peak, peakS: at, entries: counter.entries });
    }
    return out;
  }
}

/** Pairs of source and target are forgotten after this quiet (s); swept from memory from this many pairs on. */
const SCAN_IDLE_S = 60;
const PROBE_SWEEP_MIN = 4096;

/**
 * The most intervals open at once, computed as they come: intervals are added roughly in the order
 * they end, and none added later starts before `foldBefore` (given with each), so the change points
 * before it are swept into a running count and peak, and dropped. Exact; memory follows the
 * intervals of the last few minutes.
 */
class PeakCounter {
  // Start and end times in two lists of numbers (not a [time, delta] pair each: at 10 M packets
  // the pairs of the last two minutes were a million small arrays for the collector to trace).
  private starts: number[] = [];
  private ends: number[] = [];
  private running = 0;
  private peak = 0;
  private at = 0;
  /** Fold again once the points have doubled since the last fold (amortized; most hosts have few). */
  private foldAt = 32;
  entries = 0;

  add(start: number, end: number | null, foldBefore: number): void {
    this.entries++;
    this.starts.push(start);
    if (end !== null) this.ends.push(Math.max(start, end));
    const points = this.starts.length + this.ends.length;
    if (points > this.foldAt) {
      this.fold(foldBefore);
      this.foldAt = Math.max(32, 2 * (this.starts.length + this.ends.length));
    }
  }

  result(): { peak: number; at: number } {
    this.fold(Infinity);
    return { peak: this.peak, at: this.at };
  }

  /** Sweeps the change points before `before` into the running count, in time order, ends before starts at the same instant. */
  private fold(before: number): void {
    const starts = this.starts.sort(byNumber);
    const ends = this.ends.sort(byNumber);
    let i = 0;
    let j = 0;
    for (;;) {
      const takeEnd = j < ends.length && (i >= starts.length || ends[j]! <= starts[i]!);
      const t = takeEnd ? ends[j]! : i < starts.length ? starts[i]! : Infinity;
      if (!(t < before)) break;
      if (takeEnd) {
        this.running--;
        j++;
      } else {
        this.running++;
        i++;
        if (this.running > this.peak) { this.peak = this.running; this.at = t; }
      }
    }
    this.starts = starts.slice(i);
    this.ends = ends.slice(j);
  }
}

const byNumber = (a: number, b: number) => a - b;

/** What a probe looked like: the first segment's flags decide (SYN-based probes by what followed). */
function probeStyle(f: ConnectionFindings): Style {
  const conn = f.conn;
  for (let i = 0; i < f.anomalies.length; i++) {
    const a = f.anomalies[i]!;
    if (a.frame !== conn.firstFrame || a.from !== 'client') continue;
    // The first such anomaly decides.
    if (a.kind === 'null') return Style.NULL;
    if (a.kind === 'xmas') return Style.XMAS;
    if (a.kind === 'fin-no-ack') return Style.FIN;
    break;
  }
  const h = f.handshake;
  if (h.synS !== h.synS) return Style.NONE;
  if (h.kind === HandshakeCode.RESET_BY_CLIENT) return Style.SYN;
  // A full connect() that sends nothing and hangs up at once.
  if (h.kind === HandshakeCode.COMPLETE && conn.client.bytes === 0 && conn.client.packets <= 4) return Style.CONNECT;
  return Style.NONE;
}

/** The probe a connection makes of its server's port: its style, and whether the port answered SYN/ACK or RST. */
function probeOf(f: ConnectionFindings, style: Style): Probe {
  let closed = false;
  for (let i = 0; i < f.conn.resetCount && !closed; i++) closed = f.conn.reset(i, f.rst).from === 'server';
  const synAckS = f.handshake.synAckS;
  return { style, open: synAckS === synAckS, closed, s: f.conn.firstS };
}

function retransmitsDuring(f: ConnectionFindings, side: 'client' | 'server', state: TcpCode): number[] {
  if (state === TcpCode.SYN_SENT) return intervals(f.conn.client.syn);
  if (state === TcpCode.SYN_RECEIVED) return intervals(f.conn.server.synAck);
  // This side's FIN retransmissions.
  if (state === TcpCode.FIN_WAIT_1 || state === TcpCode.LAST_ACK) return intervals(f.conn.endpoint(side).fin);
  return [];
}

/** The most intervals [start, end) open at once, and the first moment it happened. */
export function peakOverlap(intervals: readonly (readonly [number, number])[]): { peak: number; at: number } {
  const events: [number, number][] = [];
  for (const [a, b] of intervals) { events.push([a, 1]); events.push([Math.max(a, b), -1]); }
  events.sort((x, y) => x[0] - y[0] || x[1] - y[1]); // ends before starts at the same instant
  let cur = 0;
  let peak = 0;
  let at = 0;
  for (const [t, d] of events) {
    cur += d;
    if (cur > peak) { peak = cur; at = t; }
  }
  return { peak, at };
}
