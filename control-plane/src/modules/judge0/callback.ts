import { createHmac } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import type { Logger } from '@muscode/common';
import { Judge0Invalid } from './submission.js';

/** Addresses a callback may not reach unless allowed: private, loopback, link-local and the like. */
const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  blocked.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, bits, 'ipv6');
}

function isBlocked(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return blocked.check(mapped, 'ipv4');
  return blocked.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

/** The operator's allowlist: host names, addresses and CIDRs. */
function parseAllow(raw: string | undefined) {
  const hosts = new Set<string>();
  const nets = new BlockList();
  for (const entry of (raw ?? '').split(',').map((e) => e.trim().toLowerCase())) {
    if (entry === '') continue;
    const [addr, bits] = entry.split('/');
    const family = isIP(addr ?? '');
    if (family && bits !== undefined) nets.addSubnet(addr!, Number(bits), family === 6 ? 'ipv6' : 'ipv4');
    else if (family) nets.addAddress(addr!, family === 6 ? 'ipv6' : 'ipv4');
    else hosts.add(entry);
  }
  return { hosts, nets };
}

export interface CallbackOptions {
  secret: string | undefined;
  allow: string | undefined;
  timeoutMs: number;
  tries: number;
  retryMs: number;
  log: Logger;
}

/**
 * Judge0 callbacks: a PUT of the finished submission to the submitter's URL, signed
 * (`X-MUSCode-Signature: sha256=<hex HMAC of "<timestamp>.<body>">`, timestamp in
 * `X-MUSCode-Timestamp`), retried with doubling delays on a network error, 429 or 5xx, never
 * redirected, and never to a private, loopback or link-local address unless allowed.
 */
export function createCallbackSender(opts: CallbackOptions) {
  const allow = parseAllow(opts.allow);

  /** The URL when it may be called; a Judge0 422 otherwise. Checked again before each attempt. */
  async function check(raw: string): Promise<URL> {
    if (!opts.secret) throw new Judge0Invalid('callback_url', 'callbacks are not enabled on this server');
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new Judge0Invalid('callback_url', 'is not a valid URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Judge0Invalid('callback_url', 'must be an http or https URL');
    }
    if (url.username || url.password) throw new Judge0Invalid('callback_url', 'must not carry credentials');
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (allow.hosts.has(host)) return url;
    const addresses = isIP(host)
      ? [host]
      : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
    if (addresses.length === 0) throw new Judge0Invalid('callback_url', 'host does not resolve');
    for (const a of addresses) {
      const family = isIP(a) === 6 ? 'ipv6' : 'ipv4';
      if (isBlocked(a) && !allow.nets.check(a, family)) {
        throw new Judge0Invalid(
          'callback_url',
          'must not point at a private, loopback or link-local address',
        );
      }
    }
    return url;
  }

  async function deliver(raw: string, payload: unknown): Promise<boolean> {
    const body = JSON.stringify(payload);
    for (let attempt = 1; attempt <= opts.tries; attempt++) {
      let retry = true;
      try {
        const url = await check(raw);
        const timestamp = String(Math.floor(Date.now() / 1000));
        const signature = createHmac('sha256', opts.secret ?? '')
          .update(`${timestamp}.${body}`)
          .digest('hex');
        const res = await fetch(url, {
          method: 'PUT',
          headers: {
            'content-type': 'application/json',
            'x-muscode-timestamp': timestamp,
            'x-muscode-signature': `sha256=${signature}`,
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.status >= 200 && res.status < 300) return true;
        retry = res.status === 429 || res.status >= 500;
        opts.log.warn({ status: res.status, attempt }, 'judge0 callback refused');
      } catch (err) {
        retry = !(err instanceof Judge0Invalid);
        opts.log.warn({ err: (err as Error).message, attempt }, 'judge0 callback failed');
      }
      if (!retry || attempt === opts.tries) break;
      await new Promise((r) => setTimeout(r, opts.retryMs * 2 ** (attempt - 1)));
    }
    return false;
  }

  return { check, deliver };
}

export type CallbackSender = ReturnType<typeof createCallbackSender>;
