/** The default report: a summary, then each connection as a small table (cli-table3). */
import { describeAlert, endpoint, unsignedFrames } from './format.js';
import Table from 'cli-table3';
import type { ChalkInstance } from 'chalk';
import type { Report } from '../pipeline.js';
import type { Alert } from '../findings/alerts.js';
import type { AnomalyReport, ConnectionReport, MptcpResetReport, StateEntry } from '../findings/types.js';
import type { ConnectionFindings } from '../findings/report.js';
import { HandshakeCode } from '../findings/handshake.js';
import { CloseCode } from '../findings/close.js';

export interface TableOptions {
  chalk: ChalkInstance;
  /** Terminal width to fit (columns); long values wrap. */
  width?: number;
}


/** States in which a live socket has not closed: an after-close RST from one means it closed unseen. */
const SYNCHRONIZED_OPEN = new Set(['ESTABLISHED', 'CLOSE_WAIT']);
/** Up to this many connections the report lists them all. */
const SMALL = 20;
/** Beyond it, at most this many connections worth a look, and this many anomalies, are listed. */
const LIST_LIMIT = 200;
const ANOMALY_LIMIT = 100;

/**
 * What the table view lists, gathered as the analysis streams by so a capture of a million
 * connections costs no more than what is printed: every connection of a small capture; of a large
 * one, those worth a look (a handshake that did not complete, a reset or unfinished close, an
 * anomaly, a note) up to a limit, unless --all.
 */
export class TableSelection {
  readonly shown: ConnectionReport[] = [];
  private ordinary: ConnectionReport[] = [];
  hidden = 0;
  readonly anomalies: AnomalyReport[] = [];
  hiddenAnomalies = 0;
  private total = 0;

  constructor(private readonly all: boolean) {}

  connection(f: ConnectionFindings): void {
    this.total++;
    if (this.all || (worthALook(f) && this.shown.length < LIST_LIMIT)) {
      this.shown.push(f.report());
    } else if (this.total <= SMALL) {
      this.ordinary.push(f.report());
    } else {
      this.hidden += this.ordinary.length + 1;
      this.ordinary = [];
    }
  }

  anomaly(a: AnomalyReport): void {
    if (this.all || this.anomalies.length < ANOMALY_LIMIT) this.anomalies.push(a);
    else this.hiddenAnomalies++;
  }

  /** The connections to list, in id order. */
  connections(): ConnectionReport[] {
    return [...this.shown, ...this.ordinary].sort((a, b) => a.id - b.id);
  }
}

/** A handshake that did not complete, a reset or unfinished close, an anomaly or a note. */
function worthALook(f: ConnectionFindings): boolean {
  const h = f.handshake.kind;
  const c = f.close.kind;
  return (h !== HandshakeCode.COMPLETE && h !== HandshakeCode.MIDSTREAM) ||
    c === CloseCode.RESET || c === CloseCode.FIN_THEN_RESET || c === CloseCode.INCOMPLETE ||
    f.resets.count > 0 || f.anomalies.length > 0 || f.conn.noteCount > 0;
}

