/**
 * Where the connections live: numbers in typed arrays, not objects.
 *
 * A busy capture keeps a couple of hundred thousand connections at once (each closed one waits out
 * TIME_WAIT for a minute), and as objects (two endpoints, their SYN/FIN records, event logs,
 * options, boxed numbers) each was ~30 objects that every garbage collection copied or marked
 * again. Here a connection is a slot: a fixed run of doubles in one Float64Array (the fields below),
 * plus a few variable-length lists (its endpoints' event logs, the copies of each SYN and FIN, its
 * RSTs and notes) in one arena of doubles. Nothing inside is for the collector to trace, a slot is
 * reused as soon as its connection is finished, and a finished connection is handed on (or to
 * another thread) as a run of numbers. A connection that only waits out TIME_WAIT (most of those
 * held at once) is parked meanwhile: packed into about a quarter of the memory (parking.ts).
 *
 * The names below are the layout. The tracker and the findings read and write through the views
 * in connection.ts, endpoint.ts and control.ts, which give each field its name and type.
 */
import { NAMED, formatAddress } from '../decode/addr.js';
import { grown } from '../typed-arrays.js';
import { Kind, ParkingLot, type SlotShape } from './parking.js';

/** A copy of a SYN, SYN/ACK or FIN: when, which frame, its ack (-1: no ACK bit), and when the peer next acknowledged it (frame -1: not yet). */
export const enum COPY { S = 0, FRAME, ACK, ANSWERED_S, ANSWERED_FRAME, SIZE }

/** A SYN, SYN/ACK or FIN an endpoint sent (offsets from E.SYN, E.SYN_ACK or E.FIN). */
export const enum K {
  /** Bit 1: sent; 2: it carried ACK; 4: first acknowledged by a SYN or FIN; 8: its last copy answered. 0: none sent. */
  BITS = 0,
  SEQ,
  END,
  /** The peer's latest segment that showed it had not received it yet (frame -1: none). */
  NOT_COVERED_FRAME,
  NOT_COVERED_S,
  /** The peer's first acknowledgment covering it (frame -1: none yet). */
  ACKED_FRAME,
  ACKED_S,
  /** How many copies were sent. */
  COUNT,
  /**
   * The first copy (COPY fields, in place: most are never sent twice, so reading one needs no
   * list), then the list of the copies after it (arena, COPY fields each).
   */
  FIRST,
  MORE = FIRST + COPY.SIZE,
  SIZE,
}

/** An endpoint's fields (offsets from C.CLIENT or C.SERVER). */
export const enum E {
  /** Its state when first seen (a TcpCode), and when and where. */
  INITIAL_STATE = 0,
  INITIAL_S,
  INITIAL_FRAME,
  /** Initial sequence number; next sequence number after what it sent; highest ack it sent (NaN: none). */
  ISN,
  SND_NXT,
  MAX_ACK,
  /** The window field of its latest segment but a RST, unscaled (NaN: none). */
  WINDOW,
  /** Handshake options: bit 1 present, 2 SACK permitted, 4 timestamps, 8 Fast Open, 16 cut by the snaplen. */
  OPTIONS,
  MSS,
  WINDOW_SCALE,
  /** Bit 1/2/4: the peer proved it received its SYN / SYN-ACK / FIN. */
  PROVEN,
  PACKETS,
  BYTES,
  LAST_SENT_S,
  RETRANSMITS,
  BYTES_AFTER_PEER_FIN,
  LAST_DATA_OR_FIN_FRAME,
  /** The frame of the last segment it sent (0: none). */
  LAST_SENT_FRAME,
  /** Bumped whenever its event log changes. */
  VERSION,
  ACK_OF_SYN_EVENTS,
  ACK_OF_FIN_EVENTS,
  /** The state folded from the log's first FOLDED events (-1: fold again), for MEMO_INITIAL. */
  FOLDED,
  MEMO_INITIAL,
  MEMO_STATE,
  MEMO_TIME_WAIT,
  /** The timestamp value (TSval) its latest FIN carried (NaN: none seen). */
  FIN_TS_VAL,
  /**
   * Its clock (RFC 7323 TSval): the first and the highest value it was seen to send, and when
   * (NaN: none); what dates a FIN the capture missed from the TSecr echoing it.
   */
  TS_FIRST,
  TS_FIRST_S,
  TS_LAST,
  TS_LAST_S,
  /** Its state events (arena list, EV fields each). */
  LOG,
  /** Its SYN, SYN/ACK and FIN (K fields each). */
  SYN,
  SYN_ACK = SYN + K.SIZE,
  FIN = SYN_ACK + K.SIZE,
  SIZE = FIN + K.SIZE,
}

