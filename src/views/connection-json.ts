/**
 * A connection record as JSON, written by hand into bytes from the connection's findings: exactly
 * what `JSON.stringify(findings.report())` writes, without making the report's objects. A large
 * capture has a connection record for every ~13 packets, and building the objects and
 * `JSON.stringify` spent 15-20 us on each (~2.3 KB), most of it turning times (doubles) into
 * decimals; here a time is written from its whole number of nanoseconds (JsonBytes.number), names
 * (states, kinds, events) are bytes made once, and nothing but the output bytes is made.
 *
 * The key order is the order of ConnectionFindings.report() (findings/report.ts);
 * test/connection-json.test.ts holds this writer to `JSON.stringify` of that object on every
 * fixture and corpus capture, so a field added to the report and not here fails the tests.
 */
import type { Connection } from '../connections/connection.js';
import type { Control } from '../connections/control.js';
import { type Endpoint, type History, type Side, TRANSITION_EVENTS } from '../connections/endpoint.js';
import { TCP_STATES } from '../connections/state.js';
import { NOTE_KINDS } from '../connections/connection.js';
import { CloseCode, INITIATORS, Initiator, finsInOrder } from '../findings/close.js';
import type { ConnectionFindings } from '../findings/report.js';
import type { TimeInState } from '../findings/states.js';
import { TIME_WAIT_ENDS } from '../findings/time-wait.js';
import { mptcpReset } from '../findings/resets.js';
import { ANOMALY_KINDS, CLOSE_KINDS, HANDSHAKE_KINDS, RESET_KINDS, type AnomalyReport, icmpMessage } from '../findings/types.js';
import { JsonBytes, ascii } from './json-bytes.js';
import { diffS } from '../time.js';

const OPEN_BRACE = ascii('{');

/** Writes `JSON.stringify(f.report())` to `w`, with `prefix` in place of the opening brace (`{"type":"connection",` for NDJSON). */
export function writeConnection(w: JsonBytes, f: ConnectionFindings, prefix: Uint8Array = OPEN_BRACE): void {
  const conn = f.conn;
  const { client, server } = conn;
  // Most of a record is keys and names: they are written as few, long constants (a key with the
  // usual value after it, or several keys at once), each chosen by the values it holds.
  w.raw(prefix);
  w.raw(K.id); w.number(conn.id);
  w.raw(K.clientIp); w.string(f.clientIp); w.raw(K.port); w.number(client.port);
  w.raw(K.serverIp); w.string(f.serverIp); w.raw(K.port); w.number(server.port);
  w.raw(VERSION_MIDSTREAM[(conn.ipVersion === 6 ? 2 : 0) + (conn.midstream ? 1 : 0)]!); w.number(conn.firstS);
  w.raw(K.lastS); w.number(conn.lastS);
  w.raw(K.firstFrame); w.number(conn.firstFrame);
  w.raw(K.lastFrame); w.number(conn.lastFrame);
  w.raw(fileAndPackets(f.file)); w.number(client.packets);
  w.raw(K.serverToClient); w.number(server.packets);
  w.raw(K.bytes); w.number(client.bytes); w.raw(K.serverToClient); w.number(server.bytes);
  w.raw(K.retransmits); w.number(client.retransmits); w.raw(K.serverToClient); w.number(server.retransmits);
  writeHandshake(w, f);
  writeClose(w, f);
  writeResets(w, f);
  writeTimeWait(w, f);
  w.raw(K.statesClient); writeStates(w, f.client);
  w.raw(K.server); writeStates(w, f.server);
  w.raw(finalStates(f.client.final, f.server.final)); writeTimesByState(w, f.timeInClient);
  w.raw(K.server); writeTimesByState(w, f.timeInServer);
  if (f.anomalies.length === 0 && conn.noteCount === 0 && conn.icmpCount === 0) {
    w.raw(K.noAnomaliesNotesIcmp);
    return;
  }
  w.raw(K.anomalies); writeAnomalies(w, f.anomalies);
  w.raw(K.notes); writeNotes(w, conn);
  w.raw(K.icmp); writeIcmp(w, f);
  w.char(CLOSE_BRACE);
}

/** `JSON.stringify(f.report())` as a string (with `prefix` in place of the opening brace). */
export function connectionJson(f: ConnectionFindings, prefix = '{'): string {
  const w = new JsonBytes(4096);
  writeConnection(w, f, ascii(prefix));
  return w.take().toString('utf8');
}

