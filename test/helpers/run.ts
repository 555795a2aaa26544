/** Helpers for tests: run the built CLI, analyze a capture in-process, find fixtures and the corpus. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
