import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../local/seed';
import { contractSigned } from '../../shared/application/orders/lifecycle';
import { apiClient, orderActions, refusedActions, startTestStack, typedClients, type TypedClients } from '../support/stack';
import { pdf, PNG, putFile } from '../support/files';

/**
 * The order lifecycle over HTTP on the local host: submission to CLOSED with quotes, approval, the
 * contract gate (its "signed" command called directly until the DocuSign webhook exists), field work
 * with a rework round, verification, rating, invoice; the approval limit; quote rejection and
 * cancellation; a race between two conflicting actions.
 *
 * Every call goes through the dashboard's typed client (client/): a renamed action, field or path is
 * a typecheck error here. `raw` is only for the requests that break the contract on purpose.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let raw: ReturnType<typeof apiClient>;
let as: TypedClients;
let act: ReturnType<typeof orderActions>;
let refused: ReturnType<typeof refusedActions>;
let t: Record<'admin' | 'operator' | 'client' | 'provider', string>;

beforeAll(async () => {
  stack = await startTestStack();
  raw = apiClient(`${stack.url}/api`);
  as = typedClients(stack.url);
  act = orderActions(as);
  refused = refusedActions(as);
  t = stack.tokens;
});
afterAll(async () => {
  await stack?.dispose();
});

const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

async function newOrder(title: string): Promise<string> {
  const { data, response } = await as(t.client).POST('/api/v1/orders', {
    body: { siteId: DEMO.siteIds[0], category: 'hvac', priority: 'P3', title, description: 'No enfría' },
  });
  expect(response.status).toBe(201);
  return data!.id;
}

const getOrder = async (orderId: string, token: string) =>
  (await as(token).GET('/api/v1/orders/{orderId}', { params: { path: { orderId } } })).data!;
const listQuotes = async (orderId: string, token: string) =>
  (await as(token).GET('/api/v1/orders/{orderId}/quotes', { params: { path: { orderId } } })).data!.items;

/** Announces a file: the attachment and where to upload it, or the problem. */
const announce = (
  orderId: string,
  token: string,
  body: { kind: 'photo' | 'evidence' | 'invoice'; fileName: string; contentType: string; size: number },
) => as(token).POST('/api/v1/orders/{orderId}/attachments', { params: { path: { orderId } }, body });
const confirm = (orderId: string, attachmentId: string, token: string) =>
  as(token).POST('/api/v1/orders/{orderId}/attachments/{attachmentId}/confirm', { params: { path: { orderId, attachmentId } } });

/** Announces, uploads (to Azurite, through the SAS URL) and confirms a file; returns its id. */
async function attach(
  orderId: string,
  token: string,
  bytes = PNG,
  contentType = 'image/png',
  kind: 'photo' | 'evidence' | 'invoice' = 'photo',
): Promise<string> {
  const r = await announce(orderId, token, {
    kind,
    fileName: `file.${contentType.split('/')[1]}`,
    contentType,
    size: bytes.length,
  });
  expect(r.response.status).toBe(201);
  expect(await putFile(r.data!.upload, bytes)).toBe(201);
  const confirmed = await confirm(orderId, r.data!.attachment.id, token);
  expect(confirmed.response.status).toBe(200);
  expect(confirmed.data!.status).toBe('STORED');
  return r.data!.attachment.id;
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
  expect(quoting.invitedProviderIds).toEqual([DEMO.providerIds[0]]);
  const quote = await submitQuote(orderId, amount, 2);
  await act(orderId, 'select-quote', t.operator, { quoteId: quote.id });
  return quote;
}

async function submitQuote(orderId: string, amount: number, leadTimeDays: number) {
  const { data, response } = await as(t.provider).POST('/api/v1/orders/{orderId}/quotes', {
    params: { path: { orderId } },
    body: { amount: { amount, currency: 'COP' }, leadTimeDays, validUntil: inHours(24 * 30).slice(0, 10) },
  });
  expect(response.status).toBe(201);
  return data!;
}