function writeHandshake(w: JsonBytes, f: ConnectionFindings): void {
  const h = f.handshake;
  const syn = f.conn.client.syn;
  const synAck = f.conn.server.synAck;
  w.raw(HANDSHAKE_HEAD[h.kind]!); nullable(w, h.synS);
  w.raw(K.synFrame); nullable(w, h.synFrame);
  w.raw(K.synAckS); nullable(w, h.synAckS);
  w.raw(K.synAckFrame); nullable(w, h.synAckFrame);
  w.raw(K.ackS); nullable(w, h.ackS);
  w.raw(K.ackFrame); nullable(w, h.ackFrame);
  w.raw(K.rttS); nullable(w, h.rttS);
  w.raw(K.synToSynAckS); nullable(w, h.synToSynAckS);
  w.raw(K.synAckToAckS); nullable(w, h.synAckToAckS);
  if ((syn === null || syn.copyCount < 2) && (synAck === null || synAck.copyCount < 2)) {
    w.raw(K.noRetransmitsOptionsClient); // the usual: no SYN or SYN/ACK sent twice
  } else {
    w.raw(K.synRetransmits); retransmitTimes(w, syn);
    w.raw(K.synRetransmitIntervalsS); retransmitIntervals(w, syn);
    w.raw(K.synAckRetransmits); retransmitTimes(w, synAck);
    w.raw(K.synAckRetransmitIntervalsS); retransmitIntervals(w, synAck);
    w.raw(K.optionsClient);
  }
  w.raw(optionsJson(f.conn.client));
  w.raw(K.server); w.raw(optionsJson(f.conn.server));
  w.char(CLOSE_BRACE);
  w.raw(K.mptcpSubflowOf); if (f.conn.mptcpSubflowOf === 0) w.null(); else w.number(f.conn.mptcpSubflowOf);
  w.char(CLOSE_BRACE);
}

/** The times of a SYN's or SYN/ACK's copies after the first. */
function retransmitTimes(w: JsonBytes, ctl: Control | null): void {
  w.char(OPEN_BRACKET);
  for (let i = 1; ctl !== null && i < ctl.copyCount; i++) {
    if (i > 1) w.char(COMMA);
    w.number(ctl.copyS(i));
  }
  w.char(CLOSE_BRACKET);
}

/** The interval before each retransmission (the back-off). */
function retransmitIntervals(w: JsonBytes, ctl: Control | null): void {
  w.char(OPEN_BRACKET);
  for (let i = 1; ctl !== null && i < ctl.copyCount; i++) {
    if (i > 1) w.char(COMMA);
    w.number(diffS(ctl.copyS(i - 1), ctl.copyS(i)));
  }
  w.char(CLOSE_BRACKET);
}

/**
 * An endpoint's handshake options as JSON bytes. Few combinations occur (MSS, window scale, four
 * flags and MPTCP's part), so each is written once and kept.
 */
function optionsJson(e: Endpoint): Uint8Array {
  const o = e.options;
  if (o === null) return NULL;
  const key = (((o.mss ?? -1) + 1) * 258 + ((o.windowScale ?? -1) + 1)) * 64 +
    ((o.sackPermitted ? 1 : 0) | (o.timestamps ? 2 : 0) | (o.fastOpen ? 4 : 0) | (o.truncated ? 8 : 0) | (o.mptcp === 'capable' ? 16 : o.mptcp === 'join' ? 32 : 0));
  let bytes = OPTIONS.get(key);
  if (bytes === undefined) {
    bytes = ascii(JSON.stringify({ mss: o.mss, windowScale: o.windowScale, sackPermitted: o.sackPermitted, timestamps: o.timestamps, fastOpen: o.fastOpen, mptcp: o.mptcp, truncated: o.truncated }));
    if (OPTIONS.size < 4096) OPTIONS.set(key, bytes);
  }
  return bytes;
}
const OPTIONS = new Map<number, Uint8Array>();

/** A RST's MPTCP options (RstFact.mptcp, not 0) as JSON bytes; a few combinations, each written once. */
function mptcpResetJson(bits: number): Uint8Array {
  let bytes = MPTCP_RESETS.get(bits);
  if (bytes === undefined) {
    bytes = ascii(JSON.stringify(mptcpReset(bits)));
    MPTCP_RESETS.set(bits, bytes);
  }
  return bytes;
}
const MPTCP_RESETS = new Map<number, Uint8Array>();

