/**
 * The pipe, one way: bytes -> records (input) -> segments (decode) -> connections (flow table and
 * state machine) -> findings. Views take the finished report (or the streamed pieces) from here.
 */
import type { Connection } from './connections/connection.js';
import type { ConnectionStore } from './connections/store.js';
import { DEFAULT_CLOSED_GRACE_S, FlowTable, type ParkingPolicy } from './connections/flow-table.js';
import { Outcome, LINK_NAMES, decodePacket, isSupportedLinkType } from './decode/packet.js';
import { Defragmenter, type HeldRecordSink } from './decode/defrag.js';
import { Segment, flagString, newSegment } from './decode/segment.js';
import { CopyFilter } from './decode/copies.js';
import { formatEndpoint } from './decode/addr.js';
import { TSHARK_TEXT, createTcpdumpTextDecoder } from './decode/tcpdump-text.js';
import type { LineDecoder } from './decode/text-decoder.js';
import { FileInfo, InputError, InputWarning, PacketRecord, RecordSink } from './input/record.js';
import { CaptureReader, type ReadPosition } from './input/source.js';
import { segmentAnomalies } from './findings/anomalies.js';
import { ConnectionFindings, type FindingsContext, Summary, SummaryBuilder } from './findings/report.js';
import { Alert, AlertBuilder, AlertThresholds, DEFAULT_THRESHOLDS } from './findings/alerts.js';
import type { AnomalyKind, AnomalyReport, ConnectionReport } from './findings/types.js';
import { TOOL_NAME, TOOL_VERSION } from './version.js';
import { trackInWorker } from './threads.js';
import { nsToS } from './time.js';

export const SCHEMA_VERSION = 1;

/** How often a live input's silence is looked at. */
const LIVE_TICK_MS = 250;
/**
 * Wall-clock silence that counts as capture time passing. Shorter gaps are reading, not silence:
 * a file piped into stdin must give the same report as the file.
 */
const LIVE_SILENCE_MS = 1000;

export interface AnalyzeOptions {
  /** TIME_WAIT length in seconds. */
  timeWaitS: number;
  /** Alert thresholds (defaults: DEFAULT_THRESHOLDS). */
  thresholds?: Partial<AlertThresholds>;
  /**
   * Streaming: each connection as soon as it is finished (its findings, valid during the call:
   * `report()` makes the object to keep), each anomaly as it is seen.
   */
  onConnection?: (f: ConnectionFindings) => void;
  onAnomaly?: (a: AnomalyReport) => void;
  /** False for streaming views: the report then holds no connections or anomalies (flat memory). */
  keep?: boolean;
  /**
   * Backpressure from the output: called between input chunks; a promise returned there is awaited
   * before more input is read (a slow reader of a pipe must not make the output pile up in memory).
   */
  outputReady?: () => Promise<void> | null;
  /** Called every few thousand packets, for a progress line. */
  onProgress?: (p: ProgressInfo) => void;
  /** List every line that is not tcpdump output in the warning (not just the first 20). */
  verbose?: boolean;
  /** Every TCP segment with its connection, after the tracker has seen it (the ladder collects them). */
  onSegment?: (seg: Readonly<Segment>, conn: Connection, fromClient: boolean) => void;
  /** Called for each input warning as it happens (the CLI prints them to stderr). */
  onWarning?: (w: InputWarning) => void;
  /**
   * 2: read and track on a worker thread while this thread builds the findings (threads.ts);
   * 1 (the default): all on this thread. Reading stdin or calling onSegment stays on one thread.
   */
  threads?: number;
  /** When connections waiting out TIME_WAIT are packed meanwhile (FlowTableOptions.parking; for tests). */
  parking?: ParkingPolicy;
  /**
   * Track every copy of a packet captured at several places as a packet of its own (as tshark
   * does) instead of once (decode/copies.ts).
   */
  keepCopies?: boolean;
}

export interface ProgressInfo {
  packets: number;
  /** Connections seen so far, and open now. */
  connections: number;
  open: number;
  /** Bytes of the input files read so far (as stored: compressed ones count compressed bytes), and their size (0: unknown, e.g. stdin). */
  bytesRead: number;
  bytesTotal: number;
}

