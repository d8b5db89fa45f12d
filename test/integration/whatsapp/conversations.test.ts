import { describe, expect, it } from 'vitest';
import { listAttachments } from '../../../shared/application/orders/attachments';
import { PermanentDeliveryError } from '../../../shared/application/notifications/channels';
import { TransientDeliveryError } from '../../../shared/application/whatsapp/ports';
import { JPEG, PHONES, PNG, PROVIDER_ID, world, type World } from './world';

/**
 * The WhatsApp conversations end to end through the application: phone → profile, the machine,
 * the same application commands as the HTTP API (createOrder, submitQuote, performOrderAction…),
 * in-memory repositories, and the replies as they leave through the WhatsAppSender port.
 */
async function openOrderByWhatsApp(w: World) {
  const a = w.mediaFetcher.host('https://media.jelou.ai/p/1.jpg', JPEG, 'image/jpeg');
  const b = w.mediaFetcher.host('https://media.jelou.ai/p/2.png', PNG, 'image/png');
  const transcript = [
    await w.say(PHONES.client, 'Hola'),
    await w.say(PHONES.client, '1'),
    await w.say(PHONES.client, '2'),
    await w.say(PHONES.client, '3'),
    await w.say(PHONES.client, 'El aire del piso 3 no enfría desde ayer'),
    await w.photo(PHONES.client, a),
    await w.photo(PHONES.client, b, 'image/png'),
    await w.say(PHONES.client, 'listo'),
  ];
  return transcript.map((t) => t.replies);
}

describe('a client opens an order by WhatsApp', () => {
  it('site, category, description, two photos → the order (channel whatsapp) with two stored photos; then its status', async () => {
    const w = await world();
    const replies = await openOrderByWhatsApp(w);
    expect(replies[0]?.[0]).toMatch(/^Hola, Ana\. ¿Qué desea hacer\?\n1\. Abrir una orden de servicio/);
    expect(replies[1]?.[0]).toBe('¿En cuál sede es el servicio?\n1. Sede Norte (Bogotá)\n2. Sede Centro (Bogotá)');
    expect(replies[2]?.[0]).toMatch(/^¿Qué tipo de servicio necesita\?\n1\. Eléctrico\n2\. Plomería\n3\. Aire acondicionado/);
    expect(replies[5]).toEqual(['Foto 1 recibida.']);
    expect(replies[6]).toEqual(['Foto 2 recibida.']);

    const orders = [...w.orders.orders.values()].map((o) => o.value);
    expect(orders).toHaveLength(1);
    const order = orders[0]!;
    expect(order).toMatchObject({
      siteId: expect.stringMatching(/02$/),
      category: 'hvac',
      priority: 'P3',
      title: 'El aire del piso 3 no enfría desde ayer',
      status: 'SUBMITTED',
      channel: 'whatsapp',
      requester: { userId: 'u-client', name: 'Ana' },
    });
    expect(w.orders.historyEntries.filter((h) => h.orderId === order.id)).toHaveLength(1);
    expect(w.orders.events.filter((e) => e.type === 'order.submitted').map((e) => e.data)).toMatchObject([
      { channel: 'whatsapp' },
    ]);
    const stored = await listAttachments({ ...w.deps, files: w.files }, w.client, order.id);
    expect(stored.map((a) => [a.status, a.contentType, a.createdBy])).toEqual([
      ['STORED', 'image/jpeg', 'u-client'],
      ['STORED', 'image/png', 'u-client'],
    ]);
    expect(replies[7]?.[0]).toBe(
      `Su orden quedó registrada con el número ${order.id}.\nGuardamos 2 foto(s).\n` +
        `Le avisaremos de cada avance. Para consultarla escriba: estado ${order.id}`,
    );

    const status = await w.say(PHONES.client, `estado ${order.id.toLowerCase()}`);
    expect(status.replies).toEqual([`Orden ${order.id} — El aire del piso 3 no enfría desde ayer — recibida`]);
    const recent = await w.say(PHONES.client, '2');
    expect(recent.replies[0]).toContain(`• ${order.id}`);
  });

  it('a photo that cannot be fetched or is not an image is counted, the order still opens', async () => {
    const w = await world({ clientLocale: 'en' });
    const pdf = w.mediaFetcher.host('https://media.jelou.ai/doc.pdf', new TextEncoder().encode('%PDF-1.7'), 'application/pdf');
    for (const t of ['hi', '1', '1', '1', 'The lights in the lobby flicker']) await w.say(PHONES.client, t);
    await w.photo(PHONES.client, 'https://media.jelou.ai/expired.jpg');
    await w.photo(PHONES.client, pdf);
    const done = await w.say(PHONES.client, 'done');
    expect(done.replies[0]).toMatch(/^Your order was registered as ord_.*\nWe could not store 2 photo\(s\)/);
    expect(w.attachments.items.size).toBe(0);
    expect(w.orders.orders.size).toBe(1);
  });

  it('another client’s order is "not found", politely', async () => {
    const w = await world();
    const reply = await w.say(PHONES.client, 'estado ord_00000000000000000000000009_01HZZZZZZZZZZZZZZZZZZZZZZZ');
    expect(reply.replies).toEqual([
      'Lo sentimos, no pudimos hacerlo. No encontramos esa orden o invitación entre las suyas; revise el número de la orden.',
    ]);
  });
});

