/** `--ndjson`: each line validates against the record schema, and the stream says what --json says. */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, cli, fixture } from './helpers/run.js';
import { recordOffsets } from './helpers/pcap-bytes.js';

const ajv = new Ajv2020({ allErrors: true, strict: true });
ajv.addSchema(JSON.parse(readFileSync(join(ROOT, 'schema/report.schema.json'), 'utf8')));
const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schema/ndjson-record.schema.json'), 'utf8')));
const captures = readdirSync(FIXTURES).filter((d) => existsSync(join(FIXTURES, d, 'capture.pcap')));

const lines = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l));

describe('--ndjson', () => {
  for (const name of captures) {
    it(`${name}: every line validates, the summary comes last, and it agrees with --json`, () => {
      const r = cli(['analyze', fixture(name), '--ndjson']);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(/\d\.\d{10,}/); // no float noise in any time
      const recs = lines(r.stdout);
      for (const rec of recs) {
        validate(rec);
        expect(validate.errors ?? []).toEqual([]);
      }
      expect(recs.at(-1).type).toBe('summary');
      expect(recs.filter((x) => x.type === 'summary')).toHaveLength(1);
      const whole = JSON.parse(cli(['analyze', fixture(name), '--json']).stdout);
      const conns = recs.filter((x) => x.type === 'connection').map(({ type: _t, ...c }) => c).sort((a, b) => a.id - b.id);
      // --json writes connections as they finish too; ids give the order they opened.
      expect(conns).toEqual([...whole.connections].sort((a: { id: number }, b: { id: number }) => a.id - b.id));
      expect(recs.filter((x) => x.type === 'anomaly').map(({ type: _t, ...a }) => a)).toEqual(whole.anomalies);
      expect(recs.at(-1).summary).toEqual(whole.summary);
      expect(recs.filter((x) => x.type === 'alert').map(({ type: _t, ...a }) => a)).toEqual(whole.alerts);
    });
  }

  it('a connection is written as soon as it is finished, while the input is still open (live pipe)', async () => {
    // time-wait-reuse: the first incarnation ends at the second one's SYN. Send stdin up to that
    // SYN, and only once its line has come out, the rest.
    const pcap = readFileSync(fixture('time-wait-reuse'));
    const whole = JSON.parse(cli(['analyze', fixture('time-wait-reuse'), '--json']).stdout);
    const cut = recordOffsets(pcap)[whole.connections[1].firstFrame]!; // end of that SYN's record
    const child = spawn(process.execPath, [join(ROOT, 'bin/tcptrace.js'), 'analyze', '-', '--ndjson']);
    let out = '';
    const firstLine = new Promise<string>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
      });
    });
    child.stdin.write(pcap.subarray(0, cut));
    const first = JSON.parse(await firstLine);
    expect(first).toMatchObject({ type: 'connection', id: 1 });
    expect(first.timeWait[0].end).toBe('reused');
    child.stdin.end(pcap.subarray(cut));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(lines(out).map((x) => x.type)).toEqual(['connection', 'connection', 'summary']);
  });

  it('a live text pipe that falls silent still reports a finished connection (capture time follows the wall clock)', async () => {
    // tcpdump -l -n ... | tcptrace analyze - --ndjson: an aborted connection, then silence with the
    // pipe open. The connection waits for its RST's receiver as long as a TIME_WAIT (--time-wait,
    // 1 s here), and at least the 5 s an abort may be followed by its sender's own segments.
    const text = readFileSync(join(FIXTURES, 'abort-linger0', 'text', 'nn-S-tt.txt'));
    const child = spawn(process.execPath, [join(ROOT, 'bin/tcptrace.js'), 'analyze', '-', '--ndjson', '--time-wait', '1']);
    let out = '';
    const started = Date.now();
    const firstLine = new Promise<string>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
      });
    });
    child.stdin.write(text);
    const line = JSON.parse(await firstLine);
    expect(line).toMatchObject({ type: 'connection', close: { kind: 'reset' } });
    expect(child.exitCode).toBeNull(); // stdin is still open
    expect(Date.now() - started).toBeLessThan(10_000);
    child.stdin.end();
    expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
  });

  it('a connection leaves when its TIME_WAIT expires by capture time, before the capture ends', () => {
    const recs = lines(cli(['analyze', fixture('time-wait-expiry'), '--ndjson']).stdout).filter((x) => x.type === 'connection');
    expect(recs[0].timeWait[0].end).toBe('expired');
    expect(recs[0].id).toBe(1);
  });

  it('rejects a record that breaks the contract', () => {
    expect(validate({ type: 'connection', id: 1 })).toBe(false);
    expect(validate({ type: 'nonsense' })).toBe(false);
  });

  it('--json and --ndjson together is a usage error', () => {
    expect(cli(['analyze', fixture('refused'), '--json', '--ndjson']).code).toBe(2);
  });
});
