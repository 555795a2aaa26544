/**
 * The command line. Exit codes (SPEC section 7): 0 success, 1 a --fail-on condition held,
 * 2 unusable input or usage, always as one line on stderr, never a stack trace.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { InputError, type InputWarning } from '../input/record.js';
import { SCHEMA_VERSION, analyzeCaptures, type Report } from '../pipeline.js';
import { JsonStreamWriter, reportJson } from '../views/json.js';
import { NdjsonWriter } from '../views/ndjson.js';
import { makeChalk } from '../views/style.js';
import { TableSelection, renderReport } from '../views/table.js';
import { LadderSegment, renderLadder } from '../views/ladder.js';
import { parseAt, renderStatesAt, statesAt } from '../views/states-at.js';
import { flagAnomaly } from '../findings/anomalies.js';
import { DEFAULT_THRESHOLDS } from '../findings/alerts.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { CONDITIONS, FailOn, parseFailOn } from './fail-on.js';
import { Progress } from './progress.js';
import { mismatches } from './check.js';
import { readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export const EXIT_OK = 0;
export const EXIT_FAIL_ON = 1;
export const EXIT_USAGE = 2;

class UsageError extends Error {}

function describeWarning(w: InputWarning): string {
  const where = w.offset !== undefined ? ` (at byte offset ${w.offset})` : w.line !== undefined ? ` (line ${w.line})` : '';
  return `${w.file}: ${w.message}${where}`;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of seconds >= 0');
  return n;
}

function failOnList(value: string): string[] {
  try {
    return parseFailOn(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

const LADDER_LIMIT = 20;

interface LadderFlags {
  conn?: number;
  client?: string;
  server?: string;
  full?: boolean;
  ascii?: boolean;
  timeWait: number;
  keepCopies?: boolean;
  color: boolean;
}

interface StatesFlags {
  at: string;
  timeWait: number;
  keepCopies?: boolean;
  json?: boolean;
  color: boolean;
}

function positiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} expects a connection id (1, 2, ...)`);
  return n;
}

/** Matches "ip:port", "[v6]:port" or "v6:port" against an endpoint. */
function sameEndpoint(a: { ip: string; port: number }, spec: string): boolean {
  const m = /^\[?(.+?)\]?:(\d+)$/.exec(spec.trim());
  return m !== null && m[1] === a.ip && Number(m[2]) === a.port;
}

