import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevIssuer, type DevIssuer } from '../../local/dev-issuer';
import { DEMO } from '../../local/seed';
import { ulid } from '../../shared/platform/ids';
import { apiClient, startTestStack, type ApiResponse } from '../support/stack';
import { pdf, PNG, putFile } from '../support/files';

/**
 * The Providers API over real HTTP on the local stack (embedded Cosmos, Azurite, dev tokens):
 * onboarding with real uploads to SAS URLs, the upload checks, refused input, self-registration,
 * the role × tenant matrix of every endpoint, listing and the scorecard.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let api: ReturnType<typeof apiClient>;
let tokens: typeof stack.tokens;
let issuer: DevIssuer;
/** A provider user of the second demo provider: "another provider" for every fixture here. */
let otherProviderToken: string;
/** The `provider-documents` container, read directly to see whether a blob exists. */
let documentBlobs: ContainerClient;

beforeAll(async () => {
  stack = await startTestStack();
  api = apiClient(`${stack.url}/api`);
  tokens = stack.tokens;
  issuer = await loadOrCreateDevIssuer(join(stack.dataDir, 'dev-issuer'));
  otherProviderToken = await mintProvider(DEMO.providerIds[1], 'usr-e2e-other-provider');
  const azurite = stack.services.azurite;
  if (!azurite) throw new Error('the test stack should run its own Azurite');
  documentBlobs = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('provider-documents');
});
afterAll(async () => {
  await stack?.dispose();
});

// ---- helpers ------------------------------------------------------------------------------------

const PROBLEM = 'https://api.algesta.co/problems/';
const PROBLEM_TYPES: Record<number, string> = {
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  422: 'unprocessable-entity',
};
const REQUIRED = ['rut', 'chamber-of-commerce', 'insurance-policy', 'bank-certificate'] as const;
const ULID_ID = /^prv_[0-9A-HJKMNP-TV-Z]{26}$/;

function mintProvider(providerId: string, sub = `usr-e2e-${ulid().toLowerCase()}`): Promise<string> {
  return issuer.mint(
    { sub, role: 'provider', providerId, name: 'E2E provider user' },
    { issuer: DEV_ISSUER, audience: DEV_AUDIENCE },
  );
}

/** DIAN's modulo-11 check digit, computed here independently of the product. */
function checkDigit(base: string): number {
  const weights = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71];
  const sum = [...base].reverse().reduce((acc, d, i) => acc + Number(d) * weights[i]!, 0);
  const r = sum % 11;
  return r > 1 ? 11 - r : r;
}

const usedNitBases = new Set<string>(['800197268', '890903938', '899999068', '901234567', '800987654']);
function freshNit(): string {
  for (;;) {
    const base = String(randomInt(800_000_000, 999_999_999));
    if (usedNitBases.has(base)) continue;
    usedNitBases.add(base);
    return `${base}-${checkDigit(base)}`;
  }
}

/** A city no other test uses (compared case- and accent-insensitively by the API). */
const uniqueCity = (name = 'Cali') => `${name} ${ulid().slice(-8)}`;