/** The report as tables: the summary from `report`, the connections and anomalies `selection` kept. */
export function renderReport(report: Report, opts: TableOptions, selection: TableSelection): string {
  const c = opts.chalk;
  const t = timeFormatter(report.input.timePrecision);
  const out: string[] = [];
  const inp = report.input;
  out.push(c.bold(`${report.tool.name} ${report.tool.version}`) + `  ${inp.files.map((f) => f.name).join(', ')}`);
  out.push(
    `${inp.format}, ${inp.linkTypes.join('/') || 'no link type'}: ${inp.packets} packets, ${inp.tcpPackets} TCP` +
      (inp.startTime ? `, from ${inp.startTime} for ${t(inp.durationS)} s` : '') +
      skippedText(report),
  );
  for (const w of inp.warnings) out.push(c.yellow(`warning: ${w.file}: ${w.message}${w.offset !== undefined ? ` (at byte offset ${w.offset})` : ''}${w.line !== undefined ? ` (line ${w.line})` : ''}`));
  out.push('');
  out.push(summaryTable(report, c));
  for (const conn of selection.connections()) {
    out.push('');
    out.push(connectionTable(conn, report, c, t, opts.width ?? 100));
  }
  if (selection.hidden > 0) {
    out.push('');
    out.push(c.dim(`${selection.hidden} more connections not listed (${selection.shown.length >= LIST_LIMIT ? 'the limit was reached' : 'completed handshake, clean or no close, nothing unusual'}): --all lists every one, --json gives them all`));
  }
  if (report.alerts.length > 0) {
    out.push('');
    out.push(c.bold('Alerts'));
    for (const a of report.alerts) out.push(c.red(`  ${describeAlert(a)}`) + alertDetail(a, t));
  }
  const anomalies = selection.anomalies;
  if (anomalies.length > 0) {
    out.push('');
    out.push(c.bold('Anomalies (flag combinations no correct stack sends)'));
    const tab = new Table({ head: ['frame', 'time s', 'kind', 'flags', 'from', 'to', 'conn'], style: { head: [], border: [] }, chars: COMPACT });
    for (const a of anomalies) tab.push([a.frame, t(a.s), c.red(a.kind), a.flags, a.src, a.dst, a.connection ?? '-']);
    out.push(tab.toString());
    if (selection.hiddenAnomalies > 0) out.push(c.dim(`${selection.hiddenAnomalies} more anomalies not listed: --all lists every one`));
  }
  return out.join('\n') + '\n';
}

/** The figures of an alert beyond its one-line description. */
function alertDetail(a: Alert, t: (s: number) => string): string {
  switch (a.kind) {
    case 'syn-flood':
      return `\n    ${t(a.firstS)}-${t(a.lastS)} s, ${a.ratePerS.toFixed(1)} SYN/s at the busiest, peak at ${t(a.peakS)} s; server answered: ` +
        `${a.answers.retransmitted} with retransmitted SYN/ACKs, ${a.answers.once} with a single SYN/ACK (syncookies), ${a.answers.none} not at all`;
    case 'port-scan':
      return `\n    ${t(a.firstS)}-${t(a.lastS)} s; closed ${a.closedPorts.length}, silent ${a.silentPorts.length}`;
    case 'lingering':
      return a.retransmitIntervalsS.length ? `\n    retransmission intervals ${a.retransmitIntervalsS.map(t).join(', ')} s` : '';
    case 'time-wait-pileup':
      return `\n    ${a.entries} TIME_WAIT entries in all`;
  }
}

