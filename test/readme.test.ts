/** The README's example outputs are real: regenerated from the fixtures, they must not have drifted. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from './helpers/run.js';

it('README.md examples match what the tool prints today (node docs/readme-examples.mjs to refresh)', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'docs/readme-examples.mjs'), '--check'], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});
