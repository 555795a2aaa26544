/**
 * The flow table: four-tuple (order-independent) -> its current connection incarnation.
 *
 * A connection leaves the table, handed to `onFinished`, as soon as nothing more can happen to it
 * by capture time: a new incarnation took the four-tuple over; its TIME_WAIT expired; or both sides
 * were closed (by a RST) and a short grace passed for segments still in flight, which the closed
 * side answers with RSTs of its own. Memory then follows the connections open at once, not the
 * packets, and the same rule holds for every view, so streamed and whole reports agree.
 */
import type { Segment } from '../decode/segment.js';
import { Connection, type FinishedConnection, ParkedConnection } from './connection.js';
import { type TcpState, isSynchronized } from './state.js';
import { sumS } from '../time.js';

export interface Tracked {
  conn: Connection;
  fromClient: boolean;
}

export interface FlowTableOptions {
  /** TIME_WAIT length (seconds): a connection waiting only on TIME_WAIT finishes when it expires. */
  timeWaitS: number;
  /** How long a connection both of whose sides are closed stays to collect late segments. */
  closedGraceS: number;
}

export const DEFAULT_CLOSED_GRACE_S = 2;

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

const gone = (s: TcpState) => s === 'CLOSED' || s === 'LISTEN';

export class FlowTable {
  /**
   * Open connections by the hash of their four-tuple (a small integer: V8 hashes it without
   * allocating); connections whose hashes collide are chained through `nextSameHash`.
   */
  private readonly open = new Map<number, FinishedConnection>();
  private openSize = 0;
  private nextId = 1;
  private readonly result: Tracked = { conn: undefined as unknown as Connection, fromClient: false };
  /**
   * Connections that will be finished at a known capture time, earliest first (a binary heap).
   * Entries name a connection by flow hash and id, never by reference: a stale entry must not keep
   * a finished connection alive until its time comes.
   */
  private readonly due = new DueHeap();
  /** The due time last scheduled for each open connection, by id (to skip stale entries). */
  private readonly dueAt = new Map<number, number>();
  private nextSweepS = -Infinity;

  constructor(
    /** Gets each finished connection, parked ones as they are (`liveConnection()` unparks them). */
    private readonly onFinished: (conn: FinishedConnection, endS: number) => void,
    private readonly opts: FlowTableOptions = { timeWaitS: 60, closedGraceS: DEFAULT_CLOSED_GRACE_S },
  ) {}

  /** Finds (or opens) the connection of `seg` and feeds it. The result object is reused. */
  track(seg: Segment): Tracked {
    this.expire(seg.s);
    if (seg.s >= this.nextSweepS) this.sweepIdleHandshakes(seg.s);
    const hash = flowHash(seg);
    const found = this.find(hash, seg);
    // A parked connection woken by a segment takes its place in the table again as a Connection.
    let conn = found instanceof ParkedConnection ? this.unpark(found) : found;
    if (conn !== undefined && conn.startsNewIncarnation(seg)) {
      conn.reuse(seg.s, seg.frame);
      this.finish(conn, seg.s);
      conn = undefined;
    }
    const opened = conn === undefined;
    if (conn === undefined) {
      conn = Connection.open(this.nextId++, seg);
      this.insert(hash, conn);
    }
    const fromClient = conn.isFromClient(seg);
    const version = opened ? -1 : conn.stateVersion;
    conn.observe(seg, fromClient);
    // Only a change of state can make a connection finishable (a pure ACK can: the last ACK of a close).
    // One woken from parking by a segment that changed nothing goes back to sleep.
    if (conn.stateVersion !== version || found instanceof ParkedConnection) this.schedule(conn);
    this.result.conn = conn;
    this.result.fromClient = fromClient;
    return this.result;
  }

  /** Hands over every connection still in the table, in the order they were opened. */
  end(endS: number): void {
    const rest = this.entries().sort((a, b) => a.id - b.id);
    this.open.clear();
    this.openSize = 0;
    this.due.clear();
    this.dueAt.clear();
    for (const c of rest) this.onFinished(c, endS);
  }

  get openCount(): number {
    return this.openSize;
  }

