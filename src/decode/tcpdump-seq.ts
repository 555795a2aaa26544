/**
 * Absolute sequence numbers from tcpdump's relative ones (print-tcp.c, tcp_print, 4.99).
 *
 * Unless -S is given, tcpdump keeps one record per conversation (both directions share it) and
 * only looks at it for packets with ACK set:
 *  - no record yet, or the packet has SYN (so a SYN/ACK): the record is (re)set from this packet,
 *    whose numbers are printed as they are: the sender's base is its seq, the peer's is ack - 1;
 *  - otherwise seq is printed minus the sender's base and ack minus the peer's base.
 * Packets without ACK (a SYN, a bare RST, the illegal combinations) always print absolute numbers.
 * So SYN and SYN/ACK show absolute numbers, the first ACK shows `ack 1`, and a RST/ACK answering
 * a SYN to a closed port shows `seq 0, ack <absolute>` (it sets the record itself).
 *
 * seq is printed only with data, SYN, FIN or RST (or -vv); a pure ACK's seq is estimated as the
 * sender's next sequence number (what it is on the wire, bar keep-alives).
 *
 * -S is not written anywhere in the text, so the file's numbering is inferred: once a
 * conversation has a record, relative numbers stay near 0 and absolute ones near the bases.
 */
import { ACK, FIN, SYN, Segment } from './segment.js';

const TWO32 = 4294967296;

export const enum SeqMode {
  UNKNOWN = 0,
  RELATIVE = 1,
  ABSOLUTE = 2,
}

/** What this module keeps per conversation; `a` is the endpoint that created the entry. */
interface Conversation {
  aAddr: string;
  aPort: number;
  bAddr: string;
  bPort: number;
  /** tcpdump's record: present, and the bases of a's and b's numbers. */
  hasBase: boolean;
  baseA: number;
  baseB: number;
  /** Next sequence number of each side as far as seen (-1: unknown), and the last ack each sent. */
  nxtA: number;
  nxtB: number;
  ackA: number;
  ackB: number;
}

/** Offsets below this are "near" (2^16: the evidence must be clear, not a coincidence). */
const NEAR = 65536;

function magnitude(x: number): number {
  return x > 0x7fffffff ? TWO32 - x : x;
}

export class SeqRecovery {
  mode: SeqMode = SeqMode.UNKNOWN;
  private readonly conversations = new Map<string, Conversation>();
  private last: Conversation | null = null;

  /**
   * Turns the printed numbers in `seg` (seq valid only if `seqPrinted`) into absolute ones.
   * Called once per TCP segment, in file order.
   */
  recover(seg: Segment, seqPrinted: boolean): void {
    let c = this.last;
    // Consecutive packets mostly belong to one conversation: check it before building a key.
    if (c === null || !sameConversation(c, seg)) {
      const key = conversationKey(seg);
      c = this.conversations.get(key) ?? null;
      if (c === null) {
        c = {
          aAddr: seg.src, aPort: seg.srcPort, bAddr: seg.dst, bPort: seg.dstPort,
          hasBase: false, baseA: 0, baseB: 0, nxtA: -1, nxtB: -1, ackA: -1, ackB: -1,
        };
        this.conversations.set(key, c);
      }
      this.last = c;
    }
    const fromA = seg.srcPort === c.aPort && seg.src === c.aAddr;
    const f = seg.flags;
    // A pure ACK's seq is not printed: the sender's next one, else what the peer acknowledged.
    if (!seqPrinted) seg.seq = estimateSeq(c, fromA);
    if (f & ACK && this.mode !== SeqMode.ABSOLUTE) {
      if (!c.hasBase || f & SYN) {
        // The packet that (re)sets tcpdump's record is printed as is.
        c.hasBase = true;
        if (!(f & SYN) && seg.ack < NEAR && (!seqPrinted || seg.seq < NEAR)) {
          // tcpdump prints a conversation's first ACK with absolute numbers, random 32-bit
          // values; tiny ones mean the text starts after tcpdump set its record (a pasted
          // excerpt), so they are relative already.
          this.setBases(c, fromA, 0, 0);
        } else {
          this.setBases(c, fromA, seg.seq, (seg.ack - 1) >>> 0);
        }
      } else {
        const seqBase = fromA ? c.baseA : c.baseB;
        const ackBase = fromA ? c.baseB : c.baseA;
        if (this.mode === SeqMode.UNKNOWN) this.judge(seg.ack, ackBase, seqPrinted ? seg.seq : -1, seqBase);
        if ((this.mode as SeqMode) !== SeqMode.ABSOLUTE) {
          if (seqPrinted) seg.seq = (seg.seq + seqBase) >>> 0;
          seg.ack = (seg.ack + ackBase) >>> 0;
        }
      }
    }
    // Remember where each side is, for the pure ACKs whose seq is not printed.
    const next = (seg.seq + seg.payloadLen + (f & SYN ? 1 : 0) + (f & FIN ? 1 : 0)) >>> 0;
    if (fromA) {
      if (c.nxtA < 0 || ((next - c.nxtA) | 0) > 0) c.nxtA = next;
      if (f & ACK) c.ackA = seg.ack;
    } else {
      if (c.nxtB < 0 || ((next - c.nxtB) | 0) > 0) c.nxtB = next;
      if (f & ACK) c.ackB = seg.ack;
    }
  }

  private setBases(c: Conversation, fromA: boolean, senderBase: number, peerBase: number): void {
    if (fromA) {
      c.baseA = senderBase;
      c.baseB = peerBase;
    } else {
      c.baseB = senderBase;
      c.baseA = peerBase;
    }
  }

  /** Decides -S or not from the first packet whose numbers are clearly near 0 or near the bases. */
  private judge(ack: number, ackBase: number, seq: number, seqBase: number): void {
    let rel = magnitude(ack);
    let abs = magnitude((ack - ackBase) >>> 0);
    if (seq >= 0) {
      rel = Math.max(rel, magnitude(seq));
      abs = Math.max(abs, magnitude((seq - seqBase) >>> 0));
    }
    if (rel < NEAR && abs >= NEAR * 64) this.mode = SeqMode.RELATIVE;
    else if (abs < NEAR && rel >= NEAR * 64) this.mode = SeqMode.ABSOLUTE;
  }
}

/** A pure ACK's sequence number (absolute): the sender's next one, else what the peer acknowledged, else 0. */
function estimateSeq(c: Conversation, fromA: boolean): number {
  const nxt = fromA ? c.nxtA : c.nxtB;
  if (nxt >= 0) return nxt;
  const peerAck = fromA ? c.ackB : c.ackA;
  return peerAck >= 0 ? peerAck : 0;
}

function sameConversation(c: Conversation, seg: Segment): boolean {
  if (seg.srcPort === c.aPort && seg.dstPort === c.bPort) return seg.src === c.aAddr && seg.dst === c.bAddr;
  if (seg.srcPort === c.bPort && seg.dstPort === c.aPort) return seg.src === c.bAddr && seg.dst === c.aAddr;
  return false;
}

/** The same key for both directions: the endpoint with the lower port (then address) first. */
function conversationKey(seg: Segment): string {
  const srcFirst = seg.srcPort < seg.dstPort || (seg.srcPort === seg.dstPort && seg.src <= seg.dst);
  return srcFirst
    ? `${seg.src} ${seg.srcPort} ${seg.dst} ${seg.dstPort}`
    : `${seg.dst} ${seg.dstPort} ${seg.src} ${seg.srcPort}`;
}
