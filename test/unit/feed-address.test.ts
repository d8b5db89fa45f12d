import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyAddress, isPublicAddress, parseIPv4, parseIPv6 } from '../../shared/domain/feed/address';
import { urlProblem } from '../../shared/domain/feed/endpoint';

/**
 * The SSRF guard's address classifier (shared/domain/feed/address.ts): every range that is not the
 * public internet is refused, in every textual form an address can take.
 */
const octet = fc.integer({ min: 0, max: 255 });
const v4In = (a: number, b: [number, number] = [0, 255]) =>
  fc.tuple(fc.integer({ min: b[0], max: b[1] }), octet, octet).map(([x, y, z]) => `${a}.${x}.${y}.${z}`);
const anyV4 = fc.tuple(octet, octet, octet, octet).map((p) => p.join('.'));
const hex4 = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));

describe('address classifier', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.255', 'shared'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['[::ffff:10.0.0.1]', 'private'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['2002:7f00:1::', 'loopback'],
    ['8.8.8.8', 'public'],
    ['172.32.0.1', 'public'],
    ['100.128.0.1', 'public'],
    ['20.42.1.7', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['::ffff:8.8.8.8', 'public'],
    ['localhost', 'invalid'],
    ['1.2.3', 'invalid'],
    ['01.2.3.4', 'invalid'],
    ['1::2::3', 'invalid'],
    ['fe80::1%eth0', 'invalid'],
  ])('%s is %s', (address, cls) => {
    expect(classifyAddress(address)).toBe(cls);
  });

  it('refuses every address of the private, loopback, CGNAT and link-local IPv4 ranges', () => {
    const blocked = fc.oneof(
      v4In(10),
      v4In(127),
      v4In(172, [16, 31]),
      v4In(192, [168, 168]),
      v4In(169, [254, 254]),
      v4In(100, [64, 127]),
    );
    fc.assert(fc.property(blocked, (a) => !isPublicAddress(a)));
  });

  it('classifies an IPv4 address the same in its IPv4-mapped IPv6 forms (dotted and hex)', () => {
    fc.assert(
      fc.property(anyV4, (a) => {
        const n = parseIPv4(a)!;
        const hex = `::ffff:${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
        expect(classifyAddress(`::ffff:${a}`)).toBe(classifyAddress(a));
        expect(classifyAddress(hex)).toBe(classifyAddress(a));
        expect(classifyAddress(`0:0:0:0:0:ffff:${a}`)).toBe(classifyAddress(a));
      }),
    );
  });

  it('refuses every link-local (fe80::/10) and unique-local (fc00::/7) IPv6 address', () => {
    const tail = fc.array(hex4, { minLength: 7, maxLength: 7 });
    const linkLocal = fc.tuple(fc.integer({ min: 0xfe80, max: 0xfebf }), tail);
    const uniqueLocal = fc.tuple(fc.integer({ min: 0xfc00, max: 0xfdff }), tail);
    fc.assert(fc.property(linkLocal, ([h, t]) => classifyAddress([h.toString(16), ...t].join(':')) === 'link-local'));
    fc.assert(fc.property(uniqueLocal, ([h, t]) => classifyAddress([h.toString(16), ...t].join(':')) === 'unique-local'));
  });

  it('reads an IPv6 address the same written in full or compressed (as the URL parser writes it)', () => {
    const groups = fc.array(fc.oneof(hex4, fc.constant('0')), { minLength: 8, maxLength: 8 });
    fc.assert(
      fc.property(groups, (g) => {
        const full = g.join(':');
        const compressed = new URL(`http://[${full}]/`).hostname.slice(1, -1);
        expect(parseIPv6(compressed)).toBe(parseIPv6(full));
        expect(classifyAddress(compressed)).toBe(classifyAddress(full));
      }),
    );
  });
});

describe('endpoint URL', () => {
  const production = { allowPrivateTargets: false };
  it.each([
    ['http://hooks.example.com/x', 'must be an https URL'],
    ['https://user:pw@hooks.example.com/x', 'must not contain credentials'],
    ['https://hooks.example.com/x#frag', 'must not contain a fragment'],
    ['https://127.0.0.1/x', 'must be a public address (127.0.0.1 is loopback)'],
    ['https://169.254.169.254/metadata/instance', 'must be a public address (169.254.169.254 is link-local)'],
    ['https://[::ffff:169.254.169.254]/', 'must be a public address ([::ffff:a9fe:a9fe] is link-local)'],
    ['https://localhost/x', 'must be a public host name (with a domain)'],
    ['not a url', 'not an absolute URL'],
  ])('%s is refused in production settings: %s', (url, problem) => {
    expect(urlProblem(url, production)).toBe(problem);
  });

  it('takes a public https URL, and http on loopback only where the embedded stack allows it', () => {
    expect(urlProblem('https://hooks.example.com/algesta?x=1', production)).toBeUndefined();
    expect(urlProblem('https://8.8.8.8:8443/x', production)).toBeUndefined();
    expect(urlProblem('http://127.0.0.1:4000/hook', { allowPrivateTargets: true })).toBeUndefined();
  });
});
