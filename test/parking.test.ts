/**
 * Parking (connections/parking.ts, store.ts): a connection that only waits out TIME_WAIT is packed
 * into pages of words and taken back into a slot when anyone looks at it again. It must come back
 * exactly as it was: every field and every list, bit for bit, whatever the numbers.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConnectionStore, C, E, K, KINDS, EV, NONE } from '../src/connections/store.js';
import { Kind } from '../src/connections/parking.js';
import type { Connection } from '../src/connections/connection.js';
import { PARKING, type ParkingPolicy } from '../src/connections/flow-table.js';
import { analyzeCaptures, trackCaptures, type Report } from '../src/pipeline.js';
import { CORPUS, FIXTURES, HAVE_CORPUS, ROOT, isCapture, walk } from './helpers/run.js';
import type * as Pipeline from '../src/pipeline.js';

// Two threads run the built worker (dist/), so that case loads the built pipeline (as threads.test.ts does).
const built = (await import(join(ROOT, 'dist/pipeline.js'))) as typeof Pipeline;

/** A slot's fields with each list replaced by its items, as comparable numbers (bits: -0 and NaN kept apart). */
function snapshot(store: ConnectionStore, slot: number): string[] {
  const cell = store.cell(slot);
  const f = store.cellChunk(cell);
  const b = store.cellBase(cell);
  const d = store.arena.data;
  const out: string[] = [];
  for (let i = 0; i < C.SIZE; i++) {
    const x = f[b + i]!;
    if (KINDS[i] !== Kind.LIST) out.push(bits(x));
    else if (x === NONE) out.push('none');
    else out.push(`[${Array.from(d.subarray(x + 2, x + 2 + d[x + 1]!), bits).join(',')}]`);
  }
  return out;
}

const bits = (x: number) => (Object.is(x, -0) ? '-0' : String(x));

/** Parks `slot` and reads it back; what it held before and after. */
function roundTrip(store: ConnectionStore, slot: number): { before: string[]; after: string[]; parked: boolean } {
  const before = snapshot(store, slot);
  store.park(slot);
  const parked = store.isParked(slot);
  return { before, after: snapshot(store, slot), parked };
}

const fixtureCaptures = readdirSync(FIXTURES).map((d) => join(FIXTURES, d, 'capture.pcap')).filter((f) => existsSync(f));
const corpusCaptures = HAVE_CORPUS ? walk(CORPUS).filter(isCapture).sort() : [];

