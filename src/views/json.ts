/**
 * `--json`: the whole report as one document (SPEC section 6). Every time in it is already an
 * exact decimal of at most 9 places (src/time.ts): plain JSON.stringify, no rounding pass.
 */
import type { Report } from '../pipeline.js';
import type { AnomalyReport } from '../findings/types.js';
import type { ConnectionFindings } from '../findings/report.js';
import { BatchedWriter, type Write } from './output.js';
import { writeConnection } from './connection-json.js';
import { IndentedJsonBytes, ascii } from './json-bytes.js';

const FIRST_CONNECTION = ascii('\n    ');
const NEXT_CONNECTION = ascii(',\n    ');

export function reportJson(report: Report): string {
  return JSON.stringify(report, null, 2);
}

/**
 * The same document, written as the analysis goes: `connections` first, each as soon as it is
 * finished (in the order they finished; `id` is the order they opened), then anomalies, alerts
 * and, once known, input, options and summary. JSON leaves key order free, so a capture of a
 * million connections never holds them all, nor one string of the whole document.
 */
export class JsonStreamWriter {
  private readonly out: BatchedWriter;
  private count = 0;
  private readonly anomalies: AnomalyReport[] = [];
  /** A connection's record, laid out two levels deep (document, "connections"). */
  private readonly record = new IndentedJsonBytes(1 << 14);

  constructor(write: Write, private readonly head: Pick<Report, 'schemaVersion' | 'tool'>) {
    this.out = new BatchedWriter(write);
  }

  // A connection is written by hand (connection-json.ts: what JSON.stringify writes of f.report()),
  // laid out as it is written: JSON.stringify of the report object with indentation took twice
  // as long as the whole of --ndjson's work per connection.
  connection(f: ConnectionFindings): void {
    if (this.count === 0) this.start();
    const bytes = this.out.bytes;
    bytes.raw(this.count++ === 0 ? FIRST_CONNECTION : NEXT_CONNECTION);
    const record = this.record;
    record.pos = 0;
    record.start(2);
    writeConnection(record, f);
    bytes.raw(record.buffer.subarray(0, record.pos));
    this.out.written();
  }

  /** The document opens with the first connection (or at the end): an input error before leaves stdout empty. */
  private start(): void {
    this.out.push(`{\n  "schemaVersion": ${JSON.stringify(this.head.schemaVersion)},\n  "tool": ${indent(JSON.stringify(this.head.tool, null, 2), 2)},\n  "connections": [`);
  }

  anomaly(a: AnomalyReport): void {
    this.anomalies.push(a);
  }

  finish(r: Report): void {
    const rest = { anomalies: this.anomalies, alerts: r.alerts, input: r.input, options: r.options, summary: r.summary };
    if (this.count === 0) this.start();
    this.out.push(this.count === 0 ? ']' : '\n  ]');
    for (const [k, v] of Object.entries(rest)) this.out.push(`,\n  ${JSON.stringify(k)}: ${indent(JSON.stringify(v, null, 2), 2)}`);
    this.out.push('\n}\n');
    this.out.flush();
  }
}

function indent(json: string, spaces: number): string {
  return json.replace(/\n/g, `\n${' '.repeat(spaces)}`);
}
