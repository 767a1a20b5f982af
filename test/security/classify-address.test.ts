/**
 * The outbound guard's rules without a server: which addresses and URLs are refused in every
 * notation (table-driven, with an exhaustiveness test over every range ipaddr.js knows), how a
 * failure names a URL, and the excerpt kept of an error answer.
 */
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { classifyAddress, classifyHost } from '../../src/services/outbound/classify-address.js';
import { describeUrl } from '../../src/services/outbound/describe-url.js';
import { createOutboundGuard } from '../../src/services/outbound/outbound-guard.js';
import { EXCERPT_MAX_CHARS, sanitizeExcerpt } from '../../src/services/outbound/response-excerpt.js';

const guard = createOutboundGuard({ allowPrivate: false });

// [URL as an admin might type it, the range named in the refusal]
const REFUSED: [string, string][] = [
  ['http://127.0.0.1/', 'loopback'],
  ['http://127.1/', 'loopback'],
  ['http://127.0.1/', 'loopback'],
  ['http://2130706433/', 'loopback'],
  ['http://0x7f000001/', 'loopback'],
  ['http://0x7f.0x0.0x0.0x1/', 'loopback'],
  ['http://0177.0.0.1/', 'loopback'],
  ['http://0177.1/', 'loopback'],
  ['http://127.0.0.1.:8080/', 'loopback'],
  ['http://127.255.255.254/', 'loopback'],
  ['http://[::1]/', 'loopback'],
  ['http://[0:0:0:0:0:0:0:1]/', 'loopback'],
  ['http://[::ffff:127.0.0.1]/', 'ipv4Mapped'],
  ['http://[::ffff:7f00:1]/', 'ipv4Mapped'],
  ['http://[0:0:0:0:0:ffff:a9fe:a9fe]/', 'ipv4Mapped'],
  ['http://[::ffff:8.8.8.8]/', 'ipv4Mapped'],
  ['http://[::127.0.0.1]/', 'ipv4Compatible'],
  ['http://[::7f00:1]/', 'ipv4Compatible'],
  ['http://[64:ff9b::127.0.0.1]/', 'rfc6052'],
  ['http://[2002:7f00:1::1]/', '6to4'],
  ['http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', 'teredo'],
  ['http://localhost/', 'loopback name'],
  ['http://LOCALHOST:3000/', 'loopback name'],
  ['http://localhost./', 'loopback name'],
  ['http://hooks.localhost/', 'loopback name'],
  ['http://169.254.169.254/latest/meta-data/', 'linkLocal'],
  ['http://2852039166/', 'linkLocal'],
  ['http://0xa9fea9fe/', 'linkLocal'],
  ['http://[fe80::1]/', 'linkLocal'],
  ['http://0.0.0.0/', 'unspecified'],
  ['http://0/', 'unspecified'],
  ['http://[::]/', 'unspecified'],
  ['http://10.0.0.1/', 'private'],
  ['http://012.0.0.1/', 'private'],
  ['http://172.16.0.1/', 'private'],
  ['http://172.31.255.255/', 'private'],
  ['http://192.168.1.1/', 'private'],
  ['http://3232235777/', 'private'],
  ['http://[fd00::1]/', 'uniqueLocal'],
  ['http://[fc00::1]/', 'uniqueLocal'],
  ['http://100.64.0.1/', 'carrierGradeNat'],
  ['http://100.127.255.254/', 'carrierGradeNat'],
  ['http://224.0.0.1/', 'multicast'],
  ['http://239.255.255.250/', 'multicast'],
  ['http://[ff02::1]/', 'multicast'],
  ['http://255.255.255.255/', 'broadcast'],
  ['http://240.0.0.1/', 'reserved'],
  ['http://192.0.2.1/', 'reserved'],
  ['http://198.18.0.1/', 'reserved'],
  ['http://[2001:db8::1]/', 'reserved'],
  ['http://[fec0::1]/', 'deprecatedSiteLocal'],
];

const ALLOWED = [
  'https://hooks.slack.com/services/T0/B0/xyz',
  'https://api.helpscout.net/v2',
  'http://example.test:8080/hook',
  'http://8.8.8.8/',
  'http://1.1.1.1/',
  'http://100.63.255.255/',
  'http://100.128.0.1/',
  'http://172.15.255.255/',
  'http://172.32.0.1/',
  'http://[2606:4700:4700::1111]/',
  'http://localhost.example.com/',
  'http://127.0.0.1.nip.io/', // a name: judged by its DNS answer when connecting
];

