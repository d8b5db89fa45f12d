import { z } from 'zod';
import type { PageRequest } from '../../shared/application/ports';
import { ROLES } from '../../shared/domain/access/principal';
import { ORDER_STATUSES, PRIORITIES, SERVICE_CATEGORIES } from '../../shared/domain/orders/order';
import { APPROVAL_SUBJECTS } from '../../shared/domain/orders/approval-chain';
import type { ActionBodies, ApiAction } from '../../shared/domain/orders/lifecycle';
import type { SchemasFor } from '../../shared/application/schema-for';
import { CHANNELS, LOCALES } from '../../shared/domain/users/user';
import { DOCUMENT_TYPES } from '../../shared/domain/providers/documents';
import { ENDPOINT_STATUSES, MAX_ROTATION_OVERLAP_HOURS } from '../../shared/domain/feed/endpoint';
import { DELIVERY_STATUSES } from '../../shared/domain/feed/delivery';
import { SLA_STATUSES } from '../../shared/domain/orders/sla';
import { ATTACHMENT_KINDS, type AttachmentKind } from '../../shared/domain/orders/attachment';
import { DOCUMENT_STATUSES, PROVIDER_ACTIONS, PROVIDER_STATUSES } from '../../shared/domain/providers/provider';
import { INVOICE_RULE_IDS } from '../../shared/domain/orders/field-policy';
import { fieldPolicyErrors, siteFenceErrors, type PolicyFieldError } from '../../shared/application/clients/clients';
import { GEOFENCE_POLICIES } from '../../shared/domain/orders/geofence';
import { CHECKLIST_RESULTS } from '../../shared/domain/orders/checklist';
import { BUSINESS_DAY_RULES, PLAN_STATUSES } from '../../shared/domain/plans/plan';

/**
 * The API's request and response schemas: validation at runtime and the OpenAPI document both come
 * from here. Request bodies are strict: an unknown field is a validation error, not silently dropped.
 */
const text = (min: number, max: number) => z.string().trim().min(min).max(max);
const id = z.string().min(1).max(128).describe('resource id');

const timeZone = z
  .string()
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'not an IANA time zone');

export const money = z.strictObject({
  amount: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).describe('minor units'),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'ISO 4217 code')
    .default('COP'),
});

const minor = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** An invoice line (issue 17), amounts in minor units of the invoice's currency. */
const invoiceLine = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('labour'),
    hours: z.number().positive().max(10_000),
    amount: minor,
    description: z.string().trim().min(1).max(500).optional(),
  }),
  z.strictObject({
    kind: z.literal('material'),
    code: z.string().trim().min(1).max(64),
    description: z.string().trim().min(1).max(500),
    quantity: z.number().positive().max(1_000_000),
    unitPrice: minor.describe('minor units; the line’s amount is quantity × unitPrice, rounded'),
  }),
  z.strictObject({ kind: z.literal('other'), description: z.string().trim().min(1).max(500), amount: minor }),
]);

export const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'E.164 phone number, e.g. +573001234567');

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(25).describe('page size (1-100, default 25)'),
  continuationToken: z.string().min(1).max(8192).optional().describe('from the previous page'),
};

/** The page a validated `limit`/`continuationToken` query asks for. */
export function pageRequest(q: { limit: number; continuationToken?: string | undefined }): PageRequest {
  return { limit: q.limit, ...(q.continuationToken ? { continuationToken: q.continuationToken } : {}) };
}

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), continuationToken: z.string().optional() });

// ---- clients and sites --------------------------------------------------------------------------
const slaTarget = z.union([
  z.strictObject({
    minutes: z
      .number()
      .positive()
      .max(365 * 24 * 60),
  }),
  z.strictObject({ businessDays: z.number().int().min(1).max(60) }),
  z.strictObject({ scheduledDate: z.literal(true), plusBusinessDays: z.number().int().min(0).max(60).optional() }),
]);
const slaClocks = z.strictObject({
  acknowledge: slaTarget.optional(),
  onSite: slaTarget.optional(),
  resolve: slaTarget.optional(),
});
const slaPolicyOverride = z.strictObject({
  P1: slaClocks.optional(),
  P2: slaClocks.optional(),
  P3: slaClocks.optional(),
  P4: slaClocks.optional(),
});
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');
const businessHours = z.strictObject({ start: hhmm, end: hhmm });

export const clientIdParams = z.object({ clientId: id });

// Issue 17: site coordinates and the client's field and invoice policy. The schemas check the shape;
// the domain's validators (field-policy.ts) check the meaning, as field errors of the same 400.
const geoPoint = z.strictObject({
  lat: z.number().describe('degrees, -90…90'),
  lon: z.number().describe('degrees, -180…180'),
});
const devicePosition = geoPoint
  .extend({ accuracyMeters: z.number().min(0).max(100_000).optional().describe('the device’s reported accuracy radius') })
  .describe('where the device is (check-in / check-out)');
