/** Byte-level rewrites of real captures, for testing containers (not content). */

/** The same classic pcap in the other byte order (header and record headers swapped). */
export function swapPcapByteOrder(le: Buffer): Buffer {
  const out = Buffer.from(le);
  const le32 = (at: number) => le.readUInt32LE(at);
  out.writeUInt32BE(le32(0), 0);
  out.writeUInt16BE(le.readUInt16LE(4), 4);
  out.writeUInt16BE(le.readUInt16LE(6), 6);
  for (const at of [8, 12, 16, 20]) out.writeUInt32BE(le32(at), at);
  let off = 24;
  while (off + 16 <= le.length) {
    const capLen = le32(off + 8);
    for (const at of [0, 4, 8, 12]) out.writeUInt32BE(le32(off + at), off + at);
    off += 16 + capLen;
  }
  return out;
}

/** Offsets of each record header in a little-endian classic pcap. */
export function recordOffsets(pcap: Buffer): number[] {
  const out: number[] = [];
  let off = 24;
  while (off + 16 <= pcap.length) {
    out.push(off);
    off += 16 + pcap.readUInt32LE(off + 8);
  }
  return out;
}

/** Splits a little-endian classic pcap into captures holding the records `pick` sends to each. */
export function splitPcap(pcap: Buffer, parts: number, pick: (index: number) => number): Buffer[] {
  const header = pcap.subarray(0, 24);
  const out: Buffer[][] = Array.from({ length: parts }, () => [header]);
  recordOffsets(pcap).forEach((off, i) => {
    out[pick(i)]!.push(pcap.subarray(off, off + 16 + pcap.readUInt32LE(off + 8)));
  });
  return out.map((bufs) => Buffer.concat(bufs));
}
