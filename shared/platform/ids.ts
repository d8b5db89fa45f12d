import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock, IdGenerator } from '../application/ports';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** ULID: 48-bit millisecond time + 80 random bits, Crockford base32; sorts by creation time. */
export function ulid(now: number = Date.now()): string {
  return ulidOf(now, randomBytes(16));
}

/**
 * A ULID whose "random" part is taken from `seed` (16 bytes or more, e.g. a hash): the same time and
 * seed always give the same ULID. Used for what an idempotent request creates.
 */
export function ulidOf(time: number, seed: Uint8Array): string {
  let encoded = '';
  let t = time;
  for (let i = 0; i < 10; i++) {
    encoded = CROCKFORD[t % 32] + encoded;
    t = Math.floor(t / 32);
  }
  for (let i = 0; i < 16; i++) encoded += CROCKFORD[seed[i]! % 32];
  return encoded;
}

export const systemClock: Clock = { now: () => new Date() };

export function createIdGenerator(clock: Clock = systemClock): IdGenerator {
  return { ulid: () => ulid(clock.now().getTime()), uuid: () => randomUUID() };
}