/** The domain validator's errors as zod issues (path `a/b` → ['a', 'b']), so the pipeline answers 400 with pointers. */
const domainIssues =
  <T>(validate: (v: T) => PolicyFieldError[]) =>
  (value: T, ctx: z.RefinementCtx) => {
    for (const e of validate(value)) ctx.addIssue({ code: 'custom', message: e.message, path: e.field.split('/') });
  };
export const siteLocationBody = z
  .strictObject({ location: geoPoint, radiusMeters: z.number().describe('greater than 0, at most 50 000') })
  .superRefine(domainIssues(siteFenceErrors));
const labourToleranceSchema = z.strictObject({
  minutes: z.number().optional().describe('whole minutes, 0–1440'),
  percent: z.number().optional().describe('of the time on site, 0–100; the larger allowance applies'),
});
const rateCardSchema = z.strictObject({
  currency: z.string().describe('ISO 4217; lines in another currency are not compared'),
  materials: z.record(z.string(), z.number()).describe('material code → highest unit price, minor units'),
  hourlyLabourRate: z.number().optional().describe('highest price of one hour of labour, minor units'),
});
const fieldPolicyShape = z.strictObject({
  geofence: z.enum(GEOFENCE_POLICIES).describe('outside the radius: refused (hard) or accepted and flagged (soft)'),
  hardRules: z
    .array(z.enum(INVOICE_RULE_IDS))
    .describe('rules that refuse an invoice; amount-within-nte and invoice-number-unique always do'),
  labourTolerance: labourToleranceSchema,
  rateCard: rateCardSchema.optional(),
  requiredEvidence: z.array(z.enum(ATTACHMENT_KINDS)).describe('attachment kinds the order must carry when invoiced'),
});
export const fieldPolicyBody = fieldPolicyShape.superRefine(domainIssues(fieldPolicyErrors));
export const siteParams = z.object({ clientId: id, siteId: id });

export const createClientBody = z.strictObject({
  name: text(2, 200),
  taxId: text(3, 32).optional(),
  timeZone: timeZone.optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional(),
  asanaProjectId: text(1, 64).optional(),
  slaPolicy: slaPolicyOverride.optional().describe('overrides of the default SLA table, per priority and clock (DESIGN 2.1)'),
  businessHours: businessHours.optional().describe('for business-day clocks; default 08:00–18:00'),
});

// Shape only: what is wrong with a chain as a whole (overlaps, currency, …) is the domain's
// approvalChainProblems, answered as a 400 with field errors by the use case.
const approvalTier = z.strictObject({
  id: z.string().trim().min(1).max(64),
  name: text(1, 100),
  upTo: money.optional().describe('the highest amount the tier approves on its own; absent only on the last tier'),
  categories: z.array(z.enum(SERVICE_CATEGORIES)).optional().describe('the tier takes part only for these categories'),
});
export const approvalChainBody = z
  .strictObject({
    tiers: z.array(approvalTier).min(1).max(10).describe('lowest tier first; the last one is unbounded'),
    escalateAfterBusinessHours: z.number().describe('a tier that does not answer within this many business hours escalates'),
  })
  .describe('a client’s approval chain (docs/orders.md, "Approval chains")');

export const clientSchema = z.object({
  id: z.string(),
  name: z.string(),
  taxId: z.string().optional(),
  timeZone: z.string(),
  currency: z.string(),
  asanaProjectId: z.string().optional(),
  slaPolicy: slaPolicyOverride.optional(),
  businessHours: businessHours.optional(),
  approvalChain: approvalChainBody.optional(),
  createdAt: z.string(),
  createdBy: z.string(),
  fieldPolicy: fieldPolicyShape.optional().describe('geofence and invoice rules (docs/orders.md); absent: the defaults'),
});

export const createSiteBody = z
  .strictObject({
    name: text(2, 200),
    address: text(3, 300),
    city: text(2, 100),
    timeZone: timeZone.optional(),
    location: geoPoint.optional().describe('with radiusMeters: check-ins are measured against it'),
    radiusMeters: z.number().optional(),
  })
  .superRefine((site, ctx) => {
    if ((site.location === undefined) !== (site.radiusMeters === undefined))
      ctx.addIssue({ code: 'custom', message: 'location and radiusMeters go together', path: ['radiusMeters'] });
    else if (site.location && site.radiusMeters !== undefined)
      domainIssues(siteFenceErrors)({ location: site.location, radiusMeters: site.radiusMeters }, ctx);
  });

export const siteSchema = z.object({
  id: z.string(),
  clientId: z.string(),
  name: z.string(),
  address: z.string(),
  city: z.string(),
  timeZone: z.string().optional(),
  createdAt: z.string(),
  location: geoPoint.optional(),
  radiusMeters: z.number().optional(),
});

export const listSitesQuery = z.object(pageQuery);

