import { covers, type Money } from '../shared/money';
import type { AttachmentKind } from './attachment';
import { ALWAYS_HARD_RULES, INVOICE_RULE_IDS, type FieldPolicy, type InvoiceRuleId } from './field-policy';
import type { GeofenceCheck } from './geofence';
import { labourHours, lineAmount, type InvoiceLine } from './invoice';

/**
 * The invoice validation rules (issue 17) as data: each rule reads the facts the application
 * gathered and the client's policy, and answers pass, fail or not-applicable with its details. Every
 * verdict is recorded; the outcome follows from them — a failed hard rule refuses the invoice (422
 * listing every failed rule), a failed soft rule holds it for an operator, all passing approves it
 * for payment automatically.
 */

export interface InvoiceFacts {
  readonly amount: Money;
  readonly approvedAmount?: Money;
  /** Absent when the provider sent only an amount: the rules that need lines are not applicable. */
  readonly lines?: readonly InvoiceLine[];
  readonly invoiceNumber: string;
  /** Another order of the same provider that carries this number. */
  readonly invoiceNumberUsedBy?: string;
  /** Kinds of the order's stored attachments. */
  readonly storedAttachmentKinds: readonly AttachmentKind[];
  /** From the check-in / check-out history (time-on-site.ts). */
  readonly minutesOnSite: number;
  /** What each check-in and check-out recorded about the position (geofence.ts). */
  readonly geofenceChecks: readonly GeofenceCheck[];
}

export type Verdict = 'pass' | 'fail' | 'not-applicable';
export type Severity = 'hard' | 'soft';

