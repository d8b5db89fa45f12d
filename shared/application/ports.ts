import type { Client, Site } from '../domain/clients/client';
import type { SlaStatus } from '../domain/orders/sla';
import type { DomainEvent } from '../domain/shared/events';
import type { Order, OrderHistoryEntry, OrderStatus, Priority } from '../domain/orders/order';
import type { Quote } from '../domain/orders/lifecycle';
import type { UserProfile } from '../domain/users/user';
import type { ServiceCategory } from '../domain/orders/order';
import type { Provider, ProviderHistoryEntry, ProviderStatus } from '../domain/providers/provider';

/** A stored resource with the version tag its next conditional write must name. */
export interface Versioned<T> {
  readonly value: T;
  readonly etag: string;
}

export interface PageRequest {
  readonly limit: number;
  /** Opaque token from the previous page; an invalid one is an InvalidInputError. */
  readonly continuationToken?: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly continuationToken?: string;
}

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  /** A new ULID (26 chars, time-ordered). */
  ulid(): string;
  uuid(): string;
}

export interface ClientRepository {
  /** Creates the client; ConflictError when the id exists. */
  create(client: Client): Promise<Versioned<Client>>;
  get(clientId: string): Promise<Versioned<Client> | undefined>;
  /** Replaces the client if it still has the version `ifMatch` names (PreconditionFailedError otherwise). */
  replace(client: Client, ifMatch: string): Promise<Versioned<Client>>;
  addSite(site: Site): Promise<Versioned<Site>>;
  getSite(clientId: string, siteId: string): Promise<Versioned<Site> | undefined>;
  listSites(clientId: string, page: PageRequest): Promise<Page<Site>>;
}

export interface UserRepository {
  get(userId: string): Promise<Versioned<UserProfile> | undefined>;
  /**
   * Creates or replaces the profile. With `ifMatch`, the write happens only if the stored version
   * still has that tag (PreconditionFailedError otherwise); `ifMatch: null` means "must not exist".
   */
  put(profile: UserProfile, ifMatch?: string | null): Promise<Versioned<UserProfile>>;
  /** Every user with this role (staff lists are small; this fans out across partitions). */
  listByRole(role: UserProfile['role'], scope?: { clientId?: string; providerId?: string }): Promise<UserProfile[]>;
  /**
   * The users whose profile carries this WhatsApp number (E.164), at most two: one is the owner, two
   * mean it is not unique (fans out; phones are few per user).
   */
  withPhone(phone: string): Promise<UserProfile[]>;
}

export interface OrderFilters {
  readonly status?: OrderStatus;
  readonly priority?: Priority;
  readonly siteId?: string;
  readonly providerId?: string;
  /** The SLA status stored when the clocks were last settled (`at-risk` and `breached` for operators). */
  readonly slaState?: SlaStatus;
}

export interface OrderRepository {
  /**
   * Writes a new order, its history entries and its events in one transaction: all or nothing.
   * ConflictError when the id exists.
   */
  create(order: Order, history: readonly OrderHistoryEntry[], events: readonly DomainEvent[]): Promise<Versioned<Order>>;
  get(clientId: string, orderId: string): Promise<Versioned<Order> | undefined>;
  /** One client's orders (single partition), newest first. */
  listForClient(clientId: string, filters: OrderFilters, page: PageRequest): Promise<Page<Order>>;
  /** Every client's orders (staff only: fans out across partitions), newest first. */
  listAll(filters: OrderFilters, page: PageRequest): Promise<Page<Order>>;
  history(clientId: string, orderId: string, page: PageRequest): Promise<Page<OrderHistoryEntry>>;
  /** The SLA watch's safety net: orders whose next SLA check is due by `by` (fans out), oldest first. */
  findSlaChecksDue(by: string, limit: number): Promise<{ clientId: string; orderId: string; checkAt: string }[]>;
  /**
   * Writes a decision in one transaction: the order (only if its stored version still has `etag`,
   * PreconditionFailedError otherwise), its history entries, its events and any quote it records.
   */
  save(
    order: Order,
    etag: string,
    history: readonly OrderHistoryEntry[],
    events: readonly DomainEvent[],
    quotes?: readonly Quote[],
  ): Promise<Versioned<Order>>;
  getQuote(clientId: string, quoteId: string): Promise<Quote | undefined>;
  /** An order's quotes (at most one per invited provider), oldest first. */
  listQuotes(clientId: string, orderId: string): Promise<Quote[]>;
}