function writeClose(w: JsonBytes, f: ConnectionFindings): void {
  const c = f.close;
  w.raw(CLOSE_HEAD[c.kind]!);
  if (c.initiator === Initiator.NONE) w.null(); else w.raw(INITIATOR[c.initiator]!);
  if (c.halfCloseBytes === 0) w.raw(K.noHalfClose);
  else {
    w.raw(K.halfCloseTrue); w.number(c.halfCloseBytes);
  }
  w.raw(K.firstFinS); nullable(w, c.firstFinS);
  w.raw(K.completeS); nullable(w, c.completeS);
  const [first, second] = finsInOrder(f.conn, c);
  if ((first === null || first.copyCount < 2) && (second === null || second.copyCount < 2) && c.kind !== CloseCode.INCOMPLETE) {
    w.raw(K.noFinRetransmitsNoLingering); // the usual
    return;
  }
  w.raw(K.finRetransmits);
  w.char(OPEN_BRACKET);
  const firstSide = c.firstFinSide === Initiator.SERVER ? Initiator.SERVER : Initiator.CLIENT;
  let any = first !== null && finRetransmits(w, first, INITIATOR[firstSide]!, false);
  if (second !== null) any = finRetransmits(w, second, INITIATOR[firstSide === Initiator.CLIENT ? Initiator.SERVER : Initiator.CLIENT]!, any) || any;
  w.char(CLOSE_BRACKET);
  w.raw(K.lingering);
  if (c.kind !== CloseCode.INCOMPLETE) w.null();
  else {
    w.raw(K.client0); w.raw(STATE[c.lingerClient]!);
    w.raw(K.server); w.raw(STATE[c.lingerServer]!);
    w.char(CLOSE_BRACE);
  }
  w.char(CLOSE_BRACE);
}

/** Each retransmission of `fin` from `side` (a name in bytes); `comma`: entries came before. Returns whether it wrote any. */
function finRetransmits(w: JsonBytes, fin: Control, side: Uint8Array, comma: boolean): boolean {
  for (let i = 1; i < fin.copyCount; i++) {
    if (comma || i > 1) w.char(COMMA);
    w.raw(K.side0); w.raw(side);
    w.raw(K.s); w.number(fin.copyS(i));
    w.raw(K.frame); w.number(fin.copyFrame(i));
    w.raw(K.intervalS); w.number(diffS(fin.copyS(i - 1), fin.copyS(i)));
    w.char(CLOSE_BRACE);
  }
  return fin.copyCount > 1;
}

function writeResets(w: JsonBytes, f: ConnectionFindings): void {
  const facts = f.resets;
  const conn = f.conn;
  if (facts.count === 0) return w.raw(K.noResets);
  w.raw(K.resets);
  w.char(OPEN_BRACKET);
  for (let i = 0; i < facts.count; i++) {
    const r = conn.reset(i, f.rst);
    if (i > 0) w.char(COMMA);
    writePlace(w, f, r);
    w.raw(K.from); w.raw(SIDE[r.from]);
    w.raw(K.kind); w.raw(RESET[facts.kind[i]!]!);
    w.raw(K.inWindow); if (r.acceptable === null) w.null(); else w.bool(r.acceptable);
    w.raw(K.senderState); w.raw(STATE[facts.senderState[i]!]!);
    w.raw(K.receiverState); w.raw(STATE[facts.receiverState[i]!]!);
    w.raw(K.seq); w.number(r.seq);
    w.raw(K.ack); w.nullableNumber(r.ack);
    w.raw(K.bytes1); w.number(r.payloadLen);
    w.raw(K.senderContinued); w.bool(r.senderContinued);
    w.raw(K.receiverContinued); w.bool(r.receiverContinued);
    w.raw(K.mptcp); if (r.mptcp === 0) w.null(); else w.raw(mptcpResetJson(r.mptcp));
    w.char(CLOSE_BRACE);
  }
  w.char(CLOSE_BRACKET);
}

