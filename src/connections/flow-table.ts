/**
 * The flow table: four-tuple (order-independent) -> its current connection incarnation.
 *
 * A connection leaves the table, handed to `onFinished`, as soon as nothing more can happen to it
 * by capture time: a new incarnation took the four-tuple over; its TIME_WAIT expired; or both sides
 * were closed (by a RST) and a short grace passed for segments still in flight, which the closed
 * side answers with RSTs of its own. Memory then follows the connections open at once, not the
 * packets, and the same rule holds for every view, so streamed and whole reports agree.
 *
 * The connections live in a ConnectionStore (store.ts), one slot each; the table finds a slot by
 * the hash of its four-tuple in a chained hash index of typed arrays. A connection scheduled to
 * finish only when its TIME_WAIT ends is parked until then (packed, parking.ts), and taken back by
 * the store whenever the table looks at it again.
 */
import { ACK, FIN, RST, SYN, flowHash, type Segment } from '../decode/segment.js';
import { Connection, carries } from './connection.js';
import { C, ConnectionStore } from './store.js';
import { TcpCode, isSynchronizedCode } from './state.js';
import { sumS } from '../time.js';
import { grown } from '../typed-arrays.js';

export interface Tracked {
  /** The connection of the segment (a view, valid until the next call of `track`). */
  conn: Connection;
  fromClient: boolean;
}

export interface FlowTableOptions {
  /** TIME_WAIT length (seconds): a connection waiting only on TIME_WAIT finishes when it expires. */
  timeWaitS: number;
  /** How long a connection both of whose sides are closed stays to collect late segments. */
  closedGraceS: number;
  /**
   * Finished connections are read by another thread where they are: the store is shared memory,
   * and a finished connection's slot is kept until its reader gives it back (`store.release`).
   */
  shared?: boolean;
  /** When connections waiting out TIME_WAIT are parked (store.ts, parking.ts). Default PARKING. */
  parking?: ParkingPolicy;
  /**
   * With `shared`: gets a finished connection that is parked, by its slot, instead of `onFinished`
   * getting a view of it, so that it is not taken back into a cell here only to be read on another
   * thread (store.parkedRecord, store.copyParked; threads.ts).
   */
  onFinishedParked?: (slot: number, endS: number) => void;
}

/**
 * A connection that will only wait out TIME_WAIT for at least `afterS` more capture seconds is
 * parked until then, once the table holds at least `whenOpen` connections.
 */
export interface ParkingPolicy { afterS: number; whenOpen: number }

/**
 * Parking a connection and taking it back costs a few microseconds. One that waits a TIME_WAIT
 * (60 s) is worth it, the couple of seconds a closed connection waits for late segments is not;
 * and below ~32 k connections held (~55 MB) memory is not worth that time.
 */
export const PARKING: ParkingPolicy = { afterS: 10, whenOpen: 32_768 };

export const DEFAULT_CLOSED_GRACE_S = 2;

/**
 * How long a connection whose endpoint may yet go on (Connection.mayGoOn) waits for late
 * segments: a stack that did not take an ICMP error about its SYN (Linux on loopback, where it
 * arrives within connect(); Windows) sends the SYN again after its 1 s, 2 s ... back-off; an
 * endpoint a firewall or an IPS reset in its name sends its next data or its FIN when its
 * application gets to it. Those segments belong to this connection (and show it went on). Not
 * longer: a live capture reports a finished connection only once its wait is over.
 */
export const GO_ON_GRACE_S = 5;

/**
 * How long a connection waits for late segments when an endpoint took a RST while its
 * retransmission timer ran (Connection.mayRetransmitAfterRst): a RST lost past the capture point
 * leaves the endpoint sending its data or FIN again, after its retransmission timeout, which
 * backs off up to Linux's TCP_RTO_MAX (120 s), plus the timer wheel's slack (an eighth at most).
 * What it sends then shows it never took the RST; a connection of its own ("midstream") would
 * say the opposite (sw32 rs-40c: the FIN came again 5.5 s after the RST).
 */