/** A calendar date in Colombia (UTC−5), `days` from today. */
function colombiaDay(days: number): string {
  return new Date(Date.now() - 5 * 3_600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

/** The dates each document type needs to be acceptable. */
function datesFor(type: string): Record<string, string> {
  if (type === 'chamber-of-commerce') return { issuedAt: colombiaDay(-10) };
  if (type === 'insurance-policy' || type === 'safety-certification') return { expiresAt: colombiaDay(365) };
  return {};
}

let nameSeq = 0;
function providerBody(extra: Record<string, unknown> = {}) {
  return {
    legalName: `Servicios E2E ${++nameSeq} S.A.S.`,
    nit: freshNit(),
    contacts: { email: 'contacto@e2e.algesta.test', whatsapp: '+573001234567', name: 'Contacto E2E' },
    categories: ['plumbing'],
    cities: ['Cali'],
    ...extra,
  };
}

function expectProblem(res: ApiResponse, status: number, label = '') {
  expect(res.status, `${label} ${res.text}`).toBe(status);
  expect(res.headers.get('content-type'), label).toContain('application/problem+json');
  expect(res.body.type, label).toBe(PROBLEM + PROBLEM_TYPES[status]);
  expect(res.body.status, label).toBe(status);
}

function expectStatus(res: ApiResponse, status: number, label = '') {
  if (status >= 400) expectProblem(res, status, label);
  else expect(res.status, `${label} ${res.text}`).toBe(status);
}

/** The provider as staff see it, with its ETag. */
async function readProvider(id: string): Promise<{ etag: string | null; body: any }> {
  const res = await api('GET', `/v1/providers/${id}`, { token: tokens.operator });
  expect(res.status, res.text).toBe(200);
  return { etag: res.headers.get('etag'), body: res.body };
}

const documentOf = (provider: any, documentId: string) =>
  (provider.documents as any[]).find((d: { id: string }) => d.id === documentId);

async function registerByOperator(extra: Record<string, unknown> = {}) {
  const body = providerBody(extra);
  const res = await api('POST', '/v1/providers', { token: tokens.operator, body });
  expect(res.status, res.text).toBe(201);
  return { id: res.body.id as string, body, res };
}

/** A provider user whose company is not registered yet registers it; returns the id and the user's token. */
async function selfRegistered(extra: Record<string, unknown> = {}): Promise<{ id: string; token: string }> {
  const id = `prv_${ulid()}`;
  const token = await mintProvider(id);
  const res = await api('POST', '/v1/providers', { token, body: providerBody(extra) });
  expect(res.status, res.text).toBe(201);
  expect(res.body.id).toBe(id);
  return { id, token };
}

function requestUpload(providerId: string, token: string | undefined, body: Record<string, unknown>) {
  return api('POST', `/v1/providers/${providerId}/documents`, { token, body });
}

function documentRequest(type: string, bytes: Buffer, extra: Record<string, unknown> = {}) {
  return { type, fileName: `${type}.pdf`, contentType: 'application/pdf', size: bytes.length, ...datesFor(type), ...extra };
}

/** Announces a document and uploads its file (not confirmed); returns the document. */
async function uploadDocument(providerId: string, token: string, type = 'rut', bytes = pdf(type)) {
  const req = await requestUpload(providerId, token, documentRequest(type, bytes));
  expect(req.status, req.text).toBe(201);
  expect(await putFile(req.body.upload, bytes)).toBe(201);
  return req.body.document as { id: string; blobName: string };
}

function confirm(providerId: string, documentId: string, token: string | undefined) {
  return api('POST', `/v1/providers/${providerId}/documents/${documentId}/confirm`, { token });
}

/** Uploads and confirms a document; it is then PENDING_REVIEW. */
async function submitDocument(providerId: string, token: string, type = 'rut') {
  const doc = await uploadDocument(providerId, token, type);
  const res = await confirm(providerId, doc.id, token);
  expect(res.status, res.text).toBe(200);
  expect(documentOf(res.body, doc.id).status).toBe('PENDING_REVIEW');
  return doc;
}

const blobExists = (blobName: string) => documentBlobs.getBlobClient(blobName).exists();

async function listAll(query: string, token = tokens.operator): Promise<string[]> {
  const res = await api('GET', `/v1/providers?limit=100&${query}`, { token });
  expect(res.status, res.text).toBe(200);
  expect(res.body.continuationToken).toBeUndefined();
  return res.body.items.map((p: { id: string }) => p.id);
}

// ---- 1. onboarding ------------------------------------------------------------------------------

describe('onboarding', () => {
  it('register → upload and confirm every required document → review → approve → suspend → reinstate', async () => {
    const { id, body, res: created } = await registerByOperator({ categories: ['plumbing'], cities: ['Cali'] });
    expect(id).toMatch(ULID_ID);
    expect(created.body).toMatchObject({
      id,
      legalName: body.legalName,
      nit: body.nit,
      categories: ['plumbing'],
      cities: ['Cali'],
      status: 'PENDING_DOCUMENTS',
      documents: [],
      allowedActions: ['reject'],
      createdBy: DEMO.users.operator,
    });
    expect(created.headers.get('location')).toBe(`/api/v1/providers/${id}`);
    const etag = created.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    expect((await readProvider(id)).etag).toBe(etag);

    // The company's own user uploads the documents.
    const own = await mintProvider(id);
    const files = new Map<string, Buffer>();
    const documentIds = new Map<string, string>();
    for (const [i, type] of REQUIRED.entries()) {
      const bytes = pdf(`${type} of ${id}`);
      files.set(type, bytes);
      const req = await requestUpload(id, own, documentRequest(type, bytes));
      expect(req.status, req.text).toBe(201);
      expect(req.body.document).toMatchObject({
        type,
        status: 'AWAITING_UPLOAD',
        contentType: 'application/pdf',
        size: bytes.length,
        ...datesFor(type),
      });
      expect(req.body.upload).toMatchObject({
        method: 'PUT',
        headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'application/pdf' },
      });
      expect(Date.parse(req.body.upload.expiresAt)).toBeGreaterThan(Date.now());
      const documentId: string = req.body.document.id;
      documentIds.set(type, documentId);
      expect(await putFile(req.body.upload, bytes)).toBe(201);
      const confirmed = await confirm(id, documentId, own);
      expect(confirmed.status, confirmed.text).toBe(200);
      expect(documentOf(confirmed.body, documentId).status).toBe('PENDING_REVIEW');
      expect(confirmed.body.status).toBe(i < REQUIRED.length - 1 ? 'PENDING_DOCUMENTS' : 'UNDER_REVIEW');
    }
    const underReview = await readProvider(id);
    expect(underReview.body.status).toBe('UNDER_REVIEW');
    expect(underReview.body.allowedActions).toEqual(['approve', 'reject']);

    // Approving before the documents are reviewed: the guard lists every unapproved required type.
    const early = await api('POST', `/v1/providers/${id}/actions/approve`, { token: tokens.operator, body: {} });
    expectProblem(early, 409);
    expect([...early.body.documentTypes].sort()).toEqual([...REQUIRED].sort());
    expect(await readProvider(id)).toEqual(underReview);

    for (const type of REQUIRED) {
      const documentId = documentIds.get(type) as string;
      const reviewed = await api('POST', `/v1/providers/${id}/documents/${documentId}/review`, {
        token: tokens.operator,
        body: { decision: 'approve' },
      });
      expect(reviewed.status, reviewed.text).toBe(200);
      expect(documentOf(reviewed.body, documentId)).toMatchObject({ status: 'APPROVED', reviewedBy: DEMO.users.operator });
      expect(reviewed.body.status).toBe('UNDER_REVIEW');
    }

    const approved = await api('POST', `/v1/providers/${id}/actions/approve`, { token: tokens.admin, body: {} });
    expect(approved.status, approved.text).toBe(200);
    expect(approved.body.status).toBe('APPROVED');
    expect(approved.body.allowedActions).toEqual(['suspend']);

    // Every document downloads, byte for byte, through its read-only URL.
    const listed = await api('GET', `/v1/providers/${id}/documents`, { token: own });
    expect(listed.status, listed.text).toBe(200);
    expect(listed.body.items).toHaveLength(REQUIRED.length);
    for (const doc of listed.body.items) {
      expect(doc.status).toBe('APPROVED');
      expect(typeof doc.downloadUrl).toBe('string');
      expect(Date.parse(doc.downloadUrlExpiresAt)).toBeGreaterThan(Date.now());
      const download = await fetch(doc.downloadUrl);
      expect(download.status).toBe(200);
      expect(Buffer.from(await download.arrayBuffer()).equals(files.get(doc.type) as Buffer)).toBe(true);
    }

    // Suspending needs a reason.
    const before = await readProvider(id);
    const noReason = await api('POST', `/v1/providers/${id}/actions/suspend`, { token: tokens.operator, body: {} });
    expectProblem(noReason, 422);
    expect(noReason.body.errors).toEqual([expect.objectContaining({ pointer: '/body/reason' })]);
    expect(await readProvider(id)).toEqual(before);

    const suspended = await api('POST', `/v1/providers/${id}/actions/suspend`, {
      token: tokens.operator,
      body: { reason: 'Queja grave del cliente' },
    });
    expect(suspended.status, suspended.text).toBe(200);
    expect(suspended.body.status).toBe('SUSPENDED');
    expect(suspended.body.suspension).toMatchObject({ automatic: false, reason: 'Queja grave del cliente' });
    expect(suspended.body.allowedActions).toEqual(['reinstate']);

    const reinstated = await api('POST', `/v1/providers/${id}/actions/reinstate`, { token: tokens.operator, body: {} });
    expect(reinstated.status, reinstated.text).toBe(200);
    expect(reinstated.body.status).toBe('APPROVED');
    expect(reinstated.body.suspension).toBeUndefined();

    // An action the status does not allow: 409 with what is allowed.
    const afterReinstate = await readProvider(id);
    const illegal = await api('POST', `/v1/providers/${id}/actions/approve`, { token: tokens.operator, body: {} });
    expectProblem(illegal, 409);
    expect(illegal.body.allowedActions).toEqual(['suspend']);
    expect(await readProvider(id)).toEqual(afterReinstate);
  });
});

// ---- 2. upload checks ---------------------------------------------------------------------------

describe('upload checks', () => {
  it('a PNG uploaded as a declared PDF: 422 on confirm, the document REJECTED, the blob deleted', async () => {
    const { id, token } = await selfRegistered();
    const req = await requestUpload(id, token, {
      type: 'rut',
      fileName: 'rut.pdf',
      contentType: 'application/pdf',
      size: PNG.length,
    });
    expect(req.status, req.text).toBe(201);
    const doc = req.body.document as { id: string; blobName: string };
    expect(await putFile(req.body.upload, PNG)).toBe(201);
    expect(await blobExists(doc.blobName)).toBe(true);

    const res = await confirm(id, doc.id, token);
    expectProblem(res, 422);
    expect(res.body.errors).toEqual([{ pointer: '/body/file', detail: expect.stringContaining('image/png') }]);

    const provider = await readProvider(id);
    expect(provider.body.status).toBe('PENDING_DOCUMENTS');
    expect(documentOf(provider.body, doc.id)).toMatchObject({
      status: 'REJECTED',
      uploadRejected: true,
      rejectionReason: expect.stringContaining('image/png'),
    });
    const listed = await api('GET', `/v1/providers/${id}/documents`, { token });
    expect(listed.status).toBe(200);
    const item = listed.body.items.find((d: { id: string }) => d.id === doc.id);
    expect(item.status).toBe('REJECTED');
    expect(item.downloadUrl).toBeUndefined();
    expect(await blobExists(doc.blobName)).toBe(false);
    // It cannot be confirmed again.
    expectProblem(await confirm(id, doc.id, token), 409);
  });

  it('a file whose size differs from the declared size: 422, the document REJECTED, the blob deleted', async () => {
    const { id, token } = await selfRegistered();
    const bytes = pdf('short');
    const req = await requestUpload(id, token, documentRequest('rut', bytes, { size: bytes.length + 10 }));
    expect(req.status, req.text).toBe(201);
    const doc = req.body.document as { id: string; blobName: string };
    expect(await putFile(req.body.upload, bytes)).toBe(201);
    expect(await blobExists(doc.blobName)).toBe(true);

    const res = await confirm(id, doc.id, token);
    expectProblem(res, 422);
    expect(res.body.errors).toEqual([{ pointer: '/body/file', detail: expect.stringContaining(`${bytes.length} bytes`) }]);
    expect(documentOf((await readProvider(id)).body, doc.id)).toMatchObject({
      status: 'REJECTED',
      uploadRejected: true,
      rejectionReason: expect.stringContaining(`declared ${bytes.length + 10}`),
    });
    expect(await blobExists(doc.blobName)).toBe(false);
  });

  it('confirming before the upload: 409 and nothing changes; after the upload the same document confirms', async () => {
    const { id, token } = await selfRegistered();
    const bytes = pdf('later');
    const req = await requestUpload(id, token, documentRequest('rut', bytes));
    expect(req.status, req.text).toBe(201);
    const documentId: string = req.body.document.id;
    const before = await readProvider(id);

    const early = await confirm(id, documentId, token);
    expectProblem(early, 409);
    expect(early.body.documentStatus).toBe('AWAITING_UPLOAD');
    const after = await readProvider(id);
    expect(after).toEqual(before);
    expect(documentOf(after.body, documentId).status).toBe('AWAITING_UPLOAD');

    expect(await putFile(req.body.upload, bytes)).toBe(201);
    const ok = await confirm(id, documentId, token);
    expect(ok.status, ok.text).toBe(200);
    expect(documentOf(ok.body, documentId).status).toBe('PENDING_REVIEW');
  });

  it('a disallowed content type or a file over 20 MB is refused when requested (422), and no document is added', async () => {
    const { id, token } = await selfRegistered();
    const before = await readProvider(id);

    const text = await requestUpload(id, token, { type: 'rut', fileName: 'rut.txt', contentType: 'text/plain', size: 100 });
    expectProblem(text, 422);
    expect(text.body.errors).toEqual([expect.objectContaining({ pointer: '/body/contentType' })]);

    const huge = await requestUpload(id, token, {
      type: 'rut',
      fileName: 'rut.pdf',
      contentType: 'application/pdf',
      size: 20 * 1024 * 1024 + 1,
    });
    expectProblem(huge, 422);
    expect(huge.body.errors).toEqual([expect.objectContaining({ pointer: '/body/size' })]);

    const after = await readProvider(id);
    expect(after).toEqual(before);
    expect(after.body.documents).toEqual([]);
  });

  it('a chamber-of-commerce certificate issued 120 days ago, or an insurance policy already expired: 422 on the date', async () => {
    const { id, token } = await selfRegistered();
    const before = await readProvider(id);

    const old = await requestUpload(
      id,
      token,
      documentRequest('chamber-of-commerce', pdf('ccc'), { issuedAt: colombiaDay(-120) }),
    );
    expectProblem(old, 422);
    expect(old.body.errors).toEqual([expect.objectContaining({ pointer: '/body/issuedAt' })]);

    const expired = await requestUpload(
      id,
      token,
      documentRequest('insurance-policy', pdf('pol'), { expiresAt: colombiaDay(-1) }),
    );
    expectProblem(expired, 422);
    expect(expired.body.errors).toEqual([expect.objectContaining({ pointer: '/body/expiresAt' })]);

    expect(await readProvider(id)).toEqual(before);
    // The same documents with acceptable dates are taken.
    expect((await requestUpload(id, token, documentRequest('chamber-of-commerce', pdf('ccc')))).status).toBe(201);
    expect((await requestUpload(id, token, documentRequest('insurance-policy', pdf('pol')))).status).toBe(201);
  });
});

// ---- 3. bad input changes nothing ---------------------------------------------------------------

describe('refused registrations change nothing', () => {
  it('an invalid NIT check digit: 422 on nit, and no provider is created', async () => {
    const city = uniqueCity('Palmira');
    const res = await api('POST', '/v1/providers', {
      token: tokens.operator,
      body: providerBody({ nit: '800197268-5', cities: [city] }),
    });
    expectProblem(res, 422);
    expect(res.body.errors).toEqual([{ pointer: '/body/nit', detail: expect.stringContaining('check digit') }]);
    expect(await listAll(`city=${encodeURIComponent(city)}`)).toEqual([]);

    // The correct check digit (dotted form) is accepted and stored canonically, and the list sees it.
    const ok = await api('POST', '/v1/providers', {
      token: tokens.operator,
      body: providerBody({ nit: '800.197.268-4', cities: [city] }),
    });
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body.nit).toBe('800197268-4');
    expect(await listAll(`city=${encodeURIComponent(city)}`)).toEqual([ok.body.id]);
  });

  it('a duplicate NIT (in another spelling): 409, the first provider unchanged and no second one', async () => {
    const first = await registerByOperator({ nit: '890903938-8', cities: [uniqueCity('Buga')] });
    const before = await readProvider(first.id);
    const city = uniqueCity('Tuluá');
    const dup = await api('POST', '/v1/providers', {
      token: tokens.admin,
      body: providerBody({ nit: '890.903.938-8', legalName: 'Otra Razón Social S.A.S.', cities: [city] }),
    });
    expectProblem(dup, 409);
    expect(await readProvider(first.id)).toEqual(before);
    expect(await listAll(`city=${encodeURIComponent(city)}`)).toEqual([]);
  });
});

