/** tcpdump text output -> segments. */
import { InputError } from '../input/record.js';
import type { LineDecoder } from './text-decoder.js';

export function createTcpdumpTextDecoder(file: string, _fileIndex: number): LineDecoder {
  throw new InputError(file, 'tcpdump text input is not supported yet');
}
