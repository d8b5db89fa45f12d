import type { Principal, Role } from '../access/principal';
import type { ServiceCategory } from '../orders/order';
import type { EventTypesCarrying, ProviderTransitionedData } from '../events/catalogue';
import type { EventDraft } from '../shared/events';
import { startOfLocalDay } from '../shared/time';
import {
  addDays,
  daysBetween,
  documentFactProblems,
  requiredDocumentTypes,
  validOn,
  type DocumentFacts,
  type DocumentType,
} from './documents';
import { emptyScorecard, type ScorecardCounters } from './scorecard';
import { REMINDER_DAYS, type ProviderStatus, type ReminderDays } from './vocabulary';

export { PROVIDER_STATUSES, REMINDER_DAYS, type ProviderStatus, type ReminderDays } from './vocabulary';

/** What operators do through `/actions/{action}`. */
export const PROVIDER_ACTIONS = ['approve', 'reject', 'suspend', 'reinstate'] as const;
export type ProviderAction = (typeof PROVIDER_ACTIONS)[number];
/** What the system does on its own (documents complete or incomplete, expiry, renewal). */
export type SystemTransition = 'documents-complete' | 'documents-incomplete' | 'document-expired' | 'documents-renewed';

export const DOCUMENT_STATUSES = ['AWAITING_UPLOAD', 'PENDING_REVIEW', 'APPROVED', 'REJECTED', 'SUPERSEDED'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

export interface ProviderDocument extends DocumentFacts {
  readonly id: string;
  readonly type: DocumentType;
  readonly status: DocumentStatus;
  readonly fileName: string;
  /** What the uploader declared; checked against the real bytes on confirmation. */
  readonly contentType: string;
  readonly size: number;
  /** Server-chosen name in the `provider-documents` container. */
  readonly blobName: string;
  readonly requestedAt: string;
  readonly requestedBy: string;
  readonly uploadedAt?: string;
  readonly reviewedAt?: string;
  readonly reviewedBy?: string;
  readonly rejectionReason?: string;
  /** Refused by the upload check: its file was deleted. */
  readonly uploadRejected?: boolean;
  readonly remindersSent?: readonly ReminderDays[];
}

/** Whether a file is stored for the document (it was uploaded and not refused by the upload check). */
export function hasFile(d: ProviderDocument): boolean {
  return d.status !== 'AWAITING_UPLOAD' && !d.uploadRejected;
}

export interface Contacts {
  readonly email: string;
  /** WhatsApp number, E.164. */
  readonly whatsapp?: string;
  readonly name?: string;
}

export interface Provider {
  readonly id: string;
  readonly legalName: string;
  /** Canonical NIT `900123456-7`; unique among providers. */
  readonly nit: string;
  readonly contacts: Contacts;
  readonly categories: readonly ServiceCategory[];
  /** Cities covered, as written on sites (compared case- and accent-insensitively). */
  readonly cities: readonly string[];
  readonly status: ProviderStatus;
  /** Set while SUSPENDED: automatic suspensions (expired documents) lift themselves on renewal. */
  readonly suspension?: { readonly automatic: boolean; readonly reason: string; readonly at: string };
  readonly rejectionReason?: string;
  readonly documents: readonly ProviderDocument[];
  readonly scorecard: ScorecardCounters;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  /** The number of its last history entry (status transitions); concurrency is the ETag's job. */
  readonly version: number;
}

export interface ProviderHistoryEntry {
  readonly providerId: string;
  readonly seq: number;
  readonly at: string;
  readonly by: { readonly userId: string; readonly role: Role | 'system' };
  readonly action: ProviderAction | SystemTransition | 'register';
  readonly from: ProviderStatus | null;
  readonly to: ProviderStatus;
  readonly reason?: string;
  readonly details?: Record<string, unknown>;
}

export interface ProviderDecision {
  readonly provider: Provider;
  readonly history: readonly ProviderHistoryEntry[];
  readonly events: readonly EventDraft[];
}

/** Who acts: a person (with a role) or the system's own workflows. */
export type Actor = Pick<Principal, 'userId' | 'role'> | { readonly userId: 'system'; readonly role: 'system' };
export const SYSTEM: Actor = { userId: 'system', role: 'system' };

/** Refused by a rule of this aggregate; the application turns it into 409 or 422. */
export class ProviderRuleError extends Error {
  constructor(
    readonly kind: 'illegal-transition' | 'guard' | 'invalid-document',
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly fieldErrors: readonly { field: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'ProviderRuleError';
  }
}

// ---- the status machine -------------------------------------------------------------------------

interface Transition {
  readonly from: readonly ProviderStatus[];
  readonly to: ProviderStatus;
  /** Who may ask for it; system transitions are never asked for over the API. */
  readonly roles: readonly (Role | 'system')[];
  readonly reasonRequired: boolean;
  readonly event: EventTypesCarrying<ProviderTransitionedData>;
}

/** The one table of provider moves: from which states, to which, by whom, and the event it emits. */
export const PROVIDER_TRANSITIONS: Readonly<Record<ProviderAction | SystemTransition, Transition>> = {
  'documents-complete': {
    from: ['PENDING_DOCUMENTS'],
    to: 'UNDER_REVIEW',
    roles: ['system'],
    reasonRequired: false,
    event: 'provider.under-review',
  },
  'documents-incomplete': {
    from: ['UNDER_REVIEW'],
    to: 'PENDING_DOCUMENTS',
    roles: ['system'],
    reasonRequired: false,
    event: 'provider.documents-incomplete',
  },
  approve: {
    from: ['UNDER_REVIEW'],
    to: 'APPROVED',
    roles: ['admin', 'operator'],
    reasonRequired: false,
    event: 'provider.approved',
  },
  reject: {
    from: ['PENDING_DOCUMENTS', 'UNDER_REVIEW'],
    to: 'REJECTED',
    roles: ['admin', 'operator'],
    reasonRequired: true,
    event: 'provider.rejected',
  },
  suspend: {
    from: ['APPROVED'],
    to: 'SUSPENDED',
    roles: ['admin', 'operator'],
    reasonRequired: true,
    event: 'provider.suspended',
  },
  reinstate: {
    from: ['SUSPENDED'],
    to: 'APPROVED',
    roles: ['admin', 'operator'],
    reasonRequired: false,
    event: 'provider.reinstated',
  },
  'document-expired': {
    from: ['APPROVED'],
    to: 'SUSPENDED',
    roles: ['system'],
    reasonRequired: false,
    event: 'provider.suspended',
  },
  'documents-renewed': {
    from: ['SUSPENDED'],
    to: 'APPROVED',
    roles: ['system'],
    reasonRequired: false,
    event: 'provider.reinstated',
  },
};

/** The operator actions legal from a status (what a 409 lists). */
export function allowedActions(status: ProviderStatus): ProviderAction[] {
  return PROVIDER_ACTIONS.filter((a) => PROVIDER_TRANSITIONS[a].from.includes(status));
}

export interface ProviderTransitionData {
  readonly providerId: string;
  readonly action: ProviderAction | SystemTransition;
  readonly from: ProviderStatus;
  readonly to: ProviderStatus;
  readonly automatic: boolean;
  readonly reason?: string;
}

/** Applies one move of the table, with its history entry and event; guards are the caller's. */
function transition(
  p: Provider,
  move: ProviderAction | SystemTransition,
  by: Actor,
  now: string,
  opts: { reason?: string; details?: Record<string, unknown>; patch?: Partial<Provider> } = {},
): ProviderDecision {
  const t = PROVIDER_TRANSITIONS[move];
  if (!t.from.includes(p.status) || !t.roles.includes(by.role)) {
    throw new ProviderRuleError('illegal-transition', `cannot ${move} a provider that is ${p.status}`, {
      currentState: p.status,
      allowedActions: allowedActions(p.status),
    });
  }
  if (t.reasonRequired && !opts.reason)
    throw new ProviderRuleError('guard', `${move} needs a reason`, {}, [{ field: 'reason', message: 'required' }]);
  const version = p.version + 1;
  const provider: Provider = { ...p, ...opts.patch, status: t.to, updatedAt: now, version };
  const data: ProviderTransitionData = {
    providerId: p.id,
    action: move,
    from: p.status,
    to: t.to,
    automatic: by.role === 'system',
    ...(opts.reason ? { reason: opts.reason } : {}),
  };
  return {
    provider,
    history: [
      {
        providerId: p.id,
        seq: version,
        at: now,
        by: { userId: by.userId, role: by.role },
        action: move,
        from: p.status,
        to: t.to,
        ...(opts.reason ? { reason: opts.reason } : {}),
        ...(opts.details ? { details: opts.details } : {}),
      },
    ],
    events: [{ type: t.event, subject: p.id, dataVersion: 1, data }],
  };
}

/** Chains decisions on the same aggregate: the later sees the earlier's result. */
function then(first: ProviderDecision, next: (p: Provider) => ProviderDecision | undefined): ProviderDecision {
  const second = next(first.provider);
  if (!second) return first;
  return {
    provider: second.provider,
    history: [...first.history, ...second.history],
    events: [...first.events, ...second.events],
  };
}

const unchanged = (provider: Provider): ProviderDecision => ({ provider, history: [], events: [] });

// ---- registration -------------------------------------------------------------------------------

export type NewProvider = Pick<Provider, 'id' | 'legalName' | 'nit' | 'contacts' | 'categories' | 'cities'>;

export function registerProvider(input: NewProvider, by: Actor, now: string): ProviderDecision {
  const provider: Provider = {
    ...input,
    status: 'PENDING_DOCUMENTS',
    documents: [],
    scorecard: emptyScorecard(),
    createdAt: now,
    createdBy: by.userId,
    updatedAt: now,
    version: 1,
  };
  return {
    provider,
    history: [
      {
        providerId: input.id,
        seq: 1,
        at: now,
        by: { userId: by.userId, role: by.role },
        action: 'register',
        from: null,
        to: 'PENDING_DOCUMENTS',
      },
    ],
    events: [
      {
        type: 'provider.registered',
        subject: input.id,
        dataVersion: 1,
        data: {
          providerId: input.id,
          legalName: input.legalName,
          nit: input.nit,
          categories: input.categories,
          cities: input.cities,
        },
      },
    ],
  };
}

// ---- documents ----------------------------------------------------------------------------------

/** The document of a type that counts now: the approved one (older approvals are superseded), else the newest submitted. */
export function currentDocument(p: Provider, type: DocumentType): ProviderDocument | undefined {
  const ofType = p.documents.filter((d) => d.type === type);
  return ofType.find((d) => d.status === 'APPROVED') ?? ofType.filter((d) => d.status === 'PENDING_REVIEW').at(-1);
}

/** Required types with no document submitted or approved. */
export function missingDocumentTypes(p: Provider): DocumentType[] {
  return requiredDocumentTypes(p.categories).filter(
    (t) => !p.documents.some((d) => d.type === t && (d.status === 'PENDING_REVIEW' || d.status === 'APPROVED')),
  );
}

/** Required types without an approved document valid on `date`. */
export function invalidDocumentTypes(p: Provider, date: string): DocumentType[] {
  return requiredDocumentTypes(p.categories).filter((t) => {
    const approved = p.documents.find((d) => d.type === t && d.status === 'APPROVED');
    return !approved || !validOn(approved, date);
  });
}

export interface DocumentRequest extends DocumentFacts {
  readonly id: string;
  readonly type: DocumentType;
  readonly fileName: string;
  readonly contentType: string;
  readonly size: number;
  readonly blobName: string;
}

/** A provider (or staff) announces a document; the file is then uploaded straight to storage. */
export function requestDocumentUpload(
  p: Provider,
  req: DocumentRequest,
  by: Actor,
  now: string,
  today: string,
): ProviderDecision {
  if (p.status === 'REJECTED')
    throw new ProviderRuleError('illegal-transition', 'a rejected provider takes no documents', { currentState: p.status });
  const problems = documentFactProblems(req.type, req, today);
  if (problems.length) throw new ProviderRuleError('invalid-document', `the ${req.type} is not acceptable`, {}, problems);
  const doc: ProviderDocument = { ...req, status: 'AWAITING_UPLOAD', requestedAt: now, requestedBy: by.userId };
  return unchanged({ ...p, documents: [...p.documents, doc], updatedAt: now, version: p.version });
}

function replaceDocument(p: Provider, doc: ProviderDocument, now: string): Provider {
  return { ...p, documents: p.documents.map((d) => (d.id === doc.id ? doc : d)), updatedAt: now };
}

function findDocument(p: Provider, documentId: string): ProviderDocument {
  const doc = p.documents.find((d) => d.id === documentId);
  if (!doc) throw new ProviderRuleError('guard', 'no such document', { documentId });
  return doc;
}

/** Moves PENDING_DOCUMENTS ⇄ UNDER_REVIEW as the set of submitted documents becomes (in)complete. */
function followDocuments(p: Provider, now: string): ProviderDecision | undefined {
  const missing = missingDocumentTypes(p);
  if (p.status === 'PENDING_DOCUMENTS' && missing.length === 0) return transition(p, 'documents-complete', SYSTEM, now);
  if (p.status === 'UNDER_REVIEW' && missing.length > 0)
    return transition(p, 'documents-incomplete', SYSTEM, now, { details: { missing } });
  return undefined;
}

/**
 * The upload arrived and its real type and size were checked (by the application, against the
 * stored bytes). Accepted: the document awaits review, and a complete set moves the provider to
 * UNDER_REVIEW. Refused: the document is rejected with the reason.
 */
export function confirmDocumentUpload(
  p: Provider,
  documentId: string,
  check: { ok: true } | { ok: false; reason: string },
  now: string,
): ProviderDecision {
  const doc = findDocument(p, documentId);
  if (doc.status !== 'AWAITING_UPLOAD')
    throw new ProviderRuleError('illegal-transition', `the document is ${doc.status}, not awaiting its upload`, {
      documentStatus: doc.status,
    });
  const submitted: ProviderDocument = check.ok
    ? { ...doc, status: 'PENDING_REVIEW', uploadedAt: now }
    : {
        ...doc,
        status: 'REJECTED',
        uploadedAt: now,
        rejectionReason: check.reason,
        uploadRejected: true,
        reviewedAt: now,
        reviewedBy: 'system',
      };
  const withDoc = replaceDocument(p, submitted, now);
  const ref = { providerId: p.id, documentId, documentType: doc.type };
  const event: EventDraft = check.ok
    ? { type: 'provider.document-submitted', subject: p.id, dataVersion: 1, data: ref }
    : {
        type: 'provider.document-reviewed',
        subject: p.id,
        dataVersion: 1,
        data: { ...ref, decision: 'reject', reason: check.reason },
      };
  const base: ProviderDecision = { provider: { ...withDoc, version: p.version }, history: [], events: [event] };
  return check.ok ? then(base, (q) => followDocuments(q, now)) : base;
}

/**
 * An operator's review of one document. Approval re-checks the dates against today, supersedes the
 * previously approved document of the type, schedules the expiry checks, and lifts an automatic
 * suspension once every required document is valid again.
 */
export function reviewDocument(
  p: Provider,
  documentId: string,
  review: { decision: 'approve' | 'reject'; reason?: string },
  by: Actor,
  now: string,
  today: string,
): ProviderDecision {
  const doc = findDocument(p, documentId);
  if (doc.status !== 'PENDING_REVIEW')
    throw new ProviderRuleError('illegal-transition', `the document is ${doc.status}, not pending review`, {
      documentStatus: doc.status,
    });
  if (review.decision === 'reject' && !review.reason)
    throw new ProviderRuleError('guard', 'a rejection needs a reason', {}, [{ field: 'reason', message: 'required' }]);
  if (review.decision === 'approve') {
    const problems = documentFactProblems(doc.type, doc, today);
    if (problems.length) throw new ProviderRuleError('guard', `the ${doc.type} is no longer acceptable`, {}, problems);
  }
  const reviewed: ProviderDocument = {
    ...doc,
    status: review.decision === 'approve' ? 'APPROVED' : 'REJECTED',
    reviewedAt: now,
    reviewedBy: by.userId,
    ...(review.reason ? { rejectionReason: review.reason } : {}),
  };
  let provider = replaceDocument(p, reviewed, now);
  if (review.decision === 'approve') {
    provider = {
      ...provider,
      documents: provider.documents.map((d) =>
        d.type === doc.type && d.id !== doc.id && d.status === 'APPROVED' ? { ...d, status: 'SUPERSEDED' } : d,
      ),
    };
  }
  const events: EventDraft[] = [
    {
      type: 'provider.document-reviewed',
      subject: p.id,
      dataVersion: 1,
      data: {
        providerId: p.id,
        documentId,
        documentType: doc.type,
        decision: review.decision,
        ...(review.reason ? { reason: review.reason } : {}),
      },
    },
  ];
  if (review.decision === 'approve' && reviewed.expiresAt) events.push(...complianceChecksFor(p.id, reviewed));
  const base: ProviderDecision = { provider: { ...provider, version: p.version }, history: [], events };
  return then(base, (q) => {
    const follow = followDocuments(q, now);
    if (follow) return follow;
    if (q.status === 'SUSPENDED' && q.suspension?.automatic && invalidDocumentTypes(q, today).length === 0) {
      const { suspension: _lifted, ...rest } = q;
      return transition(rest as Provider, 'documents-renewed', SYSTEM, now, { details: { documentId } });
    }
    return undefined;
  });
}

/** 00:00 in Colombia on a calendar date. */
export function colombiaMidnight(date: string): string {
  return startOfLocalDay(date);
}

/** Scheduled messages that wake the compliance check at each reminder and the day after expiry. */
function complianceChecksFor(providerId: string, doc: ProviderDocument): EventDraft[] {
  const expiresAt = doc.expiresAt as string;
  const at = [...REMINDER_DAYS.map((d) => addDays(expiresAt, -d)), addDays(expiresAt, 1)];
  return at.map((date) => ({
    type: 'provider.compliance-check-due',
    subject: providerId,
    dataVersion: 1,
    data: { providerId, documentId: doc.id, documentType: doc.type, expiresAt },
    deliverAt: colombiaMidnight(date),
  }));
}

// ---- operator actions ---------------------------------------------------------------------------

/** `approve`, `reject`, `suspend`, `reinstate`, with their guards. */
export function actOnProvider(
  p: Provider,
  action: ProviderAction,
  by: Actor,
  now: string,
  today: string,
  reason?: string,
): ProviderDecision {
  if ((action === 'approve' || action === 'reinstate') && PROVIDER_TRANSITIONS[action].from.includes(p.status)) {
    const invalid = invalidDocumentTypes(p, today);
    if (invalid.length) {
      throw new ProviderRuleError('guard', `every required document must be approved and valid: ${invalid.join(', ')}`, {
        currentState: p.status,
        documentTypes: invalid,
      });
    }
  }
  const opts = { ...(reason ? { reason } : {}) };
  switch (action) {
    case 'reject':
      return transition(p, action, by, now, { ...opts, patch: { rejectionReason: reason as string } });
    case 'suspend':
      return transition(p, action, by, now, {
        ...opts,
        patch: { suspension: { automatic: false, reason: reason as string, at: now } },
      });
    case 'reinstate': {
      const { suspension: _lifted, ...rest } = p;
      return transition(rest as Provider, action, by, now, opts);
    }
    default:
      return transition(p, action, by, now, opts);
  }
}

// ---- compliance ---------------------------------------------------------------------------------

/**
 * The compliance watch for one provider on `today`: a reminder for each approved document at 30, 15
 * and 7 days before it expires (once each; a late check sends only the nearest one due), and an
 * automatic suspension of an APPROVED provider when a required document has expired. Running it
 * twice on the same day changes nothing the second time.
 */
export function checkCompliance(p: Provider, now: string, today: string): ProviderDecision {
  if (p.status !== 'APPROVED' && p.status !== 'SUSPENDED') return unchanged(p);
  const events: EventDraft[] = [];
  const documents = p.documents.map((d) => {
    if (d.status !== 'APPROVED' || !d.expiresAt) return d;
    const daysLeft = daysBetween(today, d.expiresAt);
    if (daysLeft < 0) return d;
    const sent = d.remindersSent ?? [];
    const due = REMINDER_DAYS.filter((r) => daysLeft <= r && !sent.includes(r));
    if (due.length === 0) return d;
    const nearest = Math.min(...due) as ReminderDays;
    events.push({
      type: 'provider.document-expiring',
      subject: p.id,
      dataVersion: 1,
      data: { providerId: p.id, documentId: d.id, documentType: d.type, expiresAt: d.expiresAt, daysLeft, reminder: nearest },
    });
    return { ...d, remindersSent: [...sent, ...due].sort((a, b) => b - a) };
  });
  const reminded: ProviderDecision = {
    provider: { ...p, documents, ...(events.length ? { updatedAt: now } : {}) },
    history: [],
    events,
  };
  return then(reminded, (q) => {
    const expired = invalidDocumentTypes(q, today);
    if (q.status !== 'APPROVED' || expired.length === 0) return undefined;
    const reason = `required document expired: ${expired.join(', ')}`;
    return transition(q, 'document-expired', SYSTEM, now, {
      reason,
      details: { documentTypes: expired },
      patch: { suspension: { automatic: true, reason, at: now } },
    });
  });
}

/** The dates on which `checkCompliance` may have something to do for this provider, soonest first. */
export function nextComplianceDates(p: Provider): string[] {
  return p.documents
    .filter((d) => d.status === 'APPROVED' && d.expiresAt)
    .flatMap((d) => [...REMINDER_DAYS.map((r) => addDays(d.expiresAt as string, -r)), addDays(d.expiresAt as string, 1)])
    .sort();
}
