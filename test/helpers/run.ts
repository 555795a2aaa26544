/** Helpers for tests: run the built CLI, analyze a capture in-process, find fixtures and the corpus. */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeCaptures, type Report } from '../../src/pipeline.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = join(ROOT, 'fixtures');
export const CORPUS = resolve(ROOT, '../shared/corpus');
export const HAVE_CORPUS = existsSync(CORPUS);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `bin/tcptrace.js` (the built CLI) with `args`; `input` goes to stdin. */
export function cli(args: string[], input?: Buffer | string, env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/tcptrace.js'), ...args], {
    input, env: { ...process.env, NO_COLOR: '1', ...env }, maxBuffer: 256 * 1024 * 1024, timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

export function analyze(files: string | string[], timeWaitS = 60): Promise<Report> {
  return analyzeCaptures(Array.isArray(files) ? files : [files], { timeWaitS });
}

export function fixture(name: string, file = 'capture.pcap'): string {
  return join(FIXTURES, name, file);
}

/** Every file under `dir`, recursively. */
export function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** A binary capture by its content, whatever its name: pcap (µs/ns, either order), pcapng or gzip. */
export function isCapture(file: string): boolean {
  const fd = openSync(file, 'r');
  const h = Buffer.alloc(4);
  let n: number;
  try {
    n = readSync(fd, h, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (n < 4) return false;
  if (h[0] === 0x1f && h[1] === 0x8b) return true;
  return [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a].includes(h.readUInt32BE(0));
}
