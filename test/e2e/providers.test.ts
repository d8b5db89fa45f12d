import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevIssuer, type DevIssuer } from '../../local/dev-issuer';
import { DEMO } from '../../local/seed';
import { ulid } from '../../shared/platform/ids';
import type { paths } from '../../client';
import { startTestStack, typedClients, type TypedClients } from '../support/stack';
import { pdf, PNG, putFile } from '../support/files';

/**
 * The Providers API over real HTTP on the local stack (embedded Cosmos, Azurite, dev tokens):
 * onboarding with real uploads to SAS URLs, the upload checks, refused input, self-registration,
 * the role × tenant matrix of every endpoint, listing and the scorecard.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let as: TypedClients;
let tokens: typeof stack.tokens;
let issuer: DevIssuer;
/** A provider user of the second demo provider: "another provider" for every fixture here. */
let otherProviderToken: string;
/** The `provider-documents` container, read directly to see whether a blob exists. */
let documentBlobs: ContainerClient;

beforeAll(async () => {
  stack = await startTestStack();
  as = typedClients(stack.url);
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

type ProviderCreateBody = paths['/api/v1/providers']['post']['requestBody']['content']['application/json'];
type DocumentRequestBody =
  paths['/api/v1/providers/{providerId}/documents']['post']['requestBody']['content']['application/json'];
type DocumentType = DocumentRequestBody['type'];
type ProviderAction = paths['/api/v1/providers/{providerId}/actions/{action}']['post']['parameters']['path']['action'];
type ProvidersQuery = NonNullable<paths['/api/v1/providers']['get']['parameters']['query']>;
type Provider = NonNullable<Awaited<ReturnType<typeof getProvider>>['data']>;

let nameSeq = 0;
function providerBody(extra: Partial<ProviderCreateBody> = {}): ProviderCreateBody {
  return {
    legalName: `Servicios E2E ${++nameSeq} S.A.S.`,
    nit: freshNit(),
    contacts: { email: 'contacto@e2e.algesta.test', whatsapp: '+573001234567', name: 'Contacto E2E' },
    categories: ['plumbing'],
    cities: ['Cali'],
    ...extra,
  };
}

/** A typed call's answer, as openapi-fetch returns it. */
type Answer = { data?: unknown; error?: unknown; response: Response };
/** What the answer said, for assertion messages. */
const textOf = (res: Answer) => JSON.stringify(res.error ?? res.data);
/**
 * A problem's members beyond `type` and `status`, read untyped as before: its extension members
 * (`documentTypes`, `allowedActions`, `documentStatus`), which the document does not list for these
 * problems, and `errors`, which not every problem an operation may answer has.
 */
const extensionsOf = (res: Answer) => res.error as Record<string, any>;

function expectProblem(res: Answer, status: number, label = '') {
  expect(res.response.status, `${label} ${textOf(res)}`).toBe(status);
  expect(res.response.headers.get('content-type'), label).toContain('application/problem+json');
  const problem = res.error as { type?: string; status?: number } | undefined;
  expect(problem?.type, label).toBe(PROBLEM + PROBLEM_TYPES[status]);
  expect(problem?.status, label).toBe(status);
}

function expectStatus(res: Answer, status: number, label = '') {
  if (status >= 400) expectProblem(res, status, label);
  else expect(res.response.status, `${label} ${textOf(res)}`).toBe(status);
}

// The typed calls: one per operation of the Providers API. `token` undefined: an anonymous call.
const register = (token: string | undefined, body: ProviderCreateBody) => as(token).POST('/api/v1/providers', { body });
const getProvider = (providerId: string, token: string | undefined) =>
  as(token).GET('/api/v1/providers/{providerId}', { params: { path: { providerId } } });
const listProviders = (token: string | undefined, query: ProvidersQuery = {}) =>
  as(token).GET('/api/v1/providers', { params: { query } });
const listDocuments = (providerId: string, token: string | undefined) =>
  as(token).GET('/api/v1/providers/{providerId}/documents', { params: { path: { providerId } } });
const reviewDocument = (providerId: string, documentId: string, token: string | undefined, decision: 'approve' | 'reject') =>
  as(token).POST('/api/v1/providers/{providerId}/documents/{documentId}/review', {
    params: { path: { providerId, documentId } },
    body: { decision },
  });
/** A provider action (`approve`, `reject`, `suspend`, `reinstate`): one operation, the action a path parameter. */
const act = (providerId: string, action: ProviderAction, token: string | undefined, body: { reason?: string } = {}) =>
  as(token).POST('/api/v1/providers/{providerId}/actions/{action}', { params: { path: { providerId, action } }, body });
const scorecardOf = (providerId: string, token: string | undefined) =>
  as(token).GET('/api/v1/providers/{providerId}/scorecard', { params: { path: { providerId } } });
const invitationsOf = (providerId: string, token: string | undefined) =>
  as(token).GET('/api/v1/providers/{providerId}/invitations', { params: { path: { providerId } } });

/** The provider as staff see it, with its ETag. */
async function readProvider(id: string): Promise<{ etag: string | null; body: Provider }> {
  const res = await getProvider(id, tokens.operator);
  expect(res.response.status, textOf(res)).toBe(200);
  return { etag: res.response.headers.get('etag'), body: res.data! };
}

const documentOf = (provider: { documents: Provider['documents'] }, documentId: string) =>
  provider.documents.find((d) => d.id === documentId)!;

async function registerByOperator(extra: Partial<ProviderCreateBody> = {}) {
  const body = providerBody(extra);
  const res = await register(tokens.operator, body);
  expect(res.response.status, textOf(res)).toBe(201);
  return { id: res.data!.id, body, res };
}

/** A provider user whose company is not registered yet registers it; returns the id and the user's token. */
async function selfRegistered(extra: Partial<ProviderCreateBody> = {}): Promise<{ id: string; token: string }> {
  const id = `prv_${ulid()}`;
  const token = await mintProvider(id);
  const res = await register(token, providerBody(extra));
  expect(res.response.status, textOf(res)).toBe(201);
  expect(res.data!.id).toBe(id);
  return { id, token };
}

function requestUpload(providerId: string, token: string | undefined, body: DocumentRequestBody) {
  return as(token).POST('/api/v1/providers/{providerId}/documents', { params: { path: { providerId } }, body });
}

function documentRequest(type: DocumentType, bytes: Buffer, extra: Partial<DocumentRequestBody> = {}): DocumentRequestBody {
  return { type, fileName: `${type}.pdf`, contentType: 'application/pdf', size: bytes.length, ...datesFor(type), ...extra };
}

/** Announces a document and uploads its file (not confirmed); returns the document. */
async function uploadDocument(providerId: string, token: string, type: DocumentType = 'rut', bytes = pdf(type)) {
  const req = await requestUpload(providerId, token, documentRequest(type, bytes));
  expect(req.response.status, textOf(req)).toBe(201);
  expect(await putFile(req.data!.upload, bytes)).toBe(201);
  return req.data!.document;
}

function confirm(providerId: string, documentId: string, token: string | undefined) {
  return as(token).POST('/api/v1/providers/{providerId}/documents/{documentId}/confirm', {
    params: { path: { providerId, documentId } },
  });
}

/** Uploads and confirms a document; it is then PENDING_REVIEW. */
async function submitDocument(providerId: string, token: string, type: DocumentType = 'rut') {
  const doc = await uploadDocument(providerId, token, type);
  const res = await confirm(providerId, doc.id, token);
  expect(res.response.status, textOf(res)).toBe(200);
  expect(documentOf(res.data!, doc.id).status).toBe('PENDING_REVIEW');
  return doc;
}

const blobExists = (blobName: string) => documentBlobs.getBlobClient(blobName).exists();

async function listAll(query: ProvidersQuery, token = tokens.operator): Promise<string[]> {
  const res = await listProviders(token, { limit: 100, ...query });
  expect(res.response.status, textOf(res)).toBe(200);
  expect(res.data!.continuationToken).toBeUndefined();
  return res.data!.items.map((p) => p.id);
}

// ---- 1. onboarding ------------------------------------------------------------------------------

describe('onboarding', () => {
  it('register → upload and confirm every required document → review → approve → suspend → reinstate', async () => {
    const { id, body, res: created } = await registerByOperator({ categories: ['plumbing'], cities: ['Cali'] });
    expect(id).toMatch(ULID_ID);
    expect(created.data).toMatchObject({
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
    expect(created.response.headers.get('location')).toBe(`/api/v1/providers/${id}`);
    const etag = created.response.headers.get('etag');
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
      expect(req.response.status, textOf(req)).toBe(201);
      expect(req.data!.document).toMatchObject({
        type,
        status: 'AWAITING_UPLOAD',
        contentType: 'application/pdf',
        size: bytes.length,
        ...datesFor(type),
      });
      expect(req.data!.upload).toMatchObject({
        method: 'PUT',
        headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'application/pdf' },
      });
      expect(Date.parse(req.data!.upload.expiresAt)).toBeGreaterThan(Date.now());
      const documentId: string = req.data!.document.id;
      documentIds.set(type, documentId);
      expect(await putFile(req.data!.upload, bytes)).toBe(201);
      const confirmed = await confirm(id, documentId, own);
      expect(confirmed.response.status, textOf(confirmed)).toBe(200);
      expect(documentOf(confirmed.data!, documentId).status).toBe('PENDING_REVIEW');
      expect(confirmed.data!.status).toBe(i < REQUIRED.length - 1 ? 'PENDING_DOCUMENTS' : 'UNDER_REVIEW');
    }
    const underReview = await readProvider(id);
    expect(underReview.body.status).toBe('UNDER_REVIEW');
    expect(underReview.body.allowedActions).toEqual(['approve', 'reject']);

    // Approving before the documents are reviewed: the guard lists every unapproved required type.
    const early = await act(id, 'approve', tokens.operator);
    expectProblem(early, 409);
    expect([...extensionsOf(early).documentTypes].sort()).toEqual([...REQUIRED].sort());
    expect(await readProvider(id)).toEqual(underReview);

    for (const type of REQUIRED) {
      const documentId = documentIds.get(type) as string;
      const reviewed = await reviewDocument(id, documentId, tokens.operator, 'approve');
      expect(reviewed.response.status, textOf(reviewed)).toBe(200);
      expect(documentOf(reviewed.data!, documentId)).toMatchObject({ status: 'APPROVED', reviewedBy: DEMO.users.operator });
      expect(reviewed.data!.status).toBe('UNDER_REVIEW');
    }

    const approved = await act(id, 'approve', tokens.admin);
    expect(approved.response.status, textOf(approved)).toBe(200);
    expect(approved.data!.status).toBe('APPROVED');
    expect(approved.data!.allowedActions).toEqual(['suspend']);

    // Every document downloads, byte for byte, through its read-only URL.
    const listed = await listDocuments(id, own);
    expect(listed.response.status, textOf(listed)).toBe(200);
    expect(listed.data!.items).toHaveLength(REQUIRED.length);
    for (const doc of listed.data!.items) {
      expect(doc.status).toBe('APPROVED');
      expect(typeof doc.downloadUrl).toBe('string');
      expect(Date.parse(doc.downloadUrlExpiresAt!)).toBeGreaterThan(Date.now());
      const download = await fetch(doc.downloadUrl!);
      expect(download.status).toBe(200);
      expect(Buffer.from(await download.arrayBuffer()).equals(files.get(doc.type) as Buffer)).toBe(true);
    }

    // Suspending needs a reason.
    const before = await readProvider(id);
    const noReason = await act(id, 'suspend', tokens.operator);
    expectProblem(noReason, 422);
    expect(extensionsOf(noReason).errors).toEqual([expect.objectContaining({ pointer: '/body/reason' })]);
    expect(await readProvider(id)).toEqual(before);

    const suspended = await act(id, 'suspend', tokens.operator, { reason: 'Queja grave del cliente' });
    expect(suspended.response.status, textOf(suspended)).toBe(200);
    expect(suspended.data!.status).toBe('SUSPENDED');
    expect(suspended.data!.suspension).toMatchObject({ automatic: false, reason: 'Queja grave del cliente' });
    expect(suspended.data!.allowedActions).toEqual(['reinstate']);

    const reinstated = await act(id, 'reinstate', tokens.operator);
    expect(reinstated.response.status, textOf(reinstated)).toBe(200);
    expect(reinstated.data!.status).toBe('APPROVED');
    expect(reinstated.data!.suspension).toBeUndefined();

    // An action the status does not allow: 409 with what is allowed.
    const afterReinstate = await readProvider(id);
    const illegal = await act(id, 'approve', tokens.operator);
    expectProblem(illegal, 409);
    expect(extensionsOf(illegal).allowedActions).toEqual(['suspend']);
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
    expect(req.response.status, textOf(req)).toBe(201);
    const doc = req.data!.document;
    expect(await putFile(req.data!.upload, PNG)).toBe(201);
    expect(await blobExists(doc.blobName)).toBe(true);

    const res = await confirm(id, doc.id, token);
    expectProblem(res, 422);
    expect(extensionsOf(res).errors).toEqual([{ pointer: '/body/file', detail: expect.stringContaining('image/png') }]);

    const provider = await readProvider(id);
    expect(provider.body.status).toBe('PENDING_DOCUMENTS');
    expect(documentOf(provider.body, doc.id)).toMatchObject({
      status: 'REJECTED',
      uploadRejected: true,
      rejectionReason: expect.stringContaining('image/png'),
    });
    const listed = await listDocuments(id, token);
    expect(listed.response.status).toBe(200);
    const item = listed.data!.items.find((d) => d.id === doc.id)!;
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
    expect(req.response.status, textOf(req)).toBe(201);
    const doc = req.data!.document;
    expect(await putFile(req.data!.upload, bytes)).toBe(201);
    expect(await blobExists(doc.blobName)).toBe(true);

    const res = await confirm(id, doc.id, token);
    expectProblem(res, 422);
    expect(extensionsOf(res).errors).toEqual([
      { pointer: '/body/file', detail: expect.stringContaining(`${bytes.length} bytes`) },
    ]);
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
    expect(req.response.status, textOf(req)).toBe(201);
    const documentId: string = req.data!.document.id;
    const before = await readProvider(id);

    const early = await confirm(id, documentId, token);
    expectProblem(early, 409);
    expect(extensionsOf(early).documentStatus).toBe('AWAITING_UPLOAD');
    const after = await readProvider(id);
    expect(after).toEqual(before);
    expect(documentOf(after.body, documentId).status).toBe('AWAITING_UPLOAD');

    expect(await putFile(req.data!.upload, bytes)).toBe(201);
    const ok = await confirm(id, documentId, token);
    expect(ok.response.status, textOf(ok)).toBe(200);
    expect(documentOf(ok.data!, documentId).status).toBe('PENDING_REVIEW');
  });

  it('a disallowed content type or a file over 20 MB is refused when requested (422), and no document is added', async () => {
    const { id, token } = await selfRegistered();
    const before = await readProvider(id);

    const text = await requestUpload(id, token, { type: 'rut', fileName: 'rut.txt', contentType: 'text/plain', size: 100 });
    expectProblem(text, 422);
    expect(extensionsOf(text).errors).toEqual([expect.objectContaining({ pointer: '/body/contentType' })]);

    const huge = await requestUpload(id, token, {
      type: 'rut',
      fileName: 'rut.pdf',
      contentType: 'application/pdf',
      size: 20 * 1024 * 1024 + 1,
    });
    expectProblem(huge, 422);
    expect(extensionsOf(huge).errors).toEqual([expect.objectContaining({ pointer: '/body/size' })]);

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
    expect(extensionsOf(old).errors).toEqual([expect.objectContaining({ pointer: '/body/issuedAt' })]);

    const expired = await requestUpload(
      id,
      token,
      documentRequest('insurance-policy', pdf('pol'), { expiresAt: colombiaDay(-1) }),
    );
    expectProblem(expired, 422);
    expect(extensionsOf(expired).errors).toEqual([expect.objectContaining({ pointer: '/body/expiresAt' })]);

    expect(await readProvider(id)).toEqual(before);
    // The same documents with acceptable dates are taken.
    expect((await requestUpload(id, token, documentRequest('chamber-of-commerce', pdf('ccc')))).response.status).toBe(201);
    expect((await requestUpload(id, token, documentRequest('insurance-policy', pdf('pol')))).response.status).toBe(201);
  });
});

// ---- 3. bad input changes nothing ---------------------------------------------------------------

describe('refused registrations change nothing', () => {
  it('an invalid NIT check digit: 422 on nit, and no provider is created', async () => {
    const city = uniqueCity('Palmira');
    const res = await register(tokens.operator, providerBody({ nit: '800197268-5', cities: [city] }));
    expectProblem(res, 422);
    expect(extensionsOf(res).errors).toEqual([{ pointer: '/body/nit', detail: expect.stringContaining('check digit') }]);
    expect(await listAll({ city })).toEqual([]);

    // The correct check digit (dotted form) is accepted and stored canonically, and the list sees it.
    const ok = await register(tokens.operator, providerBody({ nit: '800.197.268-4', cities: [city] }));
    expect(ok.response.status, textOf(ok)).toBe(201);
    expect(ok.data!.nit).toBe('800197268-4');
    expect(await listAll({ city })).toEqual([ok.data!.id]);
  });

  it('a duplicate NIT (in another spelling): 409, the first provider unchanged and no second one', async () => {
    const first = await registerByOperator({ nit: '890903938-8', cities: [uniqueCity('Buga')] });
    const before = await readProvider(first.id);
    const city = uniqueCity('Tuluá');
    const dup = await register(
      tokens.admin,
      providerBody({ nit: '890.903.938-8', legalName: 'Otra Razón Social S.A.S.', cities: [city] }),
    );
    expectProblem(dup, 409);
    expect(await readProvider(first.id)).toEqual(before);
    expect(await listAll({ city })).toEqual([]);
  });
});

// ---- 4. self-registration -----------------------------------------------------------------------

describe('self-registration', () => {
  it('a provider user registers its own company once (id = its claim); again is 409; a client is 403', async () => {
    const providerId = `prv_${ulid()}`;
    const sub = `usr-e2e-self-${ulid().toLowerCase()}`;
    const token = await mintProvider(providerId, sub);
    expectProblem(await getProvider(providerId, token), 404);

    const first = await register(token, providerBody());
    expect(first.response.status, textOf(first)).toBe(201);
    expect(first.data).toMatchObject({ id: providerId, status: 'PENDING_DOCUMENTS', createdBy: sub });
    expect(first.response.headers.get('location')).toBe(`/api/v1/providers/${providerId}`);
    const mine = await getProvider(providerId, token);
    expect(mine.response.status).toBe(200);
    expect(mine.data!.id).toBe(providerId);
    const before = await readProvider(providerId);

    const secondNit = freshNit();
    const second = await register(token, providerBody({ nit: secondNit }));
    expectProblem(second, 409);
    expect(await readProvider(providerId)).toEqual(before);

    const city = uniqueCity('Jamundí');
    expectProblem(await register(tokens.client, providerBody({ cities: [city] })), 403);
    expect(await listAll({ city })).toEqual([]);

    // The refused second registration claimed nothing: its NIT is still free.
    expect((await register(tokens.operator, providerBody({ nit: secondNit }))).response.status).toBe(201);
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
  body: Provider;
}

/** A typed call's answer for the matrix's checks, which read what the endpoint answered. */
type ResultOf<F extends (...args: never[]) => Promise<Answer>> = Awaited<ReturnType<F>>;

interface PreparedCall {
  /** The provider whose state the call may change (default: the fixture's). */
  readonly target?: string;
  send(token: string | undefined): Promise<Answer>;
  check?(res: Answer, before: Snapshot, after: Snapshot): Promise<void> | void;
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
        const existing = await listAll({ city });
        // Every refused call and the admin's use the same NIT: the admin's 201 proves no refusal claimed it.
        const body = providerBody({ nit: caller === 'operator' ? freshNit() : sharedNit, cities: [city] });
        return {
          send: (token) => register(token, body),
          check: async (res: ResultOf<typeof register>) => {
            const now = await listAll({ city });
            if (res.response.status !== 201) return expect(now).toEqual(existing);
            expect(res.data).toMatchObject({ status: 'PENDING_DOCUMENTS', nit: body.nit });
            expect(now.sort()).toEqual([...existing, res.data!.id].sort());
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
      send: (token) => listProviders(token, isStaffCaller(caller) ? { city: fx.city } : {}),
      check: (res: ResultOf<typeof listProviders>) => {
        if (res.response.status !== 200) return;
        const ids = res.data!.items.map((p) => p.id);
        expect(ids).toEqual(caller === 'other' ? [DEMO.providerIds[1]] : [fx.id]);
      },
    }),
  },
  {
    endpoint: 'GET /providers/{id}',
    expected: READ,
    writes: false,
    setup: async (fx) => async () => ({
      send: (token) => getProvider(fx.id, token),
      check: (res: ResultOf<typeof getProvider>, before) => {
        if (res.response.status !== 200) return;
        expect(res.data).toEqual(before.body);
        expect(res.response.headers.get('etag')).toBe(before.etag);
      },
    }),
  },
  {
    endpoint: 'POST /providers/{id}/documents',
    expected: { none: 401, client: 404, other: 404, own: 201, operator: 201, admin: 201 },
    writes: true,
    setup: async (fx) => async () => ({
      send: (token) => requestUpload(fx.id, token, documentRequest('rut', pdf('matrix'))),
      check: (res: ResultOf<typeof requestUpload>, before, after) => {
        if (res.response.status !== 201) return;
        expect(res.data!.document.status).toBe('AWAITING_UPLOAD');
        expect(typeof res.data!.upload.url).toBe('string');
        expect(after.body.documents.map((d) => d.id)).toEqual([...before.body.documents.map((d) => d.id), res.data!.document.id]);
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
        send: (token) => listDocuments(fx.id, token),
        check: (res: ResultOf<typeof listDocuments>) => {
          if (res.response.status !== 200) return;
          expect(res.data!.items).toEqual([
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
        check: (res: ResultOf<typeof confirm>, _before, after) =>
          expect(documentOf(after.body, doc.id).status).toBe(res.response.status === 200 ? 'PENDING_REVIEW' : 'AWAITING_UPLOAD'),
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
        send: (token) => reviewDocument(fx.id, doc.id, token, 'approve'),
        check: (res: ResultOf<typeof reviewDocument>, _before, after) =>
          expect(documentOf(after.body, doc.id).status).toBe(res.response.status === 200 ? 'APPROVED' : 'PENDING_REVIEW'),
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
        send: (token) => act(target, 'reject', token, { reason: 'Documentos falsos' }),
        check: (res: ResultOf<typeof act>, _before, after) => {
          expect(after.body.status).toBe(res.response.status === 200 ? 'REJECTED' : 'PENDING_DOCUMENTS');
          if (res.response.status === 200) expect(after.body.rejectionReason).toBe('Documentos falsos');
        },
      };
    },
  },
  {
    endpoint: 'GET /providers/{id}/scorecard',
    expected: READ,
    writes: false,
    setup: async (fx) => async () => ({
      send: (token) => scorecardOf(fx.id, token),
      check: (res: ResultOf<typeof scorecardOf>) => {
        if (res.response.status === 200) expect(typeof res.data!.score).toBe('number');
      },
    }),
  },
  {
    endpoint: 'GET /providers/{id}/invitations',
    expected: READ,
    writes: false,
    setup: async (fx) => async () => ({
      send: (token) => invitationsOf(fx.id, token),
      check: (res: ResultOf<typeof invitationsOf>) => {
        if (res.response.status === 200) expect(res.data!.items).toEqual([]);
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
    const rejected = await act(c.id, 'reject', tokens.operator, { reason: 'No cumple requisitos' });
    expect(rejected.response.status, textOf(rejected)).toBe(200);

    const spelled = city.replace('Popayán', 'POPAYAN');
    const q = (extra: ProvidersQuery) => ({ city: spelled, ...extra });
    expect(await listAll(q({}))).toEqual([a.id, b.id, c.id]);
    expect(await listAll(q({ status: 'PENDING_DOCUMENTS' }))).toEqual([a.id, b.id]);
    expect(await listAll(q({ status: 'REJECTED' }))).toEqual([c.id]);
    expect(await listAll(q({ status: 'APPROVED' }))).toEqual([]);
    expect(await listAll(q({ category: 'electrical' }))).toEqual([b.id]);
    expect(await listAll(q({ category: 'plumbing', status: 'PENDING_DOCUMENTS' }))).toEqual([a.id]);
    expect(await listAll(q({ category: 'civil' }))).toEqual([]);

    // 'bogota' finds the providers in 'Bogotá' (the demo's two), and only providers covering it.
    const bogota = await listProviders(tokens.admin, { city: 'bogota', limit: 100 });
    expect(bogota.response.status).toBe(200);
    const ids = bogota.data!.items.map((p) => p.id);
    expect(ids).toEqual(expect.arrayContaining([...DEMO.providerIds]));
    for (const p of bogota.data!.items) expect(p.cities).toContain('Bogotá');
    expect(ids).not.toContain(a.id);
    const approvedInBogota = await listAll({ city: 'BOGOTÁ', status: 'APPROVED', category: 'civil' });
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
      const page = await listProviders(tokens.operator, {
        city: city.toLowerCase(),
        limit: 1,
        ...(continuationToken ? { continuationToken } : {}),
      });
      expect(page.response.status, textOf(page)).toBe(200);
      expect(page.data!.items.length).toBeLessThanOrEqual(1);
      if (pages === 0) expect(typeof page.data!.continuationToken).toBe('string');
      seen.push(...page.data!.items.map((p) => p.id));
      continuationToken = page.data!.continuationToken;
      pages++;
    } while (continuationToken && pages < 10);
    expect(continuationToken).toBeUndefined();
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(await listAll({ city }));
    expect([...seen].sort()).toEqual([...registered].sort());
  });

  it('a provider user lists only its own provider, filters applied', async () => {
    const own = async (query: ProvidersQuery) => {
      const res = await listProviders(tokens.provider, query);
      expect(res.response.status, textOf(res)).toBe(200);
      expect(res.data!.continuationToken).toBeUndefined();
      return res.data!.items.map((p) => p.id);
    };
    expect(await own({})).toEqual([DEMO.providerIds[0]]);
    expect(await own({ city: 'medellin', status: 'APPROVED', category: 'hvac' })).toEqual([DEMO.providerIds[0]]);
    expect(await own({ city: 'Cali' })).toEqual([]);
    expect(await own({ status: 'SUSPENDED' })).toEqual([]);
    expect(await own({ category: 'plumbing' })).toEqual([]);
  });
});

// ---- 7. scorecard and invitations ---------------------------------------------------------------

describe('scorecard and invitations', () => {
  it('a new provider’s own user sees a scorecard with a numeric score and null rates, and no invitations', async () => {
    const { id, token } = await selfRegistered();
    const scorecard = await scorecardOf(id, token);
    expect(scorecard.response.status, textOf(scorecard)).toBe(200);
    expect(scorecard.data).toEqual({
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
    expect(Number.isFinite(scorecard.data!.score)).toBe(true);

    const invitations = await invitationsOf(id, token);
    expect(invitations.response.status, textOf(invitations)).toBe(200);
    expect(invitations.data!.items).toEqual([]);
    expect(invitations.data!.continuationToken).toBeUndefined();
  });
});
