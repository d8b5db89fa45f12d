import { clientIdOfOrder } from '../../domain/shared/ids';
import type { Order } from '../../domain/orders/order';
import type { AttachmentRepository } from './attachments';
import type { FileStore } from '../files';
import type { ContractEvent, ContractSigning, TaskTracker, TicketSystem } from '../integrations/ports';
import type { ClientRepository, Clock, OrderRepository, ProviderRepository, UserRepository } from '../ports';
import { trustProfileOfClient } from '../access';
import { ApplicationError } from '../errors';
import type { OrderTransition } from '../../domain/orders/transitions';
import { contractDeclined, contractSigned, type LifecycleDeps, type SystemCall } from './lifecycle';
import { amend } from './orders-workflow';
import { deliverTransitions, type TransitionSyncDeps } from './transition-sync';

/**
 * The orders workflow's partner steps beyond the assets system (DESIGN 3): the DocuSign contract
 * envelope and the signed PDF, the client's Asana task, and the Qsystems ticket. Each reads the
 * order afresh and writes what it did on the order, so a redelivered or out-of-order event does
 * nothing twice and a stale one never overwrites newer news.
 */
export interface PartnerSyncDeps extends TransitionSyncDeps {
  readonly orders: OrderRepository;
  readonly clients: Pick<ClientRepository, 'get'>;
  readonly providers: Pick<ProviderRepository, 'get'>;
  readonly users: Pick<UserRepository, 'get'>;
  /** Each partner is optional: an environment without it skips its steps (docs/integrations.md). */
  readonly contracts?: ContractSigning;
  readonly tasks?: TaskTracker;
  readonly tickets?: TicketSystem;
  readonly files: Pick<FileStore, 'save'>;
  readonly attachments: Pick<AttachmentRepository, 'put'>;
  readonly clock: Clock;
}

/** A partner step that cannot be done (no signer e-mail, say) — dead-lettered with this reason. */
export class PartnerStepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PartnerStepError';
  }
}

/**
 * `order.contract-requested`: sends the contract envelope — the provider signs for itself, the
 * client user who approved signs for the client (the requester when staff approved or assigned).
 * Idempotent: an envelope already recorded is not sent again, and the adapter finds an envelope
 * already out for the order if a previous attempt died before recording it.
 */
export async function sendContract(deps: PartnerSyncDeps, clientId: string, orderId: string): Promise<void> {
  const contracts = deps.contracts;
  if (!contracts) return;
  await amend(deps, clientId, orderId, async (o) => {
    if (o.status !== 'CONTRACTING' || !o.contract || o.contract.envelopeId || !o.providerId || !o.approvedAmount)
      return undefined;
    const provider = (await deps.providers.get(o.providerId))?.value;
    if (!provider) throw new PartnerStepError(`provider ${o.providerId} not found`);
    // Only profiles that still belong to the order's client may give the signer's address.
    const trusted = async (userId: string) => trustProfileOfClient((await deps.users.get(userId))?.value, o.clientId);
    const approver = o.contract.requestedBy ? await trusted(o.contract.requestedBy) : undefined;
    const signer = approver?.role === 'client' && approver.email ? approver : await trusted(o.requester.userId);
    const clientEmail = signer?.email ?? o.requester.email;
    if (!clientEmail) throw new PartnerStepError(`no e-mail address for the client's signer of ${o.id}`);
    const { envelopeId } = await contracts.createEnvelope({
      orderId: o.id,
      clientId: o.clientId,
      title: o.title,
      amount: o.approvedAmount,
      providerSigner: { name: provider.contacts.name ?? provider.legalName, email: provider.contacts.email },
      clientSigner: { name: signer?.name ?? o.requester.name, email: clientEmail },
    });
    return { patch: { contract: { ...o.contract, envelopeId, sentAt: deps.clock.now().toISOString() } } };
  });
}

/**
 * The DocuSign Connect webhook's command: a completed envelope signs the contract, a declined or
 * voided one declines it. An event for an envelope the order does not carry (an earlier round), for
 * an order that already left CONTRACTING (a duplicate or a late delivery), or without an order is
 * acknowledged and changes nothing. Answers what happened, for the webhook's log.
 */
export async function applyContractEvent(
  deps: LifecycleDeps,
  call: SystemCall,
  event: ContractEvent,
): Promise<'signed' | 'declined' | 'ignored'> {
  if (event.event === 'other' || !event.orderId) return 'ignored';
  const clientId = clientIdOfOrder(event.orderId);
  const order = clientId ? (await deps.orders.get(clientId, event.orderId))?.value : undefined;
  if (!order || order.status !== 'CONTRACTING') return 'ignored';
  if (order.contract?.envelopeId && order.contract.envelopeId !== event.envelopeId) return 'ignored';
  try {
    if (event.event === 'envelope-completed') {
      await contractSigned(deps, call, order.clientId, order.id, event.envelopeId);
      return 'signed';
    }
    await contractDeclined(
      deps,
      call,
      order.clientId,
      order.id,
      event.event === 'envelope-voided' ? 'the envelope was voided' : 'a signer declined',
    );
    return 'declined';
  } catch (err) {
    // Another delivery of the same news won the race: the order moved on, nothing more to do.
    if (err instanceof ApplicationError) return 'ignored';
    throw err;
  }
}

