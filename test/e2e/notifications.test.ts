import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../local/seed';
import { loadOrCreateSendGridWebhookKey, type SendGridWebhookKey } from '../../local/webhook-keys';
import { apiClient, createOrder, eventually, orderActions, startTestStack, typedClients } from '../support/stack';

/**
 * Notifications on the local host: order events reach the people the rules name (through the real
 * bus, into the sandbox mailbox), `GET /notifications` shows each caller its own, and SendGrid's
 * Event Webhook — ECDSA-signed — moves records to delivered / bounced; forged, truncated,
 * re-serialized, missing, stale or oversized requests are refused with no effect.
 * The API through the typed client (`as(token)`); SendGrid's webhook raw (`api`), as SendGrid sends it.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let api: ReturnType<typeof apiClient>;
let as: ReturnType<typeof typedClients>;
let act: ReturnType<typeof orderActions>;
let t: Record<'admin' | 'operator' | 'client' | 'provider', string>;
let key: SendGridWebhookKey;

beforeAll(async () => {
  stack = await startTestStack();
  api = apiClient(`${stack.url}/api`);
  as = typedClients(stack.url);
  act = orderActions(as);
  t = stack.tokens;
  key = await loadOrCreateSendGridWebhookKey(join(stack.dataDir, 'sendgrid-webhook'));
});
afterAll(async () => {
  await stack?.dispose();
});

const newOrder = async (title: string) => (await createOrder(as, t.client, { title, description: 'x' })).id;

async function notesOf(token: string, orderId?: string) {
  const query = { limit: 100, ...(orderId ? { orderId } : {}) };
  return (await as(token).GET('/api/v1/notifications', { params: { query } })).data!.items;
}

function signedPost(body: string, opts: { timestamp?: string; signature?: string; headers?: Record<string, string> } = {}) {
  const timestamp = opts.timestamp ?? String(Math.floor(Date.now() / 1000));
  return api('POST', '/webhooks/sendgrid', {
    rawBody: body,
    headers: {
      'content-type': 'application/json',
      'x-twilio-email-event-webhook-timestamp': timestamp,
      'x-twilio-email-event-webhook-signature': opts.signature ?? key.sign(timestamp, body),
      ...opts.headers,
    },
  });
}

describe('notifications on the local host', () => {
  it('order events reach the requester, operators and the invited provider, each in the sandbox mailbox, each seeing only its own', async () => {
    const orderId = await newOrder('Notificaciones');
    const mine = await eventually(async () => {
      const items = await notesOf(t.client, orderId);
      return items.some((n) => n.status === 'sent') ? items : undefined;
    });
    expect(mine.map((n) => n.template)).toEqual(['order-submitted']);
    const operatorOwn = await eventually(async () => {
      const found = (await notesOf(t.operator)).filter((n) => n.orderId === orderId);
      // The record exists (queued) before the e-mail goes out; wait for the send, not the record.
      return found.length && found.every((n) => n.status === 'sent') ? found : undefined;
    });
    expect(operatorOwn.map((n) => n.template)).toEqual(['order-awaiting-triage']);
    const mailbox = join(stack.dataDir, 'sandbox', 'mailbox');
    const sameEvent = (f: string) => f.startsWith(mine[0]!.id.split('.')[0]!);
    expect((await readdir(mailbox)).filter(sameEvent)).toHaveLength(2);

    await act(orderId, 'triage', t.operator);
    await act(orderId, 'request-quotes', t.operator, { quoteDeadline: new Date(Date.now() + 3_600_000).toISOString() });
    const invited = await eventually(async () => {
      const items = await notesOf(t.provider, orderId);
      return items.length ? items : undefined;
    });
    expect(invited.map((n) => n.template)).toEqual(['quotes-requested']);
    // Staff see every notification of the order; the client still only its own.
    const all = await notesOf(t.operator, orderId);
    expect(new Set(all.map((n) => n.template))).toEqual(
      new Set(['order-submitted', 'order-awaiting-triage', 'quotes-requested']),
    );
    expect((await notesOf(t.client, orderId)).map((n) => n.template)).toEqual(['order-submitted']);
  });

  it('SendGrid reports: delivered applied once; forged, truncated, re-serialized, missing, stale and oversized refused with no effect', async () => {
    const orderId = await newOrder('Entrega');
    const note = await eventually(async () => (await notesOf(t.client, orderId)).find((n) => n.status === 'sent'));
    const events = [
      {
        email: 'client@demo.algesta.local',
        event: 'delivered',
        sg_event_id: `sg-${orderId}`,
        timestamp: Math.floor(Date.now() / 1000),
        notificationId: note.id,
        recipientUserId: DEMO.users.client,
      },
    ];
    const body = JSON.stringify(events);
    const current = async () => (await notesOf(t.client, orderId)).find((n) => n.id === note.id)!;

    const refusals: [string, Promise<{ status: number }>][] = [
      ['forged', signedPost(body, { signature: key.sign('1', 'something else') })],
      ['truncated', signedPost(body, { signature: key.sign(String(Math.floor(Date.now() / 1000)), body).slice(0, 40) })],
      [
        're-serialized',
        signedPost(JSON.stringify(events, null, 2), { signature: key.sign(String(Math.floor(Date.now() / 1000)), body) }),
      ],
      ['stale', signedPost(body, { timestamp: String(Math.floor(Date.now() / 1000) - 3600) })],
      ['missing', api('POST', '/webhooks/sendgrid', { rawBody: body, headers: { 'content-type': 'application/json' } })],
    ];
    for (const [label, pending] of refusals) expect((await pending).status, label).toBe(401);
    const huge = JSON.stringify([{ ...events[0], padding: 'x'.repeat(1024 * 1024) }]);
    expect((await signedPost(huge)).status).toBe(413);
    expect((await current()).status).toBe('sent');

    const accepted = await signedPost(body);
    expect(accepted.status).toBe(200);
    expect((accepted as { body: unknown }).body).toEqual({ received: 1, applied: 1 });
    const delivered = await current();
    expect(delivered.status).toBe('delivered');
    expect((await signedPost(body)).status).toBe(200); // replayed: acknowledged, no second effect
    expect((await current()).history).toHaveLength(delivered.history.length);
    // A signed but malformed batch is a 400, not a 500.
    expect((await signedPost('{"not":"an array"}')).status).toBe(400);
  });
});
