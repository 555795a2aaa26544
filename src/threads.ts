/**
 * Two threads, one pipe: a worker thread reads, decodes and tracks (input -> decode -> connections,
 * trackCaptures in pipeline.ts) while the main thread builds the findings and writes the views.
 * On two cores an analysis takes little more than the slower half, the tracking one at 10 M
 * packets (~18-19 s against ~12-13 s, bench/README.md, twenty-first round), so work that either
 * thread could do is done on the main thread (a parked connection's record is read there).
 *
 * The pipe is cut after the flow table, not by flow: the worker hands over exactly what the
 * tracking half hands the findings half on one thread (finished connections, anomalies,
 * warnings, progress), in the same order, so ids, timers, the order of the output and the alerts
 * are those of a single-threaded run, byte for byte. The worker's connections live in shared
 * memory (ConnectionStore, shared): a finished connection crosses as its cell number (or, one
 * that finished parked, its parking record), in batches of numbers whose buffers are transferred
 * back and forth, and the main thread reads it where it is; the worker frees the slots (and
 * records) of a batch once the main thread acknowledges it. Anomalies and
 * warnings (few) cross as structured clones. The worker stops reading while MAX_IN_FLIGHT batches
 * wait for the main thread, so a slow reader of the output holds back the input as before.
 */
import { type MessagePort, Worker } from 'node:worker_threads';
import { Connection } from './connections/connection.js';
import { C, ConnectionStore } from './connections/store.js';
import type { AnomalyReport } from './findings/types.js';
import { InputError, type InputWarning } from './input/record.js';
import { type ProgressInfo, type TrackOptions, type TrackResult, type TrackSink, trackCaptures } from './pipeline.js';

// What each entry of a batch's numbers starts with.
const CONNECTION = 0; // then the capture time it finished at, its cell, and 1 if its address texts follow (2 strings) else 0
const ANOMALY = 1; // the next of the batch's objects
const WARNING = 2; // the next of the batch's objects
const PROGRESS = 3; // then packets, connections, open, bytes read, bytes in all
const PARKED_CONNECTION = 4; // then the capture time it finished at and its parking record

/** Connections per batch: a few hundred KB of numbers. */
const BATCH_CONNECTIONS = 256;
/** Batches the worker may have sent that the main thread has not yet handled. */
const MAX_IN_FLIGHT = 16;

/** A growing list of doubles (and strings), handed over whole (`takeBuffer`) when a batch is full. */
class PackWriter {
  private a: Float64Array;
  private n = 0;
  readonly strings: string[] = [];

  constructor(capacity = 1 << 14) {
    this.a = new Float64Array(capacity);
  }

  get length(): number {
    return this.n;
  }

  push(x: number): void {
    if (this.n === this.a.length) this.grow(1);
    this.a[this.n++] = x;
  }

  pushString(s: string): void {
    this.strings.push(s);
  }

  private grow(need: number): void {
    let size = this.a.length * 2;
    while (size < this.n + need) size *= 2;
    const b = new Float64Array(size);
    b.set(this.a.subarray(0, this.n));
    this.a = b;
  }

  /**
   * The whole buffer written so far (`length` numbers of it), handed over as it is (to transfer:
   * no copy); the writer goes on in `next` (one handed back) or a new buffer.
   */
  takeBuffer(next?: Float64Array): { numbers: Float64Array; length: number; strings: string[] } {
    const out = { numbers: this.a, length: this.n, strings: this.strings.splice(0) };
    this.a = next !== undefined && next.length >= 1024 ? next : new Float64Array(this.a.length);
    this.n = 0;
    return out;
  }
}

/** Reads back what a PackWriter wrote, in the same order. */
class PackReader {
  i = 0;
  private si = 0;

  constructor(readonly a: Float64Array, private readonly strs: readonly string[]) {}

  get done(): boolean {
    return this.i >= this.a.length;
  }

  next(): number {
    return this.a[this.i++]!;
  }

  string(): string {
    return this.strs[this.si++]!;
  }
}

/** Shared memory the worker's store grew by since the last batch: new chunks and parking pages (by index), a new arena. */
interface NewMemory {
  chunks: { index: number; buffer: ArrayBufferLike }[];
  pages: { index: number; buffer: ArrayBufferLike }[];
  arena: ArrayBufferLike | null;
}

type FromWorker =
  | { type: 'batch'; numbers: Float64Array; length: number; strings: string[]; objects: unknown[]; memory: NewMemory }
  | { type: 'end'; result: TrackResult }
  | { type: 'error'; input: boolean; file: string; offset?: number; message: string; stack?: string }
  | { type: 'exit'; code: number };

/** What the worker is started with. */
export interface WorkerInput {
  files: string[];
  opts: Omit<TrackOptions, 'onSegment'>;
}

/**
 * Runs trackCaptures on a worker thread and replays what it hands over into `sink` on this one.
 * `outputReady` (the output's backpressure) is awaited after each batch, before the worker may
 * send another.
 */
