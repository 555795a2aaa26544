/**
 * tcpdump text output -> segments: what `tcpdump -r FILE` or a live `tcpdump -l` prints, read
 * back so that the tracker sees the same segments as from the capture itself.
 *
 * A packet line is, left to right (each part optional):
 *
 *     [    N  ]        -#: the packet's number, "%5u  "
 *     [timestamp ]     see tcpdump-time.ts (-t prints none)
 *     [lo    In  ]     -i any on Linux (SLL2): interface name, direction In/Out/B/M/P
 *     [link layer]     -e: MACs, "ethertype IPv4 (0x0800), length N: ", VLAN tags ...
 *     IP | IP6 ...     the network layer (with -e the keyword is left out)
 *     SRC.PORT > DST.PORT: Flags [S.], cksum ..., seq A[:B], ack N, win N, urg N, options [...], length N
 *
 * With -v an IPv4 packet takes two lines: `IP (tos ..., proto TCP (6), length 60)` and the TCP
 * part on an indented continuation line. Other indented lines (payload decoders, -x hex dumps)
 * belong to the packet above and are skipped. Every field is read by scanning, not by regular
 * expressions: this runs once per packet.
 */
import { InputError } from '../input/record.js';
import { formatIPv6, parseAddress } from './addr.js';
import { ACK, AE, CWR, ECE, FIN, MPTCP_FAST_CLOSE, MPTCP_REASON_KNOWN, MPTCP_TCPRST, PSH, RST, SYN, Segment, TcpOptions, URG, noOptions } from './segment.js';
import { mptcpToken } from './mptcp.js';
import { servicePort } from './tcpdump-services.js';
import { SeqRecovery } from './tcpdump-seq.js';
import { DeltaMode, DeltaResolver, TimestampReader, TsKind } from './tcpdump-time.js';
import type { LineDecoder, TextDecodeStats, Tick } from './text-decoder.js';

function noTick(): void {}

/** What the body of a packet line turned out to be. */
const enum Body {
  TCP = 0,
  NON_TCP = 1,
  /** A -v IPv4 header of a TCP packet: the TCP part is on the next line. */
  PENDING = 2,
  /** Not a packet at all (only for lines without timestamp or number, i.e. -t output). */
  NOT_PACKET = 3,
  /**
   * An MPLS label stack with -v, a VXLAN header, a Geneve header with -v: the packet they carry is
   * on the next line (and its TCP part perhaps on the one after).
   */
  PENDING_NETWORK = 4,
  /** An ICMP error about a TCP segment: the segment holds what it quotes (Segment.icmp). */
  ICMP = 5,
  /** A -v ICMPv4 error: the packet it quotes is printed on the next lines (see Quote). */
  ICMP_QUOTE = 6,
  /**
   * A later fragment of a TCP datagram (-v IPv4, or IPv6's fragment header): the segment holds
   * its addresses and Segment.frag* (defrag.ts puts the datagram together).
   */
  FRAGMENT = 7,
  /** A -v IPv4 header of such a fragment: its addresses are on the next line. */
  PENDING_FRAGMENT = 8,
}

/** A tshark summary line: number, time (one or two words), "SRC → DST" (or "->"), protocol, length. */
const TSHARK_SUMMARY = /^\s*\d+\s+\S+(?: \S+)?\s+\S+ (?:\u2192|->) \S+\s+[A-Za-z][\w./-]*\s+\d+ /;

/** What a file of tshark's text output is told (see TcpdumpTextDecoder.tsharkLine). */
export const TSHARK_TEXT =
  "not a capture this reads: tshark's text output (its summary lines give relative sequence numbers without their bases); analyze the capture file itself, or tcpdump's text of it (tcpdump -nn -tt -r FILE)";

/** Lines without any timestamp before giving up on the file as tcpdump text. */
const GIVE_UP_LINES = 1000;
const MAX_LISTED = 1000;

/** A packet of a -ttt/-ttttt file held back until the file's delta meaning is known. */
interface Held {
  frame: number;
  neg: boolean;
  sec: number;
  nsec: number;
  seg: Segment | null;
}

/** A -v IPv4 header line waiting for its TCP line, or an MPLS or tunnel line for the packet it carries. */
interface Pending {
  /** The next line starts with the carried packet (IP, IP6, with -e a bare "(tos ..." or an Ethernet header). */
  network: boolean;
  /** The next line holds a later fragment's addresses ("SRC > DST: ip-proto-6"). */
  fragment: boolean;
  frame: number;
  tsSec: number;
  tsNsec: number;
  held: Held | null;
  /** The delta value of its line, for the TS-val evidence. */
  deltaV: number;
}

/**
 * A -v ICMPv4 error waiting for the packet it quotes: print-icmp.c prints it on the next two
 * lines, its IPv4 header and then its TCP part with the four-tuple and (when at least the first
 * 16 bytes of TCP were quoted) the sequence number, numbered as tcpdump numbers that
 * conversation. Without -v only the quoted destination is printed, for destination unreachable
 * alone.
 */
interface Quote extends Pending {
  /** The error as read from its line; the quoted segment's fields are filled in from the quote. */
  seg: Segment;
  /** The quoted IPv4 header has been read (and said TCP): the TCP line is next. */
  header: boolean;
  /** What the error line alone told was matched to an opening (SeqRecovery.quoted), if the quote fails. */
  matched: boolean;
}

/** `timeWaitS`: the TIME_WAIT length the tracker is given (how long a closed conversation's numbering is kept). */
export function createTcpdumpTextDecoder(file: string, fileIndex: number, timeWaitS?: number): LineDecoder {
  return new TcpdumpTextDecoder(file, fileIndex, timeWaitS);
}

export class TcpdumpTextDecoder implements LineDecoder {
  private readonly ts = new TimestampReader();
  private readonly seqs: SeqRecovery;
  private readonly deltas = new DeltaResolver();
  private readonly st: TextDecodeStats = { packets: 0, tcp: 0, nonTcp: 0, quietTcp: 0, unsizedFragments: 0, unreadTcp: 0, unnamedIcmp: 0, firstUnreadTcpLine: 0, untimed: 0, dumpLines: 0, tsharkLines: 0, unrecognized: 0, unrecognizedLines: [] };
  private frames = 0;
  /** Packet lines so far have carried a timestamp / a -# number. */
  private stamped = false;
  private numbered = false;
  private absolute = true;
  private emit: (seg: Segment) => void = noTick;
  private tick: Tick = noTick;
  private lines = 0;
  private pending: Pending | null = null;
  private quote: Quote | null = null;
  /** What icmpError's line alone matched (see Quote.matched). */
  private quoteMatched = false;
  /** Packets held while the delta meaning is unknown (null once known or never needed). */
  private held: Held[] | null = null;
  /** -ttt: time so far (sum of the deltas). */
  private cumSec = 0;
  private cumNsec = 0;
  /** Facts of the line being parsed, beyond the segment. */
  private seqPrinted = false;
  private tsVal = -1;
  private tsEcr = -1;
  /** An "md5" or "tcp-ao" option was printed (Segment.signed). */
  private signed = false;
  /** What the line's MPTCP items say of a RST (Segment.mptcpRst), and a SYN's token (Segment.mptcpToken). */
  private mptcpRst = 0;
  private mptcpToken = -1;
  /** The line's first SACK block as printed (-1: none). */
  private sackLeft = -1;
  private sackRight = -1;
  private v4Tcp = false;
  /** The -v IPv4 header said ICMP: its error may be about a TCP segment (icmpError). */
  private v4Icmp = false;
  private v4Tunnel = false;
  /** How deep in tunnels the line being read is (tunnelled). */
  private tunnelDepth = 0;
  private v4Frag = false;
  /**
   * What a -v IPv4 header says of fragmenting (ipv4Header): its offset in bytes, MF, its total
   * length, and whether it has options (then its header length is unknown: no reassembly).
   */
  private v4FragOffset = 0;
  private v4More = false;
  private v4Length = 0;
  private v4Options = false;
  /** The IP version of the packet line just read (its outermost network layer; 0: not IP). */
  private lineVersion = 0;
  /** The next column-0 line without a timestamp is the first after a packet (unstamped). */
  private afterPacket = false;
  /** The kind and fraction digits of the file's first packet's timestamp (tcpdump prints all alike). */
  private stampKind: TsKind = TsKind.NONE;
  private stampDigits = 0;
  /** The file has shown a tcpdump -A dump after a packet. */
  private asciiDumps = false;
  /** Packets followed by such lines that look like printed bytes (looksLikeBytes). */
  private packetsWithDump = 0;
  /** Line numbers of lines after packets, while no -A dump has been seen (up to MAX_LISTED). */
  private dumpCandidates: number[] = [];

  constructor(private readonly file: string, private readonly fileIndex: number, timeWaitS?: number) {
    this.seqs = new SeqRecovery(timeWaitS);
  }

  get timeDigits(): number {
    return this.ts.digits;
  }

  /**
   * True while every timestamp read was absolute (-tt seconds since the epoch, -tttt date and
   * time); false once one was a time of day without date, a delta, or missing (-t). The pipe may
   * then leave the capture's absolute start unreported (SPEC section 2: "where the input has it").
   */
  get absoluteTime(): boolean {
    return this.absolute;
  }

  stats(): TextDecodeStats {
    return this.st;
  }

