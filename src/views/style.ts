/** Colour for terminal views: only on a TTY, never with NO_COLOR or --no-color. */
import { Chalk, type ChalkInstance } from 'chalk';

export function makeChalk(wantColor: boolean, stream: NodeJS.WriteStream = process.stdout): ChalkInstance {
  const noColorEnv = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  const on = wantColor && !noColorEnv && stream.isTTY === true;
  return new Chalk({ level: on ? 1 : 0 });
}
