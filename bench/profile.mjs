#!/usr/bin/env node
/**
 * bench/profile.mjs: the hottest functions of a V8 .cpuprofile (from `node --cpu-prof`).
 *
 *   node --cpu-prof --cpu-prof-dir=bench/out/prof bin/tcptrace.js analyze bench/out/cap-1000000-s1.pcap --ndjson > /dev/null
 *   node bench/profile.mjs bench/out/prof/*.cpuprofile [--top N]
 *
 * Prints self time (time spent in the function's own code) and total time (self plus callees,
 * each function counted once per stack), per function and source line, hottest first.
 */
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
let top = 25;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--top') top = Number(args[++i]);
  else files.push(args[i]);
}
if (files.length === 0) {
  process.stderr.write('usage: node bench/profile.mjs FILE.cpuprofile [--top N]\n');
  process.exit(2);
}

for (const file of files) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (n) => {
    const cf = n.callFrame;
    const where = cf.url ? `${cf.url.replace(/^file:\/\//, '').split('/').slice(-2).join('/')}:${cf.lineNumber + 1}` : '';
    return `${cf.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
  };
  const selfUs = new Map();
  const totalUs = new Map();
  let sum = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    sum += dt;
    let id = p.samples[i];
    const leaf = name(byId.get(id));
    selfUs.set(leaf, (selfUs.get(leaf) ?? 0) + dt);
    const seen = new Set();
    while (id !== undefined) {
      const k = name(byId.get(id));
      if (!seen.has(k)) {
        seen.add(k);
        totalUs.set(k, (totalUs.get(k) ?? 0) + dt);
      }
      id = parent.get(id);
    }
  }
  const pct = (us) => `${((100 * us) / sum).toFixed(1).padStart(5)}%`;
  console.log(`${file}: ${(sum / 1e6).toFixed(2)} s sampled`);
  console.log(' self    total   function');
  for (const [k, us] of [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${pct(us)}  ${pct(totalUs.get(k) ?? us)}   ${k}`);
  }
}
