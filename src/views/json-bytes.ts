/**
 * JSON written as bytes into one growing buffer, for the records a large capture writes by the
 * hundred thousand (views/connection-json.ts). Building a 2.3 KB record as a string costs a
 * string object per piece, and writing it out costs flattening and encoding them again; here each
 * piece is copied or formatted straight into the output bytes, and only the buffer leaves.
 *
 * Numbers are written exactly as ECMAScript's Number::toString (and so JSON.stringify) writes
 * them; strings as JSON.stringify writes them.
 */

/** The two ASCII digits of 0..99, as one 16-bit unit each: DIGIT_PAIRS[n] = high digit | low digit << 8. */
const DIGIT_PAIRS = new Uint16Array(100);
for (let i = 0; i < 100; i++) DIGIT_PAIRS[i] = (48 + Math.floor(i / 10)) | ((48 + (i % 10)) << 8);

const NULL = ascii('null');
const TRUE = ascii('true');
const FALSE = ascii('false');

/** An ASCII constant as bytes (keys, punctuation, names): copied into the output as it is. */
export function ascii(text: string): Uint8Array {
  const b = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) throw new Error(`not ASCII: ${text}`);
    b[i] = c;
  }
  return b;
}

export class JsonBytes {
  private buf: Buffer;
  /** Bytes written so far. */
  pos = 0;

  constructor(private readonly capacity = 1 << 16) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const b = Buffer.allocUnsafe(size);
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }

  /**
   * The bytes written so far; the writer goes on in `next` (a buffer no longer in use) or a new
   * one, so these stay as they are while an asynchronous write still holds them.
   */
  take(next?: Buffer): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = next ?? Buffer.allocUnsafe(this.capacity);
    this.pos = 0;
    return out;
  }

  /** The buffer being written into (whole). */
  get buffer(): Buffer {
    return this.buf;
  }

  /** An ASCII constant (see `ascii`). */
  raw(bytes: Uint8Array): void {
    const n = bytes.length;
    this.reserve(n);
    const o = this.pos;
    // A copy costs a call into the engine; byte by byte is quicker below a few words.
    if (n > 8) this.buf.set(bytes, o);
    else for (let i = 0; i < n; i++) this.buf[o + i] = bytes[i]!;
    this.pos = o + n;
  }

  /** One ASCII character by its code. */
  char(code: number): void {
    this.reserve(1);
    this.buf[this.pos++] = code;
  }

  /** Any text, as UTF-8 (other records, already JSON). */
  text(s: string): void {
    this.reserve(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  bool(v: boolean): void {
    this.raw(v ? TRUE : FALSE);
  }

  null(): void {
    this.raw(NULL);
  }

  nullableNumber(x: number | null): void {
    if (x === null) this.raw(NULL);
    else this.number(x);
  }

  /**
   * A number as JSON.stringify writes it (non-finite as null).
   *
   * Integers below 2^31 are written digit pair by digit pair. Times are whole nanoseconds divided
   * by 1e9 (time.ts), so a time x with 1e-6 <= |x| < 1e6 is written from n = round(|x| * 1e9) as
   * `seconds.fraction`: when n / 1e9 === |x| and the decimal has at most 15 significant digits, no
   * shorter decimal names the same double (15 digits always round-trip), so that decimal is what
   * Number::toString writes. Anything else (exponent notation below 1e-6, larger integers, other
   * doubles) is left to String(x).
   */
  number(x: number): void {
    this.reserve(32);
    if ((x | 0) === x) {
      if (x >= 0) this.uint(x);
      else if (x !== -2147483648) {
        this.buf[this.pos++] = 45; // '-'
        this.uint(-x);
      } else this.asciiText(String(x));
      return;
    }
    const abs = x < 0 ? -x : x;
    if (abs >= 1e-6 && abs < 1e6) {
      const n = Math.round(abs * 1e9);
      if (n / 1e9 === abs) {
        if (x < 0) this.buf[this.pos++] = 45;
        const sec = Math.floor(n / 1e9) | 0;
        this.uint(sec);
        this.fraction((n - sec * 1e9) | 0);
        return;
      }
    }
    this.asciiText(Number.isFinite(x) ? String(x) : 'null');
  }

  /** A string as JSON.stringify writes it: printable ASCII as it is, anything else escaped. */
  string(s: string): void {
    this.reserve(s.length + 2);
    const b = this.buf;
    let o = this.pos;
    b[o++] = 34; // '"'
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
        this.text(JSON.stringify(s));
        return;
      }
      b[o++] = c;
    }
    b[o++] = 34;
    this.pos = o;
  }

  /** 0 <= x < 2^31, room reserved. */
  private uint(x: number): void {
    const b = this.buf;
    const o = this.pos;
    if (x < 10) {
      b[o] = 48 + x;
      this.pos = o + 1;
      return;
    }
    let digits = 2;
    for (let limit = 100; x >= limit && digits < 10; limit *= 10) digits++;
    let p = o + digits;
    this.pos = p;
    while (x >= 100) {
      const q = (x / 100) | 0;
      const pair = DIGIT_PAIRS[x - q * 100]!;
      b[--p] = pair >>> 8;
      b[--p] = pair & 0xff;
      x = q;
    }
    if (x >= 10) {
      const pair = DIGIT_PAIRS[x]!;
      b[--p] = pair >>> 8;
      b[--p] = pair & 0xff;
    } else b[--p] = 48 + x;
  }

  /** '.' and the nine digits of `frac` (1 .. 999999999 nanoseconds) without their trailing zeros, room reserved. */
  private fraction(frac: number): void {
    if (frac === 0) return;
    const b = this.buf;
    const o = this.pos;
    b[o] = 46; // '.'
    let p = o + 10;
    let x = frac;
    // Nine digits, the last one alone, then four pairs (leading zeros included).
    let q = (x / 10) | 0;
    b[--p] = 48 + x - q * 10;
    x = q;
    for (let k = 0; k < 4; k++) {
      q = (x / 100) | 0;
      const pair = DIGIT_PAIRS[x - q * 100]!;
      b[--p] = pair >>> 8;
      b[--p] = pair & 0xff;
      x = q;
    }
    let end = o + 10;
    while (b[end - 1] === 48) end--;
    this.pos = end;
  }

  private asciiText(s: string): void {
    this.reserve(s.length);
    const b = this.buf;
    let o = this.pos;
    for (let i = 0; i < s.length; i++) b[o++] = s.charCodeAt(i);
    this.pos = o;
  }
}

