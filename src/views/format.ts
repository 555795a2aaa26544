/** Small formatting helpers shared by the terminal views. */

/** An endpoint as ss and tcpdump write it: `ip:port`, IPv6 in brackets. */
export function endpoint(a: { ip: string; port: number }): string {
  return a.ip.includes(':') ? `[${a.ip}]:${a.port}` : `${a.ip}:${a.port}`;
}

/** Pads by visible width: colour codes do not count. */
export function padVisible(s: string, w: number): string {
  // eslint-disable-next-line no-control-regex
  const visible = s.replace(/\x1b\[[0-9;]*m/g, '').length;
  return visible >= w ? s : s + ' '.repeat(w - visible);
}
