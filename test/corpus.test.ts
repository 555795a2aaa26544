/**
 * The real-world corpus (issue 3): every capture under `../shared/corpus` (tcpdump's, Zeek's,
 * Suricata's and tcpreplay's own test captures; see its SOURCES.md) run through the built CLI.
 * Runs only where the corpus exists; never copies corpus files into the project.
 *
 * Every file must finish (no hang), and either exit 0 with a valid JSON report or exit 2 with
 * exactly one stderr line `tcptrace: ...` and no stack trace. Our connection count for each
 * capture must equal the EXPECTED table below, so a regression in decoding or connection
 * splitting shows here. The counts were compared with tshark's (`tshark -r F -q -z conv,tcp`)
 * once, by hand: docs/corpus.md lists every difference and its reason. tshark is not run here.
 *
 * To refresh the table after a deliberate change: TCPTRACE_CORPUS_TABLE=1 npx vitest run test/corpus
 * prints it (then update docs/corpus.md too).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CORPUS, HAVE_CORPUS, ROOT, isCapture, walk } from './helpers/run.js';

/**
 * Connections we report per capture (path relative to the corpus), or, for a capture we cannot
 * read, the reason the CLI must give with exit 2.
 */
const EXPECTED: Record<string, number | string> = {
  'suricata-verify/tests/alert-no-3whs-established/no-3whs.pcap': 1,
  'suricata-verify/tests/alert-testmyids-async/input.pcap': 1,
  'suricata-verify/tests/alert-testmyids-midstream/input.pcap': 1,
  'suricata-verify/tests/app-layer-template/input.pcap': 1,
  'suricata-verify/tests/bug-2491-02/simple_http_download.onesided.nosyn.pcap': 1,
  'suricata-verify/tests/bug-2646-02/input.pcap': 1,
  'suricata-verify/tests/bug-3286-01-no-evasion/without_evasion.pcap': 1,
  'suricata-verify/tests/bug-3286-02-linux-evasion/with_evasion_linux.pcap': 1,
  'suricata-verify/tests/bug-3286-03-windows-evasion/with_evasion_windows.pcap': 1,
  'suricata-verify/tests/bug-4376/syn_retransmit_with_ts.pcap': 1,
  'suricata-verify/tests/bug-4571-01/ipv4_over_ipv4.pcap': 1,
  'suricata-verify/tests/bug-4571-02/ipv6.pcap': 1,
  'suricata-verify/tests/bug-4571-03/ipv6_over_ipv6.pcap': 1,
  'suricata-verify/tests/bug-4571-04/ipv6_over_ipv4.pcap': 1,
  'suricata-verify/tests/bug-4571-05/ipv4.pcap': 1,
  'suricata-verify/tests/bug-4571-06/ipv4_over_ipv6.pcap': 1,
  'suricata-verify/tests/bug-4702-01/input.pcap': 1,
  'suricata-verify/tests/bug-4702-02/tsecr.pcap': 1,
  'suricata-verify/tests/bug-5881-01/input.pcap': 1,
  'suricata-verify/tests/bug-6244-tcp-rst-with-data-02/tcp-rst-with-data.pcap': 1,
  'suricata-verify/tests/bug-6244-tcp-rst-with-data/tcp-rst-with-data.pcap': 1,
  'suricata-verify/tests/bug-6733-syn-packet-flow-output/input.pcap': 1,
  'suricata-verify/tests/bug-7264-tcp-3whs-ack-data-tls-01/input.pcap': 1,
  'suricata-verify/tests/bug-76/input.pcap': 8,
  'suricata-verify/tests/bug-7657-01/input.pcap': 24,
  'suricata-verify/tests/bug-814/input.pcap': 1,
  'suricata-verify/tests/bug-8629-async-oneside/input.pcap': 1,
  'suricata-verify/tests/community-id-ipv6/input.pcap': 2,
  'suricata-verify/tests/decode-chdlc-01/hdlc-http_1tx.pcap': 1,
  'suricata-verify/tests/decode-sll2-01/input.pcap': 1,
  'suricata-verify/tests/decode-too-small/test.pcap': 0,
  'suricata-verify/tests/defrag/bug-6887-defrag-eth-vlan-ipv4-tcp-syn/frag-eth-vlan-ip-tcp-syn.pcap': 1,
  'suricata-verify/tests/defrag/bug-6887-defrag-ipv4-tcp-syn/frag-ip-tcp-syn.pcap': 1,
  'suricata-verify/tests/defrag/bug-6887-defrag-ipv6-tcp/frag-ip-tcp.pcap': 1,
  'suricata-verify/tests/defrag/bug-6887-defrag-ppp-ipv4-tcp-syn/frag-ppp-ip-tcp-syn.pcap': 1,
  'suricata-verify/tests/defrag/bug-6887-defrag-ppp-ipv6-tcp/frag-ppp-ipv6-tcp.pcap': 1,
  'suricata-verify/tests/detection_filter-distinct-dstport/input.pcap': 2,
  'suricata-verify/tests/dns-tcp-ts-gap/input.pcap': 1,
  'suricata-verify/tests/eve-metadata/testmyids.pcap': 1,
  'suricata-verify/tests/eve-payload-01-tcp-exact-overlap/tcp-overlap.pcap': 1,
  'suricata-verify/tests/firewall/tcp-session-equivalence/input.pcap': 1,
  'suricata-verify/tests/firewall/tcp-session-ipv6-decode-malformed/input.pcap': 1,
  'suricata-verify/tests/firewall/tcp-session-ipv6-stream-out-of-window/input.pcap': 1,
  'suricata-verify/tests/firewall/tcp-session-stream-out-of-window/input.pcap': 1,
  'suricata-verify/tests/firewall/tcp-session-syn-flood-drop-precedence/input.pcap': 200,
  'suricata-verify/tests/issue-3267-tcphdr/tcphdr_http.pcap': 1,
  'suricata-verify/tests/issue-3341-tcphdr-01/urgent11_cve_2019_12260.pcap': 2,
  'suricata-verify/tests/mac-eve-multiple-disabled/multi_mac.pcap': 1,
  'suricata-verify/tests/output-eve-anomaly-02/input.pcap': 1,
  'suricata-verify/tests/security-4710-01/input.pcap': 1,
  'suricata-verify/tests/security-4710-02/input.pcap': 1,
  'suricata-verify/tests/tcp-async-01/input.pcap': 1,
  'suricata-verify/tests/tcp-empty-sack/tcp-opt.pcap': 1,
  'suricata-verify/tests/tcp-fastopen-03/tfo.pcap': 2,
  'suricata-verify/tests/tcp-fastopen-05/tfo.pcap': 2,
  'suricata-verify/tests/tcp-fastopen-06/tfo-s1.pcap': 1,
  'suricata-verify/tests/tcp-fastopen-07/tcp_fastopen_segmentation.pcap': 2,
  'suricata-verify/tests/tcp-fastopen-08/tcp_fastopen_segmentation-s1.pcap': 1,
  'suricata-verify/tests/tcp-fastopen-09/tcp-opt-invalid-warning.pcap': 1,
  'suricata-verify/tests/tcp-fastopen-10-syn-data-ignore/input.pcap': 1,
  'suricata-verify/tests/tcp-fastopen-11-reject-syn-data/tlpw-tcp-tfo-data-on-syn-nack.pcap': 1,
  'suricata-verify/tests/tcp-hdr-keyword/input.pcap': 1,
  'suricata-verify/tests/tcp-mss-keyword/input.pcap': 1,
  'suricata-verify/tests/tcp-protodetect-bailout/input.pcap': 1,
  'suricata-verify/tests/tcp-rst-unacked-stream-01-raw/input.pcap': 1,
  'suricata-verify/tests/tcp-rst-unacked-stream-03-gap/input.pcap': 1,
  'suricata-verify/tests/tcp-rst-unacked-stream-05-http-nogap/input.pcap': 1,
  'suricata-verify/tests/tcp-rst-unacked-stream-07-http/input.pcap': 1,
  'suricata-verify/tests/tcp-rst-unacked-stream-09/TLPW1-tcp-110.37.219.134-10.12.14.101-tcp-990-49230.pcap': 1,
  'suricata-verify/tests/tcp-rst-unacked-stream-11/TLPW1-tcp-47.32.209.86-10.11.23.101-tcp-80-49470.pcap': 1,
  'suricata-verify/tests/tcp-split-handshake-01-4whs/split-handshake-4whs.pcap': 1,
  'suricata-verify/tests/tcp-split-handshake-02-5whs/split-handshake-5whs.pcap': 1,
  'suricata-verify/tests/tcp-stream-after-swap/http-start-from-response.pcap': 1,
  'suricata-verify/tests/tcp-urgp-01-oob/tcp-urgent1.pcap': 1,
  'suricata-verify/tests/tls-extra-alert/input.pcap': 1,
  'suricata-verify/tests/transform-base64-7296/input.pcap': 6,
  'tcpdump/tests/accecn_handshake.pcap': 1,
  'tcpdump/tests/arcnet-rfc1051-arp-icmp-http.pcap': 1,
  'tcpdump/tests/bgp-4byte-asn.pcap': 6,
  'tcpdump/tests/bgp-aigp.pcap': 1,
  'tcpdump/tests/bgp-bgpsec.pcap': 5,
  'tcpdump/tests/bgp-enhanced-route-refresh-subtype.pcapng': 1,
  'tcpdump/tests/bgp-role.pcapng': 1,
  'tcpdump/tests/bgp_mp_reach_nlri-oobr.pcap': 1,
  'tcpdump/tests/bgp_vpn_attrset.pcap': 1,
  'tcpdump/tests/bigtcp-ipv4.pcap': 1,
  'tcpdump/tests/bigtcp-ipv6-hbh.pcap': 1,
  'tcpdump/tests/bigtcp-ipv6.pcap': 1,
  'tcpdump/tests/dns_tcp.pcap': 1,
  'tcpdump/tests/dns_tcp_8053.pcap': 1,
  'tcpdump/tests/geneve-gcp.pcap': 1,
  'tcpdump/tests/geneve.pcap': 1,
  'tcpdump/tests/gso-ipv6.pcap': 1,
  'tcpdump/tests/heapoverflow-tcp_print.pcap': 1,
  'tcpdump/tests/ipoib.pcap': 6,
  'tcpdump/tests/ipv4_tcp_http_xml.pcap': 1,
  'tcpdump/tests/ipv4_tcp_http_xml_tso.pcap': 1,
  'tcpdump/tests/kday3.pcap': 4,
  'tcpdump/tests/ldp-common-session.pcap': 2,
  'tcpdump/tests/mptcp-aa-echo.pcap': 2,
  'tcpdump/tests/mptcp-aa-v1.pcap': 1,
  'tcpdump/tests/mptcp-fclose.pcap': 1,
  'tcpdump/tests/mptcp-tcprst.pcap': 1,
  'tcpdump/tests/mptcp-v0.pcap': 2,
  'tcpdump/tests/mptcp-v1.pcap': 1,
  'tcpdump/tests/of10_pf5240.pcap': 3,
  'tcpdump/tests/of10_s4810.pcap': 2,
  'tcpdump/tests/of13_ericsson.pcapng': 21,
  'tcpdump/tests/pptp.pcap': 1,
  'tcpdump/tests/print-flags.pcap': 1,
  'tcpdump/tests/resp_1_benchmark.pcap': 15,
  'tcpdump/tests/resp_3_malicious.pcap': 18,
  'tcpdump/tests/scps_invalid.pcap': 2,
  'tcpdump/tests/ssh.pcap': 1,
  'tcpdump/tests/tcp-auth-heapoverflow.pcap': 1,
  'tcpdump/tests/tcp-handshake-nano.pcap': 1,
  'tcpdump/tests/tcp_eight_lowest_weight_flags_set.pcap': 1,
  'tcpdump/tests/tcp_header_heapoverflow.pcap': 0,
  'tcpdump/tests/tcp_rst_data-trunc.pcap': 1,
  'tcpdump/tests/tcp_rst_data.pcap': 1,
  'tcpdump/tests/tcp_rst_diag_payload-trunc.pcap': 1,
  'tcpdump/tests/tcp_rst_diag_payload.pcap': 1,
  'tcpdump/tests/tfo-5c1fa7f9ae91.pcap': 3,
  'tcpdump/tests/timestamp_invalid_micro.pcap': 1,
  'tcpdump/tests/timestamp_invalid_nano.pcap': 1,
  'tcpdump/tests/whois.pcap': 1,
  'tcpdump/tests/zmtp1.pcap': 1,
  'tcpreplay/test/test.pcap': 7,
  'tcpreplay/test/test.rewrite_dlthdlc': 7,
  'tcpreplay/test/test.rewrite_l7fuzzing': 7,
  'tcpreplay/test/test.rewrite_mtutrunc': 7,
  'tcpreplay/test/test.rewrite_portmap': 7,
  'tcpreplay/test/test.rewrite_sequence': 7,
  'tcpreplay/test/test.rewrite_skip': 7,
  'tcpreplay/test/test.rewrite_vlan802.1ad': 7,
  'tcpreplay/test/test_fragroute.pcap': 2,
  'zeek/testing/btest/Traces/cisco-fabric-path.pcap': 16,
  'zeek/testing/btest/Traces/ftp/cwd-navigation.pcap': 1,
  'zeek/testing/btest/Traces/ftp/ipv4.pcap': 5,
  'zeek/testing/btest/Traces/ftp/ipv6.pcap': 6,
  'zeek/testing/btest/Traces/http/concurrent-range-requests.pcap': 3,
  'zeek/testing/btest/Traces/http/connect-with-header.pcap': 1,
  'zeek/testing/btest/Traces/http/get-to-ssh-server.pcap': 1,
  'zeek/testing/btest/Traces/http/get.pcap': 1,
  'zeek/testing/btest/Traces/ipv4/fragmented-4.pcap': 2,
  'zeek/testing/btest/Traces/irc-dcc-send.pcapng': 3,
  'zeek/testing/btest/Traces/ldap/gap-data-missing.pcapng': 1,
  'zeek/testing/btest/Traces/ldap/modify-request.pcapng': 1,
  'zeek/testing/btest/Traces/mixed-vlan-mpls.pcap': 3,
  'zeek/testing/btest/Traces/modbus/fuzz-72.pcap': 1,
  'zeek/testing/btest/Traces/modbus/modbus-and-non-modbus-p502.pcap': 8,
  'zeek/testing/btest/Traces/mpls-in-vlan.pcap': 3,
  'zeek/testing/btest/Traces/nflog-http.pcap': 1,
  'zeek/testing/btest/Traces/nmap-vsn.pcap': 17,
  'zeek/testing/btest/Traces/pbb.pcap': 0,
  'zeek/testing/btest/Traces/pppoe-over-qinq.pcap': 1,
  'zeek/testing/btest/Traces/rfb/vnc-scanner.pcap': 1,
  'zeek/testing/btest/Traces/smtp.pcap': 6,
  'zeek/testing/btest/Traces/ssh/ssh.client-side-half-duplex.pcap': 20,
  'zeek/testing/btest/Traces/ssh/ssh.pcap': 23,
  'zeek/testing/btest/Traces/ssh/ssh.server-side-half-duplex.pcap': 20,
  'zeek/testing/btest/Traces/tcp-http-with-padding.pcap': 1,
  'zeek/testing/btest/Traces/tcp-syslog.pcap': 1,
  'zeek/testing/btest/Traces/tcp/ctu-64702-888.pcap': 1,
  'zeek/testing/btest/Traces/tcp/fin_retransmission.pcap': 1,
  'zeek/testing/btest/Traces/tcp/handshake-reorder.pcap': 1,
  'zeek/testing/btest/Traces/tcp/http-on-irc-port-missing-syn.pcapng': 1,
  'zeek/testing/btest/Traces/tcp/miss_end_data.pcap': 1,
  'zeek/testing/btest/Traces/tcp/missing-syn.pcap': 1,
  'zeek/testing/btest/Traces/tcp/no-handshake.pcap': 1,
  'zeek/testing/btest/Traces/tcp/one-sided-2745.pcap': 2,
  'zeek/testing/btest/Traces/tcp/option-27.pcap': 1,
  'zeek/testing/btest/Traces/tcp/option-sack.pcap': 1,
  'zeek/testing/btest/Traces/tcp/options.pcap': 1,
  'zeek/testing/btest/Traces/tcp/payload-syn.pcap': 1,
  'zeek/testing/btest/Traces/tcp/payload-synack.pcap': 1,
  'zeek/testing/btest/Traces/tcp/qi_internet_SYNACK_curl_jsonip.pcap': 1,
  'zeek/testing/btest/Traces/tcp/reassembly.pcap': 1,
  'zeek/testing/btest/Traces/tcp/retransmit-fast009.pcap': 1,
  'zeek/testing/btest/Traces/tcp/retransmit-timeout.pcapng': 1,
  'zeek/testing/btest/Traces/tcp/rst-inject-rae.pcap': 1,
  'zeek/testing/btest/Traces/tcp/single-rst.pcap': 1,
  'zeek/testing/btest/Traces/tcp/ssh-dups.pcap': 1,
  'zeek/testing/btest/Traces/tcp/syn-bad.pcap': 1,
  'zeek/testing/btest/Traces/tcp/syn-synack.pcap': 1,
  'zeek/testing/btest/Traces/tcp/syn-then-ack-then-rst.pcap': 1,
  'zeek/testing/btest/Traces/tcp/syn-then-rst.pcap': 1,
  'zeek/testing/btest/Traces/tcp/syn-then-stuff-then-rst.pcap': 1,
  'zeek/testing/btest/Traces/tcp/syn.pcap': 1,
  'zeek/testing/btest/Traces/tcp/tcp-fast-open.pcap': 2,
  'zeek/testing/btest/Traces/tcp/timeout-with-pings.pcap': 1,
  'zeek/testing/btest/Traces/tcp/truncated-header.pcap': 1,
  'zeek/testing/btest/Traces/tcp/window-scale-range.pcap': 1,
  'zeek/testing/btest/Traces/tls/irc-starttls.pcap': 1,
  'zeek/testing/btest/Traces/tunnels/Teredo.pcap': 4,
  'zeek/testing/btest/Traces/vlan-collisions.pcap': 1,
  'zeek/testing/btest/Traces/vntag_vlan_sandwich_clean.pcap': 0,
  'zeek/testing/btest/Traces/wikipedia.pcap': 10,
};