const SPACE = 0x20;
const NEWLINE = 0x0a;

/**
 * JSON laid out as `JSON.stringify(value, null, 2)` lays it out, written by the same calls as
 * JsonBytes (connection-json.ts writes through either): a newline and two spaces per level before
 * each member and each closing bracket, a space after each colon, empty objects and arrays kept
 * as `{}` and `[]`. `start(depth)` places the value that many levels deep in a document.
 *
 * Numbers and strings are atoms, written as JsonBytes writes them. A constant (`raw`) is laid out
 * once for the level it is written at and kept (constants are few and are written at the same
 * place every time), so a record costs little more than compact JSON; an opening bracket waits for
 * what follows it, which decides between `[]` and a newline.
 */
export class IndentedJsonBytes extends JsonBytes {
  private level = 0;
  /** An opening bracket was written last: its newline is written with what follows it (unless that closes it). */
  private pending = false;
  private readonly laidOut = new WeakMap<Uint8Array, LaidOut[]>();

  /** The next value sits `depth` levels deep. */
  start(depth: number): void {
    this.level = depth;
    this.pending = false;
  }

  override raw(bytes: Uint8Array): void {
    const level = this.level;
    const pending = this.pending;
    let forms = this.laidOut.get(bytes);
    if (forms === undefined) this.laidOut.set(bytes, (forms = []));
    let form: LaidOut | undefined;
    for (let i = 0; i < forms.length; i++) {
      const f = forms[i]!;
      if (f.level === level && f.pending === pending) { form = f; break; }
    }
    if (form === undefined) forms.push((form = layOut(bytes, level, pending)));
    super.raw(form.bytes);
    this.level = form.endLevel;
    this.pending = form.endPending;
  }

  override char(code: number): void {
    this.raw(CHARS[code] ??= Uint8Array.of(code));
  }

  override number(x: number): void {
    this.open();
    super.number(x);
  }

  override string(s: string): void {
    this.open();
    super.string(s);
  }

  /** JSON text (a string JsonBytes.string escaped, or any compact JSON), laid out from where the writer is. */
  override text(s: string): void {
    const form = layOut(Buffer.from(s, 'utf8'), this.level, this.pending);
    super.raw(form.bytes);
    this.level = form.endLevel;
    this.pending = form.endPending;
  }

  /** Before an atom: the newline an opening bracket left waiting. */
  private open(): void {
    if (!this.pending) return;
    this.pending = false;
    const n = 1 + 2 * this.level;
    this.reserve(n);
    this.pos = newline(this.buffer, this.pos, this.level);
  }
}

/** A constant as written at one level: its laid-out bytes and the level (and waiting bracket) after it. */
interface LaidOut { level: number; pending: boolean; bytes: Uint8Array; endLevel: number; endPending: boolean }

/** Single characters as constants (IndentedJsonBytes.char). */
const CHARS: (Uint8Array | undefined)[] = [];

/** Lays `src` (compact JSON, whole strings) out starting at `level`, `pending` as IndentedJsonBytes keeps it. */
function layOut(src: Uint8Array, level: number, pending: boolean): LaidOut {
  const out: number[] = [];
  const start = { level, pending };
  const nl = () => { out.push(NEWLINE); for (let k = 2 * level; k > 0; k--) out.push(SPACE); };
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    const closes = c === 0x7d || c === 0x5d; // '}', ']'
    if (pending) {
      pending = false;
      if (closes) { level--; out.push(c); continue; } // '{}', '[]'
      nl();
    }
    if (c === 0x22) { // '"': the string, to its closing quote
      out.push(c);
      for (i++; ; i++) {
        if (i >= src.length) throw new Error(`a JSON constant ends inside a string: ${Buffer.from(src).toString('utf8')}`);
        const s = src[i]!;
        out.push(s);
        if (s === 0x5c) out.push(src[++i]!);
        else if (s === 0x22) break;
      }
    } else if (c === 0x3a) out.push(c, SPACE); // ':'
    else if (c === 0x2c) { out.push(c); nl(); } // ','
    else if (closes) { level--; nl(); out.push(c); }
    else if (c === 0x7b || c === 0x5b) { out.push(c); level++; pending = true; } // '{', '['
    else out.push(c);
  }
  return { level: start.level, pending: start.pending, bytes: Uint8Array.from(out), endLevel: level, endPending: pending };
}

/** A newline and `level` levels of indentation at `o` (room reserved); the position after. */
function newline(b: Uint8Array, o: number, level: number): number {
  b[o++] = NEWLINE;
  for (let k = 2 * level; k > 0; k--) b[o++] = SPACE;
  return o;
}
