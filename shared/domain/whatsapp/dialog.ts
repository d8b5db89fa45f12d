import type { OrderStatus, ServiceCategory } from '../orders/order';

/**
 * The WhatsApp conversation as a pure state machine, one per phone number. The application feeds it
 * what the user sent (`message`) and what the platform answered to its requests (`result`); the
 * machine answers with its next state, the replies to send (as data, rendered by texts.ts), and at
 * most one request for the application to carry out through the same commands the HTTP API uses.
 */

/** Photos one order draft or one completion may carry. */
export const PHOTO_LIMIT = 10;
/** A dialog left half-way longer than WhatsApp's 24-hour customer-service window starts over. */
export const DIALOG_TTL_MS = 24 * 3_600_000;

/** Who is writing, as the phone directory knows them. */
export interface Party {
  readonly role: 'client' | 'provider' | 'staff' | 'unknown';
  readonly name?: string;
}

export interface MediaRef {
  readonly url: string;
  readonly contentType?: string;
}

export type UserMessage =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'image'; readonly media: MediaRef; readonly caption?: string }
  /** A shared location (issue 17): a provider checks in or out of its current order with it. */
  | { readonly kind: 'location'; readonly position: { readonly lat: number; readonly lon: number } }
  | { readonly kind: 'other' };

export interface SiteChoice {
  readonly id: string;
  readonly name: string;
  readonly city?: string;
}

export interface OrderSummary {
  readonly id: string;
  readonly title: string;
  readonly status: OrderStatus;
  readonly visitAt?: string;
}

export interface InvitationSummary {
  readonly orderId: string;
  readonly title: string;
  readonly quoteDeadline: string;
}

/** What a provider picks an assigned order for. */
export type Purpose = 'check-in' | 'complete';

export type Dialog =
  | { readonly step: 'idle' }
  | { readonly step: 'stranger-told' }
  // client: opening an order
  | { readonly step: 'choose-site'; readonly sites: readonly SiteChoice[] }
  | { readonly step: 'choose-category'; readonly siteId: string; readonly siteName: string }
  | {
      readonly step: 'describe';
      readonly siteId: string;
      readonly category: ServiceCategory;
      readonly photos: readonly MediaRef[];
    }
  | {
      readonly step: 'photos';
      readonly siteId: string;
      readonly category: ServiceCategory;
      readonly description: string;
      readonly photos: readonly MediaRef[];
    }
  // provider: invitations and quotes
  | { readonly step: 'choose-invitation'; readonly invitations: readonly InvitationSummary[] }
  | { readonly step: 'invitation'; readonly orderId: string }
  | { readonly step: 'decline-reason'; readonly orderId: string }
  | { readonly step: 'quote-amount'; readonly orderId: string }
  | { readonly step: 'quote-lead-time'; readonly orderId: string; readonly amount: number }
  | { readonly step: 'quote-validity'; readonly orderId: string; readonly amount: number; readonly leadTimeDays: number }
  // provider: field work
  | { readonly step: 'choose-order'; readonly purpose: Purpose; readonly orders: readonly OrderSummary[] }
  | { readonly step: 'complete-report'; readonly orderId: string }
  | {
      readonly step: 'complete-photos';
      readonly orderId: string;
      readonly report: string;
      readonly photos: readonly MediaRef[];
    }
  // provider: asking for more than the NTE (issue 17)
  | { readonly step: 'nte-amount'; readonly orderId: string }
  | { readonly step: 'nte-reason'; readonly orderId: string; readonly amount: number }
  | {
      readonly step: 'nte-photos';
      readonly orderId: string;
      readonly amount: number;
      readonly reason: string;
      readonly photos: readonly MediaRef[];
    };

/** The stored machine state: the dialog and when its current step began. */
export interface DialogState {
  readonly dialog: Dialog;
  readonly since: string;
}

/** What the machine asks the application to do; each is answered by a Result. */
export type Request =
  | { readonly kind: 'list-sites' }
  | {
      readonly kind: 'create-order';
      readonly siteId: string;
      readonly category: ServiceCategory;
      readonly title: string;
      readonly description: string;
      readonly photos: readonly MediaRef[];
    }
  | { readonly kind: 'order-status'; readonly orderId: string }
  | { readonly kind: 'recent-orders' }
  | { readonly kind: 'list-invitations' }
  | { readonly kind: 'decline'; readonly orderId: string; readonly reason: string }
  | {
      readonly kind: 'submit-quote';
      readonly orderId: string;
      /** COP in minor units. */
      readonly amount: number;
      readonly leadTimeDays: number;
      readonly validUntil: string;
    }
  | { readonly kind: 'list-assigned'; readonly purpose: Purpose }
  | { readonly kind: 'check-in'; readonly orderId: string }
  | { readonly kind: 'complete'; readonly orderId: string; readonly report: string; readonly photos: readonly MediaRef[] }
  /** Check in at (or out of) the provider's current order with this position (field-location.ts). */
  | { readonly kind: 'field-location'; readonly position: { readonly lat: number; readonly lon: number } }
  | {
      readonly kind: 'request-nte-increase';
      readonly orderId: string;
      /** The new total, COP in minor units. */
      readonly amount: number;
      readonly reason: string;
      readonly photos: readonly MediaRef[];
    };

