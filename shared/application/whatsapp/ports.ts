import type { DialogState } from '../../domain/whatsapp/dialog';
import type { UserProfile } from '../../domain/users/user';
import type { CallContext } from '../context';
import type { OutgoingWhatsApp } from '../notifications/channels';
import type { Versioned } from '../ports';

/**
 * The ports of the WhatsApp channel. Inbound events arrive normalized (`InboundWhatsApp`, from the
 * Jelou webhook adapter); people are found by phone; each phone's conversation is one record
 * written with optimistic concurrency; photos are fetched from the partner's media URL and stored
 * as order attachments; a provider's declined invitations are recorded.
 */

/** One inbound WhatsApp event, whatever the partner's payload looked like: the event's payload. */
export type { InboundWhatsApp } from '../../domain/events/catalogue';

export interface PhoneDirectory {
  /** The user whose profile carries this E.164 phone, if any. */
  findByPhone(e164: string): Promise<UserProfile | undefined>;
}

/** What is stored per phone number. */
export interface ConversationRecord {
  /** E.164; the record's key. */
  readonly phone: string;
  readonly state: DialogState;
  /** The latest inbound event ids (bounded): a redelivered event is recognised and has no effect. */
  readonly processedEventIds: readonly string[];
  /**
   * Replies decided but not yet accepted by the sender. Written with the state in one write, then
   * sent and removed, so a crash between the two resends them on the next delivery instead of
   * losing them; their `notificationId`s are deterministic, so a downstream dedupe can catch a resend.
   */
  readonly outbox: readonly OutgoingWhatsApp[];
  readonly updatedAt: string;
}

export interface ConversationStore {
  get(phone: string): Promise<Versioned<ConversationRecord> | undefined>;
  /**
   * With `etag`: replaces the record only if its stored version still has that tag. Without: creates
   * it only if none exists. Otherwise PreconditionFailedError (another delivery for the same phone won).
   */
  put(record: ConversationRecord, etag?: string): Promise<Versioned<ConversationRecord>>;
}

export interface FetchedMedia {
  readonly bytes: Uint8Array;
  readonly contentType: string;
}

export interface MediaFetcher {
  /** The bytes behind a partner's media URL (size-limited); rejects when they cannot be had. */
  fetch(url: string): Promise<FetchedMedia>;
}

export interface MediaStore {
  /**
   * Stores the bytes as a photo attachment of the order (Blob `order-files` + a STORED attachment,
   * with the same real-type and size checks as a dashboard upload), on behalf of the caller, who
   * must see the order. Answers the attachment id; ApplicationError when refused.
   */
  saveOrderPhoto(call: CallContext, orderId: string, bytes: Uint8Array, contentType: string): Promise<string>;
}

export interface InvitationResponses {
  /** Records that the provider will not quote the order (idempotent: a second decline keeps the first). */
  decline(providerId: string, orderId: string, reason: string): Promise<void>;
  /** The order ids the provider declined. */
  listDeclined(providerId: string): Promise<readonly string[]>;
}

/**
 * A send the partner refused for now (429, 5xx, timeout, network): the message is retried later,
 * after `retryAfterMs` when the partner said (`Retry-After`). The counterpart of
 * PermanentDeliveryError in notifications/channels.ts.
 */
export class TransientDeliveryError extends Error {
  constructor(
    readonly reason: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = 'TransientDeliveryError';
  }
}