export const RETRANSMISSION_AFTER_RST_S = 135;

/**
 * How many MPTCP tokens the flow table keeps (FlowTable.mptcpTokens): a subflow joining a
 * connection that opened more MPTCP connections ago than this is not tied to it. Bounded, so
 * memory stays flat on any capture.
 */
const MPTCP_TOKENS_KEPT = 65536;

/**
 * A connection that never got synchronized (a SYN, SYN/ACK or probe nobody completed) is finished
 * after this much capture-time silence: Linux gives up on SYN_SENT after ~127 s and SYN_RECV after
 * ~63 s, so nothing is lost, and a SYN flood of spoofed sources cannot grow the table for ever.
 */
export const HANDSHAKE_IDLE_S = 300;

/**
 * How often (in capture time) the table is swept for such idle handshakes. A sweep rather than a
 * deadline per connection: every connection starts unsynchronized, and a 300 s deadline each would
 * keep a stale entry per connection alive for five minutes of capture.
 */
const IDLE_SWEEP_S = 30;

const gone = (s: TcpCode) => s === TcpCode.CLOSED || s === TcpCode.LISTEN;

/** Where nothing is: an empty bucket, the end of a chain. */
const END = -1;

/**
 * The index keeps, for each slot, the few numbers a lookup compares, in one cache line of a dense
 * array (a slot of the store is over a kilobyte, and looking a packet's connection up in it cost a
 * memory access into a few hundred megabytes at 10 M packets): the four-tuple's hash, the next slot
 * in its bucket, the IP version, the ports, the last address words (all of IPv4's), and the id.
 */
const enum KEY { HASH, NEXT, IP_VERSION, CLIENT_PORT, SERVER_PORT, C3, S3, ID, SIZE }

export class FlowTable {
  readonly store: ConnectionStore;
  /** The view the table tracks with, and the one a finished connection is handed over in. */
  private readonly conn: Connection;
  private readonly finished: Connection;
  /** Whether a finished connection's slot is released here (not by a reader on another thread). */
  private readonly releases: boolean;
  /** The hash index: the first slot of each bucket, and each slot's key (KEY, chained by KEY.NEXT). */
  private buckets = new Int32Array(1024).fill(END);
  private keys = new Float64Array(1024 * KEY.SIZE);
  private openSize = 0;
  private nextId = 1;
  private readonly result: Tracked;
  /**
   * Connections that will be finished at a known capture time, earliest first (a binary heap).
   * Entries name a connection by slot and id, so a stale entry (the connection finished, its slot
   * reused) is recognized and skipped.
   */
  private readonly due = new DueHeap();
  private nextSweepS = -Infinity;
  private readonly parking: ParkingPolicy;
  /**
   * Connections to park (slot and id pairs), once no view of them is in use: at the next segment.
   * A view handed out (`track`'s result, the finished connection) stays valid until then.
   */
  private toPark: number[] = [];
  /**
   * By slot, for a parked connection: when it finishes (finishTime), worked out as it was parked,
   * or NaN when not known then. Nothing changes a parked connection (whoever looks at it takes it
   * back first), so the timer that finishes it need not take it back to work it out again.
   */
  private parkedDue = new Float64Array(1024);
  /**
   * MPTCP tokens (Segment.mptcpToken) of the connections whose MP_CAPABLE handshakes showed a key,
   * to their ids: an MP_JOIN SYN names the one it joins. The oldest go past MPTCP_TOKENS_KEPT.
   */
  private readonly mptcpTokens = new Map<number, number>();

  constructor(
    /** Gets each finished connection: a view of its slot, valid during the call (the slot is then reused). */
    private readonly onFinished: (conn: Connection, endS: number) => void,
    private readonly opts: FlowTableOptions = { timeWaitS: 60, closedGraceS: DEFAULT_CLOSED_GRACE_S },
  ) {
    this.store = new ConnectionStore(opts.shared === true);
    this.releases = opts.shared !== true;
    this.conn = new Connection(this.store);
    this.finished = new Connection(this.store);
    this.result = { conn: this.conn, fromClient: false };
    this.parking = opts.parking ?? PARKING;
  }