  /**
   * `tick`, when the pipe gives it, hears the frame and time of every packet line that is not a
   * TCP segment (ARP, UDP, ...), in order with the segments: the capture's time starts at its
   * first packet whatever it carried (SPEC section 2), and merged files number every packet.
   */
  line(text: string, lineNo: number, seg: Segment, emit: (seg: Segment) => void, tick?: Tick): void {
    this.emit = emit;
    this.tick = tick ?? noTick;
    this.lines++;
    const len = text.length;
    let p = 0;
    while (p < len && (text.charCodeAt(p) === 32 || text.charCodeAt(p) === 9)) p++;
    if (p === len) return; // blank

    // -#: "%5u  " before everything else. Digits followed by two spaces; an indented IPv4
    // continuation line has digits followed by '.', a -ttt timestamp digits followed by ':'.
    let frameNo = -1;
    let q = p;
    let n = 0;
    while (q < len && q - p < 10) {
      const c = text.charCodeAt(q);
      if (c < 48 || c > 57) break;
      n = n * 10 + (c - 48);
      q++;
    }
    // Every packet line of a file has its number or none does: after unnumbered packets, "12  "
    // is text (an -A payload line).
    if (q > p && text.charCodeAt(q) === 32 && text.charCodeAt(q + 1) === 32 && (this.numbered || this.st.packets === 0)) {
      frameNo = n;
      p = q + 2;
    } else {
      p = 0;
    }

    const afterTs = this.ts.parse(text, p);
    let hasTs = afterTs >= 0;
    if (hasTs && this.asciiDumps && this.ts.kind !== this.stampKind) {
      // -A payload that starts like a timestamp of another kind ("12:00:01.5 ..." in a -tt file).
      hasTs = false;
      p = 0;
    }
    if (hasTs) p = afterTs;
    else if (frameNo < 0 && (text.charCodeAt(0) === 32 || text.charCodeAt(0) === 9 || this.pending?.network === true)) {
      // An indented line belongs to the packet above; so does the line after a VXLAN header,
      // where print-vxlan.c starts the inner frame at column 0.
      this.continuation(text, lineNo, seg);
      return;
    }

    // Once the file has shown timestamps (or -# numbers), a line without them is not a packet:
    // -A payload text and decoders printing an embedded frame write at column 0.
    if (!hasTs && frameNo < 0 && (this.stamped || this.numbered)) {
      this.unstamped(text, lineNo);
      return;
    }

    // A new packet: the -v header before it, if any, got no TCP line; an ICMP error no quote.
    if (this.pending !== null) this.dropPending();
    if (this.quote !== null) this.endQuote();

    const body = this.body(text, p, seg, hasTs || frameNo >= 0);
    if (body === Body.NOT_PACKET) {
      this.unstamped(text, lineNo);
      return;
    }
    this.afterPacket = true;
    this.st.packets++;
    this.frames++;
    if (hasTs && !this.stamped) {
      this.stamped = true;
      this.stampKind = this.ts.kind;
      this.stampDigits = this.ts.fracDigits;
    }
    if (frameNo >= 0) this.numbered = true;
    const frame = frameNo >= 0 ? frameNo : this.frames;

    // The packet's time.
    let held: Held | null = null;
    let deltaV = 0;
    if (this.ts.kind === TsKind.DELTA) {
      this.absolute = false;
      deltaV = (this.ts.negative ? -1 : 1) * (this.ts.sec + this.ts.nsec / 1e9);
      if (this.deltas.mode === DeltaMode.UNKNOWN && this.deltas.packet(deltaV) === DeltaMode.UNKNOWN) {
        held = { frame, neg: this.ts.negative, sec: this.ts.sec, nsec: this.ts.nsec, seg: null };
        (this.held ??= []).push(held);
      } else {
        this.release();
        this.deltaTime(this.ts.negative, this.ts.sec, this.ts.nsec, seg);
      }
    } else if (hasTs) {
      seg.tsSec = this.ts.sec;
      seg.tsNsec = this.ts.nsec;
      if (this.ts.kind === TsKind.TOD) this.absolute = false;
    } else {
      this.absolute = false;
      this.st.untimed++;
      seg.tsSec = 0; // -t: no time at all
      seg.tsNsec = 0;
    }

    if (body === Body.NON_TCP) {
      if (frameNo >= 0 && !hasTs) this.tsharkLine(text); // tshark's "No. Time ..." reads like -# -t
      this.st.nonTcp++;
      // A TCP line this reader does not follow is said, not lost in the non-TCP count.
      if (text.includes(': Flags [') && this.st.unreadTcp++ === 0) this.st.firstUnreadTcpLine = lineNo;
      if (held === null) this.tick(frame, seg.tsSec, seg.tsNsec);
      return;
    }
    if (body === Body.PENDING || body === Body.PENDING_NETWORK || body === Body.PENDING_FRAGMENT) {
      this.pending = { network: body === Body.PENDING_NETWORK, fragment: body === Body.PENDING_FRAGMENT, frame, tsSec: seg.tsSec, tsNsec: seg.tsNsec, held, deltaV };
      return;
    }
    seg.frame = frame;
    if (body === Body.FRAGMENT) this.fragment(seg, held);
    else this.tcp(seg, held, deltaV);
  }

  end(seg: Segment, emit: (seg: Segment) => void, tick?: Tick): void {
    this.emit = emit;
    this.tick = tick ?? noTick;
    if (this.pending !== null) this.dropPending();
    if (this.quote !== null) this.endQuote();
    if (this.held !== null) {
      this.deltas.settle();
      this.release();
    }
    this.settleDumps();
    void seg;
  }

  // ---- packets -------------------------------------------------------------------------------

  /** A TCP segment is decoded (printed numbers): make them absolute and hand it on. */
  private tcp(seg: Segment, held: Held | null, deltaV: number): void {
    seg.fileIndex = this.fileIndex;
    if (seg.icmp < 0) {
      this.st.tcp++;
      this.seqs.recover(seg, this.seqPrinted);
      if (this.sackLeft >= 0 && seg.flags & ACK) {
        // The first SACK block, made absolute as the ack was: a D-SACK when below the ack.
        const left = (this.sackLeft + this.seqs.sackBase) >>> 0;
        if (((left - seg.ack) | 0) < 0) {
          seg.dsackLeft = left;
          seg.dsackRight = (this.sackRight + this.seqs.sackBase) >>> 0;
        }
      }
    } else {
      this.st.nonTcp++; // not a TCP packet, though it is about one
    }
    if (held === null) {
      this.emit(seg);
      return;
    }
    held.seg = seg.clone();
    if (this.tsVal >= 0 && this.deltas.tsVal(`${seg.src} ${seg.srcPort}`, this.tsVal, deltaV) !== DeltaMode.UNKNOWN) {
      this.release();
    }
  }

  /** A later fragment of a TCP datagram is read (its addresses and lengths): hand it on. */
  private fragment(seg: Segment, held: Held | null): void {
    this.st.nonTcp++; // no TCP header in it
    if (held === null) this.emit(seg);
    else held.seg = seg.clone();
  }

  /** The indented line after a packet line. */
  private continuation(text: string, lineNo: number, seg: Segment): void {
    if (this.quote !== null) {
      this.quoted(text);
      return;
    }
    const pend = this.pending;
    if (pend === null) {
      // Payload decoders and hex dumps print indented lines after their packet; before any
      // packet, an indented line is not tcpdump's.
      if (this.st.packets === 0) this.notPacket(text, lineNo);
      return;
    }
    this.pending = null;
    let p = 0;
    while (text.charCodeAt(p) === 32 || text.charCodeAt(p) === 9) p++;
    let body: Body;
    if (pend.fragment) {
      body = this.fragmentAddresses(text, p, seg);
    } else if (pend.network) {
      // The packet an MPLS or tunnel line carries, printed on the lines after it (-v, VXLAN):
      // further MPLS labels "(label ...)" one a line, then "IP (tos ...)", "IP6 ...", with -e
      // the header alone "(tos ...)" or the inner Ethernet frame's.
      if (startsWith(text, p, '(label ')) {
        this.pending = pend;
        return;
      }
      body = this.innerPacket(text, p, seg);
    } else {
      // The TCP part of a -v IPv4 packet, or the outer addresses of a tunnel's.
      body = this.content(text, p, seg, 4);
    }
    if (body === Body.PENDING || body === Body.PENDING_NETWORK || body === Body.PENDING_FRAGMENT) {
      // Its TCP part, or the packet it carries, is on the next line.
      this.pending = { ...pend, network: body === Body.PENDING_NETWORK, fragment: body === Body.PENDING_FRAGMENT };
      return;
    }
    if (body === Body.FRAGMENT) {
      seg.frame = pend.frame;
      seg.tsSec = pend.tsSec;
      seg.tsNsec = pend.tsNsec;
      this.fragment(seg, pend.held);
      return;
    }
    if (body === Body.ICMP_QUOTE) {
      this.quote = { ...pend, seg: seg.clone(), header: false, matched: this.quoteMatched };
      return;
    }
    if (body !== Body.TCP && body !== Body.ICMP) {
      this.st.nonTcp++;
      if (pend.held === null) this.tick(pend.frame, pend.tsSec, pend.tsNsec);
      return;
    }
    seg.frame = pend.frame;
    seg.tsSec = pend.tsSec;
    seg.tsNsec = pend.tsNsec;
    this.tcp(seg, pend.held, pend.deltaV);
  }

  /**
   * A line after a -v ICMPv4 error: the quoted packet's IPv4 header, then its TCP part
   * ("SRC.PORT > DST.PORT: Flags [S], seq 100, ..." or, quoted short, "SRC.PORT > DST.PORT:
   * [|tcp]"). Anything else ends the quote (endQuote).
   */
  private quoted(text: string): void {
    const q = this.quote!;
    let p = 0;
    while (text.charCodeAt(p) === 32 || text.charCodeAt(p) === 9) p++;
    if (!q.header) {
      if (startsWith(text, p, 'IP ')) p += 3;
      const close = text.charCodeAt(p) === 40 ? matchParen(text, p) : -1;
      const proto = close > 0 ? text.indexOf('proto ', p) : -1;
      if (proto < 0 || proto > close) {
        this.endQuote();
        return;
      }
      if (!startsWith(text, proto, 'proto TCP (6)')) {
        // About another protocol (a host unreachable for a UDP datagram): not about TCP.
        q.matched = false;
        this.endQuote();
        return;
      }
      q.header = true;
      return;
    }
    const seg = q.seg;
    const gt = text.indexOf(' > ', p);
    const colon = gt < 0 ? -1 : text.indexOf(':', gt + 3);
    const sDot = gt < 0 ? -1 : text.lastIndexOf('.', gt - 1);
    const dDot = colon < 0 ? -1 : text.lastIndexOf('.', colon - 1);
    if (sDot <= p || dDot <= gt + 3) {
      this.endQuote();
      return;
    }
    seg.src = this.host(text, p, sDot, 4);
    seg.dst = this.host(text, gt + 3, dDot, 4);
    seg.srcPort = port(text, sDot + 1, gt);
    seg.dstPort = port(text, dDot + 1, colon);
    seg.seq = NaN;
    if (startsWith(text, colon, ': Flags [')) {
      const fEnd = text.indexOf(']', colon + 9);
      let flags = 0;
      if (fEnd > 0 && !startsWith(text, colon + 9, 'none')) for (let i = colon + 9; i < fEnd; i++) flags |= flagBit(text.charCodeAt(i));
      const at = fEnd > 0 ? text.indexOf(', seq ', fEnd) : -1;
      if (at > 0) {
        this.uint(text, at + 6);
        seg.seq = this.seqs.quotedSeq(seg, flags, this.num);
      }
    }
    q.matched = true;
    this.endQuote();
  }

