#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

// stdout closed early (`tcptrace ... | head`) is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
main(process.argv).then((code) => {
  process.exitCode = code;
});