describe('a provider works by WhatsApp', () => {
  it('declines one invitation, quotes another, checks in and completes with a photo', async () => {
    const w = await world();
    const declined = await w.orderInQuoting('Aire sede norte');
    w.advance(1);
    const quoted = await w.orderInQuoting('Aire sala de juntas');
    const assigned = await w.orderScheduled('Mantenimiento chiller');

    const list = await w.say(PHONES.provider, '1');
    expect(list.replies[0]).toMatch(/^Sus invitaciones abiertas \(responda con el número\):\n1\. Aire sede norte — ord_/);
    await w.say(PHONES.provider, '1');
    await w.say(PHONES.provider, '2');
    const decline = await w.say(PHONES.provider, 'No tenemos técnicos esa semana');
    expect(decline.replies).toEqual([`Registramos que no cotizará la orden ${declined}. Gracias por avisar.`]);
    expect([...w.invitationResponses.declines.values()]).toEqual([
      { providerId: PROVIDER_ID, orderId: declined, reason: 'No tenemos técnicos esa semana' },
    ]);

    // The declined invitation is gone from the list; the other is first now.
    expect((await w.say(PHONES.provider, 'invitaciones')).replies[0]).not.toContain(declined);
    await w.say(PHONES.provider, '1');
    await w.say(PHONES.provider, '1');
    await w.say(PHONES.provider, '2.400.000');
    await w.say(PHONES.provider, '3');
    const quote = await w.say(PHONES.provider, '10');
    expect(quote.replies).toEqual([
      `Cotización enviada para ${quoted}: $2.400.000, plazo 3 día(s), válida hasta 2026-02-12. Puede reemplazarla hasta el cierre.`,
    ]);
    expect(await w.orders.listQuotes(w.client.principal.clientId!, quoted)).toMatchObject([
      {
        providerId: PROVIDER_ID,
        amount: { amount: 240_000_000, currency: 'COP' },
        leadTimeDays: 3,
        validUntil: '2026-02-12',
        submittedBy: 'u-provider',
      },
    ]);

    const checkIns = await w.say(PHONES.provider, '2');
    expect(checkIns.replies[0]).toMatch(
      new RegExp(
        `^¿Qué orden quiere registrar su llegada\\? Responda con el número:\\n1\\. ${assigned} — Mantenimiento chiller — programada \\(visita 2026-02-02 11:\\d\\d\\)$`,
      ),
    );
    expect((await w.say(PHONES.provider, '1')).replies).toEqual([`Llegada registrada en la orden ${assigned}. ¡Buen trabajo!`]);
    expect((await w.orders.get(w.client.principal.clientId!, assigned))?.value.status).toBe('IN_PROGRESS');
    await w.syncProviderViews(assigned);

    const evidence = w.mediaFetcher.host('https://media.jelou.ai/e/1.jpg', JPEG, 'image/jpeg');
    await w.say(PHONES.provider, '3');
    await w.say(PHONES.provider, '1');
    await w.say(PHONES.provider, 'Se cambió el compresor y se probó el equipo');
    await w.photo(PHONES.provider, evidence);
    const done = await w.say(PHONES.provider, 'listo');
    expect(done.replies).toEqual([`Orden ${assigned} completada con 1 foto(s). El cliente la revisará.`]);
    const completed = (await w.orders.get(w.client.principal.clientId!, assigned))!.value;
    expect(completed.status).toBe('WORK_COMPLETED');
    expect(completed.completion).toMatchObject({ report: 'Se cambió el compresor y se probó el equipo' });
    expect(completed.completion?.attachmentIds).toHaveLength(1);
    expect(w.attachments.items.get(`${assigned}/${completed.completion?.attachmentIds[0]}`)).toMatchObject({
      status: 'STORED',
      createdBy: 'u-provider',
    });
  });

  it('an application refusal (check-in on an order it is only invited to) is a polite reply and changes nothing', async () => {
    const w = await world();
    const invited = await w.orderInQuoting('Aire sede norte');
    const before = structuredClone(w.orders.orders.get(invited));
    const history = w.orders.historyEntries.length;
    const reply = await w.say(PHONES.provider, `llegada ${invited}`);
    expect(reply.replies).toEqual([
      'Lo sentimos, no pudimos hacerlo. La orden está en un estado que no permite esa acción (estado actual: en cotización).',
    ]);
    expect(w.orders.orders.get(invited)).toEqual(before);
    expect(w.orders.historyEntries).toHaveLength(history);
    // Completing it is refused the same way, before any photo is stored.
    const photo = w.mediaFetcher.host('https://media.jelou.ai/e/2.jpg', JPEG, 'image/jpeg');
    await w.say(PHONES.provider, `completar ${invited}`);
    await w.say(PHONES.provider, 'Informe del trabajo');
    await w.photo(PHONES.provider, photo);
    expect((await w.say(PHONES.provider, 'listo')).replies[0]).toContain('estado actual: en cotización');
    expect(w.mediaFetcher.fetched).toEqual([]);
    expect(w.attachments.items.size).toBe(0);
    expect(w.orders.orders.get(invited)).toEqual(before);
  });

  it('an order it neither holds nor was invited to is "not found"; declining after quoting is refused', async () => {
    const w = await world();
    const invited = await w.orderInQuoting('Aire');
    await w.say(PHONES.provider, `cotizar ${invited}`);
    await w.say(PHONES.provider, '1000000');
    await w.say(PHONES.provider, '2');
    await w.say(PHONES.provider, '5');
    await w.say(PHONES.provider, `rechazar ${invited}`);
    expect((await w.say(PHONES.provider, 'cambié de opinión')).replies[0]).toContain('no permite esa acción');
    expect(w.invitationResponses.declines.size).toBe(0);
    expect(
      (await w.say(PHONES.provider, 'llegada ord_00000000000000000000000001_01HZZZZZZZZZZZZZZZZZZZZZZZ')).replies[0],
    ).toContain('No encontramos esa orden');
  });
});

