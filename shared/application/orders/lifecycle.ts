import { isStaff } from '../../domain/access/principal';
import { escalationRefusal } from '../../domain/orders/approval-chain';
import {
  decide,
  ORDER_RULES,
  OrderRuleError,
  precheck,
  type ActionBodies,
  type ActionInputs,
  type Actor,
  type ApiAction,
  type LifecycleDecision,
  type Quote,
} from '../../domain/orders/lifecycle';
import type { Order } from '../../domain/orders/order';
import type { Money } from '../../domain/shared/money';
import { colombiaDate } from '../../domain/providers/documents';
import { toEvents, type CallContext } from '../context';
import {
  ApprovalLimitError,
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  InvoiceRulesError,
  NotFoundError,
  PreconditionFailedError,
} from '../errors';
import { findEligibleProviders } from '../providers/providers';
import type {
  AppLogger,
  ClientRepository,
  Clock,
  IdGenerator,
  OrderRepository,
  ProviderRepository,
  InvoiceNumberClaim,
  UserRepository,
  Versioned,
} from '../ports';
import { requireEvidence, requireStoredAttachment, type AttachmentRepository } from './attachments';
import { decidedAgainOnLostRace } from '../lost-race';
import { normalizeInvoiceNumber } from '../../domain/orders/invoice';
import { DEFAULT_SLA_CONTEXT, SLA_CONTEXT_ACTIONS, slaContextOf, type SlaContext } from '../../domain/orders/sla-lifecycle';
import { getOrder, ORDERS_SOURCE } from './orders';
import { clientSuggestedNte, suggestedNteFor, type PriceStatsStore } from './price-guidance';
import { fenceFacts, invoiceFacts } from './field-facts';
import { approvalTermsFor, approverFacts } from './approvals';

/**
 * The order lifecycle use cases: load the order in the caller's scope, gather what the action's
 * guard needs (eligible providers, the selected quote, the caller's approval limit), decide with
 * the domain table, and write order + history + events (+ quote) in one conditional batch.
 */
export interface LifecycleDeps {
  readonly orders: OrderRepository;
  readonly clients: ClientRepository;
  readonly providers: ProviderRepository;
  readonly users: UserRepository;
  readonly attachments: AttachmentRepository;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** The price guidance's read model; optional: without it there is no suggestion, never a refusal. */
  readonly priceStats?: PriceStatsStore;
  /** Where guidance that could not be read is reported (it never refuses an action). */
  readonly logger?: AppLogger;
}

export type SystemCall = Pick<CallContext, 'correlationId' | 'traceparent'>;

/** The domain's refusals in the application's terms. */
function translate(err: unknown): never {
  if (!(err instanceof OrderRuleError)) throw err;
  switch (err.kind) {
    case 'illegal':
      throw new ConflictError(err.message, err.details);
    case 'forbidden':
      throw new ForbiddenError(err.message);
    case 'approval-limit':
      throw new ApprovalLimitError(err.message, err.details);
    case 'guard':
      if (err.fieldErrors.length) throw new InvalidInputError(err.message, err.fieldErrors);
      throw new ConflictError(err.message, err.details);
    case 'invoice-rules':
      throw new InvoiceRulesError(err.message, err.details, err.fieldErrors);
  }
}

function decideOrThrow(make: () => LifecycleDecision): LifecycleDecision {
  try {
    return make();
  } catch (err) {
    return translate(err);
  }
}

async function write(
  deps: LifecycleDeps,
  call: SystemCall,
  current: Versioned<Order>,
  decision: LifecycleDecision,
  ifMatch?: string,
  quotes: readonly Quote[] = [],
): Promise<Versioned<Order>> {
  if (ifMatch && ifMatch !== current.etag) throw new PreconditionFailedError('the order has changed; read it again');
  return deps.orders.save(
    decision.order,
    current.etag,
    decision.history,
    toEvents(decision.events, ORDERS_SOURCE, call, deps),
    quotes,
  );
}

