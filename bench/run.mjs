#!/usr/bin/env node
/**
 * bench/run.mjs: times `tcptrace analyze` against the peers on one generated capture.
 *
 *   node bench/run.mjs [--packets N] [--seed S] [--keep] [--only LIST] [--skip LIST]
 *                      [--timeout SECONDS] [--build] [--repeat R] [--conn-packets P]
 *
 * 1. Generates (bench/generate.mjs) a seeded capture of N packets (default 1,000,000) as classic pcap,
 *    and as pcapng and tcpdump text when the rows that read them are selected, in bench/out/
 *    (git-ignored), named by N and seed (and --conn-packets when not the default 13); files
 *    already there are reused. Without --keep, what this run generated is deleted at the end
 *    (10 M packets take ~4.5 GB in the three formats).
 * 2. Runs each tool once on it under GNU time (`/usr/bin/time -f '%e %M'`) for peak RSS, with the
 *    wall time measured around the process, stdout to /dev/null:
 *      tcptrace analyze --ndjson (pcap, pcapng, text) and --json (pcap)   [--json when no --ndjson]
 *        with its default threads (two on a multi-core machine for input of 16 MB or more), and
 *        --ndjson --threads 1 on the pcap (the issue's targets are stated for one core)
 *      floor      node bench/floor.mjs: read + decode + one Map lookup per packet (the floor)
 *      tcpdump -nn -S -r, tcpdump -nn -r (relative seq: quadratic, only up to 1 M packets)
 *      C tcptrace -n, tshark -q -z conv,tcp                                  (when installed)
 * 3. Prints a table (tool, input, wall s, cpu s, packets/s, peak MB, time/C, time/floor) and the issue's
 *    targets, and writes everything to bench/out/results-N.json.
 *
 * Tool ids for --only/--skip: ndjson-pcap, ndjson-pcap-1t, ndjson-pcapng, ndjson-text, json-pcap, floor,
 * tcpdump-S, tcpdump, c-tcptrace, tshark.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const OUT = join(BENCH, 'out');
const TCPDUMP_RELATIVE_MAX = 1_000_000;

function die(msg) {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(2);
}

function parseCount(s) {
  const m = /^([0-9][0-9_]*(?:\.[0-9]+)?(?:e[0-9]+)?)([kKmMgG]?)$/.exec(s ?? '');
  if (!m) die(`not a count: ${s}`);
  const n = Math.round(Number(m[1].replaceAll('_', '')) * { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6, g: 1e9, G: 1e9 }[m[2]]);
  if (!Number.isSafeInteger(n) || n < 1) die(`not a count: ${s}`);
  return n;
}

function parseArgs(argv) {
  const o = { packets: 1_000_000, seed: 1, keep: false, only: null, skip: new Set(), timeout: 3600, build: false, repeat: 1, connPackets: 13 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => argv[++i] ?? die(`${a} needs a value`);
    switch (a) {
      case '--packets': o.packets = parseCount(val()); break;
      case '--seed': o.seed = Number(val()) >>> 0; break;
      case '--keep': o.keep = true; break;
      case '--only': o.only = new Set(val().split(',')); break;
      case '--skip': for (const s of val().split(',')) o.skip.add(s); break;
      case '--timeout': o.timeout = Number(val()); break;
      case '--build': o.build = true; break;
      case '--repeat': o.repeat = Math.max(1, parseCount(val())); break;
      case '--conn-packets': o.connPackets = Number(val()); break;
      case '-h': case '--help':
        process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0].replace(/^#!.*\n\/\*\*\n/, '').replace(/^ \* ?/gm, ''));
        process.exit(0);
        break;
      default: die(`unknown argument ${a} (see --help)`);
    }
  }
  return o;
}

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim() || null;

function version(cmd, args, re = /.*/) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const m = re.exec(text);
  return m ? m[0].trim() : null;
}

