/**
 * Opening a capture: read the bytes as a stream (file or stdin), sniff the format from the first
 * bytes (never from the name, SPEC section 1), and feed the matching push parser. Gzip is undone
 * as a stream, then sniffed again.
 */
import { readSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { PCAP_MAGIC_NS, PCAP_MAGIC_US, PcapParser } from './pcap.js';
import { PcapngParser } from './pcapng.js';
import { TextLineParser } from './text.js';
import { CaptureParser, FileInfo, InputError, RecordSink } from './record.js';

export type SniffedFormat = 'pcap' | 'pcapng' | 'gzip' | 'text';

/** Bytes needed to tell the formats apart. */
const SNIFF_BYTES = 4;

/** What the first bytes say the content is, or null when they look like no capture at all. */
export function sniffFormat(head: Uint8Array): SniffedFormat | null {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4) {
    const be = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
    const le = ((head[3]! << 24) | (head[2]! << 16) | (head[1]! << 8) | head[0]!) >>> 0;
    if (be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS || le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS) return 'pcap';
    if (be === 0x0a0d0d0a) return 'pcapng';
  }
  if (head.length > 0 && looksLikeText(head)) return 'text';
  return null;
}

/** Printable ASCII/UTF-8 with ordinary whitespace: what tcpdump prints. */
function looksLikeText(head: Uint8Array): boolean {
  for (const b of head) {
    if (b === 0x09 || b === 0x0a || b === 0x0d) continue;
    if (b < 0x20 || b === 0x7f) return false;
  }
  return true;
}

export type ParserFactory = (file: string, fileIndex: number, sink: RecordSink) => CaptureParser;

/** The parser for each sniffed format; readers for more formats register here. */
export const PARSERS: Partial<Record<Exclude<SniffedFormat, 'gzip'>, ParserFactory>> = {
  pcap: (file, fileIndex, sink) => new PcapParser(file, fileIndex, sink),
  pcapng: (file, fileIndex, sink) => new PcapngParser(file, fileIndex, sink),
  text: (file, fileIndex, sink) => new TextLineParser(file, fileIndex, sink),
};

/** Bytes read from a file at a time. */
const CHUNK_BYTES = 1 << 20;

/** How far into its file (as stored: before any gunzip) a reader has read, for a progress line. */
export interface ReadPosition {
  read: number;
  /** The file's size; 0 when unknown (stdin). */
  size: number;
}

/**
 * Opens `file` ('-' for stdin) as a stream of chunks. A file is read into one buffer, reused for
 * every chunk: each chunk is only valid until the next one is asked for (the parsers copy the
 * little they keep, see carry.ts), so reading a capture of gigabytes makes no fresh memory per
 * chunk.
 */
async function openStream(file: string, position: ReadPosition): Promise<AsyncIterable<Buffer>> {
  if (file === '-') return process.stdin;
  try {
    const st = await stat(file);
    if (st.isDirectory()) throw new InputError(file, 'is a directory, not a capture file');
    if (st.isFile()) position.size = st.size;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(file, describeFsError(e));
  }
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (e) {
    throw new InputError(file, describeFsError(e));
  }
  return fileChunks(handle, position);
}

/**
 * A regular file's chunks, read synchronously: a file in the page cache is copied in a fraction of
 * a millisecond per megabyte, where an asynchronous read waits for a turn of the thread pool and of
 * the event loop every time (measured: the tracking thread idled 13 % of a 10 M-packet run on
 * them). The pipeline gives the event loop its turn between chunks (pipeline.ts, `between`).
 */