function count(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} expects a whole number >= 1`);
  return n;
}

/** Input size from which analyze reads and tracks on a second thread by default. */
const TWO_THREADS_FROM_BYTES = 16 * 1024 * 1024;

/**
 * --threads: as given; by default two when the machine has two cores or more and the input files
 * (not stdin) add up to TWO_THREADS_FROM_BYTES. Starting a worker (it loads the modules again)
 * costs ~0.1-0.15 s (measured on a fixture), so small captures are quicker on one thread.
 */
function threadsFor(files: string[], flag: number | undefined): number {
  if (flag !== undefined) return flag;
  if (availableParallelism() < 2 || files.includes('-')) return 1;
  let bytes = 0;
  for (const f of files) {
    try {
      bytes += statSync(f).size;
    } catch {
      return 1; // the reader reports the file's problem
    }
  }
  return bytes >= TWO_THREADS_FROM_BYTES ? 2 : 1;
}

function threadCount(value: string): number {
  if (value !== '1' && value !== '2') throw new InvalidArgumentError('--threads expects 1 or 2');
  return Number(value);
}

interface AnalyzeFlags {
  threads?: number;
  all?: boolean;
  synFlood: number;
  synFloodWindow: number;
  portScan: number;
  linger: number;
  timeWaitPileup: number;
  json?: boolean;
  ndjson?: boolean;
  timeWait: number;
  failOn?: string[];
  color: boolean;
  strict?: boolean;
  verbose?: boolean;
  keepCopies?: boolean;
}

/** --keep-copies, shared by every command that analyzes. */
const keepCopiesOption = () => new Option('--keep-copies', 'track every copy of a packet captured at several places (tcpdump -i any across a bridge, several interfaces, merged files) or duplicated on its way (the same IPv4 identification) as a packet of its own, as tshark does; by default each is tracked once and the copies are counted in input.skipped.duplicates');

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('tcptrace')
    .description('TCP trace analyzer: replays a capture (pcap, pcapng, tcpdump text, gzip, stdin) through a TCP state tracker for every endpoint, and reports handshakes, closes, resets, TIME_WAIT and illegal flags.')
    .version(TOOL_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str) })
    .exitOverride();

  const conditionHelp = Object.entries(CONDITIONS).map(([n, c]) => `  ${n.padEnd(22)}${c.description}`).join('\n');
  program
    .command('analyze')
    .description('analyze one or more captures (pcap, pcapng, tcpdump text, gzip; "-" reads stdin) and report every TCP connection')
    .argument('<files...>', 'capture files; the format is sniffed from the content, never the name')
    .option('--json', 'print the report as one JSON document (see schema/report.schema.json)')
    .option('--ndjson', 'stream one JSON object per line: each connection when it finishes, anomalies as seen, the summary last (schema/ndjson-record.schema.json); memory stays flat, and a live "tcpdump -l | tcptrace analyze - --ndjson" reports as it goes')
    .addOption(new Option('--time-wait <seconds>', 'TIME_WAIT length used to decide expiry (Linux 60; RFC 793 2xMSL 240); a connection reset while open waits as long for late segments before it is reported').default(60).argParser(seconds))
    .option('--fail-on <conditions>', 'exit 1 when any of these comma-separated conditions holds (see below)', failOnList)
    .addOption(new Option('--syn-flood <count>', 'alert: half-open connections to one server endpoint within --syn-flood-window').default(DEFAULT_THRESHOLDS.synFlood).argParser((v) => count(v, '--syn-flood')))
    .addOption(new Option('--syn-flood-window <seconds>', 'the window of --syn-flood').default(DEFAULT_THRESHOLDS.synFloodWindowS).argParser(seconds))
    .addOption(new Option('--port-scan <ports>', 'alert: distinct ports of one target probed by one source').default(DEFAULT_THRESHOLDS.portScan).argParser((v) => count(v, '--port-scan')))
    .addOption(new Option('--linger <seconds>', 'alert: an endpoint in SYN_SENT, SYN_RECEIVED, FIN_WAIT_1/2, CLOSE_WAIT or LAST_ACK this long').default(DEFAULT_THRESHOLDS.lingerS).argParser(seconds))
    .addOption(new Option('--time-wait-pileup <count>', 'alert: endpoints of one host in TIME_WAIT at once').default(DEFAULT_THRESHOLDS.timeWaitPileup).argParser((v) => count(v, '--time-wait-pileup')))
    .option('--no-color', 'no colour even on a terminal (NO_COLOR is honoured too)')
    .option('--strict', 'treat a capture that is cut short or corrupt as unusable (exit 2)')
    .option('--verbose', 'print input warnings as they happen (all lines that are not tcpdump output, for text)')
    .option('--all', 'the table view lists every connection and anomaly (by default a large capture lists those worth a look)')
    .addOption(keepCopiesOption())
    .addOption(new Option('--threads <n>', 'threads: 1 runs everything on one; 2 reads and tracks on a second thread while the first builds the findings and writes the output, the same output either way (default: 2 on a machine with two cores or more for input files of 16 MB or more)').argParser(threadCount))
    .addHelpText('after', `
Conditions for --fail-on:
${conditionHelp}

Examples:
  $ tcptrace analyze capture.pcap
  $ tcptrace analyze capture.pcap --json | jq '.connections[] | {id, handshake: .handshake.kind, close: .close.kind}'
  $ tcptrace analyze fixture.pcap --fail-on anomalies,resets,incomplete-handshake,unclosed

