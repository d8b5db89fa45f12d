import { describe, expect, it } from 'vitest';
import type { DialogState, Party, Result, Step, UserMessage } from '../../shared/domain/whatsapp/dialog';
import { DIALOG_TTL_MS, PHOTO_LIMIT } from '../../shared/domain/whatsapp/dialog';
import { findOrderId, parseChoice, parseCopAmount, parseDays, titleFrom } from '../../shared/domain/whatsapp/input';
import { advance } from '../../shared/domain/whatsapp/machine';
import { formatCop, render } from '../../shared/domain/whatsapp/texts';
import { toE164 } from '../../shared/domain/whatsapp/phone';

/**
 * The conversation machine alone: pure, driven message by message and result by result, with the
 * time given. What the application does with its requests is tested in test/integration/whatsapp.
 */
const NOW = '2026-02-02T15:00:00.000Z';
const CLIENT: Party = { role: 'client', name: 'Ana' };
const PROVIDER: Party = { role: 'provider', name: 'Luis' };
const ORDER = 'ord_00000000000000000000000001_01HZZZZZZZZZZZZZZZZZZZZZZZ';

const text = (t: string): UserMessage => ({ kind: 'text', text: t });
const photo = (url: string, caption?: string): UserMessage => ({
  kind: 'image',
  media: { url, contentType: 'image/jpeg' },
  ...(caption ? { caption } : {}),
});

/** Feeds messages (and, for requests, the given results) one after another. */
function run(party: Party, inputs: (UserMessage | Result)[], start?: DialogState, now = NOW): Step[] {
  const steps: Step[] = [];
  let state = start;
  for (const i of inputs) {
    const isMessage = i.kind === 'text' || i.kind === 'image' || i.kind === 'other';
    const input = isMessage
      ? { kind: 'message' as const, message: i as UserMessage }
      : { kind: 'result' as const, result: i as Result };
    const step = advance(state, input, party, now);
    steps.push(step);
    state = step.state;
  }
  return steps;
}

const last = (steps: Step[]) => steps[steps.length - 1] as Step;

describe('an unknown number', () => {
  it('is told once what this number is, then nothing, however often it writes', () => {
    const steps = run({ role: 'unknown' }, [text('hola'), text('hola?'), photo('u'), text('1')]);
    expect(steps.map((s) => s.replies.map((r) => r.key))).toEqual([['unknown-number'], [], [], []]);
    expect(steps.every((s) => s.request === undefined)).toBe(true);
  });

  it('becomes a normal conversation once the number belongs to a user', () => {
    const [told] = run({ role: 'unknown' }, [text('hola')]);
    const step = advance(told?.state, { kind: 'message', message: text('hola') }, CLIENT, NOW);
    expect(step.replies.map((r) => r.key)).toEqual(['menu']);
  });
});