  /** Hands on the ICMP error a quote was read for, or counts it as not TCP when nothing tied it to a segment. */
  private endQuote(): void {
    const q = this.quote!;
    this.quote = null;
    if (!q.matched) {
      this.st.nonTcp++;
      if (q.held === null) this.tick(q.frame, q.tsSec, q.tsNsec);
      return;
    }
    const seg = q.seg;
    seg.frame = q.frame;
    seg.tsSec = q.tsSec;
    seg.tsNsec = q.tsNsec;
    this.tsVal = -1; // the quoted segment's TS value is not this packet's
    this.tcp(seg, q.held, q.deltaV);
  }

  private dropPending(): void {
    const pend = this.pending!;
    this.pending = null;
    this.st.nonTcp++;
    if (pend.held === null) this.tick(pend.frame, pend.tsSec, pend.tsNsec);
  }

  /**
   * A column-0 line that is not a packet. After a packet it may be `tcpdump -A` output: the
   * packet's bytes from its IP header on, as ASCII (a '.' for each unprintable byte), over as many
   * lines as the payload has newlines; its first line starts with the IP header
   * (startsLikeIpHeader). Once a packet has been followed by such a line, the file is -A output
   * and the lines after packets are their dumps, skipped in silence (settleDumps decides for the
   * lines seen before that); otherwise they are not tcpdump output.
   */
  private unstamped(text: string, lineNo: number): void {
    if (this.st.packets === 0 || isTcpdumpChatter(text) || text.includes(': Flags [')) {
      // (A line that prints TCP flags is a packet line this reader could not read, not payload.)
      this.notPacket(text, lineNo);
      return;
    }
    if (this.afterPacket) {
      this.afterPacket = false;
      if (looksLikeBytes(text)) this.packetsWithDump++;
      if (!this.asciiDumps && startsLikeIpHeader(text, this.lineVersion)) {
        this.asciiDumps = true;
        // From now on a payload line may look like a packet line: hold timestamps to the
        // file's own shape (see line()).
        this.ts.minDigits = this.stampDigits;
      }
    }
    this.st.dumpLines++;
    if (this.asciiDumps) return;
    if (this.dumpCandidates.length < MAX_LISTED) this.dumpCandidates.push(lineNo);
  }

  /**
   * The file ended: lines after packets are not tcpdump output unless they were -A dumps. A dump
   * whose first line did not start like an IP header (ARP, PPP and PPPoE headers, unknown
   * ethertypes) still shows in the pattern: bytes printed after (nearly) every packet. Prose
   * quoting packet lines (a README, a ticket) has text after them, but not bytes.
   */
  private settleDumps(): void {
    const st = this.st;
    if (this.asciiDumps || st.dumpLines === 0 || this.packetsWithDump * 10 >= st.packets * 9) return;
    st.unrecognized += st.dumpLines;
    st.dumpLines = 0;
    const a = st.unrecognizedLines;
    const b = this.dumpCandidates;
    const merged: number[] = [];
    let i = 0;
    let j = 0;
    while (merged.length < MAX_LISTED && (i < a.length || j < b.length)) {
      merged.push(j >= b.length || (i < a.length && a[i]! < b[j]!) ? a[i++]! : b[j++]!);
    }
    st.unrecognizedLines = merged;
    this.dumpCandidates = [];
  }

  /**
   * tshark's one-line summaries ("  1   0.000000 10.0.0.1 → 10.0.0.2 TCP 74 41101 → 5101 [SYN]
   * Seq=0 ...") are not tcpdump's: relative numbers without their bases, flags in words. Ten of
   * them and no TCP segment read stop the file with an error that says what to give instead.
   */
  private tsharkLine(text: string): void {
    if (!TSHARK_SUMMARY.test(text)) return;
    if (++this.st.tsharkLines >= 10 && this.st.tcp === 0) throw new InputError(this.file, TSHARK_TEXT);
  }

  private notPacket(text: string, lineNo: number): void {
    if (isTcpdumpChatter(text)) return;
    if (this.st.packets === 0) this.tsharkLine(text);
    this.st.unrecognized++;
    if (this.st.unrecognizedLines.length < MAX_LISTED) this.st.unrecognizedLines.push(lineNo);
    if (this.st.packets === 0 && this.st.unrecognized >= GIVE_UP_LINES) {
      throw new InputError(this.file, `not tcpdump text: no packet line among the first ${this.lines} lines`);
    }
  }

  // ---- time ----------------------------------------------------------------------------------

  /** The time of a delta-stamped packet once the file's delta meaning is known. */
  private deltaTime(neg: boolean, sec: number, nsec: number, seg: Segment): void {
    if (this.deltas.mode === DeltaMode.FIRST) {
      // -ttttt: since the first packet, which is day 0 of the epoch.
      if (neg) {
        seg.tsSec = -sec - (nsec > 0 ? 1 : 0);
        seg.tsNsec = nsec > 0 ? 1e9 - nsec : 0;
      } else {
        seg.tsSec = sec;
        seg.tsNsec = nsec;
      }
      return;
    }
    // -ttt: since the previous packet; add them up (in integers: no drift over long files).
    if (neg) {
      this.cumSec -= sec;
      this.cumNsec -= nsec;
      if (this.cumNsec < 0) {
        this.cumNsec += 1e9;
        this.cumSec--;
      }
    } else {
      this.cumSec += sec;
      this.cumNsec += nsec;
      if (this.cumNsec >= 1e9) {
        this.cumNsec -= 1e9;
        this.cumSec++;
      }
    }
    seg.tsSec = this.cumSec;
    seg.tsNsec = this.cumNsec;
  }

  /** The delta meaning is known: time and hand on the held packets, in order. */
  private release(): void {
    const held = this.held;
    if (held === null) return;
    this.held = null;
    for (const h of held) {
      if (h.seg === null) {
        // A packet that was not TCP: it still counts in -ttt's running sum, and has a time.
        this.deltaTime(h.neg, h.sec, h.nsec, this.scratch);
        this.tick(h.frame, this.scratch.tsSec, this.scratch.tsNsec);
        continue;
      }
      this.deltaTime(h.neg, h.sec, h.nsec, h.seg);
      this.emit(h.seg);
    }
  }

  private readonly scratch = { tsSec: 0, tsNsec: 0 } as Segment;

  // ---- the body of a packet line ---------------------------------------------------------------

  /** Everything after the timestamp: interface, link layer, network layer, TCP. */
  private body(text: string, p: number, seg: Segment, isPacket: boolean): Body {
    seg.ipId = -1;
    seg.direction = -1;
    seg.iface = -1;
    seg.fragOffset = -1;
    this.lineVersion = 0;
    p = skipInterface(text, p, seg);
    const ppp = this.pppProtocol(text, p);
    if (ppp !== 0) return this.network(text, this.afterLength, seg, ppp); // -e PPP: "IP (0x0021), length 177: "
    let version = ipKeyword(text, p);
    if (version !== 0) return this.network(text, p + (version === 4 ? 3 : 4), seg, version);
    // With -e the link layer comes first.
    if (startsWith(text, p, 'ip: ')) {
      // Raw IP (LINKTYPE_RAW, print-raw.c): "ip: " and the network layer without its keyword.
      p += 4;
      return this.network(text, p, seg, bareVersion(text, p));
    }
    if (startsWith(text, p, 'version ') && text.indexOf(', resource ID ', p) > 0) {
      // NFLOG (print-nflog.c): "version 0, resource ID 7, family IPv4 (2), length 116: ".
      const family = text.indexOf('family IPv', p);
      const colon = text.indexOf(': ', p);
      if (family < 0 || colon < 0) return Body.NON_TCP;
      version = text.charCodeAt(family + 10) === 52 ? 4 : text.charCodeAt(family + 10) === 54 ? 6 : 0;
      return version === 0 ? Body.NON_TCP : this.network(text, colon + 2, seg, version);
    }
    if (!startsWith(text, p, 'MPLS (') && !startsWith(text, p, 'PPPoE ')) {
      // Ethernet and the like: the network protocol is named by its ethertype.
      const r = this.linkLayer(text, p);
      if (r < 0) return isPacket || looksLikeProtocol(text, p) ? Body.NON_TCP : Body.NOT_PACKET;
      if (r === 0) return Body.NON_TCP;
      if (this.linkVersion !== ENCAPSULATED) return this.network(text, r, seg, this.linkVersion);
      p = r;
    }
    // MPLS or PPPoE between the link layer and IP (with -e: after the ethertype naming it).
    const r = this.encapsulation(text, p);
    if (r < 0) return Body.NON_TCP;
    if (r >= text.length) return Body.PENDING_NETWORK; // -v MPLS: the network layer is on the next line
    // -e PPPoE named the version; otherwise the keyword, or with -e MPLS the layer without it.
    return this.encapVersion !== 0 ? this.network(text, r, seg, this.encapVersion) : this.innerPacket(text, r, seg);
  }

