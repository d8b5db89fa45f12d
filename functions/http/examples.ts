import type { ApiAction } from '../../shared/domain/orders/lifecycle';

/**
 * The OpenAPI document's examples: requests as a client sends them and answers as the API sends
 * them, with the demo tenant's ids (local/seed.ts). test/unit/openapi-document.test.ts parses each
 * with its operation's zod schema, so an example cannot drift from what the API validates and sends.
 * Plain data only: this module is part of the entry's import graph.
 */
const clientId = 'cli_00000000000000000000000001';
const siteId = 'sit_00000000000000000000000001';
const providerId = 'prv_00000000000000000000000001';
const orderId = 'ord_01JBX4S7Y8Q2M3N4P5R6S7T8V9';
const planId = 'pln_00000000000000000000000001';
const at = '2026-12-01T14:05:09.123Z';
const later = '2026-12-01T15:30:00.000Z';
const cop = (amount: number) => ({ amount, currency: 'COP' });

/** An example per path parameter: the demo tenant's, so that "Try it" finds them on the local stack. */
export const PATH_EXAMPLES: Readonly<Record<string, string>> = {
  clientId,
  siteId,
  userId: 'usr-demo-client',
  orderId,
  attachmentId: 'att_01JBX6C1D2E3F4G5H6J7K8M9N0',
  providerId,
  documentId: 'doc_01JBX7D1E2F3G4H5J6K7M8N9P0',
  endpointId: 'whk_01JBX9F1G2H3J4K5M6N7P8Q9R0',
  eventId: 'evt_01JBX9G1H2J3K4M5N6P7Q8R9S0',
  planId,
  itemId: 'drenaje',
};

export const createClientExample = {
  name: 'Almacenes La 14 S.A.',
  taxId: '890300346-1',
  timeZone: 'America/Bogota',
  currency: 'COP',
  slaPolicy: { P1: { resolve: { minutes: 240 } } },
  businessHours: { start: '07:00', end: '19:00' },
};

export const clientExample = {
  id: clientId,
  ...createClientExample,
  createdAt: at,
  createdBy: 'usr-admin',
};

/** Issue 17: where the site is and how far from it counts as on site. */
export const siteLocationExample = { location: { lat: 4.6867, lon: -74.0485 }, radiusMeters: 150 };

export const createSiteExample = {
  name: 'Sede Norte',
  address: 'Calle 100 # 15-20',
  city: 'Bogotá',
  timeZone: 'America/Bogota',
  ...siteLocationExample,
};

/** Site manager up to 2,000,000 COP, regional manager up to 10,000,000, finance above (issue 17). */
export const approvalChainExample = {
  tiers: [
    { id: 'site-manager', name: 'Jefe de sede', upTo: cop(2_000_000_00) },
    { id: 'regional-manager', name: 'Gerente regional', upTo: cop(10_000_000_00) },
    { id: 'finance', name: 'Finanzas' },
  ],
  escalateAfterBusinessHours: 8,
};

export const clientWithChainExample = { ...clientExample, approvalChain: approvalChainExample };

export const siteExample = { id: siteId, clientId, ...createSiteExample, createdAt: at };

/** Issue 17: a client's field and invoice policy. */
export const fieldPolicyExample = {
  geofence: 'hard',
  hardRules: ['required-evidence'],
  labourTolerance: { minutes: 30, percent: 10 },
  rateCard: { currency: 'COP', materials: { 'CAP-35UF': 85_000_00, 'GAS-R410A': 60_000_00 }, hourlyLabourRate: 95_000_00 },
  requiredEvidence: ['invoice'],
};

export const clientWithPolicyExample = { ...clientExample, fieldPolicy: fieldPolicyExample };

const preferences = { channels: ['email', 'whatsapp'], locale: 'es-CO' };

export const preferencesExample = preferences;

export const updateUserExample = {
  role: 'client',
  clientId,
  name: 'Laura Gómez',
  email: 'laura.gomez@example.com',
  phone: '+573001234567',
  approvalLimit: cop(5_000_000_00),
};

export const userExample = { userId: 'usr-laura', ...updateUserExample, preferences, updatedAt: at };

export const meExample = { ...userExample, roles: ['client'], stored: true };

