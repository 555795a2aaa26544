/**
 * A connection record as JSON, written by hand into bytes: exactly what `JSON.stringify(report)`
 * writes, about twice as fast. A large capture has a connection record for every ~13 packets,
 * and `JSON.stringify` spent 10-15 us on each (~2.3 KB), most of it turning times (doubles) into
 * decimals; here a time is written from its whole number of nanoseconds (JsonBytes.number), and
 * nothing but the output bytes is made.
 *
 * The key order is the order `connectionReport` (findings/report.ts) builds the object in;
 * test/connection-json.test.ts holds this writer to `JSON.stringify` on every fixture and corpus
 * capture, so a field added to the report and not here fails the tests.
 */
import type {
  AnomalyReport, CloseReport, ConnectionReport, HandshakeReport, NoteReport, OptionsReport, ResetReport,
  StateEntry, TimeWaitReport,
} from '../findings/types.js';
import { JsonBytes, ascii } from './json-bytes.js';

const OPEN_BRACE = ascii('{');

/** Writes `JSON.stringify(c)` to `w`, with `prefix` in place of the opening brace (`{"type":"connection",` for NDJSON). */
export function writeConnection(w: JsonBytes, c: ConnectionReport, prefix: Uint8Array = OPEN_BRACE): void {
  w.raw(prefix);
  w.raw(K.id); w.number(c.id);
  w.raw(K.clientIp); w.string(c.client.ip); w.raw(K.port); w.number(c.client.port);
  w.raw(K.serverIp); w.string(c.server.ip); w.raw(K.port); w.number(c.server.port);
  w.raw(K.ipVersion); w.number(c.ipVersion);
  w.raw(K.midstream); w.bool(c.midstream);
  w.raw(K.firstS); w.number(c.firstS);
  w.raw(K.lastS); w.number(c.lastS);
  w.raw(K.firstFrame); w.number(c.firstFrame);
  w.raw(K.lastFrame); w.number(c.lastFrame);
  w.raw(K.file); w.string(c.file);
  w.raw(K.packets); w.number(c.packets.clientToServer); w.raw(K.serverToClient); w.number(c.packets.serverToClient);
  w.raw(K.bytes); w.number(c.bytes.clientToServer); w.raw(K.serverToClient); w.number(c.bytes.serverToClient);
  w.raw(K.retransmits); w.number(c.retransmits.clientToServer); w.raw(K.serverToClient); w.number(c.retransmits.serverToClient);
  w.raw(K.handshake); writeHandshake(w, c.handshake);
  w.raw(K.close); writeClose(w, c.close);
  w.raw(K.resets); list(w, c.resets, writeReset);
  w.raw(K.timeWait); list(w, c.timeWait, writeTimeWait);
  w.raw(K.statesClient); list(w, c.states.client, writeState);
  w.raw(K.server); list(w, c.states.server, writeState);
  w.raw(K.finalStateClient); w.raw(name(c.finalState.client));
  w.raw(K.server); w.raw(name(c.finalState.server));
  w.raw(K.timeInStateClient); writeTimesByState(w, c.timeInStateS.client);
  w.raw(K.server); writeTimesByState(w, c.timeInStateS.server);
  w.raw(K.anomalies); list(w, c.anomalies, writeAnomaly);
  w.raw(K.notes); list(w, c.notes, writeNote);
  w.char(CLOSE_BRACE);
}

/** `JSON.stringify(c)` as a string (with `prefix` in place of the opening brace). */
export function connectionJson(c: ConnectionReport, prefix = '{'): string {
  const w = new JsonBytes(4096);
  writeConnection(w, c, ascii(prefix));
  return w.take().toString('utf8');
}

function writeHandshake(w: JsonBytes, h: HandshakeReport): void {
  w.raw(K.kind0); w.raw(name(h.kind));
  w.raw(K.synS); w.nullableNumber(h.synS);
  w.raw(K.synFrame); w.nullableNumber(h.synFrame);
  w.raw(K.synAckS); w.nullableNumber(h.synAckS);
  w.raw(K.synAckFrame); w.nullableNumber(h.synAckFrame);
  w.raw(K.ackS); w.nullableNumber(h.ackS);
  w.raw(K.ackFrame); w.nullableNumber(h.ackFrame);
  w.raw(K.rttS); w.nullableNumber(h.rttS);
  w.raw(K.synToSynAckS); w.nullableNumber(h.synToSynAckS);
  w.raw(K.synAckToAckS); w.nullableNumber(h.synAckToAckS);
  w.raw(K.synRetransmits); numbers(w, h.synRetransmits);
  w.raw(K.synRetransmitIntervalsS); numbers(w, h.synRetransmitIntervalsS);
  w.raw(K.synAckRetransmits); numbers(w, h.synAckRetransmits);
  w.raw(K.synAckRetransmitIntervalsS); numbers(w, h.synAckRetransmitIntervalsS);
  w.raw(K.optionsClient); writeOptions(w, h.options.client);
  w.raw(K.server); writeOptions(w, h.options.server);
  w.char(CLOSE_BRACE);
  w.char(CLOSE_BRACE);
}