/** What the application reads for one action, beyond the caller's body; the rules on it are the domain's. */
type Gather<A extends ApiAction> = (
  deps: LifecycleDeps,
  call: CallContext,
  order: Order,
  body: ActionBodies[A],
) => Promise<ActionInputs[A]>;

const asSent = async <B>(_deps: LifecycleDeps, _call: CallContext, _order: Order, body: B): Promise<B> => body;

const GATHER: { readonly [A in ApiAction]: Gather<A> } = {
  triage: asSent,
  reject: asSent,
  'request-quotes': async (deps, _call, order, body) => {
    const site = await deps.clients.getSite(order.clientId, order.siteId);
    if (!site) throw new ConflictError('the order’s site no longer exists');
    const visitDate = body.visitDate ?? colombiaDate(new Date(body.quoteDeadline));
    const [eligible, suggestedNte] = await Promise.all([
      findEligibleProviders(deps, { category: order.category, city: site.value.city, visitDate }),
      clientSuggestedNte(deps, order, site.value.city),
    ]);
    return {
      ...body,
      visitDate,
      city: site.value.city,
      providerIds: eligible.map((p) => p.id),
      ...(suggestedNte ? { suggestedNte } : {}),
    };
  },
  'select-quote': async (deps, _call, order, body) => {
    const [quote, terms] = await Promise.all([
      deps.orders.getQuote(order.clientId, body.quoteId),
      approvalTermsFor(deps, order.clientId),
    ]);
    return { quoteId: body.quoteId, ...(quote ? { quote } : {}), terms };
  },
  // Only a profile that agrees with the token (same user, role and client) carries a limit or a tier.
  approve: async (deps, call, order, body) => ({ ...body, ...(await approverFacts(deps, call, order)) }),
  'reject-quote': async (deps, call, order, body) => ({ ...body, ...(await approverFacts(deps, call, order)) }),
  assign: async (deps, _call, order, body) => {
    const [provider, terms, suggestedNte] = await Promise.all([
      deps.providers.get(body.providerId),
      approvalTermsFor(deps, order.clientId),
      suggestedNteFor(deps, order, body.amount.currency),
    ]);
    return {
      ...body,
      ...(provider ? { providerStatus: provider.value.status } : {}),
      terms,
      ...(suggestedNte ? { suggestedNte } : {}),
    };
  },
  schedule: asSent,
  'check-in': async (deps, _call, order, body) => ({ ...body, ...(await fenceFacts(deps, order)) }),
  hold: asSent,
  resume: asSent,
  complete: async (deps, _call, order, body) => {
    await requireEvidence(deps, order.clientId, order.id, body.attachmentIds);
    return body;
  },
  verify: asSent,
  'request-rework': asSent,
  rate: asSent,
  invoice: async (deps, _call, order, body) => ({
    ...body,
    invoiceNumber: normalizeInvoiceNumber(body.invoiceNumber),
    ...(await invoiceFacts(deps, order, body)),
  }),
  close: asSent,
  cancel: asSent,
  'check-out': async (deps, _call, order, body) => ({ ...body, ...(await fenceFacts(deps, order)) }),
  'approve-invoice': asSent,
  'reject-invoice': asSent,
  'request-nte-increase': async (deps, _call, order, body) => {
    await requireEvidence(deps, order.clientId, order.id, body.attachmentIds);
    return { ...body, terms: await approvalTermsFor(deps, order.clientId) };
  },
  'approve-nte-increase': async (deps, call, order, body) => ({ ...body, ...(await approverFacts(deps, call, order)) }),
  'reject-nte-increase': async (deps, call, order, body) => ({ ...body, ...(await approverFacts(deps, call, order)) }),
  // A failed item's photo is verified like `complete`'s evidence: stored on this order, an image.
  'answer-checklist': async (deps, _call, order, body) => {
    const photos = body.answers.flatMap((a) => (a.result === 'failed' && a.attachmentId ? [a.attachmentId] : []));
    if (photos.length) await requireEvidence(deps, order.clientId, order.id, photos);
    return body;
  },
};