  /** The network layer from its header on (the keyword IP / IP6 already read). */
  private network(text: string, p: number, seg: Segment, version: number): Body {
    if (this.lineVersion === 0) this.lineVersion = version;
    // -v, a packet shorter than its IP length says (cut by the snap length): print-ip.c writes
    // "truncated-ip - 6 bytes missing! " before the header; the TCP header may still be there.
    if (startsWith(text, p, 'truncated-ip')) {
      const bang = text.indexOf('! ', p);
      if (bang < 0) return Body.NON_TCP;
      p = bang + 2;
    }
    if (version === 4 && text.charCodeAt(p) === 40) {
      // -v: "(tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 60)".
      const close = matchParen(text, p);
      if (close < 0) return Body.NON_TCP;
      this.ipv4Header(text, p, close);
      seg.ipId = ipv4Id(text, p, close);
      p = close + 1;
      while (text.charCodeAt(p) === 32) p++;
      if (this.v4Tcp && (this.v4More || this.v4Frag) && !this.v4Options && seg.ipId >= 0 && this.v4Length > 20) {
        // A fragment of a TCP datagram: its lengths, for defrag.ts (20 bytes of header, as there are no options).
        setFragment(seg, this.v4FragOffset, this.v4More ? 1 : 0, seg.ipId, this.v4Length - 20);
        if (this.v4Frag) return p >= text.length ? Body.PENDING_FRAGMENT : this.fragmentAddresses(text, p, seg);
      }
      if ((!this.v4Tcp && !this.v4Tunnel && !this.v4Icmp) || this.v4Frag) return Body.NON_TCP; // other protocols; later fragments
      if (p >= text.length) return Body.PENDING; // the TCP part is on the next line
    } else if (version === 6 && text.charCodeAt(p) === 40) {
      // -v: "(flowlabel 0x..., hlim 64, next-header TCP (6) payload length: 40) " on the same line.
      const close = matchParen(text, p);
      if (close < 0) return Body.NON_TCP;
      p = close + 1;
      while (text.charCodeAt(p) === 32) p++;
    }
    return this.content(text, p, seg, version);
  }

  private linkVersion = 0;
  private encapVersion = 0;
  /** Where the network layer starts after a PPP protocol (pppProtocol). */
  private afterLength = 0;

  /**
   * A PPP protocol as print-ppp.c writes it with -e (PPP links, PPPoE): "IP (0x0021), length 177: "
   * or "IPV6 (0x0057), ...". Returns 4 or 6 (afterLength: where the network layer starts), else 0.
   */
  private pppProtocol(text: string, p: number): number {
    const version = startsWith(text, p, 'IP (0x') ? 4 : startsWith(text, p, 'IPV6 (0x') ? 6 : 0;
    if (version === 0) return 0;
    const colon = text.indexOf(': ', p);
    if (colon < 0) return 0;
    this.afterLength = colon + 2;
    return version;
  }

  /**
   * MPLS labels and PPPoE session headers before the network layer, as print-mpls.c and
   * print-pppoe.c write them: "MPLS (label 16, tc 0, [S], ttl 64) (label ...) " and
   * "PPPoE  [ses 0xf07] " (with -e the PPP protocol follows as "IP (0x0021), length 66: ").
   * Returns where the network layer starts (encapVersion then says 4 or 6, or 0 when a keyword
   * or the bare layer follows), or -1 when what is carried is not IP.
   */
  private encapsulation(text: string, p: number): number {
    this.encapVersion = 0;
    if (startsWith(text, p, 'MPLS (')) {
      p += 5;
      while (text.charCodeAt(p) === 40) {
        const close = matchParen(text, p);
        if (close < 0) return -1;
        p = close + 1;
        while (text.charCodeAt(p) === 32) p++;
      }
      return p;
    }
    if (startsWith(text, p, 'PPPoE ')) {
      const close = text.indexOf(']', p);
      if (close < 0) return -1;
      p = close + 1;
      while (text.charCodeAt(p) === 32) p++;
      const ppp = this.pppProtocol(text, p);
      if (ppp === 0) return ipKeyword(text, p) !== 0 ? p : -1; // LCP, IPCP, ...: not IP
      this.encapVersion = ppp;
      return this.afterLength;
    }
    return -1;
  }

  /**
   * -e output: finds the ethertype chain ("ethertype 802.1Q (0x8100), length 78: vlan 10, p 0,
   * ethertype IPv4 (0x0800), ..."). Returns where the network layer starts (linkVersion then
   * says 4 or 6), 0 for a non-IP protocol, -1 when there is no link layer to read.
   */
  private linkLayer(text: string, p: number): number {
    let e = text.indexOf('ethertype ', p);
    if (e < 0) {
      // BSD loopback (DLT_NULL) with -e: "AF IPv4 (2), length 88: ".
      const af = text.indexOf('AF IPv', p);
      if (af < 0) return -1;
      this.linkVersion = text.charCodeAt(af + 6) === 52 ? 4 : text.charCodeAt(af + 6) === 54 ? 6 : 0;
      const colon = text.indexOf(': ', af);
      return this.linkVersion === 0 || colon < 0 ? 0 : colon + 2;
    }
    for (;;) {
      const hex = text.indexOf('(0x', e);
      if (hex < 0) return 0;
      const type = parseInt(text.slice(hex + 3, hex + 7), 16);
      let q = text.indexOf(')', hex) + 1;
      if (startsWith(text, q, ', ')) q += 2;
      if (startsWith(text, q, 'length ')) {
        const colon = text.indexOf(': ', q);
        if (colon < 0) return 0;
        q = colon + 2;
      }
      if (type === 0x0800 || type === 0x86dd) {
        this.linkVersion = type === 0x0800 ? 4 : 6;
        return q;
      }
      if (type === 0x8847 || type === 0x8848 || type === 0x8864) {
        this.linkVersion = ENCAPSULATED; // MPLS unicast / multicast, PPPoE session: see encapsulation
        return q;
      }
      // 802.1Q, 802.1ad and the old QinQ types: "vlan 10, p 0, ethertype ..." follows.
      if (type !== 0x8100 && type !== 0x88a8 && type !== 0x9100 && type !== 0x9200) return 0;
      e = text.indexOf('ethertype ', q);
      if (e < 0) return 0;
    }
  }

  /**
   * After an outer "SRC > DST: " that is not TCP: the packet a tunnel carries, as print-ip.c,
   * print-gre.c, print-geneve.c and print-vxlan.c write it: IP in IP "IP inner...", GRE "GREv0,
   * length 88: inner...", Geneve "Geneve, Flags [none], vni 0xb: inner..." (with -v the inner
   * packet on the next line), VXLAN "VXLAN, flags [I] (0x08), vni 42" and the inner frame on the
   * next line. With -e the inner packet comes without its keyword (or as an Ethernet frame), with
   * -v as a header that may end the line.
   * Returns -1 when nothing tunnelled starts at `q`.
   */
  private tunnelled(text: string, q: number, seg: Segment): Body | -1 {
    // -vv: the UDP checksum's verdict first, "[udp sum ok] ", "[no cksum] ", "[bad udp cksum ...] ".
    if (text.charCodeAt(q) === 91) {
      const close = text.indexOf('] ', q);
      if (close < 0) return -1;
      q = close + 2;
    }
    if (startsWith(text, q, 'VXLAN, ')) return Body.PENDING_NETWORK; // "VXLAN, flags [I] (0x08), vni 42", the frame on the next line
    if (startsWith(text, q, 'GREv0, ') || startsWith(text, q, 'Geneve, ')) {
      const colon = text.indexOf(': ', q);
      if (colon < 0) return Body.PENDING_NETWORK; // -v: the options end the line, the packet follows
      q = colon + 2;
    } else if (ipKeyword(text, q) === 0 && !bareInnerStart(text, q)) {
      return -1;
    }
    if (this.tunnelDepth >= MAX_TUNNEL_DEPTH) return Body.NON_TCP;
    this.tunnelDepth++;
    const body = this.innerPacket(text, q, seg);
    this.tunnelDepth--;
    return body;
  }

  /** A tunnel's inner packet: IP with or without its keyword, or (-e) an Ethernet frame. */
  private innerPacket(text: string, q: number, seg: Segment): Body {
    const version = ipKeyword(text, q);
    if (version !== 0) return this.network(text, q + (version === 4 ? 3 : 4), seg, version);
    const colon = text.indexOf(': ', q);
    const eth = text.indexOf(', ethertype ', q);
    if (eth >= 0 && (colon < 0 || eth < colon)) {
      const r = this.linkLayer(text, q);
      if (r <= 0 || this.linkVersion === ENCAPSULATED) return Body.NON_TCP;
      return this.network(text, r, seg, this.linkVersion);
    }
    return this.network(text, q, seg, bareVersion(text, q));
  }

  /** Reads "proto TCP (6)" and "offset N" from a -v IPv4 header in [p, close]. */
  private ipv4Header(text: string, p: number, close: number): void {
    const proto = text.indexOf('proto TCP (6)', p);
    this.v4Tcp = proto > 0 && proto < close;
    const icmp = this.v4Tcp ? -1 : text.indexOf('proto ICMP (1)', p);
    this.v4Icmp = icmp > 0 && icmp < close;
    // What a tunnel is carried in (see tunnelled): IPIP (4), IPv6 (41), GRE (47), UDP (17).
    this.v4Tunnel = false;
    for (let i = 0; i < TUNNEL_PROTOS.length && !this.v4Tcp && !this.v4Tunnel; i++) {
      const at = text.indexOf(TUNNEL_PROTOS[i]!, p);
      this.v4Tunnel = at > 0 && at < close;
    }
    const off = text.indexOf('offset ', p);
    this.v4Frag = off > 0 && off < close && text.charCodeAt(off + 7) !== 48; // "offset 0" or not
    // "flags [+]", "[DF]", "[none]": print-ip.c's ip_frag_values, "+" for MF.
    const flags = text.indexOf('flags [', p);
    const flagsEnd = flags > 0 && flags < close ? text.indexOf(']', flags) : -1;
    const plus = flagsEnd > 0 ? text.indexOf('+', flags + 7) : -1;
    this.v4More = plus > 0 && plus < flagsEnd;
    if (!this.v4Tcp || !(this.v4Frag || this.v4More)) return; // not a fragment of TCP: no more to read
    this.v4FragOffset = this.v4Frag ? Number.parseInt(text.slice(off + 7, off + 13), 10) : 0;
    const length = text.lastIndexOf('length ', close);
    this.v4Length = length > p ? Number.parseInt(text.slice(length + 7, close), 10) : 0;
    const options = text.indexOf('options (', p);
    this.v4Options = options > 0 && options < close;
  }