/**
 * After `contract-signed`: the combined signed PDF is stored in `order-files` and listed among the
 * order's attachments (kind `contract`). Once per order.
 */
export async function storeSignedContract(deps: PartnerSyncDeps, clientId: string, orderId: string): Promise<void> {
  const contracts = deps.contracts;
  if (!contracts) return;
  await amend(deps, clientId, orderId, async (o) => {
    const envelopeId = o.contract?.envelopeId;
    if (!o.contract?.signedAt || !envelopeId || o.contract.documentAttachmentId) return undefined;
    const pdf = await contracts.getCombinedDocument(envelopeId);
    const id = `att_contract_${envelopeId.replace(/[^A-Za-z0-9]/g, '')}`.slice(0, 120);
    const blobName = `orders/${o.id}/${id}`;
    const now = deps.clock.now().toISOString();
    await deps.files.save('order-files', blobName, pdf, 'application/pdf');
    await deps.attachments.put({
      id,
      orderId: o.id,
      clientId: o.clientId,
      kind: 'contract',
      fileName: `contrato-${o.id}.pdf`,
      contentType: 'application/pdf',
      size: pdf.byteLength,
      blobName,
      status: 'STORED',
      createdAt: now,
      createdBy: 'system',
      confirmedAt: now,
    });
    return { patch: { contract: { ...o.contract, documentAttachmentId: id } } };
  });
}

const ENDED: readonly string[] = ['CLOSED', 'CANCELLED', 'REJECTED'];

function taskNotes(o: Order, status: string = o.status): string {
  return [`Orden ${o.id}`, `Estado: ${status}`, `Prioridad: ${o.priority}`, `Categoría: ${o.category}`, '', o.description].join(
    '\n',
  );
}

/** The line that identifies a transition's comment on the order's task. */
export function transitionMarker(t: Pick<OrderTransition, 'orderId' | 'version'>): string {
  return `[algesta:order:${t.orderId}:v${t.version}]`;
}

function transitionComment(t: OrderTransition): string {
  return `Estado: ${t.from ?? '—'} → ${t.to} (${t.action}, versión ${t.version}, ${t.at})`;
}

/**
 * The order's task in the client's Asana project (clients without a project have none). Created
 * only on `order.submitted` (`create`), one event per order, so two concurrent deliveries of
 * different events cannot both create it. Then every transition of the order, in order and once
 * (`deliverTransitions`): the task's notes take the transition's status (completed when the order
 * ends) and a comment records it. `version` is the handled event's: a run for an event already
 * mirrored does nothing. Before the task exists there is nothing to mirror to: the run that creates
 * it delivers every transition so far.
 */
export async function syncAsanaTask(
  deps: PartnerSyncDeps,
  clientId: string,
  orderId: string,
  opts: { create: boolean; version?: number },
): Promise<void> {
  const tasks = deps.tasks;
  if (!tasks) return;
  const client = (await deps.clients.get(clientId))?.value;
  if (!client?.asanaProjectId) return;
  const projectGid = client.asanaProjectId;
  const order = await amend(deps, clientId, orderId, async (o) => {
    if (o.asanaTaskGid || !opts.create) return undefined;
    const { gid } = await tasks.ensureTask({
      orderId: o.id,
      projectGid,
      name: `[${o.id}] ${o.title}`,
      notes: taskNotes(o),
      status: o.status,
    });
    return { patch: { asanaTaskGid: gid } };
  });
  const o = order?.value;
  const gid = o?.asanaTaskGid;
  if (!o || !gid) return;
  await deliverTransitions(deps, {
    partner: 'asana',
    clientId,
    orderId,
    ...(opts.version !== undefined ? { upTo: opts.version } : {}),
    // The notes first (a repeat is harmless), the comment last: a comment found on the task means
    // the whole transition was delivered.
    deliver: async (t) => {
      await tasks.updateTask(gid, { notes: taskNotes(o, t.to), completed: ENDED.includes(t.to) });
      await tasks.addComment(gid, { text: transitionComment(t), marker: transitionMarker(t) });
    },
    alreadyDelivered: (t) => tasks.hasComment(gid, transitionMarker(t)),
  });
}

/**
 * Every transition of an order with a Qsystems ticket, in order and once (`deliverTransitions`):
 * its status, the status it left, and `sequence` = the transition's version. `version` is the
 * handled event's. Qsystems refuses a sequence it already has (answered `applied: false`), so a
 * transition delivered again after a crash before its record is not applied twice.
 */
export async function pushTicketStatus(
  deps: PartnerSyncDeps,
  clientId: string,
  orderId: string,
  version?: number,
): Promise<void> {
  const tickets = deps.tickets;
  if (!tickets) return;
  const o = (await deps.orders.get(clientId, orderId))?.value;
  const ticketRef = o?.externalRef;
  if (!ticketRef) return;
  await deliverTransitions(deps, {
    partner: 'qsystems',
    clientId,
    orderId,
    ...(version !== undefined ? { upTo: version } : {}),
    deliver: async (t) => {
      await tickets.pushStatus({ ticketRef, status: t.to, from: t.from, sequence: t.version, at: t.at });
    },
  });
}
