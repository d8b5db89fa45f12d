import type { ClientDeps } from '../../shared/application/clients/clients';
import type { OrderDeps } from '../../shared/application/orders/orders';
import type { LifecycleDeps } from '../../shared/application/orders/lifecycle';
import { storeFetchedPhoto, type AttachmentDeps } from '../../shared/application/orders/attachments';
import type { PartnerSyncDeps } from '../../shared/application/orders/partner-sync';
import type { WhatsAppDeps } from '../../shared/application/whatsapp/conversations';
import type { OrdersWorkflowDeps } from '../../shared/application/orders/orders-workflow';
import type { SlaWatchDeps } from '../../shared/application/orders/sla-watch';
import type { ProviderDeps } from '../../shared/application/providers/providers';
import { phoneDirectory, type UserDeps } from '../../shared/application/users/users';
import { getRoot } from '../composition-root';

/** Use-case dependencies, assembled from the composition root's lazily built adapters. */
export async function clientDeps(): Promise<ClientDeps> {
  const root = getRoot();
  return { clients: await root.clients(), clock: root.clock, ids: root.ids };
}

export async function userDeps(): Promise<UserDeps> {
  const root = getRoot();
  const [users, clients] = await Promise.all([root.users(), root.clients()]);
  return { users, clients, clock: root.clock };
}

export async function orderDeps(): Promise<OrderDeps> {
  const root = getRoot();
  const [orders, clients] = await Promise.all([root.orders(), root.clients()]);
  return { orders, clients, clock: root.clock, ids: root.ids };
}

export async function providerDeps(): Promise<ProviderDeps> {
  const root = getRoot();
  const [providers, files] = await Promise.all([root.providers(), root.files()]);
  return { providers, files, clock: root.clock, ids: root.ids };
}

export async function lifecycleDeps(): Promise<LifecycleDeps> {
  const root = getRoot();
  const [orders, clients, providers, users, attachments] = await Promise.all([
    root.orders(),
    root.clients(),
    root.providers(),
    root.users(),
    root.attachments(),
  ]);
  return { orders, clients, providers, users, attachments, clock: root.clock, ids: root.ids };
}

export async function attachmentDeps(): Promise<AttachmentDeps> {
  const root = getRoot();
  const [orders, attachments, files] = await Promise.all([root.orders(), root.attachments(), root.files()]);
  return { orders, attachments, files, clock: root.clock, ids: root.ids };
}

export async function ordersWorkflowDeps(): Promise<OrdersWorkflowDeps> {
  const root = getRoot();
  const [orders, assets] = await Promise.all([root.orders(), root.assets()]);
  return { orders, assets, clock: root.clock };
}

export async function slaWatchDeps(): Promise<SlaWatchDeps> {
  const root = getRoot();
  return { orders: await root.orders(), clock: root.clock, ids: root.ids };
}

export async function partnerSyncDeps(): Promise<PartnerSyncDeps> {
  const root = getRoot();
  const [orders, clients, providers, users, contracts, tasks, tickets, files, attachments, syncCursors] = await Promise.all([
    root.orders(),
    root.clients(),
    root.providers(),
    root.users(),
    root.contracts(),
    root.tasks(),
    root.tickets(),
    root.files(),
    root.attachments(),
    root.syncCursors(),
  ]);
  return {
    orders,
    clients,
    providers,
    users,
    files,
    attachments,
    syncCursors,
    clock: root.clock,
    ...(contracts ? { contracts } : {}),
    ...(tasks ? { tasks } : {}),
    ...(tickets ? { tickets } : {}),
  };
}

export async function whatsAppDeps(): Promise<WhatsAppDeps> {
  const root = getRoot();
  const [lifecycle, attachments, users, conversations, sender, mediaFetcher, invitationResponses] = await Promise.all([
    lifecycleDeps(),
    attachmentDeps(),
    root.users(),
    root.conversations(),
    root.whatsapp(),
    root.mediaFetcher(),
    root.invitationResponses(),
  ]);
  return {
    ...lifecycle,
    phones: phoneDirectory(users),
    conversations,
    sender,
    mediaFetcher,
    invitationResponses,
    mediaStore: { saveOrderPhoto: (call, orderId, bytes, type) => storeFetchedPhoto(attachments, call, orderId, bytes, type) },
    logger: root.logger,
  };
}