  /**
   * A later IPv4 fragment's addresses, "SRC > DST: ip-proto-6" (print-ip.c prints no ports: the
   * TCP header is not in it). The fragment's lengths are on `seg` already.
   */
  private fragmentAddresses(text: string, p: number, seg: Segment): Body {
    const gt = text.indexOf(' > ', p);
    const colon = gt < 0 ? -1 : text.indexOf(': ', gt + 3);
    if (colon < 0) return Body.NON_TCP;
    seg.ipVersion = 4;
    seg.src = this.host(text, p, gt, 4);
    seg.dst = this.host(text, gt + 3, colon, 4);
    return Body.FRAGMENT;
  }

  /**
   * The network-layer content: "SRC.PORT > DST.PORT: Flags [...]..." for TCP. Anything else
   * there (UDP, ICMP, a tunnel's outer header, a later fragment) is not a TCP packet: the
   * capture's own decoder would not see TCP in it either.
   */
  private content(text: string, p: number, seg: Segment, version: number): Body {
    const gt = text.indexOf(' > ', p);
    if (gt < 0) return Body.NON_TCP;
    let srcStart = text.lastIndexOf(' ', gt - 1) + 1;
    if (srcStart < p) srcStart = p;
    const colon = text.indexOf(': ', gt + 3);
    if (colon < 0) return Body.NON_TCP;
    let hostSrc: string | null = null;
    let hostDst: string | null = null;
    let flagsAt = colon + 2;
    let tcpSrcStart = srcStart;
    let tcpGt = gt;
    let tcpColon = colon;
    seg.icmp = -1;
    if (!startsWith(text, flagsAt, 'Flags [')) {
      // An ICMP error; with -v, ICMPv6's checksum verdict comes first ("[icmp6 sum ok] ICMP6, ...").
      let icmpAt = flagsAt;
      if (text.charCodeAt(icmpAt) === 91 && (startsWith(text, icmpAt + 1, 'icmp6 ') || startsWith(text, icmpAt + 1, 'bad icmp6 '))) {
        const close = text.indexOf('] ', icmpAt);
        if (close > 0) icmpAt = close + 2;
      }
      if (startsWith(text, icmpAt, 'ICMP')) return this.icmpError(text, icmpAt, seg, version, srcStart, gt, colon);
      // -q: "SRC.PORT > DST.PORT: tcp LENGTH", TCP without anything the tracker could follow.
      if (isQuietTcp(text, flagsAt)) {
        this.st.quietTcp++;
        return Body.NON_TCP;
      }
      const inner = this.tunnelled(text, flagsAt, seg);
      if (inner !== -1) return inner;
      // print-ip.c without -v: a later fragment, its protocol number alone (with -v, network()
      // reads its offset and length).
      if (version === 4 && startsWith(text, flagsAt, 'ip-proto-6') && flagsAt + 10 === text.length) this.st.unsizedFragments++;
      // IPv6 with extension headers (ip6_print): "SRC > DST: HBH ... SPORT > DPORT: Flags [" —
      // the addresses come first and TCP then prints its ports alone. A TCP part with its own
      // addresses is tunnelled, not this packet's TCP.
      if (version !== 6) return Body.NON_TCP;
      const f = text.indexOf(': Flags [', colon + 2);
      const frag = text.indexOf('frag (', colon + 2);
      if (frag > 0 && (f < 0 || frag < f)) {
        // print-frag6.c: "frag (0xID:OFFSET|LENGTH)" with -v, "frag (OFFSET|LENGTH)" without.
        if (!this.ipv6Fragment(text, frag + 6, seg)) return Body.NON_TCP;
        if (seg.fragOffset > 0) {
          seg.ipVersion = 6;
          seg.src = address(text.slice(srcStart, gt), 6);
          seg.dst = address(text.slice(gt + 3, colon), 6);
          return Body.FRAGMENT;
        }
      }
      if (f < 0) return Body.NON_TCP;
      tcpColon = f;
      flagsAt = f + 2;
      tcpGt = text.lastIndexOf(' > ', f);
      if (tcpGt <= colon) return Body.NON_TCP;
      tcpSrcStart = text.lastIndexOf(' ', tcpGt - 1) + 1;
      if (!isPortOnly(text, tcpSrcStart, tcpGt) || !isPortOnly(text, tcpGt + 3, tcpColon)) return Body.NON_TCP;
      hostSrc = text.slice(srcStart, gt);
      hostDst = text.slice(gt + 3, colon);
    }
    // The flags: tcp_flag_values in print-tcp.c; 'e' (AE) is printed by tcpdump newer than 4.99.
    const fEnd = text.indexOf(']', flagsAt + 7);
    if (fEnd < 0) return Body.NON_TCP;
    let flags = 0;
    if (!startsWith(text, flagsAt + 7, 'none')) {
      for (let i = flagsAt + 7; i < fEnd; i++) flags |= flagBit(text.charCodeAt(i));
    }
    // "[bad hdr length N - too long, > M]": the header does not fit the packet, which the
    // capture decoder rejects too (malformed). "too short" is printed before any Flags.
    if (text.indexOf('[bad hdr length', fEnd) >= 0) return Body.NON_TCP;

    // Addresses and ports.
    seg.ipVersion = version === 6 ? 6 : 4;
    if (hostSrc === null) {
      const sDot = text.lastIndexOf('.', tcpGt - 1);
      const dDot = text.lastIndexOf('.', tcpColon - 1);
      if (sDot < tcpSrcStart || dDot < tcpGt + 3) return Body.NON_TCP;
      seg.src = this.host(text, tcpSrcStart, sDot, version);
      seg.dst = this.host(text, tcpGt + 3, dDot, version);
      seg.srcPort = port(text, sDot + 1, tcpGt);
      seg.dstPort = port(text, dDot + 1, tcpColon);
    } else {
      seg.src = address(hostSrc, 6);
      seg.dst = address(hostDst!, 6);
      seg.srcPort = port(text, tcpSrcStart, tcpGt);
      seg.dstPort = port(text, tcpGt + 3, tcpColon);
    }
    seg.flags = flags;
    seg.reservedBits = 0; // tcpdump does not print them
    return this.fields(text, fEnd + 1, seg);
  }

  /**
   * An ICMP error line (print-icmp.c, print-icmp6.c): "ICMP 10.0.0.2 tcp port 80 unreachable",
   * "ICMP host 10.0.0.2 unreachable - admin prohibited filter", "ICMP6, destination unreachable,
   * unreachable port, 2001:db8::2 tcp port 80". tcpdump names only the quoted segment's
   * destination (and its port, for a port unreachable); its sender is the error's destination,
   * and the rest comes from the latest opening that fits (SeqRecovery.quoted), the sequence
   * number unknown (NaN). With -v an ICMPv4 error is followed by the packet it quotes (see
   * Quote), which names the segment whole, time exceeded and parameter problem included. Any
   * other ICMP (echo, an error about UDP, one that fits no opening seen) is a packet that is not
   * TCP.
   */
  private icmpError(text: string, p: number, seg: Segment, version: number, srcStart: number, gt: number, colon: number): Body {
    // The -v IPv4 header said ICMP: print-icmp.c prints the quoted packet after an error.
    const quote = version !== 6 && this.v4Icmp;
    const err = version === 6 ? icmp6Error(text, p) : icmp4Error(text, p) ?? (quote ? icmp4Unnamed(text, p) : null);
    if (err === null) {
      if (namesNoPacket(text, p, version)) this.st.unnamedIcmp++;
      return Body.NON_TCP;
    }
    seg.ipVersion = version === 6 ? 6 : 4;
    seg.src = this.host(text, gt + 3, colon, version);
    if (err.addrStart >= 0) seg.dst = this.host(text, err.addrStart, err.addrEnd, version);
    seg.srcPort = -1;
    seg.dstPort = err.port;
    const matched = err.addrStart >= 0 && this.seqs.quoted(seg);
    if (!matched && !quote) return Body.NON_TCP;
    parseAddress(address(text.slice(srcStart, gt), version), seg.ipVersion, SENDER, 0);
    seg.icmpSender.set(SENDER.subarray(0, 4));
    seg.seq = NaN;
    seg.clearAfterSeq();
    seg.icmp = err.typeCode;
    const mtu = err.typeCode === 0x304 ? text.indexOf('(mtu ', err.addrEnd) : -1;
    seg.icmpMtu = mtu > 0 ? Number.parseInt(text.slice(mtu + 5), 10) : NaN;
    this.seqPrinted = false;
    this.tsVal = -1;
    this.quoteMatched = matched;
    return quote ? Body.ICMP_QUOTE : Body.ICMP;
  }

  /**
   * The inside of an IPv6 fragment header's "frag (...)" from `p`: sets Segment.frag* (whether
   * more follow is not printed). False when it does not read as one.
   */
  private ipv6Fragment(text: string, p: number, seg: Segment): boolean {
    let id = 0;
    if (startsWith(text, p, '0x')) {
      const colon = text.indexOf(':', p);
      if (colon < 0) return false;
      id = Number.parseInt(text.slice(p + 2, colon), 16);
      p = colon + 1;
    }
    p = this.uint(text, p);
    const offset = this.num;
    if (text.charCodeAt(p) !== 124) return false; // '|'
    const q = this.uint(text, p + 1);
    if (q === p + 1 || text.charCodeAt(q) !== 41 || Number.isNaN(id)) return false; // ')'
    setFragment(seg, offset, -1, id, this.num);
    return true;
  }