/**
 * A gap in an endpoint's sequence space (ConnectionStore.gaps): start, end (NaN: the entry is
 * free), when, and the IPv4 identification and TSval of the segment that skipped it (-1: none).
 */
export const enum GAP { START, END, S, ID, TS_VAL, SIZE }

/** How many gaps are remembered for each endpoint: a path that reorders leaves several open at once. */
export const GAPS_PER_SIDE = 16;

/**
 * The data segment whose acknowledgment an endpoint's FIN was taken to receive
 * (ConnectionStore.ackCarriers): its sequence range, and the next segment its sender sent with
 * that acknowledgment (its data's range, empty if none; NaN: none yet), with when and where.
 */
export const enum CARRIER { SEQ, END, NEXT_SEQ, NEXT_END, NEXT_FRAME, NEXT_S, SIZE }

/**
 * A FIN an endpoint sent while it was taken to be closed by a RST it may yet be shown to have
 * outlived (ConnectionStore.finsAfterRst): its sequence number, the end of its segment, whether it
 * carried an ACK, how many copies, then each copy's time, frame and acknowledgment (NaN: none).
 */
export const enum FAR { SEQ, END, WITH_ACK, COUNT, COPIES, COPY_S = 0, COPY_FRAME, COPY_ACK, COPY_SIZE }

/** The key of one endpoint of `slot`'s connection (the client if `client`) in the store's side tables. */
export function sideKey(slot: number, client: boolean): number {
  return slot * 2 + (client ? 0 : 1);
}

/**
 * An endpoint's latest run of data sent again at one sequence number, or of zero-window probes
 * (ConnectionStore.resends): that number, how many copies (probes) it sent in a row, when the
 * last three were captured, oldest first (NaN: fewer), and PROBES 1 for a run of window probes.
 */
export const enum RESEND { SEQ, COUNT, S1, S2, S3, PROBES, SIZE }

/** How many copies of such a FIN are kept: the retransmission timer's first few. */
export const FAR_COPIES = 16;

/** A connection's fields (offsets in its slot). Null numbers are NaN. */
export const enum C {
  ID = 0,
  /** 4 or 6. */
  IP_VERSION,
  /** The client's and the server's address words (Segment.addrs), as unsigned 32-bit numbers. */
  C0, C1, C2, C3, S0, S1, S2, S3,
  CLIENT_PORT,
  SERVER_PORT,
  /** The flow table's hash of the four-tuple. */
  FLOW_HASH,
  /**
   * Bit 1: midstream (no SYN seen); bit 2: the segment last observed resent sequence space; bits 4
   * and 8: the client, the server sent a RST that its own later segments have not yet disowned;
   * bits 16 and 32: the client, the server took a RST that its own later segments have not yet
   * shown it ignored.
   */
  BITS,
  FIRST_S,
  FIRST_FRAME,
  FILE_INDEX,
  LAST_S,
  LAST_FRAME,
  /** When and at which frame a SYN with a new ISN took the four-tuple over (NaN: not reused). */
  REUSED_S,
  REUSED_FRAME,
  /**
   * Lists (arena references, NONE when empty): RSTs (RST fields each), notes (NOTE fields each),
   * ICMP errors quoting its segments (ICMP fields each).
   */
  RESETS,
  NOTES,
  ICMP,
  /** The capture time the flow table last scheduled it to finish at (NaN: none). */
  DUE_AT,
  /** An MPTCP subflow (MP_JOIN): the id of the connection whose MPTCP connection it joined (0: none known). */
  MPTCP_SUBFLOW_OF,
  /** The client's endpoint fields, then the server's (E each). */
  CLIENT,
  SERVER = CLIENT + E.SIZE,
  SIZE = SERVER + E.SIZE,
}

/** A state event: kind (EventCode), frame (TIMER_FRAME for timers), time, order within the frame. */
export const enum EV { KIND = 0, FRAME, S, ORDER, SIZE }

