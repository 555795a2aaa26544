/**
 * Stage 1 of the pipe: bytes -> records.
 *
 * A record is one captured packet as a reader hands it on. Readers reuse one record object and
 * one chunk buffer, so a record is valid only during the `record()` callback: whoever needs a
 * field later copies it (allocation-light by design, see NOTES.md "Node hot-path facts").
 */
export interface PacketRecord {
  /** 1-based position of the packet in its file (Wireshark's frame number). */
  frame: number;
  /** Index of the file in the command line's list. */
  fileIndex: number;
  /** Link-layer header type (LINKTYPE_* number) of the interface that captured it. */
  linkType: number;
  /** Buffer holding the captured bytes, from `offset` for `capLen` bytes. */
  data: Uint8Array;
  offset: number;
  capLen: number;
  /** Length of the packet on the wire (>= capLen when the snaplen cut it). */
  origLen: number;
  /** Timestamp: whole seconds since the epoch and nanoseconds within that second. */
  tsSec: number;
  tsNsec: number;
  /** Byte offset of the record's header in the (decompressed) file, for messages. */
  fileOffset: number;
  /**
   * The interface that captured it, where the file holds several (a pcapng section with more than
   * one interface description: Wireshark or dumpcap capturing several interfaces, mergecap of
   * per-interface captures); -1 when the file names only one.
   */
  iface: number;
  /**
   * Which way it went past that interface, where the file says (a pcapng packet's epb_flags):
   * a Direction of decode/segment.ts (In, Out ...); -1 when it does not.
   */
  direction: number;
}

/** The one record object a reader reuses for every packet of its file. */
export function newPacketRecord(fileIndex: number): PacketRecord {
  return {
    frame: 0, fileIndex, linkType: 0, data: Buffer.alloc(0), offset: 0, capLen: 0, origLen: 0,
    tsSec: 0, tsNsec: 0, fileOffset: 0, iface: -1, direction: -1,
  };
}

/** Something a reader noticed that did not stop it: reported as a warning. */
export interface InputWarning {
  file: string;
  /** Byte offset (binary formats) or 1-based line (text) the warning is about. */
  offset?: number;
  line?: number;
  message: string;
  /** True when the reader stopped before the end of the file (cut short or corrupt). */
  truncated: boolean;
}

/** The consumer of a reader: the next stage of the pipe. */
export interface RecordSink {
  /** One binary packet record (pcap, pcapng). */
  record(rec: PacketRecord): void;
  /** One line of a text capture (tcpdump's output), without its line ending; lines are 1-based. */
  line(text: string, lineNo: number, fileIndex: number): void;
  warning(w: InputWarning): void;
}

/** A file that cannot be read as a capture at all: exit 2, one line, no stack trace. */
export class InputError extends Error {
  constructor(
    readonly file: string,
    message: string,
    readonly offset?: number,
  ) {
    super(offset === undefined ? `${file}: ${message}` : `${file}: ${message} (at byte offset ${offset})`);
    this.name = 'InputError';
  }
}

/** What a reader learned about the file as a whole. */
export interface FileInfo {
  file: string;
  format: string;
  linkTypes: number[];
  /** 6 for microsecond, 9 for nanosecond timestamps (digits after the decimal point). */
  timeDigits: number;
  packets: number;
  truncated: boolean;
}

/**
 * A push parser: the source feeds it chunks as they arrive (file, gunzip or stdin alike), and it
 * calls the sink for each complete record. `end()` reports what was left over.
 */
export interface CaptureParser {
  push(chunk: Buffer): void;
  end(): void;
  info(): FileInfo;
}
