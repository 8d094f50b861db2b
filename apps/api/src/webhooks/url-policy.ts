import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** Verdict on a URL the server is about to call. */
export type UrlVerdict = { ok: true } | { ok: false; reason: string };

// Ranges no webhook may reach unless allowlisted: "this" network, private, shared (CGNAT),
// loopback, link-local (cloud metadata at 169.254.169.254), benchmarking, multicast, reserved,
// and their IPv6 counterparts (NAT64 too: it can map to any IPv4 address).
const DENIED_V4: [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const DENIED_V6: [string, number][] = [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
];

function family(address: string): 'ipv4' | 'ipv6' | undefined {
  const v = isIP(address);
  return v === 4 ? 'ipv4' : v === 6 ? 'ipv6' : undefined;
}

/**
 * Allow/deny policy for URLs the server fetches (webhooks): private, loopback and link-local
 * addresses are refused unless the host or a CIDR is on the allowlist. The host is resolved and
 * every address checked; {@link lookup} applies the same check to the address the connection
 * really uses, so a DNS answer that changes after the check (rebinding) is refused too.
 */
export class UrlPolicy {
  private readonly denied = new BlockList();
  private readonly allowed = new BlockList();
  private readonly allowedHosts = new Set<string>();

  /** `allowlist`: comma list of host names, IPs and CIDRs (`WEBHOOK_ALLOWLIST`). */
  constructor(allowlist = '') {
    for (const [net, prefix] of DENIED_V4) this.denied.addSubnet(net, prefix, 'ipv4');
    for (const [net, prefix] of DENIED_V6) this.denied.addSubnet(net, prefix, 'ipv6');
    for (const raw of allowlist.split(',')) {
      const entry = raw.trim().toLowerCase();
      if (!entry) continue;
      const [net, bits] = entry.split('/');
      const fam = net ? family(net) : undefined;
      if (net && fam) {
        const max = fam === 'ipv4' ? 32 : 128;
        this.allowed.addSubnet(net, bits === undefined ? max : Math.min(Number(bits), max), fam);
      } else {
        this.allowedHosts.add(entry);
      }
    }
  }

  /** True when the server may connect to `address` (an IP literal). */
  addressAllowed(address: string): boolean {
    const fam = family(address);
    if (!fam) return false;
    return this.allowed.check(address, fam) || !this.denied.check(address, fam);
  }

  /** Syntax, scheme and every resolved address of the URL's host. */
  async check(rawUrl: string): Promise<UrlVerdict> {
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      return { ok: false, reason: 'not a URL' };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return { ok: false, reason: 'only http and https URLs are allowed' };
    }
    if (url.username || url.password)
      return { ok: false, reason: 'credentials in the URL are not allowed' };
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (this.allowedHosts.has(host)) return { ok: true };
    if (family(host)) {
      return this.addressAllowed(host)
        ? { ok: true }
        : { ok: false, reason: `${host} is a private, loopback or link-local address` };
    }
    let addresses: { address: string }[];
    try {
      addresses = await new Promise((resolve, reject) =>
        dnsLookup(host, { all: true, verbatim: true }, (err, result) =>
          err ? reject(err) : resolve(result),
        ),
      );
    } catch {
      return { ok: false, reason: `the host ${host} does not resolve` };
    }
    const bad = addresses.find((a) => !this.addressAllowed(a.address));
    if (bad)
      return {
        ok: false,
        reason: `${host} resolves to ${bad.address}, a private, loopback or link-local address`,
      };
    return { ok: true };
  }

  /** A `lookup` for http(s).request that refuses denied addresses at connect time. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    const allowAll = this.allowedHosts.has(hostname.toLowerCase());
    dnsLookup(hostname, { ...options, all: true, verbatim: true }, (err, result) => {
      if (err) {
        callback(err, '', 4);
        return;
      }
      const list = (Array.isArray(result) ? result : []).filter(
        (a) => allowAll || this.addressAllowed(a.address),
      );
      if (list.length === 0) {
        const denied = Object.assign(new Error(`${hostname} resolves only to denied addresses`), {
          code: 'EADDRNOTALLOWED',
        });
        callback(denied, '', 4);
        return;
      }
      if (options.all) {
        callback(null, list);
        return;
      }
      const first = list[0]!;
      callback(null, first.address, first.family);
    });
  };
}
