import type { ClientDeps } from '../shared/application/clients/clients';
import {
  createClient,
  createSite,
  getClient,
  listSites,
  setFieldPolicy,
  setSiteLocation,
} from '../shared/application/clients/clients';
import { setApprovalChain } from '../shared/application/clients/approval-chain';
import { consume, type DeliveryMeta, type EventHandlers } from '../shared/application/events/consumer';
import { relayChanges, sweepOutbox } from '../shared/application/events/relay';
import { receiveConnectEvent } from '../shared/application/integrations/connect-events';
import {
  listNotifications,
  recordDeliveryReport,
  type NotificationDeps,
} from '../shared/application/notifications/notifications';
import {
  confirmAttachment,
  listAttachments,
  requestAttachmentUpload,
  storeFetchedPhoto,
  type AttachmentDeps,
} from '../shared/application/orders/attachments';
import { performOrderAction, submitQuote, type LifecycleDeps } from '../shared/application/orders/lifecycle';
import { getPriceGuidance, type GuidanceDeps, type PriceRecordDeps } from '../shared/application/orders/price-guidance';
import { listGuidedQuotes } from '../shared/application/orders/quote-list';
import type { OrdersWorkflowDeps } from '../shared/application/orders/orders-workflow';
import { createOrder, getOrder, getOrderHistory, listOrders, type OrderDeps } from '../shared/application/orders/orders';
import { openFollowUp } from '../shared/application/orders/follow-ups';
import type { PartnerSyncDeps } from '../shared/application/orders/partner-sync';
import type { ProviderViewDeps } from '../shared/application/orders/provider-views';
import { sweepSla, type SlaWatchDeps } from '../shared/application/orders/sla-watch';
import { sweepPlans, type PlanGenerationDeps } from '../shared/application/plans/generation';
import {
  createPlan,
  getPlan,
  listPlans,
  listUpcoming,
  movePlanStatus,
  updatePlan,
  type PlanDeps,
} from '../shared/application/plans/plans';
import {
  confirmUpload,
  getProvider,
  getScorecard,
  listDocuments,
  listInvitations,
  listProviders,
  performProviderAction,
  registerProvider,
  requestDocumentUpload,
  reviewDocument,
  sweepCompliance,
  type ProviderDeps,
  type ProviderUpdateDeps,
} from '../shared/application/providers/providers';
import { getMe, phoneDirectory, updatePreferences, updateUser, type UserDeps } from '../shared/application/users/users';
import type { WebhookDeps } from '../shared/application/webhook-events';
import type { FeedAdminDeps, FeedDeliveryDeps } from '../shared/application/feed/dispatch';
import {
  deleteEndpoint,
  getEndpoint,
  listDeliveries,
  listEndpoints,
  registerEndpoint,
  replayDeliveryById,
  rotateEndpointSecret,
  updateEndpoint,
  type FeedEndpointDeps,
} from '../shared/application/feed/endpoints';
import type { FeedWorkflowPorts } from '../shared/application/workflows/feed';
import type { WhatsAppDeps } from '../shared/application/whatsapp/conversations';
import { queueInboundWhatsApp, type InboundQueueDeps } from '../shared/application/whatsapp/inbound';
import type { NotificationsWorkflowPorts } from '../shared/application/workflows/notifications';
import type { OrdersWorkflowPorts } from '../shared/application/workflows/orders';
import type { ProvidersWorkflowPorts } from '../shared/application/workflows/providers';
import { getRoot, OUTBOX_CONTAINERS, type OutboxContainer, type Root } from './composition-root';
import { instruments } from '../shared/platform/telemetry';

/**
 * The wiring: every use case that a function (HTTP, webhook, timer, relay, workflow) runs, bound to
 * the ports it reads. Function files ask this module for a ready use case and pass only the call's
 * own arguments; the composition root (./composition-root) builds the adapters behind the ports.
 *
 * Each use case's ports are built on its first call and kept for the life of the root (a runtime
 * that supplies its own adapters rebuilds the root, and the ports with it). Building them awaits only
 * the adapters that use case reads, so a cold start loads only the SDKs the invoked function needs.
 */

/** Memoizes a use case's ports per root; a failed build is forgotten so the next call retries. */
function ports<T>(build: (root: Root) => Promise<T>): () => Promise<T> {
  const built = new WeakMap<Root, Promise<T>>();
  return () => {
    const root = getRoot();
    let pending = built.get(root);
    if (!pending) {
      pending = build(root).catch((err: unknown) => {
        built.delete(root);
        throw err;
      });
      built.set(root, pending);
    }
    return pending;
  };
}