/**
 * A RST: time, frames, sender (0 client, 1 server), seq, ack (NaN: no ACK), payload, acceptable
 * (-1 unknown, 0, 1; -2 or -3 while the receiver is held closed by a RST it took, in or out of its
 * window then, settled to 1 or 0 if the receiver is shown to have outlived that one), the frame it
 * may answer (the receiver's last data or FIN), the time and
 * frame of the receiver's last packet before it, the frame of the sender's (0: none), 1 when the
 * sender's later segments went on with the connection (0 otherwise), the sender's next sequence
 * number when it was sent (NaN: none), 1 when the receiver's later segments showed it went on, and
 * what its MPTCP options said (Segment.mptcpRst).
 */
export const enum RST {
  S = 0, FRAME, FILE_INDEX, FILE_FRAME, FROM, SEQ, ACK, PAYLOAD, ACCEPTABLE, ANSWERS_FRAME, RECEIVER_LAST_S, RECEIVER_LAST_FRAME, SENDER_LAST_FRAME,
  SENDER_CONTINUED, SENDER_NEXT, RECEIVER_CONTINUED, MPTCP, SIZE,
}

/** A note: kind (index in NOTE_KINDS), time, frame, sender (0 client, 1 server), payload bytes. */
export const enum NOTE { KIND = 0, S, FRAME, FROM, BYTES, SIZE }

/**
 * An ICMP error about one of its segments: time, frames, the endpoint whose segment it quotes (0
 * client, 1 server), type << 8 | code (Segment.icmp), the sender's address words, the quoted
 * sequence number (NaN: not shown), whether that was in what the endpoint had sent and not yet
 * had acknowledged (-1 unknown, 0, 1), and what it did: 0 nothing, 1 closed the endpoint, 2
 * closed it but its own later segments showed it went on (IcmpEffect); the next-hop MTU it gives
 * (NaN: none).
 */
export const enum ICMP { S = 0, FRAME, FILE_INDEX, FILE_FRAME, TO, TYPE_CODE, W0, W1, W2, W3, SEQ, ACCEPTABLE, EFFECT, MTU, SIZE }

/** An empty list. */
export const NONE = -1;

/**
 * The arena: variable-length lists of doubles, each a block [capacity, length, items...] at some
 * offset (its reference). Blocks come in power-of-two sizes and freed ones are kept per size for
 * reuse, so a steady capture reuses the same memory. A list that outgrows its block moves to a
 * bigger one: whoever holds its reference takes the new one from `push`.
 */
export class Arena {
  data: Float64Array;
  private top = 0;

  /** `shared`: the lists live in shared memory, which another thread reads (threads.ts). */
  constructor(private readonly shared = false) {
    this.data = doubles(1 << 16, shared);
  }
  /** Freed blocks by size class (block size 2^(k+3) doubles). */
  private readonly free: number[][] = [];

  /** Number of items of `size` doubles in list `ref`. */
  count(ref: number, size: number): number {
    return ref === NONE ? 0 : this.data[ref + 1]! / size;
  }

  /** Offset of item `i` (of `size` doubles) of list `ref`. */
  item(ref: number, i: number, size: number): number {
    return ref + 2 + i * size;
  }

  /**
   * Appends `size` doubles (returned offset to fill them at); the list's reference may change:
   * read it from `lastRef` after. A new list gets room for `initial` doubles (at least `size`).
   */
  append(ref: number, size: number, initial = size): number {
    if (ref === NONE) ref = this.alloc(initial > size ? initial : size);
    else if (this.data[ref + 1]! + size > this.data[ref]!) ref = this.move(ref, this.data[ref + 1]! + size);
    const at = ref + 2 + this.data[ref + 1]!;
    this.data[ref + 1]! += size;
    this.lastRef = ref;
    return at;
  }

  /** The list reference after the last `append` or `insert`. */
  lastRef = NONE;

  /** Inserts `size` doubles before item `i`; returns their offset (see `lastRef`). */
  insert(ref: number, i: number, size: number): number {
    const at0 = this.append(ref, size); // never a new list: i < its length
    ref = this.lastRef;
    const from = ref + 2 + i * size;
    // Lists are short (an event log, a few copies): a loop moves them quicker than a call does.
    const d = this.data;
    for (let k = at0 - 1; k >= from; k--) d[k + size] = d[k]!;
    return from;
  }

