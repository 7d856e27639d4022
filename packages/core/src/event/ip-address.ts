import * as ipaddrModule from 'ipaddr.js';
import { EVENT_LIMITS } from './limits.js';

// ipaddr.js is CommonJS (`module.exports = ipaddr`). Node's ESM loader and
// bundlers expose it as the namespace's `default`; the core's tsconfig has no
// allowSyntheticDefaultImports, so the default is picked by hand, falling
// back to the namespace itself where a loader spreads the members onto it.
type IpAddr = typeof ipaddrModule;
const ipaddr: IpAddr = (ipaddrModule as unknown as { default?: IpAddr }).default ?? ipaddrModule;

// `context.ip` must parse as IPv4 or IPv6 (API.md "Events"). ipaddr.isValid
// alone is too lax for a log: it accepts the inet_aton forms `127.1`,
// `0x7f.0.0.1` and `010.0.0.1` (is that 10 or 8?), and in IPv6 it accepts
// over-long groups (`00000::1`) and such inet_aton forms in an embedded IPv4.
// One address must have one reading, so only the RFC text forms pass: IPv4
// dotted-decimal without leading zeros, and IPv6 per RFC 4291 §2.2. The value
// is kept as sent, not rewritten to RFC 5952 form: the log records what it was told.

const H16 = /^[0-9A-Fa-f]{1,4}$/;
// RFC 6874 §2: a zone id is made of unreserved characters.
const ZONE_ID = /^[A-Za-z0-9._~-]+$/;

function splitGroups(text: string): string[] {
  return text === '' ? [] : text.split(':');
}

function isStrictIpv6(text: string): boolean {
  let address = text;
  const percent = text.indexOf('%');
  if (percent !== -1) {
    if (!ZONE_ID.test(text.slice(percent + 1))) return false;
    address = text.slice(0, percent);
  }
  if (!ipaddr.IPv6.isValid(address)) return false;
  const lastColon = address.lastIndexOf(':');
  if (lastColon === -1) return false;
  if (address.includes('.', lastColon)) {
    // RFC 4291 §2.2 form 3: the last 32 bits as dotted-decimal IPv4.
    if (!ipaddr.IPv4.isValidFourPartDecimal(address.slice(lastColon + 1))) return false;
    address = `${address.slice(0, lastColon + 1)}0:0`;
  }
  const halves = address.split('::');
  if (halves.length > 2) return false;
  const groups = [...splitGroups(halves[0]!), ...splitGroups(halves[1] ?? '')];
  if (!groups.every((group) => H16.test(group))) return false;
  // `::` stands for one or more groups of zeros (RFC 4291 §2.2 form 2).
  return halves.length === 2 ? groups.length <= 7 : groups.length === 8;
}

/**
 * True for an IPv4 address in dotted-decimal form (four decimal parts 0-255,
 * no leading zeros) or an IPv6 address in an RFC 4291 §2.2 text form,
 * optionally with an RFC 6874 zone id.
 *
 * @example
 * ```ts
 * isValidIpAddress('203.0.113.7'); // true
 * isValidIpAddress('2001:db8::1'); // true
 * isValidIpAddress('127.1');       // false: not four parts
 * ```
 */
export function isValidIpAddress(text: string): boolean {
  // Bounded first: ipaddr.js's patterns backtrack on long inputs.
  if (typeof text !== 'string' || text.length === 0 || text.length > EVENT_LIMITS.maxIpLength) {
    return false;
  }
  if (!text.includes(':')) return ipaddr.IPv4.isValidFourPartDecimal(text);
  return isStrictIpv6(text);
}
