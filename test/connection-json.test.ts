/**
 * The hand-written connection writer (views/connection-json.ts) must write exactly what
 * JSON.stringify writes of the report's object: for every connection of every fixture (binary and
 * text renderings) and, when it is there, of every capture of the shared corpus; and for numbers
 * of every shape. Laid out for --json (IndentedJsonBytes), it must be what JSON.stringify writes
 * with an indentation of 2 at the record's depth in the document.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectionJson, writeConnection } from '../src/views/connection-json.js';
import { IndentedJsonBytes, JsonBytes } from '../src/views/json-bytes.js';
import { CORPUS, FIXTURES, HAVE_CORPUS, isCapture, walk } from './helpers/run.js';
import { analyzeCaptures } from '../src/pipeline.js';

const fixtureFiles = readdirSync(FIXTURES).flatMap((d) => {
  const dir = join(FIXTURES, d);
  const files = existsSync(join(dir, 'capture.pcap')) ? [join(dir, 'capture.pcap')] : [];
  if (existsSync(join(dir, 'text'))) files.push(...readdirSync(join(dir, 'text')).filter((f) => f.endsWith('.txt')).map((f) => join(dir, 'text', f)));
  return files;
});

/** `JSON.stringify(v, null, 2)` as it reads `depth` levels deep in a document (continuation lines indented by the levels above). */
function stringifiedAt(v: unknown, depth: number): string {
  return JSON.stringify(v, null, 2).replace(/\n/g, `\n${'  '.repeat(depth)}`);
}

/** The connection's record as --json lays it out (two levels deep), from a writer of `capacity` bytes (small ones make it grow). */
function laidOut(f: Parameters<typeof writeConnection>[1], capacity = 16): string {
  const w = new IndentedJsonBytes(capacity);
  w.start(2);
  writeConnection(w, f);
  return w.take().toString('utf8');
}

/** Analyzes each file, checking every connection as it finishes, compact and laid out; returns how many were checked. */
async function expectSameAsStringify(files: string[]): Promise<number> {
  let n = 0;
  for (const f of files) {
    const mismatches: string[] = [];
    try {
      await analyzeCaptures([f], {
        timeWaitS: 60,
        onConnection: (findings) => {
          const report = findings.report();
          const compact = connectionJson(findings);
          if (compact !== JSON.stringify(report)) mismatches.push(`${f} connection ${findings.conn.id}`);
          else if (laidOut(findings) !== stringifiedAt(report, 2)) mismatches.push(`${f} connection ${findings.conn.id} (laid out)`);
          n++;
        },
      });
    } catch {
      continue; // unreadable captures are the input tests' business
    }
    expect(mismatches).toEqual([]);
  }
  return n;
}

describe('connectionJson writes what JSON.stringify writes of the report', () => {
  it('every connection of every fixture, binary and text', async () => {
    expect(await expectSameAsStringify(fixtureFiles)).toBeGreaterThan(100);
  });
  it.skipIf(!HAVE_CORPUS)('every connection of the shared corpus', async () => {
    const files = walk(CORPUS).filter(isCapture);
    expect(await expectSameAsStringify(files)).toBeGreaterThan(500);
  });
  it('the NDJSON prefix takes the place of the opening brace', async () => {
    let checked = 0;
    await analyzeCaptures([join(FIXTURES, 'three-way-close', 'capture.pcap')], {
      timeWaitS: 60,
      onConnection: (f) => {
        expect(connectionJson(f, '{"type":"connection",')).toBe(JSON.stringify({ type: 'connection', ...f.report() }));
        checked++;
      },
    });
    expect(checked).toBe(1);
  });
});

/** What JsonBytes writes for one value. */
function written(write: (w: JsonBytes) => void): string {
  const w = new JsonBytes(16);
  write(w);
  return w.take().toString('utf8');
}

describe('JsonBytes.number', () => {
  const same = (x: number) => expect(written((w) => w.number(x)), `${x}`).toBe(JSON.stringify(x));
  it('times of whole nanoseconds, at every magnitude the fast path covers and around its edges', () => {
    // A seeded generator: the same numbers every run.
    let seed = 12345;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 50_000; i++) {
      const scale = 10 ** Math.floor(rand() * 17 - 2); // 0.01 ns .. 1e14 ns
      const ns = Math.floor(rand() * 1000 * scale);
      same(ns / 1e9);
      same(-ns / 1e9);
      same(Math.round(ns / 1000) / 1e6); // µs captures
    }
    for (const x of [0, -0, 1e-6, 9.99e-7, 1e-7, 5e-10, 0.000001001, 999999.999999999, 1e6, 1e6 + 0.5, 123456.000000001, 0.1, 0.3, 1 / 3, 2 ** 31, 2 ** 32 - 1, 2 ** 53, -(2 ** 31), 1e21, 1.5e300]) same(x);
  });
  it('non-finite numbers are null, as JSON writes them', () => {
    for (const x of [NaN, Infinity, -Infinity]) same(x);
  });
});

