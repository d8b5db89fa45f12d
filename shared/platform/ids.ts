import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock, IdGenerator } from '../application/ports';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** ULID: 48-bit millisecond time + 80 random bits, Crockford base32; sorts by creation time. */
export function ulid(now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(16);
  let random = '';
  for (let i = 0; i < 16; i++) random += CROCKFORD[bytes[i]! % 32];
  return time + random;
}

export const systemClock: Clock = { now: () => new Date() };

export function createIdGenerator(clock: Clock = systemClock): IdGenerator {
  return { ulid: () => ulid(clock.now().getTime()), uuid: () => randomUUID() };
}
