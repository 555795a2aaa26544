/**
 * `tcptrace check`: does the report hold what an expectation file says? The expectation is a part
 * of the JSON report (any subset of its fields, arrays matched element by element), so a CI job
 * writes down only the facts it cares about. Each mismatch is one line naming the JSON path.
 */

/** Paths where `actual` differs from the partial `expected`, as "path: expected X, got Y". */
export function mismatches(expected: unknown, actual: unknown, path = ''): string[] {
  const here = path || '(report)';
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${here}: expected an array, got ${show(actual)}`];
    const out: string[] = [];
    if (expected.length > actual.length) out.push(`${here}: expected at least ${expected.length} items, got ${actual.length}`);
    expected.forEach((e, i) => {
      if (i < actual.length) out.push(...mismatches(e, actual[i], `${path}[${i}]`));
    });
    return out;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return [`${here}: expected an object, got ${show(actual)}`];
    return Object.entries(expected).flatMap(([k, v]) =>
      k in (actual as object)
        ? mismatches(v, (actual as Record<string, unknown>)[k], path ? `${path}.${k}` : k)
        : [`${path ? `${path}.${k}` : k}: expected ${show(v)}, but the report has no such field`]);
  }
  return Object.is(expected, actual) || (typeof expected === 'number' && typeof actual === 'number' && Math.abs(expected - actual) < 1e-9)
    ? [] : [`${here}: expected ${show(expected)}, got ${show(actual)}`];
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? 'nothing' : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