/** A use case with its ports bound: the caller passes the rest of its arguments. */
function bind<D, A extends unknown[], R>(deps: () => Promise<D>, useCase: (deps: D, ...args: A) => Promise<R>) {
  return async (...args: A): Promise<R> => useCase(await deps(), ...args);
}

// ---- ports, one set per use case family ---------------------------------------------------------

const clientDeps = ports(async (root): Promise<ClientDeps> => ({
  clients: await root.clients(),
  clock: root.clock,
  ids: root.ids,
}));

const userDeps = ports(async (root): Promise<UserDeps> => {
  const [users, clients] = await Promise.all([root.users(), root.clients()]);
  return { users, clients, clock: root.clock };
});

const orderDeps = ports(async (root): Promise<OrderDeps> => {
  const [orders, clients] = await Promise.all([root.orders(), root.clients()]);
  return { orders, clients, clock: root.clock, ids: root.ids };
});

/** The order reads (one order, its history): the orders repository alone. */
const orderReadDeps = ports(async (root): Promise<Pick<OrderDeps, 'orders'>> => ({ orders: await root.orders() }));

/** The order listing: the orders, and the providers' materialized view of theirs. */
const orderListDeps = ports(async (root): Promise<Parameters<typeof listOrders>[0]> => {
  const [orders, providers] = await Promise.all([root.orders(), root.providers()]);
  return { orders, providers };
});

/** The lifecycle's ports (transitions, quotes, contract events). Exported for the tests that drive a contract event directly. */
export const lifecycleDeps = ports(async (root): Promise<LifecycleDeps> => {
  const [orders, clients, providers, users, attachments, priceStats] = await Promise.all([
    root.orders(),
    root.clients(),
    root.providers(),
    root.users(),
    root.attachments(),
    root.priceStats(),
  ]);
  return { orders, clients, providers, users, attachments, priceStats, clock: root.clock, ids: root.ids, logger: root.logger };
});

/** The price guidance's read model and what its consumer reads (docs/orders.md, "Price guidance"). */
const priceRecordDeps = ports(async (root): Promise<PriceRecordDeps> => {
  const [orders, clients, priceStats] = await Promise.all([root.orders(), root.clients(), root.priceStats()]);
  return { orders, clients, priceStats, clock: root.clock };
});

/** The staff's price guidance of an order: the order, its site and client, the read model. */
const guidanceDeps = ports(async (root): Promise<GuidanceDeps> => {
  const [orders, clients, priceStats] = await Promise.all([root.orders(), root.clients(), root.priceStats()]);
  return { orders, clients, priceStats, logger: root.logger };
});

const attachmentDeps = ports(async (root): Promise<AttachmentDeps> => {
  const [orders, attachments, files] = await Promise.all([root.orders(), root.attachments(), root.files()]);
  return { orders, attachments, files, clock: root.clock, ids: root.ids };
});

const providerDeps = ports(async (root): Promise<ProviderDeps> => {
  const [providers, files] = await Promise.all([root.providers(), root.files()]);
  return { providers, files, clock: root.clock, ids: root.ids };
});

/** A provider's decision and write (workflows, timers): no file store. */
const providerUpdateDeps = ports(async (root): Promise<ProviderUpdateDeps> => ({
  providers: await root.providers(),
  clock: root.clock,
  ids: root.ids,
}));

const notificationReadDeps = ports(async (root): Promise<Pick<NotificationDeps, 'notifications'>> => ({
  notifications: await root.notifications(),
}));

/** The SLA watch's ports. Exported for the test that runs its sweep query on the real Cosmos protocol. */
export const slaWatchDeps = ports(async (root): Promise<SlaWatchDeps> => ({
  orders: await root.orders(),
  clock: root.clock,
  ids: root.ids,
}));

const assetDeps = ports(async (root): Promise<OrdersWorkflowDeps> => {
  const [orders, assets] = await Promise.all([root.orders(), root.assets()]);
  return { orders, assets, clock: root.clock };
});

const partnerSyncDeps = ports(async (root): Promise<PartnerSyncDeps> => {
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
});

const providerViewDeps = ports(async (root): Promise<ProviderViewDeps> => {
  const [orders, providers] = await Promise.all([root.orders(), root.providers()]);
  return { orders, providers };
});