  /** Removes item `i` of `size` doubles. */
  remove(ref: number, i: number, size: number): void {
    const from = ref + 2 + i * size;
    const end = ref + 2 + this.data[ref + 1]!;
    const d = this.data;
    for (let k = from; k < end - size; k++) d[k] = d[k + size]!;
    d[ref + 1]! -= size;
  }

  /** Returns the list's block for reuse. */
  release(ref: number): void {
    if (ref === NONE) return;
    (this.free[classOf(this.data[ref]! + 2)] ??= []).push(ref);
  }

  /** Empties the arena (every reference becomes invalid). */
  clear(): void {
    this.top = 0;
    this.free.length = 0;
  }

  private alloc(need: number): number {
    const k = classOf(need + 2);
    const reuse = this.free[k]?.pop();
    const ref = reuse ?? this.carve(8 << k);
    this.data[ref] = (8 << k) - 2;
    this.data[ref + 1] = 0;
    return ref;
  }

  private carve(size: number): number {
    if (this.top + size > this.data.length) {
      let n = this.data.length * 2;
      while (n < this.top + size) n *= 2;
      const grown = doubles(n, this.shared);
      grown.set(this.data.subarray(0, this.top));
      this.data = grown;
    }
    const ref = this.top;
    this.top += size;
    return ref;
  }

  private move(ref: number, need: number): number {
    const next = this.alloc(need);
    const len = this.data[ref + 1]!;
    this.data.copyWithin(next + 2, ref + 2, ref + 2 + len);
    this.data[next + 1] = len;
    this.release(ref);
    return next;
  }
}

/** `n` doubles, zeroed, in memory of this thread or shared with others. */
function doubles(n: number, shared: boolean): Float64Array {
  return shared ? new Float64Array(new SharedArrayBuffer(n * 8)) : new Float64Array(n);
}

/** The size class of a block of at least `n` doubles: blocks of 8, 16, 32, ... doubles. */
function classOf(n: number): number {
  let k = 0;
  while (8 << k < n) k++;
  return k;
}

/** A slot as it is handed out: no lists, nothing sent, every "none" set (NaN, -1, NONE). */
const EMPTY_SLOT = new Float64Array(C.SIZE);
EMPTY_SLOT[C.REUSED_S] = NaN;
EMPTY_SLOT[C.REUSED_FRAME] = NaN;
EMPTY_SLOT[C.RESETS] = NONE;
EMPTY_SLOT[C.NOTES] = NONE;
EMPTY_SLOT[C.ICMP] = NONE;
EMPTY_SLOT[C.DUE_AT] = NaN;
for (const e of [C.CLIENT, C.SERVER]) {
  EMPTY_SLOT[e + E.ISN] = NaN;
  EMPTY_SLOT[e + E.SND_NXT] = NaN;
  EMPTY_SLOT[e + E.MAX_ACK] = NaN;
  EMPTY_SLOT[e + E.WINDOW] = NaN;
  EMPTY_SLOT[e + E.MSS] = NaN;
  EMPTY_SLOT[e + E.WINDOW_SCALE] = NaN;
  EMPTY_SLOT[e + E.FIN_TS_VAL] = NaN;
  for (const t of [E.TS_FIRST, E.TS_FIRST_S, E.TS_LAST, E.TS_LAST_S]) EMPTY_SLOT[e + t] = NaN;
  EMPTY_SLOT[e + E.LAST_SENT_S] = -Infinity;
  EMPTY_SLOT[e + E.FOLDED] = -1;
  EMPTY_SLOT[e + E.MEMO_TIME_WAIT] = NaN;
  EMPTY_SLOT[e + E.LOG] = NONE;
  for (const k of [E.SYN, E.SYN_ACK, E.FIN]) {
    EMPTY_SLOT[e + k + K.NOT_COVERED_FRAME] = -1;
    EMPTY_SLOT[e + k + K.ACKED_FRAME] = -1;
    EMPTY_SLOT[e + k + K.FIRST + COPY.ACK] = -1;
    EMPTY_SLOT[e + k + K.FIRST + COPY.ANSWERED_FRAME] = -1;
    EMPTY_SLOT[e + k + K.MORE] = NONE;
  }
}

/**
 * What each field of a slot holds, for parking (parking.ts): a list (arena reference), a time, or
 * any other number. A kind that guesses wrong costs space when parked, never a value.
 */