/** The client's SLA terms (one point read), for the actions whose clocks depend on them. */
export async function slaContextFor(deps: Pick<LifecycleDeps, 'clients'>, clientId: string): Promise<SlaContext> {
  const client = await deps.clients.get(clientId);
  return client ? slaContextOf(client.value) : DEFAULT_SLA_CONTEXT;
}

/**
 * Refuses as the API would if the caller took the action now (the table's pre-check: role, state,
 * who of the role, guards on the body), without gathering or writing: for channels that must do
 * something first (WhatsApp stores the photos it names as evidence).
 */
export function assertMayAct<A extends ApiAction>(order: Order, action: A, by: Actor, body: ActionBodies[A], now: string): void {
  const refused = precheck(order, action, by, body, now);
  if (refused) translate(refused);
}

/** `POST /orders/{id}/actions/{action}`. */
export async function performOrderAction<A extends ApiAction>(
  deps: LifecycleDeps,
  call: CallContext,
  orderId: string,
  action: A,
  body: ActionBodies[A],
  ifMatch?: string,
): Promise<Versioned<Order>> {
  return decidedAgainOnLostRace(() => performOnce(deps, call, orderId, action, body, ifMatch), { ifMatch });
}

async function performOnce<A extends ApiAction>(
  deps: LifecycleDeps,
  call: CallContext,
  orderId: string,
  action: A,
  body: ActionBodies[A],
  ifMatch: string | undefined,
): Promise<Versioned<Order>> {
  const current = await getOrder(deps, call, orderId);
  const by: Actor = call.principal;
  // Scope (404) first, then the table's pre-check (role 403, state 409, guard), before gathering the
  // action's input (whose lookups could answer 422 for a caller who may not act).
  const refused = precheck(current.value, action, by, body, deps.clock.now().toISOString());
  if (refused) translate(refused);
  const [input, sla] = await Promise.all([
    GATHER[action](deps, call, current.value, body),
    SLA_CONTEXT_ACTIONS.includes(action) ? slaContextFor(deps, current.value.clientId) : undefined,
  ]);
  const now = deps.clock.now().toISOString();
  if (action === 'invoice') return invoiceOnce(deps, call, current, input as ActionInputs['invoice'], now, ifMatch);
  const decision = decideOrThrow(() => decide(current.value, action, by, input, now, sla));
  const written = await write(deps, call, current, decision, ifMatch);
  const rejected = current.value.invoice;
  // A rejected invoice's number is free again: the corrected invoice may carry it (docs/orders.md).
  if (action === 'reject-invoice' && rejected && current.value.providerId)
    await deps.providers.releaseInvoiceNumber(current.value.providerId, rejected.invoiceNumber, current.value.id);
  return written;
}

/**
 * The invoice number is claimed before the rules are asked (whether it is free is one of them) and
 * released when the invoice is refused or the write fails, so a number is held only by an order
 * that really carries it (a crash in between is handled by the takeover in claimInvoiceNumber).
 */
async function invoiceOnce(
  deps: LifecycleDeps,
  call: CallContext,
  current: Versioned<Order>,
  input: ActionInputs['invoice'],
  now: string,
  ifMatch: string | undefined,
): Promise<Versioned<Order>> {
  const claimed = await claimInvoiceNumber(deps, current.value, input.invoiceNumber);
  try {
    const facts = 'usedBy' in claimed ? { ...input, invoiceNumberUsedBy: claimed.usedBy } : input;
    const decision = decideOrThrow(() => decide(current.value, 'invoice', call.principal, facts, now));
    return await write(deps, call, current, decision, ifMatch);
  } catch (err) {
    if ('claim' in claimed)
      await deps.providers.releaseInvoiceNumber(claimed.claim.providerId, claimed.claim.invoiceNumber, claimed.claim.orderId);
    throw err;
  }
}

/**
 * Invoice numbers are unique per provider. A number held by another order that does not carry it
 * (its write failed after the claim, or its invoice was rejected) is taken over; one held by an
 * order that does answers that order (the `invoice-number-unique` rule fails on it).
 */