// ---- 4. self-registration -----------------------------------------------------------------------

describe('self-registration', () => {
  it('a provider user registers its own company once (id = its claim); again is 409; a client is 403', async () => {
    const providerId = `prv_${ulid()}`;
    const sub = `usr-e2e-self-${ulid().toLowerCase()}`;
    const token = await mintProvider(providerId, sub);
    expectProblem(await api('GET', `/v1/providers/${providerId}`, { token }), 404);

    const first = await api('POST', '/v1/providers', { token, body: providerBody() });
    expect(first.status, first.text).toBe(201);
    expect(first.body).toMatchObject({ id: providerId, status: 'PENDING_DOCUMENTS', createdBy: sub });
    expect(first.headers.get('location')).toBe(`/api/v1/providers/${providerId}`);
    const mine = await api('GET', `/v1/providers/${providerId}`, { token });
    expect(mine.status).toBe(200);
    expect(mine.body.id).toBe(providerId);
    const before = await readProvider(providerId);

    const secondNit = freshNit();
    const second = await api('POST', '/v1/providers', { token, body: providerBody({ nit: secondNit }) });
    expectProblem(second, 409);
    expect(await readProvider(providerId)).toEqual(before);

    const city = uniqueCity('Jamundí');
    expectProblem(await api('POST', '/v1/providers', { token: tokens.client, body: providerBody({ cities: [city] }) }), 403);
    expect(await listAll(`city=${encodeURIComponent(city)}`)).toEqual([]);

    // The refused second registration claimed nothing: its NIT is still free.
    expect((await api('POST', '/v1/providers', { token: tokens.operator, body: providerBody({ nit: secondNit }) })).status).toBe(
      201,
    );
  });
});

