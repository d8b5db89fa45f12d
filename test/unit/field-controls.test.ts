import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FIELD_POLICY,
  fieldPolicyErrors,
  siteFenceErrors,
  type FieldPolicy,
} from '../../shared/domain/orders/field-policy';
import { decideGeofence, distanceMeters, judgePosition, type GeoPoint } from '../../shared/domain/orders/geofence';
import { labourHours, lineAmount, linesTotal, type InvoiceLine } from '../../shared/domain/orders/invoice';
import { labourAllowanceMinutes, reviewInvoice, type InvoiceFacts } from '../../shared/domain/orders/invoice-rules';
import { minutesOnSite, onSiteIntervals } from '../../shared/domain/orders/time-on-site';
import { fieldTarget } from '../../shared/domain/whatsapp/field-location';

/**
 * Issue 17, the pure rules: the geofence (distance and verdict), time on site from the history, the
 * invoice lines and the invoice rules, the policy's validation and which order a shared location
 * is for. Arithmetic is checked with properties (fast-check), the rules by example.
 */
const point = fc.record({
  lat: fc.double({ min: -90, max: 90, noNaN: true }),
  lon: fc.double({ min: -180, max: 180, noNaN: true }),
});
const CHAPINERO: GeoPoint = { lat: 4.647, lon: -74.0638 };
/** About `m` metres north of a point (one degree of latitude is ~111.2 km on the haversine's sphere). */
const north = (p: GeoPoint, m: number): GeoPoint => ({ lat: p.lat + m / 111_195, lon: p.lon });

describe('geofence', () => {
  it('distance: symmetric, zero for one point, never negative, at most half the circumference', () => {
    fc.assert(
      fc.property(point, point, (a, b) => {
        const d = distanceMeters(a, b);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(Math.PI * 6_371_008.8 + 1e-6);
        expect(Math.abs(d - distanceMeters(b, a))).toBeLessThan(1e-6);
        expect(distanceMeters(a, a)).toBe(0);
      }),
    );
  });

  it('distance: the triangle inequality holds', () => {
    fc.assert(
      fc.property(point, point, point, (a, b, c) => {
        // Within a metre (what the stored distance is rounded to): near-antipodal pairs put asin where
        // it is least precise (its slope is unbounded at 1), a few centimetres of floating-point error.
        expect(distanceMeters(a, c)).toBeLessThanOrEqual(distanceMeters(a, b) + distanceMeters(b, c) + 1);
      }),
    );
  });

  it('distance: a known pair — Bogotá (Plaza de Bolívar) to Medellín (Parque Berrío) is about 240 km', () => {
    const d = distanceMeters({ lat: 4.5981, lon: -74.0758 }, { lat: 6.2518, lon: -75.5636 });
    expect(d).toBeGreaterThan(235_000);
    expect(d).toBeLessThan(250_000);
  });

  it('inside or outside the radius, the device’s accuracy credited up to the radius', () => {
    const fence = { location: CHAPINERO, radiusMeters: 100 };
    expect(judgePosition(fence, north(CHAPINERO, 60))).toMatchObject({ result: 'within', flagged: false, distanceMeters: 60 });
    expect(judgePosition(fence, north(CHAPINERO, 140))).toMatchObject({ result: 'outside', flagged: true, distanceMeters: 140 });
    // 140 m away with 50 m of uncertainty may be on site; with 5 km of uncertainty 250 m away may not.
    expect(judgePosition(fence, { ...north(CHAPINERO, 140), accuracyMeters: 50 }).result).toBe('within');
    expect(judgePosition(fence, { ...north(CHAPINERO, 250), accuracyMeters: 5_000 }).result).toBe('outside');
  });

  it('a larger accuracy never turns inside into outside', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2_000 }),
        fc.integer({ min: 1, max: 500 }),
        fc.nat(1_000),
        fc.nat(1_000),
        (m, r, a1, a2) => {
          const fence = { location: CHAPINERO, radiusMeters: r };
          const p = north(CHAPINERO, m);
          const [lo, hi] = a1 <= a2 ? [a1, a2] : [a2, a1];
          if (judgePosition(fence, { ...p, accuracyMeters: lo }).result === 'within')
            expect(judgePosition(fence, { ...p, accuracyMeters: hi }).result).toBe('within');
        },
      ),
    );
  });

  it('hard refuses outside and a missing position; soft flags outside and records a missing one as unverified', () => {
    const fence = { location: CHAPINERO, radiusMeters: 100 };
    const far = north(CHAPINERO, 900);
    expect(decideGeofence(fence, far, 'hard')).toMatchObject({ accepted: false, field: 'position' });
    expect(decideGeofence(fence, undefined, 'hard')).toMatchObject({ accepted: false, field: 'position' });
    expect(decideGeofence(fence, far, 'soft')).toMatchObject({ accepted: true, check: { result: 'outside', flagged: true } });
    expect(decideGeofence(fence, undefined, 'soft')).toEqual({
      accepted: true,
      check: { result: 'unverified', reason: 'no-position' },
    });
    expect(decideGeofence(fence, CHAPINERO, 'hard')).toMatchObject({
      accepted: true,
      check: { result: 'within', distanceMeters: 0 },
    });
    // A site without coordinates cannot be checked, whatever the policy.
    expect(decideGeofence(undefined, far, 'hard')).toEqual({
      accepted: true,
      check: { result: 'unverified', reason: 'site-without-location' },
    });
  });
});

