import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseJelouInbound, signJelouBody, verifyJelouSignature } from '../../shared/adapters/whatsapp/jelou-webhook';

/**
 * Inbound Jelou events: the signature over the exact raw bytes, and the documented `message_event`
 * payload normalized. The bodies are Jelou's documented examples (docs/whatsapp.md).
 */
const SECRET = 'whsec-jelou-test';
const enc = (s: string) => new TextEncoder().encode(s);

const TEXT_EVENT = {
  field: 'messages',
  object: 'message_event',
  event_type: 'message',
  timestamp: 1776134278574,
  project_id: 'PROJECT_ID',
  room_id: 'ROOM_ID',
  contact: { id: '573001112233', name: 'Ana' },
  conversation: { id: 'CONVERSATION_ID' },
  bot: { id: 'BOT_ID', name: 'BOT_NAME' },
  value: { id: 'MESSAGE_ID', type: 'text', content: { body: 'Hola' } },
};
// Pretty-printed, as a sender may well send it: the signature is over these exact bytes.
const RAW = enc(JSON.stringify(TEXT_EVENT, null, 2));
const sig = (body: Uint8Array | string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('X-Jelou-Signature', () => {
  it('accepts the HMAC-SHA256 of the raw body, in lower or upper case hex', () => {
    expect(verifyJelouSignature(RAW, sig(RAW), SECRET)).toBe(true);
    expect(verifyJelouSignature(RAW, `sha256=${sig(RAW).slice(7).toUpperCase()}`, SECRET)).toBe(true);
    expect(signJelouBody(RAW, SECRET)).toBe(sig(RAW));
  });

  it('refuses a signature made with another secret (forged)', () => {
    expect(verifyJelouSignature(RAW, sig(RAW, 'guessed-secret'), SECRET)).toBe(false);
  });

  it('refuses a truncated signature, or one a byte longer', () => {
    expect(verifyJelouSignature(RAW, sig(RAW).slice(0, -2), SECRET)).toBe(false);
    expect(verifyJelouSignature(RAW, sig(RAW).slice(0, 7 + 32), SECRET)).toBe(false);
    expect(verifyJelouSignature(RAW, `${sig(RAW)}00`, SECRET)).toBe(false);
  });

  it('refuses the same JSON serialized again (other spacing), and a body changed by one byte', () => {
    const reserialized = enc(JSON.stringify(JSON.parse(new TextDecoder().decode(RAW))));
    expect(JSON.parse(new TextDecoder().decode(reserialized))).toEqual(TEXT_EVENT);
    expect(verifyJelouSignature(reserialized, sig(RAW), SECRET)).toBe(false);
    const tampered = enc(new TextDecoder().decode(RAW).replace('Hola', 'Hole'));
    expect(verifyJelouSignature(tampered, sig(RAW), SECRET)).toBe(false);
  });

  it('refuses a missing or empty header, a wrong or missing prefix, non-hex, and an empty secret', () => {
    const hex = sig(RAW).slice('sha256='.length);
    for (const header of [
      undefined,
      '',
      'sha256=',
      hex,
      `sha1=${hex}`,
      `SHA256=${hex}`,
      `sha256:${hex}`,
      `sha256=${'z'.repeat(64)}`,
    ])
      expect(verifyJelouSignature(RAW, header, SECRET), String(header)).toBe(false);
    expect(verifyJelouSignature(RAW, sig(RAW, ''), '')).toBe(false);
  });
});

describe('parseJelouInbound', () => {
  const parse = (event: unknown) => parseJelouInbound(enc(JSON.stringify(event)));

  it('a text message: event id, E.164 sender, time, text', () => {
    expect(parse(TEXT_EVENT)).toEqual({
      kind: 'message',
      inbound: { eventId: 'MESSAGE_ID', from: '+573001112233', at: '2026-04-14T02:37:58.574Z', kind: 'text', text: 'Hola' },
    });
  });

  it('an image: media URL, content type, caption', () => {
    const event = {
      ...TEXT_EVENT,
      value: {
        id: 'M2',
        type: 'image',
        content: { url: 'https://storage.example.com/media/image.jpg', mime_type: 'image/jpeg', caption: 'Fuga' },
      },
    };
    expect(parse(event)).toEqual({
      kind: 'message',
      inbound: {
        eventId: 'M2',
        from: '+573001112233',
        at: '2026-04-14T02:37:58.574Z',
        kind: 'image',
        mediaUrl: 'https://storage.example.com/media/image.jpg',
        mediaContentType: 'image/jpeg',
        text: 'Fuga',
      },
    });
  });

  it('an interactive reply (assumed shape) gives its id; audio, documents and a URL-less image are "other"', () => {
    const button = parse({ ...TEXT_EVENT, value: { id: 'M3', type: 'button', content: { id: '1', title: 'Abrir orden' } } });
    expect(button).toMatchObject({ kind: 'message', inbound: { kind: 'interactive', buttonId: '1', text: 'Abrir orden' } });
    for (const value of [
      { id: 'M4', type: 'audio', content: { url: 'https://x/a.mp3', mime_type: 'audio/mpeg' } },
      { id: 'M5', type: 'image', content: {} },
      { id: 'M6', type: 'image', content: { url: 'javascript:alert(1)' } },
    ])
      expect(parse({ ...TEXT_EVENT, value })).toMatchObject({ kind: 'message', inbound: { kind: 'other' } });
  });

  it('acknowledges events that are not user messages, and refuses what is not Jelou’s shape', () => {
    expect(parse({ ...TEXT_EVENT, event_type: 'conversation_closed' })).toMatchObject({ kind: 'ignored' });
    expect(parseJelouInbound(enc('{not json'))).toMatchObject({ kind: 'invalid' });
    expect(parse({ ...TEXT_EVENT, object: 'other' })).toMatchObject({ kind: 'invalid' });
    expect(parse({ ...TEXT_EVENT, value: { type: 'text', content: { body: 'x' } } })).toMatchObject({ kind: 'invalid' });
    expect(parse({ ...TEXT_EVENT, contact: { id: 'a4b2-uuid' } })).toMatchObject({
      kind: 'invalid',
      reason: 'contact.id is not a phone number',
    });
    expect(parse({ ...TEXT_EVENT, timestamp: 'yesterday' })).toMatchObject({ kind: 'invalid' });
  });
});
