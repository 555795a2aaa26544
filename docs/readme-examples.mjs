#!/usr/bin/env node
// Regenerates the example outputs in README.md from the fixtures, so they never drift from what
// the tool prints. Each block sits between `<!-- example: NAME -->` and `<!-- /example -->`.
//   node docs/readme-examples.mjs          rewrite README.md
//   node docs/readme-examples.mjs --check  exit 1 if README.md is out of date (the test suite runs this)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tcptrace = (...args) =>
  execFileSync(process.execPath, [join(root, 'bin/tcptrace.js'), ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] }).toString();

// What `jq -c 'select(.type=="connection") | {id, handshake: .handshake.kind, close: .close.kind, timeWait: [.timeWait[].end]}'` prints.
const jqConnections = (ndjson) => ndjson.trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.type === 'connection')
  .map((r) => JSON.stringify({ id: r.id, handshake: r.handshake.kind, close: r.close.kind, timeWait: r.timeWait.map((w) => w.end) })).join('\n') + '\n';

const examples = {
  analyze: () => ({ cmd: 'tcptrace analyze fixtures/three-way-close/capture.pcap', out: tcptrace('analyze', 'fixtures/three-way-close/capture.pcap') }),
  ndjson: () => ({
    cmd: `tcptrace analyze fixtures/time-wait-reuse/capture.pcap --ndjson \\\n  | jq -c 'select(.type=="connection") | {id, handshake: .handshake.kind, close: .close.kind, timeWait: [.timeWait[].end]}'`,
    out: jqConnections(tcptrace('analyze', 'fixtures/time-wait-reuse/capture.pcap', '--ndjson')),
  }),
  ladder: () => ({ cmd: 'tcptrace ladder fixtures/simultaneous-close/capture.pcap', out: tcptrace('ladder', 'fixtures/simultaneous-close/capture.pcap') }),
  states: () => ({ cmd: 'tcptrace states fixtures/simultaneous-close/capture.pcap --at 1.49', out: tcptrace('states', 'fixtures/simultaneous-close/capture.pcap', '--at', '1.49') }),
  alerts: () => {
    let out;
    try {
      out = tcptrace('analyze', 'fixtures/fin-dropped/capture.pcap', '--linger', '1', '--fail-on', 'lingering', '--json');
    } catch (e) {
      out = e.stderr.toString(); // exit 1: the violations are on stderr
    }
    return { cmd: 'tcptrace analyze fixtures/fin-dropped/capture.pcap --linger 1 --fail-on lingering --json > report.json; echo $?', out: `${out}1\n` };
  },
};

const readmePath = join(root, 'README.md');
const before = readFileSync(readmePath, 'utf8');
const after = before.replace(/<!-- example: ([a-z-]+) -->\n[\s\S]*?<!-- \/example -->/g, (_m, name) => {
  const make = examples[name];
  if (!make) throw new Error(`README.md: no example named ${name}`);
  const { cmd, out } = make();
  return `<!-- example: ${name} -->\n\`\`\`\n$ ${cmd}\n${out.trimEnd()}\n\`\`\`\n<!-- /example -->`;
});
if (process.argv.includes('--check')) {
  if (after !== before) {
    console.error('README.md examples are out of date: run node docs/readme-examples.mjs');
    process.exit(1);
  }
} else {
  writeFileSync(readmePath, after);
}
