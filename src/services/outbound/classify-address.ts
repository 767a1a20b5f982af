/**
 * Which destinations an outbound request may reach: public unicast addresses only. ipaddr.js names
 * the range of an address (loopback, private, linkLocal, carrierGradeNat, multicast, unspecified,
 * broadcast, reserved, uniqueLocal, ipv4Mapped, 6to4, teredo, …); anything but `unicast` is refused,
 * and an IPv6 unicast address must also lie in the global unicast block 2000::/3, which leaves out
 * the deprecated IPv4-compatible form (::127.0.0.1) and unassigned space. IPv6 forms that embed an
 * IPv4 address (mapped, NAT64, 6to4, Teredo) are refused outright rather than unwrapped.
 * Host names are judged by their addresses after DNS, except `localhost` and `*.localhost`
 * (RFC 6761: always loopback, often answered without DNS).
 */
import ipaddr from 'ipaddr.js';

export type HostVerdict = { allowed: true } | { allowed: false; reason: string };

const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');
const IPV4_COMPATIBLE_V6 = ipaddr.IPv6.parseCIDR('::/96');

/** An IPv6 literal without the brackets a URL host keeps around it. */
export const unbracket = (host: string) => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);

/** An IP literal (any notation ipaddr.js accepts) or a host name as `new URL()` leaves it. */
export const isIpLiteral = (host: string): boolean => ipaddr.isValid(unbracket(host));

/** The verdict on one IP address; `reason` names its range ("loopback address 127.0.0.1"). */
export function classifyAddress(address: string): HostVerdict {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(unbracket(address));
  } catch {
    return { allowed: false, reason: `unparsable address ${address}` };
  }
  const range = rangeOf(parsed);
  return range === 'unicast' ? { allowed: true } : { allowed: false, reason: `${range} address ${parsed.toString()}` };
}

function rangeOf(address: ipaddr.IPv4 | ipaddr.IPv6): string {
  if (address.kind() === 'ipv4') return address.range();
  const v6 = address as ipaddr.IPv6;
  const range = v6.range();
  if (range !== 'unicast') return range;
  if (v6.match(IPV4_COMPATIBLE_V6)) return 'ipv4Compatible';
  return v6.match(GLOBAL_UNICAST_V6) ? 'unicast' : 'reserved';
}

/** `localhost`, `*.localhost`, with or without the root dot. */
export const isLocalhostName = (host: string): boolean => {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
};

/**
 * The verdict on a URL's host before any DNS: IP literals by their range, localhost names refused,
 * other names allowed here (their addresses are checked when connecting).
 */
export function classifyHost(host: string): HostVerdict {
  if (host === '') return { allowed: false, reason: 'no host' };
  if (isLocalhostName(host)) return { allowed: false, reason: `loopback name ${host}` };
  return isIpLiteral(host) ? classifyAddress(host) : { allowed: true };
}
