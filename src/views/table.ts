/** The default report: a summary, then each connection as a small table (cli-table3). */
import Table from 'cli-table3';
import type { ChalkInstance } from 'chalk';
import type { Report } from '../pipeline.js';
import type { ConnectionReport, StateEntry } from '../findings/types.js';

export interface TableOptions {
  chalk: ChalkInstance;
}

export function renderReport(report: Report, opts: TableOptions): string {
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
  for (const conn of report.connections) {
    out.push('');
    out.push(connectionTable(conn, report, c, t));
  }
  if (report.anomalies.length > 0) {
    out.push('');
    out.push(c.bold('Anomalies (flag combinations no correct stack sends)'));
    const tab = new Table({ head: ['frame', 'time s', 'kind', 'flags', 'from', 'to', 'conn'], style: { head: [], border: [] } });
    for (const a of report.anomalies) tab.push([a.frame, t(a.s), c.red(a.kind), a.flags, a.src, a.dst, a.connection ?? '-']);
    out.push(tab.toString());
  }
  return out.join('\n') + '\n';
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
    { [c.bold('TIME_WAIT')]: tw.entries ? `${tw.entries} (${counts({ reused: tw.reused, expired: tw.expired, open: tw.open, reset: tw.reset })})` : '0' },
    { [c.bold('anomalies')]: s.anomalies ? c.red(`${s.anomalies} (${counts(s.anomalyKinds)})`) : '0' },
  );
  return tab.toString();
}

function connectionTable(conn: ConnectionReport, report: Report, c: ChalkInstance, t: (s: number) => string): string {
  const h = conn.handshake;
  const cl = conn.close;
  const title = c.bold(`#${conn.id} ${addr(conn.client)} -> ${addr(conn.server)}`) +
    `  ${conn.packets.clientToServer}/${conn.packets.serverToClient} packets, ` +
    `${conn.bytes.clientToServer}/${conn.bytes.serverToClient} bytes, ${t(conn.firstS)}-${t(conn.lastS)} s` +
    (conn.midstream ? c.yellow('  (midstream)') : '') + (report.input.files.length > 1 ? `  [${conn.file}]` : '');
  const tab = new Table({ style: { head: [], border: [] }, wordWrap: true });
  const good = (k: string, ok: boolean) => (ok ? c.green(k) : c.yellow(k));

  const hs: string[] = [good(h.kind, h.kind === 'complete')];
  if (h.synS !== null) hs.push(`SYN ${t(h.synS)}`);
  if (h.synAckS !== null) hs.push(`SYN/ACK ${t(h.synAckS)}`);
  if (h.ackS !== null) hs.push(`ACK ${t(h.ackS)}`);
  if (h.rttS !== null) hs.push(`rtt ${t(h.rttS)} s`);
  if (h.synRetransmits.length) hs.push(`SYN retransmits at +${h.synRetransmitIntervalsS.map(t).join(', +')} s`);
  if (h.synAckRetransmits.length) hs.push(`SYN/ACK retransmits at +${h.synAckRetransmitIntervalsS.map(t).join(', +')} s`);
  const opt = [h.options.client, h.options.server].map((o) => (o ? `mss ${o.mss ?? '-'} ws ${o.windowScale ?? '-'}${o.sackPermitted ? ' sack' : ''}${o.timestamps ? ' ts' : ''}${o.fastOpen ? ' tfo' : ''}` : '-'));
  if (h.options.client || h.options.server) hs.push(`options client[${opt[0]}] server[${opt[1]}]`);

  const cs: string[] = [good(cl.kind, ['four-way', 'three-way', 'simultaneous'].includes(cl.kind))];
  if (cl.initiator) cs.push(`by ${cl.initiator}`);
  if (cl.firstFinS !== null) cs.push(`first FIN ${t(cl.firstFinS)}`);
  if (cl.completeS !== null) cs.push(`complete ${t(cl.completeS)}`);
  if (cl.halfClose) cs.push(`half-close: ${cl.halfCloseBytes} bytes after the first FIN`);
  if (cl.finRetransmits.length) cs.push(`FIN retransmits: ${cl.finRetransmits.map((r) => `${r.side} +${t(r.intervalS)}`).join(', ')} s`);
  if (cl.lingering) cs.push(`lingering: client ${cl.lingering.client}, server ${cl.lingering.server}`);

  tab.push({ handshake: hs.join('  ') }, { close: cs.join('  ') });
  for (const r of conn.resets) {
    tab.push({ reset: `${c.red(r.kind)} from ${r.from} at ${t(r.s)} (frame ${r.frame}), ${r.senderState} -> ${r.receiverState}${r.inWindow === false ? c.red(' out of window') : ''}` });
  }
  for (const w of conn.timeWait) {
    const dur = w.end === 'open' ? `>= ${t(w.durationS)} s, still open at capture end` : `${t(w.durationS)} s, ${w.end}`;
    const fins = w.finRetransmitsAnswered.length ? `, answered ${w.finRetransmitsAnswered.length} retransmitted FIN` : '';
    tab.push({ TIME_WAIT: `${w.side} entered ${t(w.enteredS)}: ${dur}${fins}` });
  }
  for (const n of conn.notes) tab.push({ note: `${n.kind} from ${n.from} at ${t(n.s)} (frame ${n.frame}, ${n.bytes} bytes)` });
  for (const a of conn.anomalies) tab.push({ anomaly: c.red(`${a.kind} [${a.flags}] from ${a.from} at ${t(a.s)} (frame ${a.frame})`) });
  tab.push({ final: `client ${conn.finalState.client}, server ${conn.finalState.server}` });
  return `${title}\n${tab.toString()}\n${statesTable(conn, t)}`;
}

/** Both sides' transitions merged in time order: the skeleton of the ladder diagram. */
function statesTable(conn: ConnectionReport, t: (s: number) => string): string {
  const rows: { e: StateEntry; side: 'client' | 'server' }[] = [
    ...conn.states.client.map((e) => ({ e, side: 'client' as const })),
    ...conn.states.server.map((e) => ({ e, side: 'server' as const })),
  ].sort((a, b) => a.e.s - b.e.s || (a.e.frame ?? Infinity) - (b.e.frame ?? Infinity));
  const tab = new Table({ head: ['time s', 'frame', `client ${addr(conn.client)}`, `server ${addr(conn.server)}`, 'cause'], style: { head: [], border: [] } });
  for (const { e, side } of rows) {
    tab.push([t(e.s), e.frame ?? '-', side === 'client' ? e.state : '', side === 'server' ? e.state : '', e.event]);
  }
  return tab.toString();
}

function addr(a: { ip: string; port: number }): string {
  return a.ip.includes(':') ? `[${a.ip}]:${a.port}` : `${a.ip}:${a.port}`;
}

export function timeFormatter(digits: number): (s: number) => string {
  return (s) => s.toFixed(digits);
}