function writeTimeWait(w: JsonBytes, f: ConnectionFindings): void {
  const t = f.timeWait;
  if (t.count === 0) return w.raw(K.noTimeWait);
  w.raw(K.timeWait);
  w.char(OPEN_BRACKET);
  for (let i = 0; i < t.count; i++) {
    if (i > 0) w.char(COMMA);
    const h = t.side[i] === 0 ? f.client : f.server;
    const entry = t.entry[i]!;
    w.raw(K.side0); w.raw(t.side[i] === 0 ? INITIATOR[Initiator.CLIENT]! : INITIATOR[Initiator.SERVER]!);
    w.raw(K.enteredS); w.number(h.s[entry]!);
    w.raw(K.enteredFrame); nullable(w, h.frame[entry]!);
    w.raw(K.end); w.raw(TIME_WAIT_END[t.end[i]!]!);
    w.raw(K.endS); nullable(w, t.endS[i]!);
    w.raw(K.durationS); w.number(t.durationS[i]!);
    w.raw(K.finRetransmitsAnswered);
    w.char(OPEN_BRACKET);
    const peerFin = t.side[i] === 0 ? f.conn.server.fin : f.conn.client.fin;
    for (let k = t.answeredFrom[i]!; k < t.answeredFrom[i + 1]!; k++) {
      if (k > t.answeredFrom[i]!) w.char(COMMA);
      const c = peerFin!.copy(t.answered[k]!);
      w.raw(K.s0); w.number(c.s);
      w.raw(K.frame); w.number(c.frame);
      w.raw(K.answeredS); w.nullableNumber(c.answeredS);
      w.char(CLOSE_BRACE);
    }
    w.char(CLOSE_BRACKET);
    w.char(CLOSE_BRACE);
  }
  w.char(CLOSE_BRACKET);
}

function writeStates(w: JsonBytes, h: History): void {
  w.char(OPEN_BRACKET);
  for (let i = 0; i < h.length; i++) {
    if (i > 0) w.char(COMMA);
    w.raw(STATE_ENTRY[h.state[i]!]!); w.number(h.s[i]!);
    w.raw(K.frame); nullable(w, h.frame[i]!);
    w.raw(EVENT_TAIL[h.event[i]!]!);
  }
  w.char(CLOSE_BRACKET);
}

/** Seconds by state name, in the order the states were first entered. */
function writeTimesByState(w: JsonBytes, t: TimeInState): void {
  w.char(OPEN_BRACE_CODE);
  for (let i = 0; i < t.count; i++) {
    if (i > 0) w.char(COMMA);
    const state = t.order[i]!;
    w.raw(STATE_KEY[state]!);
    w.number(t.seconds[state]!);
  }
  w.char(CLOSE_BRACE);
}

function writeAnomalies(w: JsonBytes, anomalies: readonly AnomalyReport[]): void {
  w.char(OPEN_BRACKET);
  for (let i = 0; i < anomalies.length; i++) {
    const a = anomalies[i]!;
    if (i > 0) w.char(COMMA);
    w.raw(K.kind0); w.raw(ANOMALY.get(a.kind)!);
    w.raw(K.flags); w.string(a.flags);
    w.raw(K.frame); w.number(a.frame);
    w.raw(K.s); w.number(a.s);
    w.raw(K.connection); w.nullableNumber(a.connection);
    w.raw(K.file); w.string(a.file);
    w.raw(K.fileFrame); w.number(a.fileFrame);
    w.raw(K.from); if (a.from === null) w.null(); else w.raw(SIDE[a.from]);
    w.raw(K.src); w.string(a.src);
    w.raw(K.dst); w.string(a.dst);
    w.char(CLOSE_BRACE);
  }
  w.char(CLOSE_BRACKET);
}

function writeNotes(w: JsonBytes, conn: Connection): void {
  w.char(OPEN_BRACKET);
  if (conn.noteCount > 0) {
    const notes = conn.notes;
    for (let i = 0; i < notes.length; i++) {
      const n = notes[i]!;
      if (i > 0) w.char(COMMA);
      w.raw(K.kind0); w.raw(NOTE[NOTE_KINDS.indexOf(n.kind)]!);
      w.raw(K.s); w.number(n.s);
      w.raw(K.frame); w.number(n.frame);
      w.raw(K.from); w.raw(SIDE[n.from]);
      w.raw(K.bytes1); w.number(n.bytes);
      w.char(CLOSE_BRACE);
    }
  }
  w.char(CLOSE_BRACKET);
}