export const createOrderExample = {
  siteId,
  category: 'hvac',
  priority: 'P2',
  title: 'Aire acondicionado sin enfriar',
  description: 'Piso 3, desde ayer; la unidad hace ruido.',
  assetCode: 'AC-03-017',
  externalRef: 'MESA-48213',
};

const slaClock = (dueAt: string) => ({ startedAt: at, dueAt, pausedMs: 0, atRiskRaised: false, breachedRaised: false });

export const orderExample = {
  id: orderId,
  clientId,
  siteId,
  assetCode: 'AC-03-017',
  category: 'hvac',
  priority: 'P2',
  title: 'Aire acondicionado sin enfriar',
  description: 'Piso 3, desde ayer; la unidad hace ruido.',
  requester: { userId: 'usr-laura', name: 'Laura Gómez', email: 'laura.gomez@example.com' },
  channel: 'dashboard',
  status: 'SUBMITTED',
  externalRef: 'MESA-48213',
  asset: { code: 'AC-03-017', name: 'Aire acondicionado piso 3', model: 'Carrier 42QHC' },
  sla: {
    priority: 'P2',
    startedAt: at,
    targets: { acknowledge: { minutes: 60 }, onSite: { minutes: 480 }, resolve: { businessDays: 2 } },
    clocks: {
      acknowledge: slaClock('2026-12-01T15:05:09.123Z'),
      onSite: slaClock('2026-12-01T22:05:09.123Z'),
      resolve: slaClock('2026-12-03T14:05:09.123Z'),
    },
  },
  slaStatus: 'on-track',
  slaNextCheckAt: '2026-12-01T14:50:09.123Z',
  createdAt: at,
  updatedAt: at,
  version: 1,
};

export const orderPageExample = { items: [orderExample], continuationToken: 'eyJwIjoiMjAyNi0xMi0wMSJ9' };

export const historyPageExample = {
  items: [
    { orderId, seq: 1, at, by: { userId: 'usr-laura', role: 'client' }, action: 'create', from: null, to: 'SUBMITTED' },
    {
      orderId,
      seq: 2,
      at: later,
      by: { userId: 'usr-operator', role: 'operator' },
      action: 'triage',
      from: 'SUBMITTED',
      to: 'TRIAGED',
      details: { priority: 'P2' },
    },
  ],
};

/** One body per order action, as a client sends it (DESIGN 2.1). */
export const ORDER_ACTION_EXAMPLES: Record<ApiAction, unknown> = {
  triage: { priority: 'P2' },
  reject: { reason: 'No es un servicio de mantenimiento' },
  'request-quotes': { quoteDeadline: '2026-12-03T17:00:00-05:00', visitDate: '2026-12-05' },
  'select-quote': { quoteId: 'quo_01JBX5A1B2C3D4E5F6G7H8J9K0' },
  approve: {},
  'reject-quote': { reason: 'El valor supera el presupuesto' },
  assign: { providerId, amount: cop(1_250_000_00) },
  schedule: { visitAt: '2026-12-05T09:00:00-05:00' },
  'check-in': { position: { lat: 4.68675, lon: -74.04861, accuracyMeters: 12 } },
  hold: { reason: 'Esperando un repuesto' },
  resume: { reason: 'Llegó el repuesto' },
  complete: { report: 'Se cambió el capacitor y se recargó el gas.', attachmentIds: ['att_01JBX6C1D2E3F4G5H6J7K8M9N0'] },
  verify: {},
  'request-rework': { reason: 'Sigue sin enfriar' },
  rate: { score: 5, comment: 'Rápido y ordenado' },
  invoice: {
    invoiceNumber: 'FE-1043',
    amount: cop(1_250_000_00),
    attachmentId: 'att_01JBX6C1D2E3F4G5H6J7K8M9N1',
    lines: [
      { kind: 'labour', hours: 3, amount: 285_000_00, description: 'Diagnóstico y cambio de capacitor' },
      { kind: 'material', code: 'CAP-35UF', description: 'Capacitor 35 µF', quantity: 1, unitPrice: 85_000_00 },
      { kind: 'material', code: 'GAS-R410A', description: 'Gas R410A (kg)', quantity: 2, unitPrice: 60_000_00 },
      { kind: 'other', description: 'Transporte y disposición de residuos', amount: 760_000_00 },
    ],
  },
  close: {},
  cancel: { reason: 'El cliente lo resolvió por su cuenta' },
  'check-out': { position: { lat: 4.68671, lon: -74.04855 } },
  'approve-invoice': { reason: 'Horas extra acordadas con el cliente por teléfono' },
  'reject-invoice': { reason: 'El precio del gas no corresponde al tarifario' },
  'request-nte-increase': {
    amount: cop(1_650_000_00),
    reason: 'El compresor también está dañado',
    attachmentIds: ['att_01JBX6C1D2E3F4G5H6J7K8M9N2'],
  },
  'approve-nte-increase': {},
  'reject-nte-increase': { reason: 'Se cambiará el equipo completo en otra orden' },
  'answer-checklist': {
    answers: [
      { itemId: 'filtros', result: 'done' },
      { itemId: 'drenaje', result: 'failed', note: 'Drenaje obstruido', attachmentId: 'att_01JBX6C1D2E3F4G5H6J7K8M9N2' },
    ],
  },
};