describe('a client opens an order', () => {
  const sites = {
    kind: 'sites',
    sites: [
      { id: 'sit_A', name: 'Norte', city: 'Bogotá' },
      { id: 'sit_B', name: 'Sur' },
    ],
  } as const;

  it('site, category, description, photos, "listo" → one create-order request with everything', () => {
    const steps = run(CLIENT, [
      text('hola'),
      text('1'),
      sites,
      text('7'),
      text('2'),
      text('3'),
      text('El aire acondicionado del piso 3 no enfría\nDesde ayer'),
      photo('https://m/1'),
      photo('https://m/2'),
      text('Listo'),
    ]);
    expect(steps[0]?.replies[0]).toMatchObject({ key: 'menu', role: 'client', name: 'Ana' });
    expect(steps[1]?.request).toEqual({ kind: 'list-sites' });
    expect(steps[2]?.replies).toEqual([{ key: 'choose-site', sites: sites.sites }]);
    expect(steps[3]?.replies).toEqual([{ key: 'pick-number', max: 2 }]);
    expect(steps[4]?.state.dialog).toEqual({ step: 'choose-category', siteId: 'sit_B', siteName: 'Sur' });
    expect(steps[5]?.state.dialog).toMatchObject({ step: 'describe', category: 'hvac' });
    expect(steps[7]?.replies).toEqual([{ key: 'photo-received', count: 1 }]);
    expect(last(steps).request).toEqual({
      kind: 'create-order',
      siteId: 'sit_B',
      category: 'hvac',
      title: 'El aire acondicionado del piso 3 no enfría',
      description: 'El aire acondicionado del piso 3 no enfría\nDesde ayer',
      photos: [
        { url: 'https://m/1', contentType: 'image/jpeg' },
        { url: 'https://m/2', contentType: 'image/jpeg' },
      ],
    });
    const done = advance(
      last(steps).state,
      { kind: 'result', result: { kind: 'order-created', orderId: ORDER, photosStored: 2, photosFailed: 0 } },
      CLIENT,
      NOW,
    );
    expect(done.state.dialog).toEqual({ step: 'idle' });
    expect(render(done.replies[0] as never, 'es-CO')).toContain(ORDER);
  });

  it('a photo with a caption before the description is both; too short a description is asked again', () => {
    const steps = run(CLIENT, [
      text('1'),
      sites,
      text('1'),
      text('1'),
      text('no'),
      photo('https://m/1', 'Se inunda el baño del lobby'),
    ]);
    expect(steps[4]?.replies).toEqual([{ key: 'too-short' }]);
    expect(last(steps).state.dialog).toMatchObject({
      step: 'photos',
      description: 'Se inunda el baño del lobby',
      photos: [{ url: 'https://m/1' }],
    });
  });

  it(`keeps at most ${PHOTO_LIMIT} photos`, () => {
    const start: DialogState = {
      dialog: { step: 'photos', siteId: 's', category: 'it', description: 'desc', photos: [] },
      since: NOW,
    };
    const steps = run(
      CLIENT,
      Array.from({ length: PHOTO_LIMIT + 1 }, (_, i) => photo(`https://m/${i}`)),
      start,
    );
    expect(last(steps).replies).toEqual([{ key: 'too-many-photos', max: PHOTO_LIMIT }]);
    expect((last(steps).state.dialog as { photos: readonly unknown[] }).photos).toHaveLength(PHOTO_LIMIT);
  });

  it('"cancelar" drops the draft from any step; a draft older than the 24-hour window starts over', () => {
    const start: DialogState = {
      dialog: { step: 'photos', siteId: 's', category: 'it', description: 'desc', photos: [] },
      since: NOW,
    };
    expect(run(CLIENT, [text('Cancelar')], start)[0]?.state.dialog).toEqual({ step: 'idle' });
    const later = new Date(Date.parse(NOW) + DIALOG_TTL_MS + 1000).toISOString();
    const stale = advance(start, { kind: 'message', message: text('listo') }, CLIENT, later);
    expect(stale.request).toBeUndefined();
    expect(stale.replies.map((r) => r.key)).toEqual(['menu']);
  });

  it('"estado ord_…" asks for the status from any step and keeps the step', () => {
    const start: DialogState = { dialog: { step: 'choose-category', siteId: 's', siteName: 'S' }, since: NOW };
    const step = advance(start, { kind: 'message', message: text(`Estado ${ORDER.toLowerCase()}`) }, CLIENT, NOW);
    expect(step.request).toEqual({ kind: 'order-status', orderId: ORDER });
    expect(step.state).toBe(start);
    const refused = advance(
      step.state,
      { kind: 'result', result: { kind: 'refused', request: 'order-status', reason: 'not-found' } },
      CLIENT,
      NOW,
    );
    expect(refused.state).toBe(start);
  });
});

