import { randomUUID } from 'node:crypto';
import type { Clock, IdGenerator } from '../application/ports';
import { randomUlid, ulidOfBits } from '../application/ulid';

/** ULID: 48-bit millisecond time + 80 random bits, Crockford base32; sorts by creation time. */
export function ulid(now: number = Date.now()): string {
  return randomUlid(now);
}

/**
 * A ULID whose "random" part is taken from `seed` (16 bytes or more, e.g. a hash): the same time and
 * seed always give the same ULID. Used for what an idempotent request creates. Each of the first 16
 * bytes gives one base32 digit (its low 5 bits), as the ids already stored were made.
 */
export function ulidOf(time: number, seed: Uint8Array): string {
  let bits = 0n;
  for (let i = 0; i < 16; i++) bits = (bits << 5n) | BigInt(seed[i]! % 32);
  return ulidOfBits(time, bits);
}

export const systemClock: Clock = { now: () => new Date() };

export function createIdGenerator(clock: Clock = systemClock): IdGenerator {
  return { ulid: () => ulid(clock.now().getTime()), uuid: () => randomUUID() };
}
