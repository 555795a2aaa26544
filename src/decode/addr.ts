/**
 * Addresses as numbers, and as text the way tcpdump writes them with -n (dotted quad, or RFC 5952
 * compressed IPv6).
 *
 * The tracker compares and hashes addresses on every packet, so a segment carries them as four
 * 32-bit words each (an IPv4 address in the last word, the others 0) and the text is only written
 * when something prints it: once per connection, not once per packet.
 */

/** Words that mark an address known only by name (tcpdump text without -n): the last word is its number. */
export const NAMED = 0xffffffff;

/** Dotted quad of the IPv4 address `w` (a 32-bit word). */
export function formatIPv4Word(w: number): string {
  return `${w >>> 24}.${(w >>> 16) & 0xff}.${(w >>> 8) & 0xff}.${w & 0xff}`;
}

/**
 * IPv4 text by address. A capture talks to a limited set of hosts, and every connection keeps its
 * two addresses' text for as long as it is tracked (a minute or more, waiting out TIME_WAIT): one
 * string per host rather than two per connection. Forgotten all at once past IPV4_TEXT_MAX hosts
 * (a flood of spoofed sources), so it stays bounded.
 */
const ipv4Text = new Map<number, string>();
const IPV4_TEXT_MAX = 1 << 16;

function ipv4TextOf(w: number): string {
  const key = w | 0; // a small integer as the key, whatever the top bit
  let text = ipv4Text.get(key);
  if (text === undefined) {
    if (ipv4Text.size >= IPV4_TEXT_MAX) ipv4Text.clear();
    text = formatIPv4Word(w);
    ipv4Text.set(key, text);
  }
  return text;
}

/** The address in `words[at..at+3]` as tcpdump -n writes it. */
export function formatAddress(version: 4 | 6, words: Uint32Array, at: number): string {
  if (words[at] === NAMED && words[at + 1] === NAMED && words[at + 2] === NAMED) return nameOf(words[at + 3]!);
  if (version === 4) return ipv4TextOf(words[at + 3]!);
  const w: number[] = [];
  for (let i = 0; i < 4; i++) w.push(words[at + i]! >>> 16, words[at + i]! & 0xffff);
  return formatIPv6Words(w, words[at + 3]!);
}

function formatIPv6Words(words: number[], low32: number): string {
  // IPv4-mapped (::ffff:a.b.c.d) keeps the dotted quad, as tcpdump and RFC 5952 section 5 do; so
  // does an IPv4-compatible address (::a.b.c.d, the first 96 bits zero but not ::/96 itself, and
  // not ::1), as glibc's inet_ntop, and so tcpdump, writes it.
  if (words.slice(0, 5).every((w) => w === 0)) {
    if (words[5] === 0xffff) return `::ffff:${formatIPv4Word(low32)}`;
    if (words[5] === 0 && words[6] !== 0) return `::${formatIPv4Word(low32)}`;
  }
  // RFC 5952 4.2: compress the longest run of two or more zero words, the first one on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

/** 16 bytes of an IPv6 address at `b[at]`, written as tcpdump -n does. */
export function formatIPv6(b: Uint8Array, at: number): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[at + 2 * i]! << 8) | b[at + 2 * i + 1]!);
  const low32 = ((b[at + 12]! << 24) | (b[at + 13]! << 16) | (b[at + 14]! << 8) | b[at + 15]!) >>> 0;
  return formatIPv6Words(words, low32);
}

/** Reads the 16 bytes at `b[at]` into `words[to..to+3]`. */
export function readIPv6Words(b: Uint8Array, at: number, words: Uint32Array, to: number): void {
  for (let i = 0; i < 4; i++) {
    const p = at + 4 * i;
    words[to + i] = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }
}

/**
 * Parses address text (as tcpdump prints it) into `words[to..to+3]`. A name, or anything that is
 * not a literal address, gets a number of its own, so equal texts still compare equal.
 */
export function parseAddress(text: string, version: 4 | 6, words: Uint32Array, to: number): void {
  const ok = version === 4 ? parseIPv4(text, words, to) : parseIPv6(text, words, to);
  if (ok) return;
  words[to] = words[to + 1] = words[to + 2] = NAMED;
  words[to + 3] = numberOfName(text);
}

function parseIPv4(text: string, words: Uint32Array, to: number): boolean {
  const w = ipv4Word(text);
  if (w === null) return false;
  words[to] = words[to + 1] = words[to + 2] = 0;
  words[to + 3] = w;
  return true;
}

function ipv4Word(text: string): number | null {
  let w = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // a final '.'
    if (c >= 48 && c <= 57 && digits < 3) { part = part * 10 + (c - 48); digits++; continue; }
    if (c !== 46 || digits === 0 || part > 255) return null;
    w = w * 256 + part;
    part = 0;
    digits = 0;
    parts++;
  }
  return parts === 4 ? w >>> 0 : null;
}

// IPv6 text is slow to parse and a capture talks to few hosts again and again: parsed words are
// kept by text, up to a bound (a flood of spoofed sources only empties the cache now and then).
const IPV6_CACHE_MAX = 1 << 16;
const ipv6Cache = new Map<string, readonly number[] | null>();

function parseIPv6(text: string, words: Uint32Array, to: number): boolean {
  let w = ipv6Cache.get(text);
  if (w === undefined) {
    if (ipv6Cache.size >= IPV6_CACHE_MAX) ipv6Cache.clear();
    ipv6Cache.set(text, (w = ipv6Words(text)));
  }
  if (w === null) return false;
  words[to] = w[0]!; words[to + 1] = w[1]!; words[to + 2] = w[2]!; words[to + 3] = w[3]!;
  return true;
}

function ipv6Words(text: string): number[] | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) { // a trailing dotted quad: two groups
        const w = ipv4Word(p);
        if (w === null) return null;
        out.push(w >>> 16, w & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === null || tail === null) return null;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return null;
  const all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  return [0, 1, 2, 3].map((i) => ((all[2 * i]! << 16) | all[2 * i + 1]!) >>> 0);
}

// Names (tcpdump text without -n) are numbered in the order first seen. The table lives as long as
// the process: a name stands for the same host in every file of a run.
const nameNumbers = new Map<string, number>();
const names: string[] = [];

function numberOfName(name: string): number {
  let n = nameNumbers.get(name);
  if (n === undefined) {
    n = names.length;
    names.push(name);
    nameNumbers.set(name, n);
  }
  return n;
}

function nameOf(n: number): string {
  return names[n] ?? '?';
}

/** An endpoint as ss writes it: `ip:port`, an IPv6 address in brackets (unambiguous before the port). */
export function formatEndpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
