/**
 * pcapng files (draft-ietf-opsawg-pcapng): a sequence of blocks, each `type, length, body, length`.
 *
 * Read: SHB (either byte order; every SHB starts a new section with its own byte order and an empty
 * interface list), IDB (link type, snaplen, `if_tsresol`, `if_tsoffset`), EPB, SPB and the
 * obsolete PB. Every other block type (NRB, ISB, DSB, custom, ...) is skipped by its length.
 *
 * Why not pcap-ng-parser 1.0.0 (the only pcapng reader on the registry; evaluated in
 * docs/corpus.md): it emits EPBs only (SPB and PB packets are lost), ignores `if_tsresol` and
 * `if_tsoffset` (hands out raw 32+32-bit timestamps), reads option lengths as 8-byte units and
 * loops past the end option (an IDB with options reads garbage or throws a RangeError), keeps the first
 * section's byte order for the whole file, never checks the trailing length copy, and re-copies
 * its carry on every chunk while waiting for a block (quadratic on a corrupt length, like
 * pcap-parser; see NOTES.md). What we need is under 400 lines, so it is written here, in the shape of
 * pcap.ts: a push parser with a bounded carry, a corrupt block is a warning and a stop.
 */
import { Carry } from './carry.js';
import { CaptureParser, FileInfo, InputError, PacketRecord, RecordSink, newPacketRecord } from './record.js';

export const PCAPNG_SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BT_IDB = 0x00000001;
const BT_PB = 0x00000002; // obsolete Packet Block
const BT_SPB = 0x00000003;
const BT_EPB = 0x00000006;

/** Largest block we believe. Wireshark's limit is 16 MiB as well; a bigger claim is corruption. */
export const MAX_BLOCK_BYTES = 16 * 1024 * 1024;
const MIN_BLOCK = 12;
const MIN_SHB = 28;

const OPT_ENDOFOPT = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;
const OPT_EPB_FLAGS = 2;

interface Iface {
  linkType: number;
  snaplen: number;
  /** Units per second are 10^exp10 (when pow2 is false) or 2^exp2. */
  pow2: boolean;
  exp: number;
  /** Divisor for the fast path (power of 10, exponent <= 9): 10^exp; 0 when the slow path is needed. */
  div: number;
  /** Nanoseconds per unit for the fast path. */
  nsPerUnit: number;
  /** if_tsoffset: seconds added to every timestamp. */
  offsetSec: number;
  /** Carried a packet (its link type is then listed in info()). */
  used: boolean;
}

