/**
 * Two threads, one pipe: a worker thread reads, decodes and tracks (input -> decode -> connections,
 * trackCaptures in pipeline.ts) while the main thread builds the findings and writes the views.
 * The two halves cost about the same (bench/README.md), so on two cores an analysis takes little
 * more than the slower half.
 *
 * The pipe is cut after the flow table, not by flow: the worker hands over exactly what the
 * tracking half hands the findings half on one thread (finished connections, anomalies,
 * warnings, progress), in the same order, so ids, timers, the order of the output and the alerts
 * are those of a single-threaded run, byte for byte. Finished connections cross packed as numbers
 * (connections/pack.ts) in batches whose buffers are transferred, not copied; the rest (anomalies,
 * warnings: few) as structured clones. The worker stops reading while MAX_IN_FLIGHT batches wait
 * for the main thread, so a slow reader of the output holds back the input as before.
 */
import { type MessagePort, Worker } from 'node:worker_threads';
import { Connection } from './connections/connection.js';
import { PackReader, PackWriter, packConnection, unpackConnection } from './connections/pack.js';
import { ConnectionStore } from './connections/store.js';
import type { AnomalyReport } from './findings/types.js';
import { InputError, type InputWarning } from './input/record.js';
import { type ProgressInfo, type TrackOptions, type TrackResult, type TrackSink, trackCaptures } from './pipeline.js';

// What each entry of a batch's numbers starts with.
const CONNECTION = 0; // then the capture time it finished at, then the packed connection
const ANOMALY = 1; // the next of the batch's objects
const WARNING = 2; // the next of the batch's objects
const PROGRESS = 3; // then packets, connections, open

/** Connections per batch: a few hundred KB of numbers. */
const BATCH_CONNECTIONS = 256;
/** Batches the worker may have sent that the main thread has not yet handled. */
const MAX_IN_FLIGHT = 16;

type FromWorker =
  | { type: 'batch'; numbers: Float64Array; strings: string[]; objects: unknown[] }
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
  const input: WorkerInput = { files, opts: { timeWaitS: opts.timeWaitS, verbose: opts.verbose, progress: opts.progress } };
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
            replay(m.numbers, m.strings, m.objects, sink);
            await outputReady?.();
            worker.postMessage('ack');
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

/** Where connections from the worker are unpacked, one at a time, on this thread. */
const received = new ConnectionStore();
const receivedView = new Connection(received);

function replay(numbers: Float64Array, strings: string[], objects: unknown[], sink: TrackSink): void {
  const r = new PackReader(numbers, strings);
  let o = 0;
  while (!r.done) {
    const tag = r.next();
    if (tag === CONNECTION) {
      const endS = r.next();
      const slot = unpackConnection(r, received);
      try {
        sink.finished(receivedView.at(slot), endS);
      } finally {
        received.release(slot);
      }
    } else if (tag === ANOMALY) sink.anomaly(objects[o++] as AnomalyReport);
    else if (tag === WARNING) sink.warning(objects[o++] as InputWarning);
    else if (tag === PROGRESS) sink.progress({ packets: r.next(), connections: r.next(), open: r.next() });
    else throw new Error(`threads: unknown batch entry ${tag}`);
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

  constructor(private readonly port: MessagePort) {}

  finished(conn: Connection, endS: number): void {
    this.w.push(CONNECTION);
    this.w.push(endS);
    packConnection(conn.store, conn.slot, this.w);
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
    this.flush();
  }

  flush(): void {
    if (this.w.length === 0) return;
    const { numbers, strings } = this.w.take();
    this.port.postMessage({ type: 'batch', numbers, strings, objects: this.objects } satisfies FromWorker, [numbers.buffer as ArrayBuffer]);
    this.objects = [];
    this.connections = 0;
    this.inFlight++;
  }

  /** Awaited between input chunks: holds the reading back while the main thread is behind. */
  ready(): Promise<void> | null {
    return this.inFlight < MAX_IN_FLIGHT ? null : new Promise((resolve) => { this.wake = resolve; });
  }

  acked(): void {
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
  port.on('message', () => sink.acked());
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