function skippedText(report: Report): string {
  const parts = Object.entries(report.input.skipped).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`);
  return parts.length ? ` (skipped: ${parts.join(', ')})` : '';
}

/** Non-zero counts of a tally, as "kind n, kind n". */
function counts(tally: Record<string, number>): string {
  const parts = Object.entries(tally).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
  return parts.length ? parts.join(', ') : '-';
}

function summaryTable(report: Report, c: ChalkInstance): string {
  const s = report.summary;
  const tab = new Table({ style: { head: [], border: [] } });
  const tw = s.timeWait;
  tab.push(
    { [c.bold('connections')]: String(s.connections) },
    { [c.bold('handshakes')]: counts(s.handshakes) },
    { [c.bold('closes')]: counts(s.closes) },
    { [c.bold('resets')]: s.resets ? `${s.resets} (${counts(s.resetKinds)})` : '0' },
    ...(s.icmpErrors ? [{ [c.bold('ICMP errors')]: `${s.icmpErrors} (${counts(s.icmpKinds)})` }] : []),
    { [c.bold('TIME_WAIT')]: tw.entries ? `${tw.entries} (${counts({ reused: tw.reused, expired: tw.expired, open: tw.open, reset: tw.reset })})` : '0' },
    { [c.bold('anomalies')]: s.anomalies ? c.red(`${s.anomalies} (${counts(s.anomalyKinds)})`) : '0' },
    { [c.bold('alerts')]: s.alerts ? c.red(`${s.alerts} (${counts(s.alertKinds)})`) : '0' },
  );
  return tab.toString();
}

function connectionTable(conn: ConnectionReport, report: Report, c: ChalkInstance, t: (s: number) => string, width: number): string {
  const h = conn.handshake;
  const cl = conn.close;
  const title = c.bold(`#${conn.id} ${endpoint(conn.client)} -> ${endpoint(conn.server)}`) +
    `  ${conn.packets.clientToServer}/${conn.packets.serverToClient} packets, ` +
    `${conn.bytes.clientToServer}/${conn.bytes.serverToClient} bytes, ${t(conn.firstS)}-${t(conn.lastS)} s` +
    (conn.midstream ? c.yellow('  (midstream)') : '') + (report.input.files.length > 1 ? `  [${conn.file}]` : '');
  const labelWidth = 11;
  const tab = new Table({
    style: { head: [], border: [] }, wordWrap: true, wrapOnWordBoundary: true,
    colWidths: [labelWidth + 2, Math.max(30, width - labelWidth - 5)],
  });
  const good = (k: string, ok: boolean) => (ok ? c.green(k) : c.yellow(k));
  const row = (label: string, ...lines: string[]) => tab.push([label, lines.filter(Boolean).join('\n')]);

  const times = [
    h.synS !== null ? `SYN ${t(h.synS)}` : '',
    h.synAckS !== null ? `SYN/ACK ${t(h.synAckS)}` : '',
    h.ackS !== null ? `ACK ${t(h.ackS)}` : '',
    h.rttS !== null ? `(rtt ${t(h.rttS)} s)` : '',
  ].filter(Boolean).join('  ');
  const retx = [
    h.synRetransmits.length ? `SYN retransmitted ${h.synRetransmits.length}x, intervals ${h.synRetransmitIntervalsS.map(t).join(', ')} s` : '',
    h.synAckRetransmits.length ? `SYN/ACK retransmitted ${h.synAckRetransmits.length}x, intervals ${h.synAckRetransmitIntervalsS.map(t).join(', ')} s` : '',
  ];
  const opt = (o: typeof h.options.client) => (o ? `mss ${o.mss ?? '-'}, wscale ${o.windowScale ?? '-'}${o.sackPermitted ? ', sack' : ''}${o.timestamps ? ', timestamps' : ''}${o.fastOpen ? ', fast open' : ''}${o.mptcp === 'capable' ? ', MPTCP' : o.mptcp === 'join' ? ', MPTCP join' : ''}` : '');
  row('handshake', `${good(h.kind, h.kind === 'complete')}  ${times}`, ...retx,
    h.options.client ? `client offered ${opt(h.options.client)}` : '', h.options.server ? `server offered ${opt(h.options.server)}` : '',
    h.mptcpSubflowOf !== null ? `an MPTCP subflow of #${h.mptcpSubflowOf}'s connection` : '');

  const closeHead = [good(cl.kind, ['four-way', 'three-way', 'simultaneous'].includes(cl.kind)), cl.initiator ? `by ${cl.initiator}` : '',
    cl.firstFinS !== null ? `first FIN ${t(cl.firstFinS)}` : '', cl.completeS !== null ? `complete ${t(cl.completeS)}` : ''].filter(Boolean).join('  ');
  row('close', closeHead,
    cl.halfClose ? `half-close: ${cl.halfCloseBytes} bytes from the passive side after the first FIN` : '',
    cl.finRetransmits.length ? `FIN retransmitted: ${cl.finRetransmits.map((r) => `${r.side} +${t(r.intervalS)}`).join(', ')} s` : '',
    cl.lingering ? c.yellow(`lingering at capture end: client ${cl.lingering.client}, server ${cl.lingering.server}`) : '');
  const unsigned = unsignedFrames(conn);
  for (const r of conn.resets) {
    row('reset', `${c.red(r.kind)} from ${r.from} at ${t(r.s)} (frame ${r.frame}): ${r.from} ${r.senderState}, peer ${r.receiverState}` +
      (unsigned.has(r.frame) ? c.red(`, unsigned on a signed connection (TCP-MD5/TCP-AO): not sent by ${r.from}` +
        (r.inWindow === false ? ', and the peer discarded it' : `, taken by the peer's ${r.receiverState}`))
        : r.inWindow === false ? c.red(', out of window') : '') +
      // Its sender went on with the connection (Connection.senderOutlivedItsRsts).
      (r.senderContinued ? c.yellow(`; ${r.from} went on with the connection after it, so it did not close ${r.from} (injected in its name, or one segment refused)`) : '') +
      (r.receiverContinued ? c.yellow(`; the peer acknowledged what ${r.from} sent after it, so it never took it`) : '') +
      mptcpResetText(r.mptcp) +
      // A socket that was still open as far as the wire showed: a timer had closed it unseen.
      (r.kind === 'after-close' && SYNCHRONIZED_OPEN.has(r.senderState) ? ` (a reply from a host without the connection: ${r.from}'s socket had closed unseen)` : ''));
  }
  for (const w of conn.timeWait) {
    const dur = w.end === 'open' ? `still open at capture end (>= ${t(w.durationS)} s)` : `${w.end} after ${t(w.durationS)} s`;
    const fins = w.finRetransmitsAnswered.length ? `; answered ${w.finRetransmitsAnswered.length} retransmitted FIN(s)` : '';
    row('TIME_WAIT', `${w.side} from ${t(w.enteredS)}: ${dur}${fins}`);
  }
  for (const e of conn.icmp) {
    row('ICMP', `${c.red(e.message)}${e.mtu !== null ? ` (mtu ${e.mtu})` : ''} from ${e.sender} to ${e.to} at ${t(e.s)} (frame ${e.frame})` +
      (e.acceptable === false ? ', quoting a segment it no longer had out' : '') +
      (e.effect === 'closed' ? `: ${e.to} gave up opening the connection (Linux: connect() fails)` : '') +
      // The endpoint sent again after it (Connection.outlivedIcmpErrors).
      (e.effect === 'ignored' ? c.yellow(`; ${e.to} sent again after it, so it did not take it`) : ''));
  }
  for (const n of conn.notes) {
    row('note', `${n.kind} from ${n.from} at ${t(n.s)} (frame ${n.frame}${n.kind.endsWith('-data') || n.bytes > 0 ? `, ${n.bytes} bytes` : ''})` +
      (n.kind === 'unsigned' ? `: no TCP-MD5/TCP-AO signature on a signed connection, so not sent by ${n.from}` : ''));
  }
  for (const a of conn.anomalies) row('anomaly', c.red(`${a.kind} [${a.flags}] from ${a.from} at ${t(a.s)} (frame ${a.frame})`));
  row('final', `client ${conn.finalState.client}, server ${conn.finalState.server}`);
  return `${title}\n${tab.toString()}\n${statesTable(conn, t)}`;
}

