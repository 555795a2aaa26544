/**
 * Progress on long work: one line on stderr, rewritten in place, only when stderr is a terminal
 * (never in a pipe, a CI log or a file), and only once the work has run a second.
 */
import type { ProgressInfo } from '../pipeline.js';

const FIRST_AFTER_MS = 1000;
const EVERY_MS = 250;

export class Progress {
  private readonly started = Date.now();
  private last = 0;
  private shown = false;
  private readonly on = process.stderr.isTTY === true;

  constructor(private readonly files: string[]) {}

  update(p: ProgressInfo): void {
    if (!this.on) return;
    const now = Date.now();
    if (now - this.started < FIRST_AFTER_MS || now - this.last < EVERY_MS) return;
    this.last = now;
    const secs = (now - this.started) / 1000;
    const rate = Math.round(p.packets / secs / 1000);
    const where = this.files.length === 1 ? this.files[0] : `${this.files.length} files`;
    process.stderr.write(`\r\x1b[K${where}: ${p.packets.toLocaleString('en')} packets (${rate}k/s), ${p.connections.toLocaleString('en')} connections, ${p.open.toLocaleString('en')} open`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}