async function claimInvoiceNumber(
  deps: LifecycleDeps,
  order: Order,
  invoiceNumber: string,
): Promise<{ claim: InvoiceNumberClaim } | { usedBy: string }> {
  const providerId = order.providerId;
  if (!providerId) throw new ConflictError('the order has no assigned provider');
  const claim = { providerId, invoiceNumber, orderId: order.id, clientId: order.clientId };
  for (let attempt = 0; attempt < 2; attempt++) {
    const holder = await deps.providers.claimInvoiceNumber(claim);
    if (holder.orderId === order.id) return { claim };
    const other = await deps.orders.get(holder.clientId, holder.orderId);
    const carried = other?.value.invoice && normalizeInvoiceNumber(other.value.invoice.invoiceNumber) === invoiceNumber;
    if (carried) return { usedBy: holder.orderId };
    await deps.providers.releaseInvoiceNumber(providerId, invoiceNumber, holder.orderId);
  }
  throw new ConflictError(`invoice number ${invoiceNumber} is being claimed by another order; try again`);
}

export interface QuoteInput {
  readonly amount: Money;
  readonly leadTimeDays: number;
  readonly validUntil: string;
  readonly notes?: string;
  readonly attachmentId?: string;
}

/** `POST /orders/{id}/quotes`: an invited provider's quote, one per provider, replaceable until the deadline. */
export async function submitQuote(deps: LifecycleDeps, call: CallContext, orderId: string, input: QuoteInput): Promise<Quote> {
  const p = call.principal;
  if (p.role !== 'provider') {
    // Staff and clients see the order but do not quote; a provider not invited does not see it at all.
    await getOrder(deps, call, orderId);
    throw new ForbiddenError('only invited providers submit quotes');
  }
  return decidedAgainOnLostRace(() => submitQuoteOnce(deps, call, orderId, input));
}

async function submitQuoteOnce(deps: LifecycleDeps, call: CallContext, orderId: string, input: QuoteInput): Promise<Quote> {
  const p = call.principal;
  const current = await getOrder(deps, call, orderId);
  if (input.attachmentId) await requireStoredAttachment(deps, current.value.clientId, orderId, input.attachmentId);
  const now = deps.clock.now().toISOString();
  const quote: Quote = {
    id: `${orderId}~q~${p.providerId}`,
    orderId,
    clientId: current.value.clientId,
    providerId: p.providerId as string,
    amount: input.amount,
    leadTimeDays: input.leadTimeDays,
    validUntil: input.validUntil,
    ...(input.notes ? { notes: input.notes } : {}),
    ...(input.attachmentId ? { attachmentId: input.attachmentId } : {}),
    submittedAt: now,
    submittedBy: p.userId,
  };
  const decision = decideOrThrow(() => decide(current.value, 'submit-quote', p, { quote }, now));
  await write(deps, call, current, decision, undefined, [quote]);
  return quote;
}

/**
 * `GET /orders/{id}/quotes`: a provider sees its own; staff all; the client all once the round is
 * closed (the deadline passed or the order moved on), none before — quotes stay sealed while providers
 * may still compete.
 */
export async function listQuotes(deps: LifecycleDeps, call: CallContext, orderId: string): Promise<Quote[]> {
  const order = (await getOrder(deps, call, orderId)).value;
  const all = await deps.orders.listQuotes(order.clientId, orderId);
  const p = call.principal;
  if (isStaff(p)) return all;
  if (p.role === 'provider') return all.filter((q) => q.providerId === p.providerId);
  const closed =
    order.status !== 'QUOTING' ||
    order.quoteRoundClosedAt !== undefined ||
    (order.quoteDeadline !== undefined && Date.parse(order.quoteDeadline) <= deps.clock.now().getTime());
  return closed ? all : [];
}

/**
 * The quote round closes at its deadline: the scheduled `order.quote-deadline-reached` message
 * calls this. A message of an earlier round, or for an order that moved on or was already closed,
 * changes nothing (answers undefined); one delivered before the deadline is refused (and retried).
 */
