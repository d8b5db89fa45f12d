import type { EventDraft } from '../shared/events';
import type { Money } from '../shared/money';
import type { FieldPolicy, InvoiceRuleId } from './field-policy';
import { decideGeofence, type DevicePosition, type GeofenceCheck, type GeofencePolicy, type SiteFence } from './geofence';
import { linesTotal, type InvoiceLine } from './invoice';
import { failedRules, reviewInvoice, type InvoiceFacts, type InvoiceReview } from './invoice-rules';
import type { Order } from './order';
import { guardRefusal, OrderRuleError, type Actor } from './refusals';

/**
 * The lifecycle rows of issue 17 (field and invoice controls), kept out of the table's module:
 * geo-verified check-in / check-out, the invoice with its lines and rules, and an operator's review
 * of a held invoice. lifecycle.ts wires these guards and effects into `ORDER_RULES`.
 */

export interface FieldActionBodies {
  'check-in': { position?: DevicePosition };
  'check-out': { position?: DevicePosition };
  invoice: { invoiceNumber: string; amount: Money; attachmentId?: string; lines?: readonly InvoiceLine[] };
  'approve-invoice': { reason: string };
  'reject-invoice': { reason: string };
}

/** What the application reads for a check-in / check-out: the site's fence and the client's geofence policy. */
export interface FenceFacts {
  readonly fence?: SiteFence;
  readonly geofencePolicy: GeofencePolicy;
}

/** What the application reads for an invoice (the rest of InvoiceFacts is the body and the order). */
export type InvoiceGathered = Omit<InvoiceFacts, 'amount' | 'approvedAmount' | 'lines' | 'invoiceNumber'> & {
  readonly policy: FieldPolicy;
  /** Whether the named invoice file (`attachmentId`) is a stored attachment of the order. */
  readonly attachmentStored?: boolean;
};

export interface FieldActionInputs {
  'check-in': FieldActionBodies['check-in'] & FenceFacts;
  'check-out': FieldActionBodies['check-out'] & FenceFacts;
  invoice: FieldActionBodies['invoice'] & InvoiceGathered;
}

type Effect = { patch: Partial<Order>; events?: EventDraft[]; details?: Record<string, unknown> };

// ---- check-in / check-out -----------------------------------------------------------------------

/** Outside the fence under a hard policy (or no position where one is required): 422 on `position`. */
export function fieldRefusal(input: FieldActionInputs['check-in']): OrderRuleError | undefined {
  const d = decideGeofence(input.fence, input.position, input.geofencePolicy);
  if (d.accepted) return undefined;
  const measured = d.check && d.check.result !== 'unverified' ? d.check : undefined;
  return guardRefusal(
    d.message,
    measured ? { distanceMeters: measured.distanceMeters, radiusMeters: measured.radiusMeters } : {},
    [{ field: d.field, message: d.message }],
  );
}

/** Check-out closes the visit's on-site interval: only after a check-in, once. */
export function checkOutGuard(order: Order): OrderRuleError | undefined {
  if (!order.onSite) return guardRefusal('check in first', { onSite: null });
  if (order.onSite.checkedOutAt) return guardRefusal('already checked out', { checkedOutAt: order.onSite.checkedOutAt });
  return undefined;
}

/** The history entry carries the position and the verdict; a flagged move tells the operators. */
export function fieldMoveEffect(action: 'check-in' | 'check-out') {
  return ({ order, input, now }: { order: Order; input: FieldActionInputs['check-in']; now: string }): Effect => {
    // The row's `check` refused every decision that is not an acceptance, so this one accepted the move.
    const d = decideGeofence(input.fence, input.position, input.geofencePolicy);
    const check: GeofenceCheck = d.accepted ? d.check : { result: 'unverified', reason: 'no-position' };
    const onSite =
      action === 'check-in' ? { checkedInAt: now } : { checkedInAt: order.onSite?.checkedInAt ?? now, checkedOutAt: now };
    const flagged = check.result === 'outside';
    return {
      patch: { onSite },
      details: { geofence: check, ...(input.position ? { position: input.position } : {}) },
      events: flagged
        ? [
            {
              type: 'order.geofence-flagged',
              subject: order.id,
              dataVersion: 1,
              data: {
                orderId: order.id,
                clientId: order.clientId,
                providerId: order.providerId ?? '',
                action,
                distanceMeters: check.distanceMeters,
                radiusMeters: check.radiusMeters,
                reason: `${check.distanceMeters} m / ${check.radiusMeters} m`,
              },
            },
          ]
        : [],
    };
  };
}

// ---- invoice ------------------------------------------------------------------------------------

/** The lines, when sent, must add up to the amount: the caller's arithmetic, refused before any lookup. */
export function invoiceLinesRefusal(input: FieldActionBodies['invoice']): OrderRuleError | undefined {
  if (!input.lines) return undefined;
  if (!input.lines.length)
    return guardRefusal('an invoice with lines needs at least one', {}, [{ field: 'lines', message: 'at least one line' }]);
  const total = linesTotal(input.lines);
  return total !== input.amount.amount
    ? guardRefusal('the lines do not add up to the amount', { linesTotal: total }, [
        { field: 'amount', message: `must equal the lines' total (${total})` },
      ])
    : undefined;
}

