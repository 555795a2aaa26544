/**
 * Classic libpcap files: magic a1b2c3d4 (µs) or a1b23c4d (ns), either byte order.
 *
 * Why not pcap-parser (the named dependency)? Measured in NOTES.md: it rejects nanosecond files,
 * drops a truncated last record silently, goes quadratic on a corrupt record length and costs one
 * EventEmitter event per packet. This push parser has none of those limits; the test suite keeps
 * pcap-parser as an independent oracle for the µs files it can read.
 */
import { CaptureParser, FileInfo, InputError, PacketRecord, RecordSink, newPacketRecord } from './record.js';
import { Carry } from './carry.js';

const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;
/** Largest record we believe: tcpdump's maximum snaplen. A bigger claim is a corrupt record. */
export const MAX_RECORD_BYTES = 262144;

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;

export class PcapParser implements CaptureParser {
  /** The file header or record the last chunk cut in two. */
  private readonly carry = new Carry();
  /** Bytes pushed so far: the file offset of the next chunk's first byte. */
  private received = 0;
  private headerDone = false;
  private stopped = false;
  private little = true;
  private nsPerTick = 1000;
  private snaplen = 0;
  private linkType = 0;
  private packets = 0;
  private truncated = false;
  private warnedSubsecond = false;
  private readonly rec: PacketRecord;

  constructor(
    private readonly file: string,
    fileIndex: number,
    private readonly sink: RecordSink,
  ) {
    this.rec = newPacketRecord(fileIndex);
  }

  push(chunk: Buffer): void {
    if (this.stopped || chunk.length === 0) return;
    const base = this.received;
    this.received += chunk.length;
    let off = 0;
    const carry = this.carry;
    // First complete what the last chunk cut (or the file header): copy only the bytes it lacks.
    while (carry.length > 0 || !this.headerDone) {
      if (carry.length === 0) carry.fileOffset = base + off;
      let need = this.carriedNeeds();
      if (need < 0) return; // a corrupt record length: stopped
      const take = Math.min(need - carry.length, chunk.length - off);
      carry.append(chunk, off, off + take);
      off += take;
      need = this.carriedNeeds(); // more, once a record's header is complete and its length known
      if (need < 0) return;
      if (carry.length < need) {
        if (off === chunk.length) return;
        continue;
      }
      if (!this.headerDone) this.readGlobalHeader(carry.bytes);
      else this.readRecords(carry.bytes, 0, carry.fileOffset);
      carry.clear();
      if (this.stopped) return;
    }
    off = this.readRecords(chunk, off, base);
    if (!this.stopped && off < chunk.length) carry.start(chunk, off, chunk.length, base + off);
  }

  /** How many bytes the carried unit needs in all: the file header, a record header, a whole record; -1 if corrupt. */
  private carriedNeeds(): number {
    if (!this.headerDone) return GLOBAL_HEADER;
    const carry = this.carry;
    if (carry.length < RECORD_HEADER) return RECORD_HEADER;
    const capLen = this.u32(carry.bytes, 8);
    if (capLen > this.recordLimit()) {
      this.corrupt(carry.fileOffset, capLen);
      return -1;
    }
    return RECORD_HEADER + capLen;
  }

  end(): void {
    const carry = this.carry;
    if (!this.headerDone) {
      const have = carry.length;
      throw new InputError(this.file, have === 0 ? 'empty file' : `file ends inside the pcap file header (${have} of 24 bytes)`);
    }
    if (!this.stopped && carry.length > 0) {
      const have = carry.length;
      const need = have >= RECORD_HEADER ? RECORD_HEADER + this.u32(carry.bytes, 8) : RECORD_HEADER;
      this.warnTruncated(carry.fileOffset, `capture ends inside a record (${have} of ${need} bytes); the packets before it are analyzed`);
    }
    carry.clear();
  }

  info(): FileInfo {
    return {
      file: this.file,
      format: this.nsPerTick === 1 ? 'pcap-ns' : 'pcap',
      linkTypes: this.headerDone ? [this.linkType] : [],
      timeDigits: this.nsPerTick === 1 ? 9 : 6,
      packets: this.packets,
      truncated: this.truncated,
    };
  }

