/**
 * Writing a large output well: records gathered as bytes into 64 KiB writes (one system call per
 * connection costs more than the connection), flushed at the latest when the current burst of
 * work ends, so a live pipe still sees each piece as soon as the input chunk that produced it is
 * processed.
 */
import { JsonBytes } from './json-bytes.js';

const BATCH_BYTES = 1 << 16;
/** Batch buffers kept for reuse (more are in flight only while a slow reader holds them). */
const MAX_SPARE = 8;

/**
 * Where a view's output goes: text or bytes (UTF-8), in order. `done`, when the writer calls it,
 * says the chunk's memory may be written again (the next batch reuses it).
 */
export type Write = (chunk: string | Uint8Array, done?: () => void) => void;

export class BatchedWriter {
  /** The batch being gathered: views write records into it directly, then call `written()`. */
  readonly bytes = new JsonBytes(BATCH_BYTES + (BATCH_BYTES >> 2));
  private flushQueued = false;
  /** Batch buffers the output is done with, for the next batches (no fresh memory per batch). */
  private readonly spare: Buffer[] = [];

  constructor(private readonly write: Write) {}

  /** Text (UTF-8) at the end of the batch. */
  push(text: string): void {
    this.bytes.text(text);
    this.written();
  }

  /** After writing into `bytes`: the batch goes out once full, or when this burst of work ends. */
  written(): void {
    if (this.bytes.pos >= BATCH_BYTES) this.flush();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => {
        this.flushQueued = false;
        this.flush();
      });
    }
  }

  flush(): void {
    if (this.bytes.pos === 0) return;
    const whole = this.bytes.buffer;
    this.write(this.bytes.take(this.spare.pop()), () => {
      if (this.spare.length < MAX_SPARE) this.spare.push(whole);
    });
  }
}