export const submitQuoteExample = {
  amount: cop(1_250_000_00),
  leadTimeDays: 2,
  validUntil: '2026-12-31',
  notes: 'Incluye repuestos y mano de obra',
};

export const quoteExample = {
  id: 'quo_01JBX5A1B2C3D4E5F6G7H8J9K0',
  orderId,
  clientId,
  providerId,
  ...submitQuoteExample,
  submittedAt: at,
  submittedBy: 'usr-provider',
};

const blobUpload = (blobName: string) => ({
  url: `https://stalgestadata.blob.core.windows.net/files/${blobName}?sv=2025-05-05&se=2026-12-01T14%3A20%3A09Z&sr=b&sp=c&sig=REDACTED`,
  method: 'PUT',
  headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'image/jpeg' },
  expiresAt: '2026-12-01T14:20:09.123Z',
});

export const requestAttachmentExample = { kind: 'photo', fileName: 'antes.jpg', contentType: 'image/jpeg', size: 482_113 };

const attachmentBlob = `orders/${orderId}/att_01JBX6C1D2E3F4G5H6J7K8M9N0`;

export const attachmentExample = {
  id: 'att_01JBX6C1D2E3F4G5H6J7K8M9N0',
  orderId,
  clientId,
  ...requestAttachmentExample,
  blobName: attachmentBlob,
  status: 'STORED',
  createdAt: at,
  createdBy: 'usr-provider',
  confirmedAt: later,
  downloadUrl: `https://stalgestadata.blob.core.windows.net/files/${attachmentBlob}?sv=2025-05-05&sp=r&sig=REDACTED`,
  downloadUrlExpiresAt: '2026-12-01T15:40:00.000Z',
};

export const attachmentUploadExample = {
  attachment: {
    ...attachmentExample,
    status: 'AWAITING_UPLOAD',
    confirmedAt: undefined,
    downloadUrl: undefined,
    downloadUrlExpiresAt: undefined,
  },
  upload: blobUpload(attachmentBlob),
};

export const registerProviderExample = {
  legalName: 'Climatización Andina S.A.S.',
  nit: '900123456-8',
  contacts: { email: 'operaciones@climaandina.co', whatsapp: '+573109876543', name: 'Jorge Ruiz' },
  categories: ['hvac', 'electrical'],
  cities: ['Bogotá', 'Chía'],
};

export const requestDocumentExample = {
  type: 'insurance-policy',
  fileName: 'poliza-rc-2027.pdf',
  contentType: 'application/pdf',
  size: 1_048_200,
  expiresAt: '2027-11-30',
};

const documentBlob = `providers/${providerId}/doc_01JBX7D1E2F3G4H5J6K7M8N9P0`;

export const providerDocumentExample = {
  id: 'doc_01JBX7D1E2F3G4H5J6K7M8N9P0',
  ...requestDocumentExample,
  status: 'PENDING_REVIEW',
  blobName: documentBlob,
  requestedAt: at,
  requestedBy: 'usr-provider',
  uploadedAt: later,
};

export const uploadInstructionsExample = {
  document: { ...providerDocumentExample, status: 'AWAITING_UPLOAD', uploadedAt: undefined },
  upload: { ...blobUpload(documentBlob), headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'application/pdf' } },
};

export const reviewDocumentExample = { decision: 'reject', reason: 'La póliza está vencida' };

export const providerActionExample = { reason: 'Documentos verificados' };

