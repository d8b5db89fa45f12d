import type { RenderedEmail } from '../../domain/notifications/templates';

/**
 * The delivery channels' ports. Adapters: SendGrid and the e-mail sandbox; Jelou (WhatsApp) and its
 * sandbox. `notificationId` travels with every message (SendGrid `custom_args`, Jelou metadata) so
 * delivery webhooks find their record.
 */
export interface OutgoingEmail extends RenderedEmail {
  readonly notificationId: string;
  /** The record's partition: the delivery webhook needs both to find it. */
  readonly recipientUserId: string;
  readonly to: string;
  readonly toName?: string;
}

export interface EmailSender {
  send(email: OutgoingEmail): Promise<void>;
}

/**
 * A WhatsApp message: an approved template (outside the 24-hour customer-service window) or free
 * text (inside it, e.g. replies in a conversation). Exactly one of `template` and `text`.
 */
export interface OutgoingWhatsApp {
  readonly notificationId: string;
  /** E.164, e.g. +573001234567. */
  readonly to: string;
  readonly template?: { readonly name: string; readonly language: string; readonly parameters: readonly string[] };
  readonly text?: string;
}

export interface WhatsAppSender {
  /** Answers the partner's message id when it gives one. */
  send(message: OutgoingWhatsApp): Promise<{ readonly messageId?: string }>;
}

/**
 * A send the partner refused for good (invalid number, bounced address, unknown template): the
 * notification is recorded `failed` with the reason and never retried. Any other error is
 * transient and the bus retries the message.
 */
export class PermanentDeliveryError extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = 'PermanentDeliveryError';
  }
}
