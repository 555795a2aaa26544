/**
 * `--fail-on`: conditions a CI job can make fatal (exit 1), each violation one line (SPEC section 7).
 */
import type { Report } from '../pipeline.js';
import type { ConnectionReport } from '../findings/types.js';
import type { Alert } from '../findings/alerts.js';
import { describeAlert } from '../views/format.js';

interface Condition {
  description: string;
  violations: (r: Report) => string[];
}

const conn = (c: ConnectionReport) => `connection #${c.id} ${c.client.ip}:${c.client.port} -> ${c.server.ip}:${c.server.port}`;

const perConnection = (test: (c: ConnectionReport) => string | null) => (r: Report) =>
  r.connections.flatMap((c) => {
    const why = test(c);
    return why === null ? [] : [`${conn(c)}: ${why}`];
  });

const handshakeIs = (...kinds: string[]) =>
  perConnection((c) => (kinds.includes(c.handshake.kind) ? `handshake ${c.handshake.kind}` : null));

export const CONDITIONS: Record<string, Condition> = {
  anomalies: {
    description: 'any packet with an illegal flag combination',
    violations: (r) => r.anomalies.map((a) => `frame ${a.frame}: anomaly ${a.kind} [${a.flags}] ${a.src} -> ${a.dst}`),
  },
  resets: {
    description: 'any RST',
    violations: (r) => r.connections.flatMap((c) => c.resets.map((x) => `${conn(c)}: ${x.kind} RST from ${x.from} at frame ${x.frame}`)),
  },
  'incomplete-handshake': {
    description: 'a handshake that did not complete (refused, no-reply, half-open, reset-by-client, invalid)',
    violations: handshakeIs('refused', 'no-reply', 'half-open', 'reset-by-client', 'invalid'),
  },
  refused: { description: 'a SYN answered by RST', violations: handshakeIs('refused') },
  'no-reply': { description: 'SYNs with no answer', violations: handshakeIs('no-reply') },
  'half-open': { description: 'a SYN/ACK never acknowledged', violations: handshakeIs('half-open') },
  'invalid-handshake': { description: 'a SYN/ACK that does not acknowledge the SYN', violations: handshakeIs('invalid') },
  unclosed: {
    description: 'a connection open (no FIN or RST) or with its close unfinished at capture end',
    violations: perConnection((c) => (c.close.kind === 'none' || c.close.kind === 'incomplete' ? `close ${c.close.kind}` : null)),
  },
  'out-of-window': {
    description: 'a RST its receiver could not accept',
    violations: (r) => r.connections.flatMap((c) => c.resets.filter((x) => x.kind === 'out-of-window').map((x) => `${conn(c)}: out-of-window RST at frame ${x.frame}`)),
  },
  retransmissions: {
    description: 'any retransmitted segment',
    violations: perConnection((c) => {
      const n = c.retransmits.clientToServer + c.retransmits.serverToClient;
      return n > 0 ? `${n} retransmissions` : null;
    }),
  },
  'time-wait': {
    description: 'any endpoint entering TIME_WAIT',
    violations: (r) => r.connections.flatMap((c) => c.timeWait.map((w) => `${conn(c)}: ${w.side} in TIME_WAIT from ${w.enteredS}`)),
  },
  alerts: {
    description: 'any alert (syn-flood, port-scan, lingering, time-wait-pileup)',
    violations: (r) => r.alerts.map(describeAlert),
  },
  'syn-flood': { description: 'a SYN flood alert', violations: alertsOf('syn-flood') },
  'port-scan': { description: 'a port scan alert', violations: alertsOf('port-scan') },
  lingering: { description: 'an endpoint lingering in a closing or opening state past --linger', violations: alertsOf('lingering') },
  'time-wait-pileup': { description: 'a host with more endpoints in TIME_WAIT at once than --time-wait-pileup', violations: alertsOf('time-wait-pileup') },
  truncated: {
    description: 'the capture was cut short or held a corrupt record',
    violations: (r) => (r.input.truncated ? r.input.warnings.map((w) => `${w.file}: ${w.message}`) : []),
  },
};

function alertsOf(kind: Alert['kind']) {
  return (r: Report) => r.alerts.filter((a) => a.kind === kind).map(describeAlert);
}

/** Parses a comma-separated list; throws with the list of valid names on an unknown one. */
export function parseFailOn(value: string): string[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!(n in CONDITIONS)) throw new Error(`unknown --fail-on condition '${n}' (known: ${Object.keys(CONDITIONS).join(', ')})`);
  }
  return names;
}

export function failOnViolations(report: Report, names: string[]): string[] {
  return names.flatMap((n) => CONDITIONS[n]!.violations(report).map((v) => `${n}: ${v}`));
}
