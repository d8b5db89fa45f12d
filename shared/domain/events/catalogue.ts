import type { ApprovalSubject } from '../orders/approval-chain';
import type { SlaClock } from '../orders/sla';
import type { OrderChannel, OrderStatus, Priority, ServiceCategory } from '../orders/vocabulary';
import type { DocumentType } from '../providers/documents';
import type { ProviderStatus, ReminderDays } from '../providers/vocabulary';
import type { Money } from '../shared/money';

/**
 * The event contracts: every event type the platform emits and the payload it carries, in one map
 * (`EventPayloads`). Producers are held to it by `EventDraft` (shared/events.ts), a union derived
 * from the map; the consumers' registry (application/events/registry.ts) parses with zod schemas that
 * are checked against it at compile time. A new event is declared here first.
 */

// ---- orders -------------------------------------------------------------------------------------

interface OrderRef {
  readonly orderId: string;
  readonly clientId: string;
}

/** An order event about its provider (the assigned, selected or quoting one). */
export interface OrderProviderData extends OrderRef {
  readonly providerId: string;
}

export interface OrderSubmittedData extends OrderRef {
  readonly siteId: string;
  readonly category: ServiceCategory;
  readonly priority: Priority;
  readonly title: string;
  readonly requesterUserId: string;
  readonly channel: OrderChannel;
}

export interface OrderStatusChangedData extends OrderRef {
  readonly action: string;
  readonly from: OrderStatus;
  readonly to: OrderStatus;
  /** The order's version after the change (its history entry's `seq`); absent on events written before it was added. */
  readonly version?: number;
  readonly reason?: string;
  readonly providerId?: string;
}

export interface OrderContractRequestedData extends OrderProviderData {
  readonly amount?: Money;
}

export interface OrderQuotesRequestedData extends OrderRef {
  readonly siteId: string;
  readonly category: ServiceCategory;
  readonly city: string;
  readonly title: string;
  readonly providerIds: readonly string[];
  readonly quoteDeadline: string;
}

/** `order.sla-at-risk` and `order.sla-breached`: one clock of the order crossed a mark. */
export interface OrderSlaData extends OrderRef {
  readonly priority: Priority;
  readonly clock: SlaClock;
  readonly dueAt: string;
  readonly providerId?: string;
}

export interface OrderWorkCompletedData extends OrderProviderData {
  readonly onSiteOnTime: boolean;
  readonly resolvedOnTime: boolean;
}

/** The approval chain (issue 17): who is asked, what was recorded, who it escalated to. */
export interface OrderApprovalData extends OrderRef {
  readonly subject: ApprovalSubject;
  readonly amount: Money;
  /** The tier asked (requested), that answered (recorded), or escalated to; absent: see `approvers`. */
  readonly tierId?: string;
  readonly tierName?: string;
  /** Who is asked when no tier is: the client's approvers (no chain) or the operators (chain exhausted). */
  readonly approvers?: 'approval-limit' | 'operators';
  readonly dueAt?: string;
}

export interface OrderApprovalEscalatedData extends OrderApprovalData {
  readonly fromTierId: string;
}

export interface OrderNteIncreaseData extends OrderProviderData {
  readonly amount: Money;
  readonly previousAmount: Money;
  readonly reason?: string;
}

// ---- providers ----------------------------------------------------------------------------------

export interface ProviderRegisteredData {
  readonly providerId: string;
  readonly legalName: string;
  readonly nit: string;
  readonly categories: readonly ServiceCategory[];
  readonly cities: readonly string[];
}

/** A move of the provider status table (`provider.approved`, `provider.suspended`…). */
export interface ProviderTransitionedData {
  readonly providerId: string;
  readonly action: string;
  readonly from: ProviderStatus;
  readonly to: ProviderStatus;
  /** Taken by the system (documents, expiry, renewal), not by an operator. */
  readonly automatic: boolean;
  readonly reason?: string;
}

interface ProviderDocumentRef {
  readonly providerId: string;
  readonly documentId: string;
  readonly documentType: DocumentType;
}

export interface ProviderDocumentReviewedData extends ProviderDocumentRef {
  readonly decision: 'approve' | 'reject';
  readonly reason?: string;
}

export interface ProviderDocumentExpiringData extends ProviderDocumentRef {
  /** A calendar date, YYYY-MM-DD. */
  readonly expiresAt: string;
  readonly daysLeft: number;
  readonly reminder: ReminderDays;
}

export interface ProviderComplianceCheckDueData extends ProviderDocumentRef {
  readonly expiresAt: string;
}

// ---- WhatsApp -----------------------------------------------------------------------------------

/** An inbound WhatsApp message, normalized from the partner's webhook (Jelou). */
export interface InboundWhatsApp {
  /** The partner's id of the message: a redelivery carries the same one. */
  readonly eventId: string;
  /** E.164, e.g. +573001234567. */
  readonly from: string;
  /** When the user sent it (ISO-8601). */
  readonly at: string;
  readonly kind: 'text' | 'image' | 'interactive' | 'location' | 'other';
  /** The text, an image's caption, or an interactive reply's title. */
  readonly text?: string;
  readonly mediaUrl?: string;
  readonly mediaContentType?: string;
  /** An interactive (button / list) reply's id. */
  readonly buttonId?: string;
  /** A shared location (issue 17: a provider's check-in / check-out by WhatsApp). */
  readonly location?: { readonly lat: number; readonly lon: number };
}

