/**
 * `--ndjson`: one JSON object per line, as things happen: each connection as soon as it is finished,
 * each anomaly as it is seen, warnings, and the alerts and summary last
 * (schema/ndjson-record.schema.json). Memory stays flat: nothing is kept for the end but counts.
 */
import type { InputWarning } from '../input/record.js';
import type { Report } from '../pipeline.js';
import type { AnomalyReport } from '../findings/types.js';
import type { ConnectionFindings } from '../findings/report.js';
import { BatchedWriter, type Write } from './output.js';
import { writeConnection } from './connection-json.js';
import { ascii } from './json-bytes.js';

const CONNECTION = ascii('{"type":"connection",');
const NEWLINE = 0x0a;

export class NdjsonWriter {
  private readonly out: BatchedWriter;

  constructor(write: Write) {
    this.out = new BatchedWriter(write);
  }

  // The two records written by the hundred thousand: their type is prefixed to the object's JSON
  // rather than spread into a copy of it. A connection is written by hand (connection-json.ts).
  connection(f: ConnectionFindings): void {
    writeConnection(this.out.bytes, f, CONNECTION);
    this.out.bytes.char(NEWLINE);
    this.out.written();
  }

  anomaly(a: AnomalyReport): void {
    this.typed('{"type":"anomaly",', a);
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
    this.out.flush();
  }

  private line(obj: object): void {
    this.out.push(JSON.stringify(obj) + '\n');
  }

  /** `prefix` opens the object with its type; the record's own JSON (never empty) follows its brace. */
  private typed(prefix: string, obj: object): void {
    this.out.push(prefix + JSON.stringify(obj).slice(1) + '\n');
  }
}