  private find(hash: number, seg: Segment): FinishedConnection | undefined {
    for (let c = this.open.get(hash) ?? null; c !== null; c = c.nextSameHash) {
      if (c.carries(seg)) return c;
    }
    return undefined;
  }

  private findById(hash: number, id: number): FinishedConnection | undefined {
    for (let c = this.open.get(hash) ?? null; c !== null; c = c.nextSameHash) {
      if (c.id === id) return c;
    }
    return undefined;
  }

  private insert(hash: number, conn: FinishedConnection): void {
    conn.flowHash = hash;
    conn.nextSameHash = this.open.get(hash) ?? null;
    this.open.set(hash, conn);
    this.openSize++;
  }

  private remove(conn: FinishedConnection): void {
    const head = this.open.get(conn.flowHash);
    if (head === conn) {
      if (conn.nextSameHash === null) this.open.delete(conn.flowHash);
      else this.open.set(conn.flowHash, conn.nextSameHash);
    } else {
      let c = head ?? null;
      while (c !== null && c.nextSameHash !== conn) c = c.nextSameHash;
      if (c === null) return;
      c.nextSameHash = conn.nextSameHash;
    }
    conn.nextSameHash = null;
    this.openSize--;
  }

  /** Puts `next` in the place of `prev` (same four-tuple, same hash chain). */
  private replace(prev: FinishedConnection, next: FinishedConnection): void {
    next.flowHash = prev.flowHash;
    next.nextSameHash = prev.nextSameHash;
    prev.nextSameHash = null;
    const head = this.open.get(prev.flowHash);
    if (head === prev) {
      this.open.set(prev.flowHash, next);
      return;
    }
    let c = head ?? null;
    while (c !== null && c.nextSameHash !== prev) c = c.nextSameHash;
    if (c !== null) c.nextSameHash = next;
  }

  private unpark(parked: ParkedConnection): Connection {
    const conn = parked.unpark();
    this.replace(parked, conn);
    return conn;
  }

  private entries(): FinishedConnection[] {
    const all: FinishedConnection[] = [];
    for (const head of this.open.values()) {
      for (let c: FinishedConnection | null = head; c !== null; c = c.nextSameHash) all.push(c);
    }
    return all;
  }

  get openedCount(): number {
    return this.nextId - 1;
  }

  /** When `conn` can be finished if nothing else happens to it; null while a side is open. */
  private finishTime(conn: Connection): number | null {
    const c = conn.client.current();
    const s = conn.server.current();
    if (gone(c) && gone(s)) return sumS(conn.lastS, this.opts.closedGraceS);
    if (waitsOnlyOnTimeWait(c, s)) {
      // The later of the two entries (one side at least is in TIME_WAIT).
      const a = conn.client.timeWaitEnteredS();
      const b = conn.server.timeWaitEnteredS();
      return sumS(a === null ? b! : b === null ? a : Math.max(a, b), this.opts.timeWaitS);
    }
    return null;
  }

  private schedule(conn: Connection): void {
    const at = this.finishTime(conn);
    if (at === null) return;
    // Only its timer (or a segment that wakes it) is left: parked until then (ParkedConnection).
    if (waitsOnlyOnTimeWait(conn.client.current(), conn.server.current())) this.replace(conn, conn.park(at));
    if (this.dueAt.get(conn.id) === at) return;
    this.dueAt.set(conn.id, at);
    this.due.push(at, conn.flowHash, conn.id);
  }

  /** Finishes the connections due by capture time `now` (re-checking: packets may have come since). */
  expire(now: number): void {
    const due = this.due;
    while (due.size > 0 && due.topAt <= now) {
      const hash = due.topHash;
      const id = due.topId;
      due.pop();
      const conn = this.findById(hash, id);
      if (conn === undefined) continue; // already finished
      const at = conn instanceof ParkedConnection ? conn.finishAt : this.finishTime(conn);
      if (at === null) { this.dueAt.delete(id); continue; }
      if (at > now) { this.dueAt.set(id, at); due.push(at, hash, id); }
      else this.finish(conn, at);
    }
  }