export const scorecardExample = {
  ordersCompleted: 42,
  onSiteOnTimeRate: 0.93,
  resolveOnTimeRate: 0.88,
  averageRating: 4.6,
  ratings: 37,
  quotesSubmitted: 61,
  quoteWinRate: 0.52,
  reworkRate: 0.05,
  score: 87.5,
};

export const providerExample = {
  id: providerId,
  ...registerProviderExample,
  status: 'APPROVED',
  documents: [{ ...providerDocumentExample, status: 'APPROVED', reviewedAt: later, reviewedBy: 'usr-operator' }],
  scorecard: scorecardExample,
  allowedActions: ['suspend'],
  createdAt: at,
  createdBy: 'usr-provider',
  updatedAt: later,
  version: 7,
};

export const invitationPageExample = {
  items: [
    {
      providerId,
      orderId,
      clientId,
      siteId,
      category: 'hvac',
      city: 'Bogotá',
      title: 'Aire acondicionado sin enfriar',
      quoteDeadline: '2026-12-03T22:00:00.000Z',
      invitedAt: later,
      status: 'OPEN',
    },
  ],
};

export const notificationPageExample = {
  items: [
    {
      id: 'ntf_01JBX8E1F2G3H4J5K6M7N8P9Q0',
      eventId: 'evt_01JBX4S7Y8Q2M3N4P5R6S7T8VA',
      eventType: 'OrderSubmitted',
      recipientUserId: 'usr-laura',
      channel: 'email',
      locale: 'es-CO',
      template: 'order-submitted',
      subject: 'Recibimos su orden: Aire acondicionado sin enfriar',
      orderId,
      status: 'delivered',
      history: [
        { status: 'queued', at },
        { status: 'sent', at: '2026-12-01T14:05:11.000Z' },
        { status: 'delivered', at: '2026-12-01T14:05:14.000Z' },
      ],
      createdAt: at,
      updatedAt: '2026-12-01T14:05:14.000Z',
    },
  ],
};

/** A batch as SendGrid's Event Webhook posts it (docs.sendgrid.com, "Event Webhook reference"). */
export const sendGridEventsExample = [
  {
    email: 'laura.gomez@example.com',
    event: 'delivered',
    sg_event_id: 'ZGVsaXZlcmVkLTAtMjQ4NTU2NjYtZGI2',
    sg_message_id: '14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0',
    timestamp: 1_796_220_314,
    response: '250 OK',
    notificationId: 'ntf_01JBX8E1F2G3H4J5K6M7N8P9Q0',
    recipientUserId: 'usr-laura',
  },
];

/** A user's text as Jelou posts it (docs.jelou.ai, external-support webhook `message_event`). */
export const jelouEventExample = {
  object: 'message_event',
  event_type: 'message',
  timestamp: 1_796_220_309_123,
  contact: { id: '573001234567', name: 'Laura Gómez' },
  value: { id: 'wamid.HBgMNTczMDAxMjM0NTY3FQIAEhgUM0EwQjY2', type: 'text', content: { body: 'Hola, quiero reportar un daño' } },
};

/** An envelope-completed JSON SIM message as DocuSign Connect 2.0 posts it (without documents). */
export const connectEventExample = {
  event: 'envelope-completed',
  apiVersion: 'v2.1',
  uri: '/restapi/v2.1/accounts/8f1c.../envelopes/4b728be4-4a3e-4a4c-9a3b-2b1f0c9d8e7f',
  retryCount: 0,
  configurationId: 10_402_113,
  generatedDateTime: '2026-12-01T14:05:09.123Z',
  data: {
    accountId: '8f1c0b1e-0000-4000-8000-000000000001',
    userId: '5d2b7a10-0000-4000-8000-000000000002',
    envelopeId: '4b728be4-4a3e-4a4c-9a3b-2b1f0c9d8e7f',
    envelopeSummary: {
      status: 'completed',
      customFields: { textCustomFields: [{ name: 'orderId', value: orderId }] },
    },
  },
};

