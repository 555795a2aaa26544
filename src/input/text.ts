/**
 * Text captures (what tcpdump prints): split into lines as the bytes arrive, so a live
 * `tcpdump -l | tcptrace analyze -` is read line by line, never buffered whole. Each line becomes
 * an independent string (decoded from the chunk), so no line keeps a chunk alive.
 */
import { CaptureParser, FileInfo, RecordSink } from './record.js';
import { Carry } from './carry.js';

/** Longest line we accept; tcpdump's longest (-vv with options) is a few hundred bytes. */
const MAX_LINE = 1 << 20;

export class TextLineParser implements CaptureParser {
  /** The start of a line the last chunk cut off before its newline. */
  private readonly carry = new Carry();
  private lineNo = 0;
  private lines = 0;
  private truncated = false;

  constructor(
    private readonly file: string,
    private readonly fileIndex: number,
    private readonly sink: RecordSink,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    const carry = this.carry;
    if (carry.length > 0) {
      // The line the last chunk cut: complete it up to this chunk's first newline.
      const nl = chunk.indexOf(0x0a);
      if (nl < 0) {
        if (carry.length + chunk.length > MAX_LINE) return this.tooLong();
        carry.append(chunk, 0, chunk.length);
        return;
      }
      carry.append(chunk, 0, nl);
      this.emit(carry.bytes, 0, carry.length);
      carry.clear();
      start = nl + 1;
    }
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      this.emit(chunk, start, nl);
      start = nl + 1;
    }
    if (start < chunk.length) {
      if (chunk.length - start > MAX_LINE) return this.tooLong();
      carry.start(chunk, start, chunk.length, 0);
    }
  }

  /**
   * A line longer than MAX_LINE: not text as tcpdump writes it. Keep going from the next newline
   * rather than growing forever.
   */
  private tooLong(): void {
    this.carry.clear();
    this.sink.warning({ file: this.file, line: this.lineNo + 1, message: `line longer than ${MAX_LINE} bytes skipped`, truncated: false });
    this.lineNo++;
  }

  end(): void {
    if (this.carry.length > 0) this.emit(this.carry.bytes, 0, this.carry.length);
    this.carry.clear();
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