// ---- 5. role × tenant matrix --------------------------------------------------------------------

type Caller = 'none' | 'client' | 'other' | 'own' | 'operator' | 'admin';
/** Refusals first, so that what a refused call might have changed is still there to be seen. */
const CALLERS: readonly Caller[] = ['none', 'client', 'other', 'own', 'operator', 'admin'];

interface Fixture {
  /** A freshly self-registered provider, addressed by the endpoint. */
  readonly id: string;
  /** Its own provider user. */
  readonly own: string;
  readonly city: string;
}

interface Snapshot {
  etag: string | null;
  body: any;
}

interface PreparedCall {
  /** The provider whose state the call may change (default: the fixture's). */
  readonly target?: string;
  send(token: string | undefined): Promise<ApiResponse>;
  check?(res: ApiResponse, before: Snapshot, after: Snapshot): Promise<void> | void;
}

interface MatrixRow {
  readonly endpoint: string;
  readonly expected: Readonly<Record<Caller, number>>;
  /** Whether a successful call changes the target provider (a refused one never may). */
  readonly writes: boolean;
  setup(fx: Fixture): Promise<(caller: Caller) => Promise<PreparedCall>>;
}

const READ = { none: 401, client: 404, other: 404, own: 200, operator: 200, admin: 200 } as const;
const STAFF_ONLY_WRITE = { none: 401, client: 404, other: 404, own: 403, operator: 200, admin: 200 } as const;
const isStaffCaller = (c: Caller) => c === 'operator' || c === 'admin';

