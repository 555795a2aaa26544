/** The command line as users and CI jobs meet it: exit codes, one-line errors, --fail-on, --strict, colour. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cli, fixture, ROOT } from './helpers/run.js';
import { recordOffsets } from './helpers/pcap-bytes.js';
import { howFar } from '../src/cli/progress.js';

const tmp = mkdtempSync(join(tmpdir(), 'tcptrace-cli-'));
const write = (name: string, data: Buffer | string) => {
  const p = join(tmp, name);
  writeFileSync(p, data);
  return p;
};
const oneLineError = (stderr: string) => {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^tcptrace: /);
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
};

describe('tcptrace analyze', () => {
  it('prints a readable report: summary, then each connection with its states', () => {
    const r = cli(['analyze', fixture('client-close-first')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/connections\s+│ 1/);
    expect(r.stdout).toMatch(/handshakes\s+│ complete 1/);
    expect(r.stdout).toMatch(/four-way/);
    expect(r.stdout).toMatch(/TIME_WAIT/);
    expect(r.stdout).toMatch(/FIN_WAIT_2/);
    expect(r.stdout).not.toMatch(/\x1b\[/); // not a TTY: no colour
  });

  it('--json prints one document a script can read', () => {
    const r = cli(['analyze', fixture('refused'), '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.summary.handshakes.refused).toBe(1);
    expect(doc.connections[0].resets[0].kind).toBe('refused');
  });

  it('--time-wait changes when TIME_WAIT counts as expired', () => {
    const at60 = JSON.parse(cli(['analyze', fixture('time-wait-expiry'), '--json']).stdout);
    const at240 = JSON.parse(cli(['analyze', fixture('time-wait-expiry'), '--json', '--time-wait', '240']).stdout);
    expect(at60.connections[0].timeWait[0].end).toBe('expired');
    expect(at240.connections[0].timeWait[0].end).toBe('open');
    expect(at240.options.timeWaitS).toBe(240);
  });

  it('--help explains the options with an example', () => {
    const r = cli(['analyze', '--help']);
    expect(r.code).toBe(0);
    for (const s of ['--json', '--fail-on', '--time-wait', '--strict', 'Examples:', 'Exit codes']) expect(r.stdout).toContain(s);
  });
});

describe('--fail-on for CI jobs', () => {
  it('exits 1 with one line per violation when a condition holds', () => {
    const r = cli(['analyze', fixture('refused'), '--fail-on', 'resets,incomplete-handshake']);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^tcptrace: fail-on resets: connection #1 .* refused RST from server/);
    expect(lines[1]).toMatch(/^tcptrace: fail-on incomplete-handshake: connection #1 .* handshake refused/);
  });

  it('exits 0 when no condition holds', () => {
    const r = cli(['analyze', fixture('client-close-first'), '--fail-on', 'anomalies,resets,incomplete-handshake']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('flags every anomaly by frame', () => {
    const r = cli(['analyze', fixture('illegal-flags'), '--fail-on', 'anomalies', '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(r.stderr.trim().split('\n')).toHaveLength(doc.anomalies.length);
  });

  it('icmp-errors names each ICMP error about a segment, and what it did', () => {
    const r = cli(['analyze', fixture('icmp-reject'), '--fail-on', 'icmp-errors']);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[1]).toMatch(/^tcptrace: fail-on icmp-errors: connection #1 127\.0\.0\.1:41167 -> 127\.0\.0\.1:5151: ICMP port-unreachable from 127\.0\.0\.1 to client at frame 4 \(the client gave up\)$/);
    expect(cli(['analyze', fixture('refused'), '--fail-on', 'icmp-errors']).code).toBe(0);
  });

  it('unclosed catches an unfinished close', () => {
    expect(cli(['analyze', fixture('fin-dropped'), '--fail-on', 'unclosed']).code).toBe(1);
  });

  it('writes IPv6 endpoints in brackets, in its lines and in the JSON anomalies', () => {
    const text = write('v6.txt', [
      '1.000000 IP6 2001:db8::1.40000 > 2001:db8::2.80: Flags [S], seq 1, win 1, length 0',
      '1.000100 IP6 2001:db8::2.80 > 2001:db8::1.40000: Flags [R.], seq 0, ack 2, win 0, length 0',
      '2.000000 IP6 2001:db8::1.40001 > 2001:db8::2.81: Flags [FS], seq 7, win 1, length 0',
      '',
    ].join('\n'));
    const r = cli(['analyze', text, '--fail-on', 'resets,anomalies', '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('connection #1 [2001:db8::1]:40000 -> [2001:db8::2]:80: refused RST from server');
    expect(r.stderr).toContain('anomaly syn-fin [FS] [2001:db8::1]:40001 -> [2001:db8::2]:81');
    expect(JSON.parse(r.stdout).anomalies[0]).toMatchObject({ src: '[2001:db8::1]:40001', dst: '[2001:db8::2]:81' });
  });

  it('an unknown condition is a usage error (exit 2) naming the known ones', () => {
    const r = cli(['analyze', fixture('refused'), '--fail-on', 'bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown --fail-on condition 'bogus'/);
  });
});

describe('bad input: exit 2, one line naming the file, never a stack trace', () => {
  it('a file that is not a capture', () => {
    const r = cli(['analyze', join(ROOT, 'package-lock.json')]);
    // JSON is text: it is sniffed as text, and tcpdump text it is not.
    expect(r.code).toBe(2);
    oneLineError(r.stderr);
    expect(r.stderr).toContain('package-lock.json');
  });

  it('binary junk names the offset', () => {
    const p = write('junk.bin', Buffer.from([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3]));
    const r = cli(['analyze', p]);
    expect(r.code).toBe(2);
    oneLineError(r.stderr);
    expect(r.stderr).toMatch(/junk\.bin: not a capture: unrecognized first bytes de ad be ef/);
  });

  it('a missing file, a directory, an empty file', () => {
    for (const [arg, msg] of [[join(tmp, 'nope.pcap'), /no such file/], [tmp, /is a directory/], [write('empty.pcap', ''), /empty file/]] as const) {
      const r = cli(['analyze', arg]);
      expect(r.code).toBe(2);
      oneLineError(r.stderr);
      expect(r.stderr).toMatch(msg);
    }
  });

  it('a capture of a link type it does not read names the type and the ones it reads', () => {
    const pcap = Buffer.from(readFileSync(fixture('client-close-first')));
    pcap.writeUInt32LE(147, 20); // the global header's link type: LINKTYPE_USER0
    const r = cli(['analyze', write('user0.pcap', pcap)]);
    expect(r.code).toBe(2);
    oneLineError(r.stderr);
    expect(r.stderr).toMatch(/user0\.pcap: link type 147 is not supported \(supported: null \(0\), ethernet \(1\), .*juniper-ether \(178\)/);
  });

  it('a usage error (no file) exits 2', () => {
    const r = cli(['analyze']);
    expect(r.code).toBe(2);
  });
});

describe('a capture cut short', () => {
  const whole = readFileSync(fixture('client-close-first'));
  const offs = recordOffsets(whole);
  const cut = write('cut.pcap', whole.subarray(0, offs[8]! + 10));

  it('reports what it holds, warns with the offset, and sets input.truncated', () => {
    const r = cli(['analyze', cut, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.input.truncated).toBe(true);
    expect(doc.input.packets).toBe(8);
    expect(doc.input.warnings[0].offset).toBe(offs[8]);
    expect(doc.connections[0].handshake.kind).toBe('complete');
    expect(r.stderr).toMatch(new RegExp(`cut\\.pcap: capture ends inside a record .* \\(at byte offset ${offs[8]}\\)`));
  });

  it('--strict makes it unusable (exit 2)', () => {
    const r = cli(['analyze', cut, '--strict']);
    expect(r.code).toBe(2);
    oneLineError(r.stderr);
  });

  it('a header-only capture is a valid, empty capture', () => {
    const r = cli(['analyze', write('header.pcap', whole.subarray(0, 24)), '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).summary.connections).toBe(0);
  });
});

describe('containers', () => {
  it('a gzip-compressed pcap gives the same report', () => {
    const plain = JSON.parse(cli(['analyze', fixture('half-close'), '--json']).stdout);
    const gz = JSON.parse(cli(['analyze', write('x.pcap.gz', gzipSync(readFileSync(fixture('half-close')))), '--json']).stdout);
    expect(gz.connections).toEqual(plain.connections.map((c: { file: string }) => ({ ...c, file: gz.connections[0].file })));
    expect(gz.input.format).toBe('pcap+gzip');
  });

  it('stdin ("-") is sniffed like a file', () => {
    const r = cli(['analyze', '-', '--json'], readFileSync(fixture('three-way-close')));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).connections[0].close.kind).toBe('three-way');
  });
});

describe('colour', () => {
  it('is off when stdout is not a terminal, even when asked', () => {
    const r = cli(['analyze', fixture('refused')], undefined, { NO_COLOR: '', FORCE_COLOR: '1' });
    expect(r.stdout).not.toMatch(/\x1b\[/);
  });
});

describe('tcptrace check (SPEC section 7)', () => {
  const expect1 = (obj: unknown) => write(`expect-${Math.random().toString(36).slice(2)}.json`, JSON.stringify(obj));
  it('exits 0 when every expected fact holds', () => {
    const file = expect1({ summary: { handshakes: { complete: 1 }, anomalies: 0 }, connections: [{ close: { kind: 'four-way', initiator: 'client' }, finalState: { client: 'TIME_WAIT' } }] });
    const r = cli(['check', fixture('client-close-first'), '--expect', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
  it('exits 1 with one line per fact that does not hold, naming its JSON path', () => {
    const file = expect1({ summary: { resets: 3 }, connections: [{ close: { kind: 'three-way' } }, { id: 2 }], nope: 1 });
    const r = cli(['check', fixture('client-close-first'), '--expect', file]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      'tcptrace: check summary.resets: expected 3, got 0',
      'tcptrace: check connections: expected at least 2 items, got 1',
      'tcptrace: check connections[0].close.kind: expected "three-way", got "four-way"',
      'tcptrace: check nope: expected 1, but the report has no such field',
    ]);
  });
  it('an unreadable expectation file is a usage error (exit 2)', () => {
    const r = cli(['check', fixture('client-close-first'), '--expect', write('bad.json', '{nope')]);
    expect(r.code).toBe(2);
    oneLineError(r.stderr);
  });
});

describe('large captures in the table view', () => {
  it('lists the connections worth a look and says how many it left out; --all lists every one', () => {
    // 150 ordinary connections and one refused: only the refused one is listed.
    const r = cli(['analyze', fixture('time-wait-pileup')]);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^#\d+ /gm)).toHaveLength(1);
    expect(r.stdout).toMatch(/handshake +│ refused/);
    expect(r.stdout).toMatch(/150 more connections not listed/);
    expect(cli(['analyze', fixture('time-wait-pileup'), '--all']).stdout.match(/^#\d+ /gm)).toHaveLength(151);
  });
  it('a small capture lists every connection', () => {
    expect(cli(['analyze', fixture('time-wait-reuse')]).stdout.match(/^#\d+ /gm)).toHaveLength(2);
  });
  it('--fail-on works with --ndjson too (it judges the stream)', () => {
    const r = cli(['analyze', fixture('refused'), '--ndjson', '--fail-on', 'resets,refused']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
  });
  it('no progress line when stderr is not a terminal', () => {
    expect(cli(['analyze', fixture('syn-flood')]).stderr).toBe('');
  });
  it('the progress line says how much is read and how long the rest should take', () => {
    const at = (bytesRead: number, bytesTotal: number, secs: number) =>
      howFar({ packets: 0, connections: 0, open: 0, bytesRead, bytesTotal }, secs);
    expect(at(420e6, 1.4e9, 6)).toBe('30% of 1.4 GB, ~14 s left, ');
    expect(at(70e6, 139e6, 90)).toBe('50% of 139 MB, ~1 min 29 s left, ');
    expect(at(1e6, 200e6, 1)).toBe('0% of 200 MB, '); // too early to tell the pace
    expect(at(5e6, 0, 3)).toBe(''); // stdin: size unknown
    expect(at(2e9, 1.4e9, 9)).toBe('100% of 1.4 GB, ~0 s left, ');
  });
});

describe('text that is not a capture', () => {
  it('prose quoting a few tcpdump lines (this README) is rejected with exit 2, not analyzed', () => {
    const r = cli(['analyze', join(ROOT, 'README.md')]);
    expect(r.code).toBe(2);
    oneLineError(r.stderr);
    expect(r.stderr).toMatch(/README\.md: not a capture: \d+ of \d+ lines are not tcpdump output/);
  });

  it("tshark's text output is rejected with exit 2, saying what to give instead", () => {
    // `tshark -r capture.pcap` (the default columns) and `-t ad` (date and time), as tshark 4.0 prints them.
    const byDefault = [
      '    1   0.000000    127.0.0.1 \u2192 127.0.0.1    TCP 74 41101 \u2192 5101 [SYN] Seq=0 Win=65495 Len=0 MSS=65495 SACK_PERM TSval=3577046168 TSecr=0 WS=1024',
      '    2   0.000011    127.0.0.1 \u2192 127.0.0.1    TCP 74 5101 \u2192 41101 [SYN, ACK] Seq=0 Ack=1 Win=65483 Len=0 MSS=65495 SACK_PERM TSval=2743512881 TSecr=3577046168 WS=1024',
      '    3   0.000021    127.0.0.1 \u2192 127.0.0.1    TCP 66 41101 \u2192 5101 [ACK] Seq=1 Ack=1 Win=65536 Len=0 TSval=3577046168 TSecr=2743512881',
    ];
    const dated = byDefault.map((l) => l.replace(/^( +\d+) +0\.0000(\d\d)/, '$1 2026-11-21 09:21:16.0867$2'));
    const long = Array.from({ length: 40 }, (_, i) => byDefault[i % 3]!.replace(/^ +\d+/, String(i + 1).padStart(5)));
    for (const lines of [byDefault, dated, long]) {
      const r = cli(['analyze', '-'], lines.join('\n') + '\n');
      expect(r.code).toBe(2);
      oneLineError(r.stderr);
      expect(r.stderr).toMatch(/not a capture this reads: tshark's text output .* analyze the capture file itself, or tcpdump's text of it/);
    }
  });
});
