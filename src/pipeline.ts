/**
 * The pipe, one way: bytes -> records (input) -> segments (decode) -> connections (flow table and
 * state machine) -> findings. Views take the finished report (or the streamed pieces) from here.
 */
import { Connection } from './connections/connection.js';
import { FlowTable } from './connections/flow-table.js';
import { Outcome, LINK_NAMES, decodePacket, isSupportedLinkType } from './decode/packet.js';
import { Segment, flagString, newSegment } from './decode/segment.js';
import { createTcpdumpTextDecoder } from './decode/tcpdump-text.js';
import type { LineDecoder } from './decode/text-decoder.js';
import { FileInfo, InputError, InputWarning, PacketRecord, RecordSink } from './input/record.js';
import { readCapture } from './input/source.js';
import { checkSegment } from './findings/anomalies.js';
import { FindingsContext, Summary, SummaryBuilder, connectionReport } from './findings/report.js';
import type { AnomalyKind, AnomalyReport, ConnectionReport } from './findings/types.js';
import { TOOL_NAME, TOOL_VERSION } from './version.js';

export const SCHEMA_VERSION = 1;

export interface AnalyzeOptions {
  /** TIME_WAIT length in seconds. */
  timeWaitS: number;
  /** Called for each input warning as it happens (the CLI prints them to stderr). */
  onWarning?: (w: InputWarning) => void;
}

export interface InputReport {
  files: { name: string; format: string; linkTypes: string[]; packets: number; truncated: boolean }[];
  format: string;
  linkTypes: string[];
  packets: number;
  tcpPackets: number;
  skipped: { nonIp: number; nonTcp: number; fragments: number; truncated: number; malformed: number; unsupportedLink: number };
  /** Absolute time of the first packet, ISO 8601 UTC with the input's precision; null without packets. */
  startTime: string | null;
  durationS: number;
  /** 6 (µs) or 9 (ns): how many decimals the input's times carry. */
  timePrecision: number;
  truncated: boolean;
  warnings: { file: string; offset?: number; line?: number; message: string }[];
}

export interface Report {
  schemaVersion: number;
  tool: { name: string; version: string };
  input: InputReport;
  options: { timeWaitS: number };
  summary: Summary;
  connections: ConnectionReport[];
  anomalies: AnomalyReport[];
  alerts: unknown[];
}

const SKIP_KEYS: Record<number, keyof InputReport['skipped']> = {
  [Outcome.NON_IP]: 'nonIp',
  [Outcome.NON_TCP]: 'nonTcp',
  [Outcome.FRAGMENT]: 'fragments',
  [Outcome.TRUNCATED]: 'truncated',
  [Outcome.MALFORMED]: 'malformed',
  [Outcome.UNSUPPORTED_LINK]: 'unsupportedLink',
};

/** Analyzes the captures in `files`, one after the other, as one capture. */
export async function analyzeCaptures(files: string[], opts: AnalyzeOptions): Promise<Report> {
  const run = new Run(files, opts);
  const infos: FileInfo[] = [];
  for (let i = 0; i < files.length; i++) {
    let info = await readCapture(files[i]!, i, run);
    info = run.endFile(info, i);
    if (info.packets > 0 && info.linkTypes.length > 0 && !info.linkTypes.some(isSupportedLinkType)) {
      throw new InputError(files[i]!, `link type ${info.linkTypes.join(', ')} is not supported (supported: ${supportedList()})`);
    }
    infos.push(info);
  }
  return run.finish(infos);
}

function supportedList(): string {
  return Object.entries(LINK_NAMES).map(([n, name]) => `${name} (${n})`).join(', ');
}

/** The state of one analysis; it is the record sink of the input stage. */
class Run implements RecordSink {
  private readonly seg: Segment = newSegment();
  private readonly table: FlowTable;
  private readonly finished: Connection[] = [];
  private readonly anomaliesByConn = new Map<number, AnomalyReport[]>();
  private readonly textDecoders = new Map<number, LineDecoder>();
  private readonly anomalies: AnomalyReport[] = [];
  private readonly summary = new SummaryBuilder();
  private readonly warnings: InputReport['warnings'] = [];
  private readonly skipped: InputReport['skipped'] = { nonIp: 0, nonTcp: 0, fragments: 0, truncated: 0, malformed: 0, unsupportedLink: 0 };
  private packets = 0;
  private tcpPackets = 0;
  private originSec = 0;
  private originNsec = 0;
  private haveOrigin = false;
  private endS = 0;
  private truncated = false;

  constructor(private readonly files: string[], private readonly opts: AnalyzeOptions) {
    this.table = new FlowTable((c) => this.finished.push(c));
  }

  record(rec: PacketRecord): void {
    this.packets++;
    const s = this.relativeTime(rec.tsSec, rec.tsNsec);
    const seg = this.seg;
    const outcome = decodePacket(rec, seg);
    if (outcome !== Outcome.TCP) {
      this.skipped[SKIP_KEYS[outcome]!]++;
      return;
    }
    seg.frame = rec.frame;
    seg.fileIndex = rec.fileIndex;
    seg.tsSec = rec.tsSec;
    seg.tsNsec = rec.tsNsec;
    seg.s = s;
    this.segment(seg);
  }

