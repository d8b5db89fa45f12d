import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { idsForEvent, replyNotificationId } from '../../shared/application/whatsapp/event-ids';
import { createIdGenerator, ulid, ulidOf } from '../../shared/platform/ids';

/**
 * Derived ids are stored (idempotency keys, orders created from a WhatsApp event): the values below
 * were computed with the hand-written encoders the `ulid` package replaced, and must never change.
 */
const sha256 = (s: string) => createHash('sha256').update(s).digest();
const CROCKFORD_ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

describe('ulidOf: a ULID from a time and a seed (idempotent creates)', () => {
  it('gives the same ULIDs as before', () => {
    expect(ulidOf(Date.parse('2026-03-02T14:30:00.000Z'), sha256('ulid\nkey-1'))).toBe('01KJQF9EJ0FSDWKQB0GDT91S01');
    expect(ulidOf(0, new Uint8Array(16))).toBe('00000000000000000000000000');
    expect(ulidOf(2 ** 48 - 1, new Uint8Array(16).fill(255))).toBe('7ZZZZZZZZZZZZZZZZZZZZZZZZZ');
    expect(
      ulidOf(
        1_700_000_000_123,
        Uint8Array.from({ length: 16 }, (_, i) => i * 17),
      ),
    ).toBe('01HF7YAT3V0H2K4N6Q8SAVCXEZ');
  });
});

describe('idsForEvent: ids derived from an inbound event', () => {
  it('gives the same ULIDs and UUIDs as before, on every delivery', () => {
    for (let delivery = 0; delivery < 2; delivery++) {
      const ids = idsForEvent('wamid.HBgMNTczMDAxMjM0NTY3FQIAERgSQ0Y', '2026-03-02T14:30:00.000Z');
      expect(ids.firstUlid).toBe('01KJQF9EJ040H69P9HQ9TAPAWQ');
      expect(ids.ulid()).toBe('01KJQF9EJ040H69P9HQ9TAPAWQ');
      expect(ids.ulid()).toBe('01KJQF9EJ0GT8GCFX3WDNZCC1M');
      expect(ids.uuid()).toBe('4f31fe85-61e7-8103-b769-8b96b22b220c');
      expect(ids.uuid()).toBe('55f8ba40-cd4f-82b6-8819-91cc915565b4');
    }
  });

  it('uses time zero for an event without a readable time', () => {
    const ids = idsForEvent('evt-x', 'not a date');
    expect(ids.firstUlid).toBe('000000000070ZBQG3KQ047T7E5');
    expect(ids.ulid()).toBe('000000000070ZBQG3KQ047T7E5');
  });

  it('names a reply notification after its event and position', () => {
    expect(replyNotificationId('wamid.ABC', 2)).toBe('wa~wamid.ABC~2');
  });
});

describe('random ULIDs', () => {
  it('are 26 Crockford characters whose time part is the clock', () => {
    const at = Date.parse('2026-03-02T14:30:00.000Z');
    const id = ulid(at);
    expect(id).toMatch(CROCKFORD_ULID);
    expect(id.slice(0, 10)).toBe('01KJQF9EJ0');
    expect(ulid(at)).not.toBe(id);
    const generated = createIdGenerator({ now: () => new Date(at) });
    expect(generated.ulid().slice(0, 10)).toBe('01KJQF9EJ0');
    expect(generated.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
