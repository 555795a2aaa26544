/** Small formatting helpers shared by the terminal views (and --fail-on's messages). */
import type { Alert } from '../findings/alerts.js';
import type { ConnectionReport } from '../findings/types.js';
import { formatEndpoint } from '../decode/addr.js';

/** An endpoint as ss writes it: `ip:port`, IPv6 in brackets. */
export function endpoint(a: { ip: string; port: number }): string {
  return formatEndpoint(a.ip, a.port);
}

/** Whether the tracker found the connection to be a socket connected to itself (its `self-connect` note). */
export function isSelfConnected(c: Pick<ConnectionReport, 'notes'>): boolean {
  return c.notes.some((n) => n.kind === 'self-connect');
}

/**
 * The frames of the segments without the signature of a signed connection (TCP-MD5, TCP-AO): its
 * `unsigned` notes, segments their apparent sender did not send.
 */
export function unsignedFrames(c: Pick<ConnectionReport, 'notes'>): Set<number> {
  return new Set(c.notes.filter((n) => n.kind === 'unsigned').map((n) => n.frame));
}

/** Pads by visible width: colour codes do not count. */
export function padVisible(s: string, w: number): string {
  // eslint-disable-next-line no-control-regex
  const visible = s.replace(/\x1b\[[0-9;]*m/g, '').length;
  return visible >= w ? s : s + ' '.repeat(w - visible);
}

/** One line for an alert, for --fail-on and the table view. */
export function describeAlert(a: Alert): string {
  const ep = endpoint;
  switch (a.kind) {
    case 'syn-flood':
      return `syn-flood on ${ep(a.server)}: ${a.count} half-open connections within ${a.windowS} s (${a.total} in all) from ${a.sources} sources, peak ${a.peakHalfOpen} at once`;
    case 'port-scan':
      return `port-scan (${a.style}) of ${a.target} from ${a.source}: ${a.ports} ports, open ${a.openPorts.join(',') || 'none'}`;
    case 'lingering':
      return `lingering: ${a.side} ${ep(a.endpoint)} (connection #${a.connection}) in ${a.state} for ${a.atCaptureEnd ? 'at least ' : ''}${a.durationS.toFixed(3)} s`;
    case 'time-wait-pileup':
      return `time-wait-pileup on ${a.host}: ${a.peak} endpoints in TIME_WAIT at once (at ${a.peakS.toFixed(3)} s)`;
  }
}
