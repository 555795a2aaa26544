/**
 * Text captures (what tcpdump prints): split into lines as the bytes arrive, so a live
 * `tcpdump -l | tcptrace analyze -` is read line by line, never buffered whole. Each line becomes
 * an independent string (decoded from the chunk), so no line keeps a chunk alive.
 */
import { CaptureParser, FileInfo, RecordSink } from './record.js';

/** Longest line we accept; tcpdump's longest (-vv with options) is a few hundred bytes. */
const MAX_LINE = 1 << 20;

export class TextLineParser implements CaptureParser {
  private carry: Buffer | null = null;
  private lineNo = 0;
  private lines = 0;
  private truncated = false;

  constructor(
    private readonly file: string,
    private readonly fileIndex: number,
    private readonly sink: RecordSink,
  ) {}

  push(chunk: Buffer): void {
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = null;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      if (nl < 0) break;
      this.emit(buf, start, nl);
      start = nl + 1;
    }
    if (start < buf.length) {
      if (buf.length - start > MAX_LINE) {
        // Not text as tcpdump writes it; keep going from the next newline rather than growing forever.
        this.sink.warning({ file: this.file, line: this.lineNo + 1, message: `line longer than ${MAX_LINE} bytes skipped`, truncated: false });
        this.lineNo++;
        return;
      }
      this.carry = Buffer.from(buf.subarray(start));
    }
  }

  end(): void {
    if (this.carry && this.carry.length > 0) this.emit(this.carry, 0, this.carry.length);
    this.carry = null;
  }

  info(): FileInfo {
    return { file: this.file, format: 'tcpdump-text', linkTypes: [], timeDigits: 6, packets: this.lines, truncated: this.truncated };
  }

  private emit(buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === 0x0d) end--; // CRLF
    this.lineNo++;
    this.lines++;
    this.sink.line(buf.toString('utf8', start, end), this.lineNo, this.fileIndex);
  }
}