  line(text: string, lineNo: number, fileIndex: number): void {
    let decoder = this.textDecoders.get(fileIndex);
    if (!decoder) this.textDecoders.set(fileIndex, (decoder = createTcpdumpTextDecoder(this.files[fileIndex]!, fileIndex)));
    decoder.line(text, lineNo, this.seg, this.emitText);
  }

  /** A text segment is complete: time it like a record and track it. */
  private readonly emitText = (seg: Segment): void => {
    seg.s = this.relativeTime(seg.tsSec, seg.tsNsec);
    this.segment(seg);
  };

  /** One input file has been read: flush its text decoder and fold its counts in. */
  endFile(info: FileInfo, fileIndex: number): FileInfo {
    const decoder = this.textDecoders.get(fileIndex);
    if (!decoder) return info;
    decoder.end(this.seg, this.emitText);
    const st = decoder.stats();
    this.packets += st.packets;
    this.skipped.nonTcp += st.nonTcp;
    if (st.packets === 0) {
      throw new InputError(info.file, `not a capture: no tcpdump packet line among ${info.packets} lines of text`);
    }
    if (st.unrecognized > 0) {
      this.warning({ file: info.file, line: st.unrecognizedLines[0], message: `${st.unrecognized} lines are not tcpdump output (first at line ${st.unrecognizedLines[0]}); skipped`, truncated: false });
    }
    return { ...info, timeDigits: decoder.timeDigits, packets: st.packets };
  }

  warning(w: InputWarning): void {
    if (w.truncated) this.truncated = true;
    const { truncated: _t, ...rest } = w;
    this.warnings.push(rest);
    this.opts.onWarning?.(w);
  }

  /** Seconds since the first packet; keeps ns precision for captures shorter than ~100 days. */
  private relativeTime(sec: number, nsec: number): number {
    if (!this.haveOrigin) {
      this.haveOrigin = true;
      this.originSec = sec;
      this.originNsec = nsec;
    }
    const s = sec - this.originSec + (nsec - this.originNsec) / 1e9;
    if (s > this.endS) this.endS = s;
    return s;
  }

  private segment(seg: Segment): void {
    this.tcpPackets++;
    const { conn, fromClient } = this.table.track(seg);
    checkSegment(seg, (kind) => this.anomaly(kind, seg, conn, fromClient));
  }

  private anomaly(kind: AnomalyKind, seg: Segment, conn: Connection, fromClient: boolean): void {
    const a: AnomalyReport = {
      kind, flags: flagString(seg.flags), frame: seg.frame, s: seg.s, connection: conn.id,
      from: fromClient ? 'client' : 'server', src: `${seg.src}:${seg.srcPort}`, dst: `${seg.dst}:${seg.dstPort}`,
    };
    this.anomalies.push(a);
    this.summary.addAnomaly(a);
    let list = this.anomaliesByConn.get(conn.id);
    if (!list) this.anomaliesByConn.set(conn.id, (list = []));
    list.push(a);
  }

  finish(infos: FileInfo[]): Report {
    this.table.end();
    const ctx: FindingsContext = {
      captureEndS: this.endS,
      timeWaitS: this.opts.timeWaitS,
      fileName: (i) => this.files[i]!,
    };
    const connections = this.finished
      .sort((a, b) => a.id - b.id)
      .map((c) => connectionReport(c, this.anomaliesByConn.get(c.id) ?? [], ctx));
    for (const c of connections) this.summary.addConnection(c);
    const digits = Math.max(6, ...infos.map((i) => i.timeDigits));
    const linkTypes = [...new Set(infos.flatMap((i) => i.linkTypes))].map(linkName);
    return {
      schemaVersion: SCHEMA_VERSION,
      tool: { name: TOOL_NAME, version: TOOL_VERSION },
      input: {
        files: infos.map((i) => ({ name: i.file, format: i.format, linkTypes: i.linkTypes.map(linkName), packets: i.packets, truncated: i.truncated })),
        format: [...new Set(infos.map((i) => i.format))].join(','),
        linkTypes,
        packets: this.packets,
        tcpPackets: this.tcpPackets,
        skipped: this.skipped,
        startTime: this.haveOrigin ? isoTime(this.originSec, this.originNsec, digits) : null,
        durationS: this.endS,
        timePrecision: digits,
        truncated: this.truncated || infos.some((i) => i.truncated),
        warnings: this.warnings,
      },
      options: { timeWaitS: this.opts.timeWaitS },
      summary: this.summary.result(),
      connections,
      anomalies: this.anomalies,
      alerts: [],
    };
  }
}

function linkName(n: number): string {
  return LINK_NAMES[n] ?? `linktype-${n}`;
}

/** ISO 8601 UTC with `digits` decimals, exact (Date keeps only milliseconds). */
export function isoTime(sec: number, nsec: number, digits: number): string {
  const base = new Date(sec * 1000).toISOString().slice(0, 19);
  const frac = String(nsec).padStart(9, '0').slice(0, digits);
  return `${base}.${frac}Z`;
}