/** Runs argv under GNU time; resolves {wall, rssMB, code, signal, stderrTail}. */
function measure(argv, { timeoutS, gnuTime, cwd = ROOT }) {
  return new Promise((resolve) => {
    const tag = `${process.pid}-${Math.random().toString(36).slice(2)}`;
    const timeFile = join(OUT, `.time-${tag}`);
    const errFile = join(OUT, `.stderr-${tag}`);
    const devnull = openSync('/dev/null', 'w');
    const errFd = openSync(errFile, 'w');
    const full = gnuTime ? [gnuTime, '-f', '%e %M %U %S', '-o', timeFile, ...argv] : argv;
    const t0 = process.hrtime.bigint();
    const child = spawn(full[0], full.slice(1), { cwd, stdio: ['ignore', devnull, errFd], detached: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }, timeoutS * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      closeSync(devnull);
      closeSync(errFd);
      let rssMB = null;
      let cpuS = null;
      let childCode = code;
      if (gnuTime && existsSync(timeFile)) {
        const lines = readFileSync(timeFile, 'utf8').trim().split('\n');
        const last = lines[lines.length - 1].trim().split(/\s+/);
        if (last.length === 4) {
          rssMB = Number(last[1]) / 1024;
          cpuS = Number(last[2]) + Number(last[3]);
        }
        const exited = lines.find((l) => /exited with non-zero status (\d+)/.test(l) || /terminated by signal/.test(l));
        if (exited) {
          const m = /status (\d+)/.exec(exited);
          if (m) childCode = Number(m[1]);
          const s = /signal (\d+)/.exec(exited);
          if (s) childCode = 128 + Number(s[1]);
        }
        rmSync(timeFile, { force: true });
      }
      const err = readFileSync(errFile, 'utf8');
      rmSync(errFile, { force: true });
      resolve({ wall, rssMB, cpuS, code: childCode, signal, timedOut, stderrTail: err.trim().split('\n').slice(-2).join(' | ').slice(0, 300) });
    });
  });
}

function fmt(n, digits = 2) {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  return n.toFixed(digits);
}

