import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  historyPosition,
  levelRound,
  nteGuidance,
  PRICE_GUIDANCE,
  priceKey,
  quartiles,
  suggestNte,
  summarize,
  withSample,
  type PriceSample,
} from '../../shared/domain/orders/price-guidance';

/** The price guidance's rules (shared/domain/orders/price-guidance.ts): examples, then properties. */
const cop = (amount: number) => ({ amount, currency: 'COP' });
const usd = (amount: number) => ({ amount, currency: 'USD' });
const key = priceKey('cli_1', 'hvac', 'Bogotá', 'COP');
const sample = (orderId: string, amount: number, closedAt = '2026-11-01T00:00:00.000Z'): PriceSample => ({
  orderId,
  amount,
  closedAt,
});
const statsOf = (amounts: number[], currency = 'COP') =>
  summarize(
    { ...key, currency },
    amounts.map((a, i) => sample(`o${i}`, a)),
    '2026-12-01T00:00:00.000Z',
  );

describe('quartiles (Hyndman & Fan type 7, whole minor units)', () => {
  it('interpolates between closest ranks as R, NumPy and QUARTILE.INC do', () => {
    expect(quartiles([100, 200, 300, 400])).toEqual({ p25: 175, median: 250, p75: 325 });
    // The textbook sample: 20.25, 37.5, 39.75 — rounded half up.
    expect(quartiles([7, 15, 36, 39, 40, 41])).toEqual({ p25: 20, median: 38, p75: 40 });
    expect(quartiles([5])).toEqual({ p25: 5, median: 5, p75: 5 });
    expect(quartiles([])).toBeUndefined();
  });

  it('are ordered and inside the sample', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000_000_000 }), { minLength: 1, maxLength: 60 }), (xs) => {
        const q = quartiles(xs)!;
        expect(q.p25).toBeLessThanOrEqual(q.median);
        expect(q.median).toBeLessThanOrEqual(q.p75);
        expect(q.p25).toBeGreaterThanOrEqual(Math.min(...xs));
        expect(q.p75).toBeLessThanOrEqual(Math.max(...xs));
        expect([q.p25, q.median, q.p75].every(Number.isInteger)).toBe(true);
      }),
    );
  });

  it('do not depend on the order of the sample', () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.integer({ min: 0, max: 1_000_000_000 }), { minLength: 1, maxLength: 40 })
          .chain((xs) => fc.tuple(fc.constant(xs), fc.shuffledSubarray(xs, { minLength: xs.length, maxLength: xs.length }))),
        ([xs, shuffled]) => {
          expect(quartiles(shuffled)).toEqual(quartiles(xs));
        },
      ),
    );
  });
});

describe('the position of an amount against history', () => {
  const history = [statsOf([100, 200, 300, 400])]; // 175 / 250 / 325

  it('below p25, between the quartiles (inclusive), above p75', () => {
    expect(historyPosition(cop(174), history)).toBe('below-p25');
    expect(historyPosition(cop(175), history)).toBe('p25-p75');
    expect(historyPosition(cop(325), history)).toBe('p25-p75');
    expect(historyPosition(cop(326), history)).toBe('above-p75');
  });

  it(`is no-history below ${PRICE_GUIDANCE.minSample} samples, without samples, or in another currency`, () => {
    expect(historyPosition(cop(1_000), [statsOf([100, 200, 300])])).toBe('no-history');
    expect(historyPosition(cop(1_000), [])).toBe('no-history');
    expect(historyPosition(usd(1_000), history)).toBe('no-history');
  });

  it('agrees with the quartiles it shows, for any sample and amount', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 0, maxLength: 30 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (xs, amount) => {
          const stats = statsOf(xs);
          const position = historyPosition(cop(amount), [stats]);
          const q = stats.quartiles;
          const expected = !q ? 'no-history' : amount < q.p25 ? 'below-p25' : amount > q.p75 ? 'above-p75' : 'p25-p75';
          expect(q === undefined).toBe(xs.length < PRICE_GUIDANCE.minSample);
          expect(position).toBe(expected);
        },
      ),
    );
  });

  it('never mixes currencies: another currency’s history changes nothing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 4, maxLength: 20 }),
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 0, maxLength: 20 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (copAmounts, usdAmounts, amount) => {
          const alone = historyPosition(cop(amount), [statsOf(copAmounts)]);
          expect(historyPosition(cop(amount), [statsOf(usdAmounts, 'USD'), statsOf(copAmounts)])).toBe(alone);
          expect(suggestNte([statsOf(usdAmounts, 'USD'), statsOf(copAmounts)], 'COP')).toEqual(
            suggestNte([statsOf(copAmounts)], 'COP'),
          );
        },
      ),
    );
  });
});