const notificationDeps = ports(async (root): Promise<NotificationDeps> => {
  const [notifications, users, orders, providers] = await Promise.all([
    root.notifications(),
    root.users(),
    root.orders(),
    root.providers(),
  ]);
  return {
    notifications,
    users,
    orders,
    providers,
    // The channels' adapters are built on first use: an event nobody is notified of by e-mail
    // never loads SendGrid, one without WhatsApp recipients never loads Jelou.
    email: { send: async (m) => (await root.email()).send(m) },
    whatsapp: { send: async (m) => (await root.whatsapp()).send(m) },
    clock: root.clock,
  };
});

const conversationDeps = ports(async (root): Promise<WhatsAppDeps> => {
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
});

const connectEventDeps = ports(async (root): Promise<LifecycleDeps & WebhookDeps> => {
  const [lifecycle, receipts] = await Promise.all([lifecycleDeps(), root.processedEvents()]);
  return { ...lifecycle, receipts };
});

const inboundWhatsAppDeps = ports(async (root): Promise<InboundQueueDeps> => {
  const [publisher, receipts] = await Promise.all([root.publisher(), root.processedEvents()]);
  return { publisher, receipts, clock: root.clock };
});

/** The client feed's management: the store, the bus (replays), ids and the URL rules of the settings. */
const feedEndpointDeps = ports(async (root): Promise<FeedEndpointDeps> => {
  const [feed, publisher] = await Promise.all([root.feed(), root.publisher()]);
  return {
    feed,
    publisher,
    clock: root.clock,
    ids: root.ids,
    urlRules: { allowPrivateTargets: root.settings.WEBHOOK_ALLOW_PRIVATE_TARGETS },
  };
});
const feedReadDeps = ports(async (root): Promise<FeedAdminDeps> => {
  const feed = await root.feed();
  // Reads never publish: the bus is built only if a replay asks for it.
  return { feed, publisher: { publish: async (m) => (await root.publisher()).publish(m) }, clock: root.clock };
});

/** The client feed's delivery: the store, the outbound sender, the bus, and the schedule (shortened by tests). */
const feedDeliveryDeps = ports(async (root): Promise<FeedDeliveryDeps> => {
  const [feed, sender, publisher] = await Promise.all([root.feed(), root.webhookSender(), root.publisher()]);
  return {
    feed,
    sender,
    publisher,
    clock: root.clock,
    logger: root.logger,
    ...(root.feedSchedule ? { schedule: root.feedSchedule() } : {}),
  };
});

/** Maintenance plans (docs/plans.md): the plans, the client (site, calendar), the preferred provider. */
const planDeps = ports(async (root): Promise<PlanDeps> => {
  const [plans, clients, providers] = await Promise.all([root.plans(), root.clients(), root.providers()]);
  return { plans, clients, providers, clock: root.clock, ids: root.ids };
});

/** The plan timer: the plans, and what opening an order reads and writes. */
const planGenerationDeps = ports(async (root): Promise<PlanGenerationDeps> => {
  const [plans, orders, clients, providers] = await Promise.all([root.plans(), root.orders(), root.clients(), root.providers()]);
  return { plans, orders, clients, providers, clock: root.clock, ids: root.ids, logger: root.logger };
});

// ---- the use cases, by the functions that run them ---------------------------------------------

export const clients = {
  create: bind(clientDeps, createClient),
  get: bind(clientDeps, getClient),
  createSite: bind(clientDeps, createSite),
  listSites: bind(clientDeps, listSites),
  setSiteLocation: bind(clientDeps, setSiteLocation),
  setFieldPolicy: bind(clientDeps, setFieldPolicy),
  setApprovalChain: bind(clientDeps, setApprovalChain),
};

export const users = {
  me: bind(userDeps, getMe),
  updatePreferences: bind(userDeps, updatePreferences),
  update: bind(userDeps, updateUser),
};

export const orders = {
  create: bind(orderDeps, createOrder),
  get: bind(orderReadDeps, getOrder),
  history: bind(orderReadDeps, getOrderHistory),
  list: bind(orderListDeps, listOrders),
  act: bind(lifecycleDeps, performOrderAction),
  submitQuote: bind(lifecycleDeps, submitQuote),
  listQuotes: bind(lifecycleDeps, listGuidedQuotes),
  priceGuidance: bind(guidanceDeps, getPriceGuidance),
  requestAttachmentUpload: bind(attachmentDeps, requestAttachmentUpload),
  listAttachments: bind(attachmentDeps, listAttachments),
  confirmAttachment: bind(attachmentDeps, confirmAttachment),
};

export const providers = {
  register: bind(providerDeps, registerProvider),
  get: bind(providerDeps, getProvider),
  list: bind(providerDeps, listProviders),
  requestDocumentUpload: bind(providerDeps, requestDocumentUpload),
  listDocuments: bind(providerDeps, listDocuments),
  confirmUpload: bind(providerDeps, confirmUpload),
  reviewDocument: bind(providerDeps, reviewDocument),
  act: bind(providerDeps, performProviderAction),
  scorecard: bind(providerDeps, getScorecard),
  invitations: bind(providerDeps, listInvitations),
};