Exit codes: 0 success; 1 a --fail-on condition held (one line per violation on stderr);
2 unusable input or usage (one line naming the file and offset).`)
    .action(async (files: string[], flags: AnalyzeFlags) => {
      if (flags.json && flags.ndjson) throw new UsageError('--json and --ndjson are two different outputs: choose one');
      // Respect the reader of stdout: when its pipe is full, stop reading input until it drains.
      let full = false;
      const write = (chunk: string | Uint8Array, done?: () => void) => {
        if (!process.stdout.write(chunk, done)) full = true;
      };
      const outputReady = () =>
        full ? new Promise<void>((resolve) => process.stdout.once('drain', () => { full = false; resolve(); })) : null;
      const ndjson = flags.ndjson ? new NdjsonWriter(write) : null;
      const json = flags.json ? new JsonStreamWriter(write, { schemaVersion: SCHEMA_VERSION, tool: { name: TOOL_NAME, version: TOOL_VERSION } }) : null;
      const table = !flags.json && !ndjson ? new TableSelection(!!flags.all) : null;
      const failOn = new FailOn(flags.failOn ?? []);
      const progress = new Progress(files);
      let report: Report;
      try {
        report = await analyzeCaptures(files, {
        timeWaitS: flags.timeWait,
        thresholds: {
          synFlood: flags.synFlood, synFloodWindowS: flags.synFloodWindow, portScan: flags.portScan,
          lingerS: flags.linger, timeWaitPileup: flags.timeWaitPileup,
        },
        // Every view takes the connections as they finish: nothing is kept for the end.
        keep: false,
        outputReady,
        verbose: !!flags.verbose,
        keepCopies: !!flags.keepCopies,
        threads: threadsFor(files, flags.threads),
        onConnection: (c) => {
          ndjson?.connection(c);
          json?.connection(c);
          table?.connection(c);
          failOn.connection(c);
        },
        onAnomaly: (a) => {
          ndjson?.anomaly(a);
          json?.anomaly(a);
          table?.anomaly(a);
          failOn.anomaly(a);
        },
        onProgress: (p) => progress.update(p),
        onWarning: (w) => {
          // --strict: a capture cut short is unusable; stop at once rather than report part of it.
          if (flags.strict && w.truncated) throw new UsageError(`${describeWarning(w)} (--strict)`);
          ndjson?.warning(w);
          // Machine outputs keep stdout clean, so their warnings go to stderr as they happen.
          if (flags.verbose || flags.json || flags.ndjson) {
            progress.clear();
            process.stderr.write(`tcptrace: warning: ${describeWarning(w)}\n`);
          }
        },
        });
      } finally {
        progress.clear();
      }
      if (ndjson) ndjson.summary(report);
      else if (json) json.finish(report);
      else process.stdout.write(renderReport(report, { chalk: makeChalk(flags.color), width: process.stdout.columns || 100 }, table!));
      const violations = failOn.finish(report);
      for (const v of violations) process.stderr.write(`tcptrace: fail-on ${v}\n`);
      if (violations.length > 0) process.exitCode = EXIT_FAIL_ON;
    });
  program
    .command('check')
    .description('check a capture against an expectation file: exit 1 with one line per fact that does not hold')
    .argument('<files...>', 'capture files (as for analyze)')
    .requiredOption('--expect <file>', 'a JSON file holding any part of the --json report (objects matched field by field, arrays item by item)')
    .addOption(new Option('--time-wait <seconds>', 'TIME_WAIT length (as for analyze)').default(60).argParser(seconds))
    .addOption(keepCopiesOption())
    .addHelpText('after', `
Example expectation (expect.json):
  { "summary": { "handshakes": { "complete": 1 }, "anomalies": 0 },
    "connections": [ { "close": { "kind": "four-way", "initiator": "client" },
                       "finalState": { "client": "TIME_WAIT" } } ] }

  $ tcptrace check capture.pcap --expect expect.json && echo ok`)
    .action(async (files: string[], flags: { expect: string; timeWait: number; keepCopies?: boolean }) => {
      let expected: unknown;
      try {
        expected = JSON.parse(readFileSync(flags.expect, 'utf8'));
      } catch (e) {
        throw new UsageError(`${flags.expect}: not a readable JSON expectation file (${(e as Error).message})`);
      }
      const report = await analyzeCaptures(files, { timeWaitS: flags.timeWait, keepCopies: !!flags.keepCopies });
      // Compare with the report as --json prints it (times rounded the same way).
      const violations = mismatches(expected, JSON.parse(reportJson(report)));
      for (const v of violations) process.stderr.write(`tcptrace: check ${v}\n`);
      if (violations.length > 0) process.exitCode = EXIT_FAIL_ON;
    });

  program
    .command('ladder')
    .description('draw a ladder diagram of each selected connection: both lifelines, every segment, each side\'s states')
    .argument('<files...>', 'capture files (as for analyze)')
    .option('--conn <id>', 'the connection with this id (as analyze numbers them)', (v) => positiveInt(v, '--conn'))
    .option('--client <ip:port>', 'connections whose client is this endpoint')
    .option('--server <ip:port>', 'connections whose server is this endpoint')
    .option('--full', 'show every segment (long runs of data segments are folded otherwise)')
    .option('--ascii', 'plain ASCII instead of Unicode box drawing')
    .addOption(new Option('--time-wait <seconds>', 'TIME_WAIT length (as for analyze)').default(60).argParser(seconds))
    .addOption(keepCopiesOption())
    .option('--no-color', 'no colour even on a terminal')
    .addHelpText('after', `