/** Per-file limit: the largest corpus file (1.4 MB) takes well under a second. */
const FILE_TIMEOUT_MS = 30_000;

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }

/** How many CLI processes at once: spawning node is most of the cost, and cores are few. */
const CONCURRENCY = Math.max(2, Math.min(8, cpus().length + 1));
let running = 0;
const waiting: (() => void)[] = [];

/** The built CLI, asynchronously, so several files run at once (at most CONCURRENCY). */
async function run(args: string[]): Promise<Run> {
  while (running >= CONCURRENCY) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await spawnCli(args);
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function spawnCli(args: string[]): Promise<Run> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/tcptrace.js'), ...args], {
      env: { ...process.env, NO_COLOR: '1' }, timeout: FILE_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({
      code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), ms: Date.now() - t0,
    }));
  });
}

const FILES = HAVE_CORPUS ? walk(CORPUS).sort() : [];
const CAPTURES = FILES.filter(isCapture);
/** Not captures (expected outputs, rules, logs, tcpdump text): one of each kind, for robustness only. */
const OTHERS = (() => {
  const byKind = new Map<string, string>();
  for (const f of FILES) {
    if (CAPTURES.includes(f)) continue;
    const base = f.split('/').at(-1)!;
    const kind = base.includes('.') ? base.slice(base.lastIndexOf('.')) : base;
    if (!byKind.has(kind)) byKind.set(kind, f);
  }
  return [...byKind.values()];
})();

