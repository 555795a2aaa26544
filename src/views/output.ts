/**
 * Writing a large output well: text gathered into 64 KiB writes (one system call per connection
 * costs more than the connection), flushed at the latest when the current burst of work ends, so
 * a live pipe still sees each piece as soon as the input chunk that produced it is processed.
 */
const BATCH_BYTES = 1 << 16;

export class BatchedWriter {
  private pending: string[] = [];
  private size = 0;
  private flushQueued = false;

  constructor(private readonly write: (text: string) => void) {}

  push(text: string): void {
    this.pending.push(text);
    this.size += text.length;
    if (this.size >= BATCH_BYTES) this.flush();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => {
        this.flushQueued = false;
        this.flush();
      });
    }
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.size = 0;
    this.write(text);
  }
}