/** Packets between two progress calls. */
const PROGRESS_EVERY = 1 << 16;
/** Connections finished at the capture's end per part (a couple of MB of NDJSON), between turns of the event loop. */
const END_PART = 1024;

export interface InputReport {
  files: { name: string; format: string; linkTypes: string[]; packets: number; truncated: boolean }[];
  format: string;
  linkTypes: string[];
  packets: number;
  tcpPackets: number;
  /** Packets not tracked, by reason; `duplicates`: second copies of a packet (decode/copies.ts). */
  skipped: { nonIp: number; nonTcp: number; fragments: number; truncated: number; malformed: number; unsupportedLink: number; duplicates: number };
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
  options: { timeWaitS: number; thresholds: AlertThresholds; keepCopies: boolean };
  summary: Summary;
  connections: ConnectionReport[];
  anomalies: AnomalyReport[];
  alerts: Alert[];
}

const NO_ANOMALIES: readonly AnomalyReport[] = Object.freeze([]);

const SKIP_KEYS: Record<number, keyof InputReport['skipped']> = {
  [Outcome.NON_IP]: 'nonIp',
  [Outcome.NON_TCP]: 'nonTcp',
  [Outcome.FRAGMENT]: 'fragments',
  [Outcome.TRUNCATED]: 'truncated',
  [Outcome.MALFORMED]: 'malformed',
  [Outcome.UNSUPPORTED_LINK]: 'unsupportedLink',
};

/**
 * Analyzes the captures in `files` as one capture. One file streams straight through; several
 * are merged in timestamp order, as mergecap does (frames then number the merged capture).
 *
 * With `threads: 2` the reading and tracking run on a worker thread while this one builds the
 * findings and feeds the views (threads.ts); the report is the same either way.
 */
export async function analyzeCaptures(files: string[], opts: AnalyzeOptions): Promise<Report> {
  const findings = new FindingsRun(files, opts);
  const track: TrackOptions = { timeWaitS: opts.timeWaitS, verbose: opts.verbose === true, progress: opts.onProgress !== undefined, onSegment: opts.onSegment, parking: opts.parking, keepCopies: opts.keepCopies === true };
  const result = (opts.threads ?? 1) > 1 && canTrackInWorker(files, opts)
    ? await trackInWorker(files, track, findings, opts.outputReady)
    : await trackCaptures(files, track, findings, opts.outputReady);
  return findings.finish(result);
}

/** A worker reads files by name; a live pipe (stdin) and per-segment callbacks stay on this thread. */
function canTrackInWorker(files: string[], opts: AnalyzeOptions): boolean {
  return !files.includes('-') && opts.onSegment === undefined;
}

/** What the tracking half of an analysis needs (it crosses to a worker thread, so plain data but onSegment). */
export interface TrackOptions {
  timeWaitS: number;
  verbose: boolean;
  /** Whether to call sink.progress. */
  progress: boolean;
  /** Finished connections are read where they are by another thread (FlowTableOptions.shared). */
  shared?: boolean;
  /** AnalyzeOptions.keepCopies. */
  keepCopies?: boolean;
  onSegment?: AnalyzeOptions['onSegment'];
  parking?: ParkingPolicy;
}

/** Where the tracking half's results go, in the order they happen. */
export interface TrackSink {
  /** A finished connection: a view of its slot, valid during the call only. */
  finished(conn: Connection, endS: number): void;
  /**
   * With `shared` tracking, a finished connection that is parked (store.ts), by its slot: it is
   * read on another thread from the parking record (store.parkedRecord). Without this method
   * such a connection comes to `finished` like any other.
   */
  finishedParked?(store: ConnectionStore, slot: number, endS: number): void;
  anomaly(a: AnomalyReport): void;
  warning(w: InputWarning): void;
  progress(p: ProgressInfo): void;
}

/** What the tracking half knows at the end, for the report's input section. */
export interface TrackResult {
  infos: FileInfo[];
  packets: number;
  tcpPackets: number;
  skipped: InputReport['skipped'];
  /** Absolute time of the first packet, when there was one and the input dates its packets. */
  origin: { sec: number; nsec: number } | null;
  endS: number;
}