function writeOptions(w: JsonBytes, o: OptionsReport | null): void {
  if (o === null) return w.null();
  w.raw(K.mss0); w.nullableNumber(o.mss);
  w.raw(K.windowScale); w.nullableNumber(o.windowScale);
  w.raw(K.sackPermitted); w.bool(o.sackPermitted);
  w.raw(K.timestamps); w.bool(o.timestamps);
  w.raw(K.fastOpen); w.bool(o.fastOpen);
  w.raw(K.truncated); w.bool(o.truncated);
  w.char(CLOSE_BRACE);
}

function writeClose(w: JsonBytes, c: CloseReport): void {
  w.raw(K.kind0); w.raw(name(c.kind));
  w.raw(K.initiator); if (c.initiator === null) w.null(); else w.raw(name(c.initiator));
  w.raw(K.halfClose); w.bool(c.halfClose);
  w.raw(K.halfCloseBytes); w.number(c.halfCloseBytes);
  w.raw(K.firstFinS); w.nullableNumber(c.firstFinS);
  w.raw(K.completeS); w.nullableNumber(c.completeS);
  w.raw(K.finRetransmits);
  list(w, c.finRetransmits, (w, r) => {
    w.raw(K.side0); w.raw(name(r.side));
    w.raw(K.s); w.number(r.s);
    w.raw(K.frame); w.number(r.frame);
    w.raw(K.intervalS); w.number(r.intervalS);
    w.char(CLOSE_BRACE);
  });
  w.raw(K.lingering);
  if (c.lingering === null) w.null();
  else {
    w.raw(K.client0); w.raw(name(c.lingering.client));
    w.raw(K.server); w.raw(name(c.lingering.server));
    w.char(CLOSE_BRACE);
  }
  w.char(CLOSE_BRACE);
}

function writeReset(w: JsonBytes, r: ResetReport): void {
  w.raw(K.s0); w.number(r.s);
  w.raw(K.frame); w.number(r.frame);
  w.raw(K.file); w.string(r.file);
  w.raw(K.fileFrame); w.number(r.fileFrame);
  w.raw(K.from); w.raw(name(r.from));
  w.raw(K.kind); w.raw(name(r.kind));
  w.raw(K.inWindow); if (r.inWindow === null) w.null(); else w.bool(r.inWindow);
  w.raw(K.senderState); w.raw(name(r.senderState));
  w.raw(K.receiverState); w.raw(name(r.receiverState));
  w.raw(K.seq); w.number(r.seq);
  w.raw(K.ack); w.nullableNumber(r.ack);
  w.raw(K.bytes1); w.number(r.bytes);
  w.char(CLOSE_BRACE);
}

function writeTimeWait(w: JsonBytes, t: TimeWaitReport): void {
  w.raw(K.side0); w.raw(name(t.side));
  w.raw(K.enteredS); w.number(t.enteredS);
  w.raw(K.enteredFrame); w.nullableNumber(t.enteredFrame);
  w.raw(K.end); w.raw(name(t.end));
  w.raw(K.endS); w.nullableNumber(t.endS);
  w.raw(K.durationS); w.number(t.durationS);
  w.raw(K.finRetransmitsAnswered);
  list(w, t.finRetransmitsAnswered, (w, a) => {
    w.raw(K.s0); w.number(a.s);
    w.raw(K.frame); w.number(a.frame);
    w.raw(K.answeredS); w.nullableNumber(a.answeredS);
    w.char(CLOSE_BRACE);
  });
  w.char(CLOSE_BRACE);
}

function writeState(w: JsonBytes, e: StateEntry): void {
  w.raw(K.state0); w.raw(name(e.state));
  w.raw(K.s); w.number(e.s);
  w.raw(K.frame); w.nullableNumber(e.frame);
  w.raw(K.event); w.raw(name(e.event));
  w.char(CLOSE_BRACE);
}

/** Seconds by state name, in the order the states were entered (the object's own key order). */
function writeTimesByState(w: JsonBytes, t: Partial<Record<string, number>>): void {
  let first = true;
  w.char(OPEN_BRACE_CODE);
  for (const state in t) {
    if (!first) w.char(COMMA);
    first = false;
    w.raw(name(state));
    w.char(COLON);
    w.number(t[state]!);
  }
  w.char(CLOSE_BRACE);
}

