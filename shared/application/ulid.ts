import { createRequire } from 'node:module';

/**
 * ULIDs (48-bit millisecond time + 80 bits, Crockford base32, sorting by time) through the `ulid`
 * package. The package is required on the first id, not imported: the entry must not pay for it
 * before a function needs an id (docs/performance.md, cold start).
 */
type UlidPackage = typeof import('ulid');

let loaded: UlidPackage | undefined;
const ulidPackage = (): UlidPackage => (loaded ??= createRequire(import.meta.url)('ulid') as UlidPackage);

/** A new ULID at `now`: its 80 bits from the package's cryptographic source. */
export function randomUlid(now: number): string {
  return ulidPackage().ulid(now);
}

/**
 * The ULID of a time and 80 given bits (a derived id: the same inputs always give the same ULID).
 * A ULID is the Crockford base32 of its 128 bits, which is what the package's `uuidToULID` encodes.
 */
export function ulidOfBits(time: number, bits80: bigint): string {
  const hex = ((BigInt(time) << 80n) | bits80).toString(16).padStart(32, '0');
  return ulidPackage().uuidToULID(
    `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
  );
}