  /** Finishes the connections that never got synchronized and have been silent HANDSHAKE_IDLE_S. */
  private sweepIdleHandshakes(now: number): void {
    this.nextSweepS = now + IDLE_SWEEP_S;
    for (const conn of this.entries()) {
      // A parked connection is synchronized (it waits out TIME_WAIT), and its timer is set.
      if (conn instanceof ParkedConnection || now - conn.lastS < HANDSHAKE_IDLE_S) continue;
      if (isSynchronized(conn.client.current()) || isSynchronized(conn.server.current())) continue;
      this.finish(conn, sumS(conn.lastS, HANDSHAKE_IDLE_S));
    }
  }

  private finish(conn: FinishedConnection, endS: number): void {
    this.remove(conn);
    this.dueAt.delete(conn.id);
    this.onFinished(conn, endS);
  }
}

/** One side in TIME_WAIT, the other closed or in TIME_WAIT too: only the timer (or a reuse) is left. */
function waitsOnlyOnTimeWait(a: TcpState, b: TcpState): boolean {
  return (a === 'TIME_WAIT' && (gone(b) || b === 'TIME_WAIT')) || (b === 'TIME_WAIT' && gone(a));
}

/**
 * The same hash for both directions of a four-tuple: each endpoint (address words, port) is mixed
 * into 32 bits, the two are combined order-independently, and the result kept to 30 bits (a
 * V8 small integer). Connections compare their four-tuples on lookup, so collisions only chain.
 */
export function flowHash(seg: Segment): number {
  const w = seg.addrs;
  const a = endpointHash(w[0]!, w[1]!, w[2]!, w[3]!, seg.srcPort);
  const b = endpointHash(w[4]!, w[5]!, w[6]!, w[7]!, seg.dstPort);
  const lo = a < b ? a : b;
  const hi = a < b ? b : a;
  return (Math.imul(lo ^ Math.imul(hi, 0x85ebca77), 0xc2b2ae3d) >>> 2);
}

function endpointHash(w0: number, w1: number, w2: number, w3: number, port: number): number {
  let h = Math.imul(w3 ^ port, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15) ^ w2, 0x85ebca77);
  h = Math.imul(h ^ (h >>> 13) ^ w1, 0xc2b2ae3d);
  h = Math.imul(h ^ (h >>> 16) ^ w0, 0x27d4eb2f);
  return (h ^ (h >>> 15)) >>> 0;
}

/**
 * The connections due to finish, earliest first: a binary heap kept in three parallel typed arrays
 * (time, flow hash, id). An entry lives as long as its wait, a minute for TIME_WAIT, and there is
 * one per scheduling, so as objects they were promoted to the old generation by the hundred
 * thousand only to die there; as numbers there is nothing to collect.
 */
class DueHeap {
  private at = new Float64Array(1024);
  private hash = new Int32Array(1024);
  private id = new Float64Array(1024);
  size = 0;

  get topAt(): number { return this.at[0]!; }
  get topHash(): number { return this.hash[0]!; }
  get topId(): number { return this.id[0]!; }

  clear(): void {
    this.size = 0;
  }

  push(at: number, hash: number, id: number): void {
    if (this.size === this.at.length) this.grow();
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.at[p]! <= at) break;
      this.move(p, i);
      i = p;
    }
    this.set(i, at, hash, id);
  }

  /** Drops the earliest entry (read it first through top*). */
  pop(): void {
    const n = --this.size;
    if (n === 0) return;
    // The last entry sifts down from the root.
    const at = this.at[n]!;
    const hash = this.hash[n]!;
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
    this.set(i, at, hash, id);
  }

  private move(from: number, to: number): void {
    this.at[to] = this.at[from]!;
    this.hash[to] = this.hash[from]!;
    this.id[to] = this.id[from]!;
  }

  private set(i: number, at: number, hash: number, id: number): void {
    this.at[i] = at;
    this.hash[i] = hash;
    this.id[i] = id;
  }

  private grow(): void {
    const n = this.at.length * 2;
    const at = new Float64Array(n);
    at.set(this.at);
    const hash = new Int32Array(n);
    hash.set(this.hash);
    const id = new Float64Array(n);
    id.set(this.id);
    this.at = at;
    this.hash = hash;
    this.id = id;
  }
}
