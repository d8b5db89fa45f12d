import { describe, expect, it } from 'vitest';
import { advance } from '../../../shared/domain/whatsapp/machine';
import type { Party } from '../../../shared/domain/whatsapp/dialog';
import { render } from '../../../shared/domain/whatsapp/texts';
import { JPEG, PHONES, world } from './world';

/**
 * An NTE increase asked by WhatsApp (issue 17): `aumento ord_…`, the new total, the reason and the
 * evidence photos, through the same lifecycle action as the API (`request-nte-increase`).
 */
describe('a provider asks for more than the NTE by WhatsApp', () => {
  it('amount, reason, a photo → the request pending on the order, the NTE unchanged', async () => {
    const w = await world();
    const id = await w.orderScheduled('Mantenimiento chiller');
    await w.say(PHONES.provider, `llegada ${id}`);
    const start = await w.say(PHONES.provider, `aumento ${id}`);
    expect(start.replies).toEqual([
      `Aumento del tope de la orden ${id}. ¿Cuál es el nuevo valor total en pesos (COP)? Por ejemplo: 2.500.000`,
    ]);
    expect((await w.say(PHONES.provider, 'mucho')).replies).toEqual([
      'No entendimos el valor. Escriba solo el número en pesos, por ejemplo 1.250.000.',
    ]);
    await w.say(PHONES.provider, '1.400.000');
    await w.say(PHONES.provider, 'El compresor también está dañado');
    expect((await w.say(PHONES.provider, 'listo')).replies).toEqual([
      'Envíe fotos que lo muestren (al menos una). Cuando termine, escriba "listo".',
    ]);
    await w.photo(PHONES.provider, w.mediaFetcher.host('https://media.jelou.ai/n/1.jpg', JPEG, 'image/jpeg'));
    const done = await w.say(PHONES.provider, 'listo');
    expect(done.replies).toEqual([
      `Solicitamos subir el tope de ${id} a $1.400.000. El cliente lo aprobará o rechazará; hasta entonces el tope sigue igual.`,
    ]);
    const order = (await w.orders.get(w.client.principal.clientId!, id))!.value;
    expect(order).toMatchObject({ status: 'IN_PROGRESS', approvedAmount: { amount: 900_000_00, currency: 'COP' } });
    expect(order.approval).toMatchObject({
      subject: 'nte-increase',
      amount: { amount: 1_400_000_00, currency: 'COP' },
      request: { reason: 'El compresor también está dañado', by: 'u-provider' },
    });
    expect(order.approval?.request?.attachmentIds).toHaveLength(1);
    expect(w.orders.events.filter((e) => e.type === 'order.nte-increase-requested')).toHaveLength(1);
  });

  it('refused before any photo is fetched when the table refuses it (not above the NTE, or not the order’s state)', async () => {
    const w = await world();
    const id = await w.orderScheduled('Mantenimiento chiller');
    const invited = await w.orderInQuoting('Aire sede norte');
    const photo = w.mediaFetcher.host('https://media.jelou.ai/n/2.jpg', JPEG, 'image/jpeg');
    for (const [orderId, amount] of [
      [id, '900.000'],
      [invited, '2.000.000'],
    ] as const) {
      await w.say(PHONES.provider, `aumento ${orderId}`);
      await w.say(PHONES.provider, amount);
      await w.say(PHONES.provider, 'Hace falta más material');
      await w.photo(PHONES.provider, photo);
      const reply = await w.say(PHONES.provider, 'listo');
      expect(reply.replies[0]).toMatch(/^Lo sentimos, no pudimos hacerlo\./);
    }
    expect(w.mediaFetcher.fetched).toEqual([]);
    expect(w.attachments.items.size).toBe(0);
    expect((await w.orders.get(w.client.principal.clientId!, id))!.value.approval).toBeUndefined();
  });

  it('the machine: a photo is expected only at the evidence step, and English replies exist for every step', () => {
    const provider: Party = { role: 'provider', name: 'Luis' };
    const now = '2026-02-02T15:00:00.000Z';
    const order = 'ord_00000000000000000000000001_01HZZZZZZZZZZZZZZZZZZZZZZZ';
    const first = advance(undefined, { kind: 'message', message: { kind: 'text', text: `increase ${order}` } }, provider, now);
    expect(first.state.dialog).toEqual({ step: 'nte-amount', orderId: order });
    const early = advance(
      first.state,
      { kind: 'message', message: { kind: 'image', media: { url: 'https://m/x.jpg' } } },
      provider,
      now,
    );
    expect(early.replies).toEqual([{ key: 'unexpected-photo' }]);
    expect(render({ key: 'nte-increase-requested', orderId: order, amount: 250_000_000 }, 'en')).toBe(
      `We asked to raise the NTE of ${order} to COP 2,500,000. The client will approve or reject it; until then the NTE stays as it is.`,
    );
    for (const key of ['nte-reason', 'nte-photos'] as const) expect(render({ key }, 'en')).not.toBe(render({ key }, 'es-CO'));
  });
});
