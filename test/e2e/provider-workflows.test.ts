import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../local/seed';
import { CONTAINERS } from '../../shared/adapters/cosmos/containers';
import { messageFor } from '../../shared/application/messaging';
import { addDays, colombiaDate } from '../../shared/domain/providers/documents';
import type { DomainEvent } from '../../shared/domain/shared/events';
import { eventually, startTestStack, typedClients } from '../support/stack';

/**
 * The providers workflow on the local stack: a document approval's compliance checks leave the
 * providers outbox as scheduled messages (not delivered before their time); order events published
 * on the bus reach the providers workflow and show up as invitations and in the scorecard, once.
 * The API through the typed client.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let as: ReturnType<typeof typedClients>;
const PROVIDER = DEMO.providerIds[0]!;
const PDF = Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n');

beforeAll(async () => {
  stack = await startTestStack();
  as = typedClients(stack.url);
});
afterAll(async () => {
  await stack?.dispose();
});

let n = 0;
function orderEvent(type: string, data: Record<string, unknown>): DomainEvent {
  const id = `evt_e2e_${Date.now()}_${++n}`;
  return {
    id,
    type,
    source: 'algesta/orders',
    subject: 'ord_x',
    time: new Date().toISOString(),
    dataVersion: 1,
    data,
    correlationId: `corr-${id}`,
  };
}

const readScorecard = async () =>
  (
    await as(stack.tokens.operator).GET('/api/v1/providers/{providerId}/scorecard', {
      params: { path: { providerId: PROVIDER } },
    })
  ).data!;

describe('providers workflow', () => {
  it('an approved expiring document schedules its compliance checks through the outbox and the bus', async () => {
    const expiresAt = addDays(colombiaDate(new Date()), 60);
    const requested = await as(stack.tokens.provider).POST('/api/v1/providers/{providerId}/documents', {
      params: { path: { providerId: PROVIDER } },
      body: { type: 'insurance-policy', fileName: 'poliza.pdf', contentType: 'application/pdf', size: PDF.length, expiresAt },
    });
    expect(requested.response.status).toBe(201);
    const { upload, document } = requested.data!;
    const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: PDF });
    expect(put.status).toBe(201);
    const path = { providerId: PROVIDER, documentId: document.id };
    const confirmed = await as(stack.tokens.provider).POST('/api/v1/providers/{providerId}/documents/{documentId}/confirm', {
      params: { path },
    });
    expect(confirmed.response.status).toBe(200);
    const reviewed = await as(stack.tokens.operator).POST('/api/v1/providers/{providerId}/documents/{documentId}/review', {
      params: { path },
      body: { decision: 'approve' },
    });
    expect(reviewed.response.status).toBe(200);
    expect(reviewed.data!.documents.filter((d) => d.type === 'insurance-policy').map((d) => d.status)).toEqual([
      'SUPERSEDED',
      'APPROVED',
    ]);

    // The relay turns the four events into scheduled messages on the providers-workflow subscription.
    const client = await (await import('../../functions/composition-root')).getRoot().cosmos();
    const bus = client.database(CONTAINERS.bus.database).container(CONTAINERS.bus.id);
    const scheduled = await eventually(async () => {
      const { resources } = await bus.items
        .query<{ visibleAt: number; state: string; body: DomainEvent }>(
          {
            query:
              'SELECT * FROM c WHERE c.subscription = "providers-workflow" AND c.applicationProperties.type = "provider.compliance-check-due"',
          },
          { partitionKey: 'providers-workflow' },
        )
        .fetchAll();
      const mine = resources.filter((m) => (m.body.data as { documentId: string }).documentId === document.id);
      return mine.length === 4 ? mine : undefined;
    });
    const expected = [addDays(expiresAt, -30), addDays(expiresAt, -15), addDays(expiresAt, -7), addDays(expiresAt, 1)].map((d) =>
      Date.parse(`${d}T05:00:00.000Z`),
    );
    expect(scheduled.map((m) => m.visibleAt).sort()).toEqual(expected);
    // Not delivered before their time: still active, never locked.
    expect(scheduled.every((m) => m.state === 'active')).toBe(true);
    expect(scheduled.every((m) => (m as unknown as { deliveryCount: number }).deliveryCount === 0)).toBe(true);
  });

  it('order events reach the providers workflow: invitations and the scorecard, once each', async () => {
    const publisher = stack.services.bus!.publisher;
    const orderId = `ord_e2e_${Date.now()}`;
    const quoteDeadline = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const invited = orderEvent('order.quotes-requested', {
      orderId,
      clientId: DEMO.clientId,
      siteId: DEMO.siteIds[0],
      category: 'hvac',
      city: 'Bogotá',
      title: 'Mantenimiento de aires',
      providerIds: [PROVIDER],
      quoteDeadline,
    });
    const rated = orderEvent('order.rated', { orderId, clientId: DEMO.clientId, providerId: PROVIDER, score: 4 });
    await publisher.publish([messageFor(invited), messageFor(rated)]);
    // The same events again, as a relay retry would send them, then once more under new message ids
    // (as after the bus's duplicate-detection window): still one effect each.
    await publisher.publish([messageFor(rated)]);
    await publisher.publish([{ ...messageFor(rated), messageId: `${rated.id}-again` }]);

    const invitations = await eventually(async () => {
      const r = await as(stack.tokens.provider).GET('/api/v1/providers/{providerId}/invitations', {
        params: { path: { providerId: PROVIDER } },
      });
      return r.data!.items.some((i) => i.orderId === orderId) ? r.data!.items : undefined;
    });
    expect(invitations.filter((i) => i.orderId === orderId)).toEqual([
      expect.objectContaining({ orderId, providerId: PROVIDER, quoteDeadline, status: 'OPEN', city: 'Bogotá' }),
    ]);
    const scorecard = await eventually(async () => {
      const r = await readScorecard();
      return r.ratings >= 1 ? r : undefined;
    });
    // Give the duplicates time to arrive and be ignored.
    await new Promise((r) => setTimeout(r, 1000));
    expect(scorecard).toMatchObject({ ratings: 1, averageRating: 4 });
    expect(await readScorecard()).toMatchObject({ ratings: 1, averageRating: 4 });
  });
});
