import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../shared/domain/access/principal';
import { addDays, colombiaDate } from '../../shared/domain/providers/documents';
import type { Provider } from '../../shared/domain/providers/provider';
import type { CallContext } from '../../shared/application/context';
import {
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  PreconditionFailedError,
} from '../../shared/application/errors';
import {
  checkProviderCompliance,
  confirmUpload,
  findEligibleProviders,
  listDocuments,
  listInvitations,
  listProviders,
  performProviderAction,
  recordInvitations,
  recordOrderOutcome,
  registerProvider,
  requestDocumentUpload,
  reviewDocument,
  sweepCompliance,
  type ProviderDeps,
} from '../../shared/application/providers/providers';
import { MemoryFiles, MemoryProviders, sequentialIds } from '../support/memory';

/**
 * The provider use cases with in-memory ports and a clock the test moves: scope, the upload check
 * and what it does to storage, the compliance watch over weeks, scorecard and invitation handlers.
 */
const PDF = new TextEncoder().encode('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n');
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1]);

function setup(start = '2026-06-01T15:00:00.000Z') {
  let now = new Date(start);
  const providers = new MemoryProviders();
  const files = new MemoryFiles();
  const deps: ProviderDeps = { providers, files, clock: { now: () => now }, ids: sequentialIds() };
  const call = (principal: Principal): CallContext => ({ principal, correlationId: 'corr-1' });
  return {
    deps,
    providers,
    files,
    call,
    operator: call({ userId: 'u-op', role: 'operator' }),
    client: call({ userId: 'u-cli', role: 'client', clientId: 'cli_1' }),
    providerUser: (providerId: string) => call({ userId: `u-${providerId}`, role: 'provider', providerId }),
    setNow: (iso: string) => (now = new Date(iso)),
    today: () => colombiaDate(now),
  };
}

type World = ReturnType<typeof setup>;

async function register(w: World, nit = '800197268-4'): Promise<Provider> {
  const p = await registerProvider(w.deps, w.operator, {
    legalName: 'Frío S.A.S.',
    nit,
    contacts: { email: 'a@frio.co' },
    categories: ['hvac'],
    cities: ['Bogotá'],
  });
  return p.value;
}

/** Announces, uploads (the bytes a browser would PUT) and confirms a document; returns its id. */
async function upload(
  w: World,
  providerId: string,
  type: 'rut' | 'chamber-of-commerce' | 'insurance-policy' | 'bank-certificate',
  extra: { expiresAt?: string } = {},
) {
  const dates =
    type === 'chamber-of-commerce'
      ? { issuedAt: addDays(w.today(), -5) }
      : type === 'insurance-policy'
        ? { expiresAt: extra.expiresAt ?? addDays(w.today(), 365) }
        : {};
  const r = await requestDocumentUpload(w.deps, w.operator, providerId, {
    type,
    fileName: `${type}.pdf`,
    contentType: 'application/pdf',
    size: PDF.length,
    ...dates,
  });
  w.files.put('provider-documents', r.document.blobName, PDF, 'application/pdf');
  await confirmUpload(w.deps, w.operator, providerId, r.document.id);
  return r.document.id;
}

async function approvedProvider(w: World, insuranceExpiry?: string): Promise<Provider> {
  const p = await register(w);
  const ids = [
    await upload(w, p.id, 'rut'),
    await upload(w, p.id, 'chamber-of-commerce'),
    await upload(w, p.id, 'insurance-policy', insuranceExpiry ? { expiresAt: insuranceExpiry } : {}),
    await upload(w, p.id, 'bank-certificate'),
  ];
  for (const id of ids) await reviewDocument(w.deps, w.operator, p.id, id, { decision: 'approve' });
  return (await performProviderAction(w.deps, w.operator, p.id, 'approve')).value;
}

