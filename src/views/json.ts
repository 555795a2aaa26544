/** `--json`: the whole report as one document (SPEC section 6). */
import type { Report } from '../pipeline.js';

/**
 * Plain JSON: every time in the report is already an exact decimal of at most 9 places (see
 * src/time.ts), so nothing needs rounding here; a test checks no output carries float noise.
 */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent);
}

export function reportJson(report: Report): string {
  return toJson(report);
}