describe('time on site', () => {
  const h = (action: string, minute: number) => ({ action, at: new Date(Date.UTC(2026, 5, 1, 14, minute)).toISOString() });

  it('check-in to check-out, and a rework round adds its own interval; hold does not stop the time', () => {
    const history = [
      h('schedule', 0),
      h('check-in', 5),
      h('hold', 20),
      h('resume', 30),
      h('check-out', 65),
      h('complete', 70),
      h('request-rework', 80),
      h('check-in', 100),
      h('complete', 130),
    ];
    expect(onSiteIntervals(history)).toHaveLength(2);
    expect(minutesOnSite(history)).toBe(60 + 30);
  });

  it('an interval still open counts only up to `until`; a second check-in or a lone check-out changes nothing', () => {
    expect(minutesOnSite([h('check-in', 0)])).toBe(0);
    expect(minutesOnSite([h('check-in', 0)], h('x', 45).at)).toBe(45);
    expect(minutesOnSite([h('check-out', 3), h('check-in', 10), h('check-in', 20), h('complete', 40)])).toBe(30);
  });

  it('never negative, and never more than the span of the history', () => {
    const action = fc.constantFrom('check-in', 'check-out', 'complete', 'hold', 'resume', 'request-rework');
    fc.assert(
      fc.property(fc.array(fc.tuple(action, fc.integer({ min: 0, max: 10_000 })), { maxLength: 30 }), (steps) => {
        const history = steps.map(([a, m]) => h(a, m));
        const minutes = minutesOnSite(history);
        expect(minutes).toBeGreaterThanOrEqual(0);
        const times = steps.map(([, m]) => m);
        expect(minutes).toBeLessThanOrEqual(times.length ? (Math.max(...times) - Math.min(...times)) * steps.length : 0);
      }),
    );
  });
});

describe('invoice lines', () => {
  const line = fc.oneof(
    fc.record({
      kind: fc.constant('labour' as const),
      hours: fc.double({ min: 0.25, max: 24, noNaN: true }),
      amount: fc.nat(10_000_000_00),
    }),
    fc.record({
      kind: fc.constant('material' as const),
      code: fc.constantFrom('CAP-35UF', 'GAS-R410A', 'X'),
      description: fc.constant('m'),
      quantity: fc.integer({ min: 1, max: 100 }),
      unitPrice: fc.nat(1_000_000_00),
    }),
    fc.record({ kind: fc.constant('other' as const), description: fc.constant('o'), amount: fc.nat(10_000_000_00) }),
  );

  it('the total is the sum of the lines, whole, never negative, and order does not matter', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), (lines: InvoiceLine[]) => {
        const total = linesTotal(lines);
        expect(Number.isSafeInteger(total)).toBe(true);
        expect(total).toBeGreaterThanOrEqual(0);
        expect(total).toBe(lines.map(lineAmount).reduce((a, b) => a + b, 0));
        expect(linesTotal([...lines].reverse())).toBe(total);
      }),
    );
  });

  it('a material line is quantity × unit price rounded to the minor unit; labour hours add up', () => {
    expect(lineAmount({ kind: 'material', code: 'C', description: 'cable', quantity: 2.5, unitPrice: 3_333 })).toBe(8_333);
    expect(
      labourHours([
        { kind: 'labour', hours: 1.5, amount: 1 },
        { kind: 'other', description: 'x', amount: 2 },
        { kind: 'labour', hours: 2, amount: 1 },
      ]),
    ).toBe(3.5);
  });
});

