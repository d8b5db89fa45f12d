import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../local/seed';
import { contractSigned } from '../../shared/application/orders/lifecycle';
import { apiClient, orderActions, startTestStack } from '../support/stack';
import { pdf, PNG, putFile } from '../support/files';

/**
 * The order lifecycle over HTTP on the local host: submission to CLOSED with quotes, approval, the
 * contract gate (its "signed" command called directly until the DocuSign webhook exists), field work
 * with a rework round, verification, rating, invoice; the approval limit; quote rejection and
 * cancellation; a race between two conflicting actions.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let api: ReturnType<typeof apiClient>;
let act: ReturnType<typeof orderActions>;
let t: Record<'admin' | 'operator' | 'client' | 'provider', string>;

beforeAll(async () => {
  stack = await startTestStack();
  api = apiClient(`${stack.url}/api`);
  act = orderActions(api);
  t = stack.tokens;
});
afterAll(async () => {
  await stack?.dispose();
});

const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

async function newOrder(title: string): Promise<string> {
  const r = await api('POST', '/v1/orders', {
    token: t.client,
    body: { siteId: DEMO.siteIds[0], category: 'hvac', priority: 'P3', title, description: 'No enfría' },
  });
  expect(r.status).toBe(201);
  return r.body.id;
}

/** Announces, uploads (to Azurite, through the SAS URL) and confirms a file; returns its id. */
async function attach(orderId: string, token: string, bytes = PNG, contentType = 'image/png', kind = 'photo'): Promise<string> {
  const r = await api('POST', `/v1/orders/${orderId}/attachments`, {
    token,
    body: { kind, fileName: `file.${contentType.split('/')[1]}`, contentType, size: bytes.length },
  });
  expect(r.status).toBe(201);
  expect(await putFile(r.body.upload, bytes)).toBe(201);
  const confirmed = await api('POST', `/v1/orders/${orderId}/attachments/${r.body.attachment.id}/confirm`, { token });
  expect(confirmed.status).toBe(200);
  expect(confirmed.body.status).toBe('STORED');
  return r.body.attachment.id;
}

function orderFiles() {
  const azurite = stack.services.azurite;
  if (!azurite) throw new Error('the test stack should run its own Azurite');
  return BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('order-files');
}

/** A token for a user of another client (the demo seeds one client). */
async function strangerToken(): Promise<string> {
  const { loadOrCreateDevIssuer } = await import('../../local/dev-issuer');
  const { join } = await import('node:path');
  const issuer = await loadOrCreateDevIssuer(join(stack.dataDir, 'dev-issuer'));
  return issuer.mint(
    { sub: 'u-stranger', role: 'client', clientId: 'cli_00000000000000000000000009', name: 'X' },
    { issuer: process.env.AUTH_ISSUER!, audience: process.env.AUTH_AUDIENCE!, expiresIn: '1h' },
  );
}

/** Direct assignment to the first demo provider, contract signed, visit, check-in, completion, verification. */
async function toVerified(orderId: string, amount = 800_000_00): Promise<void> {
  await act(orderId, 'triage', t.operator, { priority: 'P3' });
  await act(orderId, 'assign', t.operator, { providerId: DEMO.providerIds[0], amount: { amount, currency: 'COP' } });
  const { lifecycleDeps } = await import('../../functions/wiring');
  await contractSigned(await lifecycleDeps(), { correlationId: 'docusign-test' }, DEMO.clientId, orderId, `env-${orderId}`);
  await act(orderId, 'schedule', t.provider, { visitAt: inHours(24) });
  await act(orderId, 'check-in', t.provider);
  await act(orderId, 'complete', t.provider, { report: 'Listo', attachmentIds: [await attach(orderId, t.provider)] });
  await act(orderId, 'verify', t.client);
}

async function toAwaitingApproval(orderId: string, amount: number) {
  await act(orderId, 'triage', t.operator, { priority: 'P2' });
  const quoting = await act(orderId, 'request-quotes', t.operator, { quoteDeadline: inHours(2) });
  expect(quoting.body.invitedProviderIds).toEqual([DEMO.providerIds[0]]);
  const quote = await api('POST', `/v1/orders/${orderId}/quotes`, {
    token: t.provider,
    body: { amount: { amount, currency: 'COP' }, leadTimeDays: 2, validUntil: inHours(24 * 30).slice(0, 10) },
  });
  expect(quote.status).toBe(201);
  await act(orderId, 'select-quote', t.operator, { quoteId: quote.body.id });
  return quote.body;
}

