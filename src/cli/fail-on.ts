/**
 * `--fail-on`: conditions a CI job can make fatal (exit 1), each violation one line (SPEC section 7).
 * Judged as connections and anomalies stream by, so it works with every output, --ndjson included.
 */
import type { Report } from '../pipeline.js';
import type { AnomalyReport, ConnectionReport } from '../findings/types.js';
import type { ConnectionFindings } from '../findings/report.js';
import type { Alert } from '../findings/alerts.js';
import { describeAlert, endpoint } from '../views/format.js';

interface Condition {
  description: string;
  connection?: (c: ConnectionReport) => string[];
  anomaly?: (a: AnomalyReport) => string[];
  /** Facts only known at the end: alerts, truncation. */
  report?: (r: Report) => string[];
}

const conn = (c: ConnectionReport) => `connection #${c.id} ${endpoint(c.client)} -> ${endpoint(c.server)}`;

const perConnection = (test: (c: ConnectionReport) => string | null) => (c: ConnectionReport) => {
  const why = test(c);
  return why === null ? [] : [`${conn(c)}: ${why}`];
};

const handshakeIs = (...kinds: string[]) =>
  perConnection((c) => (kinds.includes(c.handshake.kind) ? `handshake ${c.handshake.kind}` : null));

const alertsOf = (kind?: Alert['kind']) => (r: Report) => r.alerts.filter((a) => !kind || a.kind === kind).map(describeAlert);

export const CONDITIONS: Record<string, Condition> = {
  anomalies: {
    description: 'any packet with an illegal flag combination',
    anomaly: (a) => [`frame ${a.frame}: anomaly ${a.kind} [${a.flags}] ${a.src} -> ${a.dst}`],
  },
  resets: {
    description: 'any RST',
    connection: (c) => c.resets.map((x) => `${conn(c)}: ${x.kind} RST from ${x.from} at frame ${x.frame}`),
  },
  'incomplete-handshake': {
    description: 'a handshake that did not complete (refused, no-reply, half-open, reset-by-client, invalid)',
    connection: handshakeIs('refused', 'no-reply', 'half-open', 'reset-by-client', 'invalid'),
  },
  refused: { description: 'a SYN answered by RST', connection: handshakeIs('refused') },
  'no-reply': { description: 'SYNs with no answer', connection: handshakeIs('no-reply') },
  'half-open': { description: 'a SYN/ACK never acknowledged', connection: handshakeIs('half-open') },
  'invalid-handshake': { description: 'a SYN/ACK that does not acknowledge the SYN', connection: handshakeIs('invalid') },
  unclosed: {
    description: 'a connection open (no FIN or RST) or with its close unfinished at capture end',
    connection: perConnection((c) => (c.close.kind === 'none' || c.close.kind === 'incomplete' ? `close ${c.close.kind}` : null)),
  },
  'out-of-window': {
    description: 'a RST its receiver could not accept',
    connection: (c) => c.resets.filter((x) => x.kind === 'out-of-window').map((x) => `${conn(c)}: out-of-window RST at frame ${x.frame}`),
  },
  retransmissions: {
    description: 'any retransmitted segment',
    connection: perConnection((c) => {
      const n = c.retransmits.clientToServer + c.retransmits.serverToClient;
      return n > 0 ? `${n} retransmissions` : null;
    }),
  },
  'icmp-errors': {
    description: 'an ICMP error about a segment (a firewall REJECT, unreachable, fragmentation needed)',
    connection: (c) => c.icmp.map((e) => `${conn(c)}: ICMP ${e.message} from ${e.sender} to ${e.to} at frame ${e.frame}${e.effect === 'closed' ? ` (the ${e.to} gave up)` : ''}`),
  },
  'time-wait': {
    description: 'any endpoint entering TIME_WAIT',
    connection: (c) => c.timeWait.map((w) => `${conn(c)}: ${w.side} in TIME_WAIT from ${w.enteredS}`),
  },
  alerts: { description: 'any alert (syn-flood, port-scan, lingering, time-wait-pileup)', report: alertsOf() },
  'syn-flood': { description: 'a SYN flood alert', report: alertsOf('syn-flood') },
  'port-scan': { description: 'a port scan alert', report: alertsOf('port-scan') },
  lingering: { description: 'an endpoint lingering in a closing or opening state past --linger', report: alertsOf('lingering') },
  'time-wait-pileup': { description: 'a host with more endpoints in TIME_WAIT at once than --time-wait-pileup', report: alertsOf('time-wait-pileup') },
  truncated: {
    description: 'the capture was cut short or held a corrupt record',
    report: (r) => (r.input.truncated ? r.input.warnings.map((w) => `${w.file}: ${w.message}`) : []),
  },
};

/** Parses a comma-separated list; throws with the list of valid names on an unknown one. */
export function parseFailOn(value: string): string[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!(n in CONDITIONS)) throw new Error(`unknown --fail-on condition '${n}' (known: ${Object.keys(CONDITIONS).join(', ')})`);
  }
  return names;
}

/** Collects the violations of the named conditions as the analysis streams by. */
export class FailOn {
  private readonly lines: string[] = [];

  /** The conditions judged on each connection. */
  private readonly perConnection: string[];

  constructor(private readonly names: string[]) {
    this.perConnection = names.filter((n) => CONDITIONS[n]!.connection !== undefined);
  }

  connection(f: ConnectionFindings): void {
    if (this.perConnection.length === 0) return;
    const c = f.report();
    for (const n of this.perConnection) for (const v of CONDITIONS[n]!.connection!(c)) this.lines.push(`${n}: ${v}`);
  }

  anomaly(a: AnomalyReport): void {
    for (const n of this.names) for (const v of CONDITIONS[n]!.anomaly?.(a) ?? []) this.lines.push(`${n}: ${v}`);
  }

  /** Every violation, one line each, once the report is complete. */
  finish(r: Report): string[] {
    for (const n of this.names) for (const v of CONDITIONS[n]!.report?.(r) ?? []) this.lines.push(`${n}: ${v}`);
    return this.lines;
  }
}
