import type { Principal } from '../access/principal';
import type { ChecklistItem } from './checklist';
import type { EventDraft } from '../shared/events';
import type { Money } from '../shared/money';
import type { InvoiceLine } from './invoice';
import type { RuleVerdict } from './invoice-rules';
import type { OrderApproval } from './approval-chain';
import { openSla, type OrderSla, type SlaContext } from './sla-lifecycle';
import type { OrderChannel, OrderStatus, Priority, ServiceCategory } from './vocabulary';

// The vocabulary lives in a leaf module (importable from anywhere in the domain without a cycle);
// the order is where readers look for it.
export {
  ORDER_CHANNELS,
  ORDER_STATUSES,
  PRIORITIES,
  SERVICE_CATEGORIES,
  type OrderChannel,
  type OrderStatus,
  type Priority,
  type ServiceCategory,
} from './vocabulary';

export interface Contact {
  readonly name: string;
  readonly email?: string;
  readonly phone?: string;
}

/** The lifecycle's own fields on an order (all optional: they fill in as the order moves). */
export interface OrderLifecycle extends OrderSla {
  readonly invitedProviderIds?: readonly string[];
  readonly quoteDeadline?: string;
  /** Set when the round closed at its deadline: no more quotes; the client may see them. */
  readonly quoteRoundClosedAt?: string;
  readonly visitDate?: string;
  readonly selectedQuoteId?: string;
  /** The approved not-to-exceed amount. */
  readonly approvedAmount?: Money;
  readonly providerId?: string;
  readonly contract?: {
    readonly requestedAt: string;
    readonly requestedBy?: string;
    /** Set by the orders workflow once DocuSign has the envelope. */
    readonly envelopeId?: string;
    readonly sentAt?: string;
    readonly signedAt?: string;
    /** The signed contract stored in `order-files` (an attachment of kind `contract`). */
    readonly documentAttachmentId?: string;
  };
  /** The order's task in the client's Asana project (Integrations). */
  readonly asanaTaskGid?: string;
  readonly visitAt?: string;
  readonly hold?: { readonly reason: string; readonly since: string };
  readonly completion?: { readonly report: string; readonly attachmentIds: readonly string[]; readonly at: string };
  readonly rating?: { readonly score: number; readonly comment?: string; readonly at: string };
  readonly invoice?: {
    readonly invoiceNumber: string;
    readonly amount: Money;
    readonly attachmentId?: string;
    readonly at: string;
    /** Labour, materials and other lines, when the provider sent them (issue 17). */
    readonly lines?: readonly InvoiceLine[];
    /** The invoice rules' verdicts and what they decided (field-work.ts). */
    readonly review?: InvoiceReviewRecord;
  };
  /** The current visit's on-site interval (check-in, check-out), for the check-out guard. */
  readonly onSite?: { readonly checkedInAt: string; readonly checkedOutAt?: string };
  /** Invoices an operator sent back, newest last (the number is released: field-work.ts). */
  readonly rejectedInvoices?: readonly { readonly invoiceNumber: string; readonly reason: string; readonly at: string }[];
  readonly reworkCount?: number;
  readonly closedReason?: string;
  /** The approval in progress through the client's chain (or the last one, with its outcome): issue 17. */
  readonly approval?: OrderApproval;
  // Plans and checklists (docs/plans.md).
  /** The corrective orders opened from this order's failed checklist items. */
  readonly followUps?: readonly { readonly orderId: string; readonly checklistItemId: string }[];
}

/**
 * How an invoice was reviewed: by the rules (`auto-approved`, `held`) and, for a held one, by an
 * operator (`approved`; a rejected invoice leaves the order, see `rejectedInvoices`).
 */
export interface InvoiceReviewRecord {
  readonly outcome: 'auto-approved' | 'held' | 'approved';
  readonly verdicts: readonly RuleVerdict[];
  readonly reviewedBy?: string;
  readonly reviewedAt?: string;
  readonly reason?: string;
}