describe('parking a connection and taking it back', () => {
  it('keeps numbers the packing has no word for: -0, NaN, infinities, nanoseconds, large and negative numbers', () => {
    const store = new ConnectionStore();
    const slot = store.allocate();
    const cell = store.cell(slot);
    const f = store.cellChunk(cell);
    const b = store.cellBase(cell);
    const odd = [-0, NaN, Infinity, -Infinity, 2 ** 53 - 1, -5, 1.5, 0.123456789, 12.000001, 0xffffffff, 0xfffffffe, 2 ** 32, 1e-7, 5000, 3600.5];
    f[b + C.FIRST_S] = 100.25;
    // Every number in a time field and in a number field (where its kind guesses wrong too).
    const timeFields = [C.LAST_S, C.REUSED_S, C.DUE_AT, C.CLIENT + E.INITIAL_S, C.SERVER + E.LAST_SENT_S, C.CLIENT + E.FIN + K.ACKED_S];
    const numberFields = [C.ID, C.C0, C.S3, C.LAST_FRAME, C.CLIENT + E.ISN, C.SERVER + E.BYTES, C.SERVER + E.FIN + K.SEQ];
    expect(timeFields.every((i) => KINDS[i] === Kind.TIME)).toBe(true);
    expect(numberFields.every((i) => KINDS[i] === Kind.NUMBER)).toBe(true);
    for (let r = 0; r < odd.length; r++) {
      timeFields.forEach((field, j) => { f[b + field] = odd[(r + j) % odd.length]!; });
      numberFields.forEach((field, j) => { f[b + field] = odd[(r + j + 3) % odd.length]!; });
      const { before, after, parked } = roundTrip(store, slot);
      expect(parked).toBe(true);
      expect(after).toEqual(before);
    }
    // And in a list: an event log holding them all.
    const e = C.CLIENT + E.LOG;
    const at = store.arena.append(NONE, odd.length * EV.SIZE);
    const ref = store.arena.lastRef;
    odd.forEach((x, k) => { for (let j = 0; j < EV.SIZE; j++) store.arena.data[at + k * EV.SIZE + j] = j === EV.S ? x : odd[(k + j) % odd.length]!; });
    store.cellChunk(store.cell(slot))[store.cellBase(store.cell(slot)) + e] = ref;
    const { before, after } = roundTrip(store, slot);
    expect(after).toEqual(before);
    expect(before[e]).toContain('-0');
  });

  it('leaves a connection too large for a page where it is', () => {
    const store = new ConnectionStore();
    const slot = store.allocate();
    const n = 100_000; // events: 400,000 doubles, past a page of 65,536 words
    const at = store.arena.append(NONE, n * EV.SIZE);
    for (let k = 0; k < n * EV.SIZE; k++) store.arena.data[at + k] = k % 7 === 0 ? NaN : k;
    const cell = store.cell(slot);
    store.cellChunk(cell)[store.cellBase(cell) + C.SERVER + E.LOG] = store.arena.lastRef;
    const before = snapshot(store, slot);
    store.park(slot);
    expect(store.isParked(slot)).toBe(false);
    expect(store.cell(slot)).toBe(cell);
    expect(snapshot(store, slot)).toEqual(before);
  });

  it('gives every parked page back once its records are gone', () => {
    const store = new ConnectionStore();
    const slots = Array.from({ length: 5000 }, () => store.allocate());
    for (const s of slots) { const c = store.cell(s); store.cellChunk(c)[store.cellBase(c) + C.FIRST_S] = 1 + s / 1e6; }
    for (const s of slots) store.park(s);
    expect(store.parked.connections).toBe(5000);
    const held = store.parked.pageBytes;
    for (const s of slots) store.cell(s); // all back
    expect(store.parked.connections).toBe(0);
    for (const s of slots) store.park(s); // parked again: into the same pages
    expect(store.parked.pageBytes).toBe(held);
    for (const s of slots) store.release(s); // forgotten while parked
    expect(store.parked.connections).toBe(0);
  });

  /** Every connection of `file` at its end (its richest state) parked and taken back. */
  async function everyConnection(file: string): Promise<number> {
    let checked = 0;
    const sink = {
      finished(conn: Connection) {
        const { before, after, parked } = roundTrip(conn.store, conn.slot);
        expect(parked).toBe(true);
        expect(after, `connection ${conn.id}`).toEqual(before);
        conn.at(conn.slot); // the view, for whoever reads it after
        checked++;
      },
      anomaly() {}, warning() {}, progress() {},
    };
    await trackCaptures([file], { timeWaitS: 60, verbose: false, progress: false }, sink);
    return checked;
  }

  it('parks only once the table holds PARKING.whenOpen connections, and only TIME_WAITs far from their end', async () => {
    // time-wait-pileup: 150 client endpoints in TIME_WAIT at once, all still there at the capture's end.
    const parkedAtEnd = async (parking: ParkingPolicy) => {
      let parked = -1;
      const sink = { finished(c: Connection) { if (parked < 0) parked = c.store.parked.connections; }, anomaly() {}, warning() {}, progress() {} };
      await trackCaptures([join(FIXTURES, 'time-wait-pileup', 'capture.pcap')], { timeWaitS: 60, verbose: false, progress: false, parking }, sink);
      return parked;
    };
    expect(PARKING.whenOpen).toBeGreaterThan(150);
    expect(await parkedAtEnd(PARKING)).toBe(0);
    expect(await parkedAtEnd({ afterS: PARKING.afterS, whenOpen: 100 })).toBeGreaterThan(20);
    expect(await parkedAtEnd({ afterS: 61, whenOpen: 0 })).toBe(0); // a TIME_WAIT is 60 s
  });

  it('brings back every connection of every fixture exactly', async () => {
    let n = 0;
    for (const file of fixtureCaptures) n += await everyConnection(file);
    expect(n).toBeGreaterThan(100);
  });

  it.skipIf(!HAVE_CORPUS)('brings back every connection of every corpus capture exactly', async () => {
    let n = 0;
    for (const file of corpusCaptures) {
      try {
        n += await everyConnection(file);
      } catch (e) {
        if ((e as Error).name === 'AssertionError') throw e; // unreadable captures are corpus.test.ts's business
      }
    }
    expect(n).toBeGreaterThan(500);
  });
});