function writeIcmp(w: JsonBytes, f: ConnectionFindings): void {
  w.char(OPEN_BRACKET);
  if (f.conn.icmpCount > 0) {
    const errors = f.conn.icmpErrors();
    for (let i = 0; i < errors.length; i++) {
      const e = errors[i]!;
      if (i > 0) w.char(COMMA);
      writePlace(w, f, e);
      w.raw(K.to); w.raw(SIDE[e.to]);
      w.raw(K.sender); w.string(e.sender);
      w.raw(K.type); w.number(e.type);
      w.raw(K.code); w.number(e.code);
      w.raw(K.message); w.string(icmpMessage(e.ipVersion, e.type, e.code));
      w.raw(K.seq); w.nullableNumber(e.seq);
      w.raw(K.acceptable); if (e.acceptable === null) w.null(); else w.bool(e.acceptable);
      w.raw(K.effect); w.string(e.effect);
      w.raw(K.mtu); w.nullableNumber(e.mtu);
      w.char(CLOSE_BRACE);
    }
  }
  w.char(CLOSE_BRACKET);
}

/** A record's opening: `{"s":..,"frame":..,"file":..,"fileFrame":..` (a RST's, an ICMP error's). */
function writePlace(w: JsonBytes, f: ConnectionFindings, x: { s: number; frame: number; fileIndex: number; fileFrame: number }): void {
  w.raw(K.s0); w.number(x.s);
  w.raw(K.frame); w.number(x.frame);
  w.raw(K.file); w.string(f.fileOf(x.fileIndex));
  w.raw(K.fileFrame); w.number(x.fileFrame);
}

/** A number, NaN as null. */
function nullable(w: JsonBytes, x: number): void {
  if (x !== x) w.null();
  else w.number(x);
}

const OPEN_BRACE_CODE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/** Each name as its JSON string, in bytes, by its code. */
const json = (name: string) => ascii(JSON.stringify(name));
const STATE = TCP_STATES.map(json);
const RESET = RESET_KINDS.map(json);
const INITIATOR = INITIATORS.map(json);
/** A side ("client", "server") as its JSON string. */
const SIDE: Record<Side, Uint8Array> = { client: json('client'), server: json('server') };
const TIME_WAIT_END = TIME_WAIT_ENDS.map(json);
const NOTE = NOTE_KINDS.map(json);
const ANOMALY = new Map(ANOMALY_KINDS.map((k) => [k, json(k)]));
/** A state entry up to its time, by state; and from its event on, by event (TRANSITION_EVENTS). */
const STATE_ENTRY = TCP_STATES.map((s) => ascii(`{"state":${JSON.stringify(s)},"s":`));
const EVENT_TAIL = TRANSITION_EVENTS.map((e) => ascii(`,"event":${JSON.stringify(e)}}`));
/** A state as a key of timeInStateS. */
const STATE_KEY = TCP_STATES.map((s) => ascii(`${JSON.stringify(s)}:`));

const NULL = ascii('null');
/** The keys after the server's port up to firstS, by IP version and midstream. */
const VERSION_MIDSTREAM = [[4, false], [4, true], [6, false], [6, true]].map(([v, m]) => ascii(`},"ipVersion":${v},"midstream":${m},"firstS":`));
/** The file (the same for every connection of a file) and the key after it, by file name. */
const FILES = new Map<string, Uint8Array>();
function fileAndPackets(file: string): Uint8Array {
  let bytes = FILES.get(file);
  if (bytes === undefined) {
    bytes = new Uint8Array(Buffer.from(`,"file":${JSON.stringify(file)},"packets":{"clientToServer":`, 'utf8'));
    if (FILES.size < 1024) FILES.set(file, bytes);
  }
  return bytes;
}
/** The handshake's opening up to synS, by kind; the close's up to initiator, by kind. */
const HANDSHAKE_HEAD = HANDSHAKE_KINDS.map((k) => ascii(`},"handshake":{"kind":${JSON.stringify(k)},"synS":`));
const CLOSE_HEAD = CLOSE_KINDS.map((k) => ascii(`,"close":{"kind":${JSON.stringify(k)},"initiator":`));
/** The final states and the key after them, by both states (made when first needed). */
const FINAL_STATES: (Uint8Array | undefined)[] = [];
function finalStates(client: number, server: number): Uint8Array {
  const i = client * TCP_STATES.length + server;
  return (FINAL_STATES[i] ??= ascii(`},"finalState":{"client":${JSON.stringify(TCP_STATES[client])},"server":${JSON.stringify(TCP_STATES[server])}},"timeInStateS":{"client":`));
}