/** What a RST's MPTCP options say (RFC 8684 3.5, 3.6), for its row. */
function mptcpResetText(m: MptcpResetReport | null): string {
  if (m === null) return '';
  const why = m.reason !== null ? `, reason ${m.reason}` : '';
  return m.fastClose ? `; MPTCP fast close: the whole MPTCP connection aborted${why}` : `; MPTCP: this subflow reset${why}`;
}

/** Both sides' transitions merged in time order: the skeleton of the ladder diagram. */
function statesTable(conn: ConnectionReport, t: (s: number) => string): string {
  const rows: { e: StateEntry; side: 'client' | 'server' }[] = [
    ...conn.states.client.map((e) => ({ e, side: 'client' as const })),
    ...conn.states.server.map((e) => ({ e, side: 'server' as const })),
  ].sort((a, b) => a.e.s - b.e.s || (a.e.frame ?? Infinity) - (b.e.frame ?? Infinity) || initialFirst(a.e) - initialFirst(b.e));
  const tab = new Table({ head: ['time s', 'frame', `client ${endpoint(conn.client)}`, `server ${endpoint(conn.server)}`, 'cause'], style: { head: [], border: [] }, chars: COMPACT });
  for (const { e, side } of rows) {
    tab.push([t(e.s), e.frame ?? '-', side === 'client' ? e.state : '', side === 'server' ? e.state : '', e.event]);
  }
  return tab.toString();
}

/** Box drawing without a rule between rows: long lists stay readable. */
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

const initialFirst = (e: StateEntry) => (e.event === 'initial' ? 0 : 1);


export function timeFormatter(digits: number): (s: number) => string {
  return (s) => s.toFixed(digits);
}
