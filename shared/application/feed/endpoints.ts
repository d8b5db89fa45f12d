import { randomBytes } from 'node:crypto';
import { replay as replayDelivery, type Delivery } from '../../domain/feed/delivery';
import {
  DEFAULT_ROTATION_OVERLAP_HOURS,
  rotateSecret as rotate,
  setStatus,
  urlProblem,
  type EndpointStatus,
  type UrlRules,
  type WebhookEndpoint,
} from '../../domain/feed/endpoint';
import { isFeedEventType } from '../../domain/feed/feed-events';
import { requireClientScope, requireRole } from '../access';
import type { CallContext } from '../context';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors';
import { EVENT_REGISTRY } from '../events/registry';
import { createOnce, newUlid, type Created } from '../idempotency';
import type { IdGenerator, Page, PageRequest, Versioned } from '../ports';
import { wakeLane, type FeedAdminDeps } from './dispatch';

/**
 * The client event feed's management (docs/webhooks.md): a client's users, and staff for any client,
 * register endpoints, list and change them, rotate their secrets, read their delivery log and replay
 * a delivery. A secret is shown once, in the answer that made it; reads show only its id and dates.
 */
export interface FeedEndpointDeps extends FeedAdminDeps {
  readonly ids: IdGenerator;
  readonly urlRules: UrlRules;
}

/** Every order event type a client may subscribe to: derived from the registry, never listed by hand. */
export const FEED_EVENT_TYPES: readonly string[] = Object.keys(EVENT_REGISTRY).filter(isFeedEventType);

/** An endpoint as the API shows it: the secrets' ids and dates, never their values. */
export type EndpointView = Omit<WebhookEndpoint, 'secrets'> & {
  readonly secrets: readonly { readonly id: string; readonly createdAt: string; readonly notAfter?: string }[];
};

export function viewOf(endpoint: WebhookEndpoint): EndpointView {
  return { ...endpoint, secrets: endpoint.secrets.map(({ value: _secret, ...rest }) => rest) };
}

export interface RegisterEndpointInput {
  readonly url: string;
  readonly eventTypes?: 'all' | readonly string[];
  readonly description?: string;
}

export interface UpdateEndpointInput {
  readonly url?: string;
  readonly eventTypes?: 'all' | readonly string[];
  readonly description?: string;
  readonly status?: EndpointStatus;
}

function requireFeedAccess(call: CallContext, clientId: string): void {
  requireClientScope(call.principal, clientId);
  requireRole(call.principal, ['admin', 'operator', 'client'], "manage a client's event feed");
}

function checkInput(deps: FeedEndpointDeps, input: { url?: string; eventTypes?: 'all' | readonly string[] }): void {
  const errors: { field: string; message: string }[] = [];
  if (input.url !== undefined) {
    const problem = urlProblem(input.url, deps.urlRules);
    if (problem) errors.push({ field: 'url', message: problem });
  }
  if (Array.isArray(input.eventTypes)) {
    if (input.eventTypes.length === 0) errors.push({ field: 'eventTypes', message: 'name at least one type, or "all"' });
    input.eventTypes.forEach((t, i) => {
      if (!FEED_EVENT_TYPES.includes(t)) errors.push({ field: `eventTypes.${i}`, message: `not an order event type: ${t}` });
    });
  }
  if (errors.length) throw new InvalidInputError('the endpoint is not valid', errors);
}

const newSecretValue = () => `whsec_${randomBytes(32).toString('base64url')}`;

async function load(deps: FeedAdminDeps, call: CallContext, clientId: string, endpointId: string) {
  requireFeedAccess(call, clientId);
  const found = await deps.feed.getEndpoint(clientId, endpointId);
  if (!found || found.value.clientId !== clientId) throw new NotFoundError('endpoint not found');
  return found;
}

/** A new endpoint, active, with its first secret — returned here and never again. */
export async function registerEndpoint(
  deps: FeedEndpointDeps,
  call: CallContext,
  clientId: string,
  input: RegisterEndpointInput,
): Promise<{ endpoint: Created<EndpointView>; secret: string }> {
  requireFeedAccess(call, clientId);
  checkInput(deps, input);
  const now = deps.clock.now().toISOString();
  const ulid = newUlid(call, deps.ids);
  const endpoint: WebhookEndpoint = {
    id: `whk_${ulid}`,
    clientId,
    url: input.url,
    ...(input.description ? { description: input.description } : {}),
    eventTypes: input.eventTypes ?? 'all',
    status: 'active',
    secrets: [{ id: `sec_${deps.ids.ulid()}`, value: newSecretValue(), createdAt: now }],
    createdAt: now,
    updatedAt: now,
  };
  // The same request again (Idempotency-Key) answers the endpoint it made, with its secret, as a replay.
  const stored = await createOnce(
    call,
    () => deps.feed.createEndpoint(endpoint),
    () => deps.feed.getEndpoint(clientId, endpoint.id),
  );
  const secret = stored.value.secrets.at(-1)?.value ?? '';
  return {
    endpoint: { value: viewOf(stored.value), etag: stored.etag, ...(stored.replayed ? { replayed: true as const } : {}) },
    secret,
  };
}