function writeAnomaly(w: JsonBytes, a: AnomalyReport): void {
  w.raw(K.kind0); w.raw(name(a.kind));
  w.raw(K.flags); w.string(a.flags);
  w.raw(K.frame); w.number(a.frame);
  w.raw(K.s); w.number(a.s);
  w.raw(K.connection); w.nullableNumber(a.connection);
  w.raw(K.file); w.string(a.file);
  w.raw(K.fileFrame); w.number(a.fileFrame);
  w.raw(K.from); if (a.from === null) w.null(); else w.raw(name(a.from));
  w.raw(K.src); w.string(a.src);
  w.raw(K.dst); w.string(a.dst);
  w.char(CLOSE_BRACE);
}

function writeNote(w: JsonBytes, n: NoteReport): void {
  w.raw(K.kind0); w.raw(name(n.kind));
  w.raw(K.s); w.number(n.s);
  w.raw(K.frame); w.number(n.frame);
  w.raw(K.from); w.raw(name(n.from));
  w.raw(K.bytes1); w.number(n.bytes);
  w.char(CLOSE_BRACE);
}

function list<T>(w: JsonBytes, items: readonly T[], item: (w: JsonBytes, x: T) => void): void {
  w.char(OPEN_BRACKET);
  for (let i = 0; i < items.length; i++) {
    if (i > 0) w.char(COMMA);
    item(w, items[i]!);
  }
  w.char(CLOSE_BRACKET);
}

function numbers(w: JsonBytes, xs: readonly number[]): void {
  w.char(OPEN_BRACKET);
  for (let i = 0; i < xs.length; i++) {
    if (i > 0) w.char(COMMA);
    w.number(xs[i]!);
  }
  w.char(CLOSE_BRACKET);
}

/**
 * The few names the report uses as values and keys (states, kinds, events, sides), each as its
 * JSON string in bytes, made once. Anything not seen before is escaped the first time it comes.
 */
const NAMES = new Map<string, Uint8Array>();
function name(s: string): Uint8Array {
  let b = NAMES.get(s);
  if (b === undefined) {
    const json = Buffer.from(JSON.stringify(s), 'utf8');
    b = new Uint8Array(json);
    if (NAMES.size < 4096) NAMES.set(s, b);
  }
  return b;
}

const OPEN_BRACE_CODE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** Every key as it is written, with the punctuation before it. */
const K = {
  id: ascii('"id":'),
  clientIp: ascii(',"client":{"ip":'),
  port: ascii(',"port":'),
  serverIp: ascii('},"server":{"ip":'),
  ipVersion: ascii('},"ipVersion":'),
  midstream: ascii(',"midstream":'),
  firstS: ascii(',"firstS":'),
  lastS: ascii(',"lastS":'),
  firstFrame: ascii(',"firstFrame":'),
  lastFrame: ascii(',"lastFrame":'),
  file: ascii(',"file":'),
  packets: ascii(',"packets":{"clientToServer":'),
  serverToClient: ascii(',"serverToClient":'),
  bytes: ascii('},"bytes":{"clientToServer":'),
  retransmits: ascii('},"retransmits":{"clientToServer":'),
  handshake: ascii('},"handshake":'),
  close: ascii(',"close":'),
  resets: ascii(',"resets":'),
  timeWait: ascii(',"timeWait":'),
  statesClient: ascii(',"states":{"client":'),
  server: ascii(',"server":'),
  finalStateClient: ascii('},"finalState":{"client":'),
  timeInStateClient: ascii('},"timeInStateS":{"client":'),
  anomalies: ascii('},"anomalies":'),
  notes: ascii(',"notes":'),
  kind0: ascii('{"kind":'),
  kind: ascii(',"kind":'),
  synS: ascii(',"synS":'),
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
  mss0: ascii('{"mss":'),
  windowScale: ascii(',"windowScale":'),
  sackPermitted: ascii(',"sackPermitted":'),
  timestamps: ascii(',"timestamps":'),
  fastOpen: ascii(',"fastOpen":'),
  truncated: ascii(',"truncated":'),
  initiator: ascii(',"initiator":'),
  halfClose: ascii(',"halfClose":'),
  halfCloseBytes: ascii(',"halfCloseBytes":'),
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
  state0: ascii('{"state":'),
  event: ascii(',"event":'),
  flags: ascii(',"flags":'),
  connection: ascii(',"connection":'),
  src: ascii(',"src":'),
  dst: ascii(',"dst":'),
} as const;