export function invoiceFacts(order: Order, input: FieldActionInputs['invoice']): InvoiceFacts {
  const { policy: _policy, attachmentId: _attachment, attachmentStored: _stored, ...facts } = input;
  return { ...facts, ...(order.approvedAmount ? { approvedAmount: order.approvedAmount } : {}) };
}

/** Where a failed rule points in the invoice body (a rule about the order's history points nowhere). */
const RULE_FIELD: Partial<Record<InvoiceRuleId, string>> = {
  'amount-within-nte': 'amount',
  'invoice-number-unique': 'invoiceNumber',
  'required-evidence': 'attachmentId',
  'labour-within-time-on-site': 'lines',
  'materials-within-rate-card': 'lines',
};

/**
 * A failed hard rule refuses the invoice, listing every failed rule (hard and soft); then an invoice
 * file that is not stored on the order (the rules first, as the NTE came first before issue 17).
 */
export function invoiceCheck({
  order,
  input,
}: {
  order: Order;
  input: FieldActionInputs['invoice'];
}): OrderRuleError | undefined {
  const review = reviewInvoice(invoiceFacts(order, input), input.policy);
  if (review.outcome !== 'refused')
    return input.attachmentId && !input.attachmentStored
      ? guardRefusal('the attachment must be uploaded and confirmed on this order', {}, [
          { field: 'attachmentId', message: `not stored on this order: ${input.attachmentId}` },
        ])
      : undefined;
  const failed = failedRules(review);
  const hard = failed.filter((v) => v.severity === 'hard');
  return new OrderRuleError(
    'invoice-rules',
    `the invoice breaks ${hard.length} hard rule(s): ${hard.map((v) => v.rule).join(', ')}`,
    { failedRules: failed },
    failed.flatMap((v) => {
      const field = RULE_FIELD[v.rule];
      return field ? [{ field, message: `${v.rule}: ${v.message}` }] : [];
    }),
  );
}

const reasonsOf = (review: InvoiceReview) =>
  failedRules(review)
    .map((v) => v.message)
    .join('; ');

/** Auto-approved or held: the verdicts go on the invoice and its history entry. */
export function invoiceEffect({ order, input, now }: { order: Order; input: FieldActionInputs['invoice']; now: string }): Effect {
  const review = reviewInvoice(invoiceFacts(order, input), input.policy);
  const outcome = review.outcome === 'held' ? 'held' : 'auto-approved';
  const ref = { orderId: order.id, clientId: order.clientId, providerId: order.providerId ?? '' };
  return {
    patch: {
      invoice: {
        invoiceNumber: input.invoiceNumber,
        amount: input.amount,
        ...(input.attachmentId ? { attachmentId: input.attachmentId } : {}),
        at: now,
        ...(input.lines ? { lines: input.lines } : {}),
        review: { outcome, verdicts: review.verdicts },
      },
    },
    details: { invoiceNumber: input.invoiceNumber, amount: input.amount, review: { outcome, verdicts: review.verdicts } },
    events: [
      outcome === 'held'
        ? {
            type: 'order.invoice-held',
            subject: order.id,
            dataVersion: 1,
            data: { ...ref, rules: failedRules(review).map((v) => v.rule), reason: reasonsOf(review) },
          }
        : { type: 'order.invoice-approved', subject: order.id, dataVersion: 1, data: { ...ref, automatic: true } },
    ],
  };
}

/**
 * An operator's review: `approve` releases a held invoice for payment (the rules' verdicts stay on
 * it); `reject` sends the order back to VERIFIED without the invoice, so the provider invoices
 * again (the application releases the number's claim: the corrected invoice may reuse it).
 */
export function invoiceReviewEffect(
  order: Order,
  by: Actor,
  now: string,
  decision: 'approve' | 'reject',
  reason: string,
): Effect {
  const invoice = order.invoice;
  const ref = { orderId: order.id, clientId: order.clientId, providerId: order.providerId ?? '' };
  if (!invoice) return { patch: {} }; // INVOICED always carries one
  if (decision === 'approve')
    return {
      patch: {
        invoice: {
          ...invoice,
          review: { verdicts: [], ...invoice.review, outcome: 'approved', reviewedBy: by.userId, reviewedAt: now, reason },
        },
      },
      details: { invoiceNumber: invoice.invoiceNumber },
      events: [{ type: 'order.invoice-approved', subject: order.id, dataVersion: 1, data: { ...ref, automatic: false } }],
    };
  return {
    patch: {
      invoice: undefined,
      rejectedInvoices: [...(order.rejectedInvoices ?? []), { invoiceNumber: invoice.invoiceNumber, reason, at: now }],
    },
    details: { invoiceNumber: invoice.invoiceNumber },
    events: [{ type: 'order.invoice-rejected', subject: order.id, dataVersion: 1, data: { ...ref, reason } }],
  };
}
