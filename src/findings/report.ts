/**
 * Assembles the per-connection findings and the summary into the report (SPEC sections 4 and 6).
 *
 * A large capture finishes a connection every dozen packets, so the findings of each are worked
 * out into one reused record of numbers (ConnectionFindings) rather than an object graph: the
 * summary, the alerts and the NDJSON writer read it as it is; `report()` makes the ConnectionReport
 * object (what --json carries) only for the views that keep or print one.
 */
import { type Connection, type RstFact, newRstFact } from '../connections/connection.js';
import { History } from '../connections/endpoint.js';
import { TCP_STATES } from '../connections/state.js';
import { ALERT_KINDS, type Alert } from './alerts.js';
import { CloseFacts, analyzeClose, closeReport } from './close.js';
import { HandshakeFacts, analyzeHandshake, handshakeReport } from './handshake.js';
import { ResetFacts, analyzeResets, resetReports } from './resets.js';
import { TimeInState, timeInState } from './states.js';
import { TIME_WAIT_ENDS, TimeWaitFacts, analyzeTimeWait, timeWaitReports } from './time-wait.js';
import {
  ANOMALY_KINDS, AnomalyReport, CLOSE_KINDS, ConnectionReport, HANDSHAKE_KINDS, type IcmpReport, RESET_KINDS, icmpMessage,
} from './types.js';

export interface FindingsContext {
  /** Seconds since the first packet at which the capture ended (its latest timestamp). */
  captureEndS: number;
  /** TIME_WAIT length in seconds (Linux: 60; RFC 793's 2 x MSL: 240). */
  timeWaitS: number;
  fileName: (fileIndex: number) => string;
}

const NO_ANOMALIES: readonly AnomalyReport[] = Object.freeze([]);

/**
 * The findings of one finished connection: what `analyze` worked out, beside the connection it
 * reads the rest from (its counters, SYN and FIN copies, RSTs and notes). One instance serves
 * every connection in turn: valid until the next `analyze`.
 */
export class ConnectionFindings {
  /** The connection (a view of its slot, valid while the findings are). */
  conn!: Connection;
  anomalies: readonly AnomalyReport[] = NO_ANOMALIES;
  /** The name of the file it was first seen in. */
  file = '';
  clientIp = '';
  serverIp = '';
  /** Each side's state history. */
  readonly client = new History();
  readonly server = new History();
  readonly handshake = new HandshakeFacts();
  readonly close = new CloseFacts();
  readonly resets = new ResetFacts();
  readonly timeWait = new TimeWaitFacts();
  readonly timeInClient = new TimeInState();
  readonly timeInServer = new TimeInState();
  private fileName: (fileIndex: number) => string = String;
  /** To read the connection's RSTs into. */
  readonly rst: RstFact = newRstFact();

  /** Works out the findings of `conn` (finished by capture time ctx.captureEndS). */
  analyze(conn: Connection, anomalies: readonly AnomalyReport[], ctx: FindingsContext): this {
    this.conn = conn;
    this.anomalies = anomalies;
    this.fileName = ctx.fileName;
    this.file = ctx.fileName(conn.fileIndex);
    this.clientIp = conn.client.ip;
    this.serverIp = conn.server.ip;
    conn.client.historyInto(this.client, ctx.timeWaitS, ctx.captureEndS);
    conn.server.historyInto(this.server, ctx.timeWaitS, ctx.captureEndS);
    analyzeHandshake(conn, this.handshake, this.rst);
    analyzeClose(conn, this.close, this.client.final, this.server.final, this.rst);
    analyzeResets(conn, this.resets, this.client, this.server, this.rst, this.handshake.rttS);
    analyzeTimeWait(conn, this.timeWait, this.client, this.server, ctx.captureEndS);
    timeInState(this.client, ctx.captureEndS, this.timeInClient);
    timeInState(this.server, ctx.captureEndS, this.timeInServer);
    return this;
  }

  /** The name of file `i` of the input. */
  fileOf(i: number): string {
    return this.fileName(i);
  }

