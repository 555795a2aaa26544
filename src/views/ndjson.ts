/**
 * `--ndjson`: one JSON object per line, as things happen: each connection as soon as it is finished,
 * each anomaly as it is seen, warnings, and the summary last (schema/ndjson-record.schema.json).
 * Memory stays flat: nothing is kept for the end but counts.
 */
import type { InputWarning } from '../input/record.js';
import type { Report } from '../pipeline.js';
import type { AnomalyReport, ConnectionReport } from '../findings/types.js';
import { toJson } from './json.js';

/** Lines are gathered up to this size before a write: one system call per line costs more than the line. */
const BATCH_BYTES = 1 << 16;

export class NdjsonWriter {
  private pending: string[] = [];
  private size = 0;
  private flushQueued = false;

  constructor(private readonly write: (text: string) => void) {}

  /** Writes what is gathered. Also runs by itself once the current burst of work is done. */
  flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.size = 0;
    this.write(text);
  }

  connection(c: ConnectionReport): void {
    this.line({ type: 'connection', ...c });
  }

  anomaly(a: AnomalyReport): void {
    this.line({ type: 'anomaly', ...a });
  }

  warning(w: InputWarning): void {
    const { truncated: _t, ...rest } = w;
    this.line({ type: 'warning', ...rest });
  }

  /** The end: each alert (they need the whole capture), then the summary without the lists already streamed. */
  summary(r: Report): void {
    for (const a of r.alerts) this.line({ type: 'alert', ...a });
    const { connections: _c, anomalies: _a, alerts: _al, ...rest } = r;
    this.line({ type: 'summary', ...rest });
    this.flush();
  }

  private line(obj: object): void {
    const text = toJson(obj, 0) + '\n';
    this.pending.push(text);
    this.size += text.length;
    if (this.size >= BATCH_BYTES) this.flush();
    else if (!this.flushQueued) {
      // A live pipe still sees each line as soon as the chunk that produced it is processed.
      this.flushQueued = true;
      setImmediate(() => {
        this.flushQueued = false;
        this.flush();
      });
    }
  }
}