describe('the window of samples', () => {
  it('counts an order once, however often its close is delivered', () => {
    const once = withSample([], sample('o1', 100))!;
    expect(withSample(once, sample('o1', 100))).toBeUndefined();
    expect(withSample(once, sample('o2', 200))).toHaveLength(2);
  });

  it('keeps the newest closes; an older one than a full window is not taken', () => {
    const full = [sample('a', 1, '2026-03-01'), sample('b', 2, '2026-02-01')];
    expect(withSample(full, sample('c', 3, '2026-01-01'), 2)).toBeUndefined();
    expect(withSample(full, sample('d', 4, '2026-04-01'), 2)?.map((s) => s.orderId)).toEqual(['d', 'a']);
  });

  it('is the newest N of every distinct order, whatever the order of deliveries and duplicates', () => {
    const samples = fc.uniqueArray(
      fc.record({
        orderId: fc.integer({ min: 1, max: 500 }).map((n) => `o${n}`),
        amount: fc.integer({ min: 0, max: 1_000_000 }),
        closedAt: fc.integer({ min: 0, max: 30 }).map((d) => new Date(Date.UTC(2026, 0, 1 + d)).toISOString()),
      }),
      { selector: (s) => s.orderId, maxLength: 40 },
    );
    fc.assert(
      fc.property(
        samples.chain((distinct) =>
          fc.tuple(
            fc.constant(distinct),
            // Each close delivered one to three times, in any order.
            fc.shuffledSubarray(
              distinct.flatMap((s) => [s, s, s]),
              { minLength: distinct.length * 3, maxLength: distinct.length * 3 },
            ),
            fc.array(fc.integer({ min: 0, max: 2 }), { minLength: distinct.length * 3, maxLength: distinct.length * 3 }),
          ),
        ),
        fc.integer({ min: 1, max: 12 }),
        ([distinct, deliveries, drops], max) => {
          // Drop some of the extra copies, keeping at least one delivery of each order.
          const seen = new Set<string>();
          const sequence = deliveries.filter((s, i) => {
            const first = !seen.has(s.orderId);
            seen.add(s.orderId);
            return first || drops[i] === 0;
          });
          const window = sequence.reduce<PriceSample[]>((w, s) => withSample(w, s, max) ?? w, []);
          const expected = [...distinct]
            .sort((a, b) => (a.closedAt === b.closedAt ? (a.orderId < b.orderId ? 1 : -1) : a.closedAt < b.closedAt ? 1 : -1))
            .slice(0, max);
          expect(window).toEqual(expected);
        },
      ),
    );
  });

  it('summarizes to the quartiles of its amounts, and none below the minimum sample', () => {
    const stats = statsOf([400, 100, 300, 200]);
    expect(stats).toMatchObject({ count: 4, quartiles: { p25: 175, median: 250, p75: 325 }, cityKey: 'bogota' });
    expect(statsOf([1, 2, 3]).quartiles).toBeUndefined();
  });
});

