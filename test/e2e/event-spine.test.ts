import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../local/seed';
import { CONTAINERS } from '../../shared/adapters/cosmos/containers';
import { eventually, startTestStack, typedClients } from '../support/stack';

/**
 * The spine end to end on the local stack: POST /orders writes the order and its event in one
 * batch; the change-feed relay publishes it to the local bus; the notifications workflow writes
 * the records and sends the e-mails through the sandbox; GET /notifications lists them. The API
 * through the typed client.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let as: ReturnType<typeof typedClients>;

beforeAll(async () => {
  stack = await startTestStack();
  as = typedClients(stack.url);
});

const notesOf = async (token: string, orderId: string) =>
  (await as(token).GET('/api/v1/notifications', { params: { query: { orderId } } })).data!.items;
afterAll(async () => {
  await stack?.dispose();
});

describe('order.submitted reaches the notifications workflow', () => {
  it('notifies the requester and the operators once, by e-mail, with one correlation id throughout', async () => {
    const created = await as(stack.tokens.client).POST('/api/v1/orders', {
      headers: { 'x-correlation-id': 'corr-spine-1' },
      body: {
        siteId: DEMO.siteIds[0]!,
        category: 'electrical',
        priority: 'P1',
        title: 'Sin energía en la sede',
        description: 'Tablero principal',
      },
    });
    expect(created.response.status).toBe(201);
    const orderId = created.data!.id;

    const mine = await eventually(async () => {
      const items = await notesOf(stack.tokens.client, orderId);
      return items.find((n) => n.status === 'sent') ? items : undefined;
    });
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      eventType: 'order.submitted',
      recipientUserId: DEMO.users.client,
      channel: 'email',
      status: 'sent',
      locale: 'es-CO',
    });
    expect(mine[0]!.history.map((h) => h.status)).toEqual(['queued', 'sending', 'sent']);

    // Staff see every recipient's record for the order: the requester and the operator.
    const all = await eventually(async () => {
      const items = await notesOf(stack.tokens.operator, orderId);
      return items.length >= 2 && items.every((n) => n.status === 'sent') ? items : undefined;
    });
    expect(all.map((n) => n.recipientUserId).sort()).toEqual([DEMO.users.client, DEMO.users.operator].sort());
    // A client asking for another recipient's notifications sees only its own.
    const clientView = await notesOf(stack.tokens.client, orderId);
    expect(clientView.every((n) => n.recipientUserId === DEMO.users.client)).toBe(true);

    // The sandbox mailbox holds the e-mail.
    const mailbox = join(stack.dataDir, 'sandbox', 'mailbox');
    const eml = await readFile(join(mailbox, `${mine[0]!.id}.eml`), 'utf8');
    expect(eml).toContain('To: ');
    expect(eml).toContain(`X-Algesta-Notification-Id: ${mine[0]!.id}`);
    expect((await readdir(mailbox)).filter((f) => f.endsWith('.eml')).length).toBeGreaterThanOrEqual(2);

    // One correlation id from the request through the event to the notification records.
    const { getRoot } = await import('../../functions/composition-root');
    const cosmos = await getRoot().cosmos();
    const orders = cosmos.database(CONTAINERS.orders.database).container(CONTAINERS.orders.id);
    const { resources: events } = await orders.items
      .query({
        query: 'SELECT * FROM c WHERE c.docType = "event" AND c.envelope.subject = @id',
        parameters: [{ name: '@id', value: orderId }],
      })
      .fetchAll();
    // order.submitted and the first SLA check, written in the order's batch.
    expect(events.map((e) => e.envelope.type).sort()).toEqual(['order.sla-check-due', 'order.submitted']);
    for (const e of events) {
      expect(e.envelope.correlationId).toBe('corr-spine-1');
      expect(e.envelope.traceparent).toMatch(/^00-[0-9a-f]{32}-/);
    }
    const relayed = await eventually(async () => {
      const { resource } = await orders.item(events[0].id, DEMO.clientId).read();
      return resource?.relayed === true ? resource : undefined;
    });
    expect(relayed.ttl).toBeGreaterThan(0);
    const notifications = cosmos.database(CONTAINERS.notifications.database).container(CONTAINERS.notifications.id);
    const { resources: records } = await notifications.items
      .query({ query: 'SELECT * FROM c WHERE c.orderId = @id', parameters: [{ name: '@id', value: orderId }] })
      .fetchAll();
    expect(records.every((r) => r.correlationId === 'corr-spine-1')).toBe(true);
  });

  it('the same event published again has no second effect', async () => {
    const created = await as(stack.tokens.client).POST('/api/v1/orders', {
      body: { siteId: DEMO.siteIds[1]!, category: 'plumbing', priority: 'P3', title: 'Goteo en baño', description: 'Piso 2' },
    });
    const orderId = created.data!.id;
    await eventually(async () => ((await notesOf(stack.tokens.operator, orderId)).length >= 2 ? true : undefined));
    const { getRoot } = await import('../../functions/composition-root');
    const cosmos = await getRoot().cosmos();
    const orders = cosmos.database(CONTAINERS.orders.database).container(CONTAINERS.orders.id);
    const { resources: events } = await orders.items
      .query({
        query: 'SELECT * FROM c WHERE c.docType = "event" AND c.envelope.subject = @id',
        parameters: [{ name: '@id', value: orderId }],
      })
      .fetchAll();
    // Publish the event twice more, as a relay retry or the sweep would (the bus's duplicate
    // detection drops these), and once under another message id, as after the detection window
    // (the workflows themselves must recognise the event).
    const { messageFor } = await import('../../shared/application/messaging');
    const publisher = await getRoot().publisher();
    await publisher.publish([messageFor(events[0].envelope)]);
    await publisher.publish([messageFor(events[0].envelope)]);
    await publisher.publish([{ ...messageFor(events[0].envelope), messageId: `${events[0].envelope.id}-after-window` }]);
    await new Promise((r) => setTimeout(r, 1500));
    const items = await notesOf(stack.tokens.operator, orderId);
    expect(items).toHaveLength(2);
    expect(items.every((n) => n.history.filter((h) => h.status === 'sent').length === 1)).toBe(true);
  });
});
