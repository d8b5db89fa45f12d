import { DEMO, DEMO_APPROVAL_CHAIN, DEMO_FIELD_POLICY } from '../../local/seed';
import type { ApiAction } from '../../shared/domain/orders/lifecycle';
import { nitCheckDigit } from '../../shared/domain/providers/nit';

/**
 * The access rule of every endpoint, stated explicitly: for each caller, the status the API must
 * answer when the caller uses the endpoint on the DEMO tenant's resources (path parameters come from
 * the fixtures). `admin`/`operator` are staff (no tenant); `client`/`provider` are the DEMO tenant;
 * `otherClient`/`otherProvider` belong to another tenant. An endpoint without an entry fails the
 * suite: a new endpoint cannot be added without stating who may call it.
 */
export type Caller = 'admin' | 'operator' | 'client' | 'provider' | 'otherClient' | 'otherProvider';
export const CALLERS: readonly Caller[] = ['admin', 'operator', 'client', 'provider', 'otherClient', 'otherProvider'];

export interface Fixtures {
  /** An order of the DEMO client (provider not involved). */
  orderId: string;
  /** An order of the other client, created by an operator. */
  otherOrderId: string;
  otherClientId: string;
  attachmentId: string;
  documentId: string;
  /** A fresh order of the DEMO client, for endpoints that change the order. */
  newOrder(): Promise<string>;
  /** A webhook endpoint of the DEMO client (client event feed). */
  webhookEndpointId: string;
  /** A fresh one, for the delete. */
  newWebhookEndpoint(): Promise<string>;
}

export interface Policy {
  /** Statuses in CALLERS order: admin operator client provider otherClient otherProvider. */
  readonly expect: string;
  readonly params?: (f: Fixtures) => Promise<Record<string, string>> | Record<string, string>;
  readonly body?: (f: Fixtures) => unknown;
  readonly query?: string;
  /** Sent as JSON with an `Idempotency-Key`. */
  readonly idempotent?: boolean;
  /** Not in the matrix (anonymous or signature endpoints: covered by their own tests). */
  readonly public?: boolean;
}

const site = { name: 'Sede', address: 'Calle 1 # 2-3', city: 'Bogotá' };
let seq = 0;
const uniq = () => `${Date.now().toString(36)}${++seq}`;
const freshNit = () => {
  const base = `9${String(Date.now() + ++seq).slice(-8)}`;
  return `${base}-${nitCheckDigit(base)}`;
};

const planBody = () => ({
  siteId: DEMO.siteIds[0],
  category: 'hvac',
  title: 'Plan de seguridad',
  description: 'Revisión periódica',
  rrule: 'FREQ=MONTHLY;BYDAY=1MO',
  startDate: '2099-01-01',
  businessDayRule: 'next-business-day',
  leadTimeDays: 3,
});
const demoPlan = () => ({ clientId: DEMO.clientId, planId: DEMO.planId });

