/**
 * Multipath TCP tokens (RFC 8684 3.2): a host names its side of an MPTCP connection by a token,
 * the most significant 32 bits of a hash of the key it sent in MP_CAPABLE (SHA-256; SHA-1 in
 * RFC 6824's version 0). An MP_JOIN SYN carries the token of the connection it joins, so a
 * subflow is tied to its connection by hashing the keys the first subflow's handshake showed.
 */
import { createHash } from 'node:crypto';

const KEY = Buffer.alloc(8);

/** The token of an 8-byte key given as two 32-bit halves (most significant first), for MP_CAPABLE `version`. */
export function mptcpToken(keyHi: number, keyLo: number, version: number): number {
  KEY.writeUInt32BE(keyHi >>> 0, 0);
  KEY.writeUInt32BE(keyLo >>> 0, 4);
  return createHash(version === 0 ? 'sha1' : 'sha256').update(KEY).digest().readUInt32BE(0);
}
