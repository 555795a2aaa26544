/**
 * The contract between the pipe and a decoder of text captures (tcpdump's output): lines in,
 * segments out. A packet may span two lines (-v), so segments are emitted when complete.
 */
import type { Segment } from './segment.js';

export interface TextDecodeStats {
  /** Lines that were packets (numbered as frames), TCP or not. */
  packets: number;
  tcp: number;
  nonTcp: number;
  /** Lines that are not tcpdump output at all, with (up to 1000 of) their line numbers. */
  unrecognized: number;
  unrecognizedLines: number[];
}

export interface LineDecoder {
  /** 6 or 9: digits of the fraction of a second the timestamps carried. */
  readonly timeDigits: number;
  /**
   * Feeds one line. For every TCP segment it completes it fills `seg` (frame, fileIndex, tsSec,
   * tsNsec and every TCP field with absolute sequence numbers) and calls `emit(seg)`.
   */
  line(text: string, lineNo: number, seg: Segment, emit: (seg: Segment) => void): void;
  /** The file ended: emit whatever is pending. */
  end(seg: Segment, emit: (seg: Segment) => void): void;
  stats(): TextDecodeStats;
}