// ---- users ---------------------------------------------------------------------------------------
export const userIdParams = z.object({ userId: id });

export const preferencesSchema = z.strictObject({
  channels: z
    .array(z.enum(CHANNELS))
    .max(CHANNELS.length)
    .refine((c) => new Set(c).size === c.length, 'channels must not repeat'),
  locale: z.enum(LOCALES),
});

export const updateUserBody = z.strictObject({
  role: z.enum(ROLES),
  clientId: id.optional(),
  providerId: id.optional(),
  name: text(1, 200).optional(),
  email: z.email().max(254).optional(),
  phone: e164.optional(),
  approvalLimit: money.optional(),
  approvalTier: id.optional().describe('the tier of the client’s approval chain this user approves for'),
});

export const userSchema = z.object({
  userId: z.string(),
  role: z.enum(ROLES),
  clientId: z.string().optional(),
  providerId: z.string().optional(),
  name: z.string().optional(),
  email: z.string().optional(),
  phone: z.string().optional(),
  approvalLimit: z.object({ amount: z.number(), currency: z.string() }).optional(),
  approvalTier: z.string().optional(),
  preferences: z.object({ channels: z.array(z.enum(CHANNELS)), locale: z.enum(LOCALES) }),
  updatedAt: z.string(),
});

export const meSchema = userSchema.extend({
  roles: z.array(z.enum(ROLES)),
  stored: z.boolean().describe('false: the fields are the token’s (no trusted profile is stored)'),
  profileMismatch: z
    .object({ fields: z.array(z.enum(['userId', 'role', 'clientId', 'providerId', 'scope'])) })
    .optional()
    .describe('present when a stored profile disagrees with the token (role or tenant): it is not used for anything'),
});

// ---- orders --------------------------------------------------------------------------------------
export const orderIdParams = z.object({ orderId: id });

const contact = z.strictObject({ name: text(1, 200), email: z.email().max(254).optional(), phone: e164.optional() });

export const createOrderBody = z.strictObject({
  clientId: id.optional().describe('required for staff; a client user’s own client by default'),
  siteId: id,
  assetCode: text(1, 64).optional(),
  category: z.enum(SERVICE_CATEGORIES),
  priority: z.enum(PRIORITIES),
  title: text(3, 140),
  description: text(1, 4000),
  requester: contact.optional(),
  channel: z.enum(['dashboard', 'api']).optional(),
  externalRef: text(1, 64).optional().describe('ticket reference in the client’s own system'),
});

export const listOrdersQuery = z.object({
  status: z.enum(ORDER_STATUSES).optional(),
  priority: z.enum(PRIORITIES).optional(),
  siteId: id.optional(),
  providerId: id.optional().describe('orders assigned to this provider'),
  slaState: z.enum(SLA_STATUSES).optional().describe('the SLA status when last checked'),
  clientId: id.optional().describe('staff: one client’s orders'),
  ...pageQuery,
});

const slaClockSchema = z.object({
  startedAt: z.string(),
  dueAt: z.string().optional().describe('absent while unknown (P4 before the visit is scheduled)'),
  pausedMs: z.number(),
  pausedSince: z.string().optional(),
  stoppedAt: z.string().optional(),
  atRiskRaised: z.boolean(),
  breachedRaised: z.boolean(),
});
const slaStateSchema = z
  .object({
    priority: z.enum(PRIORITIES),
    startedAt: z.string(),
    visitAt: z.string().optional(),
    targets: z.record(z.string(), z.unknown()),
    clocks: z.object({ acknowledge: slaClockSchema, onSite: slaClockSchema, resolve: slaClockSchema }),
    priorityChangedAt: z.string().optional(),
  })
  .describe('the SLA clocks (DESIGN 2.1): due times, pauses, events raised');

const amountSchema = z.object({ amount: z.number().int(), currency: z.string() });
const orderApprovalSchema = z
  .object({
    subject: z.enum(APPROVAL_SUBJECTS),
    mode: z.enum(['chain', 'approval-limit']).describe('approval-limit: the client has no chain'),
    amount: amountSchema,
    previousAmount: amountSchema.optional().describe('NTE increases: the NTE before the request'),
    request: z
      .object({ reason: z.string(), attachmentIds: z.array(z.string()), by: z.string() })
      .optional()
      .describe('NTE increases: what the provider sent'),
    tiers: z
      .array(
        z.object({ id: z.string(), name: z.string(), upTo: amountSchema.optional(), categories: z.array(z.string()).optional() }),
      )
      .describe('the chain’s tiers for the order’s category, as when the approval started'),
    requiredTier: z.number().int().describe('index of the tier that must approve (the first covering the amount)'),
    currentTier: z.number().int().describe('index of the tier asked now'),
    escalateAfterBusinessHours: z.number().optional(),
    dueAt: z.string().optional().describe('when the current tier escalates'),
    escalatedToOperators: z.boolean().optional(),
    approvals: z.array(
      z.object({
        tierId: z.string().optional().describe('absent: staff on the client’s behalf'),
        userId: z.string(),
        role: z.string(),
        at: z.string(),
        reason: z.string().optional(),
      }),
    ),
    escalations: z.array(z.object({ fromTierId: z.string(), toTierId: z.string().optional(), at: z.string() })),
    requestedAt: z.string(),
    outcome: z
      .enum(['approved', 'rejected', 'withdrawn'])
      .optional()
      .describe('absent while pending; withdrawn: the order was cancelled before anyone answered'),
    decidedAt: z.string().optional(),
  })
  .describe('the approval in progress through the client’s chain, or the last one with its outcome');

