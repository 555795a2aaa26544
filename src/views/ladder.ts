/**
 * The ladder diagram: the picture every seed article draws. Two lifelines (client left, server
 * right), one arrow per segment labelled as tcpdump would (flags, relative seq/ack, length) with
 * its time and frame, and each side's state written beside its lifeline on the row of the frame
 * that changed it; an ICMP error about one of its segments is a row too, and so is a FIN the
 * capture missed. Long runs of plain data segments fold unless --full.
 */
import { endpoint, isSelfConnected, padVisible, unsignedFrames } from './format.js';
import type { ChalkInstance } from 'chalk';
import { ACK, FIN, RST, SYN, flagString } from '../decode/segment.js';
import type { ConnectionReport, IcmpReport, NoteReport, StateEntry } from '../findings/types.js';

/** One segment of the connection, as the ladder needs it (collected while the capture is read). */
export interface LadderSegment {
  frame: number;
  s: number;
  fromClient: boolean;
  flags: number;
  seq: number;
  ack: number;
  len: number;
  retransmit: boolean;
  anomalies: string[];
  /** It came as this many IP fragments, put together (0: as one packet). */
  ipFragments: number;
}

export interface LadderOptions {
  chalk: ChalkInstance;
  unicode: boolean;
  width: number;
  full: boolean;
  digits: number;
}

const STATE_W = 13;
/** Plain data segments in a row beyond this many are folded (the first and last two stay). */
const FOLD_AFTER = 6;