async function* fileChunks(handle: import('node:fs/promises').FileHandle, position: ReadPosition): AsyncGenerator<Buffer> {
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  try {
    for (;;) {
      const bytesRead = readSync(handle.fd, buf, 0, buf.length, null);
      if (bytesRead === 0) return;
      position.read += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** The same chunks, each copied: for a consumer that may hold several at once (gunzip). */
async function* copied(chunks: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  try {
    for (;;) {
      const r = await chunks.next();
      if (r.done) return;
      yield Buffer.from(r.value);
    }
  } finally {
    await chunks.return?.();
  }
}

function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  return (e as Error).message;
}

/**
 * One capture being read: `pump()` feeds the next chunk to its parser (which calls the sink for
 * every record or line in it), so several files can be read in step (the multi-file merge) with
 * memory bounded by a chunk each.
 */
export class CaptureReader {
  private offset = 0;
  private done = false;

  private constructor(
    private readonly file: string,
    private readonly chunks: AsyncIterator<Buffer>,
    private readonly parser: CaptureParser,
    private readonly sink: RecordSink,
    private readonly gzipped: boolean,
    /** How far into the file (as stored, compressed or not) reading has got. */
    readonly position: ReadPosition,
  ) {}

  /** Opens `file` ('-' for stdin), sniffs its format (undoing gzip) and readies its parser. */
  static async open(file: string, fileIndex: number, sink: RecordSink): Promise<CaptureReader> {
    const position: ReadPosition = { read: 0, size: 0 };
    let chunks: AsyncIterator<Buffer> = (await openStream(file, position))[Symbol.asyncIterator]();
    try {
      return await CaptureReader.sniffed(file, fileIndex, sink, chunks, (c) => { chunks = c; }, position);
    } catch (e) {
      await chunks.return?.(); // lets go of the file
      throw e;
    }
  }

  private static async sniffed(
    file: string, fileIndex: number, sink: RecordSink, chunks: AsyncIterator<Buffer>, replaced: (c: AsyncIterator<Buffer>) => void,
    position: ReadPosition,
  ): Promise<CaptureReader> {
    let gzipped = false;
    for (;;) {
      const { head, rest } = await sniffHead(file, chunks, gzipped);
      const format = sniffFormat(head);
      if (format === null) {
        const hex = [...head.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
        throw new InputError(file, `not a capture: unrecognized first bytes ${hex} (expected pcap, pcapng, gzip or tcpdump text)`, 0);
      }
      if (format === 'gzip') {
        if (gzipped) throw new InputError(file, 'gzip inside gzip is not supported', 0);
        // gunzip holds on to chunks while it works: it gets copies.
        const iterable: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => copied(rest) };
        chunks = Readable.from(iterable).pipe(createGunzip())[Symbol.asyncIterator]();
        replaced(chunks);
        gzipped = true;
        continue;
      }
      const factory = PARSERS[format];
      if (!factory) throw new InputError(file, `${format} captures are not supported yet`, 0);
      return new CaptureReader(file, rest, factory(file, fileIndex, sink), sink, gzipped, position);
    }
  }

  /** Reads and parses the next chunk; false once the file is done (and its parser ended). */
  async pump(): Promise<boolean> {
    if (this.done) return false;
    let r: IteratorResult<Buffer>;
    try {
      r = await this.chunks.next();
    } catch (e) {
      // A stream error mid-file (corrupt gzip, read error): keep what was read, warn, stop.
      this.done = true;
      this.truncated = true;
      this.sink.warning({ file: this.file, offset: this.offset, message: readErrorMessage(e, this.gzipped), truncated: true });
      return false;
    }
    if (r.done) {
      this.done = true;
      this.parser.end();
      return false;
    }
    this.parser.push(r.value);
    this.offset += r.value.length;
    return true;
  }

  private truncated = false;

  /** Lets go of the file (when reading stops before its end: an error, --strict). */
  async close(): Promise<void> {
    this.done = true;
    await this.chunks.return?.();
  }

  info(): FileInfo {
    const info = this.parser.info();
    return {
      ...info,
      format: this.gzipped ? `${info.format}+gzip` : info.format,
      truncated: info.truncated || this.truncated,
    };
  }
}

/** Reads until at least SNIFF_BYTES are known; `rest` yields those bytes again, then the others. */
async function sniffHead(file: string, it: AsyncIterator<Buffer>, gunzipped: boolean): Promise<{ head: Buffer; rest: AsyncIterator<Buffer> }> {
  let head: Buffer = Buffer.alloc(0);
  let done = false;
  try {
    while (head.length < SNIFF_BYTES) {
      const r = await it.next();
      if (r.done) { done = true; break; }
      // A chunk is valid until the next is read: one too short to tell the format is copied.
      head = head.length === 0 ? r.value : Buffer.concat([head, r.value]);
      if (head.length < SNIFF_BYTES && head === r.value) head = Buffer.from(head);
    }
  } catch (e) {
    throw new InputError(file, readErrorMessage(e, gunzipped), head.length);
  }
  if (head.length === 0) throw new InputError(file, gunzipped ? 'gzip data holds nothing' : 'empty file');
  let pending: Buffer | null = head;
  const rest: AsyncIterator<Buffer> = {
    next: async () => {
      if (pending) { const value = pending; pending = null; return { done: false, value }; }
      if (done) return { done: true, value: undefined };
      return it.next();
    },
    return: async () => {
      done = true;
      await it.return?.();
      return { done: true, value: undefined };
    },
  };
  return { head, rest };
}

/** Reads one capture file to its end, handing every record (or text line) to `sink`. */
export async function readCapture(file: string, fileIndex: number, sink: RecordSink): Promise<FileInfo> {
  const reader = await CaptureReader.open(file, fileIndex, sink);
  while (await reader.pump());
  return reader.info();
}

function readErrorMessage(e: unknown, gunzipped: boolean): string {
  const msg = (e as Error).message ?? String(e);
  return gunzipped ? `gzip data is corrupt or cut short (${msg})` : `read error (${msg})`;
}