/** Why the platform said no: the application error kinds, plus photos that could not be stored. */
export type Refusal =
  | 'not-found'
  | 'forbidden'
  | 'approval-limit'
  | 'conflict'
  | 'precondition-failed'
  | 'invalid'
  | 'unavailable'
  | 'photos-failed'
  | 'invoice-rules'
  /** A typed check-in where the client's geofence is hard: share the location instead. */
  | 'position-required';

/** A measured position, as the replies tell it. */
export interface Distance {
  readonly distanceMeters: number;
  readonly radiusMeters: number;
}

export type Result =
  | { readonly kind: 'sites'; readonly sites: readonly SiteChoice[] }
  | { readonly kind: 'order-created'; readonly orderId: string; readonly photosStored: number; readonly photosFailed: number }
  | { readonly kind: 'order-status'; readonly order: OrderSummary }
  | { readonly kind: 'recent-orders'; readonly orders: readonly OrderSummary[] }
  | { readonly kind: 'invitations'; readonly invitations: readonly InvitationSummary[] }
  | { readonly kind: 'declined'; readonly orderId: string }
  | {
      readonly kind: 'quote-submitted';
      readonly orderId: string;
      readonly amount: number;
      readonly leadTimeDays: number;
      readonly validUntil: string;
    }
  | { readonly kind: 'assigned'; readonly purpose: Purpose; readonly orders: readonly OrderSummary[] }
  | { readonly kind: 'checked-in'; readonly orderId: string; readonly distance?: Distance & { readonly flagged: boolean } }
  | { readonly kind: 'checked-out'; readonly orderId: string; readonly distance?: Distance & { readonly flagged: boolean } }
  /** The client's geofence is hard and the position is outside it (or no order to check in / out). */
  | { readonly kind: 'outside-site'; readonly orderId: string; readonly distance: Distance }
  | { readonly kind: 'no-field-order' }
  | { readonly kind: 'completed'; readonly orderId: string; readonly photos: number }
  | { readonly kind: 'nte-increase-requested'; readonly orderId: string; readonly amount: number }
  | {
      readonly kind: 'refused';
      readonly request: Request['kind'];
      readonly reason: Refusal;
      readonly currentState?: OrderStatus;
    };

/** A reply as data: texts.ts renders it in the user's locale. */
export type Reply =
  | { readonly key: 'unknown-number' }
  | { readonly key: 'staff-not-supported' }
  | { readonly key: 'menu'; readonly role: 'client' | 'provider'; readonly name?: string }
  | { readonly key: 'cancelled' }
  | { readonly key: 'pick-number'; readonly max: number }
  | { readonly key: 'unexpected-photo' }
  | { readonly key: 'unsupported-message' }
  | { readonly key: 'choose-site'; readonly sites: readonly SiteChoice[] }
  | { readonly key: 'no-sites' }
  | { readonly key: 'choose-category' }
  | { readonly key: 'describe' }
  | { readonly key: 'too-short' }
  | { readonly key: 'send-photos' }
  | { readonly key: 'photo-received'; readonly count: number }
  | { readonly key: 'too-many-photos'; readonly max: number }
  | { readonly key: 'order-created'; readonly orderId: string; readonly photosStored: number; readonly photosFailed: number }
  | { readonly key: 'order-status'; readonly order: OrderSummary }
  | { readonly key: 'recent-orders'; readonly orders: readonly OrderSummary[] }
  | { readonly key: 'no-orders' }
  | { readonly key: 'invitations'; readonly invitations: readonly InvitationSummary[] }
  | { readonly key: 'no-invitations' }
  | { readonly key: 'invitation-options'; readonly invitation: InvitationSummary }
  | { readonly key: 'decline-reason' }
  | { readonly key: 'declined'; readonly orderId: string }
  | { readonly key: 'quote-amount'; readonly orderId: string }
  | { readonly key: 'invalid-amount' }
  | { readonly key: 'quote-lead-time' }
  | { readonly key: 'quote-validity' }
  | { readonly key: 'invalid-days'; readonly min: number; readonly max: number }
  | {
      readonly key: 'quote-submitted';
      readonly orderId: string;
      readonly amount: number;
      readonly leadTimeDays: number;
      readonly validUntil: string;
    }
  | { readonly key: 'choose-order'; readonly purpose: Purpose; readonly orders: readonly OrderSummary[] }
  | { readonly key: 'no-assigned-orders'; readonly purpose: Purpose }
  | { readonly key: 'checked-in'; readonly orderId: string; readonly distance?: Distance & { readonly flagged: boolean } }
  | { readonly key: 'checked-out'; readonly orderId: string; readonly distance?: Distance & { readonly flagged: boolean } }
  | { readonly key: 'outside-site'; readonly orderId: string; readonly distance: Distance }
  | { readonly key: 'no-field-order' }
  | { readonly key: 'complete-report'; readonly orderId: string }
  | { readonly key: 'complete-photos' }
  | { readonly key: 'need-photo' }
  | { readonly key: 'completed'; readonly orderId: string; readonly photos: number }
  | { readonly key: 'nte-amount'; readonly orderId: string }
  | { readonly key: 'nte-reason' }
  | { readonly key: 'nte-photos' }
  | { readonly key: 'nte-increase-requested'; readonly orderId: string; readonly amount: number }
  | { readonly key: 'refused'; readonly reason: Refusal; readonly currentState?: OrderStatus };

export type DialogInput =
  { readonly kind: 'message'; readonly message: UserMessage } | { readonly kind: 'result'; readonly result: Result };

export interface Step {
  readonly state: DialogState;
  readonly replies: readonly Reply[];
  readonly request?: Request;
}
