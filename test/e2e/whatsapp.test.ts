import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JelouSandbox } from '../../local/sandboxes/jelou';
import { DEMO } from '../../local/seed';
import { LOCAL_JELOU_WEBHOOK_SECRET } from '../../local/stack';
import { readWhatsAppOutbox } from '../../shared/adapters/whatsapp/sandbox-whatsapp';
import { eventually, orderActions, readOrder, startTestStack, typedClients } from '../support/stack';
import { PNG } from '../support/files';

/**
 * A WhatsApp conversation end to end on the local host: a fake Jelou posts signed inbound events to
 * `/api/webhooks/jelou`, the bus carries them to the conversation, and every reply lands in the
 * WhatsApp sandbox outbox. The client opens an order (with a photo fetched from Jelou's media URL);
 * the provider quotes and, once the order is scheduled, checks in — all through the same commands
 * as the API. The API's side (the operator, the client's approval, the reads) through the typed client.
 */
const CLIENT_PHONE = '+573001112233';
const PROVIDER_PHONE = '+573004445566';

let stack: Awaited<ReturnType<typeof startTestStack>>;
let as: ReturnType<typeof typedClients>;
let act: ReturnType<typeof orderActions>;
let t: Record<'admin' | 'operator' | 'client' | 'provider', string>;
let jelou: JelouSandbox;

beforeAll(async () => {
  stack = await startTestStack();
  as = typedClients(stack.url);
  act = orderActions(as);
  t = stack.tokens;
  jelou = await JelouSandbox.start({ botId: 'bot-algesta', clientId: 'algesta', clientSecret: 'secret' });
  jelou.setWebhook(`${stack.url}/api/webhooks/jelou`, LOCAL_JELOU_WEBHOOK_SECRET);
});
afterAll(async () => {
  await jelou?.close();
  await stack?.dispose();
});

const outbox = () => readWhatsAppOutbox(join(stack.dataDir, 'sandbox', 'whatsapp'));
const textsTo = async (phone: string) =>
  (await outbox()).filter((m) => m.to === phone).map((m) => m.text ?? m.template?.name ?? '');

/**
 * Sends one message and waits for the conversation's replies to it (the bus is asynchronous). A move
 * may answer with several messages, sent one after the other: the replies are complete once no new
 * one has come for a while, so that none is taken for the answer to the next message.
 */
async function say(phone: string, message: { text?: string; image?: { url: string } }): Promise<string[]> {
  const before = (await textsTo(phone)).length;
  const res = await jelou.sendInbound({ from: phone, ...message });
  expect(res.status).toBe(200);
  let seen = await eventually(async () => {
    const all = await textsTo(phone);
    return all.length > before ? all.length : undefined;
  });
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const all = await textsTo(phone);
    if (all.length === seen) return all.slice(before);
    seen = all.length;
  }
}

