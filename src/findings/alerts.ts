/**
 * Alerts across connections (SPEC section 4): the patterns the seed articles spend most words on.
 * Each finished connection is folded into small aggregates (no connection is kept), and the alerts
 * are named at the end, so they work as well on a streamed capture as on a whole one. Thresholds
 * are options, with defaults that do not fire on ordinary traffic.
 */
import type { TcpState } from '../connections/state.js';
import type { Address, ConnectionReport } from './types.js';
import { diffS } from '../time.js';

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

const LINGER_STATES: ReadonlySet<TcpState> = new Set(['SYN_SENT', 'SYN_RECEIVED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSE_WAIT', 'LAST_ACK']);
const HALF_OPEN = new Set(['half-open', 'no-reply', 'reset-by-client']);

interface HalfOpen { synS: number; untilS: number; source: string; answer: 'retransmitted' | 'once' | 'none' }
interface Probe { style: ScanStyle | null; open: boolean; closed: boolean; s: number }

/** What one source sent one target, for one probe family: the first port alone (ordinary traffic), or every port once a second one shows up. */
interface ProbePair {
  first: number;
  firstProbe: Probe;
  ports: Map<number, Probe> | null;
  lastS: number;
  /** When the pair was first seen (or seen again after being forgotten): the alerts come in this order. */
  seq: number;
}

/** The probe families, each a scan of its own (see addProbe). */
const FAMILIES = ['syn', 'fin', 'null', 'xmas'] as const;
type Family = (typeof FAMILIES)[number];

export class AlertBuilder {
  private readonly halfOpen = new Map<string, { server: Address; list: HalfOpen[] }>();
  /**
   * Probed ports per source, target and probe family (source -> target -> family). Ordinary
   * traffic uses one port per pair, so a pair holds just its first port until a second one shows
   * up (a Map for each pair would cost memory in proportion to the connections). Keyed by the
   * address texts as they are, never by a string made per connection.
   */
  private readonly probes = new Map<string, Map<string, (ProbePair | undefined)[]>>();
  private probePairs = 0;
  private nextProbeSeq = 0;
  /** Pairs are swept for forgotten ones when there are this many (doubling: amortized). */
  private sweepProbesAt = PROBE_SWEEP_MIN;
  private readonly lingering: LingerAlert[] = [];
  private readonly timeWait = new Map<string, PeakCounter>();

  /** `timeWaitS`: the TIME_WAIT length, which bounds how late a TIME_WAIT can be reported. */
  constructor(private readonly t: AlertThresholds, private readonly timeWaitS: number) {}

  /** Folds one finished connection in; `endS` is the capture time it was finished at. */
  add(c: ConnectionReport, endS: number): void {
    this.addHalfOpen(c);
    this.addProbe(c);
    this.addLingering(c, endS);
    for (let i = 0; i < c.timeWait.length; i++) {
      const w = c.timeWait[i]!;
      const host = w.side === 'client' ? c.client.ip : c.server.ip;
      let counter = this.timeWait.get(host);
      if (!counter) this.timeWait.set(host, (counter = new PeakCounter()));
      // A TIME_WAIT still to be reported began at most a TIME_WAIT length before now: what ended
      // well before that can be folded into the running peak (memory stays flat).
      counter.add(w.enteredS, w.endS, endS - 2 * this.timeWaitS);
    }
  }

  /** The alerts, once the capture has ended at `captureEndS`. */
  result(captureEndS: number): Alert[] {
    return [...this.synFloods(captureEndS), ...this.portScans(), ...this.lingering, ...this.pileups()];
  }

  private addHalfOpen(c: ConnectionReport): void {
    if (!HALF_OPEN.has(c.handshake.kind) || c.handshake.synS === null) return;
    const key = `${c.server.ip}|${c.server.port}`;
    let e = this.halfOpen.get(key);
    if (!e) this.halfOpen.set(key, (e = { server: c.server, list: [] }));
    // Half-open from the SYN until the server let go: its SYN_RECEIVED ended, or the connection's last packet.
    const recv = c.states.server.findIndex((x) => x.state === 'SYN_RECEIVED');
    const after = recv >= 0 ? c.states.server[recv + 1] : undefined;
    const h = c.handshake;
    e.list.push({
      synS: h.synS!,
      untilS: after ? after.s : Math.max(c.lastS, h.synS!),
      source: c.client.ip,
      answer: h.synAckS === null ? 'none' : h.synAckRetransmits.length > 0 ? 'retransmitted' : 'once',
    });
  }