export function renderLadder(conn: ConnectionReport, segs: LadderSegment[], o: LadderOptions): string {
  const c = o.chalk;
  const g = o.unicode
    ? { line: '│', dash: '─', right: '▶', left: '◀', retx: '↻ ', warn: ' ⚠ ', fold: '⋮' }
    : { line: '|', dash: '-', right: '>', left: '<', retx: 'R ', warn: ' !! ', fold: ':' };
  const t = (s: number) => s.toFixed(o.digits);
  const isn = initialSequenceNumbers(segs, isSelfConnected(conn));
  const byFrame = statesByFrame(conn);
  // The client's column is as wide as its longest label ("SYN_SENT>SYN_RECEIVED" in a
  // simultaneous open), so the lifelines stay straight; the server's labels end the rows.
  let stateW = STATE_W;
  for (const v of byFrame.values()) stateW = Math.max(stateW, v.client?.length ?? 0);
  const arrowW = Math.max(44, o.width - stateW - STATE_W - 4);
  // RSTs their apparent sender or their receiver outlived: someone else's, or never taken
  // (Connection.senderOutlivedItsRsts, receiverOutlivedRsts).
  const lived = new Map(conn.resets.filter((r) => r.senderContinued || r.receiverContinued)
    .map((r) => [r.frame, r.senderContinued && r.receiverContinued ? 'both' : r.senderContinued ? 'sender' : 'receiver']));
  // FINs the capture missed (Connection.finNotCaptured): a row of their own before the segment
  // that showed them.
  const missed = new Map(conn.notes.filter((n) => n.kind === 'fin-not-captured').map((n) => [n.frame, n]));
  // Unsigned segments of a signed connection, discarded by their receiver but for a RST a TIME_WAIT took.
  const unsigned = unsignedFrames(conn);
  const taken = new Set(conn.resets.filter((r) => unsigned.has(r.frame) && r.inWindow !== false).map((r) => r.frame));
  const out: string[] = [];

  const row = (left: string, mid: string, right: string) =>
    `${padVisible(left, stateW)} ${g.line}${mid}${g.line} ${right}`.trimEnd();
  const client = `client ${endpoint(conn.client)}`;
  const server = `server ${endpoint(conn.server)}`;
  out.push(c.bold(`#${conn.id}  ${client} -> ${server}`) + `  handshake ${conn.handshake.kind}, close ${conn.close.kind}`);
  out.push(`${padVisible('', stateW)} ${padVisible(client, arrowW / 2 + 1)}${padVisible(server, arrowW / 2 + 1).trimEnd()}`.trimEnd());
  out.push(row(c.cyan(conn.states.client[0]!.state), ' '.repeat(arrowW), c.cyan(conn.states.server[0]!.state)));

  // ICMP errors about the connection's segments are rows of their own, in frame order.
  const icmp = conn.icmp;
  let k = 0;
  const icmpBefore = (frame: number) => {
    for (; k < icmp.length && icmp[k]!.frame < frame; k++) out.push(icmpRow(icmp[k]!));
  };
  // Timer transitions (a give-up, TIME_WAIT's expiry) have no frame: rows of their own, in time
  // order among the segments (most come after the last one and close the diagram).
  const timers = (['client', 'server'] as const)
    .flatMap((side) => conn.states[side].filter((x) => x.frame === null).map((e) => ({ side, e })))
    .sort((a, b) => a.e.s - b.e.s);
  let m = 0;
  const timersBefore = (s: number) => {
    for (; m < timers.length && timers[m]!.e.s < s; m++) out.push(timerRow(timers[m]!.side, timers[m]!.e));
  };
  const plain = (x: LadderSegment) => !(x.flags & (SYN | FIN | RST)) && !x.retransmit && x.anomalies.length === 0 && !byFrame.has(x.frame) &&
    !(k < icmp.length && icmp[k]!.frame < x.frame) && !(m < timers.length && timers[m]!.e.s < x.s);
  for (let i = 0; i < segs.length; i++) {
    icmpBefore(segs[i]!.frame);
    timersBefore(segs[i]!.s);
    let j = i;
    while (j < segs.length && plain(segs[j]!)) j++;
    if (!o.full && j - i > FOLD_AFTER) {
      const run = segs.slice(i, j);
      for (const x of run.slice(0, 2)) out.push(segmentRow(x));
      const bytes = (fromClient: boolean) => run.filter((x) => x.fromClient === fromClient).reduce((n, x) => n + x.len, 0);
      const note = ` ${g.fold} ${run.length - 4} data and ACK segments folded (${bytes(true)} B ->, ${bytes(false)} B <- in the run; --full shows them)`;
      out.push(row('', c.dim(padVisible(note.slice(0, arrowW), arrowW)), ''));
      for (const x of run.slice(-2)) out.push(segmentRow(x));
      i = j - 1;
      continue;
    }
    const finMissed = missed.get(segs[i]!.frame);
    if (finMissed !== undefined) out.push(missedFinRow(finMissed));
    out.push(segmentRow(segs[i]!));
  }
  icmpBefore(Infinity);
  timersBefore(Infinity);
  for (const w of conn.timeWait) {
    const how = w.end === 'open' ? `still open at capture end: at least ${t(w.durationS)} s` : `${w.end} after ${t(w.durationS)} s`;
    out.push(`${padVisible('', stateW)}  TIME_WAIT (${w.side}) ${how}`);
  }
  return out.join('\n');

  /** A timer's transition of one side, at its time, with the state it left it in. */
  function timerRow(side: 'client' | 'server', e: { s: number; event: string; state: string }): string {
    const text = c.dim(padVisible(` ${t(e.s)} ${e.event}`, arrowW));
    return side === 'client' ? row(c.cyan(e.state), text, '') : row('', text, c.cyan(e.state));
  }

  /** An ICMP error, drawn toward the endpoint it was sent to, with the state it left it in. */
  function icmpRow(e: IcmpReport): string {
    let label = ` ICMP ${e.message} from ${e.sender}  ${t(e.s)}  #${e.frame}`;
    if (e.effect === 'ignored') label += `${g.warn}not taken`; // the endpoint sent again after it
    const arrow = c.red(arrowOf(`${label} `, e.to === 'server'));
    const states = byFrame.get(e.frame);
    return row(c.cyan(states?.client ?? ''), arrow, c.cyan(states?.server ?? ''));
  }

  /** A FIN the capture missed, drawn dim from its sender, at the time it was dated to. */
  function missedFinRow(n: NoteReport): string {
    return row('', c.dim(arrowOf(` [F] not captured  ${t(n.s)}  (shown by #${n.frame}) `, n.from === 'client')), '');
  }

  /** An arrow across the lifelines carrying `label` (cut to fit), toward the server or the client. */
  function arrowOf(label: string, toServer: boolean): string {
    const room = arrowW - 3;
    if (label.length > room) label = label.slice(0, room);
    const fill = g.dash.repeat(Math.max(0, arrowW - 2 - label.length));
    return toServer ? `${g.dash}${label}${fill}${g.right}` : `${g.left}${fill}${label}${g.dash}`;
  }

  function segmentRow(x: LadderSegment): string {
    const base = x.fromClient ? isn : { send: isn.recv, recv: isn.send };
    const seq = x.flags & (SYN | FIN | RST) || x.len > 0 ? ` seq ${rel(x.seq, base.send)}` : '';
    const ack = x.flags & ACK ? ` ack ${rel(x.ack, base.recv)}` : '';
    let label = ` ${x.retransmit ? g.retx : ''}[${flagString(x.flags)}]${seq}${ack} len ${x.len}  ${t(x.s)}  #${x.frame}`;
    if (x.ipFragments > 0) label += ` (${x.ipFragments} IP fragments)`;
    if (x.anomalies.length) label += g.warn + x.anomalies.join(', ');
    if (unsigned.has(x.frame)) label += `${g.warn}unsigned${taken.has(x.frame) ? '' : ', discarded'}`;
    else if (lived.has(x.frame)) label += `${g.warn}${lived.get(x.frame)} lived on`;
    let arrow = arrowOf(`${label} `, x.fromClient);
    if (x.flags & RST || x.anomalies.length) arrow = c.red(arrow);
    else if (x.retransmit) arrow = c.yellow(arrow);
    else if (x.flags & (SYN | FIN)) arrow = c.bold(arrow);
    const states = byFrame.get(x.frame);
    return row(c.cyan(states?.client ?? ''), arrow, c.cyan(states?.server ?? ''));
  }
}

/** Each side's state changes keyed by the frame that made them ("A -> B" when several). */
function statesByFrame(conn: ConnectionReport): Map<number, { client?: string; server?: string }> {
  const m = new Map<number, { client?: string; server?: string }>();
  for (const side of ['client', 'server'] as const) {
    const changes = conn.states[side].slice(1).filter((e): e is StateEntry & { frame: number } => e.frame !== null);
    for (const e of changes) {
      const cur = m.get(e.frame) ?? {};
      cur[side] = cur[side] ? `${cur[side]}>${e.state}` : e.state;
      m.set(e.frame, cur);
    }
  }
  return m;
}

/**
 * Relative numbers as tcpdump prints them: each side's from its ISN (or first sequence number
 * seen). A socket connected to itself (`self`) acknowledges its own numbers.
 */
function initialSequenceNumbers(segs: LadderSegment[], self: boolean): { send: number | null; recv: number | null } {
  const first = (fromClient: boolean) => {
    const syn = segs.find((x) => x.fromClient === fromClient && x.flags & SYN);
    return syn ? syn.seq : segs.find((x) => x.fromClient === fromClient)?.seq ?? null;
  };
  const send = first(true);
  return { send, recv: self ? send : first(false) };
}

function rel(n: number, base: number | null): number {
  return base === null ? n : (n - base) >>> 0;
}


