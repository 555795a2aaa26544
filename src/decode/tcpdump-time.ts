/**
 * Timestamps as tcpdump prints them (print.c ts_print), read back into epoch seconds + ns.
 *
 *   (default)  09:17:18.868578             time of day, local time, no date
 *   -t         (nothing)
 *   -tt        1795252641.807237           seconds since the epoch
 *   -ttt        00:00:00.000016            delta since the previous packet; the first column
 *                                          holds the sign (' ' or '-'), hours may exceed 23
 *   -tttt      2026-11-21 09:17:21.807237  date and time of day, local time
 *   -ttttt      00:00:00.000030            delta since the first packet, same form as -ttt
 *
 * The fraction has 6 digits, or 9 with --nano / --time-stamp-precision=nano.
 *
 * -ttt and -ttttt print the same form, so which one a file holds is inferred from the values
 * (see DeltaResolver); everything else is known from the line itself.
 */

export const enum TsKind {
  NONE = 0,
  TOD = 1,
  EPOCH = 2,
  DATE = 3,
  DELTA = 4,
}

const DAY = 86400;
const HALF_DAY = 43200;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Reads the timestamp that opens a packet line (after the -# number, if any). One instance per
 * file: it keeps the state that time of day needs (the day count across midnight).
 */
export class TimestampReader {
  /** 6 or 9: the longest fraction seen so far. */
  digits = 6;
  /** What the last parse() found, and its value: seconds + ns (for DELTA, the magnitude). */
  kind: TsKind = TsKind.NONE;
  sec = 0;
  nsec = 0;
  negative = false;
  /** Digits of the last parse()'s fraction of a second (tcpdump prints 6 or 9). */
  fracDigits = 0;
  /**
   * When not 0, a shorter fraction is no timestamp: tcpdump prints every packet's with 6 or 9
   * digits (more only for invalid values), and in `-A` output a payload line may start like a
   * timestamp ("0.26 | 2012-08-24").
   */
  minDigits = 0;

  private lastTod = -1;
  private dayOffset = 0;
  private num = 0;

  /**
   * Parses a timestamp at `p`; returns the index just past it and its separating space, or -1
   * when there is none (kind is then NONE).
   */
  parse(text: string, p: number): number {
    this.kind = TsKind.NONE;
    this.negative = false;
    const c = text.charCodeAt(p);
    if ((c === 32 || c === 45) && isDigit(text.charCodeAt(p + 1))) {
      // -ttt / -ttttt: a sign column, then H+:MM:SS.frac with unbounded hours.
      const q = this.hms(text, p + 1);
      if (q < 0 || text.charCodeAt(q) !== 32) return -1;
      this.kind = TsKind.DELTA;
      this.negative = c === 45;
      return q + 1;
    }
    if (!isDigit(c)) return -1;
    const q = this.digitsAt(text, p);
    const n = this.num;
    const sep = text.charCodeAt(q);
    if (sep === 58) { // ':' -> time of day
      const r = this.hms(text, p);
      if (r < 0 || text.charCodeAt(r) !== 32) return -1;
      this.kind = TsKind.TOD;
      this.todToAbsolute();
      return r + 1;
    }
    if (sep === 45 && q - p === 4) { // '-' after four digits -> -tttt date
      const month = this.digitsAt(text, q + 1);
      if (month - (q + 1) !== 2 || text.charCodeAt(month) !== 45) return -1;
      const m = this.num;
      const dayEnd = this.digitsAt(text, month + 1);
      if (dayEnd - (month + 1) !== 2 || text.charCodeAt(dayEnd) !== 32) return -1;
      const d = this.num;
      const r = this.hms(text, dayEnd + 1);
      if (r < 0 || text.charCodeAt(r) !== 32) return -1;
      this.kind = TsKind.DATE;
      // tcpdump wrote local time and did not say which zone: read it as UTC. Relative times are
      // unaffected (except across a DST change); the absolute start may be off by the offset.
      this.sec += daysFromCivil(n, m, d) * DAY;
      return r + 1;
    }
    if (sep === 46) { // '.' -> -tt epoch seconds
      const r = this.fraction(text, q + 1);
      if (r < 0 || text.charCodeAt(r) !== 32) return -1;
      this.kind = TsKind.EPOCH;
      this.sec = n;
      return r + 1;
    }
    return -1;
  }

  /** H+:MM:SS.frac at p into sec/nsec; returns the end index or -1. */
  private hms(text: string, p: number): number {
    let q = this.digitsAt(text, p);
    if (q === p || text.charCodeAt(q) !== 58) return -1;
    const h = this.num;
    const mEnd = this.digitsAt(text, q + 1);
    if (mEnd - (q + 1) !== 2 || text.charCodeAt(mEnd) !== 58) return -1;
    const m = this.num;
    const sEnd = this.digitsAt(text, mEnd + 1);
    if (sEnd - (mEnd + 1) !== 2 || text.charCodeAt(sEnd) !== 46) return -1;
    const s = this.num;
    q = this.fraction(text, sEnd + 1);
    if (q < 0) return -1;
    this.sec = h * 3600 + m * 60 + s;
    return q;
  }

  /** The fraction digits at p into nsec (6 digits: µs, 9: ns); returns the end index or -1. */
  private fraction(text: string, p: number): number {
    const q = this.digitsAt(text, p);
    const n = q - p;
    if (n === 0 || n > 9 || n < this.minDigits) return -1;
    let v = this.num;
    for (let i = n; i < 9; i++) v *= 10;
    this.nsec = v;
    this.fracDigits = n;
    if (n > 6) this.digits = 9;
    return q;
  }

  private digitsAt(text: string, p: number): number {
    let v = 0;
    let q = p;
    for (;;) {
      const c = text.charCodeAt(q);
      if (!isDigit(c) || q - p >= 16) break;
      v = v * 10 + (c - 48);
      q++;
    }
    this.num = v;
    return q;
  }

  /**
   * Time of day has no date: count days from day 0 of the epoch, and add one whenever the clock
   * goes back by more than 12 hours (the capture crossed midnight; smaller steps back are
   * out-of-order timestamps, which loopback captures do show).
   */
  private todToAbsolute(): void {
    const tod = this.sec;
    if (this.lastTod >= 0 && tod < this.lastTod - HALF_DAY) this.dayOffset++;
    else if (this.lastTod >= 0 && tod > this.lastTod + HALF_DAY && this.dayOffset > 0) this.dayOffset--;
    this.lastTod = tod;
    this.sec = tod + this.dayOffset * DAY;
  }
}

/** Days from 1970-01-01 to the given proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** How a file's delta timestamps are meant: since the previous packet (-ttt) or the first (-ttttt). */
export const enum DeltaMode {
  UNKNOWN = 0,
  PREVIOUS = 1,
  FIRST = 2,
}

/** TCP timestamp clocks seen in the wild, in ticks per second (RFC 7323 leaves it open). */
const TS_RATES = [1000, 1_000_000, 250, 100, 10];

/** Packets read before giving up on evidence and taking the values as since-the-first. */
export const DELTA_DECIDE_AFTER = 64;
/** Drops that out-of-order timestamps do not explain: that many at once, or that share of steps. */
const MANY_DROPS = 8;
const DROP_SHARE = 0.15;

/**
 * Tells -ttt from -ttttt. They print the same thing, so the values decide:
 *  - since-the-first values only go down when timestamps are out of order, which happens rarely
 *    and by tens of µs (loopback); deltas go down about every other packet. A drop of more than
 *    1 ms, or MANY_DROPS drops, means -ttt.
 *  - TCP timestamps (TS val) tick with the sender's clock: between two packets of one sender,
 *    the elapsed time under one reading matches the tick count at a usual clock rate and under
 *    the other it does not.
 *  - Otherwise, after DELTA_DECIDE_AFTER packets (or at the end of the file), the values are
 *    deltas if they dropped at DROP_SHARE of the steps or more, else since-the-first.
 */
export class DeltaResolver {
  mode: DeltaMode = DeltaMode.UNKNOWN;
  private count = 0;
  private prevV = 0;
  private cum = 0;
  private drops = 0;
  private readonly firstTs = new Map<string, { tsVal: number; v: number; cum: number }>();

  /** One packet line with delta value `v` (seconds, signed). Returns the mode (maybe decided now). */
  packet(v: number): DeltaMode {
    if (this.mode !== DeltaMode.UNKNOWN) return this.mode;
    this.cum += v;
    if (this.count > 0 && v < this.prevV) {
      this.drops++;
      if (this.prevV - v > 0.001 || this.drops >= MANY_DROPS) this.mode = DeltaMode.PREVIOUS;
    }
    this.prevV = v;
    this.count++;
    if (this.mode === DeltaMode.UNKNOWN && this.count >= DELTA_DECIDE_AFTER) this.settle();
    return this.mode;
  }

  /** A TS val seen from `sender` on the packet last given to packet(), whose value was `v`. */
  tsVal(sender: string, tsVal: number, v: number): DeltaMode {
    if (this.mode !== DeltaMode.UNKNOWN) return this.mode;
    const first = this.firstTs.get(sender);
    if (!first) {
      this.firstTs.set(sender, { tsVal, v, cum: this.cum });
      return this.mode;
    }
    const ticks = (tsVal - first.tsVal) >>> 0;
    if (ticks === 0 || ticks > 0x7fffffff) return this.mode;
    const dFirst = v - first.v;
    const dPrev = this.cum - first.cum;
    const spread = Math.max(Math.abs(dFirst), Math.abs(dPrev));
    if (Math.abs(dFirst - dPrev) < Math.max(0.02, 0.25 * spread)) return this.mode; // no contrast yet
    const mFirst = rateMatches(ticks, dFirst);
    const mPrev = rateMatches(ticks, dPrev);
    if (mFirst && !mPrev) this.mode = DeltaMode.FIRST;
    else if (mPrev && !mFirst) this.mode = DeltaMode.PREVIOUS;
    return this.mode;
  }

  /** No more evidence will come: decide. */
  settle(): DeltaMode {
    if (this.mode === DeltaMode.UNKNOWN) {
      this.mode = this.drops > 0 && this.drops >= DROP_SHARE * (this.count - 1) ? DeltaMode.PREVIOUS : DeltaMode.FIRST;
    }
    this.firstTs.clear();
    return this.mode;
  }
}

/** Does `ticks` over `seconds` fit one of the usual TS clock rates (within 15%, 20 ticks at least)? */
function rateMatches(ticks: number, seconds: number): boolean {
  if (seconds <= 0) return false;
  const rate = ticks / seconds;
  for (const r of TS_RATES) {
    if (ticks >= 20 && Math.abs(rate - r) <= 0.15 * r) return true;
  }
  return false;
}