export async function listEndpoints(deps: FeedAdminDeps, call: CallContext, clientId: string): Promise<EndpointView[]> {
  requireFeedAccess(call, clientId);
  return (await deps.feed.listEndpoints(clientId)).filter((e) => e.clientId === clientId).map(viewOf);
}

export async function getEndpoint(
  deps: FeedAdminDeps,
  call: CallContext,
  clientId: string,
  endpointId: string,
): Promise<Versioned<EndpointView>> {
  const found = await load(deps, call, clientId, endpointId);
  return { value: viewOf(found.value), etag: found.etag };
}

/** Changes the URL, the types, the description, or enables/disables it (enabling starts a fresh 24 h). */
export async function updateEndpoint(
  deps: FeedEndpointDeps,
  call: CallContext,
  clientId: string,
  endpointId: string,
  input: UpdateEndpointInput,
  ifMatch?: string,
): Promise<Versioned<EndpointView>> {
  const found = await load(deps, call, clientId, endpointId);
  checkInput(deps, input);
  const now = deps.clock.now();
  let next: WebhookEndpoint = {
    ...found.value,
    ...(input.url !== undefined ? { url: input.url } : {}),
    ...(input.eventTypes !== undefined ? { eventTypes: input.eventTypes } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
    updatedAt: now.toISOString(),
  };
  if (input.status !== undefined && input.status !== found.value.status) next = setStatus(next, input.status, now);
  const stored = await deps.feed.replaceEndpoint(next, ifMatch ?? found.etag);
  return { value: viewOf(stored.value), etag: stored.etag };
}

/** A new signing secret, returned once; the current ones keep signing until the overlap ends. */
export async function rotateEndpointSecret(
  deps: FeedEndpointDeps,
  call: CallContext,
  clientId: string,
  endpointId: string,
  input: { readonly overlapHours?: number },
): Promise<{ endpoint: Versioned<EndpointView>; secret: string }> {
  const found = await load(deps, call, clientId, endpointId);
  const now = deps.clock.now();
  const value = newSecretValue();
  const next = rotate(
    found.value,
    { id: `sec_${deps.ids.ulid()}`, value },
    now,
    input.overlapHours ?? DEFAULT_ROTATION_OVERLAP_HOURS,
  );
  const stored = await deps.feed.replaceEndpoint(next, found.etag);
  return { endpoint: { value: viewOf(stored.value), etag: stored.etag }, secret: value };
}

export async function deleteEndpoint(
  deps: FeedAdminDeps,
  call: CallContext,
  clientId: string,
  endpointId: string,
): Promise<void> {
  await load(deps, call, clientId, endpointId);
  await deps.feed.deleteEndpoint(clientId, endpointId);
}

/** The delivery log of an endpoint, newest first: each delivery with its attempts (status, latency, response code). */
export async function listDeliveries(
  deps: FeedAdminDeps,
  call: CallContext,
  clientId: string,
  endpointId: string,
  page: PageRequest,
): Promise<Page<Delivery>> {
  await load(deps, call, clientId, endpointId);
  return deps.feed.listDeliveries(clientId, endpointId, page);
}

/**
 * Sends a delivered or failed delivery again, with the same event id (receivers dedupe on it), in
 * its place in the order's lane, with a fresh 24 h of retries. The endpoint must be active.
 */
export async function replayDeliveryById(
  deps: FeedAdminDeps,
  call: CallContext,
  clientId: string,
  endpointId: string,
  eventId: string,
): Promise<Delivery> {
  const endpoint = await load(deps, call, clientId, endpointId);
  if (endpoint.value.status !== 'active') throw new ConflictError('the endpoint is disabled: enable it before replaying');
  const found = await deps.feed.getDelivery(clientId, endpointId, eventId);
  if (!found) throw new NotFoundError('delivery not found');
  if (found.value.status !== 'delivered' && found.value.status !== 'failed')
    throw new ConflictError(`the delivery is ${found.value.status}: only a delivered or failed delivery can be replayed`);
  const replayed = await deps.feed.replaceDelivery(replayDelivery(found.value), found.etag);
  const { orderId } = replayed.value;
  await wakeLane(deps, { clientId, endpointId, orderId }, `replay~${eventId}~${replayed.value.replays}`, call.correlationId);
  return replayed.value;
}