  /** Finds (or opens) the connection of `seg` and feeds it. The result object is reused. */
  track(seg: Segment): Tracked {
    if (this.toPark.length > 0) this.parkWaiting();
    this.expire(seg.s);
    if (seg.s >= this.nextSweepS) this.sweepIdleHandshakes(seg.s);
    const hash = flowHash(seg);
    const conn = this.conn;
    let slot = this.find(hash, seg);
    if (slot !== END && this.besideTimeWait.size > 0) slot = this.route(slot, seg);
    let timeWait: BesideTimeWait | null = null;
    if (slot !== END) {
      conn.at(slot);
      if ((seg.flags & SYN) && conn.startsNewIncarnation(seg)) {
        conn.gaveUpBeforeNewIncarnation(seg);
        if (conn.timeWaitRejects(seg)) {
          // Linux's TIME_WAIT answers the SYN with an ACK and keeps the four-tuple; the SYN's
          // socket is a new connection beside it, until the TIME_WAIT ends.
          timeWait = { slot, clientWaits: !conn.isFromClient(seg), answered: false, lastAck: false };
        } else if (conn.lastAckMayHold(seg)) {
          // So does a LAST_ACK socket (one perhaps still there, its last ACK lost): the SYN's
          // sender has left the old connection (its TIME_WAIT reused), the receiver's answer decides.
          const fromClient = conn.isFromClient(seg);
          conn.reuseSide(fromClient, seg.s, seg.frame);
          this.schedule(conn); // both sides may be gone now: it ends soon after, not at its TIME_WAIT's end
          timeWait = { slot, clientWaits: !fromClient, answered: false, lastAck: true };
        } else {
          // A connection opened beside a TIME_WAIT, given up for a SYN with another ISN: the new
          // one stands beside the same TIME_WAIT, whose answer decides again.
          const beside = this.besideTimeWait.size > 0 ? this.besideTimeWait.get(slot) : undefined;
          if (beside !== undefined) timeWait = { ...beside, answered: false };
          conn.reuse(seg.s, seg.frame);
          this.finish(slot, seg.s);
        }
        slot = END;
      }
    }
    const opened = slot === END;
    if (opened) {
      conn.open(this.nextId++, seg);
      this.insert(hash, conn.slot);
      if (timeWait !== null) {
        this.besideTimeWait.set(conn.slot, timeWait);
        this.timeWaitBeside.set(timeWait.slot, conn.slot);
      }
    }
    const fromClient = conn.isFromClient(seg);
    const version = opened ? -1 : conn.stateVersion;
    if (seg.mptcpToken >= 0) this.mptcpSubflow(seg, opened);
    conn.observe(seg, fromClient);
    // A socket connected to itself (Connection.selfConnected) receives every segment it sends:
    // its server side is the same socket, fed the same segment, so both sides go its way (SYN_SENT,
    // SYN_RECEIVED at its own SYN, ESTABLISHED; FIN_WAIT_1, CLOSING at its own FIN, TIME_WAIT).
    // Not a RST: the socket is gone once it sends one, and the copy that reaches it finds nothing.
    if (!(seg.flags & RST) && conn.selfConnected(seg)) conn.observe(seg, false);
    // Only a change of state can make a connection finishable (a pure ACK can: the last ACK of a close).
    if (conn.stateVersion !== version) this.schedule(conn);
    this.result.fromClient = fromClient;
    return this.result;
  }

  /**
   * `seg` is a copy the network made of a segment just tracked (CopyFilter): its connection is
   * told, if it is a FIN (Connection.duplicated; nothing else needs it, and route has effects).
   */
  duplicated(seg: Segment): void {
    if (!(seg.flags & FIN)) return;
    let slot = this.find(flowHash(seg), seg);
    if (slot === END) return;
    if (this.besideTimeWait.size > 0) slot = this.route(slot, seg);
    this.conn.at(slot).duplicated(seg);
  }

