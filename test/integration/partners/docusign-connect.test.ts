import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  InvalidConnectEventError,
  parseConnectEvent,
  parseHmacKeyList,
  verifyConnectSignature,
} from '../../../shared/adapters/partners/docusign-connect';

/** Connect's HMAC check and the JSON SIM parser, on bytes built here the way Connect builds them. */
const KEY_OLD = 'b2xkLWtleS1mb3ItY29ubmVjdA==';
const KEY_NEW = 'bmV3LWtleS1mb3ItY29ubmVjdA==';
const sign = (body: Uint8Array, key: string) => createHmac('sha256', key).update(body).digest('base64');

const message = (event: string, extra: Record<string, unknown> = {}) => ({
  event,
  apiVersion: 'v2.1',
  uri: '/restapi/v2.1/accounts/acc/envelopes/env-1',
  retryCount: 0,
  configurationId: 10000001,
  generatedDateTime: '2025-03-01T10:00:00.0000000Z',
  data: {
    accountId: 'acc',
    userId: 'usr',
    envelopeId: 'env-1',
    envelopeSummary: {
      status: event.replace('envelope-', ''),
      customFields: { textCustomFields: [{ fieldId: '1', name: 'orderId', value: 'ord_1', show: 'false' }] },
    },
  },
  ...extra,
});
const bytes = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');

describe('verifyConnectSignature', () => {
  const body = bytes(message('envelope-completed'));

  it('accepts a signature under any configured key, in any X-DocuSign-Signature-N header', () => {
    expect(verifyConnectSignature(body, { 'x-docusign-signature-1': sign(body, KEY_OLD) }, [KEY_OLD, KEY_NEW])).toBe(true);
    expect(verifyConnectSignature(body, { 'x-docusign-signature-1': sign(body, KEY_NEW) }, [KEY_OLD, KEY_NEW])).toBe(true);
    // Connect signed with two keys; we know only the second one (rotation in progress).
    const both = { 'X-DocuSign-Signature-1': sign(body, 'some-other-key'), 'X-DocuSign-Signature-2': sign(body, KEY_NEW) };
    expect(verifyConnectSignature(body, both, [KEY_NEW])).toBe(true);
  });

  it('refuses a signature made with a key we do not have (forged)', () => {
    expect(verifyConnectSignature(body, { 'x-docusign-signature-1': sign(body, 'attacker') }, [KEY_OLD, KEY_NEW])).toBe(false);
  });

  it('refuses a truncated or padded signature', () => {
    const good = sign(body, KEY_OLD);
    expect(verifyConnectSignature(body, { 'x-docusign-signature-1': good.slice(0, -2) }, [KEY_OLD])).toBe(false);
    expect(verifyConnectSignature(body, { 'x-docusign-signature-1': `${good}AA` }, [KEY_OLD])).toBe(false);
  });

  it('refuses a re-serialized body: the signature covers the exact bytes', () => {
    const signature = sign(body, KEY_OLD);
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8')), null, 2), 'utf8');
    expect(verifyConnectSignature(reserialized, { 'x-docusign-signature-1': signature }, [KEY_OLD])).toBe(false);
    const tampered = Buffer.from(body.toString('utf8').replace('ord_1', 'ord_2'), 'utf8');
    expect(verifyConnectSignature(tampered, { 'x-docusign-signature-1': signature }, [KEY_OLD])).toBe(false);
  });

  it('refuses a message without a signature, or when no key is configured', () => {
    expect(verifyConnectSignature(body, {}, [KEY_OLD])).toBe(false);
    expect(verifyConnectSignature(body, { 'x-docusign-signature-1': '' }, [KEY_OLD])).toBe(false);
    expect(verifyConnectSignature(body, { 'x-docusign-signature-1': sign(body, KEY_OLD) }, [])).toBe(false);
    expect(verifyConnectSignature(body, { 'x-other-signature': sign(body, KEY_OLD) }, [KEY_OLD])).toBe(false);
  });

  it('reads the key list secret (commas or newlines)', () => {
    expect(parseHmacKeyList(` ${KEY_OLD},${KEY_NEW}\n third ,`)).toEqual([KEY_OLD, KEY_NEW, 'third']);
  });
});

describe('parseConnectEvent', () => {
  it('maps the terminal events with the order id from the custom field and a stable event id', () => {
    const completed = parseConnectEvent(bytes(message('envelope-completed')));
    expect(completed).toEqual({
      eventId: 'docusign:env-1:envelope-completed',
      event: 'envelope-completed',
      sourceEvent: 'envelope-completed',
      envelopeId: 'env-1',
      orderId: 'ord_1',
      generatedDateTime: '2025-03-01T10:00:00.0000000Z',
    });
    // A Connect retry carries another retryCount and time: the same event id, so the webhook dedupes it.
    const retried = parseConnectEvent(
      bytes(message('envelope-completed', { retryCount: 3, generatedDateTime: '2025-03-01T11:00:00Z' })),
    );
    expect(retried.eventId).toBe(completed.eventId);
    expect(parseConnectEvent(bytes(message('envelope-declined'))).event).toBe('envelope-declined');
    expect(parseConnectEvent(bytes(message('envelope-voided'))).event).toBe('envelope-voided');
  });

  it('other events are "other", identified with their time', () => {
    const sent = parseConnectEvent(bytes(message('envelope-sent')));
    expect(sent).toMatchObject({
      event: 'other',
      sourceEvent: 'envelope-sent',
      eventId: 'docusign:env-1:envelope-sent:2025-03-01T10:00:00.0000000Z',
    });
  });

  it('a message without the envelope summary has no order id', () => {
    const m = message('envelope-completed');
    const bare = { ...m, data: { accountId: 'acc', envelopeId: 'env-1' } };
    expect(parseConnectEvent(bytes(bare)).orderId).toBeUndefined();
  });

  it('refuses what is not a JSON SIM message', () => {
    expect(() => parseConnectEvent(Buffer.from('<xml/>'))).toThrow(InvalidConnectEventError);
    expect(() => parseConnectEvent(bytes({ event: 'envelope-completed', data: {} }))).toThrow(/generatedDateTime|envelopeId/);
    expect(() => parseConnectEvent(Buffer.from([0xff, 0xfe, 0x00]))).toThrow(InvalidConnectEventError);
  });
});
