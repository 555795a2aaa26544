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
    const line = `${where}: ${howFar(p, secs)}${p.packets.toLocaleString('en')} packets (${rate}k/s), ${p.connections.toLocaleString('en')} connections, ${p.open.toLocaleString('en')} open`;
    // One line, rewritten in place: a line wider than the terminal would wrap and not be rewritten.
    const width = process.stderr.columns;
    process.stderr.write(`\r\x1b[K${width && line.length >= width ? line.slice(0, width - 1) : line}`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}

/**
 * How much of the input is read and how long the rest should take at the pace so far ("42% of
 * 1.4 GB, ~8 s left, "), when the input's size is known (files; not stdin). The connections still
 * open at the end are finished after the last byte, so the estimate is a little short.
 */
export function howFar(p: ProgressInfo, secs: number): string {
  if (p.bytesTotal <= 0 || p.bytesRead <= 0) return '';
  const done = Math.min(p.bytesRead / p.bytesTotal, 1);
  const left = done >= 0.01 ? `, ~${duration((secs * (1 - done)) / done)} left` : '';
  return `${Math.floor(done * 100)}% of ${size(p.bytesTotal)}${left}, `;
}

function size(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${Math.round(bytes / 1e6)} MB`;
  return `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}

function duration(secs: number): string {
  const s = Math.ceil(secs);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