  /**
   * An ICMP error quoting a segment (Segment.icmp; `seg` holds the quoted four-tuple): handed to
   * that four-tuple's connection, if the table holds one. An error about nothing tracked opens
   * nothing: it is no packet of a connection.
   */
  icmpError(seg: Segment): void {
    if (this.toPark.length > 0) this.parkWaiting();
    this.expire(seg.s);
    const slot = this.find(flowHash(seg), seg);
    if (slot === END) return;
    const conn = this.conn.at(slot);
    const version = conn.stateVersion;
    conn.icmpError(seg);
    if (conn.stateVersion !== version) this.schedule(conn);
  }

  /**
   * Connections opened beside a TIME_WAIT that did not take their SYN (Connection.timeWaitRejects),
   * by slot, with the TIME_WAIT's connection; and back, by the TIME_WAIT's slot. Both hold the
   * four-tuple until the TIME_WAIT's connection finishes; `route` gives each segment its own.
   */
  private readonly besideTimeWait = new Map<number, BesideTimeWait>();
  private readonly timeWaitBeside = new Map<number, number>();

  /**
   * Which of a TIME_WAIT's connection and the one opened beside it `seg` (found at `slot`) belongs
   * to. The TIME_WAIT's answer to the SYN settles what timeWaitRejects foresaw: its ACK at the old
   * numbers (a `syn-to-time-wait` note on the new connection), or a SYN/ACK while it still waits,
   * which shows it took the SYN after all (timestamps the snap length cut): then it was reused.
   */
  private route(slot: number, seg: Segment): number {
    const beside = this.timeWaitBeside.get(slot);
    if (beside !== undefined) slot = beside;
    const tw = this.besideTimeWait.get(slot);
    if (tw === undefined) return slot;
    const old = this.conn.at(tw.slot);
    const fromWaiter = old.isFromClient(seg) === tw.clientWaits;
    if (tw.lastAck ? old.lastAckTakes(seg, tw.clientWaits) : old.timeWaitTakes(seg, tw.clientWaits)) {
      if (fromWaiter && !tw.answered) {
        tw.answered = true;
        if (tw.lastAck) old.lastAckAnswered(tw.clientWaits, seg.frame);
        const fresh = this.conn.at(slot);
        if (tw.lastAck) fresh.metLastAck();
        else fresh.metTimeWait();
      }
      return tw.slot;
    }
    if (fromWaiter && (seg.flags & (SYN | ACK)) === (SYN | ACK) && !tw.answered) {
      // The waiter took the SYN after all: the TIME_WAIT was reused, the LAST_ACK had closed
      // (or, one the capture showed still waiting, was given up on unseen) before it.
      const stillWaits = tw.lastAck ? old.mayBeInLastAck(tw.clientWaits) : old.stillWaits(tw.clientWaits);
      const fresh = this.conn.at(slot);
      const s = fresh.openingS;
      const frame = fresh.openingFrame;
      if (stillWaits) {
        const waited = this.conn.at(tw.slot);
        if (tw.lastAck) waited.reuseSide(tw.clientWaits, s, frame);
        else waited.reuse(s, frame);
      }
      // A LAST_ACK's connection ends at the SYN either way (both sides are gone now).
      if (stillWaits || tw.lastAck) this.finish(tw.slot, s);
    }
    return slot;
  }

  /** Hands over every connection still in the table, in the order they were opened. */
  end(endS: number): void {
    while (this.endSome(endS, Infinity));
  }

  /**
   * Hands over at most `max` of the connections still in the table, in the order they were opened,
   * and tells whether any remain (call again). A capture's end can finish a couple of hundred
   * thousand connections at once (each waiting out TIME_WAIT): taken in parts, the caller can let
   * the output drain between them.
   */
  endSome(endS: number, max: number): boolean {
    if (this.ending === null) this.ending = this.store.liveSlots().sort((a, b) => this.idOf(a) - this.idOf(b));
    const rest = this.ending;
    const stop = Math.min(rest.length, this.endedCount + max);
    for (; this.endedCount < stop; this.endedCount++) {
      this.handOn(rest[this.endedCount]!, endS);
    }
    if (this.endedCount < rest.length) return true;
    this.ending = null;
    this.endedCount = 0;
    this.buckets.fill(END);
    this.besideTimeWait.clear();
    this.timeWaitBeside.clear();
    this.openSize = 0;
    this.due.clear();
    return false;
  }

