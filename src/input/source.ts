/**
 * Opening a capture: read the bytes as a stream (file or stdin), sniff the format from the first
 * bytes (never from the name, SPEC section 1), and feed the matching push parser. Gzip is undone
 * as a stream, then sniffed again.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
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

/** Opens `file` ('-' for stdin) as a stream of chunks. */
async function openStream(file: string): Promise<AsyncIterable<Buffer>> {
  if (file === '-') return process.stdin;
  try {
    const st = await stat(file);
    if (st.isDirectory()) throw new InputError(file, 'is a directory, not a capture file');
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(file, describeFsError(e));
  }
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  return stream;
}

function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  return (e as Error).message;
}

/**
 * Reads one capture file to its end, handing every record (or text line) to `sink`.
 * Throws InputError for content that is not a capture; a capture cut short only warns.
 */
export async function readCapture(file: string, fileIndex: number, sink: RecordSink): Promise<FileInfo> {
  const chunks = await openStream(file);
  return readChunks(file, fileIndex, chunks, sink, false);
}

async function readChunks(
  file: string, fileIndex: number, chunks: AsyncIterable<Buffer>, sink: RecordSink, gunzipped: boolean,
): Promise<FileInfo> {
  const it = chunks[Symbol.asyncIterator]();
  // Collect just enough bytes to sniff; the parser then gets them and everything after, unchanged.
  let head: Buffer = Buffer.alloc(0);
  let done = false;
  try {
    while (head.length < SNIFF_BYTES) {
      const r = await it.next();
      if (r.done) { done = true; break; }
      head = head.length === 0 ? r.value : Buffer.concat([head, r.value]);
    }
  } catch (e) {
    throw new InputError(file, readErrorMessage(e, gunzipped), head.length);
  }
  if (head.length === 0) throw new InputError(file, 'empty file');
  const format = sniffFormat(head);
  if (format === null) {
    const hex = [...head.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new InputError(file, `not a capture: unrecognized first bytes ${hex} (expected pcap, pcapng, gzip or tcpdump text)`, 0);
  }
  const rest: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        if (head.length > 0) { const value = head; head = Buffer.alloc(0); return { done: false, value }; }
        if (done) return { done: true, value: undefined };
        return it.next();
      },
    }),
  };
  if (format === 'gzip') {
    if (gunzipped) throw new InputError(file, 'gzip inside gzip is not supported', 0);
    const gunzip = Readable.from(rest).pipe(createGunzip());
    const info = await readChunks(file, fileIndex, gunzip, sink, true);
    return { ...info, format: `${info.format}+gzip` };
  }
  const factory = PARSERS[format];
  if (!factory) throw new InputError(file, `${format} captures are not supported yet`, 0);
  const parser = factory(file, fileIndex, sink);
  let offset = 0;
  try {
    for await (const chunk of rest) {
      parser.push(chunk);
      offset += chunk.length;
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    // A stream error mid-file (a corrupt gzip member, a read error): keep what was read, warn.
    sink.warning({ file, offset, message: readErrorMessage(e, gunzipped), truncated: true });
    const info = parser.info();
    return { ...info, truncated: true };
  }
  parser.end();
  return parser.info();
}

function readErrorMessage(e: unknown, gunzipped: boolean): string {
  const msg = (e as Error).message ?? String(e);
  return gunzipped ? `gzip data is corrupt or cut short (${msg})` : `read error (${msg})`;
}