describe('outbound URLs before DNS', () => {
  it.each(REFUSED)('refuses %s (%s)', (url, range) => {
    const verdict = guard.checkUrl(url);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason).toContain(range);
  });

  it.each(ALLOWED)('allows %s', (url) => {
    expect(guard.checkUrl(url)).toMatchObject({ ok: true });
  });

  it.each([
    ['https://user:pass@hooks.example.test/x', 'credentials'],
    ['https://token@hooks.example.test/x', 'credentials'],
    ['ftp://files.example.test/x', 'http(s)'],
    ['file:///etc/passwd', 'http(s)'],
    ['gopher://127.0.0.1:6379/_INFO', 'http(s)'],
    ['javascript:alert(1)', 'http(s)'],
    ['not a url', 'not a URL'],
  ])('refuses %s (%s), whatever OUTBOUND_ALLOW_PRIVATE says', (url, reason) => {
    for (const allowPrivate of [false, true]) {
      const verdict = createOutboundGuard({ allowPrivate }).checkUrl(url);
      expect(verdict).toMatchObject({ ok: false, reason: expect.stringContaining(reason) });
    }
  });

  it('OUTBOUND_ALLOW_PRIVATE lets every address form through (tests and local development)', () => {
    const open = createOutboundGuard({ allowPrivate: true });
    for (const [url] of REFUSED) expect(open.checkUrl(url), url).toMatchObject({ ok: true });
  });

  it('assertUrlAllowed throws a typed URL_NOT_ALLOWED on the field', () => {
    expect(() => guard.assertUrlAllowed('http://[::1]:8080/', 'input.config.url')).toThrow(
      expect.objectContaining({ code: 'URL_NOT_ALLOWED', field: 'input.config.url' }),
    );
    expect(() => guard.assertUrlAllowed('https://example.test/', 'input.config.url')).not.toThrow();
  });
});

describe('addresses (exhaustive over ipaddr.js ranges)', () => {
  type Ranges = Record<string, [ipaddr.IPv4 | ipaddr.IPv6, number] | [ipaddr.IPv4 | ipaddr.IPv6, number][]>;
  const special = (proto: object) => (proto as { SpecialRanges: Ranges }).SpecialRanges;
  const ranges = [...Object.entries(special(ipaddr.IPv4.prototype)), ...Object.entries(special(ipaddr.IPv6.prototype))];

  it('knows the ranges this guard was written against', () => {
    expect(ranges.length).toBeGreaterThanOrEqual(25);
  });

  it.each(ranges)('refuses the first and last addresses of every %s block', (name, blocks) => {
    const list = (Array.isArray(blocks[0]) ? blocks : [blocks]) as [ipaddr.IPv4 | ipaddr.IPv6, number][];
    for (const [network, bits] of list) {
      const cidr = `${network.toString()}/${bits}`;
      const family = network.kind() === 'ipv4' ? ipaddr.IPv4 : ipaddr.IPv6;
      const [first, last] = [family.networkAddressFromCIDR(cidr), family.broadcastAddressFromCIDR(cidr)];
      for (const address of [first, last])
        expect(classifyAddress(address.toString()), `${name} ${address}`).toMatchObject({ allowed: false });
    }
  });

  it('allows public unicast addresses and names, refuses what is not an address', () => {
    expect(classifyAddress('93.184.216.34')).toEqual({ allowed: true });
    expect(classifyAddress('2a00:1450:4001:80b::200e')).toEqual({ allowed: true });
    expect(classifyAddress('not-an-ip')).toMatchObject({ allowed: false });
    expect(classifyHost('api.helpscout.net')).toEqual({ allowed: true });
    expect(classifyHost('')).toMatchObject({ allowed: false });
  });
});

describe('what a failure keeps', () => {
  it.each([
    ['https://hooks.slack.com/services/T000/B000/XXXXSECRET', 'https://hooks.slack.com/…'],
    ['https://example.test/hook?token=s3cret', 'https://example.test/…'],
    ['https://user:pw@example.test/', 'https://example.test'],
    ['http://example.test:8080', 'http://example.test:8080'],
    ['not a url', '(not a URL)'],
  ])('names %s as %s', (url, shown) => {
    expect(describeUrl(url)).toBe(shown);
  });

  it('keeps a short excerpt with control and format characters replaced', () => {
    expect(sanitizeExcerpt('line1\r\nline2\u0000\u001b[31mred\u202e\u200bend')).toBe('line1 line2 [31mred end');
    const long = sanitizeExcerpt(`${'a'.repeat(500)}SECRET`);
    expect(Array.from(long)).toHaveLength(EXCERPT_MAX_CHARS);
    expect(long).not.toContain('SECRET');
  });
});
