/**
 * Copies of one packet in one capture. tcpdump -i any records a packet once for every interface
 * it crosses: a bridge's ingress and egress ports, both ends of a veth pair, a router's two sides
 * (a Docker or Kubernetes host shows every container-to-container packet twice). Each copy is a
 * capture record of its own, and tracked as one it would be a retransmission of the first: every
 * SYN and FIN "retransmitted" microseconds later, each count doubled.
 *
 * Linux's "any" device records where each packet was seen: which way it went (SLL's packet type:
 * In, Out, P for another host's ...; Segment.direction) and, with SLL2, on which interface
 * (Segment.iface); tcpdump -i any prints both. A copy is the same segment (addresses, ports,
 * sequence and acknowledgment numbers, flags, window, length, and the IPv4 identification where
 * known) seen again somewhere else, moments later: in at one bridge port and out at another, or in
 * at a veth end and in again at the bridge. A true retransmission is sent the same way through
 * the same interface as the segment it repeats, so among the recent segments the latest one with
 * the same key decides: seen elsewhere, a copy; at the same place, not. Other captures made at
 * several places say so too: a pcapng names each packet's interface (and may give its direction,
 * epb_flags), and merged files are places of their own (pipeline.ts, placeOf).
 *
 * A network can also duplicate a packet on its way (a flapping link, a misbehaving switch, netem
 * duplicate): two identical copies at one place. A sender's own retransmission is never identical
 * to the first copy: Linux, Windows and the BSDs give every packet of a connection a new IPv4
 * identification (Linux: a counter per socket). So one seen at the same place is a copy too when
 * its IPv4 identification (not 0) and its checksum say it is the same packet. Not so without an
 * identification: Linux sends a SYN/ACK with identification 0, and its timer's copy and the one
 * answering a SYN sent again can leave within the same millisecond, the same bytes (the client's
 * SYN timer and the server's SYN/ACK timer both run 1 s). A capture that records neither place
 * nor an identification (IPv6, tcpdump text without -v or -i any) is left as it is.
 */
import type { Segment } from './segment.js';

/** How many recent segments (not copies) are remembered, and for how long. */
const RECENT = 64;
const WITHIN_S = 0.1;

/** The fields of a remembered segment. */
const enum F { S, DIRECTION, IFACE, SEQ, ACK, FLAGS, WINDOW, LEN, IP_ID, TS_VAL, CHECKSUM, PORTS, A0, A1, A2, A3, A4, A5, A6, A7, SIZE }

/** Buckets of the index from a segment's key to the latest remembered segment with it. */
const INDEX = 4096;

/**
 * The index bucket of `seg`'s key. Every field of the key goes in: segments that differ only in
 * the IP id (the duplicate ACKs of a loss) or the addresses must not share one.
 */
export function copyBucket(seg: Segment): number {
  const a = seg.addrs;
  let h = Math.imul(seg.seq ^ Math.imul(seg.ack, 0x9e3779b1), 0x85ebca77);
  h = Math.imul(h ^ (h >>> 15) ^ (seg.srcPort * 65536 + seg.dstPort) ^ (seg.flags << 20), 0xc2b2ae3d);
  h = Math.imul(h ^ (h >>> 13) ^ seg.payloadLen ^ (seg.window << 11) ^ Math.imul(seg.ipId, 0x27d4eb2f), 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16) ^ a[3]! ^ Math.imul(a[7]!, 0x85ebca77), 0xc2b2ae3d);
  return (h >>> 20) & (INDEX - 1);
}

export class CopyFilter {
  private readonly recent = new Float64Array(RECENT * F.SIZE);
  /**
   * For each bucket of the key's hash, the number (count) of the latest segment remembered with
   * that hash, or -1: one look instead of a scan of the ring for every segment of a capture made
   * at several places (a scan cost ~0.15 us a segment, ~15 % of tracking; a look ~0.03 us).
   */
  private readonly latest = new Float64Array(INDEX).fill(-1);
  /** Segments remembered so far (the ring's next slot is count % RECENT). */
  private count = 0;
  /** How many copies were found. */
  copies = 0;
  /** The last copy found was seen at the same place as the segment it repeats: the network duplicated it. */
  samePlace = false;