  private synFloods(captureEndS: number): SynFloodAlert[] {
    const out: SynFloodAlert[] = [];
    for (const { server, list } of this.halfOpen.values()) {
      if (list.length < this.t.synFlood) continue;
      list.sort((a, b) => a.synS - b.synS);
      // The busiest window of synFloodWindowS seconds (two pointers over the SYN times).
      let best = 0;
      let bestStart = 0;
      for (let i = 0, j = 0; j < list.length; j++) {
        while (list[j]!.synS - list[i]!.synS > this.t.synFloodWindowS) i++;
        if (j - i + 1 > best) { best = j - i + 1; bestStart = i; }
      }
      if (best < this.t.synFlood) continue;
      const win = list.slice(bestStart, bestStart + best);
      const { peak, at } = peakOverlap(list.map((x) => [x.synS, x.untilS === x.synS ? captureEndS : x.untilS] as const));
      const firstS = list[0]!.synS;
      const lastS = list.at(-1)!.synS;
      out.push({
        kind: 'syn-flood', server, count: best, windowS: this.t.synFloodWindowS, total: list.length,
        sources: new Set(list.map((x) => x.source)).size,
        peakHalfOpen: peak, peakS: at,
        ratePerS: Math.round((best / Math.max(win.at(-1)!.synS - win[0]!.synS, 1e-6)) * 1000) / 1000,
        firstS, lastS,
        answers: {
          retransmitted: list.filter((x) => x.answer === 'retransmitted').length,
          once: list.filter((x) => x.answer === 'once').length,
          none: list.filter((x) => x.answer === 'none').length,
        },
      });
    }
    return out;
  }

  private addProbe(c: ConnectionReport): void {
    // One scan per source, target and probe family: FIN, NULL and XMAS probes are scans of their
    // own (nmap -sF, -sN, -sX); SYN-based probes (half-open or full connect) are one family.
    const style = probeStyle(c);
    const family: Family = style === 'fin' || style === 'null' || style === 'xmas' ? style : 'syn';
    let targets = this.probes.get(c.client.ip);
    if (targets === undefined) this.probes.set(c.client.ip, (targets = new Map()));
    let pairs = targets.get(c.server.ip);
    if (pairs === undefined) targets.set(c.server.ip, (pairs = [undefined, undefined, undefined, undefined]));
    const f = FAMILIES.indexOf(family);
    let e = pairs[f];
    // A pair below the threshold that has been quiet for SCAN_IDLE_S is forgotten: quiet is per
    // pair, so a scan stays as long as its probes keep coming (nmap's "sneaky" -T1 sends one every
    // 15 s); a scan slower than that cannot be told from ordinary traffic anyway.
    if (e !== undefined && this.forgotten(e, c.lastS)) e = undefined;
    const probe: Probe = { style, open: c.handshake.synAckS !== null, closed: c.resets.some((r) => r.from === 'server'), s: c.firstS };
    if (e === undefined) {
      if (pairs[f] === undefined) this.probePairs++;
      pairs[f] = { first: c.server.port, firstProbe: probe, ports: null, lastS: c.lastS, seq: this.nextProbeSeq++ };
      if (this.probePairs >= this.sweepProbesAt) this.sweepProbes(c.lastS);
      return;
    }
    e.lastS = Math.max(e.lastS, c.lastS);
    if (e.ports === null) {
      if (c.server.port === e.first) return; // ordinary repeat traffic to one port
      e.ports = new Map([[e.first, e.firstProbe]]);
    }
    if (e.ports.has(c.server.port) && e.ports.size < this.t.portScan) return;
    e.ports.set(c.server.port, probe);
  }

