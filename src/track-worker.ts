/** Entry point of the tracking thread (see threads.ts): started by trackInWorker, never run directly. */
import { parentPort, workerData } from 'node:worker_threads';
import { runTrackWorker, type WorkerInput } from './threads.js';

if (parentPort === null) throw new Error('track-worker.js runs as a worker thread of tcptrace');
await runTrackWorker(parentPort, workerData as WorkerInput);
