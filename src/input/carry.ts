/**
 * The bytes of one unit (a record, a block, a line) that a chunk boundary cut in two, kept by a
 * push parser until the next chunk completes it. Only that unit is copied (never the chunk
 * itself), into one buffer reused for the whole file, so reading a large capture makes no fresh
 * memory per chunk: the reader's chunk buffer can be reused as soon as `push` returns.
 */
export class Carry {
  private buf = Buffer.allocUnsafe(1 << 12);
  /** Bytes held. */
  length = 0;
  /** Offset in the file (or the decompressed stream) of the first byte held. */
  fileOffset = 0;

  /** Appends `src[from, to)`. */
  append(src: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (this.length + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < this.length + n) size *= 2;
      const grown = Buffer.allocUnsafe(size);
      this.buf.copy(grown, 0, 0, this.length);
      this.buf = grown;
    }
    this.buf.set(src.subarray(from, to), this.length);
    this.length += n;
  }

  /** Starts holding `src[from, to)`, which begins at `fileOffset` in the file. */
  start(src: Uint8Array, from: number, to: number, fileOffset: number): void {
    this.length = 0;
    this.fileOffset = fileOffset;
    this.append(src, from, to);
  }

  /** The bytes held (a view: valid until the next append). */
  get bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  clear(): void {
    this.length = 0;
  }
}
