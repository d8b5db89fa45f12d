/**
 * Invoice numbers are unique per provider (DESIGN 2.1, `invoice`). Two spellings of one number —
 * `fe-001`, ` FE 001 `, `FE-001` with different case or spacing — are the same invoice: the number is
 * compared trimmed, upper-cased, with runs of whitespace as one space.
 */
export function normalizeInvoiceNumber(invoiceNumber: string): string {
  return invoiceNumber.trim().replace(/\s+/g, ' ').toUpperCase();
}
