/**
 * Invoice numbers are unique per provider (DESIGN 2.1, `invoice`). Two spellings of one number —
 * `fe-001`, ` FE 001 `, `FE-001` with different case or spacing — are the same invoice: the number is
 * compared trimmed, upper-cased, with runs of whitespace as one space.
 */
export function normalizeInvoiceNumber(invoiceNumber: string): string {
  return invoiceNumber.trim().replace(/\s+/g, ' ').toUpperCase();
}

/**
 * An invoice's lines (issue 17), amounts in minor units of the invoice's currency. A material line's
 * amount is its quantity times its unit price, rounded to the minor unit (quantities may be
 * fractional: 2.5 m of cable); labour and other lines state their amount.
 */
export type InvoiceLine =
  | { readonly kind: 'labour'; readonly hours: number; readonly amount: number; readonly description?: string }
  | {
      readonly kind: 'material';
      readonly code: string;
      readonly description: string;
      readonly quantity: number;
      readonly unitPrice: number;
    }
  | { readonly kind: 'other'; readonly description: string; readonly amount: number };

export const INVOICE_LINE_KINDS = ['labour', 'material', 'other'] as const;

export function lineAmount(line: InvoiceLine): number {
  return line.kind === 'material' ? Math.round(line.quantity * line.unitPrice) : line.amount;
}

export function linesTotal(lines: readonly InvoiceLine[]): number {
  return lines.reduce((sum, l) => sum + lineAmount(l), 0);
}

/** Billed labour hours: the sum of the labour lines' hours. */
export function labourHours(lines: readonly InvoiceLine[]): number {
  return lines.reduce((sum, l) => sum + (l.kind === 'labour' ? l.hours : 0), 0);
}
