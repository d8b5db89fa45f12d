import { describe, expect, it } from 'vitest';
import {
  addDays,
  colombiaDate,
  documentFactProblems,
  requiredDocumentTypes,
  type DocumentType,
} from '../../shared/domain/providers/documents';
import { ineligibilityReasons, normalizeCity, rankEligible } from '../../shared/domain/providers/eligibility';
import { nitCheckDigit, parseNit } from '../../shared/domain/providers/nit';
import {
  actOnProvider,
  allowedActions,
  checkCompliance,
  confirmDocumentUpload,
  PROVIDER_ACTIONS,
  PROVIDER_STATUSES,
  PROVIDER_TRANSITIONS,
  ProviderRuleError,
  registerProvider,
  requestDocumentUpload,
  reviewDocument,
  type Provider,
  type ProviderStatus,
} from '../../shared/domain/providers/provider';
import { applyOutcome, emptyScorecard, rankScore, scorecardView } from '../../shared/domain/providers/scorecard';

const operator = { userId: 'u-op', role: 'operator' as const };
const TODAY = '2026-06-01';
const NOW = '2026-06-01T15:00:00.000Z';

const facts: Record<DocumentType, { issuedAt?: string; expiresAt?: string }> = {
  rut: {},
  'chamber-of-commerce': { issuedAt: addDays(TODAY, -10) },
  'insurance-policy': { expiresAt: addDays(TODAY, 365) },
  'bank-certificate': {},
  'safety-certification': { expiresAt: addDays(TODAY, 200) },
};

function registered(categories: Provider['categories'] = ['hvac']): Provider {
  return registerProvider(
    { id: 'prv_1', legalName: 'Frío S.A.S.', nit: '800197268-4', contacts: { email: 'a@b.co' }, categories, cities: ['Bogotá'] },
    operator,
    NOW,
  ).provider;
}

/** Requests, uploads and (optionally) approves every required document. */
function withDocuments(
  p: Provider,
  opts: { approve: boolean; overrides?: Partial<Record<DocumentType, { expiresAt?: string }>> },
): Provider {
  let current = p;
  requiredDocumentTypes(p.categories).forEach((type, i) => {
    const id = `doc_${i}`;
    const f = { ...facts[type], ...opts.overrides?.[type] };
    current = requestDocumentUpload(
      current,
      { id, type, fileName: `${type}.pdf`, contentType: 'application/pdf', size: 10, blobName: `b/${id}`, ...f },
      operator,
      NOW,
      TODAY,
    ).provider;
    current = confirmDocumentUpload(current, id, { ok: true }, NOW).provider;
  });
  if (opts.approve) {
    for (const d of current.documents)
      current = reviewDocument(current, d.id, { decision: 'approve' }, operator, NOW, TODAY).provider;
  }
  return current;
}

function approved(
  categories: Provider['categories'] = ['hvac'],
  overrides?: Partial<Record<DocumentType, { expiresAt?: string }>>,
): Provider {
  const p = withDocuments(registered(categories), { approve: true, ...(overrides ? { overrides } : {}) });
  return actOnProvider(p, 'approve', operator, NOW, TODAY).provider;
}

function rule(fn: () => unknown): ProviderRuleError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProviderRuleError) return err;
    throw err;
  }
  throw new Error('expected a ProviderRuleError');
}

describe('NIT', () => {
  it('accepts real NITs with their check digit, in every written form', () => {
    // DIAN, Bancolombia, Ecopetrol: public NITs.
    expect(parseNit('800197268-4')).toEqual({ ok: true, nit: '800197268-4' });
    expect(parseNit('890.903.938-8')).toEqual({ ok: true, nit: '890903938-8' });
    expect(parseNit('8999990681')).toEqual({ ok: true, nit: '899999068-1' });
    expect(nitCheckDigit('860002964')).toBe(4);
  });

  it('refuses a wrong check digit, letters, and wrong lengths, with a reason', () => {
    const wrong = parseNit('800197268-5');
    expect(wrong).toMatchObject({ ok: false });
    expect(!wrong.ok && wrong.reason).toMatch(/expected 4/);
    expect(parseNit('80019726A-4').ok).toBe(false);
    expect(parseNit('123-4').ok).toBe(false);
    expect(parseNit('').ok).toBe(false);
  });
});