describe('delivery guarantees', () => {
  it('an unknown number gets exactly one reply, however many messages it sends, and nothing else happens', async () => {
    const w = await world();
    const replies = [];
    for (const t of ['hola', '1', 'estado ord_00000000000000000000000001_01HZZZZZZZZZZZZZZZZZZZZZZZ', 'hola??'])
      replies.push((await w.say(PHONES.stranger, t)).replies);
    replies.push((await w.photo(PHONES.stranger, 'https://media.jelou.ai/x.jpg')).replies);
    expect(replies.flat()).toHaveLength(1);
    expect(replies[0]?.[0]).toMatch(/^Hola\. Este es el WhatsApp de Algesta/);
    expect(w.sender.sent.map((m) => m.to)).toEqual([PHONES.stranger]);
    expect(w.orders.orders.size).toBe(0);
    expect(w.mediaFetcher.fetched).toEqual([]);
  });

  it('a redelivered inbound event has no second effect and sends nothing twice', async () => {
    const w = await world();
    for (const t of ['1', '1', '1', 'Se fue la luz en el segundo piso']) await w.say(PHONES.client, t);
    const done = w.inbound(PHONES.client, { kind: 'text', text: 'listo' });
    const first = await w.deliver(done);
    expect(first.outcome).toEqual({ status: 'handled', sent: 1 });
    for (let i = 0; i < 3; i++) expect(await w.deliver(done)).toEqual({ outcome: { status: 'duplicate', sent: 0 }, replies: [] });
    expect(w.orders.orders.size).toBe(1);
    const ids = w.sender.sent.map((m) => m.notificationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.at(-1)).toBe(`wa~${done.eventId}~0`);
  });

  it('a lost write after the order was created (another delivery won) retries without a second order', async () => {
    const w = await world();
    for (const t of ['1', '1', '1', 'Se fue la luz en el segundo piso']) await w.say(PHONES.client, t);
    w.conversations.failNextPuts = 1;
    const done = await w.say(PHONES.client, 'listo');
    expect(done.replies[0]).toMatch(/^Su orden quedó registrada con el número ord_/);
    expect(w.orders.orders.size).toBe(1);
    expect(w.orders.events.filter((e) => e.type === 'order.submitted')).toHaveLength(1);
    expect(done.replies[0]).toContain([...w.orders.orders.keys()][0]);
  });

  it('a reply the partner refuses for now stays in the outbox and goes out with the redelivery, once', async () => {
    const w = await world();
    w.sender.failNext(new TransientDeliveryError('429', 5000));
    const event = w.inbound(PHONES.client, { kind: 'text', text: 'hola' });
    await expect(w.deliver(event)).rejects.toBeInstanceOf(TransientDeliveryError);
    expect(w.sender.sent).toEqual([]);
    const redelivery = await w.deliver(event);
    expect(redelivery.outcome).toEqual({ status: 'duplicate', sent: 1 });
    expect(redelivery.replies[0]).toMatch(/^Hola, Ana/);
    expect(await w.deliver(event)).toEqual({ outcome: { status: 'duplicate', sent: 0 }, replies: [] });
    expect((await w.conversations.get(PHONES.client))?.value.outbox).toEqual([]);
  });

  it('a reply refused for good is dropped, not retried', async () => {
    const w = await world();
    w.sender.failNext(new PermanentDeliveryError('invalid number'));
    const first = await w.say(PHONES.client, 'hola');
    expect(first).toEqual({ outcome: { status: 'handled', sent: 1 }, replies: [] });
    expect((await w.conversations.get(PHONES.client))?.value.outbox).toEqual([]);
  });

  it('English for a user whose locale is en', async () => {
    const w = await world({ clientLocale: 'en' });
    expect((await w.say(PHONES.client, 'hello')).replies[0]).toMatch(
      /^Hello Ana\. What would you like to do\?\n1\. Open a service order/,
    );
    expect((await w.say(PHONES.client, 'menu')).replies).toEqual([
      'All right, we dropped that.',
      expect.stringMatching(/^Hello Ana/),
    ]);
  });
});
