/**
 * `--json`: the whole report as one document (SPEC section 6). Every time in it is already an
 * exact decimal of at most 9 places (src/time.ts): plain JSON.stringify, no rounding pass.
 */
import type { Report } from '../pipeline.js';
import type { AnomalyReport } from '../findings/types.js';
import type { ConnectionFindings } from '../findings/report.js';
import { BatchedWriter, type Write } from './output.js';

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

  constructor(write: Write, private readonly head: Pick<Report, 'schemaVersion' | 'tool'>) {
    this.out = new BatchedWriter(write);
  }

  connection(f: ConnectionFindings): void {
    if (this.count === 0) this.start();
    this.out.push(`${this.count++ === 0 ? '\n' : ',\n'}    ${atDepth2(f.report())}`);
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

// A connection sits two levels deep (document, "connections" array): stringified inside two arrays,
// its lines come out indented as they must be, without a second pass over the text to indent them.
const OPEN2 = '[\n  [\n    '.length;
const CLOSE2 = '\n  ]\n]'.length;
function atDepth2(v: unknown): string {
  const json = JSON.stringify([[v]], null, 2);
  return json.slice(OPEN2, json.length - CLOSE2);
}

function indent(json: string, spaces: number): string {
  return json.replace(/\n/g, `\n${' '.repeat(spaces)}`);
}
