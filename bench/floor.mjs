#!/usr/bin/env node
/**
 * bench/floor.mjs: the decode-and-lookup floor for a classic pcap (Ethernet, either byte order).
 *
 *   node bench/floor.mjs FILE.pcap
 *
 * Reads the file in 1 MiB chunks (one reused buffer; a record cut by the chunk end is moved to the
 * front), decodes Ethernet (802.1Q tags), IPv4/IPv6 and TCP into numbers, and does one Map lookup
 * per TCP packet with a numeric key (a 52-bit hash of the order-independent four-tuple), counting
 * packets per flow. No strings, objects or closures per packet: this is the least any analyzer
 * written in Node has to pay, and what the issue calls the floor. Prints one JSON line.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node bench/floor.mjs FILE.pcap\n');
  process.exit(2);
}

const CHUNK = 1 << 20;
const MAX_RECORD = 262144 + 16;
const buf = Buffer.allocUnsafe(CHUNK + MAX_RECORD);
const fd = openSync(file, 'r');

let have = readSync(fd, buf, 0, CHUNK, null);
if (have < 24) throw new Error('not a pcap file');
const magic = buf.readUInt32LE(0);
const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
if (!le && buf.readUInt32BE(0) !== 0xa1b2c3d4 && buf.readUInt32BE(0) !== 0xa1b23c4d) throw new Error('not a classic pcap file');
const linkType = le ? buf.readUInt32LE(20) : buf.readUInt32BE(20);
if ((linkType & 0xffff) !== 1) throw new Error(`floor handles Ethernet only (link type ${linkType})`);

const flows = new Map();
let packets = 0, tcp = 0, other = 0, bytes = 0;
let off = 24;

const u32 = le ? (o) => buf.readUInt32LE(o) : (o) => buf.readUInt32BE(o);

for (;;) {
  while (have - off >= 16) {
    const capLen = u32(off + 8);
    if (have - off < 16 + capLen) break;
    const tsSec = u32(off);
    const tsUsec = u32(off + 4);
    packets++;
    bytes += capLen;
    let p = off + 16;
    const end = p + capLen;
    off = end;
    // Ethernet, with 802.1Q / 802.1ad tags.
    let type = (buf[p + 12] << 8) | buf[p + 13];
    p += 14;
    while ((type === 0x8100 || type === 0x88a8) && p + 4 <= end) {
      type = (buf[p + 2] << 8) | buf[p + 3];
      p += 4;
    }
    let h1, h2, l4;
    if (type === 0x0800) {
      const ihl = (buf[p] & 15) * 4;
      if (buf[p + 9] !== 6 || (((buf[p + 6] << 8) | buf[p + 7]) & 0x1fff) !== 0) { other++; continue; }
      h1 = buf.readUInt32BE(p + 12);
      h2 = buf.readUInt32BE(p + 16);
      l4 = p + ihl;
    } else if (type === 0x86dd) {
      if (buf[p + 6] !== 6) { other++; continue; }
      // Fold each 128-bit address into 32 bits.
      h1 = (buf.readUInt32BE(p + 8) ^ Math.imul(buf.readUInt32BE(p + 12), 0x9e3779b1) ^ Math.imul(buf.readUInt32BE(p + 16), 0x85ebca77) ^ Math.imul(buf.readUInt32BE(p + 20), 0xc2b2ae3d)) >>> 0;
      h2 = (buf.readUInt32BE(p + 24) ^ Math.imul(buf.readUInt32BE(p + 28), 0x9e3779b1) ^ Math.imul(buf.readUInt32BE(p + 32), 0x85ebca77) ^ Math.imul(buf.readUInt32BE(p + 36), 0xc2b2ae3d)) >>> 0;
      l4 = p + 40;
    } else { other++; continue; }
    if (l4 + 20 > end) { other++; continue; }
    tcp++;
    const sport = (buf[l4] << 8) | buf[l4 + 1];
    const dport = (buf[l4 + 2] << 8) | buf[l4 + 3];
    const seq = buf.readUInt32BE(l4 + 4);
    const ack = buf.readUInt32BE(l4 + 8);
    const flags = buf[l4 + 13];
    const win = (buf[l4 + 14] << 8) | buf[l4 + 15];
    // Order-independent key: the lower endpoint first, mixed into 52 bits.
    const a = Math.imul(h1 ^ sport, 0x9e3779b1) >>> 0;
    const b = Math.imul(h2 ^ dport, 0x9e3779b1) >>> 0;
    const lo = a < b ? a : b;
    const hi = a < b ? b : a;
    const key = (Math.imul(hi, 0x85ebca77) >>> 12) * 4294967296 + ((lo ^ Math.imul(hi, 0xc2b2ae3d)) >>> 0);
    const f = flows.get(key);
    if (f === undefined) flows.set(key, { packets: 1, last: tsSec + tsUsec / 1e6, seq, ack, flags, win });
    else {
      f.packets++;
      f.last = tsSec + tsUsec / 1e6;
      f.seq = seq;
      f.ack = ack;
      f.flags |= flags;
      f.win = win;
    }
  }
  // Move the incomplete tail to the front and read on.
  const rest = have - off;
  buf.copy(buf, 0, off, have);
  off = 0;
  const n = readSync(fd, buf, rest, CHUNK, null);
  have = rest + n;
  if (n === 0) break;
}
closeSync(fd);
process.stdout.write(JSON.stringify({ packets, tcp, other, bytes, flows: flows.size }) + '\n');