describe('WhatsApp on the local host', () => {
  it('the client opens an order with a photo; the provider quotes and checks in; each side reads its replies in the outbox', async () => {
    // The client: menu → open an order → site → category → description → a photo → done.
    await say(CLIENT_PHONE, { text: 'Hola' });
    await say(CLIENT_PHONE, { text: '1' });
    await say(CLIENT_PHONE, { text: '1' });
    await say(CLIENT_PHONE, { text: '3' });
    await say(CLIENT_PHONE, { text: 'El aire de la recepción gotea' });
    await say(CLIENT_PHONE, { image: { url: jelou.hostMedia('foto.png', PNG, 'image/png') } });
    const opened = await say(CLIENT_PHONE, { text: 'listo' });
    const orderId = /ord_[A-Za-z0-9_]+/.exec(opened.join('\n'))?.[0];
    expect(orderId, opened.join('\n')).toBeDefined();
    const order = await readOrder(as, t.client, orderId!);
    expect(order).toMatchObject({ channel: 'whatsapp', clientId: DEMO.clientId, siteId: DEMO.siteIds[0], status: 'SUBMITTED' });
    const path = { orderId: order.id };
    const attachments = (await as(t.client).GET('/api/v1/orders/{orderId}/attachments', { params: { path } })).data!.items;
    expect(attachments).toMatchObject([{ kind: 'photo', status: 'STORED', contentType: 'image/png', size: PNG.length }]);

    // The operator invites the provider; the provider quotes by WhatsApp.
    await act(order.id, 'triage', t.operator, { category: 'hvac' });
    const invited = await act(order.id, 'request-quotes', t.operator, {
      quoteDeadline: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(invited.invitedProviderIds).toContain(DEMO.providerIds[0]);
    const providerId = DEMO.providerIds[0]!;
    await eventually(async () =>
      (await as(t.provider).GET('/api/v1/providers/{providerId}/invitations', { params: { path: { providerId } } })).data!.items
        .length
        ? true
        : undefined,
    );
    const list = await say(PROVIDER_PHONE, { text: '1' });
    expect(list.join('\n')).toContain(orderId);
    await say(PROVIDER_PHONE, { text: '1' });
    await say(PROVIDER_PHONE, { text: '1' });
    await say(PROVIDER_PHONE, { text: '850.000' });
    await say(PROVIDER_PHONE, { text: '2' });
    const quoted = await say(PROVIDER_PHONE, { text: '15' });
    expect(quoted.join('\n')).toContain(orderId);
    const quotes = (await as(t.operator).GET('/api/v1/orders/{orderId}/quotes', { params: { path } })).data!.items;
    expect(quotes).toMatchObject([
      { providerId: DEMO.providerIds[0], amount: { amount: 85_000_000, currency: 'COP' }, leadTimeDays: 2 },
    ]);

    // Approval, contract (DocuSign sandbox), visit; then the provider checks in by WhatsApp.
    await act(order.id, 'select-quote', t.operator, { quoteId: quotes[0]!.id });
    await act(order.id, 'approve', t.client);
    const envelopeId = await eventually(async () => (await readOrder(as, t.operator, order.id)).contract?.envelopeId);
    await stack.services.sandboxes!.docusign.complete(envelopeId);
    const scheduled = await act(order.id, 'schedule', t.provider, { visitAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect(scheduled.status).toBe('SCHEDULED');
    // The provider's order list is a view kept from events: wait until it shows the visit.
    await eventually(async () => {
      const mine = (await as(t.provider).GET('/api/v1/orders', { params: { query: { status: 'SCHEDULED', limit: 100 } } })).data!
        .items;
      return mine.some((o) => o.id === orderId) ? true : undefined;
    });
    const choices = await say(PROVIDER_PHONE, { text: '2' });
    expect(choices.join('\n')).toContain(orderId);
    const checkedIn = await say(PROVIDER_PHONE, { text: '1' });
    expect(checkedIn.join('\n')).toContain(orderId);
    expect((await readOrder(as, t.client, order.id)).status).toBe('IN_PROGRESS');
    const history = (await as(t.operator).GET('/api/v1/orders/{orderId}/history', { params: { path, query: { limit: 100 } } }))
      .data!.items;
    expect(history.find((h) => h.action === 'check-in')!.by).toEqual({
      userId: DEMO.users.provider,
      role: 'provider',
    });
  });

  it('an unknown number gets one polite reply, ever; forged, oversized and malformed requests are refused', async () => {
    const stranger = '+573119998877';
    const first = await say(stranger, { text: 'Hola' });
    expect(first).toHaveLength(1);
    await jelou.sendInbound({ from: stranger, text: 'Hola??' });
    await jelou.sendInbound({ from: stranger, text: 'Quiero una orden' });
    await new Promise((r) => setTimeout(r, 1500)); // time enough for the bus to deliver both
    expect(await textsTo(stranger)).toHaveLength(1);
    const forged = await jelou.sendInbound({ from: CLIENT_PHONE, text: 'Hola' }, { signature: `sha256=${'0'.repeat(64)}` });
    expect(forged.status).toBe(401);
    // Bigger than any Jelou event: refused before the signature is even looked at.
    expect((await jelou.sendInbound({ from: CLIENT_PHONE, text: 'x'.repeat(70 * 1024) })).status).toBe(413);
    // Signed but not Jelou's shape: a 4xx, nothing queued.
    expect((await jelou.sendInbound({ from: 'not-a-phone', text: 'x' })).status).toBe(400);
  });
});