  /** While ending: the connections to hand over, and how many are. */
  private ending: number[] | null = null;
  private endedCount = 0;

  get openCount(): number {
    return this.openSize;
  }

  get openedCount(): number {
    return this.nextId - 1;
  }

  private idOf(slot: number): number {
    return this.keys[slot * KEY.SIZE + KEY.ID]!;
  }

  private find(hash: number, seg: Segment): number {
    const k = this.keys;
    const a = seg.addrs;
    for (let s = this.buckets[hash & (this.buckets.length - 1)]!; s !== END; s = k[s * KEY.SIZE + KEY.NEXT]!) {
      const o = s * KEY.SIZE;
      if (k[o + KEY.HASH] !== hash || k[o + KEY.IP_VERSION] !== seg.ipVersion) continue;
      const forward = seg.srcPort === k[o + KEY.CLIENT_PORT] && seg.dstPort === k[o + KEY.SERVER_PORT] && a[3] === k[o + KEY.C3] && a[7] === k[o + KEY.S3];
      const backward = seg.srcPort === k[o + KEY.SERVER_PORT] && seg.dstPort === k[o + KEY.CLIENT_PORT] && a[3] === k[o + KEY.S3] && a[7] === k[o + KEY.C3];
      if (!forward && !backward) continue;
      // IPv4 is all in the key; IPv6's other words are compared in the store.
      if (seg.ipVersion === 4) return s;
      const cell = this.store.cell(s);
      if (carries(this.store.cellChunk(cell), this.store.cellBase(cell), seg)) return s;
    }
    return END;
  }

  /** Enters `slot` (a connection just opened, its four-tuple in the store) under `hash`. */
  private insert(hash: number, slot: number): void {
    const cell = this.store.cell(slot);
    const f = this.store.cellChunk(cell);
    const b = this.store.cellBase(cell);
    f[b + C.FLOW_HASH] = hash;
    if ((slot + 1) * KEY.SIZE > this.keys.length) this.keys = grown(this.keys, Math.max((slot + 1) * KEY.SIZE, this.keys.length * 2));
    const k = this.keys;
    const o = slot * KEY.SIZE;
    k[o + KEY.HASH] = hash;
    k[o + KEY.IP_VERSION] = f[b + C.IP_VERSION]!;
    k[o + KEY.CLIENT_PORT] = f[b + C.CLIENT_PORT]!;
    k[o + KEY.SERVER_PORT] = f[b + C.SERVER_PORT]!;
    k[o + KEY.C3] = f[b + C.C3]!;
    k[o + KEY.S3] = f[b + C.S3]!;
    k[o + KEY.ID] = f[b + C.ID]!;
    // Past one connection per bucket on average, the index doubles (and places this one too).
    if (++this.openSize > this.buckets.length) return this.rehash(this.buckets.length * 2);
    const bucket = hash & (this.buckets.length - 1);
    k[o + KEY.NEXT] = this.buckets[bucket]!;
    this.buckets[bucket] = slot;
  }

  private remove(slot: number): void {
    const k = this.keys;
    const b = k[slot * KEY.SIZE + KEY.HASH]! & (this.buckets.length - 1);
    const next = k[slot * KEY.SIZE + KEY.NEXT]!;
    if (this.buckets[b] === slot) this.buckets[b] = next;
    else {
      let s = this.buckets[b]!;
      while (s !== END && k[s * KEY.SIZE + KEY.NEXT] !== slot) s = k[s * KEY.SIZE + KEY.NEXT]!;
      if (s === END) return;
      k[s * KEY.SIZE + KEY.NEXT] = next;
    }
    k[slot * KEY.SIZE + KEY.NEXT] = END;
    this.openSize--;
  }