describe('order lifecycle over HTTP', () => {
  it('goes from SUBMITTED to CLOSED, with a rework round, and the history has every move', async () => {
    const orderId = await newOrder('Ciclo completo');
    // Quotes stay sealed for the client while the round is open.
    await act(orderId, 'triage', t.operator, { priority: 'P2' });
    await act(orderId, 'request-quotes', t.operator, { quoteDeadline: inHours(2) });
    const submitted = await api('POST', `/v1/orders/${orderId}/quotes`, {
      token: t.provider,
      body: { amount: { amount: 1_200_000_00, currency: 'COP' }, leadTimeDays: 3, validUntil: inHours(24 * 30).slice(0, 10) },
    });
    expect(submitted.status).toBe(201);
    expect((await api('GET', `/v1/orders/${orderId}/quotes`, { token: t.client })).body.items).toEqual([]);
    expect((await api('GET', `/v1/orders/${orderId}/quotes`, { token: t.operator })).body.items).toHaveLength(1);
    expect((await api('GET', `/v1/orders/${orderId}/quotes`, { token: t.provider })).body.items).toHaveLength(1);

    await act(orderId, 'select-quote', t.operator, { quoteId: submitted.body.id });
    expect((await api('GET', `/v1/orders/${orderId}/quotes`, { token: t.client })).body.items).toHaveLength(1);
    const approved = await act(orderId, 'approve', t.client);
    expect(approved.body).toMatchObject({
      status: 'CONTRACTING',
      approvedAmount: { amount: 1_200_000_00, currency: 'COP' },
      providerId: DEMO.providerIds[0],
    });

    // Nothing but the contract commands (and cancel) leaves CONTRACTING.
    const stuck = await act(orderId, 'schedule', t.provider, { visitAt: inHours(24) }, 409);
    expect(stuck.body).toMatchObject({ status: 409, currentState: 'CONTRACTING', allowedActions: [] });
    const { lifecycleDeps } = await import('../../functions/wiring');
    await contractSigned(await lifecycleDeps(), { correlationId: 'docusign-test' }, DEMO.clientId, orderId, 'env-1');

    for (let round = 0; round < 2; round++) {
      await act(orderId, 'schedule', t.provider, { visitAt: inHours(24 + round) });
      await act(orderId, 'check-in', t.provider);
      if (round === 0) {
        await act(orderId, 'hold', t.provider, { reason: 'Esperando repuesto' });
        await act(orderId, 'resume', t.operator, { reason: 'Llegó el repuesto' });
      }
      const photo = await attach(orderId, t.provider);
      const completed = await act(orderId, 'complete', t.provider, { report: 'Compresor cambiado', attachmentIds: [photo] });
      expect(completed.body.status).toBe('WORK_COMPLETED');
      if (round === 0) await act(orderId, 'request-rework', t.client, { reason: 'Sigue sin enfriar' });
    }
    await act(orderId, 'verify', t.client);
    await act(orderId, 'rate', t.client, { score: 5, comment: 'Excelente' });
    await act(orderId, 'rate', t.client, { score: 1 }, 409);
    await act(
      orderId,
      'invoice',
      t.provider,
      { invoiceNumber: 'FV-1001', amount: { amount: 1_300_000_00, currency: 'COP' } },
      422,
    );
    await act(orderId, 'invoice', t.provider, { invoiceNumber: 'FV-1001', amount: { amount: 1_150_000_00, currency: 'COP' } });
    const closed = await act(orderId, 'close', t.operator);
    expect(closed.body).toMatchObject({
      status: 'CLOSED',
      reworkCount: 1,
      rating: { score: 5 },
      invoice: { invoiceNumber: 'FV-1001' },
    });

    const history = await api('GET', `/v1/orders/${orderId}/history?limit=100`, { token: t.client });
    expect(history.body.items.map((h: { action: string }) => h.action)).toEqual([
      'create',
      'triage',
      'request-quotes',
      'submit-quote',
      'select-quote',
      'approve',
      'contract-signed',
      'schedule',
      'check-in',
      'hold',
      'resume',
      'complete',
      'request-rework',
      'schedule',
      'check-in',
      'complete',
      'verify',
      'rate',
      'invoice',
      'close',
    ]);
    expect(history.body.items.map((h: { seq: number }) => h.seq)).toEqual(
      history.body.items.map((_: unknown, i: number) => i + 1),
    );
    expect(history.body.items.find((h: { action: string }) => h.action === 'contract-signed').by).toEqual({
      userId: 'system',
      role: 'system',
    });
  });

  it('a client above its approval limit gets 403 approval-limit-exceeded; an operator approves; quote rejection goes back to quoting', async () => {
    const orderId = await newOrder('Límite de aprobación');
    await toAwaitingApproval(orderId, 9_000_000_00);
    const refused = await act(orderId, 'approve', t.client, undefined, 403);
    expect(refused.body).toMatchObject({
      type: 'https://api.algesta.co/problems/approval-limit-exceeded',
      amount: { amount: 9_000_000_00, currency: 'COP' },
      approvalLimit: { amount: 5_000_000_00, currency: 'COP' },
    });
    expect((await api('GET', `/v1/orders/${orderId}`, { token: t.client })).body.status).toBe('AWAITING_APPROVAL');
    await act(orderId, 'reject-quote', t.client, { reason: 'Muy caro' });
    const back = await api('GET', `/v1/orders/${orderId}`, { token: t.client });
    expect(back.body).toMatchObject({ status: 'QUOTING' });
    expect(back.body.approvedAmount).toBeUndefined();

    const second = await newOrder('Aprobación por operador');
    await toAwaitingApproval(second, 9_000_000_00);
    expect((await act(second, 'approve', t.operator)).body.status).toBe('CONTRACTING');
    // A client may not cancel once contracting has begun; an operator may.
    await act(second, 'cancel', t.client, { reason: 'Ya no' }, 409);
    expect((await act(second, 'cancel', t.operator, { reason: 'Cliente desiste' })).body).toMatchObject({
      status: 'CANCELLED',
      closedReason: 'Cliente desiste',
    });
  });

  it('refuses unknown actions (404), illegal ones (409 with the legal ones), bad bodies (400), other roles (403) and stale versions (412)', async () => {
    const orderId = await newOrder('Errores');
    expect((await act(orderId, 'teleport', t.operator, {}, 404)).body.type).toMatch(/not-found$/);
    const illegal = await act(orderId, 'close', t.operator, undefined, 409);
    expect(illegal.body).toMatchObject({
      status: 409,
      currentState: 'SUBMITTED',
      allowedActions: ['triage', 'reject', 'cancel'],
    });
    expect((await act(orderId, 'reject', t.operator, {}, 400)).body.errors[0].pointer).toBe('/body/reason');
    expect((await act(orderId, 'triage', t.operator, { priority: 'P9' }, 400)).body.errors[0].pointer).toBe('/body/priority');
    await act(orderId, 'triage', t.client, undefined, 403);
    const current = await api('GET', `/v1/orders/${orderId}`, { token: t.operator });
    const stale = await api('POST', `/v1/orders/${orderId}/actions/triage`, {
      token: t.operator,
      headers: { 'if-match': '"stale"' },
    });
    expect(stale.status).toBe(412);
    const after = await api('GET', `/v1/orders/${orderId}`, { token: t.operator });
    // Unchanged by the refused request. (Not compared by ETag: background steps — the Asana task,
    // the asset check — may amend the order meanwhile without a new version.)
    expect(after.body.version).toBe(current.body.version);
    expect(after.body.status).toBe('SUBMITTED');
    // Another client's user does not see the order at all.
    const stranger = await strangerToken();
    await act(orderId, 'cancel', stranger, { reason: 'no es mío' }, 404);
  });

  it('two conflicting actions at once: exactly one wins, the other gets 409 or 412, one history entry', async () => {
    const orderId = await newOrder('Carrera');
    // Both end the order: whichever is written first, the other finds it ended (409) or lost the
    // write (412) — never both applied.
    const [a, b] = await Promise.all([
      api('POST', `/v1/orders/${orderId}/actions/cancel`, { token: t.client, body: { reason: 'Ya no' } }),
      api('POST', `/v1/orders/${orderId}/actions/reject`, { token: t.admin, body: { reason: 'Duplicada' } }),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses[0]).toBe(200);
    expect([409, 412]).toContain(statuses[1]);
    const history = await api('GET', `/v1/orders/${orderId}/history`, { token: t.operator });
    expect(history.body.items).toHaveLength(2);
    const winner = a.status === 200 ? 'CANCELLED' : 'REJECTED';
    expect((await api('GET', `/v1/orders/${orderId}`, { token: t.operator })).body.status).toBe(winner);
  });
});

describe('attachments and invoices', () => {
  it('announce, upload through the SAS URL, confirm, list with download URLs; evidence must be stored photos of the order', async () => {
    const orderId = await newOrder('Evidencias');
    const other = await newOrder('Otra orden');
    // Types and sizes outside the rules are refused before any URL is handed out.
    const zip = await api('POST', `/v1/orders/${orderId}/attachments`, {
      token: t.client,
      body: { kind: 'photo', fileName: 'x.zip', contentType: 'application/zip', size: 10 },
    });
    expect(zip.status).toBe(422);
    const huge = await api('POST', `/v1/orders/${orderId}/attachments`, {
      token: t.client,
      body: { kind: 'photo', fileName: 'x.png', contentType: 'image/png', size: 20 * 1024 * 1024 + 1 },
    });
    expect(huge.status).toBe(422);
    // A PNG declared as a PDF: rejected on confirm, the blob deleted.
    const lying = await api('POST', `/v1/orders/${orderId}/attachments`, {
      token: t.client,
      body: { kind: 'evidence', fileName: 'x.pdf', contentType: 'application/pdf', size: PNG.length },
    });
    expect(await putFile(lying.body.upload, PNG)).toBe(201);
    const refused = await api('POST', `/v1/orders/${orderId}/attachments/${lying.body.attachment.id}/confirm`, {
      token: t.client,
    });
    expect(refused.status).toBe(422);
    expect(await orderFiles().getBlobClient(lying.body.attachment.blobName).exists()).toBe(false);

    const photo = await attach(orderId, t.client);
    const report = await attach(orderId, t.client, pdf('informe'), 'application/pdf', 'evidence');
    const listed = await api('GET', `/v1/orders/${orderId}/attachments`, { token: t.operator });
    const byId = Object.fromEntries(listed.body.items.map((a: { id: string }) => [a.id, a]));
    expect(byId[lying.body.attachment.id]).toMatchObject({ status: 'REJECTED' });
    expect(byId[lying.body.attachment.id].downloadUrl).toBeUndefined();
    const download = await fetch(byId[photo].downloadUrl);
    expect(Buffer.from(await download.arrayBuffer()).equals(PNG)).toBe(true);
    // Read-only: the download URL cannot overwrite the file.
    expect(
      (await fetch(byId[photo].downloadUrl, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: pdf('x') }))
        .status,
    ).toBe(403);

    // Another client's user sees none of it.
    const stranger = await strangerToken();
    expect((await api('GET', `/v1/orders/${orderId}/attachments`, { token: stranger })).status).toBe(404);
    const sneaky = await api('POST', `/v1/orders/${orderId}/attachments`, {
      token: stranger,
      body: { kind: 'photo', fileName: 'x.png', contentType: 'image/png', size: PNG.length },
    });
    expect(sneaky.status).toBe(404);

    // Evidence for `complete`: stored attachments of this order, with a photo among them.
    const otherPhoto = await attach(other, t.client);
    await act(orderId, 'triage', t.operator);
    await act(orderId, 'assign', t.operator, {
      providerId: DEMO.providerIds[0],
      amount: { amount: 500_000_00, currency: 'COP' },
    });
    const { lifecycleDeps } = await import('../../functions/wiring');
    await contractSigned(await lifecycleDeps(), { correlationId: 'docusign-test' }, DEMO.clientId, orderId);
    await act(orderId, 'schedule', t.provider, { visitAt: inHours(24) });
    await act(orderId, 'check-in', t.provider);
    await act(orderId, 'complete', t.provider, { report: 'Listo', attachmentIds: [otherPhoto] }, 422);
    await act(orderId, 'complete', t.provider, { report: 'Listo', attachmentIds: [lying.body.attachment.id, photo] }, 422);
    await act(orderId, 'complete', t.provider, { report: 'Listo', attachmentIds: [report] }, 422);
    expect((await api('GET', `/v1/orders/${orderId}`, { token: t.operator })).body.status).toBe('IN_PROGRESS');
    const done = await act(orderId, 'complete', t.provider, { report: 'Listo', attachmentIds: [report, photo] });
    expect(done.body).toMatchObject({ status: 'WORK_COMPLETED', completion: { attachmentIds: [report, photo] } });
  });

  it('invoice numbers are unique per provider, however they are spelled; an invoice file must be stored on the order', async () => {
    const first = await newOrder('Factura 1');
    const second = await newOrder('Factura 2');
    await toVerified(first);
    await toVerified(second);
    const number = `FV-${Date.now()}`;
    await act(first, 'invoice', t.provider, { invoiceNumber: number, amount: { amount: 800_000_00, currency: 'COP' } });
    const duplicate = await act(
      second,
      'invoice',
      t.provider,
      { invoiceNumber: ` ${number.toLowerCase()} `, amount: { amount: 700_000_00, currency: 'COP' } },
      409,
    );
    expect(duplicate.body.detail).toMatch(/already used/);
    expect((await api('GET', `/v1/orders/${second}`, { token: t.operator })).body.status).toBe('VERIFIED');
    await act(
      second,
      'invoice',
      t.provider,
      { invoiceNumber: `${number}-B`, amount: { amount: 700_000_00, currency: 'COP' }, attachmentId: 'att_missing' },
      422,
    );
    const file = await attach(second, t.provider, pdf('factura'), 'application/pdf', 'invoice');
    const invoiced = await act(second, 'invoice', t.provider, {
      invoiceNumber: `${number}-B`,
      amount: { amount: 700_000_00, currency: 'COP' },
      attachmentId: file,
    });
    expect(invoiced.body.invoice).toMatchObject({ invoiceNumber: `${number}-B`.toUpperCase(), attachmentId: file });
  });
});