  /** Whether `seg` is a copy of a segment just seen elsewhere, or of the same packet; if not, it is remembered. */
  isCopy(seg: Segment): boolean {
    const identified = seg.ipId > 0;
    if (seg.direction < 0 && seg.iface < 0 && !identified) return false;
    const r = this.recent;
    const ports = seg.srcPort * 65536 + seg.dstPort;
    const a = seg.addrs;
    const bucket = copyBucket(seg);
    const k = this.latest[bucket]!;
    // The latest segment with the key decides (a copy if it was seen elsewhere, a retransmission
    // if at the same place). An empty or stale bucket means none is in the window; one holding
    // another key (two keys, one bucket) sends the search through the ring.
    const at = (k % RECENT) * F.SIZE;
    if (k >= 0 && this.count - k <= RECENT && seg.s - r[at + F.S]! <= WITHIN_S) {
      const o = this.sameKey(at, seg, ports) ? at : this.search(seg, ports);
      const elsewhere = o >= 0 && (r[o + F.DIRECTION] !== seg.direction || r[o + F.IFACE] !== seg.iface);
      if (o >= 0 && (elsewhere || (identified && this.sameBytes(o, seg)))) {
        this.copies++;
        this.samePlace = !elsewhere;
        return true;
      }
    }
    this.latest[bucket] = this.count;
    const o = (this.count++ % RECENT) * F.SIZE;
    r[o + F.S] = seg.s;
    r[o + F.DIRECTION] = seg.direction;
    r[o + F.IFACE] = seg.iface;
    r[o + F.SEQ] = seg.seq;
    r[o + F.ACK] = seg.ack;
    r[o + F.FLAGS] = seg.flags;
    r[o + F.WINDOW] = seg.window;
    r[o + F.LEN] = seg.payloadLen;
    r[o + F.IP_ID] = seg.ipId;
    r[o + F.TS_VAL] = seg.tsVal;
    r[o + F.CHECKSUM] = seg.checksum;
    r[o + F.PORTS] = ports;
    for (let i = 0; i < 8; i++) r[o + F.A0 + i] = a[i]!;
    return false;
  }

  /**
   * Whether `seg` and the segment remembered at `o` carry the same TCP checksum (where both are
   * known): the same bytes. A crafted capture may give every packet one IPv4 identification
   * (scapy's 1) and send other data at the same sequence numbers.
   */
  private sameBytes(o: number, seg: Segment): boolean {
    const c = this.recent[o + F.CHECKSUM]!;
    return c < 0 || seg.checksum < 0 || c === seg.checksum;
  }

  /** Whether the remembered segment at `o` has `seg`'s key. */
  private sameKey(o: number, seg: Segment, ports: number): boolean {
    const r = this.recent;
    const a = seg.addrs;
    return r[o + F.SEQ] === seg.seq && r[o + F.ACK] === seg.ack && r[o + F.PORTS] === ports && r[o + F.FLAGS] === seg.flags &&
      r[o + F.LEN] === seg.payloadLen && r[o + F.WINDOW] === seg.window && r[o + F.IP_ID] === seg.ipId && r[o + F.TS_VAL] === seg.tsVal &&
      r[o + F.A3] === a[3] && r[o + F.A7] === a[7] && r[o + F.A0] === a[0] && r[o + F.A1] === a[1] && r[o + F.A2] === a[2] &&
      r[o + F.A4] === a[4] && r[o + F.A5] === a[5] && r[o + F.A6] === a[6];
  }

  /** Where the latest remembered segment with `seg`'s key within the window is, or -1 (newest first). */
  private search(seg: Segment, ports: number): number {
    const n = Math.min(this.count, RECENT);
    for (let j = 1; j <= n; j++) {
      const o = ((this.count - j) % RECENT) * F.SIZE;
      if (seg.s - this.recent[o + F.S]! > WITHIN_S) return -1;
      if (this.sameKey(o, seg, ports)) return o;
    }
    return -1;
  }
}