  /** A bigger index, holding every open connection. */
  private rehash(size: number): void {
    this.buckets = new Int32Array(size).fill(END);
    const k = this.keys;
    for (const slot of this.store.liveSlots()) {
      const b = k[slot * KEY.SIZE + KEY.HASH]! & (size - 1);
      k[slot * KEY.SIZE + KEY.NEXT] = this.buckets[b]!;
      this.buckets[b] = slot;
    }
  }

  /** When `conn` can be finished if nothing else happens to it; null while a side is open. */
  private finishTime(conn: Connection): number | null {
    const c = conn.client.currentCode();
    const s = conn.server.currentCode();
    // A TIME_WAIT with a connection opened beside it (route) stays as long as it would have waited:
    // a RST that seemed to end it may have been ignored (tcp_rfc1337=1), which its next ACK shows.
    // (One whose LAST_ACK may have taken its SYN ends as any other: the answer comes at once.)
    if (this.timeWaitBeside.size > 0 && this.waitsBesideTimeWait(conn.slot)) {
      const entered = conn.client.timeWaitEnteredS() ?? conn.server.timeWaitEnteredS();
      if (entered !== null) return Math.max(sumS(entered, this.opts.timeWaitS), conn.lastS);
    }
    if (gone(c) && gone(s)) return sumS(conn.lastS, this.closedWaitS(conn));
    if (waitsOnlyOnTimeWait(c, s)) {
      // The later of the two entries (one side at least is in TIME_WAIT).
      const a = conn.client.timeWaitEnteredS();
      const b = conn.server.timeWaitEnteredS();
      return sumS(a === null ? b! : b === null ? a : Math.max(a, b), this.opts.timeWaitS);
    }
    return null;
  }

  /** How long a connection both of whose sides are closed waits for late segments after its last one. */
  private closedWaitS(conn: Connection): number {
    const grace = this.opts.closedGraceS;
    if (conn.mayRetransmitAfterRst) return Math.max(RETRANSMISSION_AFTER_RST_S, grace);
    if (conn.rstReachedOpenEndpoint) return Math.max(this.opts.timeWaitS, conn.mayGoOn ? GO_ON_GRACE_S : 0, grace);
    return conn.mayGoOn ? Math.max(GO_ON_GRACE_S, grace) : grace;
  }

  /** Whether the connection in `slot` holds a TIME_WAIT (not a LAST_ACK) with a connection opened beside it. */
  private waitsBesideTimeWait(slot: number): boolean {
    const beside = this.timeWaitBeside.get(slot);
    return beside !== undefined && !this.besideTimeWait.get(beside)!.lastAck;
  }

  private schedule(conn: Connection): void {
    const at = this.finishTime(conn);
    if (at === null || conn.dueAt === at) return;
    conn.dueAt = at;
    this.due.push(at, conn.slot, conn.id);
    this.parkIfWaiting(conn, at);
  }

  /**
   * A connection left only to wait out TIME_WAIT until `at`, or closed and waiting as long for a
   * RST's receiver (closedWaitS), is parked, if that is far enough away (after `conn.lastS`) and
   * the table holds enough connections (PARKING): until then only a late segment, its timer or
   * the capture's end looks at it again, and each takes it back first (store.cell). Not one
   * waiting 135 s for a retransmission: a record that outlives the 60 s ones written beside it
   * keeps their page (parking.ts), +95 MB at 10 M packets when tried.
   */
  private parkIfWaiting(conn: Connection, at: number): void {
    if (this.openSize < this.parking.whenOpen || at - conn.lastS < this.parking.afterS) return;
    const c = conn.client.currentCode();
    const s = conn.server.currentCode();
    if (!waitsOnlyOnTimeWait(c, s) && !(gone(c) && gone(s) && !conn.mayRetransmitAfterRst)) return;
    this.toPark.push(conn.slot, conn.id);
  }

