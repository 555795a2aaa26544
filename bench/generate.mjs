#!/usr/bin/env node
/**
 * bench/generate.mjs: a deterministic, seeded capture of realistic mixed TCP traffic, streamed.
 *
 *   node bench/generate.mjs [--packets N] [--seed S] [--format pcap|pcapng|text[,...]] [--out FILE]
 *                           [--open C] [--conn-packets P] [--meta FILE]
 *
 * Plain JS, no dependencies. The same seed and packet count give byte-identical files in every
 * format. `--out` is required: with one format it is the file; with several (e.g.
 * `--format pcap,pcapng,text`, one pass) it is a base name to which `.pcap`, `.pcapng`, `.txt` are added.
 *
 * The model (a closed loop, so the number of connections open at once stays flat):
 * - C "slots" (`--open`, default min(10000, N/1000)) each run one job after another. A job is a
 *   TCP connection (or a scan burst, or a SYN flood) whose packets are produced one phase at a time
 *   (handshake, each request/response exchange, the close) and merged across jobs by timestamp
 *   through a binary heap. Nothing is kept per packet: memory is O(C).
 * - Clients (C/4 hosts, 5 % IPv6) with sequential ephemeral ports talk to 300 servers on a few
 *   service ports; capture point next to the servers (server answers in µs, client in one RTT).
 * - Handshakes: complete (3 % with SYN retransmission at 1/2 s back-off, 1 % with SYN/ACK
 *   retransmission), refused (RST/ACK), no reply (SYN at 0, 1, 3, 7 [15] s), half-open (SYN/ACK
 *   retransmitted, never acknowledged), midstream (connections already open at capture start).
 * - `--conn-packets` (default 13) packets per connection on average, so 10 M packets hold ~750 k
 *   connections with ~10 k open at once and ~1.4 GB of pcap, the capture issue 7 measured: a
 *   geometric number of request/response exchanges with every-other ACKs, tail-loss data
 *   retransmissions, spurious request retransmissions, half-closes; half of the connections sit
 *   idle (keep-alive, 0.5-8 s) before the close. Mostly small RPC-style messages (~140 B/packet).
 * - Closes: four-way (either side first), three-way (FIN, FIN/ACK, ACK), simultaneous, RST abort
 *   (either side; some with an after-close bare RST), fin-then-reset, FIN retransmissions, a FIN
 *   dropped for good (FIN_WAIT_1 vs ESTABLISHED), CLOSE_WAIT that never ends.
 * - Four-tuple reuse: right after TIME_WAIT entry (new ISN = old snd_nxt + 65537, as Linux does) and
 *   after TIME_WAIT expiry (65 s later).
 * - Scans: nmap-style half-open SYN scans (SYN, SYN/ACK, RST | RST/ACK for closed ports) and
 *   NULL / XMAS / SYN+FIN / FIN / SYN+RST probes; a SYN flood from spoofed sources every 3 M packets.
 * - UDP: a DNS-like lookup before a quarter of the connections (to a port tcpdump does not dissect).
 * - ~5 % IPv6 (client slots), addresses chosen so `::` compression lands in different places.
 *
 * The text format is what `tcpdump -nn -tt -r FILE` (4.99) prints for the same packets, relative
 * sequence numbers included (its per-conversation table is emulated; verify with
 * `diff <(tcpdump -nn -tt -r x.pcap) x.txt`).
 *
 * A summary of what was generated (job kinds, close kinds, packets) goes to `--meta FILE` as JSON
 * (default: next to the output, `<out>.meta.json`).
 */
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';

// ------------------------------------------------------------------------------------------------
// Arguments

function usage() {
  process.stdout.write(`usage: node bench/generate.mjs [--packets N] [--seed S] [--format pcap|pcapng|text[,..]] --out FILE [--open C] [--conn-packets P] [--meta FILE]
  --packets N   packets to write (default 1000000; 10M, 2.5e6, 100k accepted)
  --seed S      PRNG seed (default 1)
  --format F    pcap (classic, Ethernet, µs; default), pcapng, text (tcpdump -nn -tt -r), or a comma list
  --out FILE    output file; with several formats, a base name to which .pcap/.pcapng/.txt is added
  --open C      connections open at once (default min(10000, max(16, N/1000)))
  --conn-packets P  mean packets per TCP connection (default 13: 10 M packets give ~750 k
                connections, the capture of issue 7; 75 gives long keep-alive connections)
  --meta FILE   where to write the JSON summary (default <out>.meta.json; "-" for none)
`);
}

function die(msg) {
  process.stderr.write(`generate: ${msg}\n`);
  process.exit(2);
}

function parseCount(s) {
  const m = /^([0-9][0-9_]*(?:\.[0-9]+)?(?:e[0-9]+)?)([kKmMgG]?)$/.exec(s);
  if (!m) die(`not a count: ${s}`);
  const mult = { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6, g: 1e9, G: 1e9 }[m[2]];
  const n = Math.round(Number(m[1].replaceAll('_', '')) * mult);
  if (!Number.isSafeInteger(n) || n < 1) die(`not a count: ${s}`);
  return n;
}

function parseArgs(argv) {
  const o = { packets: 1_000_000, seed: 1, out: null, formats: ['pcap'], open: 0, meta: null, connPackets: 13 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const x = argv[++i];
      if (x === undefined) die(`${a} needs a value`);
      return x;
    };
    switch (a) {
      case '--packets': o.packets = parseCount(val()); break;
      case '--seed': o.seed = Number(val()) >>> 0; break;
      case '--out': o.out = val(); break;
      case '--format': o.formats = val().split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--open': o.open = parseCount(val()); break;
      case '--conn-packets': o.connPackets = Number(val()); if (!(o.connPackets >= 6)) die('--conn-packets must be >= 6'); break;
      case '--meta': o.meta = val(); break;
      case '-h': case '--help': usage(); process.exit(0); break;
      default: die(`unknown argument ${a} (see --help)`);
    }
  }
  for (const f of o.formats) if (!['pcap', 'pcapng', 'text'].includes(f)) die(`unknown format ${f}`);
  if (!o.out) die('--out FILE is required');
  if (!o.open) o.open = Math.min(10000, Math.max(16, Math.round(o.packets / 1000)));
  return o;
}

// ------------------------------------------------------------------------------------------------
// PRNG: sfc32, seeded through splitmix32. Everything random goes through `rnd`.

function makeRng(seed) {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split(), b = split(), c = split(), d = split();
  const next = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

let rnd = Math.random; // replaced in main
/** Mean of the exponential whose floor is the number of request/response exchanges (from --conn-packets). */
let EXCHANGES_MEAN = 1;
const ri = (n) => Math.floor(rnd() * n); // 0..n-1
const range = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1)); // inclusive
const expo = (mean) => -Math.log(1 - rnd()) * mean;
const u32 = () => Math.floor(rnd() * 4294967296) >>> 0;
const pick = (arr) => arr[Math.floor(rnd() * arr.length)];

// ------------------------------------------------------------------------------------------------
// Hosts

const ROUTER_MAC = Uint8Array.from([0x00, 0x1c, 0x73, 0x00, 0x00, 0x01]);

class Host {
  constructor(v6, addr, str, wsum, mac, ttl) {
    this.v6 = v6;
    this.addr = addr; // v4: uint32; v6: Uint8Array(16)
    this.str = str; // as tcpdump -n prints it
    this.wsum = wsum; // sum of the address's 16-bit words (checksum pseudo-header)
    this.mac = mac;
    this.ttl = ttl;
    this.tsOff = u32(); // TCP timestamp clock offset
    this.nextPort = range(32768, 60999);
    this.windows = false; // Windows-like TCP options and TTL
  }
}