describe('invoice rules', () => {
  const cop = (amount: number) => ({ amount, currency: 'COP' });
  const base: InvoiceFacts = {
    amount: cop(500_000_00),
    approvedAmount: cop(800_000_00),
    invoiceNumber: 'FE-1',
    storedAttachmentKinds: ['photo', 'invoice'],
    minutesOnSite: 120,
    geofenceChecks: [{ result: 'within', distanceMeters: 20, radiusMeters: 150, flagged: false }],
  };
  const policy: FieldPolicy = {
    ...DEFAULT_FIELD_POLICY,
    labourTolerance: { minutes: 15, percent: 25 },
    rateCard: { currency: 'COP', materials: { 'CAP-35UF': 85_000_00 }, hourlyLabourRate: 100_000_00 },
    requiredEvidence: ['invoice'],
  };
  const labour = (hours: number, amount = hours * 100_000_00): InvoiceLine => ({ kind: 'labour', hours, amount });
  const verdict = (facts: InvoiceFacts, p: FieldPolicy, rule: string) =>
    reviewInvoice(facts, p).verdicts.find((v) => v.rule === rule);

  it('all pass → auto-approved, with every rule’s verdict recorded in the table’s order', () => {
    const review = reviewInvoice(
      { ...base, lines: [labour(2), { kind: 'other', description: 'x', amount: 300_000_00 }] },
      policy,
    );
    expect(review.outcome).toBe('auto-approved');
    expect(review.verdicts.map((v) => [v.rule, v.verdict])).toEqual([
      ['amount-within-nte', 'pass'],
      ['invoice-number-unique', 'pass'],
      ['required-evidence', 'pass'],
      ['labour-within-time-on-site', 'pass'],
      ['materials-within-rate-card', 'pass'],
      ['check-in-within-radius', 'pass'],
    ]);
  });

  it('rules that need lines, a rate card, evidence rules or a measured position are not applicable without them', () => {
    const review = reviewInvoice(
      { ...base, geofenceChecks: [{ result: 'unverified', reason: 'no-position' }] },
      DEFAULT_FIELD_POLICY,
    );
    expect(review.outcome).toBe('auto-approved');
    expect(review.verdicts.filter((v) => v.verdict === 'not-applicable').map((v) => v.rule)).toEqual([
      'required-evidence',
      'labour-within-time-on-site',
      'materials-within-rate-card',
      'check-in-within-radius',
    ]);
  });

  it('a soft rule failing holds the invoice; the same rule made hard refuses it', () => {
    const facts = { ...base, lines: [labour(3)] }; // 180 min billed, 120 on site, 120 + max(15, 30) allowed
    expect(verdict(facts, policy, 'labour-within-time-on-site')).toMatchObject({
      verdict: 'fail',
      severity: 'soft',
      details: { billedMinutes: 180, minutesOnSite: 120, allowedMinutes: 150 },
    });
    expect(reviewInvoice(facts, policy).outcome).toBe('held');
    expect(reviewInvoice(facts, { ...policy, hardRules: ['labour-within-time-on-site'] }).outcome).toBe('refused');
  });

  it('the NTE and the number are hard whatever the client says', () => {
    const over = reviewInvoice({ ...base, amount: cop(900_000_00) }, policy);
    expect(over.outcome).toBe('refused');
    expect(over.verdicts[0]).toMatchObject({ rule: 'amount-within-nte', verdict: 'fail', severity: 'hard' });
    const reused = reviewInvoice({ ...base, invoiceNumberUsedBy: 'ord_other' }, { ...policy, hardRules: [] });
    expect(reused.verdicts[1]).toMatchObject({ rule: 'invoice-number-unique', verdict: 'fail', severity: 'hard' });
    expect(reviewInvoice({ ...base, approvedAmount: undefined }, policy).outcome).toBe('refused');
    expect(reviewInvoice({ ...base, amount: { amount: 1, currency: 'USD' } }, policy).outcome).toBe('refused');
  });

  it('materials above the card, unknown codes and labour above the hourly rate fail the rate card', () => {
    const lines: InvoiceLine[] = [
      { kind: 'material', code: 'CAP-35UF', description: 'c', quantity: 1, unitPrice: 90_000_00 },
      { kind: 'material', code: 'UNKNOWN', description: 'u', quantity: 1, unitPrice: 1 },
      labour(1, 150_000_00),
    ];
    const v = verdict({ ...base, lines }, policy, 'materials-within-rate-card');
    expect(v).toMatchObject({ verdict: 'fail', severity: 'soft' });
    expect((v?.details?.lines as unknown[]).length).toBe(3);
    expect(
      verdict({ ...base, lines, amount: { amount: 1, currency: 'USD' } }, policy, 'materials-within-rate-card')?.verdict,
    ).toBe('not-applicable');
  });

  it('missing evidence and a check-in outside the radius fail', () => {
    expect(verdict({ ...base, storedAttachmentKinds: ['photo'] }, policy, 'required-evidence')).toMatchObject({
      verdict: 'fail',
      details: { missing: ['invoice'] },
    });
    const outside = {
      ...base,
      geofenceChecks: [{ result: 'outside' as const, distanceMeters: 900, radiusMeters: 150, flagged: true }],
    };
    expect(verdict(outside, policy, 'check-in-within-radius')).toMatchObject({
      verdict: 'fail',
      details: { distancesMeters: [900] },
    });
  });

  it('the labour allowance is the larger of minutes and percentage, never negative', () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.nat(1_440), fc.integer({ min: 0, max: 100 }), (onSite, minutes, percent) => {
        const allowance = labourAllowanceMinutes(onSite, { minutes, percent });
        expect(allowance).toBeGreaterThanOrEqual(minutes);
        expect(allowance).toBeGreaterThanOrEqual(Math.floor((onSite * percent) / 100));
        expect(allowance).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it('the outcome follows from the verdicts: refused iff a hard rule failed, held iff only soft ones did', () => {
    const policies = fc.record({
      hardRules: fc.subarray([
        'required-evidence',
        'labour-within-time-on-site',
        'materials-within-rate-card',
        'check-in-within-radius',
      ] as const),
    });
    fc.assert(
      fc.property(policies, fc.nat(1_000_000_00), fc.nat(600), fc.boolean(), (p, amount, onSite, used) => {
        const review = reviewInvoice(
          {
            ...base,
            amount: cop(amount),
            minutesOnSite: onSite,
            lines: [labour(2, amount)],
            ...(used ? { invoiceNumberUsedBy: 'o' } : {}),
          },
          { ...policy, ...p },
        );
        const failed = review.verdicts.filter((v) => v.verdict === 'fail');
        const expected = failed.some((v) => v.severity === 'hard') ? 'refused' : failed.length ? 'held' : 'auto-approved';
        expect(review.outcome).toBe(expected);
        expect(review.verdicts).toHaveLength(6);
      }),
    );
  });
});

describe('field policy validation', () => {
  it('the default policy and the demo policy are valid', () => {
    expect(fieldPolicyErrors(DEFAULT_FIELD_POLICY)).toEqual([]);
  });

  it('a negative tolerance, an unknown rule, a bad rate card and repeated kinds: every error with its field', () => {
    const errors = fieldPolicyErrors({
      geofence: 'soft',
      hardRules: ['required-evidence', 'required-evidence'],
      labourTolerance: { minutes: -5, percent: 120 },
      rateCard: { currency: 'cop', materials: { 'CAP-35UF': 0 }, hourlyLabourRate: -1 },
      requiredEvidence: ['contract', 'photo', 'photo'],
    });
    expect(errors.map((e) => e.field)).toEqual([
      'hardRules',
      'labourTolerance/minutes',
      'labourTolerance/percent',
      'rateCard/currency',
      'rateCard/materials/CAP-35UF',
      'rateCard/hourlyLabourRate',
      'requiredEvidence/0',
      'requiredEvidence',
    ]);
  });

  it('a radius of 0 (or above 50 km) and impossible coordinates are refused', () => {
    expect(siteFenceErrors({ location: CHAPINERO, radiusMeters: 0 }).map((e) => e.field)).toEqual(['radiusMeters']);
    expect(siteFenceErrors({ location: CHAPINERO, radiusMeters: 60_000 }).map((e) => e.field)).toEqual(['radiusMeters']);
    expect(siteFenceErrors({ location: { lat: 91, lon: -181 }, radiusMeters: 10 }).map((e) => e.field)).toEqual([
      'location/lat',
      'location/lon',
    ]);
    expect(siteFenceErrors({ location: CHAPINERO, radiusMeters: 150 })).toEqual([]);
  });
});

describe('which order a shared location is for', () => {
  const now = '2026-06-01T15:00:00.000Z';
  it('the order the provider is on site at is checked out; otherwise the scheduled visit nearest to now is checked in', () => {
    const scheduledSoon = { id: 'ord_b', status: 'SCHEDULED' as const, visitAt: '2026-06-01T15:30:00.000Z' };
    const scheduledLater = { id: 'ord_a', status: 'SCHEDULED' as const, visitAt: '2026-06-03T15:00:00.000Z' };
    expect(fieldTarget([scheduledLater, scheduledSoon], now)).toEqual({ action: 'check-in', orderId: 'ord_b' });
    const onSite = { id: 'ord_c', status: 'IN_PROGRESS' as const, onSite: { checkedInAt: now } };
    expect(fieldTarget([scheduledSoon, onSite], now)).toEqual({ action: 'check-out', orderId: 'ord_c' });
    const left = { ...onSite, onSite: { checkedInAt: now, checkedOutAt: now } };
    expect(fieldTarget([left, scheduledLater], now)).toEqual({ action: 'check-in', orderId: 'ord_a' });
    expect(fieldTarget([left, { id: 'ord_d', status: 'SCHEDULED' as const }], now)).toBeUndefined();
  });
});