/** An order: what was asked for, plus what its lifecycle has filled in so far (`OrderLifecycle`). */
export interface Order extends OrderLifecycle {
  readonly id: string;
  readonly clientId: string;
  readonly siteId: string;
  readonly assetCode?: string;
  /** What the assets system knows of `assetCode` (set by the orders workflow). */
  readonly asset?: { readonly code: string; readonly name: string; readonly model?: string };
  /** Set instead of `asset` when the assets system does not know the code: an operator looks at it. */
  readonly assetTriage?: { readonly reason: string; readonly at: string };
  /** When the maintenance record of a closed order was posted to the assets system. */
  readonly maintenanceRecordedAt?: string;
  readonly category: ServiceCategory;
  readonly priority: Priority;
  readonly title: string;
  readonly description: string;
  readonly requester: Contact & { readonly userId: string };
  readonly channel: OrderChannel;
  readonly status: OrderStatus;
  /** Reference in the client's own ticket system (Qsystems), when it has one. */
  readonly externalRef?: string;
  /** Set on an order opened by a maintenance plan: which occurrence it is (docs/plans.md). */
  readonly planOccurrence?: { readonly planId: string; readonly key: string; readonly ruleDate: string; readonly date: string };
  /** The checklist the provider answers (from the plan, or set at triage); `complete` needs every item answered. */
  readonly checklist?: readonly ChecklistItem[];
  /** Set on a corrective order opened from another order's failed checklist item. */
  readonly followUpOf?: { readonly orderId: string; readonly checklistItemId: string };
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Increases by one with every change: consumers use it as an idempotency guard. */
  readonly version: number;
}

export interface OrderHistoryEntry {
  readonly orderId: string;
  /** Position in the order's history, 1 for the creation. */
  readonly seq: number;
  readonly at: string;
  readonly by: { readonly userId: string; readonly role: Principal['role'] | 'system' };
  readonly action: string;
  readonly from: OrderStatus | null;
  readonly to: OrderStatus;
  readonly reason?: string;
  readonly details?: Record<string, unknown>;
}

/** What a creator decides; the rest of an order is set by the lifecycle. */
export type NewOrder = Omit<
  Order,
  'status' | 'createdAt' | 'updatedAt' | 'version' | 'asset' | 'assetTriage' | 'maintenanceRecordedAt' | keyof OrderLifecycle
>;

export interface OrderDecision {
  readonly order: Order;
  readonly history: readonly OrderHistoryEntry[];
  readonly events: readonly EventDraft[];
}

/** `create` in the state table: a new order starts SUBMITTED, with its first history entry and event. */
export function submitOrder(
  input: NewOrder,
  by: Pick<Principal, 'userId'> & { readonly role: Principal['role'] | 'system' },
  now: string,
  sla: SlaContext,
): OrderDecision {
  const submitted: Order = { ...input, status: 'SUBMITTED', createdAt: now, updatedAt: now, version: 1 };
  // Every clock starts at submission (DESIGN 2.1); the first SLA check is scheduled with it.
  const clocks = openSla(submitted, now, sla);
  const order: Order = { ...submitted, ...clocks.patch };
  const data = {
    orderId: order.id,
    clientId: order.clientId,
    siteId: order.siteId,
    category: order.category,
    priority: order.priority,
    title: order.title,
    requesterUserId: order.requester.userId,
    channel: order.channel,
  };
  return {
    order,
    history: [
      {
        orderId: order.id,
        seq: 1,
        at: now,
        by: { userId: by.userId, role: by.role },
        action: 'create',
        from: null,
        to: 'SUBMITTED',
      },
    ],
    events: [{ type: 'order.submitted', subject: order.id, dataVersion: 1, data }, ...clocks.events],
  };
}

/** Who may create an order for a client: its own client users and staff (WhatsApp intake acts as staff). */
export function mayCreateOrderFor(by: Principal, clientId: string): boolean {
  if (by.role === 'admin' || by.role === 'operator') return true;
  return by.role === 'client' && by.clientId === clientId;
}