  private readGlobalHeader(buf: Buffer): void {
    const magicLE = buf.readUInt32LE(0);
    const magicBE = buf.readUInt32BE(0);
    if (magicLE === PCAP_MAGIC_US || magicLE === PCAP_MAGIC_NS) this.little = true;
    else if (magicBE === PCAP_MAGIC_US || magicBE === PCAP_MAGIC_NS) this.little = false;
    else throw new InputError(this.file, `not a pcap file (magic 0x${magicBE.toString(16).padStart(8, '0')})`, 0);
    const magic = this.little ? magicLE : magicBE;
    this.nsPerTick = magic === PCAP_MAGIC_NS ? 1 : 1000;
    const major = this.little ? buf.readUInt16LE(4) : buf.readUInt16BE(4);
    if (major !== 2) throw new InputError(this.file, `unsupported pcap version ${major}`, 4);
    this.snaplen = this.u32(buf, 16);
    // The top bits of the link-type field carry the FCS length (pcap-savefile(5)); the type is the low 16.
    this.linkType = this.u32(buf, 20) & 0xffff;
    this.rec.linkType = this.linkType;
    this.headerDone = true;
  }

  /** Largest record length believed (see MAX_RECORD_BYTES): a bigger claim is a corrupt record. */
  private recordLimit(): number {
    return Math.max(MAX_RECORD_BYTES, Math.min(this.snaplen, 16 * 1024 * 1024));
  }

  private corrupt(fileOffset: number, capLen: number): void {
    this.warnTruncated(fileOffset, `corrupt record: claims ${capLen} captured bytes (limit ${this.recordLimit()}); the packets before it are analyzed`);
    this.stopped = true;
  }

  /**
   * Emits every complete record of `buf` from `off` (`base`: the file offset of buf[0]); returns
   * where the first incomplete one starts.
   */
  private readRecords(buf: Buffer, off: number, base: number): number {
    const rec = this.rec;
    const limit = this.recordLimit();
    while (buf.length - off >= RECORD_HEADER) {
      const capLen = this.u32(buf, off + 8);
      if (capLen > limit) {
        this.corrupt(base + off, capLen);
        return buf.length;
      }
      if (buf.length - off < RECORD_HEADER + capLen) break;
      rec.frame = ++this.packets;
      rec.tsSec = this.u32(buf, off);
      rec.tsNsec = this.u32(buf, off + 4) * this.nsPerTick;
      rec.origLen = this.u32(buf, off + 12);
      rec.capLen = capLen;
      rec.data = buf;
      rec.offset = off + RECORD_HEADER;
      rec.fileOffset = base + off;
      if (rec.tsNsec >= 1e9) this.fixSubsecond(rec);
      this.sink.record(rec);
      off += RECORD_HEADER + capLen;
    }
    return off;
  }

  /**
   * A sub-second field of a whole second or more is invalid (tcpdump prints it as such, and
   * fuzzed captures hold values like 2^31 µs): clamp it to the last instant of its second, so
   * times stay sane and no packet jumps minutes ahead, and warn once.
   */
  private fixSubsecond(rec: PacketRecord): void {
    rec.tsNsec = 1e9 - this.nsPerTick;
    if (this.warnedSubsecond) return;
    this.warnedSubsecond = true;
    this.sink.warning({ file: this.file, offset: rec.fileOffset, message: `invalid timestamp: the sub-second field holds a second or more (frame ${rec.frame}); clamped to the end of its second`, truncated: false });
  }

  // Read byte by byte: Buffer's readUInt32LE validates its argument on every call, and this runs
  // several times per packet (callers check the bounds).
  private u32(buf: Buffer, at: number): number {
    return this.little
      ? (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0
      : ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
  }

  private warnTruncated(offset: number, message: string): void {
    this.truncated = true;
    this.sink.warning({ file: this.file, offset, message, truncated: true });
  }
}