// ---- client event feed (docs/webhooks.md) -------------------------------------------------------

/** A wake-up of one lane (endpoint, order) of the client feed: start its next due delivery. */
export interface FeedLaneDueData {
  readonly clientId: string;
  readonly endpointId: string;
  readonly orderId: string;
}

/** An endpoint that failed for 24 h was disabled: the client's admins are told. */
export interface FeedEndpointDisabledData {
  readonly clientId: string;
  readonly endpointId: string;
  readonly url: string;
  readonly failingSince: string;
}

// ---- plans --------------------------------------------------------------------------------------

export interface PlanProviderIneligibleData {
  readonly planId: string;
  readonly orderId: string;
  readonly clientId: string;
  readonly providerId: string;
  /** Why it is not eligible, words joined by `; ` (status, coverage, documents on the date). */
  readonly reason: string;
}

// ---- the map ------------------------------------------------------------------------------------

export interface EventPayloads {
  'order.submitted': OrderSubmittedData;
  'order.status-changed': OrderStatusChangedData;
  /** The contract gate: the orders workflow turns it into a DocuSign envelope. */
  'order.contract-requested': OrderContractRequestedData;
  /** Scheduled at `request-quotes` for the deadline: closes the round. */
  'order.quote-deadline-reached': OrderRef & { readonly quoteDeadline: string };
  'order.quote-round-closed': OrderRef & { readonly quoteCount: number };
  /** A scheduled wake-up of the SLA watch: evaluate the order's clocks at `checkAt`. */
  'order.sla-check-due': OrderRef & { readonly checkAt: string };
  'order.sla-at-risk': OrderSlaData;
  'order.sla-breached': OrderSlaData;
  'order.quotes-requested': OrderQuotesRequestedData;
  'order.quote-submitted': OrderProviderData;
  'order.quote-selected': OrderProviderData;
  'order.work-completed': OrderWorkCompletedData;
  'order.rated': OrderProviderData & { readonly score: number };
  'order.rework-requested': OrderProviderData;
  // Issue 17, field and invoice controls (orders/field-work.ts)
  /** A check-in or check-out accepted outside the site's radius (soft geofence): the operators look. */
  'order.geofence-flagged': OrderProviderData & {
    readonly action: 'check-in' | 'check-out';
    readonly distanceMeters: number;
    readonly radiusMeters: number;
    readonly reason: string;
  };
  /** Every invoice rule passed (`automatic`), or an operator released a held invoice. */
  'order.invoice-approved': OrderProviderData & { readonly automatic: boolean };
  /** A soft invoice rule failed: held for an operator, with the failed rules and why. */
  'order.invoice-held': OrderProviderData & { readonly rules: readonly string[]; readonly reason: string };
  /** An operator sent the invoice back: the provider invoices again. */
  'order.invoice-rejected': OrderProviderData & { readonly reason: string };
  'order.approval-requested': OrderApprovalData;
  'order.approval-recorded': OrderApprovalData & { readonly userId: string };
  'order.approval-escalated': OrderApprovalEscalatedData;
  /** Scheduled when a tier is asked, for its due time: escalates the approval if that tier has not answered. */
  'order.approval-escalation-due': OrderRef & { readonly tierId: string; readonly dueAt: string };
  'order.nte-increase-requested': OrderNteIncreaseData;
  'order.nte-increase-approved': OrderNteIncreaseData;
  'order.nte-increase-rejected': OrderNteIncreaseData;
  /** Verified by the Jelou webhook and queued for the conversation. */
  'whatsapp.inbound-received': InboundWhatsApp;
  'provider.registered': ProviderRegisteredData;
  'provider.under-review': ProviderTransitionedData;
  'provider.documents-incomplete': ProviderTransitionedData;
  'provider.approved': ProviderTransitionedData;
  'provider.rejected': ProviderTransitionedData;
  'provider.suspended': ProviderTransitionedData;
  'provider.reinstated': ProviderTransitionedData;
  'provider.document-submitted': ProviderDocumentRef;
  'provider.document-reviewed': ProviderDocumentReviewedData;
  'provider.document-expiring': ProviderDocumentExpiringData;
  /** A scheduled wake-up of the compliance watch (reminder dates and the day after an expiry). */
  'provider.compliance-check-due': ProviderComplianceCheckDueData;
  /** The client feed's own scheduling message (never delivered to a client). */
  'feed.lane-due': FeedLaneDueData;
  'feed.endpoint-disabled': FeedEndpointDisabledData;
  /** A plan's order fell back to triage: its pre-approved provider was not eligible (docs/plans.md). */
  'plan.provider-ineligible': PlanProviderIneligibleData;
}

export type EventType = keyof EventPayloads;

/** The event types whose payload is `P` (e.g. every provider status move). */
export type EventTypesCarrying<P> = { [K in EventType]: EventPayloads[K] extends P ? K : never }[EventType];