/**
 * The tracking half: reads the files, decodes, tracks, and hands connections (when finished),
 * anomalies, warnings and progress to `sink`. `outputReady` is awaited between input chunks.
 */
export async function trackCaptures(files: string[], opts: TrackOptions, sink: TrackSink, outputReady?: () => Promise<void> | null): Promise<TrackResult> {
  const run = new TrackRun(files, opts, sink);
  const decoders = files.map((f, i) => new FileDecoder(f, i, run));
  const readers: CaptureReader[] = [];
  try {
    for (let i = 0; i < files.length; i++) readers.push(await CaptureReader.open(files[i]!, i, decoders[i]!));
    run.positions = readers.map((r) => r.position);
    return await trackReaders(files, readers, decoders, run, outputReady);
  } finally {
    for (const r of readers) await r.close();
  }
}

async function trackReaders(files: string[], readers: CaptureReader[], decoders: FileDecoder[], run: TrackRun, outputReady?: () => Promise<void> | null): Promise<TrackResult> {
  if (files.length === 1) {
    // A live pipe (stdin) may fall silent: capture time then moves on with the wall clock, so a
    // finished connection is reported without waiting for the next packet.
    const live = files[0] === '-' ? setInterval(() => run.idle(), LIVE_TICK_MS) : null;
    run.live = live !== null;
    try {
      while (await readers[0]!.pump()) await between(outputReady);
    } finally {
      if (live) clearInterval(live);
    }
    decoders[0]!.finishInput();
  } else {
    await mergeByTime(readers, decoders, run, outputReady);
  }
  const infos = readers.map((r, i) => {
    const info = decoders[i]!.end(r.info());
    if (info.packets > 0 && info.linkTypes.length > 0 && !info.linkTypes.some(isSupportedLinkType)) {
      throw new InputError(files[i]!, `link type ${info.linkTypes.join(', ')} is not supported (supported: ${supportedList()})`);
    }
    return info;
  });
  return await run.end(infos, outputReady);
}

/**
 * Between two chunks of work (an input chunk, a part of the connections finished at the end):
 * waits while the output is behind, and otherwise still gives the event loop one turn
 * (setImmediate, which waits for nothing). Files are read synchronously, so without that turn
 * nothing else ran until the end: the completions of the output's writes (whose buffers were
 * then all held: 2.2 GB at 10 M packets on one thread), or, on the tracking thread, the other
 * thread's acknowledgments.
 */
function between(outputReady?: () => Promise<void> | null): Promise<void> {
  return outputReady?.() ?? new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * The k-way merge: each file's decoder queues its packets; the earliest head goes on (ties to the
 * file named first). A file is read a chunk at a time, only when its queue is empty.
 */
async function mergeByTime(readers: CaptureReader[], decoders: FileDecoder[], run: TrackRun, outputReady?: () => Promise<void> | null): Promise<void> {
  const queues = decoders.map((d) => d.startQueueing());
  const live = readers.map(() => true);
  const fill = async (i: number) => {
    while (live[i] && queues[i]!.length === 0) {
      await between(outputReady);
      live[i] = await readers[i]!.pump();
      if (!live[i]) decoders[i]!.finishInput();
    }
  };
  for (let i = 0; i < readers.length; i++) await fill(i);
  const heads = queues.map(() => 0);
  for (;;) {
    let best = -1;
    for (let i = 0; i < queues.length; i++) {
      const q = queues[i]!;
      if (heads[i]! >= q.length) continue;
      if (best < 0 || earlier(q[heads[i]!]!, queues[best]![heads[best]!]!)) best = i;
    }
    if (best < 0) return;
    const q = queues[best]!;
    run.packet(q[heads[best]!]!);
    heads[best]!++;
    if (heads[best]! >= q.length) {
      q.length = 0;
      heads[best] = 0;
      await fill(best);
    }
  }
}

function earlier(a: Packet, b: Packet): boolean {
  return a.tsSec < b.tsSec || (a.tsSec === b.tsSec && a.tsNsec < b.tsNsec);
}

function supportedList(): string {
  return Object.entries(LINK_NAMES).map(([n, name]) => `${name} (${n})`).join(', ');
}

