import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
// ipaddr.js is CommonJS with `export =` typings and no esModuleInterop here:
// required (TypeScript emits createRequire), not default-imported.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import ipaddr = require('ipaddr.js');

// API.md "Webhooks (streams)", SSRF guard: a webhook URL is chosen by the
// customer, and the server POSTs to it from inside the operator's network.
// Only https to public addresses; every resolved address must be public; the
// connection goes to an address that was checked, never to a second answer.

/** Why a destination was refused: a stable code, tested as such. */
export type SsrfRefusal =
  | 'invalid_url'
  | 'scheme_not_allowed'
  | 'userinfo_not_allowed'
  | 'localhost'
  | 'address_not_public'
  | 'unresolvable';

export class SsrfError extends Error {
  override readonly name = 'SsrfError';
  constructor(
    readonly code: SsrfRefusal,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** One DNS answer. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolves a host name to every address it has (the guard checks them all). */
export type HostResolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** The system resolver (getaddrinfo, as any client on the host would see it). */
export const systemResolver: HostResolver = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => {
      if (error) reject(error);
      else resolve(addresses.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })));
    });
  });

export interface SsrfPolicy {
  /** LOGPROOF_WEBHOOK_ALLOW_PRIVATE: any address, localhost included. Local testing only. */
  readonly allowPrivate: boolean;
  /** LOGPROOF_WEBHOOK_ALLOW_HTTP: plain http too. Local testing only. */
  readonly allowHttp: boolean;
}

/**
 * Cloud metadata and similar endpoints that sit in otherwise public ranges.
 * The usual ones (169.254.169.254, 100.100.100.200, fd00:ec2::254) are
 * link-local, CGNAT or unique-local and refused by range already.
 */
const DENIED_ADDRESSES = new Set(['168.63.129.16']); // Azure WireServer

const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parse('2000::');
const NAT64_WELL_KNOWN = ipaddr.IPv6.parse('64:ff9b::');

function v4FromBytes(bytes: readonly number[]): ipaddr.IPv4 {
  return new ipaddr.IPv4(bytes.slice(0, 4));
}

/**
 * Null when `text` is an address a webhook may reach, else why not. IPv4
 * must be in ipaddr.js's `unicast` range (not private, loopback, link-local,
 * CGNAT, multicast, broadcast, unspecified, reserved, documentation...).
 * IPv6 must be global unicast (2000::/3) and `unicast`; the forms that embed
 * an IPv4 address (IPv4-mapped, NAT64 64:ff9b::/96, 6to4) are judged by the
 * address they embed; other translation forms are refused.
 */
export function whyNotPublic(text: string): string | null {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(text);
  } catch {
    return `${text} is not an IP address`;
  }
  if (addr.kind() === 'ipv6') {
    const v6 = addr as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return whyNotPublic(v6.toIPv4Address().toString());
    if (v6.match(NAT64_WELL_KNOWN, 96)) {
      return whyNotPublic(v4FromBytes(v6.toByteArray().slice(12)).toString());
    }
    const range = v6.range();
    if (range === '6to4') return whyNotPublic(v4FromBytes(v6.toByteArray().slice(2, 6)).toString());
    if (range !== 'unicast' || !v6.match(GLOBAL_UNICAST_V6, 3)) {
      return `${text} is not a public address (${range === 'unicast' ? 'not global unicast' : range})`;
    }
  } else {
    const range = addr.range();
    if (range !== 'unicast') return `${text} is not a public address (${range})`;
  }
  if (DENIED_ADDRESSES.has(addr.toNormalizedString())) return `${text} is a cloud metadata address`;
  return null;
}

/** The URL's host without IPv6 brackets, lowercase, without a trailing dot. */
function bareHost(url: URL): string {
  const host = url.hostname.toLowerCase();
  const unbracketed = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return unbracketed.endsWith('.') ? unbracketed.slice(0, -1) : unbracketed;
}

/**
 * The guard: URL rules, address rules, and the one DNS resolution per
 * connection. Created once from the server settings and passed down.
 */