export const POLICY: Record<string, Policy> = {
  health: { expect: '', public: true },
  'health-ready': { expect: '', public: true },
  openapi: { expect: '', public: true },
  docs: { expect: '', public: true },
  'docs-asset': { expect: '', public: true },
  'webhooks-sendgrid': { expect: '', public: true },
  'webhooks-jelou': { expect: '', public: true },
  'webhooks-docusign': { expect: '', public: true },
  'clients-create': { expect: '201 201 403 403 403 403', body: () => ({ name: `Cliente ${uniq()}` }), idempotent: true },
  'clients-get': { expect: '200 200 200 404 404 404', params: () => ({ clientId: DEMO.clientId }) },
  'sites-create': {
    expect: '201 201 403 404 404 404',
    params: () => ({ clientId: DEMO.clientId }),
    body: () => site,
    idempotent: true,
  },
  'sites-list': { expect: '200 200 200 404 404 404', params: () => ({ clientId: DEMO.clientId }) },
  // Issue 17: configuration by staff; the client's own users see it (403), other tenants do not (404).
  'sites-location-put': {
    expect: '200 200 403 404 404 404',
    params: () => ({ clientId: DEMO.clientId, siteId: DEMO.siteIds[1] }),
    body: () => DEMO.siteLocations[1],
  },
  'clients-field-policy-put': {
    expect: '200 200 403 404 404 404',
    params: () => ({ clientId: DEMO.clientId }),
    body: () => DEMO_FIELD_POLICY,
  },
  // On the seeded chain client (its own chain again, so nothing else changes): the DEMO tenant's users
  // belong to another client there (404); a user of the client itself gets 403 (test/e2e/approval-chain).
  'clients-approval-chain-put': {
    expect: '200 200 404 404 404 404',
    params: () => ({ clientId: DEMO.chainClient.clientId }),
    body: () => DEMO_APPROVAL_CHAIN,
  },
  // Maintenance plans (docs/plans.md): staff any client, a client's users their own, providers none.
  'plans-create': {
    expect: '201 201 201 403 404 403',
    params: () => ({ clientId: DEMO.clientId }),
    body: planBody,
    idempotent: true,
  },
  'plans-list': { expect: '200 200 200 403 404 403', params: () => ({ clientId: DEMO.clientId }) },
  'plans-get': { expect: '200 200 200 403 404 403', params: demoPlan },
  'plans-update': { expect: '200 200 200 403 404 403', params: demoPlan, body: planBody },
  // The test stack's demo plan is paused: pausing it again is refused (409) for whoever may manage it.
  'plans-action': { expect: '409 409 409 403 404 403', params: () => ({ ...demoPlan(), action: 'pause' }) },
  // Staff only; the fixture order has no checklist, so staff are told the item does not exist (404).
  'orders-follow-up': { expect: '404 404 403 404 404 404', params: (f) => ({ orderId: f.orderId, itemId: 'drenaje' }) },
  'plans-occurrences': { expect: '200 200 200 403 404 403', params: demoPlan, query: '?count=3' },
  'me-get': { expect: '200 200 200 200 200 200' },
  'me-preferences-put': { expect: '200 200 200 200 200 200', body: () => ({ channels: ['email'], locale: 'es-CO' }) },
  'users-put': {
    expect: '201 201 403 403 403 403',
    params: () => ({ userId: `usr-sec-${uniq()}` }),
    body: () => ({ role: 'client', clientId: DEMO.clientId, name: 'Nuevo' }),
  },
  'orders-create': {
    expect: '201 201 201 403 404 403',
    body: () => ({
      siteId: DEMO.siteIds[0],
      category: 'hvac',
      priority: 'P3',
      title: 'Seguridad',
      description: 'x',
      clientId: DEMO.clientId,
    }),
    idempotent: true,
  },
  'orders-list': { expect: '200 200 200 200 200 200', query: '?limit=100' },
  'orders-get': { expect: '200 200 200 404 404 404', params: (f) => ({ orderId: f.orderId }) },
  'orders-history': { expect: '200 200 200 404 404 404', params: (f) => ({ orderId: f.orderId }) },
  'orders-action': {
    expect: '200 200 403 404 404 404',
    params: async (f) => ({ orderId: await f.newOrder(), action: 'triage' }),
    body: () => ({ priority: 'P2' }),
  },
  'quotes-submit': {
    expect: '403 403 403 404 404 404',
    params: (f) => ({ orderId: f.orderId }),
    body: () => ({ amount: { amount: 100_00, currency: 'COP' }, leadTimeDays: 2, validUntil: '2099-01-01' }),
  },
  'quotes-list': { expect: '200 200 200 404 404 404', params: (f) => ({ orderId: f.orderId }) },
  // Staff only: the client sees its order (403), others do not see it (404).
  'orders-price-guidance': { expect: '200 200 403 404 404 404', params: (f) => ({ orderId: f.orderId }) },
  'attachments-request': {
    expect: '201 201 201 404 404 404',
    params: (f) => ({ orderId: f.orderId }),
    body: () => ({ kind: 'photo', fileName: 'f.png', contentType: 'image/png', size: 10 }),
  },
  'attachments-list': { expect: '200 200 200 404 404 404', params: (f) => ({ orderId: f.orderId }) },
  'attachments-confirm': {
    expect: '409 409 409 404 404 404',
    params: (f) => ({ orderId: f.orderId, attachmentId: f.attachmentId }),
  },
  'notifications-list': { expect: '200 200 200 200 200 200' },
  // A provider token registers its own company (self-registration): already registered → 409.
  'providers-create': {
    expect: '201 201 403 409 403 409',
    body: () => ({
      legalName: `Proveedor ${uniq()}`,
      nit: freshNit(),
      contacts: { email: `p${uniq()}@example.com` },
      categories: ['hvac'],
      cities: ['Bogotá'],
    }),
    idempotent: true,
  },
  'providers-list': { expect: '200 200 403 200 403 200' },
  'providers-get': { expect: '200 200 404 200 404 404', params: () => ({ providerId: DEMO.providerIds[0] }) },
  'provider-documents-request': {
    expect: '201 201 404 201 404 404',
    params: () => ({ providerId: DEMO.providerIds[0] }),
    body: () => ({ type: 'rut', fileName: 'rut.pdf', contentType: 'application/pdf', size: 10 }),
  },
  'provider-documents-list': { expect: '200 200 404 200 404 404', params: () => ({ providerId: DEMO.providerIds[0] }) },
  'provider-documents-confirm': {
    expect: '409 409 404 409 404 404',
    params: (f) => ({ providerId: DEMO.providerIds[0], documentId: f.documentId }),
  },
  'provider-documents-review': {
    expect: '409 409 404 403 404 404',
    params: (f) => ({ providerId: DEMO.providerIds[0], documentId: f.documentId }),
    body: () => ({ decision: 'reject', reason: 'Ilegible' }),
  },
  'providers-action': {
    expect: '409 409 404 403 404 404',
    params: () => ({ providerId: DEMO.providerIds[0], action: 'approve' }),
    body: () => ({}),
  },
  'providers-scorecard': { expect: '200 200 404 200 404 404', params: () => ({ providerId: DEMO.providerIds[0] }) },
  'providers-invitations': { expect: '200 200 404 200 404 404', params: () => ({ providerId: DEMO.providerIds[0] }) },
  // ---- client event feed: the client's users for their own client, staff for any ----
  'client-webhooks-create': {
    expect: '201 201 201 404 404 404',
    params: () => ({ clientId: DEMO.clientId }),
    body: () => ({ url: 'https://hooks.example.invalid/algesta', eventTypes: ['order.submitted'] }),
    idempotent: true,
  },
  'client-webhooks-list': { expect: '200 200 200 404 404 404', params: () => ({ clientId: DEMO.clientId }) },
  'client-webhooks-get': {
    expect: '200 200 200 404 404 404',
    params: (f) => ({ clientId: DEMO.clientId, endpointId: f.webhookEndpointId }),
  },
  'client-webhooks-update': {
    expect: '200 200 200 404 404 404',
    params: (f) => ({ clientId: DEMO.clientId, endpointId: f.webhookEndpointId }),
    body: () => ({ description: 'Seguridad' }),
  },
  'client-webhooks-rotate-secret': {
    expect: '200 200 200 404 404 404',
    params: (f) => ({ clientId: DEMO.clientId, endpointId: f.webhookEndpointId }),
    body: () => ({ overlapHours: 1 }),
  },
  'client-webhooks-delete': {
    expect: '204 204 204 404 404 404',
    params: async (f) => ({ clientId: DEMO.clientId, endpointId: await f.newWebhookEndpoint() }),
  },
  'client-webhooks-deliveries': {
    expect: '200 200 200 404 404 404',
    params: (f) => ({ clientId: DEMO.clientId, endpointId: f.webhookEndpointId }),
  },
  // No delivery of that id: found by nobody, and never another tenant's (replays are proven in test/e2e/client-feed.test.ts).
  'client-webhooks-replay': {
    expect: '404 404 404 404 404 404',
    params: (f) => ({ clientId: DEMO.clientId, endpointId: f.webhookEndpointId, eventId: 'evt_01JBX9G1H2J3K4M5N6P7Q8R9S0' }),
  },
};