describe('document rules', () => {
  it('requires the four company documents, and the safety certification for electrical and civil', () => {
    expect(requiredDocumentTypes(['hvac'])).toEqual(['rut', 'chamber-of-commerce', 'insurance-policy', 'bank-certificate']);
    expect(requiredDocumentTypes(['plumbing', 'civil'])).toContain('safety-certification');
    expect(requiredDocumentTypes(['electrical'])).toContain('safety-certification');
  });

  it('a chamber-of-commerce certificate must be issued within the last 90 days', () => {
    expect(documentFactProblems('chamber-of-commerce', { issuedAt: addDays(TODAY, -90) }, TODAY)).toEqual([]);
    expect(documentFactProblems('chamber-of-commerce', { issuedAt: addDays(TODAY, -91) }, TODAY)).toEqual([
      { field: 'issuedAt', message: expect.stringMatching(/90 days/) },
    ]);
    expect(documentFactProblems('chamber-of-commerce', { issuedAt: addDays(TODAY, 1) }, TODAY)[0]?.field).toBe('issuedAt');
    expect(documentFactProblems('chamber-of-commerce', {}, TODAY)[0]?.message).toMatch(/required/);
  });

  it('insurance policies and safety certifications carry a future expiry; other types carry none', () => {
    for (const type of ['insurance-policy', 'safety-certification'] as const) {
      expect(documentFactProblems(type, { expiresAt: addDays(TODAY, 1) }, TODAY)).toEqual([]);
      expect(documentFactProblems(type, { expiresAt: TODAY }, TODAY)[0]?.field).toBe('expiresAt');
      expect(documentFactProblems(type, {}, TODAY)[0]?.field).toBe('expiresAt');
    }
    expect(documentFactProblems('rut', { expiresAt: addDays(TODAY, 30) }, TODAY)[0]?.message).toMatch(/no expiry/);
    expect(documentFactProblems('bank-certificate', {}, TODAY)).toEqual([]);
  });

  it('a request with unacceptable dates is refused and adds nothing', () => {
    const p = registered();
    const err = rule(() =>
      requestDocumentUpload(
        p,
        {
          id: 'd',
          type: 'insurance-policy',
          fileName: 'x.pdf',
          contentType: 'application/pdf',
          size: 1,
          blobName: 'b',
          expiresAt: addDays(TODAY, -1),
        },
        operator,
        NOW,
        TODAY,
      ),
    );
    expect(err.kind).toBe('invalid-document');
    expect(err.fieldErrors[0]?.field).toBe('expiresAt');
    expect(p.documents).toEqual([]);
  });

  it('the day in Colombia is UTC−5', () => {
    expect(colombiaDate(new Date('2026-06-02T04:59:00Z'))).toBe('2026-06-01');
    expect(colombiaDate(new Date('2026-06-02T05:00:00Z'))).toBe('2026-06-02');
  });
});

describe('provider status machine', () => {
  it('moves to UNDER_REVIEW when every required document is uploaded, and back when one is rejected', () => {
    const p = registered();
    expect(p.status).toBe('PENDING_DOCUMENTS');
    const complete = withDocuments(p, { approve: false });
    expect(complete.status).toBe('UNDER_REVIEW');
    const rut = complete.documents.find((d) => d.type === 'rut')!;
    const back = reviewDocument(complete, rut.id, { decision: 'reject', reason: 'illegible' }, operator, NOW, TODAY);
    expect(back.provider.status).toBe('PENDING_DOCUMENTS');
    expect(back.events.map((e) => e.type)).toEqual(['provider.document-reviewed', 'provider.documents-incomplete']);
    expect(back.history).toMatchObject([
      { action: 'documents-incomplete', from: 'UNDER_REVIEW', to: 'PENDING_DOCUMENTS', by: { role: 'system' } },
    ]);
  });

  it('a rejected upload (wrong real type) rejects the document with its reason', () => {
    let p = registered();
    p = requestDocumentUpload(
      p,
      { id: 'd1', type: 'rut', fileName: 'r.pdf', contentType: 'application/pdf', size: 5, blobName: 'b' },
      operator,
      NOW,
      TODAY,
    ).provider;
    const d = confirmDocumentUpload(p, 'd1', { ok: false, reason: 'the file is a image/png' }, NOW);
    expect(d.provider.documents[0]).toMatchObject({ status: 'REJECTED', rejectionReason: 'the file is a image/png' });
    expect(d.provider.status).toBe('PENDING_DOCUMENTS');
  });

  it('approval needs every required document approved and valid', () => {
    const underReview = withDocuments(registered(['electrical']), { approve: false });
    const err = rule(() => actOnProvider(underReview, 'approve', operator, NOW, TODAY));
    expect(err.kind).toBe('guard');
    expect(err.details.documentTypes).toEqual(requiredDocumentTypes(['electrical']));
    const p = approved(['electrical']);
    expect(p.status).toBe('APPROVED');
  });

  it('every legal move of the table works, every other one is refused with the allowed actions', () => {
    const byStatus: Record<ProviderStatus, Provider> = {
      PENDING_DOCUMENTS: registered(),
      UNDER_REVIEW: withDocuments(registered(), { approve: true }),
      APPROVED: approved(),
      REJECTED: actOnProvider(registered(), 'reject', operator, NOW, TODAY, 'fraud').provider,
      SUSPENDED: actOnProvider(approved(), 'suspend', operator, NOW, TODAY, 'complaints').provider,
    };
    for (const status of PROVIDER_STATUSES) {
      expect(byStatus[status].status).toBe(status);
      for (const action of PROVIDER_ACTIONS) {
        const legal = PROVIDER_TRANSITIONS[action].from.includes(status);
        const act = () => actOnProvider(byStatus[status], action, operator, NOW, TODAY, 'because');
        if (legal) {
          const d = act();
          expect(d.provider.status).toBe(PROVIDER_TRANSITIONS[action].to);
          expect(d.history).toHaveLength(1);
          expect(d.events[0]?.type).toBe(PROVIDER_TRANSITIONS[action].event);
        } else {
          const err = rule(act);
          expect(err.kind).toBe('illegal-transition');
          expect(err.details).toEqual({ currentState: status, allowedActions: allowedActions(status) });
        }
      }
    }
  });

  it('reject and suspend need a reason; clients and providers cannot act', () => {
    expect(rule(() => actOnProvider(registered(), 'reject', operator, NOW, TODAY)).fieldErrors[0]?.field).toBe('reason');
    expect(rule(() => actOnProvider(approved(), 'suspend', operator, NOW, TODAY)).fieldErrors[0]?.field).toBe('reason');
    expect(rule(() => actOnProvider(approved(), 'suspend', { userId: 'c', role: 'client' }, NOW, TODAY, 'x')).kind).toBe(
      'illegal-transition',
    );
  });
});

