/**
 * Which IP addresses the client event feed may call. An endpoint's host is resolved before every
 * attempt and the call goes out only when EVERY address it resolves to is public: a webhook must
 * never reach the platform's own network, the host's loopback or Azure's instance metadata service
 * (169.254.169.254) — the classic SSRF targets. Pure parsing, no DNS: the adapter resolves.
 */
export const ADDRESS_CLASSES = [
  'public',
  'loopback',
  'private',
  'shared',
  'link-local',
  'unique-local',
  'unspecified',
  'multicast',
  'reserved',
  'invalid',
] as const;
export type AddressClass = (typeof ADDRESS_CLASSES)[number];

interface Range {
  readonly base: bigint;
  readonly bits: number;
  readonly cls: Exclude<AddressClass, 'public' | 'invalid'>;
}

/** IPv4 ranges that are not the public internet (IANA special-purpose registry, RFC 6890). */
const V4_RANGES: readonly (readonly [string, number, Range['cls']])[] = [
  ['0.0.0.0', 8, 'unspecified'], // "this network"; 0.0.0.0 reaches the local host on Linux
  ['10.0.0.0', 8, 'private'], // RFC 1918
  ['100.64.0.0', 10, 'shared'], // RFC 6598 carrier-grade NAT
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'], // includes Azure's metadata service 169.254.169.254
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'], // IETF protocol assignments
  ['192.0.2.0', 24, 'reserved'], // documentation
  ['192.88.99.0', 24, 'reserved'], // 6to4 relay anycast
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'], // benchmarking
  ['198.51.100.0', 24, 'reserved'],
  ['203.0.113.0', 24, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'], // includes the broadcast 255.255.255.255
];

const V6_RANGES: readonly (readonly [string, number, Range['cls']])[] = [
  ['::1', 128, 'loopback'],
  ['::', 128, 'unspecified'],
  ['fe80::', 10, 'link-local'],
  ['fc00::', 7, 'unique-local'],
  ['ff00::', 8, 'multicast'],
  ['fec0::', 10, 'reserved'], // deprecated site-local
  ['2001:db8::', 32, 'reserved'], // documentation
  ['100::', 64, 'reserved'], // discard-only
  ['2001::', 23, 'reserved'], // IETF protocol assignments (Teredo, ORCHID…)
];

/** IPv6 forms that carry an IPv4 address: classified by the IPv4 address inside. */
const V4_IN_V6: readonly (readonly [string, number, (v6: bigint) => bigint])[] = [
  ['::ffff:0:0', 96, (v) => v & 0xffffffffn], // IPv4-mapped
  ['::', 96, (v) => v & 0xffffffffn], // IPv4-compatible (deprecated)
  ['64:ff9b::', 96, (v) => v & 0xffffffffn], // NAT64
  ['2002::', 16, (v) => (v >> 80n) & 0xffffffffn], // 6to4
];

/** Parses dotted-quad IPv4 (four decimal parts 0-255, no leading zeros) to a 32-bit number. */
export function parseIPv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

/** Parses IPv6 text (with `::`, an embedded dotted IPv4 tail, no zone) to a 128-bit number. */
export function parseIPv6(text: string): bigint | undefined {
  if (text.includes('%') || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let head = text;
  const lastColon = head.lastIndexOf(':');
  if (head.slice(lastColon + 1).includes('.')) {
    // A dotted IPv4 tail (`::ffff:1.2.3.4`) is the last two groups written in decimal.
    const v4 = parseIPv4(head.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    head = `${head.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0] ?? '');
  const right = halves.length === 2 ? groups(halves[1] ?? '') : [];
  const total = left.length + right.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const fill = halves.length === 2 ? Array<string>(8 - total).fill('0') : [];
  let value = 0n;
  for (const g of [...left, ...fill, ...right]) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  return value;
}

const compile = (ranges: readonly (readonly [string, number, Range['cls']])[], parse: (s: string) => bigint | undefined) =>
  ranges.map(([base, bits, cls]) => ({ base: parse(base) as bigint, bits, cls }));
const V4 = compile(V4_RANGES, parseIPv4);
const V6 = compile(V6_RANGES, parseIPv6);
const EMBEDDED = V4_IN_V6.map(([base, bits, extract]) => ({ base: parseIPv6(base) as bigint, bits, extract }));

const inRange = (value: bigint, width: number, r: { base: bigint; bits: number }) =>
  value >> BigInt(width - r.bits) === r.base >> BigInt(width - r.bits);

function classifyV4(value: bigint): AddressClass {
  return V4.find((r) => inRange(value, 32, r))?.cls ?? 'public';
}

function classifyV6(value: bigint): AddressClass {
  const exact = V6.find((r) => r.bits === 128 && r.base === value);
  if (exact) return exact.cls;
  const embedded = EMBEDDED.find((r) => inRange(value, 128, r));
  if (embedded) return classifyV4(embedded.extract(value));
  return V6.find((r) => r.bits < 128 && inRange(value, 128, r))?.cls ?? 'public';
}

/** The class of an IP address literal (IPv4, or IPv6 optionally in brackets). */
export function classifyAddress(text: string): AddressClass {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const v4 = parseIPv4(bare);
  if (v4 !== undefined) return classifyV4(v4);
  const v6 = parseIPv6(bare);
  return v6 === undefined ? 'invalid' : classifyV6(v6);
}

export const isPublicAddress = (text: string): boolean => classifyAddress(text) === 'public';

/** Whether a URL host is an IP literal rather than a name (names are resolved by the adapter). */
export function isIpLiteral(host: string): boolean {
  return classifyAddress(host) !== 'invalid';
}