/** The tracking half of one analysis: packets in (from the files' decoders), connections and anomalies out. */
class TrackRun {
  private readonly table: FlowTable;
  private readonly skipped: InputReport['skipped'] = { nonIp: 0, nonTcp: 0, fragments: 0, truncated: 0, malformed: 0, unsupportedLink: 0, duplicates: 0 };
  private readonly copies = new CopyFilter();
  private packets = 0;
  /** Several files: frames number the merged capture. */
  readonly merging: boolean;
  private tcpPackets = 0;
  private originSec = 0;
  private originNsec = 0;
  private haveOrigin = false;
  private absoluteStart = true;
  private lastPacketWallMs = 0;
  /** Reading a live pipe: its silences move capture time on (see idle()). */
  live = false;
  private endS = 0;

  constructor(private readonly files: string[], private readonly opts: TrackOptions, private readonly sink: TrackSink) {
    const parked = opts.shared === true && sink.finishedParked !== undefined
      ? (slot: number, endS: number) => sink.finishedParked!(this.table.store, slot, endS)
      : undefined;
    this.table = new FlowTable((c, endS) => sink.finished(c, endS), {
      timeWaitS: opts.timeWaitS, closedGraceS: DEFAULT_CLOSED_GRACE_S, shared: opts.shared === true, parking: opts.parking,
      onFinishedParked: parked,
    });
    this.merging = files.length > 1;
  }

  /** One packet of the input, in input order: counted, timed, and tracked when it is TCP. */
  packet(p: Packet): void {
    if ((++this.packets & (PROGRESS_EVERY - 1)) === 0 && this.opts.progress) this.progress();
    if (this.live) this.lastPacketWallMs = Date.now();
    const s = this.relativeTime(p.tsSec, p.tsNsec);
    if (p.skip !== null) {
      this.skipped[p.skip]++;
      return;
    }
    const seg = p.seg!;
    seg.frame = this.merging ? this.packets : seg.fileFrame;
    seg.s = s;
    if (seg.icmp >= 0) {
      // An ICMP error is not a TCP packet (counted so), but it may close the endpoint whose
      // segment it quotes: the flow table hands it to that connection, if it has one.
      this.skipped.nonTcp++;
      this.table.icmpError(seg);
      return;
    }
    this.segment(seg);
  }

  /** Where each input file's reading is (for progress). */
  positions: readonly ReadPosition[] = [];

  private progress(): void {
    let bytesRead = 0;
    let bytesTotal = 0;
    for (const p of this.positions) {
      bytesRead += p.read;
      bytesTotal = p.size === 0 || bytesTotal < 0 ? -1 : bytesTotal + p.size; // one unknown size: no total
    }
    this.sink.progress({
      packets: this.packets, connections: this.table.openedCount, open: this.table.openCount,
      bytesRead, bytesTotal: Math.max(bytesTotal, 0),
    });
  }

  get verbose(): boolean {
    return this.opts.verbose;
  }

  /** The TIME_WAIT length connections are tracked with (the text decoder keeps numbering that long). */
  get timeWaitS(): number {
    return this.opts.timeWaitS;
  }

  /** Live input fell silent: capture time is the last packet's plus the wall time since. */
  idle(): void {
    const silence = Date.now() - this.lastPacketWallMs;
    if (this.lastPacketWallMs === 0 || silence < LIVE_SILENCE_MS) return;
    this.table.expire(this.endS + silence / 1000);
  }

  /** The input's times carry no date (tcpdump text without one): there is no absolute start. */
  noAbsoluteTime(): void {
    this.absoluteStart = false;
  }

  warning(w: InputWarning): void {
    this.sink.warning(w);
  }

  /** Seconds since the first packet; keeps ns precision for captures shorter than ~100 days. */
  private relativeTime(sec: number, nsec: number): number {
    if (!this.haveOrigin) {
      this.haveOrigin = true;
      this.originSec = sec;
      this.originNsec = nsec;
    }
    const s = nsToS((sec - this.originSec) * 1e9 + (nsec - this.originNsec));
    if (s > this.endS) this.endS = s;
    return s;
  }