describe('order lifecycle over HTTP', () => {
  it('goes from SUBMITTED to CLOSED, with a rework round, and the history has every move', async () => {
    const orderId = await newOrder('Ciclo completo');
    // Quotes stay sealed for the client while the round is open.
    await act(orderId, 'triage', t.operator, { priority: 'P2' });
    await act(orderId, 'request-quotes', t.operator, { quoteDeadline: inHours(2) });
    const submitted = await submitQuote(orderId, 1_200_000_00, 3);
    expect(await listQuotes(orderId, t.client)).toEqual([]);
    expect(await listQuotes(orderId, t.operator)).toHaveLength(1);
    expect(await listQuotes(orderId, t.provider)).toHaveLength(1);

    await act(orderId, 'select-quote', t.operator, { quoteId: submitted.id });
    expect(await listQuotes(orderId, t.client)).toHaveLength(1);
    const approved = await act(orderId, 'approve', t.client);
    expect(approved).toMatchObject({
      status: 'CONTRACTING',
      approvedAmount: { amount: 1_200_000_00, currency: 'COP' },
      providerId: DEMO.providerIds[0],
    });

    // Nothing but the contract commands (and cancel) leaves CONTRACTING.
    const stuck = await refused(orderId, 'schedule', t.provider, 409, { visitAt: inHours(24) });
    expect(stuck).toMatchObject({ status: 409, currentState: 'CONTRACTING', allowedActions: [] });
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
      expect(completed.status).toBe('WORK_COMPLETED');
      if (round === 0) await act(orderId, 'request-rework', t.client, { reason: 'Sigue sin enfriar' });
    }
    await act(orderId, 'verify', t.client);
    await act(orderId, 'rate', t.client, { score: 5, comment: 'Excelente' });
    await refused(orderId, 'rate', t.client, 409, { score: 1 });
    await refused(orderId, 'invoice', t.provider, 422, {
      invoiceNumber: 'FV-1001',
      amount: { amount: 1_300_000_00, currency: 'COP' },
    });
    await act(orderId, 'invoice', t.provider, { invoiceNumber: 'FV-1001', amount: { amount: 1_150_000_00, currency: 'COP' } });
    const closed = await act(orderId, 'close', t.operator);
    expect(closed).toMatchObject({
      status: 'CLOSED',
      reworkCount: 1,
      rating: { score: 5 },
      invoice: { invoiceNumber: 'FV-1001' },
    });

    const history = (
      await as(t.client).GET('/api/v1/orders/{orderId}/history', { params: { path: { orderId }, query: { limit: 100 } } })
    ).data!;
    expect(history.items.map((h) => h.action)).toEqual([
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
    expect(history.items.map((h) => h.seq)).toEqual(history.items.map((_, i) => i + 1));
    expect(history.items.find((h) => h.action === 'contract-signed')!.by).toEqual({
      userId: 'system',
      role: 'system',
    });
  });

  it('a client above its approval limit gets 403 approval-limit-exceeded; an operator approves; quote rejection goes back to quoting', async () => {
    const orderId = await newOrder('Límite de aprobación');
    await toAwaitingApproval(orderId, 9_000_000_00);
    const overLimit = await refused(orderId, 'approve', t.client, 403);
    expect(overLimit).toMatchObject({
      type: 'https://api.algesta.co/problems/approval-limit-exceeded',
      amount: { amount: 9_000_000_00, currency: 'COP' },
      approvalLimit: { amount: 5_000_000_00, currency: 'COP' },
    });
    expect((await getOrder(orderId, t.client)).status).toBe('AWAITING_APPROVAL');
    await act(orderId, 'reject-quote', t.client, { reason: 'Muy caro' });
    const back = await getOrder(orderId, t.client);
    expect(back).toMatchObject({ status: 'QUOTING' });
    expect(back.approvedAmount).toBeUndefined();

    const second = await newOrder('Aprobación por operador');
    await toAwaitingApproval(second, 9_000_000_00);
    expect((await act(second, 'approve', t.operator)).status).toBe('CONTRACTING');
    // A client may not cancel once contracting has begun; an operator may.
    await refused(second, 'cancel', t.client, 409, { reason: 'Ya no' });
    expect(await act(second, 'cancel', t.operator, { reason: 'Cliente desiste' })).toMatchObject({
      status: 'CANCELLED',
      closedReason: 'Cliente desiste',
    });
  });

  it('refuses unknown actions (404), illegal ones (409 with the legal ones), bad bodies (400), other roles (403) and stale versions (412)', async () => {
    const orderId = await newOrder('Errores');
    // Off the contract on purpose, so sent raw: an action the document does not list, and bodies its
    // schemas forbid (the typed client would not compile them).
    const unknown = await raw('POST', `/v1/orders/${orderId}/actions/teleport`, { token: t.operator, body: {} });
    expect(unknown.status).toBe(404);
    expect(unknown.body.type).toMatch(/not-found$/);
    const noReason = await raw('POST', `/v1/orders/${orderId}/actions/reject`, { token: t.operator, body: {} });
    expect(noReason.status).toBe(400);
    expect(noReason.body.errors[0].pointer).toBe('/body/reason');
    const badPriority = await raw('POST', `/v1/orders/${orderId}/actions/triage`, {
      token: t.operator,
      body: { priority: 'P9' },
    });
    expect(badPriority.status).toBe(400);
    expect(badPriority.body.errors[0].pointer).toBe('/body/priority');

    const illegal = await refused(orderId, 'close', t.operator, 409);
    expect(illegal).toMatchObject({
      status: 409,
      currentState: 'SUBMITTED',
      allowedActions: ['triage', 'reject', 'cancel'],
    });
    await refused(orderId, 'triage', t.client, 403);
    const current = await getOrder(orderId, t.operator);
    const stale = await as(t.operator).POST('/api/v1/orders/{orderId}/actions/triage', {
      params: { path: { orderId }, header: { 'If-Match': '"stale"' } },
    });
    expect(stale.response.status).toBe(412);
    expect(stale.error?.type).toMatch(/precondition-failed$/);
    const after = await getOrder(orderId, t.operator);
    // Unchanged by the refused request. (Not compared by ETag: background steps — the Asana task,
    // the asset check — may amend the order meanwhile without a new version.)
    expect(after.version).toBe(current.version);
    expect(after.status).toBe('SUBMITTED');
    // Another client's user does not see the order at all.
    const stranger = await strangerToken();
    await refused(orderId, 'cancel', stranger, 404, { reason: 'no es mío' });
  });

  it('two conflicting actions at once: exactly one wins, the other gets 409 or 412, one history entry', async () => {
    const orderId = await newOrder('Carrera');
    // Both end the order: whichever is written first, the other finds it ended (409) or lost the
    // write (412) — never both applied.
    const path = { orderId };
    const [a, b] = await Promise.all([
      as(t.client).POST('/api/v1/orders/{orderId}/actions/cancel', { params: { path }, body: { reason: 'Ya no' } }),
      as(t.admin).POST('/api/v1/orders/{orderId}/actions/reject', { params: { path }, body: { reason: 'Duplicada' } }),
    ]);
    const statuses = [a.response.status, b.response.status].sort();
    expect(statuses[0]).toBe(200);
    expect([409, 412]).toContain(statuses[1]);
    const history = await as(t.operator).GET('/api/v1/orders/{orderId}/history', { params: { path } });
    expect(history.data!.items).toHaveLength(2);
    const winner = a.response.status === 200 ? 'CANCELLED' : 'REJECTED';
    expect((await getOrder(orderId, t.operator)).status).toBe(winner);
  });
});

describe('attachments and invoices', () => {
  it('announce, upload through the SAS URL, confirm, list with download URLs; evidence must be stored photos of the order', async () => {
    const orderId = await newOrder('Evidencias');
    const other = await newOrder('Otra orden');
    // Types and sizes outside the rules are refused before any URL is handed out.
    const zip = await announce(orderId, t.client, { kind: 'photo', fileName: 'x.zip', contentType: 'application/zip', size: 10 });
    expect(zip.response.status).toBe(422);
    const huge = await announce(orderId, t.client, {
      kind: 'photo',
      fileName: 'x.png',
      contentType: 'image/png',
      size: 20 * 1024 * 1024 + 1,
    });
    expect(huge.response.status).toBe(422);
    // A PNG declared as a PDF: rejected on confirm, the blob deleted.
    const lying = (
      await announce(orderId, t.client, { kind: 'evidence', fileName: 'x.pdf', contentType: 'application/pdf', size: PNG.length })
    ).data!;
    expect(await putFile(lying.upload, PNG)).toBe(201);
    expect((await confirm(orderId, lying.attachment.id, t.client)).response.status).toBe(422);
    expect(await orderFiles().getBlobClient(lying.attachment.blobName).exists()).toBe(false);

    const photo = await attach(orderId, t.client);
    const report = await attach(orderId, t.client, pdf('informe'), 'application/pdf', 'evidence');
    const listed = await as(t.operator).GET('/api/v1/orders/{orderId}/attachments', { params: { path: { orderId } } });
    const byId = Object.fromEntries(listed.data!.items.map((a) => [a.id, a]));
    expect(byId[lying.attachment.id]).toMatchObject({ status: 'REJECTED' });
    expect(byId[lying.attachment.id]!.downloadUrl).toBeUndefined();
    const downloadUrl = byId[photo]!.downloadUrl!;
    const download = await fetch(downloadUrl);
    expect(Buffer.from(await download.arrayBuffer()).equals(PNG)).toBe(true);
    // Read-only: the download URL cannot overwrite the file.
    expect((await fetch(downloadUrl, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: pdf('x') })).status).toBe(
      403,
    );

    // Another client's user sees none of it.
    const stranger = await strangerToken();
    const peek = await as(stranger).GET('/api/v1/orders/{orderId}/attachments', { params: { path: { orderId } } });
    expect(peek.response.status).toBe(404);
    const sneaky = await announce(orderId, stranger, {
      kind: 'photo',
      fileName: 'x.png',
      contentType: 'image/png',
      size: PNG.length,
    });
    expect(sneaky.response.status).toBe(404);

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
    await refused(orderId, 'complete', t.provider, 422, { report: 'Listo', attachmentIds: [otherPhoto] });
    await refused(orderId, 'complete', t.provider, 422, { report: 'Listo', attachmentIds: [lying.attachment.id, photo] });
    await refused(orderId, 'complete', t.provider, 422, { report: 'Listo', attachmentIds: [report] });
    expect((await getOrder(orderId, t.operator)).status).toBe('IN_PROGRESS');
    const done = await act(orderId, 'complete', t.provider, { report: 'Listo', attachmentIds: [report, photo] });
    expect(done).toMatchObject({ status: 'WORK_COMPLETED', completion: { attachmentIds: [report, photo] } });
  });

  it('invoice numbers are unique per provider, however they are spelled; an invoice file must be stored on the order', async () => {
    const first = await newOrder('Factura 1');
    const second = await newOrder('Factura 2');
    await toVerified(first);
    await toVerified(second);
    const number = `FV-${Date.now()}`;
    await act(first, 'invoice', t.provider, { invoiceNumber: number, amount: { amount: 800_000_00, currency: 'COP' } });
    // A used number fails the invoice-number-unique rule (hard, issue 17): 422 with the failed rule.
    const duplicate = await refused(second, 'invoice', t.provider, 422, {
      invoiceNumber: ` ${number.toLowerCase()} `,
      amount: { amount: 700_000_00, currency: 'COP' },
    });
    expect(duplicate.type).toBe('https://api.algesta.co/problems/invoice-rules-failed');
    expect(duplicate.detail).toMatch(/invoice-number-unique/);
    expect((await getOrder(second, t.operator)).status).toBe('VERIFIED');
    await refused(second, 'invoice', t.provider, 422, {
      invoiceNumber: `${number}-B`,
      amount: { amount: 700_000_00, currency: 'COP' },
      attachmentId: 'att_missing',
    });
    const file = await attach(second, t.provider, pdf('factura'), 'application/pdf', 'invoice');
    const invoiced = await act(second, 'invoice', t.provider, {
      invoiceNumber: `${number}-B`,
      amount: { amount: 700_000_00, currency: 'COP' },
      attachmentId: file,
    });
    expect(invoiced.invoice).toMatchObject({ invoiceNumber: `${number}-B`.toUpperCase(), attachmentId: file });
  });
});
