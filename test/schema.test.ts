/** The JSON contract (SPEC section 6): real `--json` output of every fixture validates against the shipped schema. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, cli } from './helpers/run.js';

const schema = JSON.parse(readFileSync(join(ROOT, 'schema/report.schema.json'), 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
/** Every fixture's capture, and the other captures some fixtures hold (router-two-ifaces' pcapng). */
const captures = readdirSync(FIXTURES, { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap(({ name: d }) => readdirSync(join(FIXTURES, d))
  .filter((f) => /^[\w-]+\.pcap(ng)?$/.test(f)).map((f) => (f === 'capture.pcap' ? d : `${d}/${f}`)));

describe('--json output validates against schema/report.schema.json', () => {
  for (const name of captures) {
    it(name, () => {
      const r = cli(['analyze', join(FIXTURES, name.includes('/') ? name : `${name}/capture.pcap`), '--json']);
      expect(r.code).toBe(0);
      // Every time is an exact decimal of at most 9 places: no float noise (0.30000000000000004).
      expect(r.stdout).not.toMatch(/\d\.\d{10,}/);
      const doc = JSON.parse(r.stdout);
      const ok = validate(doc);
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    });
  }

  it('rejects a document that breaks the contract (the schema is not vacuous)', () => {
    const doc = JSON.parse(cli(['analyze', join(FIXTURES, 'client-close-first', 'capture.pcap'), '--json']).stdout);
    doc.connections[0].handshake.kind = 'mostly-complete';
    delete doc.connections[0].finalState;
    expect(validate(doc)).toBe(false);
  });
});