  private segment(seg: Segment): void {
    if (!this.opts.keepCopies && this.copies.isCopy(seg)) {
      // Counted by the filter (skipped.duplicates at the end). A copy the network made reached
      // the receiver too: its connection hears of it.
      if (this.copies.samePlace) this.table.duplicated(seg);
      return;
    }
    this.tcpPackets++;
    const { conn, fromClient } = this.table.track(seg);
    const anomalies = segmentAnomalies(seg);
    for (let i = 0; i < anomalies.length; i++) this.anomaly(anomalies[i]!, seg, conn, fromClient);
    this.opts.onSegment?.(seg, conn, fromClient);
  }

  private anomaly(kind: AnomalyKind, seg: Segment, conn: Connection, fromClient: boolean): void {
    this.sink.anomaly({
      kind, flags: flagString(seg.flags), frame: seg.frame, s: seg.s, connection: conn.id,
      file: this.files[seg.fileIndex]!, fileFrame: seg.fileFrame,
      from: fromClient ? 'client' : 'server', src: formatEndpoint(seg.src, seg.srcPort), dst: formatEndpoint(seg.dst, seg.dstPort),
    });
  }

  /** The input is read: every connection still open is finished at the capture's end, a part at a time. */
  async end(infos: FileInfo[], outputReady?: () => Promise<void> | null): Promise<TrackResult> {
    while (this.table.endSome(this.endS, END_PART)) await between(outputReady);
    this.skipped.duplicates = this.copies.copies;
    if (this.skipped.duplicates > 0) {
      this.sink.warning({
        file: this.files.join(', '), truncated: false,
        message: `${this.skipped.duplicates} TCP packets were another copy of a packet just captured: at another place (another interface, the other direction, another file: tcpdump -i any across a bridge or router, several interfaces in one pcapng, merged captures), or duplicated on its way (the same IPv4 identification and checksum): each packet was tracked once, the copies are counted as skipped (duplicates)`,
      });
    }
    return {
      infos, packets: this.packets, tcpPackets: this.tcpPackets, skipped: this.skipped,
      origin: this.haveOrigin && this.absoluteStart ? { sec: this.originSec, nsec: this.originNsec } : null,
      endS: this.endS,
    };
  }
}

/** The findings half of one analysis: finished connections and anomalies in, the report out. */
class FindingsRun implements TrackSink {
  private readonly reports: ConnectionReport[] = [];
  private readonly anomaliesByConn = new Map<number, AnomalyReport[]>();
  private readonly anomalies: AnomalyReport[] = [];
  private readonly summary = new SummaryBuilder();
  private readonly warnings: InputReport['warnings'] = [];
  private readonly keep: boolean;
  private readonly thresholds: AlertThresholds;
  private readonly alerts: AlertBuilder;
  private truncated = false;
  /** The findings of each connection in turn, and what they are worked out with. */
  private readonly findings = new ConnectionFindings();
  private readonly context: FindingsContext;

  constructor(private readonly files: string[], private readonly opts: AnalyzeOptions) {
    this.keep = opts.keep ?? true;
    this.thresholds = { ...DEFAULT_THRESHOLDS, ...opts.thresholds };
    this.alerts = new AlertBuilder(this.thresholds, opts.timeWaitS);
    this.context = { captureEndS: 0, timeWaitS: opts.timeWaitS, fileName: (i) => this.files[i]! };
  }

  progress(p: ProgressInfo): void {
    this.opts.onProgress?.(p);
  }

  warning(w: InputWarning): void {
    if (w.truncated) this.truncated = true;
    const { truncated: _t, ...rest } = w;
    this.warnings.push(rest);
    this.opts.onWarning?.(w);
  }

  anomaly(a: AnomalyReport): void {
    if (this.keep) this.anomalies.push(a);
    this.summary.addAnomaly(a);
    this.opts.onAnomaly?.(a);
    if (a.connection === null) return;
    let list = this.anomaliesByConn.get(a.connection);
    if (!list) this.anomaliesByConn.set(a.connection, (list = []));
    list.push(a);
  }