  private parkWaiting(): void {
    const p = this.toPark;
    for (let i = 0; i < p.length; i += 2) {
      const slot = p[i]!;
      // Still the same open connection (not finished meanwhile by a timer).
      if (!this.store.isLive(slot) || this.idOf(slot) !== p[i + 1] || this.store.isParked(slot)) continue;
      // Its finish time as it is now (a segment may have come since it was scheduled), known only
      // when it is the one the timer waits for (dueAt) and no connection beside its TIME_WAIT can
      // change it behind its back (finishTime; unlinkTimeWait).
      const conn = this.finished.at(slot);
      const at = this.timeWaitBeside.size > 0 && this.timeWaitBeside.has(slot) ? null : this.finishTime(conn);
      if (slot >= this.parkedDue.length) this.parkedDue = grown(this.parkedDue, Math.max(slot + 1, this.parkedDue.length * 2));
      this.parkedDue[slot] = at !== null && at === conn.dueAt ? at : NaN;
      this.store.park(slot);
    }
    p.length = 0;
  }

  /** Finishes the connections due by capture time `now` (re-checking: packets may have come since). */
  expire(now: number): void {
    const due = this.due;
    const conn = this.finished;
    while (due.size > 0 && due.topAt <= now) {
      const slot = due.topSlot;
      const id = due.topId;
      due.pop();
      if (!this.store.isLive(slot) || this.idOf(slot) !== id) continue; // already finished
      if (this.store.isParked(slot)) {
        // Untouched since it was parked: its finish time is the one worked out then (parkedDue).
        const at = this.parkedDue[slot]!;
        if (at === at) {
          if (at > now) due.push(at, slot, id);
          else this.finish(slot, at);
          continue;
        }
      }
      conn.at(slot);
      const at = this.finishTime(conn);
      if (at === null) { conn.dueAt = NaN; continue; }
      if (at > now) { conn.dueAt = at; due.push(at, slot, id); this.parkIfWaiting(conn, at); }
      else this.finish(slot, at);
    }
  }

  /**
   * An MPTCP SYN (RFC 8684 3.2): an MP_CAPABLE one names its sender's token, kept for the
   * connection; an MP_JOIN SYN that opens a connection names the token of the one it joins.
   */
  private mptcpSubflow(seg: Segment, opened: boolean): void {
    const conn = this.conn;
    if (seg.options?.mptcp === 'capable') {
      this.mptcpTokens.delete(seg.mptcpToken); // re-inserted: the newest last
      this.mptcpTokens.set(seg.mptcpToken, conn.id);
      if (this.mptcpTokens.size > MPTCP_TOKENS_KEPT) this.mptcpTokens.delete(this.mptcpTokens.keys().next().value!);
    } else if (opened && !(seg.flags & ACK)) {
      conn.mptcpSubflowOf = this.mptcpTokens.get(seg.mptcpToken) ?? 0;
    }
  }

  /** Finishes the connections that never got synchronized and have been silent HANDSHAKE_IDLE_S. */
  private sweepIdleHandshakes(now: number): void {
    this.nextSweepS = now + IDLE_SWEEP_S;
    const conn = this.finished;
    const idle: number[] = [];
    for (const slot of this.store.liveSlots()) {
      // A parked connection waits out TIME_WAIT: synchronized, not idle (and left parked).
      if (this.store.isParked(slot)) continue;
      conn.at(slot);
      if (now - conn.lastS < HANDSHAKE_IDLE_S) continue;
      if (isSynchronizedCode(conn.client.currentCode()) || isSynchronizedCode(conn.server.currentCode())) continue;
      idle.push(slot);
    }
    // In the order they were opened, as at the capture's end.
    idle.sort((a, b) => this.idOf(a) - this.idOf(b));
    for (const slot of idle) this.finish(slot, sumS(conn.at(slot).lastS, HANDSHAKE_IDLE_S));
  }

  private finish(slot: number, endS: number): void {
    this.remove(slot);
    if (this.besideTimeWait.size > 0) this.unlinkTimeWait(slot);
    this.handOn(slot, endS);
  }