/** The quotes list as staff and the client see it: positions against history and the round. */
export const quoteListExample = {
  items: [
    {
      ...quoteExample,
      guidance: { history: 'above-p75', round: { rank: 2, of: 2, vsMedianPct: 13.6, lowest: false, highest: true } },
    },
    {
      ...quoteExample,
      id: 'quo_01JBX5A1B2C3D4E5F6G7H8J9K1',
      providerId: 'prv_00000000000000000000000002',
      amount: cop(950_000_00),
      guidance: { history: 'p25-p75', round: { rank: 1, of: 2, vsMedianPct: -13.6, lowest: true, highest: false } },
    },
  ],
  guidance: {
    rounds: [{ currency: 'COP', count: 2, median: 1_100_000_00, lowest: 950_000_00, highest: 1_250_000_00 }],
    history: [{ currency: 'COP', count: 6, p25: 880_000_00, median: 980_000_00, p75: 1_090_000_00 }],
    minSample: 4,
  },
};

export const priceGuidanceExample = {
  orderId,
  category: 'hvac',
  city: 'Bogotá',
  minSample: 4,
  history: [{ currency: 'COP', count: 6, p25: 880_000_00, median: 980_000_00, p75: 1_090_000_00 }],
  suggestedNte: cop(980_000_00),
};

// ---- client event feed ----------------------------------------------------------------------------
export const registerWebhookExample = {
  url: 'https://hooks.example.com/algesta',
  eventTypes: ['order.submitted', 'order.status-changed'],
  description: 'ERP de mantenimiento',
};

export const webhookEndpointExample = {
  id: 'whk_01JBX9F1G2H3J4K5M6N7P8Q9R0',
  clientId,
  ...registerWebhookExample,
  status: 'active',
  secrets: [{ id: 'sec_01JBX9F1G2H3J4K5M6N7P8Q9R1', createdAt: at }],
  createdAt: at,
  updatedAt: at,
};

export const webhookEndpointWithSecretExample = {
  ...webhookEndpointExample,
  secret: 'whsec_q3Jk0v9cXl2mB7yF4tR8wE1uI6oP5aS3dG2hJ9kL0zQ',
};

export const updateWebhookExample = { status: 'active', eventTypes: 'all' };

export const rotateWebhookSecretExample = { overlapHours: 24 };

export const webhookDeliveryExample = {
  eventId: 'evt_01JBX9G1H2J3K4M5N6P7Q8R9S0',
  endpointId: 'whk_01JBX9F1G2H3J4K5M6N7P8Q9R0',
  clientId,
  orderId,
  eventType: 'order.submitted',
  seq: `${at}~evt_01JBX9G1H2J3K4M5N6P7Q8R9S0`,
  payload: {
    id: 'evt_01JBX9G1H2J3K4M5N6P7Q8R9S0',
    // eslint-disable-next-line no-restricted-syntax -- documentation of what a receiver gets, not an event being built
    type: 'order.submitted',
    time: at,
    data: { orderId, clientId, siteId, category: 'hvac', priority: 'P2', title: 'Aire acondicionado sin enfriar' },
  },
  status: 'delivered',
  attempts: [
    { n: 1, at, outcome: 'failed', responseCode: 503, latencyMs: 212 },
    { n: 2, at: later, outcome: 'succeeded', responseCode: 200, latencyMs: 87 },
  ],
  runStartedAt: at,
  replays: 0,
  createdAt: at,
};

// ---- maintenance plans (docs/plans.md) ----------------------------------------------------------

export const createPlanExample = {
  siteId,
  category: 'hvac',
  title: 'Mantenimiento preventivo de aires acondicionados',
  description: 'Limpieza de filtros y revisión del drenaje de las unidades del piso 2.',
  checklist: [
    { id: 'filtros', label: 'Filtros limpios' },
    { id: 'drenaje', label: 'Drenaje libre' },
  ],
  rrule: 'FREQ=MONTHLY;BYDAY=2TU',
  startDate: '2026-12-01',
  businessDayRule: 'next-business-day',
  leadTimeDays: 7,
  preApproved: { nte: cop(450_000_00), providerId },
};

export const planExample = {
  id: planId,
  clientId,
  ...createPlanExample,
  status: 'active',
  createdBy: { userId: 'usr-laura', name: 'Laura Gómez', email: 'laura@example.com' },
  createdAt: at,
  updatedAt: at,
  version: 1,
  effectiveFrom: '2026-12-01',
  nextDueOn: '2026-12-01',
};

export const occurrencesExample = [
  { key: `${planId}@2026-12-08`, ruleDate: '2026-12-08', date: '2026-12-09', dueOn: '2026-12-02' },
  { key: `${planId}@2027-01-12`, ruleDate: '2027-01-12', date: '2027-01-12', dueOn: '2027-01-05' },
];