describe('reports are the same whether connections are parked or not', () => {
  // Every TIME_WAIT parked at once, whatever the number of connections; or none.
  const ALL = { afterS: 0, whenOpen: 0 };
  const NEVER = { afterS: Infinity, whenOpen: Infinity };
  const analyze = (file: string, parking: ParkingPolicy, threads = 1): Promise<Report | string> =>
    (threads === 1 ? analyzeCaptures : built.analyzeCaptures)([file], { timeWaitS: 60, parking, threads }).catch((e: Error) => `error: ${e.message}`);

  it('every fixture, parking every TIME_WAIT at once, on one thread and on two', async () => {
    for (const file of fixtureCaptures) {
      const never = await analyze(file, NEVER);
      expect(await analyze(file, ALL), file).toEqual(never);
      expect(await analyze(file, ALL, 2), file).toEqual(never);
    }
  });

  it.skipIf(!HAVE_CORPUS)('every corpus capture, parking every TIME_WAIT at once', async () => {
    for (const file of corpusCaptures) expect(await analyze(file, ALL), file).toEqual(await analyze(file, NEVER));
  });

  // A report lists connections by id; the stream (NDJSON) has them as they finish. A parked
  // connection's timer finishes it without taking it back (FlowTable.parkedDue), and with two
  // threads the main thread reads it from its parking record: the order must not move.
  const finishOrder = async (file: string, parking: ParkingPolicy, threads: number): Promise<number[]> => {
    const ids: number[] = [];
    await (threads === 1 ? analyzeCaptures : built.analyzeCaptures)([file], { timeWaitS: 60, parking, threads, onConnection: (f) => ids.push(f.report().id) });
    return ids;
  };

  it('connections finish in the same order, parked or not, on one thread and on two', async () => {
    let moved = 0;
    for (const file of fixtureCaptures) {
      const never = await finishOrder(file, NEVER, 1);
      expect(await finishOrder(file, ALL, 1), file).toEqual(never);
      expect(await finishOrder(file, ALL, 2), file).toEqual(never);
      // Not just in id order: the check can see a connection finished late.
      if (never.some((id, i) => i > 0 && id < never[i - 1]!)) moved++;
    }
    expect(moved).toBeGreaterThan(0);
  });

  // tcpdump text without -n names hosts; only the tracking thread knows a name (addr.ts keeps the
  // table), and it sends the texts with a connection it hands over from its cell. One in a
  // parking record would come without them (the main thread would print "?"): a shared store
  // does not park it. This thread never decodes text through the built modules, so it has no
  // names of its own to print by chance.
  it('names of hosts (tcpdump text without -n) survive parking on two threads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcptrace-parking-names-'));
    try {
      // 150 connections in TIME_WAIT over 4 s, parked as later ones come; 127.0.0.1 renamed. A
      // 1 s TIME_WAIT ends most of them before the capture does, by their timers, and the rest
      // at its end: both hand a parked connection over as its record.
      const text = gunzipSync(readFileSync(join(FIXTURES, 'time-wait-pileup', 'text', 'nn-S-tt.txt.gz'))).toString('utf8');
      const named = join(dir, 'named.txt');
      writeFileSync(named, text.replaceAll('127.0.0.1.', 'host-a.example.'));
      const report = await built.analyzeCaptures([named], { timeWaitS: 1, parking: ALL, threads: 2 });
      expect(report.connections.length).toBeGreaterThan(150);
      for (const c of report.connections) expect([c.client.ip, c.server.ip], `connection ${c.id}`).toEqual(['host-a.example', 'host-a.example']);
      expect(report.connections.filter((c) => c.timeWait.some((t) => t.end === 'expired')).length).toBeGreaterThan(100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