const observed: Record<string, number | string> = {};

/** What every run must satisfy, capture or not; returns the connection count or the exit-2 reason. */
function checkRobust(file: string, r: Run): number | string {
  expect(r.signal, `${file} was killed (hang?) after ${r.ms} ms`).toBeNull();
  expect(r.stderr).not.toMatch(/\n\s+at |internal error|TCPTRACE_DEBUG/);
  if (r.code === 0) {
    const report = JSON.parse(r.stdout) as { schemaVersion: number; summary: { connections: number }; connections: unknown[] };
    expect(report.schemaVersion).toBeTypeOf('number');
    expect(report.connections).toHaveLength(report.summary.connections);
    for (const line of r.stderr.split('\n').filter(Boolean)) expect(line).toMatch(/^tcptrace: warning: /);
    return report.summary.connections;
  }
  expect(r.code, `exit code for ${file}; stderr: ${r.stderr}`).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^tcptrace: /);
  expect(lines[0]).toContain(file);
  return lines[0]!;
}

describe.skipIf(!HAVE_CORPUS)('the real-world corpus', () => {
  afterAll(() => {
    if (process.env.TCPTRACE_CORPUS_TABLE) {
      const rows = Object.keys(observed).sort().map((k) => `  '${k}': ${typeof observed[k] === 'number' ? observed[k] : `'${observed[k]}'`},`);
      console.log(`const EXPECTED = {\n${rows.join('\n')}\n};`);
    }
  });

  it('has the built CLI and captures to run', () => {
    expect(existsSync(join(ROOT, 'dist/cli/main.js')), 'run `npm run build` first').toBe(true);
    expect(CAPTURES.length).toBeGreaterThan(100);
  });

  // The tests run concurrently; run() bounds how many processes are alive at once.
  describe.concurrent('captures', () => {
    it.each(CAPTURES.map((f) => [relative(CORPUS, f), f]))('%s', { timeout: FILE_TIMEOUT_MS + 5_000 }, async (rel, file) => {
      const r = await run(['analyze', file, '--json']);
      const got = checkRobust(file, r);
      const want = EXPECTED[rel];
      if (typeof got === 'number') observed[rel] = got;
      else observed[rel] = /link type \d+ is not supported/.exec(got)?.[0] ?? got.replace(`tcptrace: ${file}: `, '');
      if (want === undefined) {
        console.warn(`corpus: ${rel} is not in the EXPECTED table (got ${JSON.stringify(observed[rel])}); add it`);
      } else if (typeof want === 'number') {
        expect(r.code, r.stderr).toBe(0);
        expect(got, 'connections').toBe(want);
      } else {
        expect(r.code).toBe(2);
        expect(got).toContain(want);
      }
    });
  });

  describe.concurrent('files that are not captures (one of each kind)', () => {
    it.each(OTHERS.map((f) => [relative(CORPUS, f), f]))('%s', { timeout: FILE_TIMEOUT_MS + 5_000 }, async (_rel, file) => {
      checkRobust(file, await run(['analyze', file, '--json']));
    });
  });

  it('every capture in the EXPECTED table is still in the corpus', () => {
    const present = new Set(CAPTURES.map((f) => relative(CORPUS, f)));
    expect(Object.keys(EXPECTED).filter((k) => !present.has(k))).toEqual([]);
  });
});