  /** A connection is done (by capture time `endS`): its findings are final. */
  finished(conn: Connection, endS: number): void {
    const ctx = this.context;
    ctx.captureEndS = endS;
    const f = this.findings.analyze(conn, this.anomaliesByConn.get(conn.id) ?? NO_ANOMALIES, ctx);
    this.anomaliesByConn.delete(conn.id);
    this.summary.addConnection(f);
    this.alerts.add(f, endS);
    if (this.keep) this.reports.push(f.report());
    this.opts.onConnection?.(f);
  }

  finish(track: TrackResult): Report {
    const { infos } = track;
    const connections = this.reports.sort((a, b) => a.id - b.id);
    const alerts = this.alerts.result(track.endS);
    for (const a of alerts) this.summary.addAlert(a);
    const digits = Math.max(6, ...infos.map((i) => i.timeDigits));
    const linkTypes = [...new Set(infos.flatMap((i) => i.linkTypes))].map(linkName);
    return {
      schemaVersion: SCHEMA_VERSION,
      tool: { name: TOOL_NAME, version: TOOL_VERSION },
      input: {
        files: infos.map((i) => ({ name: i.file, format: i.format, linkTypes: i.linkTypes.map(linkName), packets: i.packets, truncated: i.truncated })),
        format: [...new Set(infos.map((i) => i.format))].join(','),
        linkTypes,
        packets: track.packets,
        tcpPackets: track.tcpPackets,
        skipped: track.skipped,
        startTime: track.origin ? isoTime(track.origin.sec, track.origin.nsec, digits) : null,
        durationS: track.endS,
        timePrecision: digits,
        truncated: this.truncated || infos.some((i) => i.truncated),
        warnings: this.warnings,
      },
      options: { timeWaitS: this.opts.timeWaitS, thresholds: this.thresholds, keepCopies: this.opts.keepCopies === true },
      summary: this.summary.result(),
      connections,
      anomalies: this.anomalies,
      alerts,
    };
  }
}

type SkipKey = keyof InputReport['skipped'];

/** A packet on its way from a file's decoder to the tracker. */
interface Packet {
  fileIndex: number;
  fileFrame: number;
  tsSec: number;
  tsNsec: number;
  /** The decoded segment (TCP), or null with `skip` saying why not. */
  seg: Segment | null;
  skip: SkipKey | null;
}

/**
 * One number for where a packet was captured (Segment.iface), from what the input tells: its file
 * (when several are merged), the file's interface (a pcapng with several; -1: one) and the
 * interface the link header names (SLL2's index, the name in tcpdump -i any text; -1: none).
 * Exact below 512 files and 4095 interfaces a file; beyond, two places may share a number, which
 * only lets a copy through as a retransmission.
 */
function placeOf(fileIndex: number, fileIface: number, linkIface: number): number {
  const source = (fileIndex % 512) * 4096 + ((fileIface + 1) % 4096);
  return source * 4294967296 + ((linkIface + 1) % 4294967296);
}

/**
 * Stage 2 for one file: its records (or text lines) become packets. With one file they go
 * straight on in a reused object; when merging they are copied into the file's queue.
 */
class FileDecoder implements RecordSink {
  private readonly seg: Segment = newSegment();
  private readonly out: Packet = { fileIndex: 0, fileFrame: 0, tsSec: 0, tsNsec: 0, seg: null, skip: null };
  private text: LineDecoder | null = null;
  private queue: Packet[] | null = null;
  private finished = false;
  private prevSec = -Infinity;
  private prevNsec = 0;
  private backwards = 0;
  private firstBackwards = 0;

  constructor(private readonly file: string, private readonly fileIndex: number, private readonly run: TrackRun) {
    this.out.fileIndex = fileIndex;
  }

  /**
   * From now on packets are queued (copied) for the merge instead of handed on. Merged files are
   * captures made at several places (mergecap's use): a packet's place includes its file.
   */
  startQueueing(): Packet[] {
    this.placeByFile = true;
    return (this.queue = []);
  }

  /** Whether packets of this file are told from other files' by where they were captured (copies.ts). */
  private placeByFile = false;