describe('compliance watch', () => {
  const expiry = addDays(TODAY, 40);
  const base = () => approved(['hvac'], { 'insurance-policy': { expiresAt: expiry } });
  const on = (p: Provider, date: string) => checkCompliance(p, `${date}T12:00:00.000Z`, date);

  it('approving a document with an expiry schedules the checks: 30, 15 and 7 days before, and the day after', () => {
    const p = withDocuments(registered(), { approve: false, overrides: { 'insurance-policy': { expiresAt: expiry } } });
    const doc = p.documents.find((d) => d.type === 'insurance-policy')!;
    const d = reviewDocument(p, doc.id, { decision: 'approve' }, operator, NOW, TODAY);
    const scheduled = d.events.filter((e) => e.type === 'provider.compliance-check-due').map((e) => e.deliverAt);
    expect(scheduled).toEqual(
      [addDays(expiry, -30), addDays(expiry, -15), addDays(expiry, -7), addDays(expiry, 1)].map((x) => `${x}T05:00:00.000Z`),
    );
  });

  it('reminds 30, 15 and 7 days before an expiry, once each, then suspends at expiry', () => {
    let p = base();
    const sent: number[] = [];
    for (let day = 0; day <= 41; day++) {
      const date = addDays(TODAY, day);
      // Twice a day, like a scheduled message and the daily sweep both waking it.
      for (let run = 0; run < 2; run++) {
        const d = on(p, date);
        for (const e of d.events)
          if (e.type === 'provider.document-expiring') sent.push((e.data as { reminder: number }).reminder);
        if (d.events.some((e) => e.type === 'provider.suspended')) expect(date).toBe(addDays(expiry, 1));
        p = d.provider;
      }
    }
    expect(sent).toEqual([30, 15, 7]);
    expect(p.status).toBe('SUSPENDED');
    expect(p.suspension).toMatchObject({ automatic: true, reason: expect.stringMatching(/insurance-policy/) });
  });

  it('a check that runs late sends only the nearest reminder', () => {
    const d = on(base(), addDays(expiry, -5));
    expect(d.events.map((e) => (e.data as { reminder: number }).reminder)).toEqual([7]);
    expect(on(d.provider, addDays(expiry, -4)).events).toEqual([]);
  });

  it('an approved renewal lifts an automatic suspension, not a manual one', () => {
    let p = on(base(), addDays(expiry, 1)).provider;
    expect(p.status).toBe('SUSPENDED');
    const later = addDays(expiry, 2);
    p = requestDocumentUpload(
      p,
      {
        id: 'renewal',
        type: 'insurance-policy',
        fileName: 'i.pdf',
        contentType: 'application/pdf',
        size: 1,
        blobName: 'b',
        expiresAt: addDays(later, 365),
      },
      operator,
      NOW,
      later,
    ).provider;
    p = confirmDocumentUpload(p, 'renewal', { ok: true }, NOW).provider;
    const renewed = reviewDocument(p, 'renewal', { decision: 'approve' }, operator, NOW, later);
    expect(renewed.provider.status).toBe('APPROVED');
    expect(renewed.provider.suspension).toBeUndefined();
    expect(renewed.events.map((e) => e.type)).toContain('provider.reinstated');
    expect(renewed.provider.documents.filter((d) => d.type === 'insurance-policy').map((d) => d.status)).toEqual([
      'SUPERSEDED',
      'APPROVED',
    ]);

    let manual = actOnProvider(approved(), 'suspend', operator, NOW, TODAY, 'complaints').provider;
    manual = requestDocumentUpload(
      manual,
      { id: 'r2', type: 'rut', fileName: 'r.pdf', contentType: 'application/pdf', size: 1, blobName: 'b' },
      operator,
      NOW,
      TODAY,
    ).provider;
    manual = confirmDocumentUpload(manual, 'r2', { ok: true }, NOW).provider;
    expect(reviewDocument(manual, 'r2', { decision: 'approve' }, operator, NOW, TODAY).provider.status).toBe('SUSPENDED');
  });
});