const MATRIX: readonly MatrixRow[] = [
  {
    endpoint: 'POST /providers',
    // A provider user's company is already registered (the fixture's own, the demo's other): 409.
    expected: { none: 401, client: 403, other: 409, own: 409, operator: 201, admin: 201 },
    writes: false,
    setup: async () => {
      const city = uniqueCity('Cartago');
      const sharedNit = freshNit();
      return async (caller) => {
        const existing = await listAll(`city=${encodeURIComponent(city)}`);
        // Every refused call and the admin's use the same NIT: the admin's 201 proves no refusal claimed it.
        const body = providerBody({ nit: caller === 'operator' ? freshNit() : sharedNit, cities: [city] });
        return {
          send: (token) => api('POST', '/v1/providers', { token, body }),
          check: async (res) => {
            const now = await listAll(`city=${encodeURIComponent(city)}`);
            if (res.status !== 201) return expect(now).toEqual(existing);
            expect(res.body).toMatchObject({ status: 'PENDING_DOCUMENTS', nit: body.nit });
            expect(now.sort()).toEqual([...existing, res.body.id].sort());
          },
        };
      };
    },
  },
  {
    endpoint: 'GET /providers',
    expected: { none: 401, client: 403, other: 200, own: 200, operator: 200, admin: 200 },
    writes: false,
    setup: async (fx) => async (caller) => ({
      send: (token) =>
        api('GET', `/v1/providers${isStaffCaller(caller) ? `?city=${encodeURIComponent(fx.city)}` : ''}`, { token }),
      check: (res) => {
        if (res.status !== 200) return;
        const ids = res.body.items.map((p: { id: string }) => p.id);
        expect(ids).toEqual(caller === 'other' ? [DEMO.providerIds[1]] : [fx.id]);
      },
    }),
  },
  {
    endpoint: 'GET /providers/{id}',
    expected: READ,
    writes: false,
    setup: async (fx) => async () => ({
      send: (token) => api('GET', `/v1/providers/${fx.id}`, { token }),
      check: (res, before) => {
        if (res.status !== 200) return;
        expect(res.body).toEqual(before.body);
        expect(res.headers.get('etag')).toBe(before.etag);
      },
    }),
  },
  {
    endpoint: 'POST /providers/{id}/documents',
    expected: { none: 401, client: 404, other: 404, own: 201, operator: 201, admin: 201 },
    writes: true,
    setup: async (fx) => async () => ({
      send: (token) => requestUpload(fx.id, token, documentRequest('rut', pdf('matrix'))),
      check: (res, before, after) => {
        if (res.status !== 201) return;
        expect(res.body.document.status).toBe('AWAITING_UPLOAD');
        expect(typeof res.body.upload.url).toBe('string');
        expect(after.body.documents.map((d: { id: string }) => d.id)).toEqual([
          ...before.body.documents.map((d: { id: string }) => d.id),
          res.body.document.id,
        ]);
      },
    }),
  },
  {
    endpoint: 'GET /providers/{id}/documents',
    expected: READ,
    writes: false,
    setup: async (fx) => {
      const doc = await submitDocument(fx.id, fx.own);
      return async () => ({
        send: (token) => api('GET', `/v1/providers/${fx.id}/documents`, { token }),
        check: (res) => {
          if (res.status !== 200) return;
          expect(res.body.items).toEqual([
            expect.objectContaining({ id: doc.id, status: 'PENDING_REVIEW', downloadUrl: expect.any(String) }),
          ]);
        },
      });
    },
  },
  {
    endpoint: 'POST /providers/{id}/documents/{documentId}/confirm',
    expected: READ,
    writes: true,
    setup: async (fx) => async () => {
      const doc = await uploadDocument(fx.id, fx.own);
      return {
        send: (token) => confirm(fx.id, doc.id, token),
        check: (res, _before, after) =>
          expect(documentOf(after.body, doc.id).status).toBe(res.status === 200 ? 'PENDING_REVIEW' : 'AWAITING_UPLOAD'),
      };
    },
  },
  {
    endpoint: 'POST /providers/{id}/documents/{documentId}/review',
    expected: STAFF_ONLY_WRITE,
    writes: true,
    setup: async (fx) => async () => {
      const doc = await submitDocument(fx.id, fx.own);
      return {
        send: (token) =>
          api('POST', `/v1/providers/${fx.id}/documents/${doc.id}/review`, { token, body: { decision: 'approve' } }),
        check: (res, _before, after) =>
          expect(documentOf(after.body, doc.id).status).toBe(res.status === 200 ? 'APPROVED' : 'PENDING_REVIEW'),
      };
    },
  },
  {
    endpoint: 'POST /providers/{id}/actions/{action}',
    expected: STAFF_ONLY_WRITE,
    writes: true,
    setup: async (fx) => async (caller) => {
      // Staff reject a provider of their own each (a rejection is final); the refused callers try on the fixture.
      const target = isStaffCaller(caller) ? (await registerByOperator()).id : fx.id;
      return {
        target,
        send: (token) => api('POST', `/v1/providers/${target}/actions/reject`, { token, body: { reason: 'Documentos falsos' } }),
        check: (res, _before, after) => {
          expect(after.body.status).toBe(res.status === 200 ? 'REJECTED' : 'PENDING_DOCUMENTS');
          if (res.status === 200) expect(after.body.rejectionReason).toBe('Documentos falsos');
        },
      };
    },
  },
  {
    endpoint: 'GET /providers/{id}/scorecard',
    expected: READ,
    writes: false,
    setup: async (fx) => async () => ({
      send: (token) => api('GET', `/v1/providers/${fx.id}/scorecard`, { token }),
      check: (res) => {
        if (res.status === 200) expect(typeof res.body.score).toBe('number');
      },
    }),
  },
  {
    endpoint: 'GET /providers/{id}/invitations',
    expected: READ,
    writes: false,
    setup: async (fx) => async () => ({
      send: (token) => api('GET', `/v1/providers/${fx.id}/invitations`, { token }),
      check: (res) => {
        if (res.status === 200) expect(res.body.items).toEqual([]);
      },
    }),
  },
];