export const orderSchema = z.object({
  id: z.string(),
  clientId: z.string(),
  siteId: z.string(),
  assetCode: z.string().optional(),
  category: z.enum(SERVICE_CATEGORIES),
  priority: z.enum(PRIORITIES),
  title: z.string(),
  description: z.string(),
  requester: z.object({ userId: z.string(), name: z.string(), email: z.string().optional(), phone: z.string().optional() }),
  channel: z.string(),
  status: z.enum(ORDER_STATUSES),
  externalRef: z.string().optional(),
  providerId: z.string().optional(),
  invitedProviderIds: z.array(z.string()).optional(),
  quoteDeadline: z.string().optional(),
  visitDate: z.string().optional(),
  selectedQuoteId: z.string().optional(),
  approvedAmount: z.object({ amount: z.number().int(), currency: z.string() }).optional().describe('the NTE'),
  contract: z
    .object({
      requestedAt: z.string(),
      requestedBy: z.string().optional(),
      envelopeId: z.string().optional(),
      sentAt: z.string().optional(),
      signedAt: z.string().optional(),
      documentAttachmentId: z.string().optional().describe('the signed contract, among the attachments'),
    })
    .optional(),
  asanaTaskGid: z.string().optional(),
  visitAt: z.string().optional(),
  hold: z.object({ reason: z.string(), since: z.string() }).optional(),
  completion: z.object({ report: z.string(), attachmentIds: z.array(z.string()), at: z.string() }).optional(),
  rating: z.object({ score: z.number().int(), comment: z.string().optional(), at: z.string() }).optional(),
  invoice: z
    .object({
      invoiceNumber: z.string(),
      amount: z.object({ amount: z.number().int(), currency: z.string() }),
      attachmentId: z.string().optional(),
      at: z.string(),
      lines: z.array(invoiceLine).optional(),
      review: z
        .object({
          outcome: z.enum(['auto-approved', 'held', 'approved']),
          verdicts: z.array(
            z.object({
              rule: z.enum(INVOICE_RULE_IDS),
              verdict: z.enum(['pass', 'fail', 'not-applicable']),
              severity: z.enum(['hard', 'soft']),
              message: z.string(),
              details: z.record(z.string(), z.unknown()).optional(),
            }),
          ),
          reviewedBy: z.string().optional(),
          reviewedAt: z.string().optional(),
          reason: z.string().optional(),
        })
        .optional()
        .describe('the invoice rules’ verdicts; `held` waits for an operator (approve-invoice / reject-invoice)'),
    })
    .optional(),
  onSite: z.object({ checkedInAt: z.string(), checkedOutAt: z.string().optional() }).optional(),
  rejectedInvoices: z.array(z.object({ invoiceNumber: z.string(), reason: z.string(), at: z.string() })).optional(),
  reworkCount: z.number().int().optional(),
  closedReason: z.string().optional(),
  approval: orderApprovalSchema.optional(),
  quoteRoundClosedAt: z.string().optional(),
  asset: z.object({ code: z.string(), name: z.string(), model: z.string().optional() }).optional(),
  assetTriage: z
    .object({ reason: z.string(), at: z.string() })
    .optional()
    .describe('the asset code is unknown to the assets system'),
  maintenanceRecordedAt: z.string().optional(),
  sla: slaStateSchema.optional(),
  slaStatus: z.enum(SLA_STATUSES).optional(),
  slaNextCheckAt: z.string().optional(),
  // Plans and checklists (docs/plans.md).
  planOccurrence: z
    .object({ planId: z.string(), key: z.string(), ruleDate: z.string(), date: z.string() })
    .optional()
    .describe('the maintenance plan occurrence this order was opened for'),
  checklist: z
    .array(
      z.object({
        id: z.string(),
        label: z.string(),
        answer: z
          .object({
            result: z.enum(CHECKLIST_RESULTS),
            note: z.string().optional(),
            attachmentId: z.string().optional(),
            at: z.string(),
            by: z.string(),
          })
          .optional(),
      }),
    )
    .optional(),
  followUpOf: z.object({ orderId: z.string(), checklistItemId: z.string() }).optional(),
  followUps: z.array(z.object({ orderId: z.string(), checklistItemId: z.string() })).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int(),
});