export const notifications = {
  list: bind(notificationReadDeps, listNotifications),
  recordDeliveryReport: bind(notificationReadDeps, recordDeliveryReport),
};

export const webhooks = {
  receiveConnectEvent: bind(connectEventDeps, receiveConnectEvent),
  queueInboundWhatsApp: bind(inboundWhatsAppDeps, queueInboundWhatsApp),
};

export const feed = {
  register: bind(feedEndpointDeps, registerEndpoint),
  list: bind(feedReadDeps, listEndpoints),
  get: bind(feedReadDeps, getEndpoint),
  update: bind(feedEndpointDeps, updateEndpoint),
  rotateSecret: bind(feedEndpointDeps, rotateEndpointSecret),
  delete: bind(feedReadDeps, deleteEndpoint),
  deliveries: bind(feedReadDeps, listDeliveries),
  replay: bind(feedReadDeps, replayDeliveryById),
};

/** Follow-up corrective orders from failed checklist items (docs/plans.md). */
export const checklists = {
  openFollowUp: bind(orderDeps, openFollowUp),
};

export const plans = {
  create: bind(planDeps, createPlan),
  get: bind(planDeps, getPlan),
  list: bind(planDeps, listPlans),
  update: bind(planDeps, updatePlan),
  move: bind(planDeps, movePlanStatus),
  upcoming: bind(planDeps, listUpcoming),
};

export const timers = {
  sweepCompliance: bind(providerUpdateDeps, sweepCompliance),
  sweepSla: bind(slaWatchDeps, sweepSla),
  generatePlans: bind(planGenerationDeps, sweepPlans),
};

// ---- the event spine: outbox relay, sweep, and the workflows' ports -----------------------------

export const outbox = {
  /** The change-feed relay of one container: its unrelayed events among the changed documents, published. */
  relayChanges: async (container: OutboxContainer, documents: readonly unknown[]): Promise<number> => {
    const root = getRoot();
    const [publisher, box] = await Promise.all([root.publisher(), root.outbox(container)]);
    return relayChanges(documents, { publisher, outbox: box });
  },
  /** The sweep of every outbox container: events still unrelayed after `olderThanMs`, per container. */
  sweep: async (olderThanMs: number): Promise<{ container: OutboxContainer; republished: number }[]> => {
    const root = getRoot();
    const swept = [];
    for (const container of OUTBOX_CONTAINERS) {
      const deps = {
        publisher: await root.publisher(),
        outbox: await root.outbox(container),
        now: () => root.clock.now(),
        metrics: instruments,
        container,
      };
      swept.push({ container, republished: await sweepOutbox(deps, { olderThanMs, batch: 100 }) });
    }
    return swept;
  },
};

/**
 * One delivered message through a workflow's handlers (the consumer framework: registry parse,
 * processed-event record, "not now" retries on the bus).
 */
export async function consumeMessage(
  subscription: string,
  message: unknown,
  meta: DeliveryMeta,
  invocationId: string,
  handlers: EventHandlers,
): Promise<void> {
  const root = getRoot();
  await consume(
    subscription,
    message,
    meta,
    {
      processed: await root.processedEvents(),
      logger: root.logger.child({ invocationId }),
      now: () => root.clock.now(),
      metrics: instruments,
      retry: {
        // The publisher is created on the first retry only.
        publisher: { publish: async (messages) => (await root.publisher()).publish(messages) },
        // Unset in Azure and under `npm start`: the consumer's RETRY_SCHEDULE.
        ...(root.retrySchedule ? { schedule: root.retrySchedule() } : {}),
      },
    },
    handlers,
  );
}

/** The workflows' ports: each handler awaits only the use-case ports it runs. */
export const ordersWorkflowPorts: OrdersWorkflowPorts = {
  assets: assetDeps,
  lifecycle: lifecycleDeps,
  prices: priceRecordDeps,
  sla: slaWatchDeps,
  partners: partnerSyncDeps,
};

export const providersWorkflowPorts: ProvidersWorkflowPorts = { providers: providerUpdateDeps, views: providerViewDeps };

export const notificationsWorkflowPorts: NotificationsWorkflowPorts = {
  notify: notificationDeps,
  conversations: conversationDeps,
};

export const feedWorkflowPorts: FeedWorkflowPorts = { delivery: feedDeliveryDeps };