export const KINDS = new Uint8Array(C.SIZE); // Kind.NUMBER
const ITEM_KINDS: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(C.SIZE).fill(undefined);
/** The kinds of a list item of `size` doubles whose times are at `times`. */
const itemKinds = (size: number, ...times: number[]) => {
  const k = new Uint8Array(size);
  for (const t of times) k[t] = Kind.TIME;
  return k;
};
const list = (field: number, item: Uint8Array) => { KINDS[field] = Kind.LIST; ITEM_KINDS[field] = item; };
for (const t of [C.FIRST_S, C.LAST_S, C.REUSED_S, C.DUE_AT]) KINDS[t] = Kind.TIME;
list(C.RESETS, itemKinds(RST.SIZE, RST.S, RST.RECEIVER_LAST_S));
list(C.NOTES, itemKinds(NOTE.SIZE, NOTE.S));
list(C.ICMP, itemKinds(ICMP.SIZE, ICMP.S));
for (const e of [C.CLIENT, C.SERVER]) {
  for (const t of [E.INITIAL_S, E.LAST_SENT_S, E.MEMO_TIME_WAIT, E.TS_FIRST_S, E.TS_LAST_S]) KINDS[e + t] = Kind.TIME;
  list(e + E.LOG, itemKinds(EV.SIZE, EV.S));
  for (const k of [E.SYN, E.SYN_ACK, E.FIN]) {
    for (const t of [K.NOT_COVERED_S, K.ACKED_S, K.FIRST + COPY.S, K.FIRST + COPY.ANSWERED_S]) KINDS[e + k + t] = Kind.TIME;
    list(e + k + K.MORE, itemKinds(COPY.SIZE, COPY.S, COPY.ANSWERED_S));
  }
}
/** The fields of a slot that are lists: what releasing or parking a slot frees. */
const LIST_FIELDS: readonly number[] = [...KINDS.keys()].filter((i) => KINDS[i] === Kind.LIST);

const SLOT_SHAPE: SlotShape = { size: C.SIZE, defaults: EMPTY_SLOT, kinds: KINDS, itemKinds: ITEM_KINDS, baseField: C.FIRST_S };

/** `cellOf` of a parked connection. */
const PARKED = -1;

/** Words for formatAddress. */
const WORDS = new Uint32Array(4);

/** 32-bit words per memory page (4 KiB). */
const PAGE_WORDS = 1024;

/** Slots per chunk of the store (a chunk is never moved: growing adds one). */
const CHUNK_SHIFT = 12;
const CHUNK_SLOTS = 1 << CHUNK_SHIFT;

/**
 * Slots: a connection's number for as long as it is open (the flow table's index and timers name
 * it by that), and where its fields are: a cell, C.SIZE doubles in chunks of CHUNK_SLOTS cells (a
 * Float64Array each, never moved: growing adds a chunk), with its lists in the arena; or, while it
 * only waits out TIME_WAIT, a record of the parking lot (parking.ts), taken back into a cell as
 * soon as anyone looks at it (`cell`). Slots, cells and lists are handed out and taken back (free
 * lists), so a steady capture reuses the same memory.
 *
 * A mirror (the store as the reporting thread sees a shared one, threads.ts) has no slots of its
 * own: it is handed cells, and reads them where they are.
 */
export class ConnectionStore {
  private readonly chunks: Float64Array[] = [];
  readonly arena: Arena;
  private readonly lot: ParkingLot;

  /**
   * `shared`: cells, lists and parking pages live in shared memory, so that the thread that
   * reports can read a finished connection where it is (threads.ts) rather than a copy.
   * `mirror`: this is that thread's view of such a store (slots are cells).
   */
  constructor(private readonly shared = false, private readonly mirror = false) {
    this.arena = new Arena(shared);
    this.lot = new ParkingLot(SLOT_SHAPE, shared);
  }

  /** How many chunks there are (a shared store hands new ones to its mirror). */
  get chunkCount(): number {
    return this.chunks.length;
  }

  /** The memory of chunk `i` (of a shared store). */
  chunkBuffer(i: number): ArrayBufferLike {
    return this.chunks[i]!.buffer;
  }

