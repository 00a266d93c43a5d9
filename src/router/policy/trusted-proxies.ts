// The proxies the operator put in front of the router (`trustedProxies`: addresses and
// CIDR blocks). Only a peer in this list may tell the router about the hops before it
// (X-Forwarded-*, Forwarded); anyone else's are replaced (forward-headers.ts). The
// client behind a trusted peer is found the usual way: X-Forwarded-For read from the
// right, skipping hops that are themselves trusted proxies.

import { BlockList, isIP } from 'node:net';
import type { ClientRequest } from '../front/client-exchange.ts';

export class TrustedProxies {
  readonly #list: BlockList | undefined;

  /** entries: checked ones (trustedProxyError); empty trusts no one. */
  constructor(entries: readonly string[]) {
    if (entries.length === 0) return;
    const list = new BlockList();
    for (const e of entries) {
      const [address, prefix] = e.split('/') as [string, string | undefined];
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) list.addAddress(address, family);
      else list.addSubnet(address, Number(prefix), family);
    }
    this.#list = list;
  }

  /** ip (unmapped) is one of the operator's proxies. Free when none is configured. */
  has(ip: string): boolean {
    if (this.#list === undefined || ip === '') return false;
    return this.#list.check(ip, ip.includes(':') ? 'ipv6' : 'ipv4');
  }

  /**
   * The client's address behind a trusted peer: the rightmost X-Forwarded-For hop that is
   * not a trusted proxy (all trusted: the leftmost; a malformed hop ends the walk at the
   * hop after it).
   */
  clientBehind(peer: string, xff: string | undefined): string {
    if (!xff) return peer;
    const hops = xff.split(',');
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = unmappedIp(hops[i]!.trim());
      if (isIP(hop) === 0) return client;
      client = hop;
      if (!this.has(hop)) return hop;
    }
    return client;
  }

  /** The client's address: the socket peer, or behind a trusted proxy the client it names. */
  clientOf(req: ClientRequest): string | undefined {
    const remote = req.socket?.remoteAddress;
    if (remote === undefined) return undefined;
    const peer = unmappedIp(remote);
    return this.has(peer) ? this.clientBehind(peer, headerValue(req.headers['x-forwarded-for'])) : peer;
  }
}

/** Why entry is not an address or CIDR block (`10.0.0.0/8`, `2001:db8::/32`); undefined when it is one. */
export function trustedProxyError(entry: unknown): string | undefined {
  if (typeof entry !== 'string') return `${String(entry)} is not an IP address or CIDR block`;
  const [address, prefix, extra] = entry.split('/');
  const family = isIP(address ?? '');
  const bits = family === 6 ? 128 : 32;
  if (family === 0 || extra !== undefined || (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits))) {
    return `"${entry}" is not an IP address or CIDR block (e.g. 10.0.0.5, 10.0.0.0/8, 2001:db8::/32)`;
  }
  return undefined;
}

/** A comma-separated list (the `--trusted-proxies` flag's form) → entries; blanks ignored. */
export function parseTrustedProxies(list: string): string[] {
  return list.split(',').map((e) => e.trim()).filter((e) => e !== '');
}

/** An IPv4-mapped IPv6 address as plain IPv4. */
export function unmappedIp(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

/** A header that may have come several times, as one comma-separated value. */
export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}
