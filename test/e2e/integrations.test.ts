import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiClient,
  createOrder,
  eventually,
  orderActions,
  quotedOrder,
  readOrder,
  startTestStack,
  storedAttachment,
  typedClients,
  type CreateOrderBody,
} from '../support/stack';

/**
 * The partners on the local host, each through its real HTTP adapter against its sandbox: the
 * DocuSign contract gate end to end (envelope on approval, Connect webhook signed by the sandbox,
 * the signed PDF stored among the attachments, a decline back to quoting, duplicates and forgeries
 * without effect), the client's Asana task, the Qsystems ticket — every transition of a long
 * lifecycle once and in order, through a Qsystems outage — and an Asana outage that the bus rides out
 * without doubling anything.
 *
 * The API through the typed client (`as(token)`); the partners' webhooks raw (`api`), as they send them.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let api: ReturnType<typeof apiClient>;
let as: ReturnType<typeof typedClients>;
let act: ReturnType<typeof orderActions>;
let t: Record<'admin' | 'operator' | 'client' | 'provider', string>;
const sandboxes = () => stack.services.sandboxes!;

beforeAll(async () => {
  stack = await startTestStack();
  api = apiClient(`${stack.url}/api`);
  as = typedClients(stack.url);
  act = orderActions(as);
  t = stack.tokens;
});
afterAll(async () => {
  await stack?.dispose();
});

const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
const order = (id: string) => readOrder(as, t.operator, id);
const historyOf = async (orderId: string) =>
  (await as(t.operator).GET('/api/v1/orders/{orderId}/history', { params: { path: { orderId }, query: { limit: 100 } } })).data!
    .items;

/** A new order approved by the client after a quote: CONTRACTING, with an envelope on its way. */
async function approvedOrder(title: string, extra: Partial<CreateOrderBody> = {}): Promise<string> {
  const id = await quotedOrder(as, t, title, extra);
  await act(id, 'approve', t.client);
  return id;
}

const envelopeOf = (id: string) =>
  eventually(async () => {
    const o = await order(id);
    return o.contract?.envelopeId;
  });