  /** ", cksum ..., seq A:B, ack N, win N, urg N, options [...], length N" after the flags. */
  private fields(text: string, p: number, seg: Segment): Body {
    const len = text.length;
    let seqEnd = -1;
    let payload = -1;
    this.seqPrinted = false;
    this.tsVal = -1;
    this.signed = false;
    this.mptcpRst = 0;
    this.mptcpToken = -1;
    this.sackLeft = -1;
    seg.seq = 0;
    seg.ack = 0;
    seg.window = 0;
    seg.options = null;
    seg.truncated = false;
    seg.dsackLeft = -1;
    seg.dsackRight = -1;
    seg.checksum = -1;
    const wantOptions = (seg.flags & SYN) !== 0;
    while (p < len && startsWith(text, p, ', ')) {
      p += 2;
      const c = text.charCodeAt(p);
      if (c === 115 && startsWith(text, p, 'seq ')) { // seq A or seq A:B (end of the data)
        p = this.uint(text, p + 4);
        seg.seq = this.num;
        this.seqPrinted = true;
        if (text.charCodeAt(p) === 58) {
          p = this.uint(text, p + 1);
          seqEnd = this.num;
        }
      } else if (c === 97 && startsWith(text, p, 'ack ')) {
        p = this.uint(text, p + 4);
        seg.ack = this.num;
      } else if (c === 119 && startsWith(text, p, 'win ')) {
        p = this.uint(text, p + 4);
        seg.window = this.num;
      } else if (c === 117 && startsWith(text, p, 'urg ')) {
        p = this.uint(text, p + 4);
      } else if (c === 108 && startsWith(text, p, 'length ')) {
        p = this.uint(text, p + 7);
        payload = this.num;
        break; // what follows is the payload's decoder
      } else if (c === 111 && startsWith(text, p, 'options [')) {
        p = this.options(text, p + 9, seg, wantOptions);
      } else if (c === 99 && startsWith(text, p, 'cksum ')) {
        // -v: "cksum 0x1234 (incorrect -> 0x5678)": the field as captured (Segment.checksum).
        seg.checksum = hexField(text, p + 6);
        const next = text.indexOf(', ', p);
        p = next < 0 ? len : next;
      } else {
        break;
      }
    }
    // The TCP header was cut by the snaplen: tcpdump says "[|tcp]".
    if (text.indexOf('[|tcp]', p) >= 0) seg.truncated = true;
    // A SYN printed without "options [...]" carried none (as the capture decoder reads it).
    if (wantOptions && seg.options === null) {
      seg.options = noOptions(seg.truncated);
    }
    if (payload < 0) {
      // No "length" (a bad option or a cut header stopped tcpdump): the seq range tells it.
      payload = seqEnd >= 0 && this.seqPrinted ? (seqEnd - seg.seq) >>> 0 : 0;
    }
    seg.payloadLen = payload;
    seg.tsVal = this.tsVal;
    seg.tsEcr = this.tsVal >= 0 ? this.tsEcr : -1;
    seg.signed = this.signed;
    seg.mptcpRst = this.mptcpRst;
    seg.mptcpToken = this.mptcpToken;
    if (!(seg.flags & ACK)) seg.ack = 0;
    return Body.TCP;
  }

  /**
   * "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7]": returns the index past the closing ']'.
   * Items may hold brackets and braces of their own (mptcp, sack blocks), so depth is counted.
   */
  private options(text: string, p: number, seg: Segment, want: boolean): number {
    const len = text.length;
    if (!want && !(seg.flags & RST)) {
      // Nothing to read (neither a SYN nor a RST, whose MPTCP items count) but the timestamps
      // and a SACK's first block: skip to the ']', unless an item holds brackets of its own.
      const close = text.indexOf(']', p);
      const open = text.indexOf('[', p);
      if (close >= 0 && (open < 0 || open > close)) {
        const ts = text.indexOf('TS val ', p);
        if (ts >= 0 && ts < close) this.option(text, ts, close, null);
        const sack = text.indexOf('sack ', p);
        if (sack >= 0 && sack < close) this.sackBlock(text, sack + 5);
        // Neither name can occur in another item (a digest or MAC is printed in hex).
        const md5 = text.indexOf('md5', p);
        const ao = md5 >= 0 && md5 < close ? md5 : text.indexOf('tcp-ao', p);
        if (ao >= 0 && ao < close) this.signed = true;
        return close + 1;
      }
    }
    const o: TcpOptions | null = want ? noOptions() : null;
    let depth = 0;
    let item = p;
    for (; p <= len; p++) {
      const c = p < len ? text.charCodeAt(p) : 93;
      if (c === 91 || c === 123) {
        depth++;
        continue;
      }
      if ((c === 125 || c === 93) && depth > 0) {
        depth--;
        continue;
      }
      if (depth > 0 || (c !== 44 && c !== 93)) continue;
      // One item in [item, p).
      this.option(text, item, p, o);
      item = p + 1;
      if (c === 93) break;
    }
    if (o !== null) seg.options = o;
    return p + 1;
  }

  /** "N {A:B}...": the first block's edges as printed (sackLeft, sackRight). */
  private sackBlock(text: string, p: number): void {
    const brace = text.indexOf('{', p);
    if (brace < 0 || brace > p + 4) return;
    const colon = this.uint(text, brace + 1);
    if (text.charCodeAt(colon) !== 58) return;
    const left = this.num;
    const close = this.uint(text, colon + 1);
    if (text.charCodeAt(close) !== 125) return;
    this.sackLeft = left;
    this.sackRight = this.num;
  }

  /** The item in text[p, end). */
  private option(text: string, p: number, end: number, o: TcpOptions | null): void {
    const c = text.charCodeAt(p);
    if (c === 109 && startsWith(text, p, 'mptcp ')) {
      this.mptcp(text, p + 6, end, o);
      return;
    }
    if (c === 115 && startsWith(text, p, 'sack ')) {
      this.sackBlock(text, p + 5);
      return;
    }
    // TCP-MD5 (RFC 2385: "md5 shared secret not supplied with -M, can't check - HEX", or "md5 valid"
    // with -M) and TCP-AO (RFC 5925: "tcp-ao keyid N rnextkeyid N mac 0xHEX").
    if ((c === 109 && startsWith(text, p, 'md5')) || (c === 116 && startsWith(text, p, 'tcp-ao'))) {
      this.signed = true;
      return;
    }
    if (c === 84 && startsWith(text, p, 'TS val ')) { // RFC 7323 timestamps: "TS val N ecr M"
      if (o !== null) o.timestamps = true;
      const q = this.uint(text, p + 7);
      this.tsVal = this.num;
      if (startsWith(text, q, ' ecr ')) {
        this.uint(text, q + 5);
        this.tsEcr = this.num;
      }
      return;
    }
    if (o === null) return;
    if (c === 109 && startsWith(text, p, 'mss ')) {
      this.uint(text, p + 4);
      o.mss = this.num;
    } else if (c === 119 && startsWith(text, p, 'wscale ')) {
      this.uint(text, p + 7);
      o.windowScale = this.num;
    } else if (c === 115 && startsWith(text, p, 'sackOK')) {
      o.sackPermitted = true;
    } else if ((c === 116 && startsWith(text, p, 'tfo')) || (c === 101 && startsWith(text, p, 'exp-tfo'))) {
      o.fastOpen = true; // RFC 7413 (kind 34) or its experimental form (kind 254, magic 0xF989)
    }
  }

  /**
   * print-mptcp.c's item after "mptcp ": its length, then the subtype's name and fields:
   * "12 capable v1 {0x...}", "12 join id 1 token 0x... nonce 0x...", "12 fast-close key 0x...",
   * "4 tcprst flags [T] reason MPTCP-specific error" (tcpdump 4.99 prints "4 unknown" there:
   * the reset's reason is then not known).
   */
  private mptcp(text: string, p: number, end: number, o: TcpOptions | null): void {
    const sp = text.indexOf(' ', p);
    if (sp < 0 || sp >= end) return;
    p = sp + 1;
    if (startsWith(text, p, 'capable')) {
      if (o === null) return;
      o.mptcp = 'capable';
      // "capable v1 {0xKEY}" (a key printed with its leading zeros dropped): the sender's token.
      const brace = text.indexOf('{0x', p);
      const key = brace >= 0 && brace < end ? /^[0-9a-f]{1,16}(?=[,}])/.exec(text.slice(brace + 3, end)) : null;
      if (key !== null) {
        const hex = key[0].padStart(16, '0');
        this.mptcpToken = mptcpToken(parseInt(hex.slice(0, 8), 16), parseInt(hex.slice(8), 16), startsWith(text, p, 'capable v0') ? 0 : 1);
      }
    } else if (startsWith(text, p, 'join')) {
      if (o === null) return;
      o.mptcp = 'join';
      // "join id 1 token 0xTOKEN nonce 0x..." (a SYN; its SYN/ACK and ACK carry MACs).
      const t = text.indexOf(' token 0x', p);
      if (t >= 0 && t < end) this.mptcpToken = parseInt(text.slice(t + 9, t + 17), 16);
    } else if (startsWith(text, p, 'fast-close')) {
      this.mptcpRst |= MPTCP_FAST_CLOSE;
    } else if (startsWith(text, p, 'tcprst')) {
      const r = text.indexOf(' reason ', p);
      const code = r >= 0 && r < end ? tcprstReason(text.slice(r + 8, end)) : -1;
      this.mptcpRst |= MPTCP_TCPRST | (code >= 0 ? MPTCP_REASON_KNOWN | code : 0);
    }
  }

  private num = 0;
  /** The last two addresses read: most lines repeat them, and reusing the string saves garbage. */
  private hostA = '';
  private hostB = '';

  /** The address in text[p, end), as a string the pcap decoder would write. */
  private host(text: string, p: number, end: number, version: number): string {
    const n = end - p;
    if (this.hostA.length === n && text.startsWith(this.hostA, p)) return this.hostA;
    if (this.hostB.length === n && text.startsWith(this.hostB, p)) {
      const h = this.hostB;
      this.hostB = this.hostA;
      this.hostA = h;
      return h;
    }
    this.hostB = this.hostA;
    this.hostA = address(text.slice(p, end), version);
    // address() may rewrite it (an IPv6 ::a.b.c.d): then it cannot be matched against the text.
    if (this.hostA.length !== n) {
      const h = this.hostA;
      this.hostA = '';
      return h;
    }
    return this.hostA;
  }

  /** Unsigned decimal at p into this.num; returns the index after it. */
  private uint(text: string, p: number): number {
    let v = 0;
    const start = p;
    for (;;) {
      const c = text.charCodeAt(p);
      if (!(c >= 48 && c <= 57) || p - start > 15) break; // NaN past the end stops it too
      v = v * 10 + (c - 48);
      p++;
    }
    this.num = v;
    return p;
  }
}