function v4host(a, mac, ttl) {
  a >>>= 0;
  const str = `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
  return new Host(false, a, str, (a >>> 16) + (a & 0xffff), mac, ttl);
}

function v6host(words, mac, ttl) {
  const bytes = new Uint8Array(16);
  let wsum = 0;
  for (let i = 0; i < 8; i++) {
    bytes[2 * i] = words[i] >>> 8;
    bytes[2 * i + 1] = words[i] & 255;
    wsum += words[i];
  }
  return new Host(true, bytes, fmt6(words), wsum, mac, ttl);
}

/** RFC 5952 text, as tcpdump's addrtostr6 writes it: longest run (>= 2) of zero words as `::`. */
function fmt6(w) {
  let best = -1, bestLen = 0, cur = -1, curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      if (cur < 0) { cur = i; curLen = 1; } else curLen++;
    } else if (cur >= 0) {
      if (best < 0 || curLen > bestLen) { best = cur; bestLen = curLen; }
      cur = -1;
    }
  }
  if (cur >= 0 && (best < 0 || curLen > bestLen)) { best = cur; bestLen = curLen; }
  if (bestLen < 2) best = -1;
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (s !== '' && !s.endsWith(':')) s += ':';
    s += w[i].toString(16);
  }
  return s;
}

function cmpAddr(a, b) {
  if (!a.v6) return a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0;
  for (let i = 0; i < 16; i++) if (a.addr[i] !== b.addr[i]) return a.addr[i] - b.addr[i];
  return 0;
}

// Service ports chosen so that tcpdump prints no application layer for them (no HTTP/RESP/SSH...).
const SERVICE_PORTS = [443, 443, 443, 443, 8443, 3306, 5432, 9092, 8081, 4443];
const CLOSED_PORTS = [8444, 9093, 5433, 3307, 7001, 8082, 4444];
const SCAN_PORTS = [21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 993, 995, 1723, 3306, 3389, 5900, 8080];
const DNS_PORT = 5300; // a lookup service on a port tcpdump does not decode (53 would be dissected)

class World {
  constructor(open) {
    this.servers = [];
    const nServers = 300;
    for (let i = 0; i < nServers; i++) {
      const mac = Uint8Array.from([0x52, 0x54, 0x00, 0x20, i >>> 8, i & 255]);
      const s4 = v4host((10 << 24) | (20 << 16) | (i + 1), mac, 64);
      const s6 = v6host([0x2001, 0xdb8, 0x20, 0, 0, 0, 0, i + 1], mac, 64);
      const ports = [pick(SERVICE_PORTS)];
      if (rnd() < 0.3) {
        const p = pick(SERVICE_PORTS);
        if (!ports.includes(p)) ports.push(p);
      }
      this.servers.push({ v4: s4, v6: s6, ports });
    }
    this.resolvers = [
      v4host((10 << 24) | (20 << 16) | (53 << 8) | 1, Uint8Array.from([0x52, 0x54, 0, 0x35, 0, 1]), 64),
      v4host((10 << 24) | (20 << 16) | (53 << 8) | 2, Uint8Array.from([0x52, 0x54, 0, 0x35, 0, 2]), 64),
    ];
    this.resolvers6 = [v6host([0x2001, 0xdb8, 0x20, 0x53, 0, 0, 0, 1], Uint8Array.from([0x52, 0x54, 0, 0x35, 6, 1]), 64)];
    const nClients = Math.max(8, Math.ceil(open / 4));
    this.clients = [];
    this.clients6 = [];
    for (let i = 0; i < nClients; i++) {
      const windows = rnd() < 0.3;
      const hops = range(1, 12);
      const ttl = (windows ? 128 : 64) - hops;
      const j = i + 1;
      const c4 = v4host((10 << 24) | ((100 + (j >>> 16)) << 16) | (j & 0xffff), ROUTER_MAC, ttl);
      c4.windows = windows;
      this.clients.push(c4);
      // IPv6 clients: a mix of forms so that :: compression lands in different places.
      const w = [0x2001, 0xdb8, 0x100 + (i & 0xff), (i >>> 8) & 0xffff, rnd() < 0.5 ? 0 : range(1, 0xffff), rnd() < 0.3 ? 0 : range(1, 0xffff), rnd() < 0.5 ? 0 : range(1, 0xffff), range(1, 0xffff)];
      const c6 = v6host(w, ROUTER_MAC, ttl);
      c6.windows = windows;
      this.clients6.push(c6);
    }
    this.scanners = [
      v4host((192 << 24) | (0 << 16) | (2 << 8) | 66, ROUTER_MAC, 47),
      v4host((198 << 24) | (51 << 16) | (100 << 8) | 7, ROUTER_MAC, 52),
      v4host((203 << 24) | (0 << 16) | (113 << 8) | 99, ROUTER_MAC, 44),
    ];
    this.scanners6 = [v6host([0x2001, 0xdb8, 0xbad, 0, 0, 0, 0, 0x66], ROUTER_MAC, 50)];
    /** Four-tuples whose TIME_WAIT will have expired: reused by later connections (FIFO by time). */
    this.expiredReuse = [];
  }
}

// ------------------------------------------------------------------------------------------------
// Packets

const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20;

// Option layouts (byte lengths in OPT_LEN).
const O_NONE = 0, O_SYN_LINUX = 1, O_TS = 2, O_SYN_WIN = 3, O_SYNACK_NOTS = 4, O_MSS = 5;
const OPT_LEN = [0, 20, 12, 12, 12, 4];

/**
 * One packet. `dir` 0 = client -> server. For UDP (`udp` true) the ports are the same fields.
 * seq/ack are absolute; tsv/tse the TCP timestamp values; mss/ws the SYN options.
 */
class Ev {
  constructor(t, ch, cp, sh, sp, dir, flags, seq, ack, len, win, opt, tsv, tse, mss, ws, id, udp) {
    this.t = t;
    this.ch = ch; this.cp = cp; this.sh = sh; this.sp = sp;
    this.dir = dir; this.flags = flags; this.seq = seq; this.ack = ack; this.len = len; this.win = win;
    this.opt = opt; this.tsv = tsv; this.tse = tse; this.mss = mss; this.ws = ws; this.id = id; this.udp = udp;
    this.job = null; // the ConnJob (one four-tuple) it belongs to, for the text writer's cache
  }
}

// ------------------------------------------------------------------------------------------------
// Jobs: one connection (or burst) each, produced phase by phase.

const US = 1, MS = 1000, S = 1_000_000;

let jobSeq = 0;
const stats = {
  jobs: {}, closes: {}, handshakes: {}, reuseImmediate: 0, reuseAfterExpiry: 0, udpPackets: 0, ipv6Packets: 0,
  anomalyProbes: {}, connectionsTcp: 0,
};
const bump = (o, k, n = 1) => { o[k] = (o[k] ?? 0) + n; };

class Job {
  constructor(world, slot, t) {
    this.id = ++jobSeq;
    this.world = world;
    this.slot = slot;
    this.t = t; // time the next phase starts from
    this.ev = [];
    this.i = 0;
    this.key = t;
    this.phase = 0;
  }

  /** Fills `ev` with the next phase; returns false when the job is over. */
  refill() { return false; }
}

/** A client <-> server TCP connection with its whole life. */
class ConnJob extends Job {
  constructor(world, slot, t, opts) {
    super(world, slot, t);
    const v6 = opts.v6;
    this.v6 = v6;
    this.ch = opts.ch;
    this.cp = opts.cp;
    this.sh = opts.sh;
    this.sp = opts.sp;
    this.kind = opts.kind; // normal | refused | noreply | halfopen
    this.midstream = !!opts.midstream;
    this.ts = !this.ch.windows; // both sides use timestamps unless the client is Windows-like
    this.mss = v6 ? 1440 : 1460;
    this.dataMss = this.ts ? this.mss - 12 : this.mss;
    this.cws = this.ch.windows ? 8 : 7;
    this.sws = pick([7, 7, 9, 10]);
    this.cwin = this.ch.windows ? range(250, 1026) : range(249, 512);
    this.swin = range(240, 509);
    this.nxt = [opts.isn ?? u32(), u32()];
    this.rcv = [0, 0];
    this.lastTs = [0, 0];
    this.ipid = [ri(65536), ri(65536)];
    // RTT between the capture point and the client; the server is next to the capture point.
    const r = rnd();
    this.rtt = Math.round(r < 0.4 ? range(150, 2000) : r < 0.85 ? range(3 * MS, 40 * MS) : range(50 * MS, 220 * MS));
    this.srv = range(15, 120);
    // Request/response exchanges (geometric, mean from --conn-packets), then the close.
    this.left = Math.floor(expo(EXCHANGES_MEAN));
    this.closeKind = pickClose();
    this.done = false;
    this.tdRec = undefined; // tcpdump's relative-sequence record for this four-tuple (text output)
  }

  /** Adds a packet from side `dir` with the current numbers; advances that side's sequence. */
  pk(t, dir, flags, len, opt = this.ts ? O_TS : O_NONE) {
    const seq = this.nxt[dir];
    this.nxt[dir] = (seq + len + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0)) >>> 0;
    return this.pkAt(t, dir, flags, seq, len, opt);
  }

  /** Adds a packet with an explicit seq (a retransmission): nothing advances. */
  pkAt(t, dir, flags, seq, len, opt = this.ts ? O_TS : O_NONE, ack = this.rcv[dir]) {
    const host = dir === 0 ? this.ch : this.sh;
    let tsv = 0, tse = 0;
    if (opt === O_TS || opt === O_SYN_LINUX) {
      tsv = (host.tsOff + Math.floor(t / MS)) >>> 0;
      tse = flags & ACK ? this.lastTs[1 - dir] : 0;
      this.lastTs[dir] = tsv;
    }
    const win = flags & SYN ? (dir === 0 ? (this.ch.windows ? 64240 : 64240) : (this.v6 ? 64800 : 65160)) : flags & RST && !(flags & ACK) ? 0 : dir === 0 ? this.cwin : this.swin;
    this.ipid[dir] = (this.ipid[dir] + 1) & 0xffff;
    const e = new Ev(t, this.ch, this.cp, this.sh, this.sp, dir, flags, seq, flags & ACK ? ack : 0, len, win, opt, tsv, tse, this.mss, dir === 0 ? this.cws : this.sws, this.ipid[dir], false);
    e.job = this;
    this.ev.push(e);
    return e;
  }

  synOpt(dir) {
    if (dir === 0) return this.ch.windows ? O_SYN_WIN : O_SYN_LINUX;
    return this.ts ? O_SYN_LINUX : O_SYNACK_NOTS;
  }

  refill() {
    this.ev.length = 0;
    this.i = 0;
    if (this.done) return false;
    switch (this.phase) {
      case 0:
        this.phase = 1;
        if (this.midstream) {
          this.rcv[0] = this.nxt[1];
          this.rcv[1] = this.nxt[0];
          bump(stats.handshakes, 'midstream');
          this.exchange();
          break;
        }
        this.open();
        break;
      case 1:
        if (this.left-- > 0) this.exchange();
        else {
          this.close();
          this.done = true;
        }
        break;
    }
    // Phases are built in causal order; the wire order is by time (stable for equal times).
    if (this.ev.length > 1) this.ev.sort((a, b) => a.t - b.t);
    return this.ev.length > 0;
  }

  dns(t) {
    const res = this.v6 ? this.world.resolvers6[0] : pick(this.world.resolvers);
    const cp = range(32768, 60999);
    const q = range(28, 60);
    this.ev.push(new Ev(t, this.ch, cp, res, DNS_PORT, 0, 0, 0, 0, q, 0, O_NONE, 0, 0, 0, 0, ri(65536), true));
    const dt = range(200, 3000);
    this.ev.push(new Ev(t + dt, this.ch, cp, res, DNS_PORT, 1, 0, 0, 0, q + range(16, 200), 0, O_NONE, 0, 0, 0, 0, ri(65536), true));
    stats.udpPackets += 2;
    return t + dt + range(20, 200);
  }

  open() {
    let t = this.t;
    if (rnd() < 0.25) t = this.dns(t);
    const isn = this.nxt[0];
    if (this.kind === 'refused') {
      this.pk(t, 0, SYN, 0, this.synOpt(0));
      this.rcv[1] = this.nxt[0];
      const e = this.pkAt(t + this.srv, 1, RST | ACK, 0, 0, O_NONE);
      e.win = 0;
      bump(stats.handshakes, 'refused');
      this.done = true;
      return;
    }
    if (this.kind === 'noreply') {
      const n = rnd() < 0.5 ? 4 : 5;
      let dt = 0;
      this.pk(t, 0, SYN, 0, this.synOpt(0));
      for (let i = 1; i < n; i++) {
        dt += (1 << (i - 1)) * S;
        this.pkAt(t + dt + ri(3 * MS), 0, SYN, isn, 0, this.synOpt(0));
      }
      bump(stats.handshakes, 'no-reply');
      this.done = true;
      return;
    }
    // SYN, with 3 % one or two retransmissions (1 s, then 2 s later).
    const r = rnd();
    const synCopies = r < 0.97 ? 1 : r < 0.99 ? 2 : 3;
    let tSyn = t;
    this.pk(t, 0, SYN, 0, this.synOpt(0));
    for (let i = 1; i < synCopies; i++) {
      tSyn = t + ((1 << i) - 1) * S + ri(2 * MS);
      this.pkAt(tSyn, 0, SYN, isn, 0, this.synOpt(0));
    }
    this.rcv[1] = this.nxt[0];
    let tSa = tSyn + this.srv;
    const siss = this.nxt[1];
    this.pk(tSa, 1, SYN | ACK, 0, this.synOpt(1));
    if (this.kind === 'halfopen') {
      // The client never answers: the server retransmits its SYN/ACK at 1, 2, 4 s intervals.
      let dt = 0;
      const n = rnd() < 0.5 ? 3 : 4;
      for (let i = 0; i < n; i++) {
        dt += (1 << i) * S;
        this.pkAt(tSa + dt + ri(MS), 1, SYN | ACK, siss, 0, this.synOpt(1));
      }
      bump(stats.handshakes, 'half-open');
      this.done = true;
      return;
    }
    if (rnd() < 0.01) {
      // The SYN/ACK is lost beyond the capture point: the server's timer resends it.
      tSa += S + ri(MS);
      this.pkAt(tSa, 1, SYN | ACK, siss, 0, this.synOpt(1));
      bump(stats.handshakes, 'complete-synack-retransmit');
    }
    if (synCopies > 1) bump(stats.handshakes, 'complete-syn-retransmit');
    bump(stats.handshakes, 'complete');
    this.rcv[0] = this.nxt[1];
    this.pk(tSa + this.rtt, 0, ACK, 0);
    this.t = tSa + this.rtt;
  }

  /** One request/response (the client waits, asks, the server answers, the client acknowledges). */
  exchange() {
    let t = this.t + Math.round(rnd() < 0.1 ? expo(1.5 * S) : expo(120 * MS)) + 10;
    const last = this.ev.length ? this.ev[this.ev.length - 1].t : this.t;
    if (t <= last) t = last + 5;
    // Request.
    const q = reqSize();
    const tq = this.segments(t, 0, q);
    this.rcv[1] = this.nxt[0];
    let tEnd = tq;
    if (rnd() < 0.002) {
      // The server's ACK is lost beyond the capture point: the client's RTO resends the request tail.
      this.pk(tq + this.srv, 1, ACK, 0);
      const lastReq = this.ev[this.ev.length - 2];
      const tr = tq + Math.max(200 * MS, 2 * this.rtt) + this.rtt;
      this.pkAt(tr, 0, lastReq.flags, lastReq.seq, lastReq.len);
      this.pk(tr + this.srv, 1, ACK, 0); // duplicate ACK
      tEnd = tr + this.srv;
    }
    // Response after the server's processing time; a slow server sends a delayed ACK first.
    const proc = rnd() < 0.1 ? range(20 * MS, 150 * MS) : Math.round(expo(2 * MS)) + 30;
    if (proc > 40 * MS) this.pk(tq + 40 * MS, 1, ACK, 0);
    let tr = Math.max(tq + proc, tEnd + 10);
    const r = respSize();
    const n = Math.ceil(r / this.dataMss);
    const segEnds = [];
    const segTimes = [];
    let left = r;
    for (let i = 0; i < n; i++) {
      const len = Math.min(left, this.dataMss);
      left -= len;
      const e = this.pk(tr, 1, ACK | (left === 0 ? PSH : 0), len);
      segEnds.push(this.nxt[1]);
      segTimes.push(tr);
      tEnd = tr;
      if (i < n - 1) tr += range(8, 40);
      void e;
    }
    const tailLoss = rnd() < 0.005;
    // The client acknowledges every second segment and the last (its delay fixed per exchange, so
    // the ACKs stay in order).
    const ackDelay = this.rtt + range(20, 300);
    for (let i = 0; i < n; i++) {
      if (i % 2 === 1 || i === n - 1) {
        if (tailLoss && i === n - 1) break;
        this.rcv[0] = segEnds[i];
        const ta = segTimes[i] + ackDelay;
        this.pkAt(ta, 0, ACK, this.nxt[0], 0);
        if (ta > tEnd) tEnd = ta;
      }
    }
    if (tailLoss) {
      // The last segment is lost beyond the capture point; the probe timeout resends it.
      const lastSeg = this.ev.filter((e) => e.dir === 1 && e.len > 0).pop();
      const tr2 = segTimes[n - 1] + Math.max(200 * MS, 2 * this.rtt);
      this.pkAt(tr2, 1, lastSeg.flags, lastSeg.seq, lastSeg.len);
      this.rcv[0] = this.nxt[1];
      const ta = tr2 + this.rtt + range(20, 300);
      this.pkAt(ta, 0, ACK, this.nxt[0], 0);
      tEnd = Math.max(tEnd, ta);
    }
    this.t = tEnd;
  }

  /** Data of `bytes` from side `dir` starting at `t`; returns the time of the last segment. */
  segments(t, dir, bytes) {
    let left = bytes;
    while (left > 0) {
      const len = Math.min(left, this.dataMss);
      left -= len;
      this.pk(t, dir, ACK | (left === 0 ? PSH : 0), len);
      if (left > 0) t += range(8, 40);
    }
    return t;
  }

  /** The other side acknowledges everything so far, `dt` later. */
  ackAll(t, dir) {
    this.rcv[dir] = this.nxt[1 - dir];
    return this.pk(t, dir, ACK, 0);
  }

  close() {
    // Idle before the close: at once, or a keep-alive connection that sits until someone closes it.
    let t = this.t + Math.round(rnd() < 0.5 ? expo(80 * MS) : range(500 * MS, 8 * S)) + 10;
    const last = this.ev.length ? this.ev[this.ev.length - 1].t : this.t;
    if (t <= last) t = last + 5;
    const k = this.closeKind;
    bump(stats.closes, k);
    const C = 0, Sv = 1;
    const rtt = this.rtt, srv = this.srv;
    let twClient = false, twServer = false;
    switch (k) {
      case 'four-way-client':
      case 'four-way-client-fin-retransmit':
      case 'half-close': {
        const fin = this.pk(t, C, FIN | ACK, 0);
        let tf = t;
        if (k === 'four-way-client-fin-retransmit') {
          // The FIN is lost beyond the capture point: tail loss probe, then the doubled RTO.
          tf = t + 200 * MS + rtt;
          this.pkAt(tf, C, FIN | ACK, fin.seq, 0);
          if (rnd() < 0.5) {
            tf += 2 * (200 * MS + rtt);
            this.pkAt(tf, C, FIN | ACK, fin.seq, 0);
          }
        }
        let ts = tf + srv;
        this.ackAll(ts, Sv);
        if (k === 'half-close') {
          // The server still has data to send after the client's FIN (shutdown(SHUT_WR) client).
          ts += range(200, 5 * MS);
          const tl = this.segments(ts, Sv, range(200, 6000));
          ts = tl;
          this.rcv[C] = this.nxt[Sv];
          const ta = tl + rtt;
          this.pk(ta, C, ACK, 0);
          ts = ta + range(100, 2 * MS);
        } else ts += rnd() < 0.8 ? range(50, 3 * MS) : range(20 * MS, 300 * MS);
        this.rcv[Sv] = this.nxt[C];
        this.pk(ts, Sv, FIN | ACK, 0);
        this.ackAll(ts + rtt, C);
        twClient = true;
        break;
      }
      case 'four-way-server': {
        this.pk(t, Sv, FIN | ACK, 0);
        this.ackAll(t + rtt, C);
        this.rcv[C] = this.nxt[Sv];
        this.pk(t + rtt + range(30, 3 * MS), C, FIN | ACK, 0);
        this.ackAll(t + rtt + 3 * MS + srv, Sv);
        twServer = true;
        break;
      }
      case 'three-way-client': {
        this.pk(t, C, FIN | ACK, 0);
        this.rcv[Sv] = this.nxt[C];
        this.pk(t + srv, Sv, FIN | ACK, 0);
        this.ackAll(t + srv + rtt, C);
        twClient = true;
        break;
      }
      case 'three-way-server': {
        this.pk(t, Sv, FIN | ACK, 0);
        this.rcv[C] = this.nxt[Sv];
        this.pk(t + rtt, C, FIN | ACK, 0);
        this.ackAll(t + rtt + srv, Sv);
        twServer = true;
        break;
      }
      case 'simultaneous': {
        // The server's FIN and the client's cross on the wire: neither acknowledges the other's.
        this.pk(t, Sv, FIN | ACK, 0);
        const d = 1 + Math.floor(rnd() * rtt * 0.8);
        this.pk(t + d, C, FIN | ACK, 0);
        this.ackAll(t + d + srv, Sv);
        this.ackAll(Math.max(t + rtt, t + d + srv + 1), C);
        twClient = twServer = true;
        break;
      }
      case 'reset-client':
      case 'reset-client-after-close': {
        if (k === 'reset-client-after-close') {
          // The server pushes data while the client aborts; the client's kernel then answers it with
          // a bare RST (the socket is gone).
          this.pk(t, Sv, ACK | PSH, range(50, 800));
          this.pk(t + 1, C, RST | ACK, 0);
          const seq = this.nxt[C];
          const e = this.pkAt(t + rtt, C, RST, seq, 0, O_NONE);
          e.win = 0;
        } else {
          this.pk(t, C, RST | ACK, 0);
        }
        break;
      }
      case 'reset-server': {
        this.pk(t, Sv, RST | ACK, 0);
        break;
      }
      case 'fin-then-reset': {
        this.pk(t, C, FIN | ACK, 0);
        this.ackAll(t + srv, Sv);
        const td = t + srv + range(100, 20 * MS);
        this.pk(td, Sv, ACK | PSH, range(30, 900));
        const e = this.pkAt(td + rtt, C, RST, this.nxt[C], 0, O_NONE);
        e.win = 0;
        break;
      }
      case 'close-wait': {
        // The server application never closes: client FIN_WAIT_2, server CLOSE_WAIT.
        this.pk(t, C, FIN | ACK, 0);
        this.ackAll(t + srv, Sv);
        break;
      }
      case 'fin-dropped': {
        // A firewall drops the FIN for good: FIN_WAIT_1 (with retransmissions) vs ESTABLISHED.
        const fin = this.pk(t, C, FIN | ACK, 0);
        let dt = 200 * MS + rtt;
        let tf = t;
        for (let i = 0; i < 4; i++) {
          tf += dt;
          this.pkAt(tf, C, FIN | ACK, fin.seq, 0);
          dt *= 2;
        }
        break;
      }
    }
    // Four-tuple reuse: at once (Linux: new ISN = old snd_nxt + 65537) or after TIME_WAIT expiry.
    if (twClient || twServer) {
      const r = rnd();
      if (r < 0.03 && this.slot) {
        this.slot.reuse = { ch: this.ch, cp: this.cp, sh: this.sh, sp: this.sp, v6: this.v6, isn: (this.nxt[0] + 65537) >>> 0 };
      } else if (r < 0.06) {
        const lastT = this.ev.reduce((m, e) => (e.t > m ? e.t : m), 0);
        this.world.expiredReuse.push({ ch: this.ch, cp: this.cp, sh: this.sh, sp: this.sp, v6: this.v6, ready: lastT + 65 * S });
      }
    }
  }
}

const CLOSE_WEIGHTS = [
  ['four-way-client', 33], ['four-way-server', 15], ['three-way-client', 14], ['three-way-server', 5],
  ['simultaneous', 2], ['half-close', 3], ['four-way-client-fin-retransmit', 1.5],
  ['reset-client', 7], ['reset-client-after-close', 2], ['reset-server', 4], ['fin-then-reset', 3],
  ['close-wait', 1], ['fin-dropped', 0.5],
];
const CLOSE_TOTAL = CLOSE_WEIGHTS.reduce((s, [, w]) => s + w, 0);
function pickClose() {
  let x = rnd() * CLOSE_TOTAL;
  for (const [k, w] of CLOSE_WEIGHTS) if ((x -= w) < 0) return k;
  return CLOSE_WEIGHTS[0][0];
}

// Message sizes: mostly small RPC-style messages, a few bulk responses (mean ~75 and ~230 bytes).
function reqSize() {
  const r = rnd();
  return r < 0.9 ? range(10, 110) : r < 0.99 ? range(110, 400) : range(400, 3000);
}

function respSize() {
  const r = rnd();
  return r < 0.82 ? range(5, 160) : r < 0.97 ? range(160, 900) : range(900, 5000);
}

/** A half-open (SYN) scan or an illegal-flag scan from one scanner to one server. */
class ScanJob extends Job {
  constructor(world, slot, t, style) {
    super(world, slot, t);
    this.style = style; // syn | null | xmas | synfin | fin | synrst
  }

  refill() {
    this.ev.length = 0;
    this.i = 0;
    if (this.phase++ > 0) return false;
    const w = this.world;
    const v6 = rnd() < 0.1;
    const sc = v6 ? w.scanners6[0] : pick(w.scanners);
    const srv = pick(w.servers);
    const sh = v6 ? srv.v6 : srv.v4;
    const sp0 = range(33000, 65000); // nmap keeps one source port for a scan
    const nProbes = this.style === 'syn' ? range(10, 40) : range(5, 20);
    const ports = new Set(rnd() < 0.7 ? srv.ports : []);
    while (ports.size < nProbes) ports.add(rnd() < 0.5 ? pick(SCAN_PORTS) : range(1, 1024));
    let t = this.t;
    const rtt = range(20 * MS, 120 * MS);
    const flagsOf = { syn: SYN, null: 0, xmas: FIN | PSH | URG, synfin: SYN | FIN, fin: FIN, synrst: SYN | RST }[this.style];
    let id = ri(65536);
    for (const p of ports) {
      const open = srv.ports.includes(p);
      const seq = u32();
      this.ev.push(new Ev(t, sc, sp0, sh, p, 0, flagsOf, seq, 0, 0, 1024, this.style === 'syn' ? O_MSS : O_NONE, 0, 0, 1460, 0, (id = (id + 1) & 0xffff), false));
      bump(stats.anomalyProbes, this.style);
      if (this.style === 'syn') {
        if (open) {
          const siss = u32();
          this.ev.push(new Ev(t + 40, sc, sp0, sh, p, 1, SYN | ACK, siss, (seq + 1) >>> 0, 0, v6 ? 64800 : 64240, O_MSS, 0, 0, v6 ? 1440 : 1460, 0, 0, false));
          this.ev.push(new Ev(t + rtt, sc, sp0, sh, p, 0, RST, (seq + 1) >>> 0, 0, 0, 0, O_NONE, 0, 0, 0, 0, (id = (id + 1) & 0xffff), false));
        } else {
          this.ev.push(new Ev(t + 30, sc, sp0, sh, p, 1, RST | ACK, 0, (seq + 1) >>> 0, 0, 0, O_NONE, 0, 0, 0, 0, 0, false));
        }
      } else if (!open && !(flagsOf & RST)) {
        // A closed port answers anything without RST with RST/ACK; an open one drops it silently.
        const ack = (seq + (flagsOf & SYN ? 1 : 0) + (flagsOf & FIN ? 1 : 0)) >>> 0;
        this.ev.push(new Ev(t + 30, sc, sp0, sh, p, 1, RST | ACK, 0, ack, 0, 0, O_NONE, 0, 0, 0, 0, 0, false));
      }
      t += range(50, 2 * MS);
    }
    this.ev.sort((a, b) => a.t - b.t);
    return true;
  }
}

/** A SYN flood from spoofed sources to one server port: SYN/ACKs retransmitted, never answered. */
class FloodJob extends Job {
  refill() {
    this.ev.length = 0;
    this.i = 0;
    if (this.phase++ > 0) return false;
    const w = this.world;
    const srv = pick(w.servers);
    const sh = srv.v4;
    const sp = srv.ports[0];
    const n = range(300, 600);
    let t = this.t;
    for (let i = 0; i < n; i++) {
      const src = v4host((100 << 24) | ((64 + ri(64)) << 16) | ri(65536), ROUTER_MAC, range(40, 250));
      const cp = range(1024, 65535);
      const seq = u32();
      this.ev.push(new Ev(t, src, cp, sh, sp, 0, SYN, seq, 0, 0, 512, O_NONE, 0, 0, 0, 0, ri(65536), false));
      const siss = u32();
      let dt = 30;
      for (let k = 0; k < 3; k++) {
        this.ev.push(new Ev(t + dt, src, cp, sh, sp, 1, SYN | ACK, siss, (seq + 1) >>> 0, 0, 65160, O_MSS, 0, 0, 1460, 0, 0, false));
        dt += (1 << k) * S;
      }
      t += range(100, 4 * MS);
    }
    bump(stats.jobs, 'syn-flood-syns', n);
    this.ev.sort((a, b) => a.t - b.t);
    return true;
  }
}

/** A slot runs jobs one after another. */
class Slot {
  constructor(world, idx) {
    this.world = world;
    this.client = world.clients[idx % world.clients.length];
    this.client6 = world.clients6[idx % world.clients6.length];
    this.v6 = rnd() < 0.05;
    this.reuse = null;
  }

  nextJob(t, first, floodDue) {
    const w = this.world;
    if (floodDue) {
      bump(stats.jobs, 'syn-flood');
      return new FloodJob(w, this, t);
    }
    if (this.reuse) {
      const r = this.reuse;
      this.reuse = null;
      stats.reuseImmediate++;
      bump(stats.jobs, 'normal');
      stats.connectionsTcp++;
      return new ConnJob(w, this, t, { ...r, kind: 'normal' });
    }
    const head = w.expiredReuse[0];
    if (head && head.ready <= t && rnd() < 0.5) {
      w.expiredReuse.shift();
      stats.reuseAfterExpiry++;
      bump(stats.jobs, 'normal');
      stats.connectionsTcp++;
      return new ConnJob(w, this, t, { ...head, kind: 'normal' });
    }
    const r = rnd();
    if (r < 0.006) {
      bump(stats.jobs, 'scan-syn');
      return new ScanJob(w, this, t, 'syn');
    }
    if (r < 0.0085) {
      const style = pick(['null', 'xmas', 'synfin', 'synfin', 'fin', 'synrst']);
      bump(stats.jobs, `scan-${style}`);
      return new ScanJob(w, this, t, style);
    }
    const v6 = this.v6;
    const ch = v6 ? this.client6 : this.client;
    const srv = pick(w.servers);
    const sh = v6 ? srv.v6 : srv.v4;
    const cp = ch.nextPort;
    ch.nextPort = ch.nextPort >= 60999 ? 32768 + ri(16) : ch.nextPort + 1 + ri(2);
    let kind = 'normal';
    const k = rnd();
    if (k < 0.025) kind = 'refused';
    else if (k < 0.035) kind = 'noreply';
    else if (k < 0.04) kind = 'halfopen';
    const sp = kind === 'refused' || (kind === 'noreply' && rnd() < 0.5) ? pick(CLOSED_PORTS) : pick(srv.ports);
    bump(stats.jobs, kind);
    stats.connectionsTcp++;
    const midstream = first && kind === 'normal' && rnd() < 0.25;
    return new ConnJob(w, this, t, { ch, cp, sh, sp, v6, kind, midstream });
  }
}

// ------------------------------------------------------------------------------------------------
// The heap of jobs, keyed by the time of each job's next packet (ties: job id, so output is stable).

class Heap {
  constructor() { this.a = []; }
  get size() { return this.a.length; }
  less(x, y) { return x.key < y.key || (x.key === y.key && x.id < y.id); }
  push(j) {
    const a = this.a;
    a.push(j);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  top() { return this.a[0]; }
  /** The top's key changed (grew): sift it down. */
  fix() {
    const a = this.a;
    const n = a.length;
    let i = 0;
    const x = a[0];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(a[r], a[l]) ? r : l;
      if (!this.less(a[c], x)) break;
      a[i] = a[c];
      i = c;
    }
    a[i] = x;
  }
  pop() {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0) {
      a[0] = last;
      this.fix();
    }
    return top;
  }
}

// ------------------------------------------------------------------------------------------------
// Writers

const BASE_US = 1_705_312_800 * S; // 2024-01-15T10:00:00Z
const CHUNK = 4 << 20;

class Out {
  constructor(file) {
    this.fd = openSync(file, 'w');
    this.buf = Buffer.allocUnsafe(CHUNK);
    this.pos = 0;
    this.bytes = 0;
  }
  need(n) {
    if (this.pos + n > CHUNK) this.flush();
  }
  flush() {
    let off = 0;
    while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off);
    this.bytes += this.pos;
    this.pos = 0;
  }
  close() {
    this.flush();
    closeSync(this.fd);
  }
}

// Payload bytes: a fixed printable pattern; checksums use prefix sums of its 16-bit words.
const PATTERN_LEN = 65536 + 16384;
let PATTERN, PREFIX;
function makePattern() {
  PATTERN = Buffer.allocUnsafe(PATTERN_LEN);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,:;-_/=+{}"';
  for (let i = 0; i < PATTERN_LEN; i++) PATTERN[i] = alphabet.charCodeAt(ri(alphabet.length));
  PREFIX = new Float64Array(PATTERN_LEN / 2 + 1);
  for (let i = 0; i < PATTERN_LEN / 2; i++) PREFIX[i + 1] = PREFIX[i] + ((PATTERN[2 * i] << 8) | PATTERN[2 * i + 1]);
}

function fold(sum) {
  while (sum > 0xffff) sum = (sum % 65536) + Math.floor(sum / 65536);
  return sum;
}

const FRAME = Buffer.allocUnsafe(65536 + 128);

/** Builds the Ethernet frame of `e` into FRAME; returns its length. */
function buildFrame(e) {
  const b = FRAME;
  const fromClient = e.dir === 0;
  const src = fromClient ? e.ch : e.sh;
  const dst = fromClient ? e.sh : e.ch;
  const sport = fromClient ? e.cp : e.sp;
  const dport = fromClient ? e.sp : e.cp;
  const v6 = src.v6;
  const l4 = e.udp ? 8 : 20 + OPT_LEN[e.opt];
  const l4len = l4 + e.len;
  b.set(dst.mac, 0);
  b.set(src.mac, 6);
  let o = 14;
  if (!v6) {
    b[12] = 0x08; b[13] = 0x00;
    const tot = 20 + l4len;
    b[o] = 0x45; b[o + 1] = 0;
    b[o + 2] = tot >>> 8; b[o + 3] = tot & 255;
    b[o + 4] = e.id >>> 8; b[o + 5] = e.id & 255;
    const df = e.udp ? 0x00 : 0x40;
    b[o + 6] = df; b[o + 7] = 0;
    b[o + 8] = src.ttl; b[o + 9] = e.udp ? 17 : 6;
    b[o + 10] = 0; b[o + 11] = 0;
    const s = src.addr, d = dst.addr;
    b[o + 12] = s >>> 24; b[o + 13] = (s >>> 16) & 255; b[o + 14] = (s >>> 8) & 255; b[o + 15] = s & 255;
    b[o + 16] = d >>> 24; b[o + 17] = (d >>> 16) & 255; b[o + 18] = (d >>> 8) & 255; b[o + 19] = d & 255;
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += (b[o + i] << 8) | b[o + i + 1];
    const ck = ~fold(sum) & 0xffff;
    b[o + 10] = ck >>> 8; b[o + 11] = ck & 255;
    o += 20;
  } else {
    b[12] = 0x86; b[13] = 0xdd;
    const fl = (e.cp * 2654435761) & 0xfffff; // a flow label per connection
    b[o] = 0x60; b[o + 1] = fl >>> 16; b[o + 2] = (fl >>> 8) & 255; b[o + 3] = fl & 255;
    b[o + 4] = l4len >>> 8; b[o + 5] = l4len & 255;
    b[o + 6] = e.udp ? 17 : 6; b[o + 7] = src.ttl;
    b.set(src.addr, o + 8);
    b.set(dst.addr, o + 24);
    o += 40;
    stats.ipv6Packets++;
  }
  const t0 = o;
  b[o] = sport >>> 8; b[o + 1] = sport & 255;
  b[o + 2] = dport >>> 8; b[o + 3] = dport & 255;
  if (e.udp) {
    b[o + 4] = l4len >>> 8; b[o + 5] = l4len & 255;
    b[o + 6] = 0; b[o + 7] = 0;
    o += 8;
  } else {
    const seq = e.seq, ack = e.ack;
    b[o + 4] = seq >>> 24; b[o + 5] = (seq >>> 16) & 255; b[o + 6] = (seq >>> 8) & 255; b[o + 7] = seq & 255;
    b[o + 8] = ack >>> 24; b[o + 9] = (ack >>> 16) & 255; b[o + 10] = (ack >>> 8) & 255; b[o + 11] = ack & 255;
    b[o + 12] = (l4 / 4) << 4; b[o + 13] = e.flags;
    b[o + 14] = e.win >>> 8; b[o + 15] = e.win & 255;
    b[o + 16] = 0; b[o + 17] = 0; b[o + 18] = 0; b[o + 19] = 0;
    o += 20;
    o = writeOptions(b, o, e);
  }
  // Payload and checksum.
  const off = e.udp ? (e.t & 0x3ffe) : (e.seq & 0x3ffe);
  PATTERN.copy(b, o, off, off + e.len);
  let sum = src.wsum + dst.wsum + (e.udp ? 17 : 6) + l4len;
  for (let i = t0; i < o; i += 2) sum += (b[i] << 8) | b[i + 1];
  const words = e.len >>> 1;
  sum += PREFIX[(off >>> 1) + words] - PREFIX[off >>> 1];
  if (e.len & 1) sum += PATTERN[off + e.len - 1] << 8;
  let ck = ~fold(sum) & 0xffff;
  if (e.udp && ck === 0) ck = 0xffff;
  const ckAt = t0 + (e.udp ? 6 : 16);
  b[ckAt] = ck >>> 8; b[ckAt + 1] = ck & 255;
  return o + e.len;
}

function w32(b, o, v) {
  b[o] = v >>> 24; b[o + 1] = (v >>> 16) & 255; b[o + 2] = (v >>> 8) & 255; b[o + 3] = v & 255;
}

function writeOptions(b, o, e) {
  switch (e.opt) {
    case O_SYN_LINUX: // mss, sackOK, TS, nop, wscale
      b[o] = 2; b[o + 1] = 4; b[o + 2] = e.mss >>> 8; b[o + 3] = e.mss & 255;
      b[o + 4] = 4; b[o + 5] = 2;
      b[o + 6] = 8; b[o + 7] = 10; w32(b, o + 8, e.tsv); w32(b, o + 12, e.tse);
      b[o + 16] = 1; b[o + 17] = 3; b[o + 18] = 3; b[o + 19] = e.ws;
      return o + 20;
    case O_TS: // nop, nop, TS
      b[o] = 1; b[o + 1] = 1; b[o + 2] = 8; b[o + 3] = 10; w32(b, o + 4, e.tsv); w32(b, o + 8, e.tse);
      return o + 12;
    case O_SYN_WIN: // mss, nop, wscale, nop, nop, sackOK
      b[o] = 2; b[o + 1] = 4; b[o + 2] = e.mss >>> 8; b[o + 3] = e.mss & 255;
      b[o + 4] = 1; b[o + 5] = 3; b[o + 6] = 3; b[o + 7] = e.ws;
      b[o + 8] = 1; b[o + 9] = 1; b[o + 10] = 4; b[o + 11] = 2;
      return o + 12;
    case O_SYNACK_NOTS: // mss, nop, nop, sackOK, nop, wscale
      b[o] = 2; b[o + 1] = 4; b[o + 2] = e.mss >>> 8; b[o + 3] = e.mss & 255;
      b[o + 4] = 1; b[o + 5] = 1; b[o + 6] = 4; b[o + 7] = 2;
      b[o + 8] = 1; b[o + 9] = 3; b[o + 10] = 3; b[o + 11] = e.ws;
      return o + 12;
    case O_MSS:
      b[o] = 2; b[o + 1] = 4; b[o + 2] = e.mss >>> 8; b[o + 3] = e.mss & 255;
      return o + 4;
    default:
      return o;
  }
}

function optionsText(e) {
  switch (e.opt) {
    case O_SYN_LINUX: return `, options [mss ${e.mss},sackOK,TS val ${e.tsv} ecr ${e.tse},nop,wscale ${e.ws}]`;
    case O_TS: return `, options [nop,nop,TS val ${e.tsv} ecr ${e.tse}]`;
    case O_SYN_WIN: return `, options [mss ${e.mss},nop,wscale ${e.ws},nop,nop,sackOK]`;
    case O_SYNACK_NOTS: return `, options [mss ${e.mss},nop,nop,sackOK,nop,wscale ${e.ws}]`;
    case O_MSS: return `, options [mss ${e.mss}]`;
    default: return '';
  }
}

const FLAG_TEXT = [];
for (let f = 0; f < 256; f++) {
  let s = '';
  if (f & FIN) s += 'F';
  if (f & SYN) s += 'S';
  if (f & RST) s += 'R';
  if (f & PSH) s += 'P';
  if (f & ACK) s += '.';
  if (f & URG) s += 'U';
  if (f & 0x40) s += 'E';
  if (f & 0x80) s += 'W';
  FLAG_TEXT.push(s === '' ? 'none' : s);
}

/** tcpdump's relative-sequence table (print-tcp.c): one entry per conversation, never freed. */
const tcpSeqTable = new Map();

function textLine(e, tUs) {
  const fromClient = e.dir === 0;
  const src = fromClient ? e.ch : e.sh;
  const dst = fromClient ? e.sh : e.ch;
  const sport = fromClient ? e.cp : e.sp;
  const dport = fromClient ? e.sp : e.cp;
  const sec = Math.floor(tUs / S);
  const usec = tUs - sec * S;
  const head = `${sec}.${String(usec).padStart(6, '0')} ${src.v6 ? 'IP6' : 'IP'} ${src.str}.${sport} > ${dst.str}.${dport}: `;
  if (e.udp) return `${head}UDP, length ${e.len}\n`;
  const flags = e.flags;
  let seq = e.seq, ack = e.ack;
  if (flags & ACK) {
    const rev = sport > dport || (sport === dport && cmpAddr(src, dst) > 0);
    // The record of this four-tuple: looked up once per connection (cached on its job).
    const holder = e.job;
    let th = holder !== null ? holder.tdRec : undefined;
    if (th === undefined) {
      const key = rev ? `${dst.str} ${src.str} ${dport} ${sport}` : `${src.str} ${dst.str} ${sport} ${dport}`;
      th = tcpSeqTable.get(key);
      if (th === undefined) {
        th = { set: false, seq: 0, ack: 0 };
        tcpSeqTable.set(key, th);
      }
      if (holder !== null) holder.tdRec = th;
    }
    if (!th.set || flags & SYN) {
      th.set = true;
      if (rev) { th.ack = seq; th.seq = (ack - 1) >>> 0; } else { th.seq = seq; th.ack = (ack - 1) >>> 0; }
    } else if (rev) {
      seq = (seq - th.ack) >>> 0;
      ack = (ack - th.seq) >>> 0;
    } else {
      seq = (seq - th.seq) >>> 0;
      ack = (ack - th.ack) >>> 0;
    }
  }
  let s = `${head}Flags [${FLAG_TEXT[flags]}]`;
  if (e.len > 0) s += `, seq ${seq}:${(seq + e.len) >>> 0}`;
  else if (flags & (SYN | FIN | RST)) s += `, seq ${seq}`;
  if (flags & ACK) s += `, ack ${ack}`;
  s += `, win ${e.win}`;
  if (flags & URG) s += ', urg 0';
  s += optionsText(e);
  s += `, length ${e.len}\n`;
  return s;
}

// ------------------------------------------------------------------------------------------------
// Main

function main() {
  const o = parseArgs(process.argv.slice(2));
  rnd = makeRng(o.seed);
  // ~7.5 packets of handshake, close and DNS, ~2.85 per exchange (calibrated by measurement);
  // E[floor(expo(m))] = 1 / (e^(1/m) - 1).
  const wantExchanges = Math.max(0.05, (o.connPackets - 7.5) / 2.85);
  EXCHANGES_MEAN = 1 / Math.log(1 + 1 / wantExchanges);
  makePattern();
  const ext = { pcap: '.pcap', pcapng: '.pcapng', text: '.txt' };
  const files = {};
  for (const f of o.formats) files[f] = o.formats.length === 1 ? o.out : o.out + ext[f];
  const pcap = files.pcap ? new Out(files.pcap) : null;
  const pcapng = files.pcapng ? new Out(files.pcapng) : null;
  const text = files.text ? new Out(files.text) : null;

  if (pcap) {
    const h = pcap.buf;
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeInt32LE(0, 8);
    h.writeUInt32LE(0, 12);
    h.writeUInt32LE(262144, 16);
    h.writeUInt32LE(1, 20);
    pcap.pos = 24;
  }
  if (pcapng) {
    const b = pcapng.buf;
    let p = 0;
    // Section header block with a shb_userappl option.
    const appl = Buffer.from('tcptrace bench/generate.mjs');
    const applPad = (appl.length + 3) & ~3;
    const shbLen = 28 + 4 + applPad + 4;
    b.writeUInt32LE(0x0a0d0d0a, p); b.writeUInt32LE(shbLen, p + 4); b.writeUInt32LE(0x1a2b3c4d, p + 8);
    b.writeUInt16LE(1, p + 12); b.writeUInt16LE(0, p + 14); b.writeInt32LE(-1, p + 16); b.writeInt32LE(-1, p + 20);
    p += 24;
    b.writeUInt16LE(4, p); b.writeUInt16LE(appl.length, p + 2); appl.copy(b, p + 4); b.fill(0, p + 4 + appl.length, p + 4 + applPad);
    p += 4 + applPad;
    b.writeUInt32LE(0, p); p += 4; // opt_endofopt
    b.writeUInt32LE(shbLen, p); p += 4;
    // Interface description block: Ethernet, if_name "eth0", if_tsresol 6 (µs).
    const idbLen = 20 + 8 + 8 + 4;
    b.writeUInt32LE(1, p); b.writeUInt32LE(idbLen, p + 4); b.writeUInt16LE(1, p + 8); b.writeUInt16LE(0, p + 10); b.writeUInt32LE(262144, p + 12);
    p += 16;
    b.writeUInt16LE(2, p); b.writeUInt16LE(4, p + 2); b.write('eth0', p + 4, 'latin1'); p += 8;
    b.writeUInt16LE(9, p); b.writeUInt16LE(1, p + 2); b.writeUInt32LE(6, p + 4); p += 8;
    b.writeUInt32LE(0, p); p += 4;
    b.writeUInt32LE(idbLen, p); p += 4;
    pcapng.pos = p;
  }

  const world = new World(o.open);
  const heap = new Heap();
  const slots = [];
  for (let i = 0; i < o.open; i++) {
    const slot = new Slot(world, i);
    slots.push(slot);
    const t0 = Math.floor(rnd() * 4 * S);
    const job = slot.nextJob(t0, true, false);
    if (job.refill()) {
      job.key = job.ev[0].t;
      heap.push(job);
    }
  }
  const FLOOD_EVERY = 3_000_000;
  let nextFlood = Math.floor(Math.min(o.packets * 0.4, FLOOD_EVERY * 0.4));
  let floodPending = false;
  let written = 0;
  let lastT = 0;
  let maxOpen = 0;
  const started = process.hrtime.bigint();
  const isTty = process.stderr.isTTY;
  const target = o.packets;

  while (written < target && heap.size > 0) {
    const job = heap.top();
    const e = job.ev[job.i++];
    if (e.t < lastT) e.t = lastT; // never happens with well-formed phases; keeps files monotonic
    lastT = e.t;
    const tUs = BASE_US + e.t;
    const len = buildFrame(e);
    if (pcap) {
      pcap.need(16 + len);
      const b = pcap.buf;
      let p = pcap.pos;
      const sec = Math.floor(tUs / S);
      b.writeUInt32LE(sec, p);
      b.writeUInt32LE(tUs - sec * S, p + 4);
      b.writeUInt32LE(len, p + 8);
      b.writeUInt32LE(len, p + 12);
      FRAME.copy(b, p + 16, 0, len);
      pcap.pos = p + 16 + len;
    }
    if (pcapng) {
      const padded = (len + 3) & ~3;
      const blen = 32 + padded;
      pcapng.need(blen);
      const b = pcapng.buf;
      const p = pcapng.pos;
      b.writeUInt32LE(6, p);
      b.writeUInt32LE(blen, p + 4);
      b.writeUInt32LE(0, p + 8);
      b.writeUInt32LE(Math.floor(tUs / 4294967296), p + 12);
      b.writeUInt32LE(tUs % 4294967296, p + 16);
      b.writeUInt32LE(len, p + 20);
      b.writeUInt32LE(len, p + 24);
      FRAME.copy(b, p + 28, 0, len);
      b.fill(0, p + 28 + len, p + 28 + padded);
      b.writeUInt32LE(blen, p + 28 + padded);
      pcapng.pos = p + blen;
    }
    if (text) {
      text.need(1024);
      text.pos += text.buf.latin1Write(textLine(e, tUs), text.pos);
    }
    written++;
    if (written === nextFlood) {
      floodPending = true;
      nextFlood += FLOOD_EVERY;
    }
    if (isTty && (written & 0xfffff) === 0) {
      process.stderr.write(`\rgenerate: ${(written / 1e6).toFixed(1)} M packets`);
    }
    // Advance the job: next packet of this phase, next phase, or the slot's next job.
    if (job.i < job.ev.length) {
      job.key = job.ev[job.i].t;
      heap.fix();
      continue;
    }
    if (job.refill()) {
      job.key = job.ev[0].t;
      if (job.key < lastT) throw new Error(`job ${job.id} went back in time (${job.key} < ${lastT})`);
      heap.fix();
      continue;
    }
    heap.pop();
    if (job.slot) {
      let next = null;
      let t = lastT + Math.round(expo(150 * MS)) + 1;
      for (let tries = 0; tries < 3 && next === null; tries++) {
        next = job.slot.nextJob(t, false, floodPending);
        floodPending = false;
        if (!next.refill()) {
          next = null;
          t += 1;
        }
      }
      if (next) {
        next.key = next.ev[0].t;
        heap.push(next);
      }
    }
    if (heap.size > maxOpen) maxOpen = heap.size;
  }

  if (pcap) pcap.close();
  if (pcapng) pcapng.close();
  if (text) text.close();
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  if (isTty) process.stderr.write('\r');
  const meta = {
    generator: 'bench/generate.mjs',
    seed: o.seed,
    packets: written,
    openTarget: o.open,
    files: Object.fromEntries(Object.entries(files).map(([f, name]) => [f, { name, bytes: f === 'pcap' ? pcap.bytes : f === 'pcapng' ? pcapng.bytes : text.bytes }])),
    durationS: lastT / S,
    startTime: new Date(BASE_US / 1000).toISOString(),
    tcpConnectionsStarted: stats.connectionsTcp,
    jobs: stats.jobs,
    handshakes: stats.handshakes,
    closesScheduled: stats.closes,
    reuse: { immediate: stats.reuseImmediate, afterExpiry: stats.reuseAfterExpiry },
    probes: stats.anomalyProbes,
    udpPackets: stats.udpPackets,
    ipv6Packets: stats.ipv6Packets,
    generateSeconds: Math.round(secs * 100) / 100,
  };
  const metaFile = o.meta ?? `${o.out}.meta.json`;
  if (metaFile !== '-') writeFileSync(metaFile, JSON.stringify(meta, null, 2) + '\n');
  process.stderr.write(`generate: ${written} packets, ${stats.connectionsTcp} TCP connections started, ${(lastT / S).toFixed(1)} s of traffic, ${secs.toFixed(1)} s to write ${Object.values(files).join(', ')}\n`);
}

main();