export class SsrfGuard {
  constructor(
    readonly policy: SsrfPolicy,
    private readonly resolver: HostResolver = systemResolver,
  ) {}

  /**
   * The URL rules, no DNS: parses it (the WHATWG parser turns integer, hex
   * and octal IPv4 forms into dotted ones) and refuses another scheme,
   * userinfo, localhost and a literal address that is not public. A literal
   * address never reaches the lookup hook (the socket connects to it
   * directly), so this check is the only one it gets.
   */
  checkUrl(text: string): URL {
    let url: URL;
    try {
      url = new URL(text);
    } catch (cause) {
      throw new SsrfError('invalid_url', 'the URL cannot be parsed', { cause });
    }
    const schemes = this.policy.allowHttp ? ['https:', 'http:'] : ['https:'];
    if (!schemes.includes(url.protocol)) {
      throw new SsrfError(
        'scheme_not_allowed',
        `the URL must use ${this.policy.allowHttp ? 'https or http' : 'https'}, not ${url.protocol.slice(0, -1)}`,
      );
    }
    if (url.username !== '' || url.password !== '') {
      throw new SsrfError('userinfo_not_allowed', 'the URL must not carry a user name or password');
    }
    const host = bareHost(url);
    if (host === '') throw new SsrfError('invalid_url', 'the URL has no host');
    if (this.policy.allowPrivate) return url;
    if (host === 'localhost' || host.endsWith('.localhost')) {
      throw new SsrfError('localhost', `${host} is the local host`);
    }
    if (ipaddr.isValid(host)) {
      const why = whyNotPublic(host);
      if (why) throw new SsrfError('address_not_public', why);
    }
    return url;
  }

  /**
   * Resolves `hostname` once and returns every address, or throws when it
   * does not resolve or when ANY address is not public (a name with one
   * private answer among public ones is refused: the client picks).
   */
  async resolve(hostname: string): Promise<readonly ResolvedAddress[]> {
    const host =
      hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
    if (ipaddr.isValid(host)) {
      const why = this.policy.allowPrivate ? null : whyNotPublic(host);
      if (why) throw new SsrfError('address_not_public', why);
      return [{ address: host, family: host.includes(':') ? 6 : 4 }];
    }
    let addresses: readonly ResolvedAddress[];
    try {
      addresses = await this.resolver(host);
    } catch (cause) {
      throw new SsrfError('unresolvable', `${host} does not resolve`, { cause });
    }
    if (addresses.length === 0) throw new SsrfError('unresolvable', `${host} has no address`);
    if (!this.policy.allowPrivate) {
      for (const a of addresses) {
        const why = whyNotPublic(a.address);
        if (why) throw new SsrfError('address_not_public', `${host} resolves to ${why}`);
      }
    }
    return addresses;
  }

  /** Everything checkable without connecting: the URL rules, then the DNS answer (creation, PATCH). */
  async checkDestination(text: string): Promise<URL> {
    const url = this.checkUrl(text);
    await this.resolve(bareHost(url));
    return url;
  }

  /**
   * The `lookup` option of net/tls.connect: the socket connects to an
   * address this guard resolved and checked, in the same call (no second
   * lookup between check and connect, so a DNS answer that changes meanwhile
   * cannot slip a private address in).
   */
  lookup(): LookupFunction {
    return (hostname: string, options: LookupOptions, callback) => {
      this.resolve(hostname).then(
        (addresses) => {
          const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
          const usable = wanted === 0 ? addresses : addresses.filter((a) => a.family === wanted);
          if (options.all) {
            callback(
              null,
              usable.map((a): LookupAddress => ({ address: a.address, family: a.family })),
            );
          } else if (usable[0]) {
            callback(null, usable[0].address, usable[0].family);
          } else {
            callback(
              new SsrfError('unresolvable', `${hostname} has no IPv${wanted} address`),
              '',
              0,
            );
          }
        },
        (error: unknown) => callback(error as NodeJS.ErrnoException, '', 0),
      );
    };
  }
}