export interface RuleVerdict {
  readonly rule: InvoiceRuleId;
  readonly verdict: Verdict;
  readonly severity: Severity;
  /** Why, in a sentence (for the operator and the 422). */
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

type Evaluation = Pick<RuleVerdict, 'verdict' | 'message' | 'details'>;

interface InvoiceRule {
  readonly id: InvoiceRuleId;
  readonly evaluate: (facts: InvoiceFacts, policy: FieldPolicy) => Evaluation;
}

const pass = (message: string, details?: Record<string, unknown>): Evaluation => ({
  verdict: 'pass',
  message,
  ...(details ? { details } : {}),
});
const fail = (message: string, details?: Record<string, unknown>): Evaluation => ({
  verdict: 'fail',
  message,
  ...(details ? { details } : {}),
});
const notApplicable = (message: string): Evaluation => ({ verdict: 'not-applicable', message });

/** The allowance above the time on site: the larger of the minutes and the percentage. */
export function labourAllowanceMinutes(minutesOnSite: number, tolerance: FieldPolicy['labourTolerance']): number {
  return Math.max(tolerance.minutes ?? 0, Math.floor((minutesOnSite * (tolerance.percent ?? 0)) / 100));
}

export const INVOICE_RULES: readonly InvoiceRule[] = [
  {
    id: 'amount-within-nte',
    evaluate: ({ amount, approvedAmount }) =>
      approvedAmount && covers(approvedAmount, amount)
        ? pass('the amount is within the approved amount (NTE)', { approvedAmount })
        : fail('the invoice exceeds the approved amount (NTE)', { approvedAmount: approvedAmount ?? null, amount }),
  },
  {
    id: 'invoice-number-unique',
    evaluate: ({ invoiceNumber, invoiceNumberUsedBy }) =>
      invoiceNumberUsedBy
        ? fail(`invoice number ${invoiceNumber} is already used by this provider`, { usedByOrderId: invoiceNumberUsedBy })
        : pass('the invoice number is new for this provider'),
  },
  {
    id: 'required-evidence',
    evaluate: ({ storedAttachmentKinds }, policy) => {
      if (!policy.requiredEvidence.length) return notApplicable('the client requires no evidence');
      const missing = policy.requiredEvidence.filter((k) => !storedAttachmentKinds.includes(k));
      return missing.length
        ? fail(`missing evidence: ${missing.join(', ')}`, { missing })
        : pass('the required evidence is on the order', { required: policy.requiredEvidence });
    },
  },
  {
    id: 'labour-within-time-on-site',
    evaluate: ({ lines, minutesOnSite }, policy) => {
      const labour = (lines ?? []).filter((l) => l.kind === 'labour');
      if (!labour.length) return notApplicable('no labour lines');
      const billedMinutes = Math.round(labourHours(labour) * 60);
      const allowedMinutes = minutesOnSite + labourAllowanceMinutes(minutesOnSite, policy.labourTolerance);
      const details = { billedMinutes, minutesOnSite, allowedMinutes };
      return billedMinutes <= allowedMinutes
        ? pass('the billed labour fits the time on site', details)
        : fail(`${billedMinutes} min of labour billed; ${minutesOnSite} min on site (${allowedMinutes} min allowed)`, details);
    },
  },
  {
    id: 'materials-within-rate-card',
    evaluate: ({ lines, amount }, policy) => {
      const card = policy.rateCard;
      if (!card) return notApplicable('the client has no rate card');
      if (!lines?.length) return notApplicable('the invoice has no lines');
      if (card.currency !== amount.currency) return notApplicable(`the rate card is in ${card.currency}`);
      const over: Record<string, unknown>[] = [];
      lines.forEach((l, line) => {
        if (l.kind === 'material') {
          const max = card.materials[l.code];
          if (max === undefined) over.push({ line, code: l.code, problem: 'not on the rate card' });
          else if (l.unitPrice > max) over.push({ line, code: l.code, unitPrice: l.unitPrice, maxUnitPrice: max });
        } else if (l.kind === 'labour' && card.hourlyLabourRate !== undefined) {
          const max = Math.round(l.hours * card.hourlyLabourRate);
          if (lineAmount(l) > max) over.push({ line, kind: 'labour', amount: l.amount, maxAmount: max });
        }
      });
      return over.length
        ? fail(`${over.length} line(s) above or outside the rate card`, { lines: over })
        : pass('every line is within the rate card');
    },
  },
  {
    id: 'check-in-within-radius',
    evaluate: ({ geofenceChecks }) => {
      const measured = geofenceChecks.flatMap((c) => (c.result === 'unverified' ? [] : [c]));
      if (!measured.length) return notApplicable('no measured position (site without coordinates, or none sent)');
      const outside = measured.filter((c) => c.result === 'outside');
      return outside.length
        ? fail(`${outside.length} check-in/out recorded outside the site's radius`, {
            distancesMeters: outside.map((c) => c.distanceMeters),
          })
        : pass('every check-in/out was within the site’s radius');
    },
  },
];

// The table covers every rule id exactly once (checked when the module loads: a new id needs its rule).
if (INVOICE_RULES.map((r) => r.id).join() !== INVOICE_RULE_IDS.join())
  throw new Error('INVOICE_RULES must follow INVOICE_RULE_IDS');

export function severityOf(rule: InvoiceRuleId, policy: FieldPolicy): Severity {
  return ALWAYS_HARD_RULES.includes(rule) || policy.hardRules.includes(rule) ? 'hard' : 'soft';
}

export type InvoiceOutcome = 'refused' | 'held' | 'auto-approved';

export interface InvoiceReview {
  readonly outcome: InvoiceOutcome;
  readonly verdicts: readonly RuleVerdict[];
}

/** Every rule's verdict, and what they add up to. */
export function reviewInvoice(facts: InvoiceFacts, policy: FieldPolicy): InvoiceReview {
  const verdicts = INVOICE_RULES.map((r): RuleVerdict => ({
    rule: r.id,
    severity: severityOf(r.id, policy),
    ...r.evaluate(facts, policy),
  }));
  const failed = verdicts.filter((v) => v.verdict === 'fail');
  const outcome: InvoiceOutcome = failed.some((v) => v.severity === 'hard')
    ? 'refused'
    : failed.length
      ? 'held'
      : 'auto-approved';
  return { outcome, verdicts };
}

export const failedRules = (review: InvoiceReview): RuleVerdict[] => review.verdicts.filter((v) => v.verdict === 'fail');
