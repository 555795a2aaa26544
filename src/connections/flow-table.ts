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
import { Connection } from './connection.js';
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
  private readonly open = new Map<string, Connection>();
  private nextId = 1;
  private readonly result: Tracked = { conn: undefined as unknown as Connection, fromClient: false };
  /**
   * Connections that will be finished at a known capture time, earliest first (a binary heap).
   * Entries name a connection by flow key and id, never by reference: a stale entry must not keep
   * a finished connection alive until its time comes.
   */
  private readonly due: Due[] = [];
  /** The due time last scheduled for each open connection, by id (to skip stale entries). */
  private readonly dueAt = new Map<number, number>();
  private nextSweepS = -Infinity;

  constructor(
    private readonly onFinished: (conn: Connection, endS: number) => void,
    private readonly opts: FlowTableOptions = { timeWaitS: 60, closedGraceS: DEFAULT_CLOSED_GRACE_S },
  ) {}

  /** Finds (or opens) the connection of `seg` and feeds it. The result object is reused. */
  track(seg: Segment): Tracked {
    this.expire(seg.s);
    if (seg.s >= this.nextSweepS) this.sweepIdleHandshakes(seg.s);
    const key = flowKey(seg);
    let conn = this.open.get(key);
    if (conn !== undefined && conn.startsNewIncarnation(seg)) {
      conn.reuse(seg.s, seg.frame);
      this.finish(key, conn, seg.s);
      conn = undefined;
    }
    const opened = conn === undefined;
    if (conn === undefined) {
      conn = new Connection(this.nextId++, seg);
      this.open.set(key, conn);
    }
    const fromClient = conn.isFromClient(seg);
    const version = opened ? -1 : conn.stateVersion;
    conn.observe(seg, fromClient);
    // Only a change of state can make a connection finishable (a pure ACK can: the last ACK of a close).
    if (conn.stateVersion !== version) this.schedule(key, conn);
    this.result.conn = conn;
    this.result.fromClient = fromClient;
    return this.result;
  }

  /** Hands over every connection still in the table, in the order they were opened. */
  end(endS: number): void {
    const rest = [...this.open.values()].sort((a, b) => a.id - b.id);
    this.open.clear();
    this.due.length = 0;
    this.dueAt.clear();
    for (const c of rest) this.onFinished(c, endS);
  }

  get openCount(): number {
    return this.open.size;
  }

  get openedCount(): number {
    return this.nextId - 1;
  }

  /** When `conn` can be finished if nothing else happens to it; null while a side is open. */
  private finishTime(conn: Connection): number | null {
    const c = conn.client.current();
    const s = conn.server.current();
    if (gone(c) && gone(s)) return sumS(conn.lastS, this.opts.closedGraceS);
    const waiting = (st: TcpState, other: TcpState) => st === 'TIME_WAIT' && (gone(other) || other === 'TIME_WAIT');
    if (waiting(c, s) || waiting(s, c)) {
      const entries = [conn.client, conn.server].map((e) => e.timeWaitEnteredS()).filter((t): t is number => t !== null);
      return sumS(Math.max(...entries), this.opts.timeWaitS);
    }
    return null;
  }

  private schedule(key: string, conn: Connection): void {
    const at = this.finishTime(conn);
    if (at === null || this.dueAt.get(conn.id) === at) return;
    this.dueAt.set(conn.id, at);
    heapPush(this.due, { at, key, id: conn.id });
  }

  /** Finishes the connections due by capture time `now` (re-checking: packets may have come since). */
  expire(now: number): void {
    while (this.due.length > 0 && this.due[0]!.at <= now) {
      const { key, id } = heapPop(this.due)!;
      const conn = this.open.get(key);
      if (conn === undefined || conn.id !== id) continue; // already finished
      const at = this.finishTime(conn);
      if (at === null) { this.dueAt.delete(id); continue; }
      if (at > now) { this.dueAt.set(id, at); heapPush(this.due, { at, key, id }); }
      else this.finish(key, conn, at);
    }
  }

  /** Finishes the connections that never got synchronized and have been silent HANDSHAKE_IDLE_S. */
  private sweepIdleHandshakes(now: number): void {
    this.nextSweepS = now + IDLE_SWEEP_S;
    for (const [key, conn] of this.open) {
      if (now - conn.lastS < HANDSHAKE_IDLE_S) continue;
      if (isSynchronized(conn.client.current()) || isSynchronized(conn.server.current())) continue;
      this.finish(key, conn, sumS(conn.lastS, HANDSHAKE_IDLE_S));
    }
  }

  private finish(key: string, conn: Connection, endS: number): void {
    this.open.delete(key);
    this.dueAt.delete(conn.id);
    this.onFinished(conn, endS);
  }
}

/** The same key for both directions: the lower (address, port) first. */
export function flowKey(seg: Segment): string {
  return keyOf(seg.src, seg.srcPort, seg.dst, seg.dstPort);
}

function keyOf(ipA: string, portA: number, ipB: string, portB: number): string {
  const a = `${ipA}|${portA}`;
  const b = `${ipB}|${portB}`;
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

type Due = { at: number; key: string; id: number };

function heapPush(h: Due[], x: Due): void {
  h.push(x);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p]!.at <= x.at) break;
    h[i] = h[p]!;
    i = p;
  }
  h[i] = x;
}

function heapPop(h: Due[]): Due | undefined {
  const top = h[0];
  const last = h.pop();
  if (h.length === 0 || last === undefined) return top;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= h.length) break;
    const r = l + 1;
    const c = r < h.length && h[r]!.at < h[l]!.at ? r : l;
    if (h[c]!.at >= last.at) break;
    h[i] = h[c]!;
    i = c;
  }
  h[i] = last;
  return top;
}