/** Every key as it is written, with the punctuation before it. */
const K = {
  noRetransmitsOptionsClient: ascii(',"synRetransmits":[],"synRetransmitIntervalsS":[],"synAckRetransmits":[],"synAckRetransmitIntervalsS":[],"options":{"client":'),
  noHalfClose: ascii(',"halfClose":false,"halfCloseBytes":0'),
  halfCloseTrue: ascii(',"halfClose":true,"halfCloseBytes":'),
  noFinRetransmitsNoLingering: ascii(',"finRetransmits":[],"lingering":null}'),
  noResets: ascii(',"resets":[]'),
  noTimeWait: ascii(',"timeWait":[]'),
  noAnomaliesNotesIcmp: ascii('},"anomalies":[],"notes":[],"icmp":[]}'),
  id: ascii('"id":'),
  clientIp: ascii(',"client":{"ip":'),
  port: ascii(',"port":'),
  serverIp: ascii('},"server":{"ip":'),
  lastS: ascii(',"lastS":'),
  firstFrame: ascii(',"firstFrame":'),
  lastFrame: ascii(',"lastFrame":'),
  file: ascii(',"file":'),
  serverToClient: ascii(',"serverToClient":'),
  bytes: ascii('},"bytes":{"clientToServer":'),
  retransmits: ascii('},"retransmits":{"clientToServer":'),
  resets: ascii(',"resets":'),
  timeWait: ascii(',"timeWait":'),
  statesClient: ascii(',"states":{"client":'),
  server: ascii(',"server":'),
  anomalies: ascii('},"anomalies":'),
  notes: ascii(',"notes":'),
  icmp: ascii(',"icmp":'),
  to: ascii(',"to":'),
  sender: ascii(',"sender":'),
  type: ascii(',"type":'),
  code: ascii(',"code":'),
  message: ascii(',"message":'),
  acceptable: ascii(',"acceptable":'),
  effect: ascii(',"effect":'),
  mtu: ascii(',"mtu":'),
  kind0: ascii('{"kind":'),
  kind: ascii(',"kind":'),
  synFrame: ascii(',"synFrame":'),
  synAckS: ascii(',"synAckS":'),
  synAckFrame: ascii(',"synAckFrame":'),
  ackS: ascii(',"ackS":'),
  ackFrame: ascii(',"ackFrame":'),
  rttS: ascii(',"rttS":'),
  synToSynAckS: ascii(',"synToSynAckS":'),
  synAckToAckS: ascii(',"synAckToAckS":'),
  synRetransmits: ascii(',"synRetransmits":'),
  synRetransmitIntervalsS: ascii(',"synRetransmitIntervalsS":'),
  synAckRetransmits: ascii(',"synAckRetransmits":'),
  synAckRetransmitIntervalsS: ascii(',"synAckRetransmitIntervalsS":'),
  optionsClient: ascii(',"options":{"client":'),
  firstFinS: ascii(',"firstFinS":'),
  completeS: ascii(',"completeS":'),
  finRetransmits: ascii(',"finRetransmits":'),
  lingering: ascii(',"lingering":'),
  side0: ascii('{"side":'),
  client0: ascii('{"client":'),
  s0: ascii('{"s":'),
  s: ascii(',"s":'),
  frame: ascii(',"frame":'),
  intervalS: ascii(',"intervalS":'),
  fileFrame: ascii(',"fileFrame":'),
  from: ascii(',"from":'),
  inWindow: ascii(',"inWindow":'),
  senderContinued: ascii(',"senderContinued":'),
  receiverContinued: ascii(',"receiverContinued":'),
  mptcp: ascii(',"mptcp":'),
  mptcpSubflowOf: ascii(',"mptcpSubflowOf":'),
  senderState: ascii(',"senderState":'),
  receiverState: ascii(',"receiverState":'),
  seq: ascii(',"seq":'),
  ack: ascii(',"ack":'),
  bytes1: ascii(',"bytes":'),
  enteredS: ascii(',"enteredS":'),
  enteredFrame: ascii(',"enteredFrame":'),
  end: ascii(',"end":'),
  endS: ascii(',"endS":'),
  durationS: ascii(',"durationS":'),
  finRetransmitsAnswered: ascii(',"finRetransmitsAnswered":'),
  answeredS: ascii(',"answeredS":'),
  flags: ascii(',"flags":'),
  connection: ascii(',"connection":'),
  src: ascii(',"src":'),
  dst: ascii(',"dst":'),
} as const;
