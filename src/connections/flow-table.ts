/**
 * The flow table: four-tuple (order-independent) -> its current connection incarnation.
 *
 * Connections are handed to `onFinished` as soon as nothing more can happen to them (both sides
 * closed, TIME_WAIT expired by capture time, or the four-tuple taken over by a new incarnation),
 * so a streaming view can print and forget them; the rest are handed over by `end()`.
 */
import type { Segment } from '../decode/segment.js';
import { Connection } from './connection.js';

export interface Tracked {
  conn: Connection;
  fromClient: boolean;
}

export class FlowTable {
  private readonly open = new Map<string, Connection>();
  private nextId = 1;
  private readonly result: Tracked = { conn: undefined as unknown as Connection, fromClient: false };

  constructor(private readonly onFinished: (conn: Connection) => void = () => {}) {}

  /** Finds (or opens) the connection of `seg` and feeds it. The result object is reused. */
  track(seg: Segment): Tracked {
    const key = flowKey(seg);
    let conn = this.open.get(key);
    if (conn !== undefined && conn.startsNewIncarnation(seg)) {
      conn.reuse(seg.s, seg.frame);
      this.open.delete(key);
      this.onFinished(conn);
      conn = undefined;
    }
    if (conn === undefined) {
      conn = new Connection(this.nextId++, seg);
      this.open.set(key, conn);
    }
    const fromClient = conn.isFromClient(seg);
    conn.observe(seg, fromClient);
    this.result.conn = conn;
    this.result.fromClient = fromClient;
    return this.result;
  }

  /** Hands over every connection still in the table, in the order they were opened. */
  end(): void {
    const rest = [...this.open.values()].sort((a, b) => a.id - b.id);
    this.open.clear();
    for (const c of rest) this.onFinished(c);
  }

  get openCount(): number {
    return this.open.size;
  }
}

/** The same key for both directions: the lower (address, port) first. */
export function flowKey(seg: Segment): string {
  const a = `${seg.src}|${seg.srcPort}`;
  const b = `${seg.dst}|${seg.dstPort}`;
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}