export async function closeQuoteRound(
  deps: LifecycleDeps,
  call: SystemCall,
  clientId: string,
  orderId: string,
  quoteDeadline?: string,
): Promise<Versioned<Order> | undefined> {
  return decidedAgainOnLostRace(() => closeQuoteRoundOnce(deps, call, clientId, orderId, quoteDeadline));
}

async function closeQuoteRoundOnce(
  deps: LifecycleDeps,
  call: SystemCall,
  clientId: string,
  orderId: string,
  quoteDeadline: string | undefined,
): Promise<Versioned<Order> | undefined> {
  const current = await deps.orders.get(clientId, orderId);
  if (!current) throw new NotFoundError('order not found');
  const o = current.value;
  if (o.status !== 'QUOTING' || o.quoteRoundClosedAt || (quoteDeadline !== undefined && o.quoteDeadline !== quoteDeadline))
    return undefined;
  const quotes = await deps.orders.listQuotes(clientId, orderId);
  const decision = decideOrThrow(() =>
    decide(
      o,
      'close-quote-round',
      { userId: 'system', role: 'system' },
      { quoteCount: quotes.length },
      deps.clock.now().toISOString(),
    ),
  );
  return write(deps, call, current, decision);
}

/**
 * A tier did not answer in time: the scheduled `order.approval-escalation-due` message calls this.
 * A message for a tier that already answered, an approval that ended or moved on (or an order that
 * moved on) changes nothing (answers undefined); one delivered before the due time is refused (and
 * retried).
 */
export async function escalateApproval(
  deps: LifecycleDeps,
  call: SystemCall,
  clientId: string,
  orderId: string,
  tierId: string,
  dueAt: string,
): Promise<Versioned<Order> | undefined> {
  return decidedAgainOnLostRace(async () => {
    const current = await deps.orders.get(clientId, orderId);
    if (!current) throw new NotFoundError('order not found');
    const now = deps.clock.now().toISOString();
    // Only "not yet" is worth a retry (the guard refuses it); anything else is a message the order no longer needs.
    const stale = escalationRefusal(current.value.approval, tierId, dueAt, now) === 'stale';
    if (stale || !ORDER_RULES['escalate-approval'].from.includes(current.value.status)) return undefined;
    const terms = await approvalTermsFor(deps, clientId);
    const decision = decideOrThrow(() =>
      decide(current.value, 'escalate-approval', { userId: 'system', role: 'system' }, { tierId, dueAt, terms }, now),
    );
    return write(deps, call, current, decision);
  });
}

/** The contract gate's exits, commanded by the DocuSign webhook (Integrations) — or tests until then. */
export async function contractSigned(
  deps: LifecycleDeps,
  call: SystemCall,
  clientId: string,
  orderId: string,
  envelopeId?: string,
): Promise<Versioned<Order>> {
  return systemAction(deps, call, clientId, orderId, (o, now) =>
    decide(o, 'contract-signed', { userId: 'system', role: 'system' }, envelopeId ? { envelopeId } : {}, now),
  );
}

export async function contractDeclined(
  deps: LifecycleDeps,
  call: SystemCall,
  clientId: string,
  orderId: string,
  reason: string,
): Promise<Versioned<Order>> {
  return systemAction(deps, call, clientId, orderId, (o, now) =>
    decide(o, 'contract-declined', { userId: 'system', role: 'system' }, { reason }, now),
  );
}

async function systemAction(
  deps: LifecycleDeps,
  call: SystemCall,
  clientId: string,
  orderId: string,
  make: (o: Order, now: string) => LifecycleDecision,
): Promise<Versioned<Order>> {
  return decidedAgainOnLostRace(async () => {
    const current = await deps.orders.get(clientId, orderId);
    if (!current) throw new NotFoundError('order not found');
    const decision = decideOrThrow(() => make(current.value, deps.clock.now().toISOString()));
    return write(deps, call, current, decision);
  });
}