describe('partners on the local host', () => {
  it('DocuSign: envelope on approval, signed through Connect, the signed PDF stored; redelivery and forgery change nothing', async () => {
    const id = await approvedOrder('Contrato');
    const envelopeId = await envelopeOf(id);
    const envelope = sandboxes().docusign.envelope(envelopeId)!;
    expect(envelope.textCustomFields).toContainEqual({ name: 'orderId', value: id });
    const signers = envelope.templateRoles.map((r) => r.email);
    expect(signers).toHaveLength(2);
    expect(signers).toContain('client@demo.algesta.local'); // the client user who approved

    // A forged Connect message is refused before anything happens.
    const forged = sandboxes().docusign.connectMessage(envelopeId, 'envelope-completed');
    const refused = await api('POST', '/webhooks/docusign', {
      rawBody: forged.rawBody,
      headers: { ...forged.headers, 'x-docusign-signature-1': Buffer.from('x'.repeat(32)).toString('base64') },
    });
    expect(refused.status).toBe(401);
    expect((await order(id)).status).toBe('CONTRACTING');

    const delivery = await sandboxes().docusign.complete(envelopeId);
    expect(delivery.status).toBe(200);
    expect((await order(id)).status).toBe('SCHEDULED');
    await sandboxes().docusign.redeliver(sandboxes().docusign.deliveries.indexOf(delivery));
    expect((await historyOf(id)).filter((h) => h.action === 'contract-signed')).toHaveLength(1);

    const stored = await eventually(async () => {
      const o = await order(id);
      return o.contract?.documentAttachmentId ? o : undefined;
    });
    const attachments = await as(t.client).GET('/api/v1/orders/{orderId}/attachments', { params: { path: { orderId: id } } });
    const contract = attachments.data!.items.find((a) => a.id === stored.contract!.documentAttachmentId);
    expect(contract).toMatchObject({ kind: 'contract', contentType: 'application/pdf', status: 'STORED' });
    const pdf = Buffer.from(await (await fetch(contract!.downloadUrl!)).arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('DocuSign: a declined envelope sends the order back to quoting; the next approval gets a new envelope', async () => {
    const id = await approvedOrder('Contrato rechazado');
    const first = await envelopeOf(id);
    await sandboxes().docusign.decline(first, 'No de acuerdo');
    expect((await order(id)).status).toBe('QUOTING');
    const quotes = await as(t.operator).GET('/api/v1/orders/{orderId}/quotes', { params: { path: { orderId: id } } });
    await act(id, 'select-quote', t.operator, { quoteId: quotes.data!.items[0]!.id });
    await act(id, 'approve', t.client);
    const second = await envelopeOf(id);
    expect(second).not.toBe(first);
    // A late "completed" for the declined envelope changes nothing.
    await sandboxes().docusign.deliver(first, 'envelope-completed');
    expect((await order(id)).status).toBe('CONTRACTING');
  });

  it('Asana and Qsystems follow the order: one task per order, completed on close; the ticket holds the latest status', async () => {
    const ref = `QS-${Date.now()}`;
    const id = await approvedOrder('Seguimiento', { externalRef: ref });
    const gid = await eventually(async () => (await order(id)).asanaTaskGid);
    await sandboxes().docusign.complete(await envelopeOf(id));
    await act(id, 'schedule', t.provider, { visitAt: inHours(24) });
    await act(id, 'check-in', t.provider);
    const photo = await storedAttachment(as, t.provider, id);
    await act(id, 'complete', t.provider, { report: 'Hecho y probado', attachmentIds: [photo] });
    await act(id, 'verify', t.client);
    await act(id, 'invoice', t.provider, { invoiceNumber: `FV-${ref}`, amount: { amount: 700_000_00, currency: 'COP' } });
    const closed = await act(id, 'close', t.operator);
    const task = await eventually(async () => {
      const found = sandboxes().asana.task(gid);
      return found?.completed ? found : undefined;
    });
    expect(task.notes).toContain('CLOSED');
    expect(
      sandboxes()
        .asana.tasks()
        .filter((x) => x.notes.includes(id)),
    ).toHaveLength(1);
    const ticket = await eventually(async () => {
      const found = sandboxes().qsystems.ticket(ref);
      return found?.status === 'CLOSED' ? found : undefined;
    });
    expect(ticket.sequence).toBe(closed.version);
    // The ticket never went backwards, whatever order the updates arrived in.
    const sequences = ticket.history.map((h) => h.sequence);
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
  });

  it('a long lifecycle through a Qsystems outage: the ticket receives every transition once, in order; the Asana task has a comment for each', async () => {
    const lifecycle = [
      'SUBMITTED',
      'TRIAGED',
      'QUOTING',
      'AWAITING_APPROVAL',
      'CONTRACTING',
      'SCHEDULED',
      'IN_PROGRESS',
      'ON_HOLD',
      'IN_PROGRESS',
      'WORK_COMPLETED',
      'VERIFIED',
      'INVOICED',
      'CLOSED',
    ];
    const ref = `QS-LONG-${Date.now()}`;
    const received = () => sandboxes().qsystems.requests.filter((r) => r.method === 'PUT' && r.path.includes(`/tickets/${ref}/`));
    const id = await approvedOrder('Ciclo largo', { externalRef: ref }); // a quote submitted on the way: QUOTING twice in the history
    // Qsystems goes down: the next four pushes for this ticket answer 503 — all the adapter's
    // in-process attempts of one delivery — so that delivery fails and the bus tries again later,
    // while the order moves on.
    sandboxes().qsystems.failNext(4, 503, { match: { method: 'PUT', path: new RegExp(`/tickets/${ref}/status$`) } });
    await sandboxes().docusign.complete(await envelopeOf(id));
    await act(id, 'schedule', t.provider, { visitAt: inHours(24) }); // SCHEDULED again: not a status change
    await act(id, 'check-in', t.provider);
    await act(id, 'hold', t.provider, { reason: 'Falta un repuesto' });
    await act(id, 'resume', t.provider, { reason: 'Llegó el repuesto' });
    const photo = await storedAttachment(as, t.provider, id);
    await act(id, 'complete', t.provider, { report: 'Hecho y probado', attachmentIds: [photo] });
    await act(id, 'verify', t.client);
    await act(id, 'invoice', t.provider, { invoiceNumber: `FV-${ref}`, amount: { amount: 700_000_00, currency: 'COP' } });
    await act(id, 'close', t.operator);

    const ticket = await eventually(async () => {
      const found = sandboxes().qsystems.ticket(ref);
      return found?.status === 'CLOSED' ? found : undefined;
    }, 60_000);
    const history = await historyOf(id);
    const transitions = history.filter((h) => h.from !== h.to);
    expect(transitions.map((h) => h.to)).toEqual(lifecycle);
    expect(history.length).toBeGreaterThan(transitions.length); // the same-status entries were there, and not sent
    // The ticket applied each transition once, in order, stamped with its version and the status it left.
    expect(ticket.history.map((h) => h.status)).toEqual(lifecycle);
    expect(ticket.history.map((h) => h.sequence)).toEqual(transitions.map((h) => h.seq));
    expect(ticket.history.map((h) => h.from ?? null)).toEqual([null, ...lifecycle.slice(0, -1)]);
    // What reached Qsystems: the four refused by the outage, then each transition once — no repeat, no stale update.
    const answers = received().map((r) => r.status);
    expect(answers.filter((s) => s === 503)).toHaveLength(4);
    expect(answers.filter((s) => s === 200)).toHaveLength(lifecycle.length);
    expect(answers).toHaveLength(lifecycle.length + 4);

    const gid = (await order(id)).asanaTaskGid!;
    const comments = await eventually(async () => {
      const found = (sandboxes().asana.task(gid)?.stories ?? []).filter((s) => s.type === 'comment');
      return found.length >= lifecycle.length ? found : undefined;
    }, 30_000);
    expect(comments.map((c) => /→ ([A-Z_]+)/.exec(c.text)?.[1])).toEqual(lifecycle);
    expect(sandboxes().asana.task(gid)).toMatchObject({ completed: true });
    expect(sandboxes().asana.task(gid)?.notes).toContain('Estado: CLOSED');
  });

  it('an Asana outage during creation: the order moves on; once the partner answers, the task exists exactly once', async () => {
    const failedBefore = sandboxes().asana.requests.filter((r) => r.outcome === 'failed').length;
    // Four failures in a row: the adapter's in-process retries absorb them or the message goes back
    // to the bus (held first); either way nothing is created twice.
    sandboxes().asana.failNext(4, 503);
    const id = (await createOrder(as, t.client, { title: 'Asana caído', description: 'x' })).id; // the API never waits for a partner
    const gid = await eventually(async () => (await order(id)).asanaTaskGid, 30_000);
    expect(sandboxes().asana.requests.filter((x) => x.outcome === 'failed').length - failedBefore).toBe(4);
    expect(
      sandboxes()
        .asana.tasks()
        .filter((x) => x.notes.includes(id))
        .map((x) => x.gid),
    ).toEqual([gid]);
  });
});
