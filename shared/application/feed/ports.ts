import type { Delivery } from '../../domain/feed/delivery';
import type { WebhookEndpoint } from '../../domain/feed/endpoint';
import type { Page, PageRequest, Versioned } from '../ports';

/**
 * The lock of one lane (endpoint, order): which delivery holds it. Taking and releasing it are
 * ETag-conditional writes, so of two concurrent wake-ups only one starts a delivery.
 */
export interface Lane {
  readonly clientId: string;
  readonly endpointId: string;
  readonly orderId: string;
  /** The event id of the delivery in flight or waiting for its retry. */
  readonly holder?: string;
}

/** Where the feed keeps its endpoints, deliveries and lanes (the client's partition). */
export interface FeedStore {
  createEndpoint(endpoint: WebhookEndpoint): Promise<Versioned<WebhookEndpoint>>;
  getEndpoint(clientId: string, endpointId: string): Promise<Versioned<WebhookEndpoint> | undefined>;
  listEndpoints(clientId: string): Promise<WebhookEndpoint[]>;
  /** Conditional on `etag` (PreconditionFailedError otherwise). */
  replaceEndpoint(endpoint: WebhookEndpoint, etag: string): Promise<Versioned<WebhookEndpoint>>;
  deleteEndpoint(clientId: string, endpointId: string): Promise<void>;

  /** False when the delivery (endpoint, event) exists already: the fan-out ran before. */
  createDelivery(delivery: Delivery): Promise<boolean>;
  getDelivery(clientId: string, endpointId: string, eventId: string): Promise<Versioned<Delivery> | undefined>;
  replaceDelivery(delivery: Delivery, etag: string): Promise<Versioned<Delivery>>;
  /** The lane's deliveries that are not finished (pending, in flight, waiting for a retry). */
  openDeliveries(clientId: string, endpointId: string, orderId: string): Promise<Delivery[]>;
  /** An endpoint's deliveries, newest first. */
  listDeliveries(clientId: string, endpointId: string, page: PageRequest): Promise<Page<Delivery>>;

  getLane(clientId: string, endpointId: string, orderId: string): Promise<Versioned<Lane> | undefined>;
  /** Creates (etag null) or replaces conditionally; ConflictError / PreconditionFailedError when someone was first. */
  putLane(lane: Lane, etag: string | null): Promise<Versioned<Lane>>;
}

/**
 * Every unfinished delivery of every client, page by page: a cross-partition read, for the
 * operators' re-wake of the lanes after a Service Bus failover (`rewakeOpenLanes`), never a request path.
 */
export interface OpenDeliveryScan {
  openDeliveriesEverywhere(pageSize: number): AsyncIterable<readonly Delivery[]>;
}

export interface OutboundRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface OutboundResult {
  /** The receiver's status; absent when no answer came. */
  readonly status?: number;
  readonly latencyMs: number;
  /** Why no answer came (refused address, timeout, connection error). */
  readonly error?: string;
}

/**
 * Posts one request to a receiver. The adapter resolves the host itself and refuses any non-public
 * address (SSRF), connects to the vetted address, follows no redirect and times out.
 */
export interface WebhookSender {
  post(request: OutboundRequest): Promise<OutboundResult>;
}