  /** The report's object for this connection (fresh: it may be kept). */
  report(): ConnectionReport {
    const conn = this.conn;
    const { client, server } = conn;
    return {
      id: conn.id,
      client: { ip: this.clientIp, port: client.port },
      server: { ip: this.serverIp, port: server.port },
      ipVersion: conn.ipVersion,
      midstream: conn.midstream,
      firstS: conn.firstS,
      lastS: conn.lastS,
      firstFrame: conn.firstFrame,
      lastFrame: conn.lastFrame,
      file: this.file,
      packets: { clientToServer: client.packets, serverToClient: server.packets },
      bytes: { clientToServer: client.bytes, serverToClient: server.bytes },
      retransmits: { clientToServer: client.retransmits, serverToClient: server.retransmits },
      handshake: handshakeReport(conn, this.handshake),
      close: closeReport(conn, this.close),
      resets: resetReports(conn, this.resets, this.fileName, this.rst),
      timeWait: timeWaitReports(conn, this.timeWait, this.client, this.server),
      states: { client: this.client.transitions(), server: this.server.transitions() },
      finalState: { client: TCP_STATES[this.client.final]!, server: TCP_STATES[this.server.final]! },
      timeInStateS: { client: this.timeInClient.record(), server: this.timeInServer.record() },
      anomalies: [...this.anomalies],
      notes: conn.notes,
      icmp: icmpReports(conn, this.fileName),
    };
  }
}

/** The connection's ICMP errors as the report gives them. */
function icmpReports(conn: Connection, fileName: (i: number) => string): IcmpReport[] {
  if (conn.icmpCount === 0) return [];
  return conn.icmpErrors().map((e) => ({
    s: e.s, frame: e.frame, file: fileName(e.fileIndex), fileFrame: e.fileFrame, to: e.to, sender: e.sender,
    type: e.type, code: e.code, message: icmpMessage(e.ipVersion, e.type, e.code), seq: e.seq, acceptable: e.acceptable, effect: e.effect, mtu: e.mtu,
  }));
}

/** The report's object for `conn` (for tests and one-off use; a run reuses one ConnectionFindings). */
export function connectionReport(conn: Connection, anomalies: readonly AnomalyReport[], ctx: FindingsContext): ConnectionReport {
  return new ConnectionFindings().analyze(conn, anomalies, ctx).report();
}

export interface Summary {
  connections: number;
  handshakes: Record<string, number>;
  closes: Record<string, number>;
  resets: number;
  resetKinds: Record<string, number>;
  /** ICMP errors about connections' segments (connections[].icmp), and by name (only those seen). */
  icmpErrors: number;
  icmpKinds: Record<string, number>;
  timeWait: { entries: number; reused: number; expired: number; open: number; reset: number; maxDurationS: number | null };
  anomalies: number;
  anomalyKinds: Record<string, number>;
  alerts: number;
  alertKinds: Record<string, number>;
}

/** Counts by kind, every kind present (zero included) so scripts can rely on the keys. */
function tally(kinds: readonly string[]): Record<string, number> {
  return Object.fromEntries(kinds.map((k) => [k, 0]));
}

/** A running summary: connections are added as they finish, so it works for streamed output too. */
export class SummaryBuilder {
  private readonly s: Summary = {
    connections: 0,
    handshakes: tally(HANDSHAKE_KINDS),
    closes: tally(CLOSE_KINDS),
    resets: 0,
    resetKinds: tally(RESET_KINDS),
    icmpErrors: 0,
    icmpKinds: {},
    timeWait: { entries: 0, reused: 0, expired: 0, open: 0, reset: 0, maxDurationS: null },
    anomalies: 0,
    anomalyKinds: tally(ANOMALY_KINDS),
    alerts: 0,
    alertKinds: tally(ALERT_KINDS),
  };

  addConnection(f: ConnectionFindings): void {
    const s = this.s;
    s.connections++;
    s.handshakes[f.handshake.kindName]!++;
    s.closes[f.close.kindName]!++;
    for (let i = 0; i < f.resets.count; i++) {
      s.resets++;
      s.resetKinds[RESET_KINDS[f.resets.kind[i]!]!]!++;
    }
    if (f.conn.icmpCount > 0) {
      for (const e of f.conn.icmpErrors()) {
        const name = icmpMessage(e.ipVersion, e.type, e.code);
        s.icmpErrors++;
        s.icmpKinds[name] = (s.icmpKinds[name] ?? 0) + 1;
      }
    }
    const t = f.timeWait;
    for (let i = 0; i < t.count; i++) {
      s.timeWait.entries++;
      s.timeWait[TIME_WAIT_ENDS[t.end[i]!]!]++;
      s.timeWait.maxDurationS = Math.max(s.timeWait.maxDurationS ?? 0, t.durationS[i]!);
    }
  }

  addAnomaly(a: AnomalyReport): void {
    this.s.anomalies++;
    this.s.anomalyKinds[a.kind]!++;
  }

  addAlert(a: Alert): void {
    this.s.alerts++;
    this.s.alertKinds[a.kind]!++;
  }

  result(): Summary {
    return this.s;
  }
}
