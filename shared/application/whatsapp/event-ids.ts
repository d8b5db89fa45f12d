import { createHash } from 'node:crypto';
import type { IdGenerator } from '../ports';
import { ulidOfBits } from '../ulid';

function digest(seed: string): Buffer {
  return createHash('sha256').update(seed, 'utf8').digest();
}

/** The ULID of the event's time and the first 80 bits of a digest. */
function derivedUlid(time: number, seed: string): string {
  return ulidOfBits(time, BigInt(`0x${digest(seed).subarray(0, 10).toString('hex')}`));
}

/**
 * Ids derived from an inbound event instead of drawn at random: the n-th id asked for while
 * handling event E is the same on every delivery of E. An order created from a WhatsApp event thus
 * gets the same id if the event is handled again after a crash (or a lost conditional write), and
 * the second create is refused as a duplicate instead of opening a second order. The ULID's time
 * part is the event's own time, so ids stay time-ordered.
 */
export function idsForEvent(eventId: string, at: string): IdGenerator & { readonly firstUlid: string } {
  const time = Math.max(0, Math.min(Date.parse(at) || 0, 2 ** 48 - 1));
  const ulidAt = (n: number) => derivedUlid(time, `${eventId}#ulid#${n}`);
  let ulids = 0;
  let uuids = 0;
  return {
    firstUlid: ulidAt(0),
    ulid: () => ulidAt(ulids++),
    uuid: () => {
      const h = digest(`${eventId}#uuid#${uuids++}`).toString('hex');
      // Version 8 (custom) with the RFC 9562 variant.
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16] as string, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    },
  };
}

/** A reply's notification id: the same for the same event and position, safe as a document id. */
export function replyNotificationId(eventId: string, index: number): string {
  const safe = /^[A-Za-z0-9._:-]{1,100}$/.test(eventId)
    ? eventId
    : createHash('sha256').update(eventId).digest('hex').slice(0, 40);
  return `wa~${safe}~${index}`;
}