describe('role × tenant matrix', () => {
  const tokenOf = (caller: Caller, fx: Fixture): string | undefined =>
    ({
      none: undefined,
      client: tokens.client,
      other: otherProviderToken,
      own: fx.own,
      operator: tokens.operator,
      admin: tokens.admin,
    })[caller];

  it.each(MATRIX.map((row) => [row.endpoint, row] as const))('%s', async (_endpoint, row) => {
    const city = uniqueCity('Neiva');
    const { id, token } = await selfRegistered({ cities: [city] });
    const fx: Fixture = { id, own: token, city };
    const prepare = await row.setup(fx);
    for (const caller of CALLERS) {
      const label = `${row.endpoint} as ${caller}`;
      const call = await prepare(caller);
      const target = call.target ?? fx.id;
      const before = await readProvider(target);
      const res = await call.send(tokenOf(caller, fx));
      const expected = row.expected[caller];
      expectStatus(res, expected, label);
      const after = await readProvider(target);
      if (expected >= 400 || !row.writes) {
        expect(after.etag, `${label}: the provider must not change`).toBe(before.etag);
        expect(after.body, label).toEqual(before.body);
      } else {
        expect(after.etag, `${label}: the provider should have changed`).not.toBe(before.etag);
      }
      await call.check?.(res, before, after);
    }
  });
});

