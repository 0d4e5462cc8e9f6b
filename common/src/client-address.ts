import { BlockList, isIP } from 'node:net';

/** An IPv4 address written as IPv6 (`::ffff:10.0.0.1`) is that IPv4 address. */
export function normalizeAddress(address: string): string {
  const a = address.trim().toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return mapped?.[1] ?? a;
}

/** Which addresses are our own proxies (load balancer, nginx, gateways): a parsed list of IPs and CIDRs. */
export interface TrustedProxies {
  has(address: string): boolean;
}

/**
 * Parses `10.0.0.0/8, 127.0.0.1, ::1` (comma or space separated). `none` or nothing trusts no
 * one. Throws on an entry that is no address, so a typo fails at startup, not silently.
 */
export function parseTrustedProxies(spec: string | undefined): TrustedProxies {
  const list = new BlockList();
  let empty = true;
  for (const raw of (spec ?? '').split(/[\s,]+/)) {
    const entry = raw.trim();
    if (entry === '' || entry === 'none') continue;
    const [addr = '', bits] = entry.split('/');
    const address = normalizeAddress(addr);
    const family = isIP(address);
    if (family === 0) throw new Error(`not an IP address or CIDR: ${entry}`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else {
      const prefix = Number(bits);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
        throw new Error(`bad prefix length in ${entry}`);
      }
      list.addSubnet(address, prefix, type);
    }
    empty = false;
  }
  return {
    has(address) {
      if (empty) return false;
      const a = normalizeAddress(address);
      const family = isIP(a);
      return family !== 0 && list.check(a, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/**
 * The client's address: the socket peer, unless the peer is a trusted proxy; then the right-most
 * X-Forwarded-For hop that is not a trusted proxy (every hop left of it could be made up by the
 * client). A malformed hop ends the walk there: nothing left of it can be trusted either.
 * `forwardedFor` is every X-Forwarded-For header of the request, in order.
 */
export function clientAddress(
  peer: string,
  forwardedFor: readonly string[],
  trusted: TrustedProxies,
): string {
  let client = normalizeAddress(peer);
  if (!trusted.has(client)) return client;
  const hops = forwardedFor
    .flatMap((h) => h.split(','))
    .map((h) => h.trim())
    .filter((h) => h !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeAddress(hops[i]!);
    if (isIP(hop) === 0) return client;
    client = hop;
    if (!trusted.has(hop)) return hop;
  }
  return client;
}