describe('eligibility', () => {
  const criteria = { category: 'hvac' as const, city: 'bogota', visitDate: addDays(TODAY, 3) };

  it('needs APPROVED, the category, the city (accent- and case-insensitive) and documents valid on the visit date', () => {
    const p = approved();
    expect(normalizeCity(' Bogotá ')).toBe('bogota');
    expect(ineligibilityReasons(p, criteria)).toEqual([]);
    expect(ineligibilityReasons(p, { ...criteria, category: 'plumbing' })).toEqual(['does not cover plumbing']);
    expect(ineligibilityReasons(p, { ...criteria, city: 'Cali' })).toEqual(['does not cover Cali']);
    expect(ineligibilityReasons(registered(), criteria)[0]).toBe('status PENDING_DOCUMENTS');
  });

  it('a document expiring before the visit date, or a missing one, makes a provider ineligible', () => {
    const expiring = approved(['hvac'], { 'insurance-policy': { expiresAt: addDays(TODAY, 2) } });
    expect(ineligibilityReasons(expiring, criteria)).toEqual([`documents not valid on ${criteria.visitDate}: insurance-policy`]);
    expect(ineligibilityReasons(expiring, { ...criteria, visitDate: addDays(TODAY, 2) })).toEqual([]);
    const missing = { ...approved(), documents: approved().documents.filter((d) => d.type !== 'rut') };
    expect(ineligibilityReasons(missing, criteria)).toEqual([`documents not valid on ${criteria.visitDate}: rut`]);
  });

  it('ranks eligible providers by scorecard', () => {
    const good = { ...approved(), id: 'prv_good', scorecard: applyOutcome(emptyScorecard(), 'e1', { kind: 'rated', score: 5 }) };
    const poor = { ...approved(), id: 'prv_poor', scorecard: applyOutcome(emptyScorecard(), 'e2', { kind: 'rated', score: 1 }) };
    const fresh = { ...approved(), id: 'prv_new' };
    const out = { ...approved(), id: 'prv_out', status: 'SUSPENDED' as const };
    expect(rankEligible([poor, out, fresh, good], criteria).map((p) => p.id)).toEqual(['prv_good', 'prv_new', 'prv_poor']);
  });
});

describe('scorecard', () => {
  it('counts each event once and derives the rates', () => {
    let s = emptyScorecard();
    s = applyOutcome(s, 'q1', { kind: 'quote-submitted' });
    s = applyOutcome(s, 'q2', { kind: 'quote-submitted' });
    s = applyOutcome(s, 'w1', { kind: 'quote-won' });
    s = applyOutcome(s, 'c1', { kind: 'work-completed', onSiteOnTime: true, resolvedOnTime: false });
    s = applyOutcome(s, 'r1', { kind: 'rated', score: 4 });
    const again = applyOutcome(s, 'r1', { kind: 'rated', score: 4 });
    expect(again).toBe(s);
    expect(scorecardView(s)).toMatchObject({
      ordersCompleted: 1,
      onSiteOnTimeRate: 1,
      resolveOnTimeRate: 0,
      averageRating: 4,
      quoteWinRate: 0.5,
      reworkRate: 0,
    });
    expect(scorecardView(emptyScorecard())).toMatchObject({ onSiteOnTimeRate: null, averageRating: null, score: 0.5 });
    expect(rankScore(s)).toBeGreaterThan(0);
  });
});