// ---- helpers ------------------------------------------------------------------------------------

function startsWith(text: string, p: number, s: string): boolean {
  return text.startsWith(s, p);
}

function flagBit(c: number): number {
  switch (c) {
    case 70: return FIN; // F
    case 83: return SYN; // S
    case 82: return RST; // R
    case 80: return PSH; // P
    case 46: return ACK; // .
    case 85: return URG; // U
    case 69: return ECE; // E
    case 87: return CWR; // W
    case 101: return AE; // e (AccECN, tcpdump > 4.99.3)
    default: return 0;
  }
}

/** Index of the ')' that closes the '(' at p, or -1. */
function matchParen(text: string, p: number): number {
  let depth = 0;
  for (let i = p; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40) depth++;
    else if (c === 41 && --depth === 0) return i;
  }
  return -1;
}

/**
 * -i any on Linux (print-sll.c): with LINKTYPE_LINUX_SLL2, "lo    In  IP ..." — the interface
 * name padded to 5 and the direction padded to 3; with LINKTYPE_LINUX_SLL and -e, the direction
 * first (right-aligned to 3), then the link-layer address: " In 00:00:00:00:00:00 ethertype
 * IPv4 ...". Sets seg.direction and seg.iface; returns the index after the name and direction
 * (or p).
 */
function skipInterface(text: string, p: number, seg: Segment): number {
  if (text.charCodeAt(p) === 40) return skipPktapMetadata(text, p, seg);
  let q = p;
  while (text.charCodeAt(q) === 32) q++; // right-aligned to 3: " In", "  P"
  const first = directionAt(text, q);
  if (first >= 0 && text.indexOf(' ethertype ', q) > 0) {
    // SLL with -e: the direction, then the address (left for the link layer to skip).
    seg.direction = first;
    return p;
  }
  const sp = text.indexOf(' ', p);
  if (sp <= p) return p;
  if (startsWith(text, p, 'IP ') || startsWith(text, p, 'IP6 ')) return p;
  let d = sp;
  while (text.charCodeAt(d) === 32) d++;
  const direction = directionAt(text, d);
  if (direction < 0) return p;
  seg.direction = direction;
  seg.iface = nameNumber(text, p, sp);
  let e = d + DIRECTION_NAMES[direction]!.length;
  while (text.charCodeAt(e) === 32) e++;
  return e;
}

/**
 * macOS tcpdump -k on a PKTAP capture (-i any, -i pktap,...) prints the packet's metadata first:
 * "(en0, proc curl:123, svc BE, in) IP ...", the interface name first, a field "in" or "out" for
 * the direction. Sets seg.iface and seg.direction as for Linux's -i any; returns the index after
 * the group (or p when it is not one).
 */
function skipPktapMetadata(text: string, p: number, seg: Segment): number {
  const close = matchParen(text, p);
  if (close < 0 || text.charCodeAt(close + 1) !== 32) return p;
  const fields = text.slice(p + 1, close).split(', ');
  if (fields[0]!.length === 0 || fields[0]!.includes(' ')) return p;
  seg.iface = nameNumber(text, p + 1, p + 1 + fields[0]!.length);
  seg.direction = fields.includes('in') ? 0 : fields.includes('out') ? 4 : -1; // Direction.IN, OUT
  return close + 2;
}

/** A number for the interface name text[from, to) (FNV-1a of its characters: no string made). */
function nameNumber(text: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The directions as print-sll.c names them, by Direction (segment.ts), each with the space after it. */
const DIRECTION_NAMES: readonly string[] = ['In ', 'B ', 'M ', 'P ', 'Out '];

/** The Direction named at `p` ("In ", "Out ", ... followed by a space), or -1. */
function directionAt(text: string, p: number): number {
  for (let i = 0; i < DIRECTION_NAMES.length; i++) {
    if (startsWith(text, p, DIRECTION_NAMES[i]!)) return i;
  }
  return -1;
}

/** Marks `seg` as a fragment of a TCP datagram (Segment.fragOffset and the rest): lengths only. */
function setFragment(seg: Segment, offset: number, more: number, id: number, length: number): void {
  seg.fragOffset = offset;
  seg.fragMore = more;
  seg.fragId = id;
  seg.fragLen = length;
  seg.fragStart = 0;
  seg.fragEnd = 0;
}

/** The "id N" of a -v IPv4 header "(tos 0x0, ttl 64, id 1, offset 0, ...)" between p and close, or -1. */
function ipv4Id(text: string, p: number, close: number): number {
  const at = text.indexOf(', id ', p);
  if (at < 0 || at > close) return -1;
  let id = 0;
  for (let i = at + 5; i < close; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    id = id * 10 + c - 48;
  }
  return id;
}

/** A protocol name opening a -t line ("ARP, ...", "STP 802.1d", "LLDP, ..."): upper case first. */
function looksLikeProtocol(text: string, p: number): boolean {
  const c = text.charCodeAt(p);
  if (c < 65 || c > 90) return false;
  for (let i = p + 1; i < text.length; i++) {
    const d = text.charCodeAt(i);
    if (d === 32 || d === 44) return i - p >= 2;
    if (!((d >= 65 && d <= 90) || (d >= 48 && d <= 57) || d === 45 || d === 46)) return false;
  }
  return false;
}

/** A port alone (IPv6 with extension headers): digits or a service name, no address in it. */
function isPortOnly(text: string, p: number, end: number): boolean {
  if (end <= p) return false;
  for (let i = p; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 || c === 58 || c === 32) return false;
  }
  return true;
}

function port(text: string, p: number, end: number): number {
  let v = 0;
  for (let i = p; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return servicePort(text.slice(p, end)); // resolved: "http", "ssh" ...
    v = v * 10 + (c - 48);
  }
  return v;
}

/**
 * An address as the pcap decoder writes it. tcpdump prints IPv6 with the C library's inet_ntop,
 * which writes ::/96 addresses with a dotted quad ("::0.0.0.2"); RFC 5952 (and addr.ts) does
 * not. Host names (no -n) stay as they are: the only identifier the text has.
 */
function address(host: string, version: number): string {
  if (version !== 6 || host.indexOf('.') < 0 || host.startsWith('::ffff:')) return host;
  const bytes = ipv6Bytes(host);
  return bytes === null ? host : formatIPv6(bytes, 0);
}

function ipv6Bytes(host: string): Uint8Array | null {
  // glibc writes a dotted quad only for ::/96 ("::a.b.c.d") and ::ffff:0:0/96 (kept as is).
  if (!host.startsWith('::')) return null;
  const quad = host.slice(2).split('.');
  if (quad.length !== 4) return null;
  const b = new Uint8Array(16);
  for (let i = 0; i < 4; i++) b[12 + i] = Number(quad[i]);
  return b;
}

/** Where an ICMP error's sender address is parsed to. */
const SENDER = new Uint32Array(8);

/** What an ICMP error line says: type << 8 | code, the quoted destination's text span, its port (-1: not printed). */
interface IcmpLine { typeCode: number; addrStart: number; addrEnd: number; port: number }

/** Destination unreachable's codes by what follows "ADDR unreachable" in print-icmp.c (net, host, neither). */
const UNREACH_REASONS: readonly [string, number, number, number][] = [
  // reason, code for "net ADDR", for "host ADDR", for a bare "ADDR" (-1: not printed so)
  ['', 0, 1, -1],
  [' - need to frag', -1, -1, 4],
  [' - source route failed', -1, -1, 5],
  [' - unknown', 6, 7, -1],
  [' - source host isolated', -1, -1, 8],
  [' - admin prohibited filter', -1, 13, -1],
  [' - admin prohibited', 9, 10, -1],
  [' - tos prohibited', 11, 12, -1],
  [' - host precedence violation', -1, 14, -1],
  [' - precedence cutoff', -1, 15, -1],
];

/**
 * An ICMPv4 destination unreachable about TCP at `p` ("ICMP ..."): "ADDR tcp port P unreachable",
 * "ADDR protocol 6 unreachable", "[net |host ]ADDR unreachable[ - reason]". Null for anything else.
 */
function icmp4Error(text: string, p: number): IcmpLine | null {
  if (!startsWith(text, p, 'ICMP ')) return null;
  let a = p + 5;
  let kind = 2; // net, host, neither: the column of UNREACH_REASONS
  if (startsWith(text, a, 'net ')) { kind = 0; a += 4; } else if (startsWith(text, a, 'host ')) { kind = 1; a += 5; }
  const aEnd = text.indexOf(' ', a);
  if (aEnd <= a) return null;
  if (startsWith(text, aEnd, ' tcp port ')) {
    const un = text.indexOf(' unreachable', aEnd + 10);
    if (un < 0 || kind !== 2) return null;
    return { typeCode: (3 << 8) | 3, addrStart: a, addrEnd: aEnd, port: port(text, aEnd + 10, un) };
  }
  if (startsWith(text, aEnd, ' protocol 6 unreachable')) return kind === 2 ? { typeCode: (3 << 8) | 2, addrStart: a, addrEnd: aEnd, port: -1 } : null;
  if (!startsWith(text, aEnd, ' unreachable')) return null;
  const r = aEnd + 12;
  const end = text.indexOf(', length ', r);
  const reason = text.slice(r, end < 0 ? text.length : end);
  for (const [name, net, host, bare] of UNREACH_REASONS) {
    if (reason !== name && !(name === ' - need to frag' && reason.startsWith(name))) continue;
    const code = kind === 0 ? net : kind === 1 ? host : bare;
    return code < 0 ? null : { typeCode: (3 << 8) | code, addrStart: a, addrEnd: aEnd, port: -1 };
  }
  return null;
}

