import type { FenceFacts, FieldActionBodies, InvoiceGathered } from '../../domain/orders/field-work';
import { fieldPolicyOf } from '../../domain/orders/field-policy';
import type { GeofenceCheck } from '../../domain/orders/geofence';
import type { Order, OrderHistoryEntry } from '../../domain/orders/order';
import { minutesOnSite } from '../../domain/orders/time-on-site';
import { ConflictError } from '../errors';
import type { ClientRepository, OrderRepository } from '../ports';
import type { AttachmentRepository } from './attachments';

/**
 * What the field and invoice rules (issue 17) need beyond the caller's body, read in the order's
 * partition: the site's fence and the client's policy for a check-in / check-out; the policy, the
 * history (time on site, recorded positions) and the stored attachments for an invoice. The rules
 * themselves are the domain's (field-work.ts, invoice-rules.ts).
 */
interface FactDeps {
  readonly clients: ClientRepository;
  readonly orders: OrderRepository;
  readonly attachments: AttachmentRepository;
}

export async function fenceFacts(deps: Pick<FactDeps, 'clients'>, order: Order): Promise<FenceFacts> {
  const [site, client] = await Promise.all([
    deps.clients.getSite(order.clientId, order.siteId),
    deps.clients.get(order.clientId),
  ]);
  if (!site) throw new ConflictError('the order’s site no longer exists');
  const { location, radiusMeters } = site.value;
  return {
    geofencePolicy: fieldPolicyOf(client?.value).geofence,
    ...(location && radiusMeters ? { fence: { location, radiusMeters } } : {}),
  };
}

/** Histories are short (tens of entries): read them whole, in `seq` order. */
async function wholeHistory(deps: Pick<FactDeps, 'orders'>, order: Order): Promise<OrderHistoryEntry[]> {
  const all: OrderHistoryEntry[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await deps.orders.history(order.clientId, order.id, {
      limit: 100,
      ...(continuationToken ? { continuationToken } : {}),
    });
    all.push(...page.items);
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return all.sort((a, b) => a.seq - b.seq);
}

/** What a check-in / check-out history entry recorded about the position (`details.geofence`). */
function recordedCheck(entry: OrderHistoryEntry): GeofenceCheck | undefined {
  if (entry.action !== 'check-in' && entry.action !== 'check-out') return undefined;
  const g = entry.details?.geofence as GeofenceCheck | undefined;
  return g && typeof g === 'object' && typeof g.result === 'string' ? g : undefined;
}

/** The invoice's facts, except whether its number is free (the claim answers that: lifecycle.ts). */
export async function invoiceFacts(deps: FactDeps, order: Order, body: FieldActionBodies['invoice']): Promise<InvoiceGathered> {
  const [client, history, attachments] = await Promise.all([
    deps.clients.get(order.clientId),
    wholeHistory(deps, order),
    deps.attachments.list(order.clientId, order.id),
  ]);
  const stored = attachments.filter((a) => a.status === 'STORED');
  return {
    policy: fieldPolicyOf(client?.value),
    ...(body.attachmentId ? { attachmentStored: stored.some((a) => a.id === body.attachmentId) } : {}),
    storedAttachmentKinds: [...new Set(stored.map((a) => a.kind))],
    minutesOnSite: minutesOnSite(history),
    geofenceChecks: history.flatMap((e) => recordedCheck(e) ?? []),
  };
}