export function trackInWorker(
  files: string[], opts: TrackOptions, sink: TrackSink, outputReady?: () => Promise<void> | null,
): Promise<TrackResult> {
  const input: WorkerInput = {
    files, opts: { timeWaitS: opts.timeWaitS, verbose: opts.verbose, progress: opts.progress, shared: true, keepCopies: opts.keepCopies, parking: opts.parking },
  };
  const mirror = new Mirror();
  const worker = new Worker(new URL('./track-worker.js', import.meta.url), { workerData: input });
  return new Promise<TrackResult>((resolve, reject) => {
    const queue: FromWorker[] = [];
    let busy = false;
    let settled = false;
    const settle = (error: unknown, result?: TrackResult) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      if (result) resolve(result);
      else reject(error);
    };
    // Messages are handled one at a time, in order, each batch to the end of its backpressure wait.
    const drain = async () => {
      if (busy) return;
      busy = true;
      try {
        while (queue.length > 0 && !settled) {
          const m = queue.shift()!;
          if (m.type === 'batch') {
            mirror.adopt(m.memory);
            mirror.replay(m.numbers.subarray(0, m.length), m.strings, m.objects, sink);
            await outputReady?.();
            // The batch's buffer goes back for a later batch: no fresh memory per batch.
            worker.postMessage(m.numbers, [m.numbers.buffer as ArrayBuffer]);
          } else if (m.type === 'end') settle(null, m.result);
          else if (m.type === 'error') settle(errorFrom(m));
          else settle(new Error(`the tracking thread stopped early (exit code ${m.code})`));
        }
      } catch (e) {
        settle(e); // a view's callback threw (--strict on a cut capture): the worker is stopped
      } finally {
        busy = false;
      }
    };
    worker.on('message', (m: FromWorker) => { queue.push(m); void drain(); });
    worker.on('error', (e) => settle(e));
    // After the messages it sent before it: an exit before 'end' is a failure.
    worker.on('exit', (code) => { queue.push({ type: 'exit', code }); void drain(); });
  });
}

/**
 * The worker's store as this thread sees it (the same shared memory), and the batches it reads
 * from it. A connection that finished parked is taken out of its parking record here, into a slot
 * of a store of this thread's own (`unparked`): that work is this thread's, not the worker's.
 */
class Mirror {
  private readonly store = new ConnectionStore(false, true);
  private readonly view = new Connection(this.store);
  private readonly unparked = new ConnectionStore(false);
  private readonly unparkedView = new Connection(this.unparked);

  /** Takes the memory the worker's store grew by. */
  adopt(memory: NewMemory): void {
    for (const c of memory.chunks) this.store.adoptChunk(c.index, c.buffer);
    for (const p of memory.pages) this.store.adoptParkingPage(p.index, p.buffer);
    if (memory.arena !== null) this.store.arena.data = new Float64Array(memory.arena);
  }

  replay(numbers: Float64Array, strings: string[], objects: unknown[], sink: TrackSink): void {
    const r = new PackReader(numbers, strings);
    let o = 0;
    while (!r.done) {
      const tag = r.next();
      if (tag === CONNECTION) {
        const endS = r.next();
        const cell = r.next();
        const named = r.next() === 1;
        if (named) this.store.setAddressTexts(cell, r.string(), r.string());
        try {
          sink.finished(this.view.at(cell), endS);
        } finally {
          if (named) this.store.forgetAddressTexts(cell);
        }
      } else if (tag === PARKED_CONNECTION) {
        const endS = r.next();
        const slot = this.unparked.copyParked(this.store, r.next());
        try {
          sink.finished(this.unparkedView.at(slot), endS);
        } finally {
          this.unparked.release(slot);
        }
      } else if (tag === ANOMALY) sink.anomaly(objects[o++] as AnomalyReport);
      else if (tag === WARNING) sink.warning(objects[o++] as InputWarning);
      else if (tag === PROGRESS) sink.progress({ packets: r.next(), connections: r.next(), open: r.next(), bytesRead: r.next(), bytesTotal: r.next() });
      else throw new Error(`threads: unknown batch entry ${tag}`);
    }
  }
}

/** The worker's error as this thread throws it: an InputError stays one (exit 2, one line). */
function errorFrom(m: Extract<FromWorker, { type: 'error' }>): Error {
  const e = m.input ? new InputError(m.file, '', m.offset) : new Error();
  e.message = m.message;
  if (m.stack) e.stack = m.stack;
  return e;
}

/** The worker's side: collects what the tracking half hands over into batches for the main thread. */
class BatchSink implements TrackSink {
  private readonly w = new PackWriter();
  private objects: unknown[] = [];
  private connections = 0;
  private inFlight = 0;
  private wake: (() => void) | null = null;
  /** The tracker's (shared) store, once a connection has shown it. */
  private store: ConnectionStore | null = null;
  /** How much of the store's memory the main thread has been given. */
  private chunksSent = 0;
  private pagesSent = 0;
  private arenaSent: ArrayBufferLike | null = null;
  /** The slots of the batch being gathered, and of each batch sent and not yet acknowledged. */
  private slots: number[] = [];
  private readonly sentSlots: number[][] = [];
  /** Batch buffers the main thread has handed back. */
  private readonly spare: Float64Array[] = [];