  /**
   * Hands a finished connection on: a view of it to onFinished, then its slot is freed (or kept
   * for the reader on another thread). A parked one goes to onFinishedParked as it is, if there
   * is one: only its run of data sent again (settleDataGiveUps) needs its fields here.
   */
  private handOn(slot: number, endS: number): void {
    const parked = this.opts.onFinishedParked;
    if (parked !== undefined && this.store.isParked(slot) && !this.store.hasResends(slot)) {
      parked(slot, endS);
      this.store.handOver(slot);
      return;
    }
    const conn = this.finished.at(slot);
    conn.settleDataGiveUps(endS);
    this.onFinished(conn, endS);
    if (this.releases) this.store.release(slot);
    else this.store.handOver(slot);
  }

  /** A finishing connection leaves the TIME_WAIT pairing it was in, either side of it. */
  private unlinkTimeWait(slot: number): void {
    const tw = this.besideTimeWait.get(slot);
    if (tw !== undefined) {
      this.besideTimeWait.delete(slot);
      this.timeWaitBeside.delete(tw.slot);
    }
    const beside = this.timeWaitBeside.get(slot);
    if (beside !== undefined) {
      this.timeWaitBeside.delete(slot);
      this.besideTimeWait.delete(beside);
    }
  }
}

/**
 * A TIME_WAIT that may not have taken a SYN: its connection's slot, and which side waits. Or a
 * LAST_ACK (`lastAck`: Connection.lastAckMayHold), which does not take one either.
 */
interface BesideTimeWait {
  slot: number;
  clientWaits: boolean;
  /** The TIME_WAIT answered the SYN with an ACK of its own: it did not take it. */
  answered: boolean;
  lastAck: boolean;
}

/** One side in TIME_WAIT, the other closed or in TIME_WAIT too: only the timer (or a reuse) is left. */
function waitsOnlyOnTimeWait(a: TcpCode, b: TcpCode): boolean {
  return (a === TcpCode.TIME_WAIT && (gone(b) || b === TcpCode.TIME_WAIT)) || (b === TcpCode.TIME_WAIT && gone(a));
}

/**
 * The connections due to finish, earliest first: a binary heap kept in three parallel typed arrays
 * (time, slot, id). An entry lives as long as its wait, a minute for TIME_WAIT, and there is one
 * per scheduling: as numbers there is nothing for the garbage collector to trace.
 */
class DueHeap {
  private at = new Float64Array(1024);
  private slot = new Int32Array(1024);
  private id = new Float64Array(1024);
  size = 0;

  get topAt(): number { return this.at[0]!; }
  get topSlot(): number { return this.slot[0]!; }
  get topId(): number { return this.id[0]!; }

  clear(): void {
    this.size = 0;
  }

  push(at: number, slot: number, id: number): void {
    if (this.size === this.at.length) this.grow();
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.at[p]! <= at) break;
      this.move(p, i);
      i = p;
    }
    this.set(i, at, slot, id);
  }

  /** Drops the earliest entry (read it first through top*). */
  pop(): void {
    const n = --this.size;
    if (n === 0) return;
    // The last entry sifts down from the root.
    const at = this.at[n]!;
    const slot = this.slot[n]!;
    const id = this.id[n]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.at[r]! < this.at[l]! ? r : l;
      if (this.at[c]! >= at) break;
      this.move(c, i);
      i = c;
    }
    this.set(i, at, slot, id);
  }

  private move(from: number, to: number): void {
    this.at[to] = this.at[from]!;
    this.slot[to] = this.slot[from]!;
    this.id[to] = this.id[from]!;
  }

  private set(i: number, at: number, slot: number, id: number): void {
    this.at[i] = at;
    this.slot[i] = slot;
    this.id[i] = id;
  }

  private grow(): void {
    const n = this.at.length * 2;
    this.at = grown(this.at, n);
    this.slot = grown(this.slot, n);
    this.id = grown(this.id, n);
  }
}
