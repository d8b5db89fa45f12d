import type { MediaRef, OrderSummary, Request, Result } from '../../domain/whatsapp/dialog';
import type { Order, OrderStatus } from '../../domain/orders/order';
import { makeOrderId } from '../../domain/shared/ids';
import { isAllowedFileType } from '../../domain/files/file-types';
import type { CallContext } from '../context';
import { ApplicationError, ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../errors';
import { listSites } from '../clients/clients';
import { assertMayAct, performOrderAction, submitQuote, type LifecycleDeps } from '../orders/lifecycle';
import { createOrder, getOrder, listOrders, type CreateOrderInput } from '../orders/orders';
import { listInvitations } from '../providers/providers';
import type { AppLogger, IdGenerator } from '../ports';
import type { InvitationResponses, MediaFetcher, MediaStore } from './ports';
import { shareFieldLocation } from './field-location';

/**
 * The requests of the conversation machine, carried out through the same application commands
 * the HTTP API calls, with a principal built from the user's profile: the same scope, roles and
 * lifecycle rules apply. An application refusal becomes a `refused` result (a polite reply);
 * anything else (a bug, an outage below the application) propagates and the delivery is retried.
 */
export interface CommandDeps extends LifecycleDeps {
  readonly mediaFetcher: MediaFetcher;
  readonly mediaStore: MediaStore;
  readonly invitationResponses: InvitationResponses;
  readonly logger?: AppLogger;
}

/** Orders opened by WhatsApp start as P3 (normal); the operator corrects it at triage. */
const WHATSAPP_PRIORITY = 'P3';
const LIST_LIMIT = 10;

export async function execute(
  deps: CommandDeps,
  call: CallContext,
  request: Request,
  ids: IdGenerator & { firstUlid: string },
): Promise<Result> {
  try {
    return await run(deps, call, request, ids);
  } catch (err) {
    if (!(err instanceof ApplicationError)) throw err;
    deps.logger?.info('whatsapp request refused', { request: request.kind, kind: err.kind, message: err.message });
    const currentState = err.details?.currentState as OrderStatus | undefined;
    // A chat never sends configuration; should one be refused, it reads as any invalid input.
    const reason = err.kind === 'invalid-configuration' ? 'invalid' : err.kind;
    return { kind: 'refused', request: request.kind, reason, ...(currentState ? { currentState } : {}) };
  }
}

async function run(
  deps: CommandDeps,
  call: CallContext,
  request: Request,
  ids: IdGenerator & { firstUlid: string },
): Promise<Result> {
  const p = call.principal;
  switch (request.kind) {
    case 'list-sites': {
      const page = await listSites(deps, call, p.clientId ?? '', { limit: 20 });
      return { kind: 'sites', sites: page.items.map((s) => ({ id: s.id, name: s.name, city: s.city })) };
    }
    case 'create-order':
      return openOrder(deps, call, request, ids);
    case 'order-status':
      return { kind: 'order-status', order: summary((await getOrder(deps, call, request.orderId)).value) };
    case 'recent-orders': {
      const page = await listOrders(deps, call, {}, { limit: 5 });
      return { kind: 'recent-orders', orders: page.items.map(summary) };
    }
    case 'list-invitations': {
      const [page, declined] = await Promise.all([
        listInvitations(deps, call, p.providerId ?? '', { limit: LIST_LIMIT }),
        deps.invitationResponses.listDeclined(p.providerId ?? ''),
      ]);
      const invitations = page.items
        .filter((i) => !declined.includes(i.orderId))
        .map((i) => ({ orderId: i.orderId, title: i.title, quoteDeadline: i.quoteDeadline }));
      return { kind: 'invitations', invitations };
    }
    case 'decline':
      await declineInvitation(deps, call, request.orderId, request.reason);
      return { kind: 'declined', orderId: request.orderId };
    case 'submit-quote': {
      const { orderId, amount, leadTimeDays, validUntil } = request;
      await submitQuote(deps, call, orderId, { amount: { amount, currency: 'COP' }, leadTimeDays, validUntil });
      return { kind: 'quote-submitted', orderId, amount, leadTimeDays, validUntil };
    }
    case 'list-assigned': {
      const status = request.purpose === 'check-in' ? 'SCHEDULED' : 'IN_PROGRESS';
      const page = await listOrders(deps, call, { status, providerId: p.providerId ?? '' }, { limit: LIST_LIMIT });
      return { kind: 'assigned', purpose: request.purpose, orders: page.items.map(summary) };
    }
    case 'check-in':
      try {
        await performOrderAction(deps, call, request.orderId, 'check-in', {});
      } catch (err) {
        // A hard geofence needs the position a typed command does not carry (issue 17).
        if (err instanceof InvalidInputError && err.fieldErrors.some((f) => f.field === 'position'))
          return { kind: 'refused', request: 'check-in', reason: 'position-required' };
        throw err;
      }
      return { kind: 'checked-in', orderId: request.orderId };
    case 'complete':
      return completeWork(deps, call, request);
    case 'field-location':
      return shareFieldLocation(deps, call, request.position);
    case 'request-nte-increase':
      return requestNteIncrease(deps, call, request);
  }
}

function summary(o: Order): OrderSummary {
  return { id: o.id, title: o.title, status: o.status, ...(o.visitAt ? { visitAt: o.visitAt } : {}) };
}

async function openOrder(
  deps: CommandDeps,
  call: CallContext,
  r: Extract<Request, { kind: 'create-order' }>,
  ids: IdGenerator & { firstUlid: string },
): Promise<Result> {
  const orderId = await createOnce(deps, call, r, ids);
  const photos = await storePhotos(deps, call, orderId, r.photos);
  return { kind: 'order-created', orderId, photosStored: photos.stored.length, photosFailed: photos.failed };
}

/**
 * Creates the order with ids derived from the inbound event: handled twice (a crash before the
 * conversation was saved), the second create meets the first order and takes it as its own.
 */
async function createOnce(
  deps: CommandDeps,
  call: CallContext,
  r: Extract<Request, { kind: 'create-order' }>,
  ids: IdGenerator & { firstUlid: string },
): Promise<string> {
  const input: CreateOrderInput = {
    siteId: r.siteId,
    category: r.category,
    priority: WHATSAPP_PRIORITY,
    title: r.title,
    description: r.description,
    channel: 'whatsapp',
  };
  try {
    return (await createOrder({ ...deps, ids }, call, input)).value.id;
  } catch (err) {
    if (!(err instanceof ConflictError) || !call.principal.clientId) throw err;
    const expected = makeOrderId(call.principal.clientId, ids.firstUlid);
    const existing = await getOrder(deps, call, expected).catch(() => undefined);
    if (existing?.value.requester.userId !== call.principal.userId) throw err;
    return expected;
  }
}

/** Fetches each photo from the partner and stores it on the order; a photo that fails is counted, not fatal. */
async function storePhotos(
  deps: CommandDeps,
  call: CallContext,
  orderId: string,
  photos: readonly MediaRef[],
): Promise<{ stored: string[]; failed: number }> {
  const stored: string[] = [];
  let failed = 0;
  for (const photo of photos) {
    try {
      const media = await deps.mediaFetcher.fetch(photo.url);
      const contentType = (media.contentType || photo.contentType || '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (!contentType.startsWith('image/') || !isAllowedFileType(contentType))
        throw new Error(`not an accepted image type: ${contentType || 'unknown'}`);
      stored.push(await deps.mediaStore.saveOrderPhoto(call, orderId, media.bytes, contentType));
    } catch (err) {
      failed++;
      deps.logger?.warn('whatsapp photo not stored', { orderId, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return { stored, failed };
}

/**
 * `complete` by WhatsApp: the report and the photos, stored first as attachments and named as the
 * evidence. An order that is not in progress is refused before any photo is stored, so a refused
 * completion leaves no stray files behind.
 */
async function completeWork(deps: CommandDeps, call: CallContext, r: Extract<Request, { kind: 'complete' }>): Promise<Result> {
  const order = (await getOrder(deps, call, r.orderId)).value;
  if (order.status !== 'IN_PROGRESS')
    throw new ConflictError(`cannot complete an order that is ${order.status}`, { currentState: order.status });
  if (order.providerId !== call.principal.providerId) throw new ForbiddenError('only the assigned provider completes the work');
  const photos = await storePhotos(deps, call, r.orderId, r.photos);
  if (!photos.stored.length) return { kind: 'refused', request: 'complete', reason: 'photos-failed' };
  await performOrderAction(deps, call, r.orderId, 'complete', { report: r.report, attachmentIds: photos.stored });
  return { kind: 'completed', orderId: r.orderId, photos: photos.stored.length };
}

/**
 * An NTE increase by WhatsApp (issue 17): the photos are stored first as attachments and named as
 * the evidence, as for `complete`; an order the provider may not ask on is refused before any photo
 * is stored. The rules are the lifecycle table's, through the same action as the API.
 */
async function requestNteIncrease(
  deps: CommandDeps,
  call: CallContext,
  r: Extract<Request, { kind: 'request-nte-increase' }>,
): Promise<Result> {
  const order = (await getOrder(deps, call, r.orderId)).value;
  // The table's pre-check with a stand-in for the evidence: the photos are named once stored.
  const body = { amount: { amount: r.amount, currency: 'COP' }, reason: r.reason };
  assertMayAct(
    order,
    'request-nte-increase',
    call.principal,
    { ...body, attachmentIds: ['pending'] },
    deps.clock.now().toISOString(),
  );
  const photos = await storePhotos(deps, call, r.orderId, r.photos);
  if (!photos.stored.length) return { kind: 'refused', request: r.kind, reason: 'photos-failed' };
  await performOrderAction(deps, call, r.orderId, 'request-nte-increase', { ...body, attachmentIds: photos.stored });
  return { kind: 'nte-increase-requested', orderId: r.orderId, amount: r.amount };
}

/**
 * A provider declines an invitation: only one it holds (another order is "not found", as in the
 * API), only while the round is open, and not after quoting (the quote would stand).
 */
export async function declineInvitation(
  deps: Pick<CommandDeps, 'orders' | 'invitationResponses'>,
  call: CallContext,
  orderId: string,
  reason: string,
): Promise<void> {
  const p = call.principal;
  if (p.role !== 'provider' || !p.providerId) throw new ForbiddenError('only invited providers decline invitations');
  const order = (await getOrder(deps, call, orderId)).value;
  if (!(order.invitedProviderIds ?? []).includes(p.providerId)) throw new NotFoundError('invitation not found');
  if (order.status !== 'QUOTING' || order.quoteRoundClosedAt)
    throw new ConflictError('the quote round is closed', { currentState: order.status });
  if (await deps.orders.getQuote(order.clientId, `${orderId}~q~${p.providerId}`))
    throw new ConflictError('a quote was already submitted for this order', { currentState: order.status });
  await deps.invitationResponses.decline(p.providerId, orderId, reason);
}
