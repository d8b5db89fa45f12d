import { describe, expect, it } from 'vitest';
import { parseJelouInbound } from '../../shared/adapters/whatsapp/jelou-webhook';
import type { DialogState, Party, UserMessage } from '../../shared/domain/whatsapp/dialog';
import { advance } from '../../shared/domain/whatsapp/machine';
import { render } from '../../shared/domain/whatsapp/texts';

/**
 * Issue 17 on WhatsApp, the pure parts: Jelou's location message normalized, the machine turning a
 * provider's shared location into a check-in / check-out request (and nothing for a client or in
 * the middle of a quote), and the replies in both locales.
 */
const NOW = '2026-02-02T15:00:00.000Z';
const PROVIDER: Party = { role: 'provider', name: 'Luis' };
const CLIENT: Party = { role: 'client', name: 'Ana' };
const ORDER = 'ord_00000000000000000000000001_01HZZZZZZZZZZZZZZZZZZZZZZZ';
const here: UserMessage = { kind: 'location', position: { lat: 4.647, lon: -74.0638 } };

const event = (value: unknown) =>
  new TextEncoder().encode(
    JSON.stringify({
      object: 'message_event',
      event_type: 'message',
      timestamp: 1776134278574,
      contact: { id: '573004445566' },
      value,
    }),
  );

describe('Jelou location message', () => {
  it('coordinates { lat, long } in the content, or on the value as in Jelou’s bubble, become a location', () => {
    for (const value of [
      { id: 'M1', type: 'location', content: { coordinates: { lat: 4.647, long: -74.0638 } } },
      { id: 'M1', type: 'location', coordinates: { lat: 4.647, long: -74.0638 } },
    ]) {
      const parsed = parseJelouInbound(event(value));
      expect(parsed).toMatchObject({ kind: 'message', inbound: { kind: 'location', location: { lat: 4.647, lon: -74.0638 } } });
    }
  });

  it('a location without usable coordinates is "other" (answered as unsupported), never a guess', () => {
    for (const coordinates of [undefined, { lat: 95, long: 0 }, { lat: '4.6', long: '-74' }]) {
      const parsed = parseJelouInbound(event({ id: 'M2', type: 'location', content: { coordinates } }));
      expect(parsed).toMatchObject({ kind: 'message', inbound: { kind: 'other' } });
    }
  });
});

describe('the conversation with a shared location', () => {
  it('a provider between jobs asks for a field move with the position', () => {
    const step = advance(undefined, { kind: 'message', message: here }, PROVIDER, NOW);
    expect(step.request).toEqual({ kind: 'field-location', position: { lat: 4.647, lon: -74.0638 } });
    expect(step.replies).toEqual([]);
  });

  it('a client, or a provider half-way through a quote, gets "unsupported" and keeps its step', () => {
    const byClient = advance(undefined, { kind: 'message', message: here }, CLIENT, NOW);
    expect(byClient.request).toBeUndefined();
    expect(byClient.replies.map((r) => r.key)).toEqual(['unsupported-message']);
    const quoting: DialogState = { dialog: { step: 'quote-amount', orderId: ORDER }, since: NOW };
    const mid = advance(quoting, { kind: 'message', message: here }, PROVIDER, NOW);
    expect(mid.request).toBeUndefined();
    expect(mid.state.dialog).toEqual(quoting.dialog);
  });

  it('the results become replies with the distance, in both locales', () => {
    const idle: DialogState = { dialog: { step: 'idle' }, since: NOW };
    const reply = (result: Parameters<typeof advance>[1] & { kind: 'result' }) =>
      advance(idle, result, PROVIDER, NOW).replies[0]!;
    const flagged = reply({
      kind: 'result',
      result: { kind: 'checked-in', orderId: ORDER, distance: { distanceMeters: 700, radiusMeters: 150, flagged: true } },
    });
    expect(render(flagged, 'es-CO')).toBe(
      `Llegada registrada en la orden ${ORDER} a 700 m de la sede (fuera del radio de 150 m: un coordinador lo revisará). ¡Buen trabajo!`,
    );
    expect(render(flagged, 'en')).toContain('700 m from the site (outside the 150 m radius');
    const outside = reply({
      kind: 'result',
      result: { kind: 'outside-site', orderId: ORDER, distance: { distanceMeters: 900, radiusMeters: 100 } },
    });
    expect(render(outside, 'es-CO')).toContain('está a 900 m de la sede y el cliente exige estar a menos de 100 m');
    expect(render(outside, 'en')).toContain('900 m from the site');
    const out = reply({ kind: 'result', result: { kind: 'checked-out', orderId: ORDER } });
    expect(render(out, 'en')).toBe(`Check-out recorded on order ${ORDER}. Thank you.`);
    expect(render(reply({ kind: 'result', result: { kind: 'no-field-order' } }), 'es-CO')).toMatch(/No tiene una orden/);
  });
});