  record(rec: PacketRecord): void {
    const seg = this.seg;
    const outcome = decodePacket(rec, seg);
    if (rec.iface >= 0 || this.placeByFile) seg.iface = placeOf(this.placeByFile ? this.fileIndex : 0, rec.iface, seg.iface);
    if (seg.direction < 0) seg.direction = rec.direction;
    seg.fileIndex = this.fileIndex;
    seg.fileFrame = rec.frame;
    seg.tsSec = rec.tsSec;
    seg.tsNsec = rec.tsNsec;
    if (seg.fragOffset >= 0 || this.defrag.pending) {
      // A fragment of a TCP datagram, or a record after one: held until the datagram is whole (defrag.ts).
      this.defrag.take(rec.data, rec.frame, rec.tsSec, rec.tsNsec, seg, outcome, this.emitHeld);
      return;
    }
    this.emitDecoded(rec.frame, rec.tsSec, rec.tsNsec, seg, outcome);
  }

  /** IP fragments of TCP datagrams, put together. */
  private readonly defrag = new Defragmenter();
  /** What a text line that is not TCP hands the defragmenter: no fragment. */
  private readonly noSegment: Segment = newSegment();

  private emitDecoded(frame: number, tsSec: number, tsNsec: number, seg: Segment | null, outcome: Outcome): void {
    const tracked = outcome === Outcome.TCP || outcome === Outcome.ICMP_ERROR;
    this.emit(frame, tsSec, tsNsec, tracked ? seg : null, tracked ? null : SKIP_KEYS[outcome]!);
  }

  private readonly emitHeld: HeldRecordSink = (frame, tsSec, tsNsec, seg, outcome) => this.emitDecoded(frame, tsSec, tsNsec, seg, outcome);

  line(text: string, lineNo: number): void {
    this.text ??= createTcpdumpTextDecoder(this.file, this.fileIndex, this.run.timeWaitS);
    this.text.line(text, lineNo, this.seg, this.emitText, this.tickText);
  }

  /** A packet line that is not TCP: counted and timed like a skipped binary record. */
  private readonly tickText = (frame: number, tsSec: number, tsNsec: number): void => {
    if (this.defrag.pending) this.defrag.take(null, frame, tsSec, tsNsec, this.noSegment, Outcome.NON_TCP, this.emitHeld);
    else this.emit(frame, tsSec, tsNsec, null, 'nonTcp');
  };

  private readonly emitText = (seg: Segment): void => {
    if (this.placeByFile) seg.iface = placeOf(this.fileIndex, -1, seg.iface);
    seg.fileIndex = this.fileIndex;
    seg.fileFrame = seg.frame;
    if (seg.fragOffset >= 0 || this.defrag.pending) {
      // A fragment's line (tcpdump -v IPv4, or IPv6's fragment header: lengths, no bytes), or a line after one.
      this.defrag.take(null, seg.frame, seg.tsSec, seg.tsNsec, seg, seg.fragOffset > 0 ? Outcome.FRAGMENT : Outcome.TCP, this.emitHeld);
      return;
    }
    this.emit(seg.frame, seg.tsSec, seg.tsNsec, seg, null);
  };

  warning(w: InputWarning): void {
    this.run.warning(w);
  }

  private emit(fileFrame: number, tsSec: number, tsNsec: number, seg: Segment | null, skip: SkipKey | null): void {
    // Time going backwards within a file (loopback captures do it by tens of µs): file order is
    // kept, and the file's info notes it.
    if (tsSec < this.prevSec || (tsSec === this.prevSec && tsNsec < this.prevNsec)) {
      if (this.backwards++ === 0) this.firstBackwards = fileFrame;
    }
    this.prevSec = tsSec;
    this.prevNsec = tsNsec;
    if (this.queue) {
      this.queue.push({ fileIndex: this.fileIndex, fileFrame, tsSec, tsNsec, seg: seg ? seg.clone() : null, skip });
      return;
    }
    const p = this.out;
    p.fileFrame = fileFrame;
    p.tsSec = tsSec;
    p.tsNsec = tsNsec;
    p.seg = seg;
    p.skip = skip;
    this.run.packet(p);
  }

  /** The input is exhausted: a text decoder may still hold its last packet (a -v first line). */
  finishInput(): void {
    if (this.text && !this.finished) this.text.end(this.seg, this.emitText, this.tickText);
    this.defrag.finish(this.emitHeld);
    this.finished = true;
  }