/**
 * The ICMPv4 errors that name no address, read only with -v where the quoted packet follows:
 * "ICMP time exceeded in-transit", "ICMP ip reassembly time exceeded", "ICMP time
 * exceeded-#N", "ICMP parameter problem - octet N", "ICMP parameter problem - code N".
 */
function icmp4Unnamed(text: string, p: number): IcmpLine | null {
  const named = (typeCode: number): IcmpLine => ({ typeCode, addrStart: -1, addrEnd: -1, port: -1 });
  if (startsWith(text, p, 'ICMP time exceeded in-transit')) return named(11 << 8);
  if (startsWith(text, p, 'ICMP ip reassembly time exceeded')) return named((11 << 8) | 1);
  if (startsWith(text, p, 'ICMP time exceeded-#')) return named((11 << 8) | (Number.parseInt(text.slice(p + 20), 10) & 0xff));
  if (startsWith(text, p, 'ICMP parameter problem - octet ')) return named(12 << 8);
  if (startsWith(text, p, 'ICMP parameter problem - code ')) return named((12 << 8) | (Number.parseInt(text.slice(p + 30), 10) & 0xff));
  return null;
}

/**
 * An ICMP error line that does not say which packet it answers: IPv4 time exceeded and parameter
 * problem (without -v: icmp4Unnamed reads them with their quote), ICMPv6 packet too big,
 * parameter problem, and time exceeded other than in transit.
 */
function namesNoPacket(text: string, p: number, version: number): boolean {
  if (version === 6) {
    return startsWith(text, p, 'ICMP6, packet too big') || startsWith(text, p, 'ICMP6, parameter problem') || startsWith(text, p, 'ICMP6, time exceeded');
  }
  return icmp4Unnamed(text, p) !== null;
}

/** ICMPv6 destination unreachable's codes by tcpdump's name for them (print-icmp6.c). */
const UNREACH6_NAMES: readonly [string, number][] = [
  ['unreachable route', 0], ['unreachable prohibited', 1], ['beyond scope', 2], ['unreachable address', 3], ['unreachable port', 4],
];

/**
 * An ICMPv6 error about TCP at `p` that names an address: "ICMP6, destination unreachable,
 * unreachable port, ADDR tcp port P", another code's name and the address, or "ICMP6, time
 * exceeded in-transit for ADDR". Null for anything else.
 */
function icmp6Error(text: string, p: number): IcmpLine | null {
  // "ICMP6, time exceeded in-transit for ADDR" (code 0; the other codes name no address).
  const exceeded = 'ICMP6, time exceeded in-transit for ';
  if (startsWith(text, p, exceeded)) {
    const a = p + exceeded.length;
    let aEnd = a;
    while (aEnd < text.length && text.charCodeAt(aEnd) !== 32 && text.charCodeAt(aEnd) !== 44) aEnd++;
    return aEnd > a ? { typeCode: 3 << 8, addrStart: a, addrEnd: aEnd, port: -1 } : null;
  }
  const head = 'ICMP6, destination unreachable,';
  if (!startsWith(text, p, head)) return null;
  let q = p + head.length;
  while (text.charCodeAt(q) === 32) q++;
  for (const [name, code] of UNREACH6_NAMES) {
    if (!startsWith(text, q, name)) continue;
    let a = q + name.length;
    while (text.charCodeAt(a) === 44 || text.charCodeAt(a) === 32) a++;
    let aEnd = a;
    while (aEnd < text.length && text.charCodeAt(aEnd) !== 32 && text.charCodeAt(aEnd) !== 44) aEnd++;
    if (aEnd === a) return null;
    if (code !== 4) return { typeCode: (1 << 8) | code, addrStart: a, addrEnd: aEnd, port: -1 };
    if (!startsWith(text, aEnd, ' tcp port ')) return null;
    let pEnd = aEnd + 10;
    while (pEnd < text.length && text.charCodeAt(pEnd) !== 44 && text.charCodeAt(pEnd) !== 32) pEnd++;
    return { typeCode: (1 << 8) | 4, addrStart: a, addrEnd: aEnd, port: port(text, aEnd + 10, pEnd) };
  }
  return null;
}

/**
 * An MP_TCPRST reason as tcpdump prints it (RFC 8684 3.6's names: "Unspecified error",
 * "MPTCP-specific error", ... ; a code without a name as hex): its code, -1 when not read.
 */
function tcprstReason(text: string): number {
  const t = text.toLowerCase();
  const code = TCPRST_REASON_WORDS.findIndex((w) => t.startsWith(w));
  if (code >= 0) return code;
  const hex = /0x([0-9a-f]{1,2})\b/.exec(t);
  return hex ? parseInt(hex[1]!, 16) : -1;
}
const TCPRST_REASON_WORDS = ['unspecified', 'mptcp-specific', 'lack of resources', 'administratively prohibited',
  'too much outstanding data', 'unacceptable performance', 'middlebox interference'];

/** linkVersion of an ethertype that carries MPLS or PPPoE (what they carry is read after them). */
const ENCAPSULATED = -1;

/** How a -v IPv4 header names the protocols a tunnel is carried in (see tunnelled). */
const TUNNEL_PROTOS = ['proto IPIP (4)', 'proto IPv6 (41)', 'proto GRE (47)', 'proto UDP (17)'];

/** Tunnels within tunnels are followed this deep in a line (as the capture decoder does). */
const MAX_TUNNEL_DEPTH = 4;

/**
 * Whether an inner packet printed without its keyword starts at `q` (-e): a -v header
 * "(tos ..." / "(hlim ..." / "(flowlabel ..." / "(class ...", or "ADDR.PORT > ADDR.PORT: Flags [".
 * Other protocols after an outer "SRC > DST: " start with a name (ICMP, GREv0, ESP ...).
 */
function bareInnerStart(text: string, q: number): boolean {
  if (text.charCodeAt(q) === 40) {
    return startsWith(text, q, '(tos ') || startsWith(text, q, '(hlim ') || startsWith(text, q, '(flowlabel ') || startsWith(text, q, '(class ');
  }
  const c = text.charCodeAt(q);
  const hexOrDigit = (c >= 48 && c <= 58) || (c >= 97 && c <= 102);
  if (!hexOrDigit) return false;
  const gt = text.indexOf(' > ', q);
  const colon = text.indexOf(': ', gt + 3);
  return gt > q && colon > gt && startsWith(text, colon + 2, 'Flags [') && text.lastIndexOf(' ', gt - 1) < q;
}

/** 4 for "IP ", 6 for "IP6 " at `p`, else 0. */
function ipKeyword(text: string, p: number): number {
  return startsWith(text, p, 'IP ') ? 4 : startsWith(text, p, 'IP6 ') ? 6 : 0;
}

/**
 * The IP version of a network layer printed without its keyword (-e under MPLS, raw IP): an IPv6
 * source address has colons, an IPv4 one (or a host name) none.
 */
function bareVersion(text: string, p: number): number {
  if (text.charCodeAt(p) === 40) return startsWith(text, p, '(tos ') ? 4 : 6; // -v: IPv6 prints "(flowlabel ..." or "(class ..."
  const gt = text.indexOf(' > ', p);
  const colon = text.indexOf(':', p);
  return colon >= 0 && (gt < 0 || colon < gt) ? 6 : 4;
}

/** `tcp LENGTH` at `p`: what tcpdump -q prints for a TCP packet (print-tcp.c, qflag). */
function isQuietTcp(text: string, p: number): boolean {
  if (!startsWith(text, p, 'tcp ')) return false;
  let q = p + 4;
  const digits = q;
  while (q < text.length && text.charCodeAt(q) >= 48 && text.charCodeAt(q) <= 57) q++;
  return q > digits && (q === text.length || text.charCodeAt(q) === 32);
}

/** IPv6 next headers as -A prints them: TCP, UDP, hop-by-hop ('.'), fragment (','), routing ('+'), destination options ('<'), ICMPv6 (':'). */
const IPV6_NEXT_HEADERS = '.,+<:';

/**
 * An IPv`version` header as tcpdump -A prints it ('.' for an unprintable byte): its first byte,
 * version and header length ('E' 0x45 ... 'O') or traffic class ('`' 0x60 ... 'o'), and the
 * protocol byte (IPv4's 10th, IPv6's 7th: next header) unprintable, as TCP (6), UDP (17) and
 * ICMP (1) are, or an IPv6 extension header's. Text that merely starts with a capital letter or
 * a backquote is not taken for one.
 */
function startsLikeIpHeader(text: string, version: number): boolean {
  const c = text.charCodeAt(0);
  if (version === 4) return c >= 0x45 && c <= 0x4f && text.charCodeAt(9) === 46;
  if (version === 6) return c >= 0x60 && c <= 0x6f && IPV6_NEXT_HEADERS.includes(text.charAt(6));
  return false;
}

/**
 * A line of bytes as tcpdump -A prints them: at least a quarter of its first 40 characters (and
 * two) '.', which stands for every unprintable byte, as most bytes of a protocol header are.
 */
function looksLikeBytes(text: string): boolean {
  const n = Math.min(text.length, 40);
  let dots = 0;
  for (let i = 0; i < n; i++) if (text.charCodeAt(i) === 46) dots++;
  return dots >= 2 && dots * 4 >= n;
}

/** tcpdump's own lines that are not packets: headers, counters, warnings. */
function isTcpdumpChatter(text: string): boolean {
  return (
    text.startsWith('reading from file ') ||
    text.startsWith('listening on ') ||
    text.startsWith('tcpdump: ') ||
    / packets? (captured|received by filter|dropped by (kernel|interface))$/.test(text)
  );
}

/** The "0x" hexadecimal number at `p` (at most 8 digits), or -1. */
function hexField(text: string, p: number): number {
  if (text.charCodeAt(p) !== 48 || text.charCodeAt(p + 1) !== 120) return -1;
  let n = 0;
  let i = p + 2;
  for (; i < text.length && i < p + 10; i++) {
    const c = text.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) break;
    n = n * 16 + d;
  }
  return i === p + 2 ? -1 : n;
}
