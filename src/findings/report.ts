/** Assembles the per-connection findings and the summary into the report (SPEC sections 4 and 6). */
import type { Connection } from '../connections/connection.js';
import { ALERT_KINDS, type Alert } from './alerts.js';
import { analyzeClose } from './close.js';
import { analyzeHandshake } from './handshake.js';
import { analyzeResets } from './resets.js';
import { finalState, timeInState } from './states.js';
import { analyzeTimeWait } from './time-wait.js';
import {
  ANOMALY_KINDS, AnomalyReport, CLOSE_KINDS, ConnectionReport, HANDSHAKE_KINDS, RESET_KINDS,
} from './types.js';

export interface FindingsContext {
  /** Seconds since the first packet at which the capture ended (its latest timestamp). */
  captureEndS: number;
  /** TIME_WAIT length in seconds (Linux: 60; RFC 793's 2 x MSL: 240). */
  timeWaitS: number;
  fileName: (fileIndex: number) => string;
}

export function connectionReport(conn: Connection, anomalies: AnomalyReport[], ctx: FindingsContext): ConnectionReport {
  const hist = {
    client: conn.client.history(ctx.timeWaitS, ctx.captureEndS),
    server: conn.server.history(ctx.timeWaitS, ctx.captureEndS),
  };
  const final = { client: finalState(hist.client), server: finalState(hist.server) };
  const { client, server } = conn;
  return {
    id: conn.id,
    client: { ip: client.ip, port: client.port },
    server: { ip: server.ip, port: server.port },
    ipVersion: conn.ipVersion,
    midstream: conn.midstream,
    firstS: conn.firstS,
    lastS: conn.lastS,
    firstFrame: conn.firstFrame,
    lastFrame: conn.lastFrame,
    file: ctx.fileName(conn.fileIndex),
    packets: { clientToServer: client.packets, serverToClient: server.packets },
    bytes: { clientToServer: client.bytes, serverToClient: server.bytes },
    retransmits: { clientToServer: client.retransmits, serverToClient: server.retransmits },
    handshake: analyzeHandshake(conn),
    close: analyzeClose(conn, final),
    resets: analyzeResets(conn, hist, ctx.fileName),
    timeWait: analyzeTimeWait(conn, hist, ctx.captureEndS),
    // A history's transitions are its state entries, field for field, and built fresh for this report.
    states: { client: hist.client, server: hist.server },
    finalState: final,
    timeInStateS: { client: timeInState(hist.client, ctx.captureEndS), server: timeInState(hist.server, ctx.captureEndS) },
    anomalies,
    notes: conn.notes.map((n) => ({ ...n })),
  };
}

export interface Summary {
  connections: number;
  handshakes: Record<string, number>;
  closes: Record<string, number>;
  resets: number;
  resetKinds: Record<string, number>;
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
    timeWait: { entries: 0, reused: 0, expired: 0, open: 0, reset: 0, maxDurationS: null },
    anomalies: 0,
    anomalyKinds: tally(ANOMALY_KINDS),
    alerts: 0,
    alertKinds: tally(ALERT_KINDS),
  };

  addConnection(c: ConnectionReport): void {
    const s = this.s;
    s.connections++;
    s.handshakes[c.handshake.kind]!++;
    s.closes[c.close.kind]!++;
    for (const r of c.resets) { s.resets++; s.resetKinds[r.kind]!++; }
    for (const t of c.timeWait) {
      s.timeWait.entries++;
      s.timeWait[t.end]++;
      s.timeWait.maxDurationS = Math.max(s.timeWait.maxDurationS ?? 0, t.durationS);
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
