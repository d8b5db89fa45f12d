/**
 * The words a provider is described with: its statuses and the days before a document expires at
 * which it is reminded. A leaf module, so the event catalogue can name them without importing the
 * provider aggregate (which emits those events).
 */
export const PROVIDER_STATUSES = ['PENDING_DOCUMENTS', 'UNDER_REVIEW', 'APPROVED', 'REJECTED', 'SUSPENDED'] as const;
export type ProviderStatus = (typeof PROVIDER_STATUSES)[number];

/** Days before an expiry at which the provider is reminded, once each. */
export const REMINDER_DAYS = [30, 15, 7] as const;
export type ReminderDays = (typeof REMINDER_DAYS)[number];