/** An answer stored by the mechanism before derived ids (records up to 24 h old); replayed as stored. */
export interface StoredResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * One `Idempotency-Key` of one caller and operation (docs/api.md, Idempotency): the body it was
 * first used with, and when. Written once, never released; expires with the key (24 h).
 */
export interface IdempotencyRecord {
  readonly key: string;
  /** Hash of the request (method, path, body) the key was first used with. */
  readonly fingerprint: string;
  /** When the key was first used: with `key`, it names what every attempt of the request creates. */
  readonly createdAt: string;
  /** Only on records written by the mechanism before derived ids. */
  readonly response?: StoredResponse;
}

export interface IdempotencyStore {
  /** Binds the key to the request: true when this call wrote the record, false when one exists. */
  claim(key: string, fingerprint: string, now: string): Promise<boolean>;
  get(key: string): Promise<IdempotencyRecord | undefined>;
}

/** A dependency the readiness probe checks. */
export interface HealthCheck {
  readonly name: string;
  check(): Promise<void>;
}

/** What the application logs through; the platform's structured logger fits it. */
export interface AppLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): AppLogger;
}

export interface ProviderFilters {
  readonly status?: ProviderStatus;
  readonly category?: ServiceCategory;
  /** Compared without case or accents. */
  readonly city?: string;
}

/** An order a provider was invited to quote for (written by the providers workflow). */
export interface Invitation {
  readonly providerId: string;
  readonly orderId: string;
  readonly clientId: string;
  readonly siteId: string;
  readonly category: ServiceCategory;
  readonly city: string;
  readonly title: string;
  readonly quoteDeadline: string;
  readonly invitedAt: string;
  readonly status: 'OPEN';
}

export interface ProviderOrderView {
  readonly providerId: string;
  /** `assigned` once the order is the provider's; `invited` while (or after) it was only invited. */
  readonly relation: 'invited' | 'assigned';
  readonly order: Order;
}

/** Invoice numbers are unique per provider (`invoiceNumber` is normalized: `normalizeInvoiceNumber`). */
export interface InvoiceNumberClaim {
  readonly providerId: string;
  readonly invoiceNumber: string;
  readonly orderId: string;
  readonly clientId: string;
}

export interface ProviderRepository {
  /**
   * Registers a provider: claims its NIT (ConflictError when another provider holds it), then writes
   * the provider, its history and its events in one transaction. ConflictError when the id exists.
   */
  create(
    provider: Provider,
    history: readonly ProviderHistoryEntry[],
    events: readonly DomainEvent[],
  ): Promise<Versioned<Provider>>;
  get(providerId: string): Promise<Versioned<Provider> | undefined>;
  /**
   * Writes a decision in one transaction: the provider (only if its stored version still has `etag`,
   * PreconditionFailedError otherwise), its new history entries and its events.
   */
  save(
    provider: Provider,
    etag: string,
    history: readonly ProviderHistoryEntry[],
    events: readonly DomainEvent[],
  ): Promise<Versioned<Provider>>;
  /** Staff listing across providers (fans out), by legal name. */
  list(filters: ProviderFilters, page: PageRequest): Promise<Page<Provider>>;
  /** APPROVED providers covering a category and a city: the candidates eligibility then checks. */
  findCandidates(category: ServiceCategory, city: string): Promise<Provider[]>;
  /** Ids of APPROVED or SUSPENDED providers with an approved document expiring on or before `date`. */
  findWithDocumentsExpiringBy(date: string): Promise<string[]>;
  /**
   * Claims a provider's invoice number for an order, create-only: answers the claim that holds the
   * number afterwards — this one, or another order's (the caller decides whether that one is stale).
   */
  claimInvoiceNumber(claim: InvoiceNumberClaim): Promise<InvoiceNumberClaim>;
  /** Drops the claim on `invoiceNumber` if `orderId` holds it (another order's claim is left alone). */
  releaseInvoiceNumber(providerId: string, invoiceNumber: string, orderId: string): Promise<void>;
  /**
   * The provider's view of an order it was invited to or assigned (a materialized view kept from
   * order events, in the provider's partition). A view older than the stored one is ignored.
   */
  putOrderView(view: ProviderOrderView): Promise<void>;
  /** The orders a provider was invited to or assigned, newest first (one partition). */
  listOrderViews(providerId: string, filters: OrderFilters & { clientId?: string }, page: PageRequest): Promise<Page<Order>>;
  /** Records an invitation once (a second write of the same provider and order changes nothing). */
  putInvitation(invitation: Invitation): Promise<void>;
  /** A provider's invitations whose quote deadline is after `now`, soonest deadline first. */
  listOpenInvitations(providerId: string, now: string, page: PageRequest): Promise<Page<Invitation>>;
}