describe('provider registration and scope', () => {
  it('refuses an invalid NIT and a duplicate one, writing nothing', async () => {
    const w = setup();
    await expect(
      registerProvider(w.deps, w.operator, {
        legalName: 'X',
        nit: '800197268-5',
        contacts: { email: 'x@y.co' },
        categories: ['hvac'],
        cities: ['Cali'],
      }),
    ).rejects.toBeInstanceOf(InvalidInputError);
    expect(w.providers.providers.size).toBe(0);
    await register(w);
    await expect(register(w, '800.197.268-4')).rejects.toBeInstanceOf(ConflictError);
    expect(w.providers.providers.size).toBe(1);
    expect(w.providers.events.map((e) => e.type)).toEqual(['provider.registered']);
  });

  it('a provider user registers its own company under its token’s id, once; a client may not register', async () => {
    const w = setup();
    const own = w.providerUser('prv_SELF');
    const p = await registerProvider(w.deps, own, {
      legalName: 'Yo',
      nit: '890903938-8',
      contacts: { email: 'y@o.co' },
      categories: ['it'],
      cities: ['Cali'],
    });
    expect(p.value.id).toBe('prv_SELF');
    await expect(
      registerProvider(w.deps, own, {
        legalName: 'Yo',
        nit: '899999068-1',
        contacts: { email: 'y@o.co' },
        categories: ['it'],
        cities: ['Cali'],
      }),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(
      registerProvider(w.deps, w.client, {
        legalName: 'C',
        nit: '899999068-1',
        contacts: { email: 'c@c.co' },
        categories: ['it'],
        cities: ['Cali'],
      }),
    ).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('another provider’s data is not found; a client cannot list providers', async () => {
    const w = setup();
    const p = await register(w);
    await expect(listDocuments(w.deps, w.providerUser('prv_OTHER'), p.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(listProviders(w.deps, w.client, {}, { limit: 10 })).rejects.toBeInstanceOf(ForbiddenError);
    expect((await listProviders(w.deps, w.providerUser(p.id), {}, { limit: 10 })).items.map((x) => x.id)).toEqual([p.id]);
    expect((await listProviders(w.deps, w.providerUser('prv_OTHER'), {}, { limit: 10 })).items).toEqual([]);
  });
});

describe('document uploads', () => {
  it('an upload whose real type differs from the declared one is rejected and its blob deleted', async () => {
    const w = setup();
    const p = await register(w);
    const r = await requestDocumentUpload(w.deps, w.operator, p.id, {
      type: 'rut',
      fileName: 'rut.pdf',
      contentType: 'application/pdf',
      size: PNG.length,
    });
    w.files.put('provider-documents', r.document.blobName, PNG, 'application/pdf');
    await expect(confirmUpload(w.deps, w.operator, p.id, r.document.id)).rejects.toThrow(/image\/png/);
    expect(w.files.blobs.size).toBe(0);
    const doc = (await w.deps.providers.get(p.id))!.value.documents[0]!;
    expect(doc).toMatchObject({ status: 'REJECTED', rejectionReason: expect.stringMatching(/image\/png/) });
    expect((await listDocuments(w.deps, w.operator, p.id))[0]?.downloadUrl).toBeUndefined();
  });

  it('a size different from the declared one is rejected; a confirmation before any upload changes nothing', async () => {
    const w = setup();
    const p = await register(w);
    const r = await requestDocumentUpload(w.deps, w.operator, p.id, {
      type: 'rut',
      fileName: 'rut.pdf',
      contentType: 'application/pdf',
      size: PDF.length + 1,
    });
    const before = await w.deps.providers.get(p.id);
    await expect(confirmUpload(w.deps, w.operator, p.id, r.document.id)).rejects.toBeInstanceOf(ConflictError);
    expect((await w.deps.providers.get(p.id))!.etag).toBe(before!.etag);
    w.files.put('provider-documents', r.document.blobName, PDF);
    await expect(confirmUpload(w.deps, w.operator, p.id, r.document.id)).rejects.toBeInstanceOf(InvalidInputError);
    expect((await w.deps.providers.get(p.id))!.value.documents[0]?.status).toBe('REJECTED');
  });

  it('refuses disallowed types and oversized files before anything is stored', async () => {
    const w = setup();
    const p = await register(w);
    const bad = requestDocumentUpload(w.deps, w.operator, p.id, {
      type: 'rut',
      fileName: 'r.txt',
      contentType: 'text/plain',
      size: 21 * 1024 * 1024,
    });
    await expect(bad).rejects.toMatchObject({ fieldErrors: [{ field: 'contentType' }, { field: 'size' }] });
    expect((await w.deps.providers.get(p.id))!.value.documents).toEqual([]);
  });

  it('the download URLs are read-only and short-lived (10 minutes)', async () => {
    const w = setup();
    const p = await register(w);
    await upload(w, p.id, 'rut');
    const [doc] = await listDocuments(w.deps, w.operator, p.id);
    expect(doc?.downloadUrl).toContain('perm=r&');
    expect(Date.parse(doc!.downloadUrlExpiresAt!) - w.deps.clock.now().getTime()).toBe(10 * 60_000);
  });
});

describe('compliance watch with a controllable clock', () => {
  it('reminders at 30, 15 and 7 days go out once each, then the provider is suspended the day after expiry', async () => {
    const w = setup();
    const expiry = addDays(w.today(), 45);
    const p = await approvedProvider(w, expiry);
    for (let day = 1; day <= 47; day++) {
      w.setNow(`${addDays('2026-06-01', day)}T15:00:00.000Z`);
      // The scheduled message and the daily sweep may both run on the same day.
      await checkProviderCompliance(w.deps, { correlationId: 'c' }, p.id);
      await sweepCompliance(w.deps, { correlationId: 'c' });
    }
    const reminders = w.providers.events
      .filter((e) => e.type === 'provider.document-expiring')
      .map((e) => (e.data as { reminder: number }).reminder);
    expect(reminders).toEqual([30, 15, 7]);
    const suspended = w.providers.events.filter((e) => e.type === 'provider.suspended');
    expect(suspended).toHaveLength(1);
    expect(suspended[0]?.time.slice(0, 10)).toBe(addDays(expiry, 1));
    expect((await w.deps.providers.get(p.id))!.value).toMatchObject({ status: 'SUSPENDED', suspension: { automatic: true } });
    // And it is no longer eligible.
    expect(await findEligibleProviders(w.deps, { category: 'hvac', city: 'BOGOTÁ', visitDate: addDays(expiry, 2) })).toEqual([]);
  });

  it('the approval of a document with an expiry schedules its checks through the outbox', async () => {
    const w = setup();
    await approvedProvider(w);
    const due = w.providers.events.filter((e) => e.type === 'provider.compliance-check-due');
    expect(due).toHaveLength(4);
    expect(due.every((e) => e.deliverAt && Date.parse(e.deliverAt) > w.deps.clock.now().getTime())).toBe(true);
  });
});

describe('eligibility, scorecard and invitations', () => {
  it('finds approved providers for the category and city, ranked', async () => {
    const w = setup();
    const p = await approvedProvider(w);
    const found = await findEligibleProviders(w.deps, { category: 'hvac', city: 'bogota', visitDate: addDays(w.today(), 7) });
    expect(found.map((x) => x.id)).toEqual([p.id]);
    expect(
      await findEligibleProviders(w.deps, { category: 'plumbing', city: 'bogota', visitDate: addDays(w.today(), 7) }),
    ).toEqual([]);
  });

  it('an order event changes the scorecard once, however often it is delivered', async () => {
    const w = setup();
    const p = await register(w);
    for (let i = 0; i < 3; i++)
      await recordOrderOutcome(w.deps, { correlationId: 'c' }, p.id, 'evt_rated', { kind: 'rated', score: 5 });
    const s = (await w.deps.providers.get(p.id))!.value.scorecard;
    expect(s).toMatchObject({ ratingCount: 1, ratingSum: 5 });
    await expect(
      recordOrderOutcome(w.deps, { correlationId: 'c' }, 'prv_NONE', 'evt_x', { kind: 'quote-won' }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('invitations are recorded once and listed while their deadline is ahead', async () => {
    const w = setup();
    const p = await register(w);
    const base = {
      clientId: 'cli_1',
      siteId: 'sit_1',
      category: 'hvac' as const,
      city: 'Bogotá',
      title: 'AC',
      providerIds: [p.id],
    };
    await recordInvitations(w.deps, { ...base, orderId: 'ord_A', quoteDeadline: '2026-06-03T00:00:00.000Z' });
    await recordInvitations(w.deps, { ...base, orderId: 'ord_A', quoteDeadline: '2026-06-09T00:00:00.000Z' });
    await recordInvitations(w.deps, { ...base, orderId: 'ord_B', quoteDeadline: '2026-06-02T00:00:00.000Z' });
    const page = await listInvitations(w.deps, w.providerUser(p.id), p.id, { limit: 10 });
    expect(page.items.map((i) => [i.orderId, i.quoteDeadline])).toEqual([
      ['ord_B', '2026-06-02T00:00:00.000Z'],
      ['ord_A', '2026-06-03T00:00:00.000Z'],
    ]);
    w.setNow('2026-06-02T12:00:00.000Z');
    expect((await listInvitations(w.deps, w.operator, p.id, { limit: 10 })).items.map((i) => i.orderId)).toEqual(['ord_A']);
    await expect(listInvitations(w.deps, w.providerUser('prv_OTHER'), p.id, { limit: 10 })).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('a write lost to the scorecard (a background step)', () => {
  /** The next `times` writes of a caller find the scorecard updated just before (the update itself writes past this). */
  function scorecardRacesNextWrites(w: World, times: number) {
    const save = w.providers.save.bind(w.providers);
    let left = times;
    w.providers.save = async (p, etag, history, events) => {
      if (left-- > 0) {
        const background = new Proxy(w.providers, { get: (t, k) => (k === 'save' ? save : Reflect.get(t, k)) });
        await recordOrderOutcome({ ...w.deps, providers: background }, { correlationId: 'bg' }, p.id, `evt_bg_${randomUUID()}`, {
          kind: 'rated',
          score: 4,
        });
      }
      return save(p, etag, history, events);
    };
  }

  it('an operator action without If-Match is decided again and the scorecard update is kept; with If-Match the 412 stands', async () => {
    const w = setup();
    const p = await approvedProvider(w);
    scorecardRacesNextWrites(w, 1);
    const suspended = await performProviderAction(w.deps, w.operator, p.id, 'suspend', 'Documentos en revisión');
    expect(suspended.value.status).toBe('SUSPENDED');
    expect(suspended.value.scorecard.ratingCount).toBe(1);

    const stale = (await w.providers.get(p.id))!.etag;
    scorecardRacesNextWrites(w, 1);
    await expect(performProviderAction(w.deps, w.operator, p.id, 'reinstate', undefined, stale)).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    expect((await w.providers.get(p.id))!.value.status).toBe('SUSPENDED');
  });

  it('a document upload announced during a scorecard update is recorded once', async () => {
    const w = setup();
    const p = await register(w);
    scorecardRacesNextWrites(w, 1);
    await upload(w, p.id, 'rut');
    const docs = (await w.providers.get(p.id))!.value.documents;
    expect(docs.filter((d) => d.type === 'rut')).toHaveLength(1);
    expect(docs[0]!.status).not.toBe('AWAITING_UPLOAD');
  });
});
