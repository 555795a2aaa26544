/**
 * Equivalence (issue 3): the same capture as pcap (µs), pcap (ns), pcapng (µs and ns units), gzip
 * and stdin gives the same report apart from the input metadata. Run on every kernel-made fixture
 * (`fixtures/<name>/capture.pcap`, however many there are); the variants are made here, in a temp
 * dir, with editcap (Wireshark's; `apt-get install -y tshark` brings it) and node's zlib.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportJson } from '../src/views/json.js';
import { FIXTURES, ROOT, analyze, cli } from './helpers/run.js';

const FIXTURE_NAMES = readdirSync(FIXTURES).filter((n) => existsSync(join(FIXTURES, n, 'capture.pcap'))).sort();

function hasTool(name: string): boolean {
  const r = spawnSync(name, ['--version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}
const HAVE_EDITCAP = hasTool('editcap');
/** Shown in the test names when the variants cannot be made. */
const NO_EDITCAP = HAVE_EDITCAP ? '' : ' [skipped: editcap not found; apt-get install -y tshark]';

/** The report without what legitimately differs between containers: `input` and the file's name. */
function comparable(json: string, fileName: string): unknown {
  const { input: _input, ...rest } = JSON.parse(json) as Record<string, unknown>;
  // The CLI writes connections as they finish; ids give the order they opened.
  (rest.connections as { id: number }[]).sort((a, b) => a.id - b.id);
  return JSON.parse(JSON.stringify(rest, (_k, v) => (v === fileName ? '<file>' : v)));
}

function editcap(args: string[]): void {
  const r = spawnSync('editcap', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`editcap ${args.join(' ')}: ${r.stderr}`);
}

describe('the same capture in every container gives the same report', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tcptrace-containers-'));
    if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('run `npm run build` first (the stdin test runs the built CLI)');
  });
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('has kernel-made fixtures to check', () => {
    expect(FIXTURE_NAMES.length).toBeGreaterThan(0);
  });

  describe.each(FIXTURE_NAMES)('%s', (name) => {
    const orig = join(FIXTURES, name, 'capture.pcap');
    let base: unknown;
    let baseFormat = '';
    beforeAll(async () => {
      const r = await analyze(orig);
      base = comparable(reportJson(r), orig);
      baseFormat = r.input.format;
    });

    it('gzip (decompressed as a stream)', async () => {
      const gz = join(dir, `${name}.pcap.gz`);
      writeFileSync(gz, gzipSync(readFileSync(orig)));
      const r = await analyze(gz);
      expect(r.input.format).toBe(`${baseFormat}+gzip`);
      expect(comparable(reportJson(r), gz)).toEqual(base);
    });

    it('stdin (`analyze -`, format sniffed from the first bytes)', () => {
      const r = cli(['analyze', '-', '--json'], readFileSync(orig));
      // Nothing on stderr but the report's own warnings (any-bridge's copies), one line each.
      const warnings = (JSON.parse(r.stdout) as { input: { warnings: { message: string }[] } }).input.warnings;
      expect(r.stderr).toBe(warnings.map((w) => `tcptrace: warning: -: ${w.message}\n`).join(''));
      expect(r.code).toBe(0);
      expect(comparable(r.stdout, '-')).toEqual(base);
    });

    it.skipIf(!HAVE_EDITCAP)(`pcap with nanosecond timestamps (editcap -F nsecpcap)${NO_EDITCAP}`, async () => {
      const out = join(dir, `${name}.ns.pcap`);
      editcap(['-F', 'nsecpcap', orig, out]);
      const r = await analyze(out);
      expect(r.input).toMatchObject({ format: 'pcap-ns', timePrecision: 9 });
      expect(comparable(reportJson(r), out)).toEqual(base);
    });

    it.skipIf(!HAVE_EDITCAP)(`pcapng (editcap -F pcapng), µs and ns units, gzip on stdin${NO_EDITCAP}`, async () => {
      const ng = join(dir, `${name}.pcapng`);
      editcap(['-F', 'pcapng', orig, ng]);
      const r = await analyze(ng);
      expect(r.input.format).toBe('pcapng');
      expect(r.input.timePrecision).toBe(baseFormat === 'pcap-ns' ? 9 : 6);
      expect(comparable(reportJson(r), ng)).toEqual(base);
      // from the ns pcap, editcap writes if_tsresol 9
      const ns = join(dir, `${name}.ns.pcap`);
      if (!existsSync(ns)) editcap(['-F', 'nsecpcap', orig, ns]);
      const ngNs = join(dir, `${name}.ns.pcapng`);
      editcap(['-F', 'pcapng', ns, ngNs]);
      const r2 = await analyze(ngNs);
      expect(r2.input.timePrecision).toBe(9);
      expect(comparable(reportJson(r2), ngNs)).toEqual(base);
      // and gzip around pcapng, through stdin
      const viaStdin = cli(['analyze', '-', '--json'], gzipSync(readFileSync(ngNs)));
      expect(viaStdin.code).toBe(0);
      expect(JSON.parse(viaStdin.stdout).input.format).toBe('pcapng+gzip');
      expect(comparable(viaStdin.stdout, '-')).toEqual(base);
    });
  });
});