export const historyEntrySchema = z.object({
  orderId: z.string(),
  seq: z.number().int(),
  at: z.string(),
  by: z.object({ userId: z.string(), role: z.enum([...ROLES, 'system']) }),
  action: z.string(),
  from: z.enum(ORDER_STATUSES).nullable(),
  to: z.enum(ORDER_STATUSES),
  reason: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export const historyQuery = z.object(pageQuery);

// ---- providers -----------------------------------------------------------------------------------
export const providerIdParams = z.object({ providerId: id });
export const providerDocumentParams = z.object({ providerId: id, documentId: id });
export const providerActionParams = z.object({ providerId: id, action: z.enum(PROVIDER_ACTIONS) });
const calendarDate = z.iso.date().describe('YYYY-MM-DD');

export const registerProviderBody = z.strictObject({
  legalName: text(2, 200),
  nit: text(7, 20).describe('Colombian NIT with its check digit, e.g. 900123456-7'),
  contacts: z.strictObject({ email: z.email().max(254), whatsapp: e164.optional(), name: text(1, 200).optional() }),
  categories: z.array(z.enum(SERVICE_CATEGORIES)).min(1).max(SERVICE_CATEGORIES.length),
  cities: z.array(text(2, 100)).min(1).max(50),
});

export const listProvidersQuery = z.object({
  status: z.enum(PROVIDER_STATUSES).optional(),
  category: z.enum(SERVICE_CATEGORIES).optional(),
  city: text(2, 100).optional(),
  ...pageQuery,
});

export const requestDocumentBody = z.strictObject({
  type: z.enum(DOCUMENT_TYPES),
  fileName: text(1, 200),
  contentType: z.string().max(100).describe('application/pdf, image/jpeg, image/png, image/heic or image/webp'),
  size: z.number().int().min(1).describe('bytes; at most 20 MB'),
  issuedAt: calendarDate.optional().describe('chamber-of-commerce: issued within the last 90 days'),
  expiresAt: calendarDate.optional().describe('insurance-policy and safety-certification: a future date'),
});

export const reviewDocumentBody = z.strictObject({
  decision: z.enum(['approve', 'reject']),
  reason: text(3, 1000).optional().describe('required to reject'),
});

export const providerActionBody = z.strictObject({ reason: text(3, 1000).optional().describe('required to reject or suspend') });

export const providerDocumentSchema = z.object({
  id: z.string(),
  type: z.enum(DOCUMENT_TYPES),
  status: z.enum(DOCUMENT_STATUSES),
  fileName: z.string(),
  contentType: z.string(),
  size: z.number().int(),
  blobName: z.string(),
  issuedAt: z.string().optional(),
  expiresAt: z.string().optional(),
  requestedAt: z.string(),
  requestedBy: z.string(),
  uploadedAt: z.string().optional(),
  reviewedAt: z.string().optional(),
  reviewedBy: z.string().optional(),
  rejectionReason: z.string().optional(),
  uploadRejected: z.boolean().optional(),
  remindersSent: z.array(z.number().int()).optional(),
  downloadUrl: z.string().optional(),
  downloadUrlExpiresAt: z.string().optional(),
});

export const scorecardSchema = z.object({
  ordersCompleted: z.number().int(),
  onSiteOnTimeRate: z.number().nullable(),
  resolveOnTimeRate: z.number().nullable(),
  averageRating: z.number().nullable(),
  ratings: z.number().int(),
  quotesSubmitted: z.number().int(),
  quoteWinRate: z.number().nullable(),
  reworkRate: z.number().nullable(),
  score: z.number(),
});

export const providerSchema = z.object({
  id: z.string(),
  legalName: z.string(),
  nit: z.string(),
  contacts: z.object({ email: z.string(), whatsapp: z.string().optional(), name: z.string().optional() }),
  categories: z.array(z.enum(SERVICE_CATEGORIES)),
  cities: z.array(z.string()),
  status: z.enum(PROVIDER_STATUSES),
  suspension: z.object({ automatic: z.boolean(), reason: z.string(), at: z.string() }).optional(),
  rejectionReason: z.string().optional(),
  documents: z.array(providerDocumentSchema),
  scorecard: scorecardSchema,
  allowedActions: z.array(z.enum(PROVIDER_ACTIONS)),
  createdAt: z.string(),
  createdBy: z.string(),
  updatedAt: z.string(),
  version: z.number().int(),
});

/** How to upload one file straight to Blob Storage (provider documents and order attachments alike). */
const uploadSchema = z.object({
  url: z.string().describe('create-only, this one blob, 15 minutes'),
  method: z.literal('PUT'),
  headers: z.record(z.string(), z.string()),
  expiresAt: z.string(),
});

export const uploadInstructionsSchema = z.object({ document: providerDocumentSchema, upload: uploadSchema });

export const attachmentParams = z.object({ orderId: id, attachmentId: id });

export const requestAttachmentBody = z.strictObject({
  kind: z
    .enum(ATTACHMENT_KINDS.filter((k) => k !== 'contract') as [AttachmentKind, ...AttachmentKind[]])
    .describe('photo and evidence back `complete`; invoice backs `invoice` (contracts are stored by the platform)'),
  fileName: text(1, 200),
  contentType: z.string().max(100).describe('application/pdf, image/jpeg, image/png, image/heic or image/webp'),
  size: z.number().int().min(1).describe('bytes; at most 20 MB'),
});

export const attachmentSchema = z.object({
  id: z.string(),
  orderId: z.string(),
  clientId: z.string(),
  kind: z.enum(ATTACHMENT_KINDS),
  fileName: z.string(),
  contentType: z.string(),
  size: z.number().int(),
  blobName: z.string(),
  status: z.enum(['AWAITING_UPLOAD', 'STORED', 'REJECTED']),
  rejectionReason: z.string().optional(),
  createdAt: z.string(),
  createdBy: z.string(),
  confirmedAt: z.string().optional(),
  downloadUrl: z.string().optional().describe('read-only, 10 minutes; present once stored'),
  downloadUrlExpiresAt: z.string().optional(),
});

export const attachmentUploadSchema = z.object({ attachment: attachmentSchema, upload: uploadSchema });

export const invitationSchema = z.object({
  providerId: z.string(),
  orderId: z.string(),
  clientId: z.string(),
  siteId: z.string(),
  category: z.enum(SERVICE_CATEGORIES),
  city: z.string(),
  title: z.string(),
  quoteDeadline: z.string(),
  invitedAt: z.string(),
  status: z.literal('OPEN'),
});

// ---- order lifecycle ----------------------------------------------------------------------------
/** Checklist items as staff (triage) or a plan define them (docs/plans.md). */
export const checklistItemsBody = z
  .array(z.strictObject({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), label: text(1, 300) }))
  .max(50);
const reasonBody = z.strictObject({ reason: text(3, 1000) });
const noBody = z
  .strictObject({})
  .optional()
  .transform((b) => b ?? {});
const instant = z.iso.datetime({ offset: true }).describe('ISO-8601 instant');

const actionBodies = {
  triage: z
    .strictObject({
      category: z.enum(SERVICE_CATEGORIES).optional(),
      priority: z.enum(PRIORITIES).optional(),
      checklist: checklistItemsBody.optional().describe('items the provider must answer before `complete` (docs/plans.md)'),
    })
    .optional()
    .transform((b) => b ?? {}),
  reject: reasonBody,
  'request-quotes': z.strictObject({
    quoteDeadline: instant.describe('when the round closes; eligible providers are invited'),
    visitDate: calendarDate.optional().describe('intended visit: documents must be valid then (default: the deadline’s date)'),
  }),
  'select-quote': z.strictObject({ quoteId: id }),
  approve: z
    .strictObject({
      reason: text(3, 1000).optional().describe('staff approving for a client with an approval chain must give one'),
    })
    .optional()
    .transform((b) => b ?? {}),
  'reject-quote': reasonBody,
  assign: z.strictObject({ providerId: id, amount: money }),
  schedule: z.strictObject({ visitAt: instant }),
  'check-in': z
    .strictObject({ position: devicePosition.optional() })
    .optional()
    .transform((b) => b ?? {}),
  hold: reasonBody,
  resume: reasonBody,
  complete: z.strictObject({ report: text(3, 4000), attachmentIds: z.array(id).min(1).max(50) }),
  verify: noBody,
  'request-rework': reasonBody,
  rate: z.strictObject({ score: z.number().int().min(1).max(5), comment: text(1, 1000).optional() }),
  invoice: z.strictObject({
    invoiceNumber: text(1, 64),
    amount: money,
    attachmentId: id.optional(),
    lines: z.array(invoiceLine).min(1).max(200).optional().describe('when sent, `amount` must equal their total'),
  }),
  close: noBody,
  cancel: reasonBody,
  'check-out': z
    .strictObject({ position: devicePosition.optional() })
    .optional()
    .transform((b) => b ?? {}),
  'approve-invoice': reasonBody,
  'reject-invoice': reasonBody,
  'request-nte-increase': z.strictObject({
    amount: money.describe('the new total, above the current NTE'),
    reason: text(3, 1000),
    attachmentIds: z.array(id).min(1).max(50).describe('evidence photos, confirmed attachments of the order'),
  }),
  'approve-nte-increase': z
    .strictObject({
      reason: text(3, 1000).optional().describe('staff approving for a client with an approval chain must give one'),
    })
    .optional()
    .transform((b) => b ?? {}),
  'reject-nte-increase': reasonBody,
  'answer-checklist': z.strictObject({
    answers: z
      .array(
        z.strictObject({
          itemId: text(1, 64),
          result: z.enum(CHECKLIST_RESULTS),
          note: text(1, 2000).optional().describe('required when failed'),
          attachmentId: id.optional().describe('a stored photo of this order; required when failed'),
        }),
      )
      .min(1)
      .max(50),
  }),
};
/**
 * One body schema per action of `/orders/{orderId}/actions/{action}` (DESIGN 2.1), each parsing to
 * exactly the domain's body of its action (`ActionBodies`): checked here at compile time.
 */
export const ORDER_ACTION_BODIES = actionBodies satisfies SchemasFor<Pick<ActionBodies, ApiAction>, typeof actionBodies>;

export const orderActionParams = z.object({ orderId: id, action: z.string().min(1).max(40) });

export const submitQuoteBody = z.strictObject({
  amount: money,
  leadTimeDays: z.number().int().min(0).max(365),
  validUntil: calendarDate,
  notes: text(1, 2000).optional(),
  attachmentId: id.optional(),
});

export const quoteSchema = z.object({
  id: z.string(),
  orderId: z.string(),
  clientId: z.string(),
  providerId: z.string(),
  amount: z.object({ amount: z.number().int(), currency: z.string() }),
  leadTimeDays: z.number().int(),
  validUntil: z.string(),
  notes: z.string().optional(),
  attachmentId: z.string().optional(),
  submittedAt: z.string(),
  submittedBy: z.string(),
});

// ---- price guidance (docs/orders.md, "Price guidance") ------------------------------------------

const moneyOut = z.object({ amount: z.number().int(), currency: z.string() });

/** A key's statistics as shown: no individual prices; quartiles null below the minimum sample. */
export const priceHistorySchema = z.object({
  currency: z.string(),
  count: z.number().int().describe('closed orders in the window (the most recent, at most 50)'),
  p25: z.number().int().nullable().describe('minor units; null below the minimum sample'),
  median: z.number().int().nullable(),
  p75: z.number().int().nullable(),
});

export const quoteGuidanceSchema = z.object({
  history: z
    .enum(['below-p25', 'p25-p75', 'above-p75', 'no-history'])
    .describe('the quote against closed orders of the same client, category, city and currency'),
  round: z.object({
    rank: z.number().int().describe('1 = the lowest of the round in its currency; equal amounts share a rank'),
    of: z.number().int(),
    vsMedianPct: z.number().nullable().describe('against the round’s median, percent, one decimal'),
    lowest: z.boolean(),
    highest: z.boolean(),
  }),
});

export const quoteListSchema = z.object({
  items: z.array(quoteSchema.extend({ guidance: quoteGuidanceSchema.optional() })),
  guidance: z
    .object({
      rounds: z.array(
        z.object({
          currency: z.string(),
          count: z.number().int(),
          median: z.number().int(),
          lowest: z.number().int(),
          highest: z.number().int(),
        }),
      ),
      history: z.array(priceHistorySchema),
      minSample: z.number().int(),
    })
    .optional()
    .describe('staff and the client only; a provider sees its own quote and no guidance'),
});

export const priceGuidanceSchema = z.object({
  orderId: z.string(),
  category: z.enum(SERVICE_CATEGORIES),
  city: z.string().nullable(),
  minSample: z.number().int(),
  history: z.array(priceHistorySchema),
  suggestedNte: moneyOut
    .nullable()
    .describe('the median of comparable work in the client’s currency; null without enough history'),
});

// ---- client event feed (docs/webhooks.md) ----------------------------------------------------------
export const webhookEndpointParams = z.object({ clientId: id, endpointId: id });
export const webhookDeliveryParams = z.object({ clientId: id, endpointId: id, eventId: id });
const feedEventTypes = z
  .union([z.literal('all'), z.array(z.string().min(1).max(100)).min(1).max(100)])
  .describe('order event types (docs/webhooks.md), or "all": every order event, present and future');

export const registerWebhookBody = z.strictObject({
  url: z.string().min(1).max(2048).describe('https URL of the receiver; a public address'),
  eventTypes: feedEventTypes.optional(),
  description: text(1, 200).optional(),
});

export const updateWebhookBody = z.strictObject({
  url: z.string().min(1).max(2048).optional(),
  eventTypes: feedEventTypes.optional(),
  description: text(1, 200).optional(),
  status: z.enum(ENDPOINT_STATUSES).optional().describe('`active` enables it again (a fresh 24 h), `disabled` stops deliveries'),
});

export const rotateWebhookSecretBody = z.strictObject({
  overlapHours: z
    .number()
    .int()
    .min(0)
    .max(MAX_ROTATION_OVERLAP_HOURS)
    .optional()
    .describe('how long the current secrets keep signing (default 24)'),
});

export const webhookEndpointSchema = z.object({
  id: z.string(),
  clientId: z.string(),
  url: z.string(),
  description: z.string().optional(),
  eventTypes: z.union([z.literal('all'), z.array(z.string())]),
  status: z.enum(ENDPOINT_STATUSES),
  disabledReason: z.enum(['manual', 'failing']).optional(),
  failingSince: z.string().optional(),
  secrets: z.array(z.object({ id: z.string(), createdAt: z.string(), notAfter: z.string().optional() })),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const webhookEndpointWithSecretSchema = webhookEndpointSchema.extend({
  secret: z.string().describe('the new signing secret: shown in this answer only'),
});

export const webhookDeliverySchema = z.object({
  eventId: z.string().describe('= the payload `id`: receivers dedupe on it'),
  endpointId: z.string(),
  clientId: z.string(),
  orderId: z.string(),
  eventType: z.string(),
  seq: z.string(),
  payload: z.object({ id: z.string(), type: z.string(), time: z.string(), data: z.unknown() }),
  status: z.enum(DELIVERY_STATUSES),
  inFlightSince: z.string().optional(),
  attempts: z.array(
    z.object({
      n: z.number().int(),
      at: z.string(),
      outcome: z.enum(['succeeded', 'failed']),
      responseCode: z.number().int().optional(),
      latencyMs: z.number().int(),
      error: z.string().optional(),
    }),
  ),
  runStartedAt: z.string().optional(),
  nextAttemptAt: z.string().optional(),
  replays: z.number().int(),
  createdAt: z.string(),
});

export const listWebhookDeliveriesQuery = z.object(pageQuery);

// ---- maintenance plans (docs/plans.md) ----------------------------------------------------------

export const planParams = z.object({ clientId: id, planId: id });
export const followUpParams = z.object({ orderId: id, itemId: z.string().min(1).max(64) });
export const planActionParams = z.object({ clientId: id, planId: id, action: z.enum(['pause', 'resume', 'end']) });

const planDefinitionFields = {
  siteId: id,
  assetCode: text(1, 64).optional(),
  category: z.enum(SERVICE_CATEGORIES),
  title: text(3, 200),
  description: text(3, 4000),
  checklist: checklistItemsBody.default([]).describe('copied to each order; the provider answers every item'),
  rrule: z
    .string()
    .min(1)
    .max(500)
    .describe(
      'RFC 5545 RRULE: FREQ=DAILY|WEEKLY|MONTHLY|YEARLY with INTERVAL, BYDAY (MO, 2TU, -1FR), BYMONTHDAY, BYMONTH, BYSETPOS, COUNT or UNTIL',
    ),
  startDate: calendarDate.describe('local date the rule starts on (its DTSTART)'),
  businessDayRule: z.enum(BUSINESS_DAY_RULES).default('none').describe('what a weekend or holiday date does'),
  leadTimeDays: z.number().int().min(0).max(365).describe('the order is opened this many days before the date'),
  preApproved: z
    .strictObject({ nte: money, providerId: id })
    .optional()
    .describe('with an eligible provider, each order goes straight to assignment for this NTE'),
};

export const planBody = z.strictObject(planDefinitionFields);

export const planSchema = z.object({
  id: z.string(),
  clientId: z.string(),
  siteId: z.string(),
  assetCode: z.string().optional(),
  category: z.enum(SERVICE_CATEGORIES),
  title: z.string(),
  description: z.string(),
  checklist: z.array(z.object({ id: z.string(), label: z.string() })),
  rrule: z.string(),
  startDate: z.string(),
  businessDayRule: z.enum(BUSINESS_DAY_RULES),
  leadTimeDays: z.number().int(),
  preApproved: z.object({ nte: z.object({ amount: z.number().int(), currency: z.string() }), providerId: z.string() }).optional(),
  status: z.enum(PLAN_STATUSES),
  createdBy: z.object({ userId: z.string(), name: z.string(), email: z.string().optional() }),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int(),
  effectiveFrom: z.string().describe('the first rule date the current definition governs'),
  generatedThrough: z.string().optional().describe('rule date of the last occurrence whose order exists'),
  nextDueOn: z.string().optional().describe('when the next order is opened'),
});

export const listPlansQuery = z.object(pageQuery);
export const upcomingQuery = z
  .object({
    count: z.coerce.number().int().min(1).max(100).default(10),
    from: calendarDate.optional().describe('with `to`: only occurrences whose rule date is in [from, to)'),
    to: calendarDate.optional(),
  })
  .refine((q) => (q.from === undefined) === (q.to === undefined), { message: 'from and to go together', path: ['to'] })
  .refine((q) => !q.from || !q.to || (q.from < q.to && Date.parse(q.to) - Date.parse(q.from) <= 2 * 366 * 86_400_000), {
    message: 'to must be after from, at most two years later',
    path: ['to'],
  });
export const occurrenceSchema = z.object({
  key: z.string().describe('plan id and original rule date: the occurrence’s identity'),
  ruleDate: z.string(),
  date: z.string().describe('after the business-day rule'),
  dueOn: z.string().describe('the day its order is opened'),
});