describe('JsonBytes.string', () => {
  it('escapes what JSON escapes and leaves the rest', () => {
    for (const s of ['', '10.0.0.1', 'fe80::1', 'a"b', 'a\\b', 'tab\there', 'new\nline', 'ünïcödé', '\u007f', '\ud800', 'émoji 🙂', 'capture (1).pcap', 'x'.repeat(70000)]) {
      expect(written((w) => w.string(s))).toBe(JSON.stringify(s));
    }
  });
});

/**
 * Writes `v` through `w` the way connection-json.ts writes a record: keys, punctuation and
 * literals as constants (`raw`, or `char` for one character), numbers with `number`, strings
 * with `string`. Runs of constants are fused into one constant where `fuse` says so, so that
 * constants open and close levels, end on an opening bracket, or hold a whole empty container.
 * Equal texts are one constant object, used at whatever level they come up.
 */
function writeValue(w: JsonBytes, v: unknown, fuse: () => boolean, constants: Map<string, Uint8Array>): void {
  const pieces: ({ raw: string } | { number: number } | { string: string })[] = [];
  const raw = (t: string) => {
    const last = pieces.at(-1);
    if (last !== undefined && 'raw' in last && fuse()) last.raw += t;
    else pieces.push({ raw: t });
  };
  const walk = (x: unknown): void => {
    if (x === null || typeof x === 'boolean') raw(String(x));
    else if (typeof x === 'number') pieces.push({ number: x });
    else if (typeof x === 'string') pieces.push({ string: x });
    else if (Array.isArray(x)) {
      raw('[');
      x.forEach((item, i) => { if (i > 0) raw(','); walk(item); });
      raw(']');
    } else {
      raw('{');
      Object.entries(x as object).forEach(([k, item], i) => { raw(`${i > 0 ? ',' : ''}${JSON.stringify(k)}:`); walk(item); });
      raw('}');
    }
  };
  walk(v);
  for (const p of pieces) {
    if ('number' in p) w.number(p.number);
    else if ('string' in p) w.string(p.string);
    else if (p.raw.length === 1 && fuse()) w.char(p.raw.charCodeAt(0));
    else {
      let bytes = constants.get(p.raw);
      if (bytes === undefined) constants.set(p.raw, (bytes = new Uint8Array(Buffer.from(p.raw, 'utf8'))));
      w.raw(bytes);
    }
  }
}

describe('IndentedJsonBytes lays JSON out as JSON.stringify(v, null, 2) does', () => {
  const values: unknown[] = [
    {}, [], 0, 'x', null, true, [[]], [{}], { a: {} }, { a: [] }, { a: [[], {}, [1], { b: [] }] },
    { 'key:with,colon': 'value, with [brackets] and {braces}: too' },
    { quote: 'a"b', backslash: 'a\\b', both: '\\"', escapedEnd: 'ends with \\', control: 'tab\there\nline' },
    { unicode: 'ünïcödé 🙂', 'kéy': 'é', lone: '\ud800' },
    [1, -2.5, 1e-7, 'two', [3, [4, [5, [6, [7]]]]], { deep: { deeper: { deepest: [null] } } }],
    { long: 'x'.repeat(5000), many: Array.from({ length: 300 }, (_, i) => ({ i, s: `${i}`, e: i % 3 === 0 ? [] : [i] })) },
  ];
  // A seeded generator: the same fusing every run.
  let seed = 99;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const constants = new Map<string, Uint8Array>();
  it.each(values.map((v, i) => [i, v]))('value %i, at depths 0 to 3, its constants fused in many ways', (_i, v) => {
    for (let depth = 0; depth <= 3; depth++) {
      for (const odds of [0, 0.3, 0.7, 1]) {
        const w = new IndentedJsonBytes(16);
        w.start(depth);
        writeValue(w, v, () => rand() < odds, constants);
        expect(w.take().toString('utf8'), `depth ${depth}, fused with odds ${odds}`).toBe(stringifiedAt(v, depth));
      }
    }
  });
  it('JSON text is laid out from where the writer is', () => {
    const w = new IndentedJsonBytes(16);
    w.start(1);
    w.raw(new Uint8Array(Buffer.from('{"a":')));
    w.text('[1,{"b":[]},"c,d"]');
    w.char(0x7d);
    expect(w.take().toString('utf8')).toBe(stringifiedAt({ a: [1, { b: [] }, 'c,d'] }, 1));
  });
  it('a constant that ends inside a string is refused (it could not be laid out alone)', () => {
    const w = new IndentedJsonBytes(16);
    expect(() => w.raw(new Uint8Array(Buffer.from('{"ip":"')))).toThrow(/ends inside a string/);
  });
});