describe('bid levelling of a round', () => {
  const q = (id: string, amount: { amount: number; currency: string }) => ({ id, amount });

  it('ranks each quote, its distance to the round’s median and the extremes', () => {
    const { standings, rounds } = levelRound([q('a', cop(1_500)), q('b', cop(1_000)), q('c', cop(1_000)), q('d', cop(2_000))]);
    expect(rounds).toEqual([{ currency: 'COP', count: 4, median: 1_250, lowest: 1_000, highest: 2_000 }]);
    expect(standings.get('b')).toEqual({ rank: 1, of: 4, vsMedianPct: -20, lowest: true, highest: false });
    expect(standings.get('c')).toEqual({ rank: 1, of: 4, vsMedianPct: -20, lowest: true, highest: false });
    expect(standings.get('a')).toEqual({ rank: 3, of: 4, vsMedianPct: 20, lowest: false, highest: false });
    expect(standings.get('d')).toEqual({ rank: 4, of: 4, vsMedianPct: 60, lowest: false, highest: true });
  });

  it('levels each currency on its own', () => {
    const { standings, rounds } = levelRound([q('a', cop(1_000)), q('b', usd(10)), q('c', cop(3_000))]);
    expect(rounds.map((r) => [r.currency, r.count])).toEqual([
      ['COP', 2],
      ['USD', 1],
    ]);
    expect(standings.get('b')).toEqual({ rank: 1, of: 1, vsMedianPct: 0, lowest: true, highest: true });
    expect(standings.get('c')).toMatchObject({ rank: 2, of: 2, vsMedianPct: 50 });
  });

  it('agrees with itself for any round: ranks, flags and signs; other currencies change nothing', () => {
    const quote = fc.record({
      amount: fc.integer({ min: 0, max: 1_000_000 }),
      currency: fc.constantFrom('COP', 'USD', 'EUR'),
    });
    fc.assert(
      fc.property(fc.array(quote, { minLength: 1, maxLength: 12 }), (raw) => {
        const quotes = raw.map((r, i) => q(`q${i}`, { amount: r.amount, currency: r.currency }));
        const { standings, rounds } = levelRound(quotes);
        for (const x of quotes) {
          const s = standings.get(x.id)!;
          const same = quotes.filter((y) => y.amount.currency === x.amount.currency);
          const round = rounds.find((r) => r.currency === x.amount.currency)!;
          expect(s.of).toBe(same.length);
          expect(s.rank).toBe(same.filter((y) => y.amount.amount < x.amount.amount).length + 1);
          expect(s.lowest).toBe(s.rank === 1);
          expect(s.highest).toBe(x.amount.amount === Math.max(...same.map((y) => y.amount.amount)));
          if (s.vsMedianPct !== null)
            // Above the median is positive, below negative (a distance under 0.05 % rounds to 0).
            if (s.vsMedianPct !== null && s.vsMedianPct !== 0)
              expect(Math.sign(s.vsMedianPct)).toBe(Math.sign(x.amount.amount - round.median));
          // The same standing when the round is only its own currency's quotes.
          expect(levelRound(same).standings.get(x.id)).toEqual(s);
        }
      }),
    );
  });
});

describe('the suggested NTE', () => {
  it('is the median of comparable work in the currency asked, when there is enough of it', () => {
    const history = [statsOf([100, 200, 300, 400])];
    expect(suggestNte(history, 'COP')).toEqual(cop(250));
    expect(suggestNte(history, 'USD')).toBeUndefined();
    expect(suggestNte([statsOf([100, 200, 300])], 'COP')).toBeUndefined();
  });

  it('records whether an amount followed the suggestion', () => {
    expect(nteGuidance(cop(250), cop(250))).toEqual({ suggested: cop(250), choice: 'accepted', vsSuggestionPct: 0 });
    expect(nteGuidance(cop(300), cop(250))).toEqual({ suggested: cop(250), choice: 'overridden', vsSuggestionPct: 20 });
    expect(nteGuidance(usd(300), cop(250))).toEqual({ choice: 'no-suggestion' });
    expect(nteGuidance(cop(300), undefined)).toEqual({ choice: 'no-suggestion' });
  });
});