function fmtRate(n) {
  if (!Number.isFinite(n)) return '-';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)} k`;
  return n.toFixed(0);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  mkdirSync(OUT, { recursive: true });
  const notes = [];
  const note = (s) => {
    notes.push(s);
    process.stderr.write(`bench: ${s}\n`);
  };

  // --- the analyzer build
  const cli = join(ROOT, 'bin', 'tcptrace.js');
  if (o.build || !existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
    process.stderr.write('bench: npm run build\n');
    const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (b.status !== 0) die('npm run build failed');
  }
  const help = spawnSync(process.execPath, [cli, 'analyze', '--help'], { cwd: ROOT, encoding: 'utf8' }).stdout ?? '';
  const hasNdjson = help.includes('--ndjson');
  const hasThreads = help.includes('--threads');
  if (!hasNdjson) note('tcptrace analyze has no --ndjson yet: the "ndjson" rows run --json > /dev/null instead');

  // --- the capture
  const base = join(OUT, `cap-${o.packets}-s${o.seed}${o.connPackets === 13 ? '' : `-p${o.connPackets}`}`);
  const files = { pcap: `${base}.pcap`, pcapng: `${base}.pcapng`, text: `${base}.txt` };
  // Only the renderings the selected rows read (the pcap always: it is what the peers read), so
  // `--only ndjson-pcap` at 10 M does not write 3 GB of pcapng and text first.
  const selected = (id) => (!o.only || o.only.has(id)) && !o.skip.has(id);
  const needed = ['pcap', ...(selected('ndjson-pcapng') ? ['pcapng'] : []), ...(selected('ndjson-text') ? ['text'] : [])];
  const missing = needed.filter((k) => !existsSync(files[k]));
  const ext = (k) => (k === 'text' ? 'txt' : k);
  const braces = (keys) => `${relative(ROOT, base)}.${keys.length === 1 ? ext(keys[0]) : `{${keys.map(ext).join(',')}}`}`;
  let generateS = null;
  if (missing.length > 0) {
    process.stderr.write(`bench: generating ${o.packets} packets (seed ${o.seed}) -> ${braces(missing)}\n`);
    const t0 = process.hrtime.bigint();
    // One format: --out names the file itself; several: a base name the generator adds extensions to.
    const out = missing.length === 1 ? files[missing[0]] : base;
    const g = spawnSync(process.execPath, [join(BENCH, 'generate.mjs'), '--packets', String(o.packets), '--seed', String(o.seed), '--format', missing.join(','), '--conn-packets', String(o.connPackets), '--out', out, '--meta', `${base}.meta.json`], { stdio: 'inherit' });
    if (g.status !== 0) die('generate.mjs failed');
    generateS = Number(process.hrtime.bigint() - t0) / 1e9;
  }
  const reused = needed.filter((k) => !missing.includes(k));
  if (reused.length > 0) process.stderr.write(`bench: reusing ${braces(reused)}\n`);
  const meta = existsSync(`${base}.meta.json`) ? JSON.parse(readFileSync(`${base}.meta.json`, 'utf8')) : null;
  const sizes = Object.fromEntries(Object.entries(files).filter(([, f]) => existsSync(f)).map(([k, f]) => [k, statSync(f).size]));

  // --- the tools
  const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  if (!gnuTime) note('GNU time (/usr/bin/time) is missing: no peak memory (install it: apt-get install -y time)');
  const tcpdump = has('tcpdump');
  const tshark = has('tshark');
  const ctcptrace = has('tcptrace');
  if (!tcpdump) note('tcpdump not installed: skipped (apt-get install -y tcpdump)');
  if (!tshark) note('tshark not installed: skipped (apt-get install -y tshark)');
  if (!ctcptrace) note('C tcptrace not installed: skipped (apt-get install -y tcptrace)');
  const node = process.execPath;
  const mode = hasNdjson ? '--ndjson' : '--json';
  const runs = [
    { id: 'ndjson-pcap', tool: `tcptrace analyze ${mode}`, input: 'pcap', argv: [node, cli, 'analyze', files.pcap, mode] },
    ...(hasThreads ? [{ id: 'ndjson-pcap-1t', tool: `tcptrace analyze ${mode} --threads 1`, input: 'pcap', argv: [node, cli, 'analyze', files.pcap, mode, '--threads', '1'] }] : []),
    { id: 'ndjson-pcapng', tool: `tcptrace analyze ${mode}`, input: 'pcapng', argv: [node, cli, 'analyze', files.pcapng, mode] },
    { id: 'ndjson-text', tool: `tcptrace analyze ${mode}`, input: 'text', argv: [node, cli, 'analyze', files.text, mode] },
    ...(hasNdjson ? [{ id: 'json-pcap', tool: 'tcptrace analyze --json', input: 'pcap', argv: [node, cli, 'analyze', files.pcap, '--json'] }] : []),
    { id: 'floor', tool: 'floor (node bench/floor.mjs)', input: 'pcap', argv: [node, join(BENCH, 'floor.mjs'), files.pcap] },
    ...(ctcptrace ? [{ id: 'c-tcptrace', tool: 'C tcptrace -n', input: 'pcap', argv: [ctcptrace, '-n', files.pcap] }] : []),
    ...(tcpdump ? [{ id: 'tcpdump-S', tool: 'tcpdump -nn -S -r', input: 'pcap', argv: [tcpdump, '-nn', '-S', '-r', files.pcap] }] : []),
    ...(tcpdump ? [{ id: 'tcpdump', tool: 'tcpdump -nn -r', input: 'pcap', argv: [tcpdump, '-nn', '-r', files.pcap] }] : []),
    ...(tshark ? [{ id: 'tshark', tool: 'tshark -q -z conv,tcp', input: 'pcap', argv: [tshark, '-r', files.pcap, '-q', '-z', 'conv,tcp'] }] : []),
  ];
  if (tcpdump && o.packets > TCPDUMP_RELATIVE_MAX && !o.only?.has('tcpdump')) {
    o.skip.add('tcpdump');
    note(`tcpdump -nn -r (relative sequence numbers) skipped above ${TCPDUMP_RELATIVE_MAX} packets: its per-conversation table makes it quadratic (NOTES.md: 479 s at 10 M); tcpdump -nn -S -r is the linear one`);
  }

  const results = [];
  for (const r of runs) {
    if (o.only && !o.only.has(r.id)) continue;
    if (o.skip.has(r.id)) continue;
    process.stderr.write(`bench: ${r.id}: ${r.argv.map((a) => relative(ROOT, a).startsWith('..') ? a : relative(ROOT, a) || a).join(' ')} ... `);
    // With --repeat, the run with the least wall time counts (the others only add noise).
    let m = null;
    for (let k = 0; k < o.repeat; k++) {
      const mk = await measure(r.argv, { timeoutS: o.timeout, gnuTime });
      if (m === null || (mk.code === 0 && mk.wall < m.wall)) m = mk;
      if (mk.code !== 0 || mk.timedOut) break;
    }
    const ok = m.code === 0 && !m.timedOut;
    process.stderr.write(ok ? `${m.wall.toFixed(2)} s, ${fmt(m.rssMB, 0)} MB\n` : `FAILED (${m.timedOut ? `timeout ${o.timeout} s` : `exit ${m.code}`}) ${m.stderrTail}\n`);
    results.push({ id: r.id, tool: r.tool, input: r.input, command: r.argv.join(' '), ok, wallS: m.wall, cpuS: m.cpuS, peakMB: m.rssMB, exitCode: m.code, timedOut: m.timedOut, error: ok ? undefined : m.stderrTail });
  }

  // --- the table
  const byId = Object.fromEntries(results.map((r) => [r.id, r]));
  const cRef = byId['c-tcptrace']?.ok ? byId['c-tcptrace'].wallS : null;
  const floorRef = byId.floor?.ok ? byId.floor.wallS : null;
  for (const r of results) {
    r.packetsPerS = r.ok ? o.packets / r.wallS : null;
    r.timeVsC = r.ok && cRef ? r.wallS / cRef : null;
    r.timeVsFloor = r.ok && floorRef ? r.wallS / floorRef : null;
  }
  const header = ['tool', 'input', 'wall s', 'cpu s', 'packets/s', 'peak MB', 'time/C', 'time/floor'];
  const rows = results.map((r) => [r.tool, r.input, r.ok ? fmt(r.wallS) : r.timedOut ? 'timeout' : `exit ${r.exitCode}`, fmt(r.cpuS), r.ok ? fmtRate(r.packetsPerS) : '-', fmt(r.peakMB, 0), fmt(r.timeVsC), fmt(r.timeVsFloor)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const out = [];
  const cores = cpus().length;
  out.push(`capture: ${o.packets.toLocaleString('en-US')} packets (seed ${o.seed}), ${meta ? `${meta.tcpConnectionsStarted.toLocaleString('en-US')} TCP connections, ~${meta.openTarget} open at once, ${fmt(meta.durationS, 0)} s of traffic, ` : ''}${Object.entries(sizes).map(([k, b]) => `${k} ${(b / 1e6).toFixed(0)} MB`).join(', ')}${generateS ? `; generated in ${generateS.toFixed(1)} s` : ''}`);
  const load = existsSync('/proc/loadavg') ? readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') : '?';
  out.push(`machine: ${cores} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load average at the end ${load}${o.repeat > 1 ? `; best of ${o.repeat} runs` : ''}`);
  out.push('');
  out.push(line(header));
  out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) out.push(line(row));
  out.push('');
  // The issue's targets (measured on 10 M packets there; shown for whatever size this is).
  // The speed targets are stated for one core: the --threads 1 row when there is one.
  const nd = byId['ndjson-pcap'];
  const one = byId['ndjson-pcap-1t']?.ok ? byId['ndjson-pcap-1t'] : nd;
  const oneName = one === nd ? `analyze ${mode}` : `analyze ${mode} --threads 1`;
  const targets = [];
  if (one?.ok && cRef) targets.push(`${oneName} >= 5x faster than C tcptrace: ${fmt(cRef / one.wallS)}x ${cRef / one.wallS >= 5 ? 'MET' : 'not met'}`);
  if (one?.ok && floorRef) targets.push(`${oneName} within 2x of the floor: ${fmt(one.wallS / floorRef)}x ${one.wallS / floorRef <= 2 ? 'MET' : 'not met'}`);
  if (one !== nd && one?.ok && nd?.ok) targets.push(`(with its default threads: ${fmt(cRef ? cRef / nd.wallS : null)}x C tcptrace's speed, ${fmt(floorRef ? nd.wallS / floorRef : null)}x the floor)`);
  const tx = byId['ndjson-text'];
  if (nd?.ok && tx?.ok) targets.push(`text path within 3x of the pcap path per packet: ${fmt(tx.wallS / nd.wallS)}x ${tx.wallS / nd.wallS <= 3 ? 'MET' : 'not met'}`);
  if (targets.length) {
    out.push('targets (issue 7, stated for 10 M packets):');
    for (const t of targets) out.push(`  ${t}`);
  }
  if (notes.length) {
    out.push('notes:');
    for (const n of notes) out.push(`  - ${n}`);
  }
  process.stdout.write(out.join('\n') + '\n');

  const resultFile = join(OUT, `results-${o.packets}.json`);
  writeFileSync(resultFile, JSON.stringify({
    date: new Date().toISOString(),
    packets: o.packets,
    seed: o.seed,
    capture: { files: Object.fromEntries(Object.keys(sizes).map((k) => [k, { name: relative(ROOT, files[k]), bytes: sizes[k] }])), meta, generateS },
    machine: { cpus: cores, model: cpus()[0]?.model ?? null, memGiB: totalmem() / 2 ** 30, node: process.version },
    versions: {
      tcptrace: version(node, [cli, '--version'], /\S+/),
      tcpdump: tcpdump ? version(tcpdump, ['--version'], /tcpdump version \S+/) : null,
      tshark: tshark ? version(tshark, ['--version'], /TShark \(Wireshark\) \S+/) : null,
      cTcptrace: ctcptrace ? version(ctcptrace, ['-v'], /version \d[\d.]*/) : null,
    },
    analyzerMode: mode,
    results,
    targets,
    notes,
  }, null, 2) + '\n');
  process.stderr.write(`bench: wrote ${relative(ROOT, resultFile)}\n`);

  if (!o.keep && generateS !== null) {
    for (const k of missing) rmSync(files[k], { force: true });
    process.stderr.write('bench: removed the generated capture (--keep keeps it for the next run)\n');
  }
}

main().catch((e) => die(e.stack ?? String(e)));