  /**
   * Makes `buffer` (a chunk of a shared store on another thread) this mirror's chunk `i`, and
   * touches each of its pages: a shared store grows a chunk ahead (`allocate`), so the pages of
   * the one the tracking thread has not reached yet are faulted in here, on the thread that waits,
   * rather than by the first slot copied into each (~10 us a page on a VM). An atomic add of zero
   * changes nothing, whoever writes there meanwhile.
   */
  adoptChunk(i: number, buffer: ArrayBufferLike): void {
    this.chunks[i] = new Float64Array(buffer);
    const words = new Int32Array(buffer);
    for (let w = 0; w < words.length; w += PAGE_WORDS) Atomics.add(words, w, 0);
  }

  /** Whether the addresses of `slot` are names (tcpdump text without -n), known as text only here. */
  hasNamedAddresses(slot: number): boolean {
    const cell = this.cell(slot);
    const f = this.cellChunk(cell);
    const b = this.cellBase(cell);
    return (f[b + C.C0] === NAMED && f[b + C.C1] === NAMED && f[b + C.C2] === NAMED) ||
      (f[b + C.S0] === NAMED && f[b + C.S1] === NAMED && f[b + C.S2] === NAMED);
  }
  private used = 0;
  private readonly freeSlots: number[] = [];
  private usedCells = 0;
  private readonly freeCells: number[] = [];
  /**
   * Slots in use, as a byte per slot (1: an open connection; 2: finished, handed to a reader on
   * another thread that has not given it back yet), for walking every open connection.
   */
  private live = new Uint8Array(CHUNK_SLOTS);
  /** Each slot's cell, or PARKED; and a parked slot's record in the lot. */
  private cellOf = new Int32Array(CHUNK_SLOTS);
  private parkedAt = new Float64Array(CHUNK_SLOTS);
  /**
   * Address texts given with a connection that crossed from another thread (threads.ts), by slot:
   * a name (tcpdump text without -n) is known only to the thread that read it.
   */
  private readonly texts = new Map<number, readonly [string, string]>();
  /**
   * The latest gaps in an endpoint's sequence space the capture showed (GAPS_PER_SIDE entries of
   * GAP fields), by slot * 2 + side (0 client, 1 server): see Connection.capturedLate. Few connections ever have one, so
   * they live here rather than in every slot (each double a slot holds costs at 10 M packets).
   */
  readonly gaps = new Map<number, Float64Array>();
  /**
   * Where an endpoint's FIN was taken to be acknowledged by a data segment not yet shown to have
   * arrived (CARRIER fields), by slot * 2 + side of the FIN's sender: see Connection.ackCarrierLost.
   * Held only from that segment until the FIN's sender acknowledges its data.
   */
  readonly ackCarriers = new Map<number, Float64Array>();
  /**
   * The ACK of a server's SYN/ACK that Connection.openingAckNotTaken took back although the
   * request's timer had lapsed by then (its frame and time), by slot: the server's answer to the
   * client's data decides (Connection.requestAnswered).
   */
  readonly lapsedRequestAcks = new Map<number, readonly [number, number]>();
  /**
   * For a server that sent its SYN/ACK more than once and has been silent since, by slot: the
   * frame and time of the client's latest segment acknowledging it without bringing data in order
   * (a pure ACK, or data past a hole), and the frame of the latest data segment taken as
   * completing the handshake (NaN: none). The server's first answer decides which of them did
   * (Connection.openingShownByAnswer).
   */
  readonly openingAcksWithoutData = new Map<number, Float64Array>();
  /**
   * A FIN an endpoint sent after a RST closed it, before anything showed whether it took that RST
   * (FAR fields), by slot * 2 + side of its sender: see Connection.finAfterRst.
   */
  readonly finsAfterRst = new Map<number, Float64Array>();
  /**
   * An endpoint's latest run of data sent again at one sequence number, or of zero-window probes
   * (RESEND fields), by slot * 2 + side: what dates a silent give-up with data outstanding
   * (Endpoint.dataGaveUpAt). Only the tracking thread has it: a give-up it shows is logged as an
   * event before the connection is handed on (Connection.settleDataGiveUps). Few connections send
   * data again or probe; a slot field would cost every connection its room (10 doubles in every
   * slot: ~10 % at 10 M packets, ninth round).
   */
  readonly resends = new Map<number, Float64Array>();