describe('a provider', () => {
  const invitations: Result = {
    kind: 'invitations',
    invitations: [
      { orderId: 'ord_A', title: 'AC', quoteDeadline: '2026-02-05T20:00:00.000Z' },
      { orderId: 'ord_B', title: 'Luz', quoteDeadline: '2026-02-06T20:00:00.000Z' },
    ],
  };

  it('declines an invitation with a reason', () => {
    const steps = run(PROVIDER, [text('1'), invitations, text('2'), text('2'), text('Sin personal esa semana')]);
    expect(steps[0]?.request).toEqual({ kind: 'list-invitations' });
    expect(steps[2]?.state.dialog).toEqual({ step: 'invitation', orderId: 'ord_B' });
    expect(last(steps).request).toEqual({ kind: 'decline', orderId: 'ord_B', reason: 'Sin personal esa semana' });
  });

  it('quotes: amount in pesos (minor units), lead time, validity → validUntil counted from today in Colombia', () => {
    const steps = run(PROVIDER, [
      text('1'),
      invitations,
      text('1'),
      text('aceptar'),
      text('$1.250.000'),
      text('5 días'),
      text('abc'),
      text('15'),
    ]);
    expect(steps[4]?.state.dialog).toEqual({ step: 'quote-lead-time', orderId: 'ord_A', amount: 125_000_000 });
    expect(steps[6]?.replies).toEqual([{ key: 'invalid-days', min: 1, max: 90 }]);
    expect(last(steps).request).toEqual({
      kind: 'submit-quote',
      orderId: 'ord_A',
      amount: 125_000_000,
      leadTimeDays: 5,
      validUntil: '2026-02-17',
    });
  });

  it('completes with a report and at least one photo; short commands skip the lists', () => {
    const steps = run(PROVIDER, [
      text(`completar ${ORDER}`),
      text('Cambio de compresor'),
      text('listo'),
      photo('https://m/e1'),
      text('listo'),
    ]);
    expect(steps[0]?.state.dialog).toEqual({ step: 'complete-report', orderId: ORDER });
    expect(steps[2]?.replies).toEqual([{ key: 'need-photo' }]);
    expect(last(steps).request).toEqual({
      kind: 'complete',
      orderId: ORDER,
      report: 'Cambio de compresor',
      photos: [{ url: 'https://m/e1', contentType: 'image/jpeg' }],
    });
    expect(run(PROVIDER, [text(`llegada ${ORDER}`)])[0]?.request).toEqual({ kind: 'check-in', orderId: ORDER });
  });

  it('a refusal of a command is a polite reply and the dialog starts over', () => {
    const start: DialogState = { dialog: { step: 'quote-validity', orderId: 'ord_A', amount: 1, leadTimeDays: 1 }, since: NOW };
    const step = advance(
      start,
      { kind: 'result', result: { kind: 'refused', request: 'check-in', reason: 'conflict', currentState: 'QUOTING' } },
      PROVIDER,
      NOW,
    );
    expect(step.state.dialog).toEqual({ step: 'idle' });
    expect(render(step.replies[0] as never, 'es-CO')).toBe(
      'Lo sentimos, no pudimos hacerlo. La orden está en un estado que no permite esa acción (estado actual: en cotización).',
    );
    expect(render(step.replies[0] as never, 'en')).toContain('current state: collecting quotes');
  });
});

describe('reading what people type', () => {
  it('amounts as Colombians write them, in centavos; nonsense refused', () => {
    expect(['1.250.000', '$ 1.250.000', '1,250,000', '1250000', 'COP 1.250.000'].map(parseCopAmount)).toEqual(
      Array(5).fill(125_000_000),
    );
    expect(['', '0', '1.25', '12.50', 'mil', '-5', '1.250.000,50'].map(parseCopAmount)).toEqual(Array(7).fill(undefined));
  });

  it('choices, days, order ids, titles, phones', () => {
    expect([
      parseChoice('2', 3),
      parseChoice('2.', 3),
      parseChoice('opción 3', 3),
      parseChoice('4', 3),
      parseChoice('0', 3),
    ]).toEqual([1, 1, 2, undefined, undefined]);
    expect([parseDays('0', 0, 5), parseDays('5 dias', 0, 5), parseDays('6', 0, 5)]).toEqual([0, 5, undefined]);
    expect(findOrderId(`mire ${ORDER.toLowerCase()} por favor`)).toBe(ORDER);
    expect(titleFrom('x'.repeat(100))).toHaveLength(80);
    expect([toE164('573001234567'), toE164('+57 300 123 4567'), toE164('abc'), toE164('0573001234567')]).toEqual([
      '+573001234567',
      '+573001234567',
      undefined,
      undefined,
    ]);
  });

  it('renders Spanish by default and English for en', () => {
    expect(formatCop(125_000_000, 'es-CO')).toBe('$1.250.000');
    expect(formatCop(125_000_000, 'en')).toBe('COP 1,250,000');
    expect(render({ key: 'menu', role: 'provider' }, 'es-CO')).toMatch(/^Hola\. ¿Qué desea hacer\?\n1\. Ver mis invitaciones/);
    expect(render({ key: 'menu', role: 'provider' }, 'en')).toMatch(
      /^Hello\. What would you like to do\?\n1\. See my invitations/,
    );
  });
});
