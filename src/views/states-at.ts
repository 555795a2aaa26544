/**
 * The states-at view: every endpoint's state at one moment, laid out like `ss -tan`, with the
 * count per state at the bottom (the `netstat | grep SYN_RECV | wc -l` of the articles, for any
 * instant of the past). Endpoints without a socket (CLOSED, or only assumed LISTEN) are not listed,
 * and a socket connected to itself (both sides of its connection) is listed once.
 */
import { endpoint, isSelfConnected } from './format.js';
import Table from 'cli-table3';
import type { ChalkInstance } from 'chalk';
import { SS_NAMES, TCP_STATES, type TcpState } from '../connections/state.js';
import type { Report } from '../pipeline.js';
import type { StateEntry } from '../findings/types.js';
import { roundS, sumS } from '../time.js';

export interface EndpointState {
  state: TcpState;
  local: string;
  peer: string;
  connection: number;
  /** When it entered the state (seconds since the first packet). */
  sinceS: number;
}

/**
 * The state each endpoint held at `atS` (seconds since the first packet), in connection order.
 * Past the capture's end, each endpoint is as the capture left it, except that a TIME_WAIT has
 * ended once its length (the report's timeWaitS: Linux's fixed 60 s) has passed, as the kernel's
 * timer ends it: inside the capture the tracker dates that end itself (`expired`).
 */
export function statesAt(report: Report, atS: number): EndpointState[] {
  const out: EndpointState[] = [];
  const pastEnd = atS > report.input.durationS;
  for (const c of report.connections) {
    if (atS < c.firstS) continue;
    for (const side of ['client', 'server'] as const) {
      const e = entryAt(c.states[side], atS);
      if (!e || e.state === 'CLOSED' || e.state === 'LISTEN') continue;
      if (pastEnd && e.state === 'TIME_WAIT' && atS >= sumS(e.s, report.options.timeWaitS)) continue;
      const [local, peer] = side === 'client' ? [c.client, c.server] : [c.server, c.client];
      // A socket connected to itself is both sides of its connection, and one socket to ss.
      if (side === 'server' && isSelfConnected(c)) continue;
      out.push({ state: e.state, local: endpoint(local), peer: endpoint(peer), connection: c.id, sinceS: e.s });
    }
  }
  return out;
}

function entryAt(states: StateEntry[], atS: number): StateEntry | null {
  let cur: StateEntry | null = null;
  for (const e of states) {
    if (e.s > atS) break;
    cur = e;
  }
  return cur;
}

export function renderStatesAt(report: Report, atS: number, rows: EndpointState[], chalk: ChalkInstance): string {
  const t = (s: number) => s.toFixed(report.input.timePrecision);
  const out: string[] = [];
  out.push(chalk.bold(`States at ${t(atS)} s`) + (report.input.startTime ? `  (${clockAt(report.input.startTime, atS)})` : ''));
  const end = report.input.durationS;
  if (atS < 0) out.push(chalk.dim('(before the capture\'s first packet: nothing of it is known yet)'));
  else if (atS > end) out.push(chalk.dim(`(after the capture's end at ${t(end)} s: each endpoint as the capture left it, but a TIME_WAIT ends ${report.options.timeWaitS} s after it began)`));
  const tab = new Table({
    head: ['State', 'Local Address:Port', 'Peer Address:Port', 'since s', 'conn'],
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const r of rows) tab.push([SS_NAMES[r.state], r.local, r.peer, t(r.sinceS), `#${r.connection}`]);
  out.push(rows.length ? tab.toString() : '(no endpoint held a connection at that moment)');
  const counts = TCP_STATES.map((s) => [s, rows.filter((r) => r.state === s).length] as const).filter(([, n]) => n > 0);
  out.push(counts.length ? counts.map(([s, n]) => `${SS_NAMES[s]} ${n}`).join('  ') : '');
  return out.join('\n') + '\n';
}

/** Absolute UTC time of `atS`, from the capture's start. */
function clockAt(startIso: string, atS: number): string {
  const [whole, frac = '0'] = startIso.replace('Z', '').split('.');
  const start = Date.parse(`${whole}Z`) / 1000 + Number(`0.${frac}`);
  return new Date((start + atS) * 1000).toISOString();
}

/**
 * Parses `--at`: seconds since the first packet ("1.5"), an ISO 8601 time, or a clock time as
 * tcpdump prints it by default ("09:15:16.087862", the machine's local time zone, on the day the
 * capture started; a clock earlier than the start means the next day). Null if unreadable.
 */
export function parseAt(value: string, startIso: string | null): number | null {
  const at = parseAtRaw(value, startIso);
  return at === null ? null : roundS(at);
}

function parseAtRaw(value: string, startIso: string | null): number | null {
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (!startIso) return null;
  const [whole, frac = '0'] = startIso.replace('Z', '').split('.');
  const start = Date.parse(`${whole}Z`) / 1000 + Number(`0.${frac}`);
  if (/^\d{4}-\d\d-\d\d[T ]/.test(value)) {
    const [w, f = '0'] = value.replace(' ', 'T').replace(/Z$/, '').split('.');
    const ms = Date.parse(/[+-]\d\d:\d\d$/.test(w!) || value.endsWith('Z') ? `${w}Z` : w!);
    return Number.isNaN(ms) ? null : ms / 1000 + Number(`0.${f}`) - start;
  }
  const m = /^(\d{1,2}):(\d\d):(\d\d)(\.\d+)?$/.exec(value);
  if (!m) return null;
  const day = new Date(start * 1000);
  const local = new Date(day.getFullYear(), day.getMonth(), day.getDate(), Number(m[1]), Number(m[2]), Number(m[3]));
  let at = local.getTime() / 1000 + Number(m[4] ?? 0);
  if (at < start - 43200) at += 86400; // crossed midnight
  return at - start;
}