  /**
   * The cell holding `slot`'s fields; a parked connection is taken back into one first. What a
   * reporting thread is handed (a mirror reads cells).
   */
  cell(slot: number): number {
    if (this.mirror) return slot;
    const cell = this.cellOf[slot]!;
    return cell !== PARKED ? cell : this.unpark(slot);
  }

  /** The array holding cell `cell`'s fields, and where they start in it. */
  cellChunk(cell: number): Float64Array {
    return this.chunks[cell >>> CHUNK_SHIFT]!;
  }

  cellBase(cell: number): number {
    return (cell & (CHUNK_SLOTS - 1)) * C.SIZE;
  }

  /** An empty slot (EMPTY_SLOT) for a new connection. */
  allocate(): number {
    const slot = this.allocateSlot();
    const cell = this.cellOf[slot]!;
    this.cellChunk(cell).set(EMPTY_SLOT, this.cellBase(cell));
    return slot;
  }

  /** A slot in use, with a cell whose fields are whatever they were. */
  private allocateSlot(): number {
    const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.used++;
    if (slot >= this.live.length) {
      const n = this.live.length * 2;
      this.live = grown(this.live, n);
      this.cellOf = grown(this.cellOf, n);
      this.parkedAt = grown(this.parkedAt, n);
    }
    this.cellOf[slot] = this.allocateCell();
    this.live[slot] = 1;
    return slot;
  }

  /** Takes a finished connection's slot back, with its cell and lists (or its parking record). */
  release(slot: number): void {
    const cell = this.cellOf[slot]!;
    if (cell === PARKED) this.lot.drop(this.parkedAt[slot]!);
    else this.releaseCell(cell);
    this.live[slot] = 0;
    if (this.texts.size > 0) this.texts.delete(slot);
    this.forgetSideTables(slot);
    this.freeSlots.push(slot);
  }

  /**
   * Parks an open connection: its fields and lists go into the parking lot, its cell and lists are
   * freed. Nothing else changes: the next look at it (`cell`) takes it back, exactly as it was.
   * A connection too large for a parking page stays where it is.
   */
  park(slot: number): void {
    const cell = this.cellOf[slot]!;
    if (cell === PARKED || this.live[slot] !== 1) return;
    // Names (tcpdump text without -n) are known to this thread only: a shared store's reader is
    // sent their texts, read from the cell of a connection that finishes (threads.ts), so a
    // connection with names stays in its cell.
    if (this.shared && this.hasNamedAddresses(slot)) return;
    const ref = this.lot.park(this.cellChunk(cell), this.cellBase(cell), this.arena);
    if (ref < 0) return;
    this.releaseCell(cell);
    this.cellOf[slot] = PARKED;
    this.parkedAt[slot] = ref;
  }

  isParked(slot: number): boolean {
    return !this.mirror && this.cellOf[slot] === PARKED;
  }

  /** The parking record of `slot` (parked), for a reader of this shared store's pages (`copyParked`). */
  parkedRecord(slot: number): number {
    return this.parkedAt[slot]!;
  }

  /** How many parking pages there are, and each one's memory (a shared store's, for its mirror). */
  get parkingPageCount(): number {
    return this.lot.pageCount;
  }

  parkingPageBuffer(i: number): ArrayBufferLike {
    return this.lot.pageBuffer(i);
  }

  /** Makes `buffer` (parking page `i` of a shared store on another thread) this mirror's page `i`. */
  adoptParkingPage(i: number, buffer: ArrayBufferLike): void {
    this.lot.adoptPage(i, buffer);
  }

  /**
   * A new slot of this store holding the connection parked at record `ref` of `from` (a mirror:
   * the pages of a shared store on another thread), which stays as it is. Release it when done.
   */
  copyParked(from: ConnectionStore, ref: number): number {
    const slot = this.allocateSlot(); // reading the record sets every field
    const cell = this.cellOf[slot]!;
    from.lot.read(ref, this.cellChunk(cell), this.cellBase(cell), this.arena);
    return slot;
  }

  /** How many connections are parked, and the bytes of parking pages held. */
  get parked(): { connections: number; pageBytes: number } {
    return { connections: this.lot.count, pageBytes: this.lot.pageBytes };
  }

  private unpark(slot: number): number {
    const cell = this.allocateCell();
    this.lot.unpark(this.parkedAt[slot]!, this.cellChunk(cell), this.cellBase(cell), this.arena);
    this.cellOf[slot] = cell;
    return cell;
  }