  /** The file has been read and merged: note time going backwards, fold the text decoder's counts in. */
  end(info: FileInfo): FileInfo {
    // (`info.file` is this file's name as given, `this.file`.)
    const warn = (message: string, line?: number) =>
      this.run.warning(line === undefined ? { file: this.file, truncated: false, message } : { file: this.file, line, truncated: false, message });
    if (this.backwards > 0) {
      warn(`${this.backwards} packets have a timestamp earlier than the packet before them (first at frame ${this.firstBackwards}); file order is kept`);
    }
    const defrag = this.defrag;
    if (defrag.reassembled > 0) {
      warn(`${defrag.reassembled} TCP segments came as IP fragments (${defrag.reassembledFragments} in all) and were put back together: sent without DF through a smaller MTU, or fragmented by their IPv6 source`);
    }
    if (defrag.discarded > 0) {
      warn(`${defrag.discarded} TCP segments came as IP fragments that overlap, and were dropped as Linux drops such datagrams (RFC 5722): not tracked, counted as skipped fragments`);
    }
    if (defrag.alone > 0) {
      warn(`${defrag.alone} TCP segments are first IP fragments whose other fragments are not in the capture (lost on the way, or left out by a capture filter on ports, which keeps first fragments only): each is taken as long as its first fragment`);
    }
    const text = this.text;
    if (!text) return info;
    const st = text.stats();
    if (!text.absoluteTime) this.run.noAbsoluteTime();
    if (st.tcp === 0 && st.tsharkLines > 0) throw new InputError(info.file, TSHARK_TEXT);
    if (st.packets === 0) throw new InputError(info.file, `not a capture: no tcpdump packet line among ${info.packets} lines of text`);
    // Prose that happens to quote a few packet lines (a README, a ticket) is not a capture either.
    if (st.tcp === 0 && st.unrecognized > st.packets) {
      throw new InputError(info.file, `not a capture: ${st.unrecognized} of ${info.packets} lines are not tcpdump output, and none is a TCP packet`);
    }
    if (st.unrecognized > 0) {
      const listed = this.run.verbose ? st.unrecognizedLines.length : 20;
      const shown = st.unrecognizedLines.slice(0, listed).join(', ');
      const more = st.unrecognized > listed ? `, ... (${st.unrecognized - listed} more)` : '';
      warn(`${st.unrecognized} lines are not tcpdump output, skipped: lines ${shown}${more}`, st.unrecognizedLines[0]);
    }
    // Output of tcpdump options that leave out what the tracker needs: read what there is, but say
    // why the report is thin, and what to print instead.
    if (st.unsizedFragments > 0) {
      warn(`${st.unsizedFragments} lines are later IPv4 fragments of TCP ("ip-proto-6"), printed without their lengths: the segments they belong to are taken as long as their first fragments; print the capture with -v (tcpdump -nn -v -r FILE), whose fragments are put back together`);
    }
    if (st.quietTcp > 0) {
      warn(`${st.quietTcp} TCP packets are printed as tcpdump -q prints them ("tcp LENGTH": no flags, no sequence numbers), so they cannot be tracked and are counted as skipped (nonTcp); print the capture without -q`);
    }
    if (st.unreadTcp > 0) {
      warn(`${st.unreadTcp} packet lines print TCP flags ("Flags [") but could not be read as TCP segments, so they are counted as skipped (nonTcp); tcpdump -nn -r prints what this reader follows`, st.firstUnreadTcpLine);
    }
    if (st.unnamedIcmp > 0) {
      warn(`${st.unnamedIcmp} ICMP errors (time exceeded, parameter problem, packet too big) do not say which packet they answer, so they are skipped (nonTcp), though one may have ended an opening connection; tcpdump -v prints the packet an ICMPv4 error quotes, which this reader follows`);
    }
    if (st.untimed > 0) {
      warn(`${st.untimed} packets have no timestamp (tcpdump -t), so they are all taken at time 0 and every time and duration in the report is 0; print the capture with -tt, -ttt or -tttt instead`);
    }
    return { ...info, timeDigits: text.timeDigits, packets: st.packets };
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