/**
 * A valid body for every order action: `orders-action` takes a different schema per action, and each
 * is fuzzed from its sample. Typed by `ApiAction`, so a new action does not compile without one.
 */
const reason = () => ({ reason: 'Motivo de seguridad' });
const cop = { amount: 100_00, currency: 'COP' };
export const ORDER_ACTION_SAMPLES: Record<ApiAction, () => Record<string, unknown>> = {
  triage: () => ({ priority: 'P2' }),
  reject: reason,
  'request-quotes': () => ({ quoteDeadline: '2099-01-01T00:00:00Z', visitDate: '2099-01-02' }),
  'select-quote': () => ({ quoteId: 'quo_sample' }),
  approve: () => ({}),
  'reject-quote': reason,
  assign: () => ({ providerId: DEMO.providerIds[0], amount: cop }),
  schedule: () => ({ visitAt: '2099-01-01T10:00:00-05:00' }),
  'check-in': () => ({}),
  hold: reason,
  resume: reason,
  complete: () => ({ report: 'Trabajo terminado', attachmentIds: ['att_sample'] }),
  verify: () => ({}),
  'request-rework': reason,
  rate: () => ({ score: 4, comment: 'Bien' }),
  invoice: () => ({ invoiceNumber: 'FE-001', amount: cop }),
  close: () => ({}),
  cancel: reason,
  'check-out': () => ({ position: { lat: 4.647, lon: -74.0638, accuracyMeters: 10 } }),
  'approve-invoice': reason,
  'reject-invoice': reason,
  'request-nte-increase': () => ({
    amount: { amount: 200_00, currency: 'COP' },
    reason: 'Más trabajo',
    attachmentIds: ['att_sample'],
  }),
  'approve-nte-increase': () => ({}),
  'reject-nte-increase': reason,
  'answer-checklist': () => ({ answers: [{ itemId: 'filtros', result: 'done' }] }),
};

export function fillRoute(route: string, params: Record<string, string>): string {
  return '/' + route.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(params[k] ?? `missing-${k}`));
}