  /** Whether pair `e` has been quiet, below the threshold, for more than SCAN_IDLE_S by `now`. */
  private forgotten(e: ProbePair, now: number): boolean {
    return now - e.lastS > SCAN_IDLE_S && (e.ports === null || e.ports.size < this.t.portScan);
  }

  /**
   * Drops the forgotten pairs (memory: ordinary pairs would otherwise cost memory in proportion to
   * the connections), once there are twice as many pairs as after the last sweep.
   */
  private sweepProbes(now: number): void {
    for (const [source, targets] of this.probes) {
      for (const [target, pairs] of targets) {
        let left = 0;
        for (let f = 0; f < pairs.length; f++) {
          const e = pairs[f];
          if (e === undefined) continue;
          if (this.forgotten(e, now)) {
            pairs[f] = undefined;
            this.probePairs--;
          } else left++;
        }
        if (left === 0) targets.delete(target);
      }
      if (targets.size === 0) this.probes.delete(source);
    }
    this.sweepProbesAt = Math.max(PROBE_SWEEP_MIN, 2 * this.probePairs);
  }

  private portScans(): PortScanAlert[] {
    const found: { source: string; target: string; ports: Map<number, Probe>; seq: number }[] = [];
    for (const [source, targets] of this.probes) {
      for (const [target, pairs] of targets) {
        for (const e of pairs) {
          if (e !== undefined && e.ports !== null && e.ports.size >= this.t.portScan) found.push({ source, target, ports: e.ports, seq: e.seq });
        }
      }
    }
    // In the order the pairs were first seen.
    found.sort((a, b) => a.seq - b.seq);
    const out: PortScanAlert[] = [];
    for (const { source, target, ports } of found) {
      const styles: Partial<Record<ScanStyle, number>> = {};
      for (const p of ports.values()) if (p.style) styles[p.style] = (styles[p.style] ?? 0) + 1;
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

  private addLingering(c: ConnectionReport, finishedS: number): void {
    this.addLingeringSide(c, 'client', finishedS);
    this.addLingeringSide(c, 'server', finishedS);
  }

  private addLingeringSide(c: ConnectionReport, side: 'client' | 'server', finishedS: number): void {
    const states = c.states[side];
    // The initial state (index 0) is assumed, not seen.
    for (let i = 1; i < states.length; i++) {
      const e = states[i]!;
      if (!LINGER_STATES.has(e.state)) continue;
      const next = states[i + 1];
      const endS = next ? next.s : finishedS; // the last state lasts until the connection was finished
      if (diffS(e.s, endS) < this.t.lingerS) continue;
      const [endpoint, peer] = side === 'client' ? [c.client, c.server] : [c.server, c.client];
      this.lingering.push({
        kind: 'lingering', state: e.state, side, endpoint, peer, connection: c.id, enteredS: e.s,
        durationS: diffS(e.s, endS), atCaptureEnd: !next, retransmitIntervalsS: retransmitsDuring(c, side, e.state),
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
function probeStyle(c: ConnectionReport): ScanStyle | null {
  const first = c.anomalies.find((a) => a.frame === c.firstFrame && a.from === 'client');
  if (first?.kind === 'null') return 'null';
  if (first?.kind === 'xmas') return 'xmas';
  if (first?.kind === 'fin-no-ack') return 'fin';
  if (c.handshake.synS === null) return null;
  if (c.handshake.kind === 'reset-by-client') return 'syn';
  // A full connect() that sends nothing and hangs up at once.
  if (c.handshake.kind === 'complete' && c.bytes.clientToServer === 0 && c.packets.clientToServer <= 4) return 'connect';
  return null;
}

function retransmitsDuring(c: ConnectionReport, side: 'client' | 'server', state: TcpState): number[] {
  if (state === 'SYN_SENT') return c.handshake.synRetransmitIntervalsS;
  if (state === 'SYN_RECEIVED') return c.handshake.synAckRetransmitIntervalsS;
  if (state === 'FIN_WAIT_1' || state === 'LAST_ACK') return c.close.finRetransmits.filter((r) => r.side === side).map((r) => r.intervalS);
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
