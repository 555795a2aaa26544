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
  /** Of those, TCP packets as `tcpdump -q` prints them ("tcp LENGTH": no flags, no sequence numbers). */
  quietTcp: number;
  /** Later IPv4 fragments of TCP printed without -v ("SRC > DST: ip-proto-6"): their lengths are not printed. */
  unsizedFragments: number;
  /**
   * Packet lines that print TCP flags ("Flags [") but could not be read as a TCP segment, counted
   * with the non-TCP ones; the first one's line number (0: none).
   */
  unreadTcp: number;
  firstUnreadTcpLine: number;
  /**
   * ICMP errors printed without saying which packet they answer (IPv4 time exceeded and parameter
   * problem without -v, ICMPv6 packet too big, parameter problem): counted with the non-TCP
   * ones, though some may be about a connection.
   */
  unnamedIcmp: number;
  /** Packet lines without a timestamp (`tcpdump -t`). */
  untimed: number;
  /** Lines of `tcpdump -A` dumps (each packet's bytes as ASCII, on the lines after it), skipped. */
  dumpLines: number;
  /** Lines shaped like tshark's summary lines (TcpdumpTextDecoder.tsharkLine). */
  tsharkLines: number;
  /** Lines that are not tcpdump output at all, with (up to 1000 of) their line numbers. */
  unrecognized: number;
  unrecognizedLines: number[];
}

/** Hears every packet line that is not TCP (its frame and time), so it still counts and ticks the clock. */
export type Tick = (frame: number, tsSec: number, tsNsec: number) => void;

export interface LineDecoder {
  /** 6 or 9: digits of the fraction of a second the timestamps carried. */
  readonly timeDigits: number;
  /** False when the text carried no date (time of day, -t, -ttt): there is no absolute start. */
  readonly absoluteTime: boolean;
  /**
   * Feeds one line. For every TCP segment it completes it fills `seg` (frame, fileIndex, tsSec,
   * tsNsec and every TCP field with absolute sequence numbers) and calls `emit(seg)`; for every
   * other packet line it calls `tick`.
   */
  line(text: string, lineNo: number, seg: Segment, emit: (seg: Segment) => void, tick?: Tick): void;
  /** The file ended: emit (or tick) whatever is pending. */
  end(seg: Segment, emit: (seg: Segment) => void, tick?: Tick): void;
  stats(): TextDecodeStats;
}