// ---- 6. listing ---------------------------------------------------------------------------------

describe('listing', () => {
  it('staff filter by status, category and city (case- and accent-insensitive), ordered by legal name', async () => {
    const city = uniqueCity('Popayán');
    const a = await registerByOperator({ legalName: 'Alfa Mantenimiento S.A.S.', categories: ['plumbing'], cities: [city] });
    const b = await registerByOperator({
      legalName: 'Beta Eléctricos S.A.S.',
      categories: ['electrical', 'hvac'],
      cities: ['Cali', city],
    });
    const c = await registerByOperator({ legalName: 'Gamma Limpieza S.A.S.', categories: ['cleaning'], cities: [city] });
    const rejected = await api('POST', `/v1/providers/${c.id}/actions/reject`, {
      token: tokens.operator,
      body: { reason: 'No cumple requisitos' },
    });
    expect(rejected.status, rejected.text).toBe(200);

    const spelled = city.replace('Popayán', 'POPAYAN');
    const q = (extra: string) => `city=${encodeURIComponent(spelled)}${extra}`;
    expect(await listAll(q(''))).toEqual([a.id, b.id, c.id]);
    expect(await listAll(q('&status=PENDING_DOCUMENTS'))).toEqual([a.id, b.id]);
    expect(await listAll(q('&status=REJECTED'))).toEqual([c.id]);
    expect(await listAll(q('&status=APPROVED'))).toEqual([]);
    expect(await listAll(q('&category=electrical'))).toEqual([b.id]);
    expect(await listAll(q('&category=plumbing&status=PENDING_DOCUMENTS'))).toEqual([a.id]);
    expect(await listAll(q('&category=civil'))).toEqual([]);

    // 'bogota' finds the providers in 'Bogotá' (the demo's two), and only providers covering it.
    const bogota = await api('GET', '/v1/providers?city=bogota&limit=100', { token: tokens.admin });
    expect(bogota.status).toBe(200);
    const ids = bogota.body.items.map((p: { id: string }) => p.id);
    expect(ids).toEqual(expect.arrayContaining([...DEMO.providerIds]));
    for (const p of bogota.body.items) expect(p.cities).toContain('Bogotá');
    expect(ids).not.toContain(a.id);
    const approvedInBogota = await listAll('city=BOGOTÁ&status=APPROVED&category=civil');
    expect(approvedInBogota).toEqual([DEMO.providerIds[1]]);
  });

  it('limit=1 pages through with continuation tokens, without duplicates or gaps', async () => {
    const city = uniqueCity('Ibagué');
    const registered: string[] = [];
    for (const name of ['Delta', 'Épsilon', 'Zeta']) {
      registered.push((await registerByOperator({ legalName: `${name} Servicios S.A.S.`, cities: [city] })).id);
    }
    const seen: string[] = [];
    let continuationToken: string | undefined;
    let pages = 0;
    do {
      const query = `city=${encodeURIComponent(city.toLowerCase())}&limit=1${
        continuationToken ? `&continuationToken=${encodeURIComponent(continuationToken)}` : ''
      }`;
      const page = await api('GET', `/v1/providers?${query}`, { token: tokens.operator });
      expect(page.status, page.text).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(1);
      if (pages === 0) expect(typeof page.body.continuationToken).toBe('string');
      seen.push(...page.body.items.map((p: { id: string }) => p.id));
      continuationToken = page.body.continuationToken;
      pages++;
    } while (continuationToken && pages < 10);
    expect(continuationToken).toBeUndefined();
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(await listAll(`city=${encodeURIComponent(city)}`));
    expect([...seen].sort()).toEqual([...registered].sort());
  });

  it('a provider user lists only its own provider, filters applied', async () => {
    const own = async (query: string) => {
      const res = await api('GET', `/v1/providers${query}`, { token: tokens.provider });
      expect(res.status, res.text).toBe(200);
      expect(res.body.continuationToken).toBeUndefined();
      return res.body.items.map((p: { id: string }) => p.id);
    };
    expect(await own('')).toEqual([DEMO.providerIds[0]]);
    expect(await own('?city=medellin&status=APPROVED&category=hvac')).toEqual([DEMO.providerIds[0]]);
    expect(await own('?city=Cali')).toEqual([]);
    expect(await own('?status=SUSPENDED')).toEqual([]);
    expect(await own('?category=plumbing')).toEqual([]);
  });
});

// ---- 7. scorecard and invitations ---------------------------------------------------------------

describe('scorecard and invitations', () => {
  it('a new provider’s own user sees a scorecard with a numeric score and null rates, and no invitations', async () => {
    const { id, token } = await selfRegistered();
    const scorecard = await api('GET', `/v1/providers/${id}/scorecard`, { token });
    expect(scorecard.status, scorecard.text).toBe(200);
    expect(scorecard.body).toEqual({
      ordersCompleted: 0,
      onSiteOnTimeRate: null,
      resolveOnTimeRate: null,
      averageRating: null,
      ratings: 0,
      quotesSubmitted: 0,
      quoteWinRate: null,
      reworkRate: null,
      score: expect.any(Number),
    });
    expect(Number.isFinite(scorecard.body.score)).toBe(true);

    const invitations = await api('GET', `/v1/providers/${id}/invitations`, { token });
    expect(invitations.status, invitations.text).toBe(200);
    expect(invitations.body.items).toEqual([]);
    expect(invitations.body.continuationToken).toBeUndefined();
  });
});