Examples:
  $ tcptrace ladder capture.pcap --conn 3
  $ tcptrace ladder capture.pcap --server 10.0.0.2:443 --ascii | less -R

Without a selection every connection is drawn (the first ${LADDER_LIMIT}; the rest are named on stderr).`)
    .action(async (files: string[], flags: LadderFlags) => {
      const wanted = (conn: { id: number; client: { ip: string; port: number }; server: { ip: string; port: number } }) =>
        (flags.conn === undefined || conn.id === flags.conn) &&
        (flags.client === undefined || sameEndpoint(conn.client, flags.client)) &&
        (flags.server === undefined || sameEndpoint(conn.server, flags.server));
      const segments = new Map<number, LadderSegment[]>();
      const report = await analyzeCaptures(files, {
        timeWaitS: flags.timeWait,
        keepCopies: !!flags.keepCopies,
        onSegment: (seg, conn, fromClient) => {
          if (!wanted(conn)) return;
          let list = segments.get(conn.id);
          if (!list) {
            if (segments.size >= LADDER_LIMIT && flags.conn === undefined) return;
            segments.set(conn.id, (list = []));
          }
          const kind = flagAnomaly(seg.flags);
          list.push({
            frame: seg.frame, s: seg.s, fromClient, flags: seg.flags, seq: seg.seq, ack: seg.ack, len: seg.payloadLen,
            retransmit: conn.lastWasRetransmit, anomalies: [...(kind ? [kind] : []), ...(seg.reservedBits ? ['reserved-bits'] : [])],
            ipFragments: seg.ipFragments,
          });
        },
      });
      const selected = report.connections.filter(wanted);
      if (selected.length === 0) throw new UsageError(`no connection matches the selection (the capture has ${report.connections.length}; see tcptrace analyze)`);
      const chalk = makeChalk(flags.color);
      const drawn = selected.filter((c) => segments.has(c.id));
      const opts = { chalk, unicode: !flags.ascii, width: process.stdout.columns || 100, full: !!flags.full, digits: report.input.timePrecision };
      process.stdout.write(drawn.map((c) => renderLadder(c, segments.get(c.id)!, opts)).join('\n\n') + '\n');
      if (drawn.length < selected.length) {
        process.stderr.write(`tcptrace: drew the first ${drawn.length} of ${selected.length} connections; choose with --conn, --client or --server\n`);
      }
    });

  program
    .command('states')
    .description('every endpoint\'s state at one moment, laid out like ss -tan, with counts per state')
    .argument('<files...>', 'capture files (as for analyze)')
    .requiredOption('--at <time>', 'seconds since the first packet (1.5), a clock time as tcpdump prints it (09:15:16.08, local time), or an ISO time')
    .addOption(new Option('--time-wait <seconds>', 'TIME_WAIT length (as for analyze)').default(60).argParser(seconds))
    .addOption(keepCopiesOption())
    .option('--json', 'print the endpoints as JSON')
    .option('--no-color', 'no colour even on a terminal')
    .addHelpText('after', `
Examples:
  $ tcptrace states capture.pcap --at 12.5
  $ tcptrace states capture.pcap --at 09:15:16 | grep SYN-RECV | wc -l`)
    .action(async (files: string[], flags: StatesFlags) => {
      const report = await analyzeCaptures(files, { timeWaitS: flags.timeWait, keepCopies: !!flags.keepCopies });
      const at = parseAt(flags.at, report.input.startTime);
      if (at === null) throw new UsageError(`--at ${flags.at}: expected seconds, a clock time (HH:MM:SS[.frac]) or an ISO time`);
      const rows = statesAt(report, at);
      if (flags.json) process.stdout.write(JSON.stringify({ atS: at, captureEndS: report.input.durationS, endpoints: rows }, null, 2) + '\n');
      else process.stdout.write(renderStatesAt(report, at, rows, makeChalk(flags.color)));
    });
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT_OK;
      return EXIT_USAGE; // commander already printed its one-line message
    }
    if (e instanceof InputError || e instanceof UsageError) {
      process.stderr.write(`tcptrace: ${e.message}\n`);
      return EXIT_USAGE;
    }
    // A bug, not bad input: still one line for the user, the stack only on request.
    process.stderr.write(`tcptrace: internal error: ${(e as Error).message ?? e} (set TCPTRACE_DEBUG=1 for details)\n`);
    if (process.env.TCPTRACE_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return EXIT_USAGE;
  }
}