  constructor(private readonly port: MessagePort) {}

  finished(conn: Connection, endS: number): void {
    const store = conn.store;
    this.store = store;
    this.w.push(CONNECTION);
    this.w.push(endS);
    // The reader is handed the cell the connection is in (a mirror reads cells).
    this.w.push(store.cell(conn.slot));
    // A name (tcpdump text without -n) is known only to this thread: its text goes along.
    const named = store.hasNamedAddresses(conn.slot);
    this.w.push(named ? 1 : 0);
    if (named) {
      this.w.pushString(store.addressText(conn.slot, C.C0));
      this.w.pushString(store.addressText(conn.slot, C.S0));
    }
    this.slots.push(conn.slot);
    if (++this.connections >= BATCH_CONNECTIONS) this.flush();
  }

  /**
   * A connection that finished parked: the main thread reads its parking record, which stays as
   * it is until the batch is acknowledged (its slot released). Never one with names (store.park).
   */
  finishedParked(store: ConnectionStore, slot: number, endS: number): void {
    this.store = store;
    this.w.push(PARKED_CONNECTION);
    this.w.push(endS);
    this.w.push(store.parkedRecord(slot));
    this.slots.push(slot);
    if (++this.connections >= BATCH_CONNECTIONS) this.flush();
  }

  anomaly(a: AnomalyReport): void {
    this.w.push(ANOMALY);
    this.objects.push(a);
  }

  warning(w: InputWarning): void {
    this.w.push(WARNING);
    this.objects.push(w);
  }

  progress(p: ProgressInfo): void {
    this.w.push(PROGRESS);
    this.w.push(p.packets);
    this.w.push(p.connections);
    this.w.push(p.open);
    this.w.push(p.bytesRead);
    this.w.push(p.bytesTotal);
    this.flush();
  }

  flush(): void {
    if (this.w.length === 0) return;
    const { numbers, length, strings } = this.w.takeBuffer(this.spare.pop());
    const memory = this.newMemory();
    this.port.postMessage({ type: 'batch', numbers, length, strings, objects: this.objects, memory } satisfies FromWorker, [numbers.buffer as ArrayBuffer]);
    this.objects = [];
    this.connections = 0;
    this.sentSlots.push(this.slots);
    this.slots = [];
    this.inFlight++;
  }

  /** The shared memory the store grew by since the last batch. */
  private newMemory(): NewMemory {
    const memory: NewMemory = { chunks: [], pages: [], arena: null };
    const store = this.store;
    if (store === null) return memory;
    for (; this.chunksSent < store.chunkCount; this.chunksSent++) memory.chunks.push({ index: this.chunksSent, buffer: store.chunkBuffer(this.chunksSent) });
    for (; this.pagesSent < store.parkingPageCount; this.pagesSent++) memory.pages.push({ index: this.pagesSent, buffer: store.parkingPageBuffer(this.pagesSent) });
    const arena = store.arena.data.buffer;
    if (arena !== this.arenaSent) memory.arena = this.arenaSent = arena;
    return memory;
  }

  /** Awaited between input chunks: holds the reading back while the main thread is behind. */
  ready(): Promise<void> | null {
    return this.inFlight < MAX_IN_FLIGHT ? null : new Promise((resolve) => { this.wake = resolve; });
  }

  /** The main thread is done with the oldest batch: its buffer comes back, its slots are free. */
  acked(numbers: Float64Array): void {
    this.spare.push(numbers);
    for (const slot of this.sentSlots.shift() ?? []) this.store!.release(slot);
    this.inFlight--;
    if (this.wake !== null && this.inFlight < MAX_IN_FLIGHT) {
      const wake = this.wake;
      this.wake = null;
      wake();
    }
  }
}

/** The worker thread's body (track-worker.ts): track the files, send everything, then 'end' or 'error'. */
export async function runTrackWorker(port: MessagePort, input: WorkerInput): Promise<void> {
  const sink = new BatchSink(port);
  port.on('message', (numbers: Float64Array) => sink.acked(numbers));
  let last: FromWorker;
  try {
    const result = await trackCaptures(input.files, input.opts, sink, () => sink.ready());
    last = { type: 'end', result };
  } catch (e) {
    const err = e as Error;
    last = err instanceof InputError
      ? { type: 'error', input: true, file: err.file, offset: err.offset, message: err.message }
      : { type: 'error', input: false, file: '', message: err?.message ?? String(e), stack: err?.stack };
  }
  sink.flush(); // what happened before the end (or the error) first
  port.postMessage(last);
}