  private allocateCell(): number {
    const cell = this.freeCells.length > 0 ? this.freeCells.pop()! : this.usedCells++;
    // A shared store keeps a chunk in hand beyond the one in use: its mirror faults it in (adoptChunk).
    while ((cell >>> CHUNK_SHIFT) + (this.shared ? 1 : 0) >= this.chunks.length) this.grow();
    return cell;
  }

  /** Frees a cell and its lists. */
  private releaseCell(cell: number): void {
    const f = this.cellChunk(cell);
    const base = this.cellBase(cell);
    for (let i = 0; i < LIST_FIELDS.length; i++) this.arena.release(f[base + LIST_FIELDS[i]!]!);
    this.freeCells.push(cell);
  }

  /** The texts of the client's and the server's address (see `texts`). */
  setAddressTexts(slot: number, client: string, server: string): void {
    this.texts.set(slot, [client, server]);
  }

  forgetAddressTexts(slot: number): void {
    this.texts.delete(slot);
  }

  /** The address of `slot` whose words start at field `at` (C.C0 or C.S0), as tcpdump -n writes it. */
  addressText(slot: number, at: C.C0 | C.S0): string {
    const given = this.texts.size > 0 ? this.texts.get(slot) : undefined;
    if (given !== undefined) return given[at === C.C0 ? 0 : 1];
    const cell = this.cell(slot);
    const f = this.cellChunk(cell);
    const base = this.cellBase(cell);
    WORDS[0] = f[base + at]!;
    WORDS[1] = f[base + at + 1]!;
    WORDS[2] = f[base + at + 2]!;
    WORDS[3] = f[base + at + 3]!;
    return formatAddress(f[base + C.IP_VERSION] as 4 | 6, WORDS, 0);
  }

  isLive(slot: number): boolean {
    return this.live[slot] === 1;
  }

  /** Whether the tracking thread's run of data sent again (`resends`) holds anything for `slot`. */
  hasResends(slot: number): boolean {
    return this.resends.size > 0 && (this.resends.has(sideKey(slot, true)) || this.resends.has(sideKey(slot, false)));
  }

  /** `slot`'s connection is finished and read by another thread: not open, not yet free. */
  handOver(slot: number): void {
    this.live[slot] = 2;
    this.forgetSideTables(slot);
  }

  /** Drops what the side tables (gaps, ackCarriers, lapsedRequestAcks, openingAcksWithoutData, finsAfterRst, resends) hold for `slot`. */
  private forgetSideTables(slot: number): void {
    if (this.gaps.size > 0) {
      this.gaps.delete(sideKey(slot, true));
      this.gaps.delete(sideKey(slot, false));
    }
    if (this.ackCarriers.size > 0) {
      this.ackCarriers.delete(sideKey(slot, true));
      this.ackCarriers.delete(sideKey(slot, false));
    }
    if (this.lapsedRequestAcks.size > 0) this.lapsedRequestAcks.delete(slot);
    if (this.openingAcksWithoutData.size > 0) this.openingAcksWithoutData.delete(slot);
    if (this.finsAfterRst.size > 0) {
      this.finsAfterRst.delete(sideKey(slot, true));
      this.finsAfterRst.delete(sideKey(slot, false));
    }
    if (this.resends.size > 0) {
      this.resends.delete(sideKey(slot, true));
      this.resends.delete(sideKey(slot, false));
    }
  }

  /** Every slot in use. */
  liveSlots(): number[] {
    const out: number[] = [];
    for (let s = 0; s < this.used; s++) if (this.live[s] === 1) out.push(s);
    return out;
  }

  /** Forgets every connection. */
  clear(): void {
    this.used = 0;
    this.usedCells = 0;
    this.freeSlots.length = 0;
    this.freeCells.length = 0;
    this.live.fill(0);
    this.texts.clear();
    this.gaps.clear();
    this.ackCarriers.clear();
    this.lapsedRequestAcks.clear();
    this.openingAcksWithoutData.clear();
    this.finsAfterRst.clear();
    this.arena.clear();
    this.lot.clear();
  }

  private grow(): void {
    this.chunks.push(doubles(CHUNK_SLOTS * C.SIZE, this.shared));
  }
}
