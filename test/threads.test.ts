/**
 * Two threads (threads.ts): reading and tracking on a worker thread must give exactly what one
 * thread gives: the same report, and the same stream of connections, anomalies and warnings in the
 * same order (what --ndjson prints as it goes). Checked on every fixture capture and its tcpdump
 * text renderings, and on every capture of ../shared/corpus when it is there.
 *
 * The worker runs the built code (dist/), so these tests load the pipeline from dist/ too
 * (`npm test` builds first).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { CORPUS, FIXTURES, HAVE_CORPUS, ROOT, cli, fixture, isCapture, walk } from './helpers/run.js';
import { recordOffsets } from './helpers/pcap-bytes.js';
import type * as Pipeline from '../src/pipeline.js';
import type * as JsonView from '../src/views/json.js';

const { analyzeCaptures } = (await import(join(ROOT, 'dist/pipeline.js'))) as typeof Pipeline;
const { reportJson } = (await import(join(ROOT, 'dist/views/json.js'))) as typeof JsonView;

/** The report and everything streamed while it was made, in order, as text; or the error thrown. */
async function run(files: string[], threads: number): Promise<{ report: string; stream: string[] } | { error: string }> {
  const stream: string[] = [];
  try {
    const report = await analyzeCaptures(files, {
      timeWaitS: 60, threads, keep: true,
      onConnection: (f) => stream.push(`connection ${JSON.stringify(f.report())}`),
      onAnomaly: (a) => stream.push(`anomaly ${JSON.stringify(a)}`),
      onWarning: (w) => stream.push(`warning ${JSON.stringify(w)}`),
    });
    return { report: reportJson(report), stream };
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

async function expectSameOnBothThreadings(files: string[]): Promise<void> {
  const one = await run(files, 1);
  const two = await run(files, 2);
  expect(two).toEqual(one);
}

const fixtureDirs = readdirSync(FIXTURES).filter((d) => existsSync(join(FIXTURES, d, 'capture.pcap')));

describe('two threads give what one thread gives', () => {
  it.each(fixtureDirs)('fixture %s: pcap and its tcpdump text renderings', async (dir) => {
    await expectSameOnBothThreadings([join(FIXTURES, dir, 'capture.pcap')]);
    const text = join(FIXTURES, dir, 'text');
    if (existsSync(text)) {
      for (const f of readdirSync(text).filter((n) => n.endsWith('.txt'))) await expectSameOnBothThreadings([join(text, f)]);
    }
  });

  it('several files merged by time', async () => {
    await expectSameOnBothThreadings([fixture('client-close-first'), fixture('server-close-first'), fixture('ipv6')]);
  });

  it('a file that is not a capture fails with the same error', async () => {
    const one = await run([join(ROOT, 'README.md')], 1);
    expect(one).toHaveProperty('error');
    expect(await run([join(ROOT, 'README.md')], 2)).toEqual(one);
    expect(await run([join(ROOT, 'no-such-file.pcap')], 2)).toEqual(await run([join(ROOT, 'no-such-file.pcap')], 1));
  });

  it.skipIf(!HAVE_CORPUS)('every capture of the shared corpus', async () => {
    const files = walk(CORPUS).filter(isCapture).sort();
    expect(files.length).toBeGreaterThan(100);
    for (const f of files) await expectSameOnBothThreadings([f]);
  }, 300_000);
});

describe('--threads on the command line', () => {
  it('--ndjson prints the same bytes with 1 and 2 threads', () => {
    const file = fixture('time-wait-pileup');
    const one = cli(['analyze', file, '--ndjson', '--threads', '1']);
    const two = cli(['analyze', file, '--ndjson', '--threads', '2']);
    expect(one.code).toBe(0);
    expect(two).toEqual(one);
  });

  it('a cut capture: the same warning, and under --strict the same one line and exit 2', () => {
    const whole = readFileSync(fixture('client-close-first'));
    const cut = join(mkdtempSync(join(tmpdir(), 'tcptrace-threads-')), 'cut.pcap');
    writeFileSync(cut, whole.subarray(0, whole.length - 7));
    for (const extra of [[], ['--strict']]) {
      const one = cli(['analyze', cut, '--ndjson', ...extra, '--threads', '1']);
      const two = cli(['analyze', cut, '--ndjson', ...extra, '--threads', '2']);
      expect(one.stderr).toContain('cut.pcap');
      expect(two).toEqual(one);
    }
  });

  it('rejects a thread count other than 1 or 2', () => {
    const r = cli(['analyze', fixture('client-close-first'), '--threads', '3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--threads expects 1 or 2');
  });
});

describe('progress says how far into the input reading is', () => {
  // Progress comes every 65,536 packets: a fixture's records repeated make a capture long enough.
  const one = readFileSync(fixture('client-close-first'));
  const records = one.subarray(recordOffsets(one)[0]!);
  const pcap = Buffer.concat([one.subarray(0, 24), ...Array.from({ length: 20_000 }, () => records)]);
  const dir = mkdtempSync(join(tmpdir(), 'tcptrace-progress-'));
  const plain = join(dir, 'long.pcap');
  const gz = join(dir, 'long.pcap.gz');
  writeFileSync(plain, pcap);
  writeFileSync(gz, gzipSync(pcap));

  it.each([[plain, 1], [plain, 2], [gz, 1], [gz, 2]])('%s, %i thread(s): bytes read grow to the file size as stored', async (file, threads) => {
    const seen: Pipeline.ProgressInfo[] = [];
    await analyzeCaptures([file], { timeWaitS: 60, threads, keep: false, onProgress: (p) => seen.push(p) });
    const size = readFileSync(file).length;
    expect(seen.length).toBeGreaterThanOrEqual(3);
    for (let i = 0; i < seen.length; i++) {
      expect(seen[i]!.bytesTotal).toBe(size);
      expect(seen[i]!.bytesRead).toBeGreaterThan(0);
      expect(seen[i]!.bytesRead).toBeLessThanOrEqual(size);
      if (i > 0) expect(seen[i]!.bytesRead).toBeGreaterThanOrEqual(seen[i - 1]!.bytesRead);
    }
    // Packets in step with bytes (a read chunk is at most 1 MiB ahead of the packets parsed).
    const last = seen.at(-1)!;
    expect(last.bytesRead).toBeGreaterThan(file === plain ? (last.packets / 220_000) * size - (1 << 20) : 0);
  });

  it('several files: their sizes add up', async () => {
    const seen: Pipeline.ProgressInfo[] = [];
    await analyzeCaptures([plain, gz], { timeWaitS: 60, keep: false, onProgress: (p) => seen.push(p) });
    expect(seen.at(-1)!.bytesTotal).toBe(readFileSync(plain).length + readFileSync(gz).length);
  });
});