export class PcapngParser implements CaptureParser {
  /** The block the last chunk cut in two (only its bytes are copied: linear time, bounded memory). */
  private readonly carry = new Carry();
  /** Bytes the next block needs to be complete, as far as its first bytes tell. */
  private need = MIN_BLOCK;
  /** Bytes pushed so far: the file offset of the next chunk's first byte. */
  private received = 0;
  /** The file offset of buf[0] for the buffer being read (a chunk, or the carry). */
  private base = 0;
  private sectionSeen = false;
  private little = true;
  private ifaces: Iface[] = [];
  /**
   * Interfaces described in the sections before this one, and in all so far: a packet is told by
   * its interface (PacketRecord.iface) once the file has described more than one.
   */
  private ifacesBefore = 0;
  private ifacesInAll = 0;
  private stopped = false;
  private packets = 0;
  private truncated = false;
  private timeDigits = 6;
  private readonly linkTypesSeen = new Set<number>();
  private readonly idbLinkTypes = new Set<number>();
  /** Time of the previous packet: an SPB has none of its own. */
  private lastSec = 0;
  private lastNsec = 0;
  private readonly warned = new Set<string>();
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
    // First complete the block the last chunk cut: copy only the bytes it lacks.
    while (carry.length > 0) {
      const take = Math.min(Math.max(this.need - carry.length, 1), chunk.length - off);
      carry.append(chunk, off, off + take);
      off += take;
      const used = this.readBlocks(carry.bytes, 0, carry.fileOffset);
      if (this.stopped) return;
      if (used === carry.length) carry.clear();
      else if (off === chunk.length) return; // still incomplete: its length is now known (need)
    }
    off = this.readBlocks(chunk, off, base);
    if (!this.stopped && off < chunk.length) carry.start(chunk, off, chunk.length, base + off);
  }

  end(): void {
    const carry = this.carry;
    if (!this.sectionSeen) {
      throw new InputError(this.file, carry.length === 0
        ? 'empty file'
        : `file ends inside the pcapng section header block (${carry.length} bytes)`, 0);
    }
    if (!this.stopped && carry.length > 0) {
      const need = this.need > MIN_BLOCK ? this.need : MIN_BLOCK;
      this.warnTruncated(carry.fileOffset, `capture ends inside a block (${carry.length} of ${need} bytes); the packets before it are analyzed`);
    }
    carry.clear();
  }

  info(): FileInfo {
    const types = this.linkTypesSeen.size > 0 ? this.linkTypesSeen : this.idbLinkTypes;
    return {
      file: this.file,
      format: 'pcapng',
      linkTypes: [...types],
      timeDigits: this.timeDigits,
      packets: this.packets,
      truncated: this.truncated,
    };
  }

  /**
   * Handles every complete block in `buf` from `off` (`base`: the file offset of buf[0]); returns
   * where the first incomplete one starts.
   */
  private readBlocks(buf: Buffer, off: number, base: number): number {
    this.base = base;
    for (;;) {
      const avail = buf.length - off;
      if (avail < 8) { this.need = MIN_BLOCK; return off; }
      const type = this.u32(buf, off); // the SHB type is a palindrome: same in both byte orders
      if (type === PCAPNG_SHB) {
        if (avail < 12) { this.need = MIN_BLOCK; return off; }
        const bom = buf.readUInt32LE(off + 8);
        if (bom === BYTE_ORDER_MAGIC) this.little = true;
        else if (buf.readUInt32BE(off + 8) === BYTE_ORDER_MAGIC) this.little = false;
        else {
          const msg = `bad pcapng byte-order magic 0x${buf.readUInt32BE(off + 8).toString(16).padStart(8, '0')}`;
          if (!this.sectionSeen) throw new InputError(this.file, `not a pcapng file: ${msg}`, off + 8);
          return this.corrupt(buf, off, `corrupt section header block: ${msg}`);
        }
      } else if (!this.sectionSeen) {
        // The source sniffed the SHB magic, so this cannot happen for a whole file; keep it fatal.
        throw new InputError(this.file, 'not a pcapng file: it does not start with a section header block', 0);
      }
      const len = this.u32(buf, off + 4);
      const min = type === PCAPNG_SHB ? MIN_SHB : MIN_BLOCK;
      if (len < min || len % 4 !== 0 || len > MAX_BLOCK_BYTES) {
        if (type === PCAPNG_SHB && !this.sectionSeen) {
          throw new InputError(this.file, `not a pcapng file: section header block length ${len} is invalid`, 4);
        }
        return this.corrupt(buf, off, `corrupt block: type 0x${type.toString(16)} claims length ${len} (must be a multiple of 4, ${min} to ${MAX_BLOCK_BYTES})`);
      }
      if (avail < len) { this.need = len; return off; }
      const trailer = this.u32(buf, off + len - 4);
      if (trailer !== len) {
        if (type === PCAPNG_SHB && !this.sectionSeen) {
          throw new InputError(this.file, `not a pcapng file: section header block length ${len} does not match its trailing copy ${trailer}`, off + len - 4);
        }
        return this.corrupt(buf, off, `corrupt block: type 0x${type.toString(16)} length ${len} does not match its trailing copy ${trailer}`);
      }
      switch (type) {
        case PCAPNG_SHB: this.sectionHeader(buf, off); break;
        case BT_IDB: this.interfaceDescription(buf, off, len); break;
        case BT_EPB: this.packetBlock(buf, off, len, this.u32(buf, off + 8), true); break;
        case BT_PB: this.packetBlock(buf, off, len, this.u16(buf, off + 8), false); break;
        case BT_SPB: this.simplePacket(buf, off, len); break;
        default: break; // NRB, ISB, DSB, custom, ...: nothing a TCP analysis needs
      }
      if (this.stopped) return buf.length;
      off += len;
    }
  }

  private sectionHeader(buf: Buffer, off: number): void {
    const major = this.u16(buf, off + 12);
    const minor = this.u16(buf, off + 14);
    if (major !== 1) {
      if (!this.sectionSeen) throw new InputError(this.file, `unsupported pcapng version ${major}.${minor}`, off + 12);
      this.warnTruncated(this.base + off, `section with unsupported pcapng version ${major}.${minor}; reading stops here`);
      this.stopped = true;
      return;
    }
    this.sectionSeen = true;
    this.ifacesBefore += this.ifaces.length;
    this.ifaces = []; // interface ids are per section
  }

  private interfaceDescription(buf: Buffer, off: number, len: number): void {
    if (len < 20) {
      this.warnOnce('short-idb', off, `interface description block too short (${len} bytes); packets of its interface are skipped`);
      this.ifaces.push({ linkType: -1, snaplen: 0, pow2: false, exp: 6, div: 1e6, nsPerUnit: 1000, offsetSec: 0, used: false });
      this.ifacesInAll++;
      return;
    }
    const iface: Iface = {
      linkType: this.u16(buf, off + 8), snaplen: this.u32(buf, off + 12),
      pow2: false, exp: 6, div: 1e6, nsPerUnit: 1000, offsetSec: 0, used: false,
    };
    // Options: code (2), length (2), value padded to 4 bytes; they end at opt_endofopt or the block's end.
    const end = off + len - 4;
    let p = off + 16;
    while (end - p >= 4) {
      const code = this.u16(buf, p);
      const olen = this.u16(buf, p + 2);
      const v = p + 4;
      if (code === OPT_ENDOFOPT || end - v < olen) break;
      if (code === OPT_IF_TSRESOL && olen >= 1) {
        const r = buf[v]!;
        iface.pow2 = (r & 0x80) !== 0;
        iface.exp = r & 0x7f;
      } else if (code === OPT_IF_TSOFFSET && olen >= 8) {
        iface.offsetSec = Number(this.little ? buf.readBigInt64LE(v) : buf.readBigInt64BE(v));
      }
      p = v + ((olen + 3) & ~3);
    }
    if (!iface.pow2 && iface.exp <= 9) {
      iface.div = 10 ** iface.exp;
      iface.nsPerUnit = 10 ** (9 - iface.exp);
    } else {
      iface.div = 0;
    }
    // Finer than a microsecond: 10^-7.. or 2^-20.. (2^-20 s is 0.95 µs).
    if (iface.pow2 ? iface.exp > 19 : iface.exp > 6) this.timeDigits = 9;
    this.ifaces.push(iface);
    this.ifacesInAll++;
    this.idbLinkTypes.add(iface.linkType);
  }

  /** EPB (interface id 32-bit) and obsolete PB (16-bit): timestamp, lengths, data at +28. */
  private packetBlock(buf: Buffer, off: number, len: number, ifId: number, enhanced: boolean): void {
    const name = enhanced ? 'enhanced packet block' : 'packet block';
    if (len < 32) {
      this.warnOnce('short-pb', off, `${name} too short (${len} bytes); skipped`);
      return;
    }
    const iface = this.ifaces[ifId];
    if (!iface || iface.linkType < 0) {
      this.warnOnce('no-iface', off, `${name} names interface ${ifId}, which this section does not describe; skipped`);
      return;
    }
    const capLen = this.u32(buf, off + 20);
    if (capLen > len - 32) {
      this.warnOnce('caplen', off, `${name} claims ${capLen} captured bytes, more than its length ${len} holds; skipped`);
      return;
    }
    this.timestamp(iface, this.u32(buf, off + 12), this.u32(buf, off + 16));
    const rec = this.rec;
    rec.iface = this.ifacesInAll > 1 ? this.ifacesBefore + ifId : -1;
    rec.direction = enhanced ? this.epbDirection(buf, off + 28 + ((capLen + 3) & ~3), off + len - 4) : -1;
    this.emit(iface, buf, off, off + 28, capLen, this.u32(buf, off + 24));
  }

  /**
   * The direction in an EPB's options (from `at` to `end`), -1 when it has none: epb_flags bits
   * 0-1 say inbound (1) or outbound (2), bits 2-4 how an inbound packet was addressed (unicast,
   * multicast, broadcast, promiscuous), which map onto Linux's packet types (Direction).
   */
  private epbDirection(buf: Buffer, at: number, end: number): number {
    while (at + 4 <= end) {
      const code = this.u16(buf, at);
      const len = this.u16(buf, at + 2);
      if (code === OPT_ENDOFOPT || at + 4 + len > end) break;
      if (code === OPT_EPB_FLAGS && len === 4) {
        const flags = this.u32(buf, at + 4);
        if ((flags & 3) === 2) return 4; // Direction.OUT
        if ((flags & 3) !== 1) return -1;
        const reception = (flags >>> 2) & 7;
        return reception === 2 ? 2 : reception === 3 ? 1 : reception === 4 ? 3 : 0; // MULTICAST, BROADCAST, OTHER_HOST, IN
      }
      at += 4 + ((len + 3) & ~3);
    }
    return -1;
  }

  private simplePacket(buf: Buffer, off: number, len: number): void {
    const iface = this.ifaces[0];
    if (!iface || iface.linkType < 0) {
      this.warnOnce('no-iface', off, 'simple packet block without an interface description in its section; skipped');
      return;
    }
    if (len < 16) {
      this.warnOnce('short-pb', off, `simple packet block too short (${len} bytes); skipped`);
      return;
    }
    const origLen = this.u32(buf, off + 8);
    let capLen = Math.min(origLen, len - 16);
    if (iface.snaplen > 0 && capLen > iface.snaplen) capLen = iface.snaplen;
    // An SPB carries no timestamp: it reuses the time of the packet before it (the previous record
    // of this file, whatever its block type), so relative times and orderings stay sensible.
    this.warnOnce('spb', off, 'simple packet blocks carry no timestamp; each is given the time of the packet before it');
    this.rec.tsSec = this.lastSec;
    this.rec.tsNsec = this.lastNsec;
    this.rec.iface = this.ifacesInAll > 1 ? this.ifacesBefore : -1;
    this.rec.direction = -1;
    this.emit(iface, buf, off, off + 12, capLen, origLen);
  }

  private emit(iface: Iface, buf: Buffer, blockOff: number, dataOff: number, capLen: number, origLen: number): void {
    const rec = this.rec;
    rec.frame = ++this.packets;
    rec.linkType = iface.linkType;
    rec.data = buf;
    rec.offset = dataOff;
    rec.capLen = capLen;
    rec.origLen = origLen < capLen ? capLen : origLen;
    rec.fileOffset = this.base + blockOff;
    this.lastSec = rec.tsSec;
    this.lastNsec = rec.tsNsec;
    if (!iface.used) {
      iface.used = true;
      this.linkTypesSeen.add(iface.linkType);
    }
    this.sink.record(rec);
  }

  /**
   * Converts a 64-bit count of the interface's units into seconds + nanoseconds, exactly. The
   * common units (10^-0 .. 10^-9) use split Number arithmetic; other units (powers of 2, finer than
   * ns) use BigInt.
   */
  private timestamp(iface: Iface, hi: number, lo: number): void {
    const rec = this.rec;
    let sec: number;
    let nsec: number;
    if (iface.div !== 0 && hi < 0x200000) {
      // The count is below 2^53 (every µs timestamp until 2255): one exact Number. The quotient can
      // come out one too high when the division rounds up; the remainder check corrects it.
      const div = iface.div;
      const ts = hi * 4294967296 + lo;
      sec = Math.floor(ts / div);
      let rem = ts - sec * div;
      if (rem < 0) { sec--; rem += div; }
      nsec = rem * iface.nsPerUnit;
    } else if (iface.div !== 0) {
      const div = iface.div; // <= 1e9 < 2^30
      // ts = hi*2^32 + lo, long division in 16-bit steps: every intermediate stays below 2^53,
      // so each quotient and remainder is an exact integer.
      const qa = Math.floor(hi / div);
      const ra = hi - qa * div;
      const x = ra * 65536 + (lo >>> 16);
      const qx = Math.floor(x / div);
      const rx = x - qx * div;
      const y = rx * 65536 + (lo & 0xffff);
      const qy = Math.floor(y / div);
      const ry = y - qy * div;
      sec = qa * 4294967296 + qx * 65536 + qy;
      nsec = ry * iface.nsPerUnit;
    } else {
      const ts = (BigInt(hi) << 32n) | BigInt(lo);
      if (iface.pow2) {
        const shift = BigInt(iface.exp);
        sec = Number(ts >> shift);
        nsec = Number(((ts & ((1n << shift) - 1n)) * 1_000_000_000n) >> shift);
      } else {
        const units = 10n ** BigInt(iface.exp); // exp > 9: finer than ns, cut to ns
        sec = Number(ts / units);
        nsec = Number((ts % units) / 10n ** BigInt(iface.exp - 9));
      }
    }
    rec.tsSec = sec + iface.offsetSec;
    rec.tsNsec = nsec;
  }

  /** A block whose framing cannot be trusted: keep everything before it, warn, stop reading. */
  private corrupt(buf: Buffer, off: number, message: string): number {
    this.warnTruncated(this.base + off, `${message}; the packets before it are analyzed`);
    this.stopped = true;
    return buf.length;
  }

  // Read byte by byte: Buffer's readUInt32LE validates its argument on every call, and this runs
  // several times per packet (callers check the bounds).
  private u32(buf: Buffer, at: number): number {
    return this.little
      ? (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0
      : ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
  }

  private u16(buf: Buffer, at: number): number {
    return this.little ? buf[at]! | (buf[at + 1]! << 8) : (buf[at]! << 8) | buf[at + 1]!;
  }

  /** A problem with one block that does not stop reading: reported the first time only. */
  private warnOnce(key: string, off: number, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.sink.warning({ file: this.file, offset: this.base + off, message, truncated: false });
  }

  private warnTruncated(offset: number, message: string): void {
    this.truncated = true;
    this.sink.warning({ file: this.file, offset, message, truncated: true });
  }
}
