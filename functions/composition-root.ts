import type { CosmosClient } from '@azure/cosmos';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { ProcessedEvents } from '../shared/application/events/consumer';
import type { RetrySchedule } from '../shared/application/events/retry';
import type { FeedStore, OpenDeliveryScan, WebhookSender } from '../shared/application/feed/ports';
import type { FeedSchedule } from '../shared/domain/feed/delivery';
import type { ChangeFeedOutbox } from '../shared/application/events/relay';
import type { OutboxHistory } from '../shared/application/events/republish';
import type { MessagePublisher } from '../shared/application/messaging';
import type { FileStore } from '../shared/application/files';
import type { AssetRegistry } from '../shared/application/assets';
import type { AttachmentRepository } from '../shared/application/orders/attachments';
import type { PartnerSyncCursors } from '../shared/application/orders/transition-sync';
import type { PriceStatsStore } from '../shared/application/orders/price-guidance';
import type { PlanRepository } from '../shared/application/plans/ports';
import type { EmailSender, NotificationRepository } from '../shared/application/notifications/notifications';
import type { WhatsAppSender } from '../shared/application/notifications/channels';
import type { ConversationStore, InvitationResponses, MediaFetcher } from '../shared/application/whatsapp/ports';
import type { ContractSigning, SecretStore, TaskTracker, TicketSystem } from '../shared/application/integrations/ports';
import type {
  ClientRepository,
  Clock,
  HealthCheck,
  IdGenerator,
  IdempotencyStore,
  OrderRepository,
  ProviderRepository,
  UserRepository,
} from '../shared/application/ports';
import { CONTAINERS, type ContainerName } from '../shared/adapters/cosmos/containers';
import { createTokenVerifier, type TokenVerifier } from '../shared/platform/auth/token-verifier';
import { loadBuildInfo, type BuildInfo } from '../shared/platform/build-info';
import { loadConfig, type Settings } from '../shared/platform/config';
import type { HttpPlatform } from '../shared/platform/http/pipeline';
import { createIdGenerator, systemClock } from '../shared/platform/ids';
import { createLogger, type Logger } from '../shared/platform/logger';
import { instruments } from '../shared/platform/telemetry';

/**
 * The composition root: the one place that turns validated settings into adapters (the use cases
 * get them through ./wiring). Everything is created on first use and then kept for the life of the process, so a
 * cold start loads only the SDKs that the invoked function needs (the SDK modules are imported
 * dynamically inside these factories).
 */
export interface Root {
  readonly settings: Settings;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly http: HttpPlatform;
  /** The version and commit of the running package (`GET /api/health`), read once per process. */
  build(): BuildInfo;
  cosmos(): Promise<CosmosClient>;
  blob(): Promise<BlobServiceClient>;
  clients(): Promise<ClientRepository>;
  /** Maintenance plans (docs/plans.md), in the clients container. */
  plans(): Promise<PlanRepository>;
  users(): Promise<UserRepository>;
  orders(): Promise<OrderRepository>;
  providers(): Promise<ProviderRepository>;
  attachments(): Promise<AttachmentRepository>;
  /** What each order's transitions Qsystems and Asana have (docs/integrations.md). */
  syncCursors(): Promise<PartnerSyncCursors>;
  /** The price guidance's read model (docs/orders.md, "Price guidance"). */
  priceStats(): Promise<PriceStatsStore>;
  /** Blob Storage through short-lived, single-blob URLs. */
  files(): Promise<FileStore>;
  idempotency(): Promise<IdempotencyStore>;
  notifications(): Promise<NotificationRepository>;
  processedEvents(): Promise<ProcessedEvents>;
  /** The outbox of a container that holds event documents (relay, sweep, and the operators' republish). */
  outbox(container: OutboxContainer): Promise<ChangeFeedOutbox & OutboxHistory>;
  publisher(): Promise<MessagePublisher>;
  email(): Promise<EmailSender>;
  whatsapp(): Promise<WhatsAppSender>;
  /** Fetches inbound WhatsApp media (photos) from the partner's URLs. */
  mediaFetcher(): Promise<MediaFetcher>;
  conversations(): Promise<ConversationStore>;
  invitationResponses(): Promise<InvitationResponses>;
  /** Partner secrets: Key Vault (refreshed) in Azure, `SECRET_<NAME>` variables locally. */
  secrets(): Promise<SecretStore>;
  /** The client's assets system: HTTP when `ASSETS_BASE_URL` is set, else the built-in sandbox. */
  assets(): Promise<AssetRegistry>;
  /** DocuSign; undefined when not configured (contracts then wait in CONTRACTING). */
  contracts(): Promise<ContractSigning | undefined>;
  /** Asana; undefined when not configured. */
  tasks(): Promise<TaskTracker | undefined>;
  /** Qsystems; undefined when not configured. */
  tickets(): Promise<TicketSystem | undefined>;
  /** The client event feed's endpoints, deliveries and lanes. */
  feed(): Promise<FeedStore>;
  /** Posts the feed's requests: public HTTPS addresses only (WEBHOOK_ALLOW_PRIVATE_TARGETS aside). */
  webhookSender(): Promise<WebhookSender>;
  /** The feed's retry schedule when a test shortens it (`AdapterOverrides.feedSchedule`); FEED_SCHEDULE otherwise. */
  readonly feedSchedule?: () => FeedSchedule;
  readonly healthChecks: readonly HealthCheck[];
  /**
   * The schedule on which the workflows re-send a message that failed with "not now" (read at every
   * failure). Unset — always in Azure and under `npm start` — `consume` uses `RETRY_SCHEDULE`. See
   * `AdapterOverrides`.
   */
  readonly retrySchedule?: () => RetrySchedule;
}

/** The containers whose aggregates write their events with them (transactional outbox). */
export const OUTBOX_CONTAINERS = ['orders', 'providers'] as const satisfies readonly ContainerName[];
export type OutboxContainer = (typeof OUTBOX_CONTAINERS)[number];

/**
 * Adapters a runtime supplies itself: the local host passes its durable local bus, because the
 * Azure entry must not contain local code, and its tests may pass a shorter retry schedule.
 */
export interface AdapterOverrides {
  publisher?: (root: Root) => Promise<MessagePublisher>;
  /**
   * Replaces the workflows' retry schedule of "not now" failures (`Root.retrySchedule`, read at every
   * failure). The embedded stack's tests shorten it, so a retry budget that takes half an hour in
   * Azure is spent in seconds.
   */
  retrySchedule?: () => RetrySchedule;
  /** Replaces the client feed's retry schedule (30 s doubling to hourly for 24 h) for the embedded stack's tests. */
  feedSchedule?: () => FeedSchedule;
}

/**
 * The outbox of one container. Shared with the operators' `npm run outbox` (scripts/outbox.ts), which
 * builds only the outboxes and the publisher, so it needs no more settings than those two.
 */
export async function createOutbox(cosmos: CosmosClient, name: OutboxContainer): Promise<ChangeFeedOutbox & OutboxHistory> {
  const { CosmosOutbox } = await import('../shared/adapters/cosmos/outbox');
  const def = CONTAINERS[name];
  return new CosmosOutbox(cosmos.database(def.database).container(def.id), def.partitionKey.slice(1));
}

/** The client feed's store (docs/webhooks.md); shared with `npm run outbox`, which re-wakes its lanes. */
export async function createFeedStore(cosmos: CosmosClient): Promise<FeedStore & OpenDeliveryScan> {
  const { CosmosFeedStore } = await import('../shared/adapters/cosmos/feed-store');
  return new CosmosFeedStore(cosmos.database(CONTAINERS.clients.database).container(CONTAINERS.clients.id));
}

/** The Service Bus publisher (identity-based); shared with `npm run outbox` like `createOutbox`. */
export async function createServiceBusPublisher(namespace: string): Promise<MessagePublisher> {
  const { ServiceBusPublisher, createServiceBusClient } = await import('../shared/adapters/servicebus/service-bus-publisher');
  return new ServiceBusPublisher(() => createServiceBusClient(namespace));
}

/** Memoizes an async factory; a failed attempt is forgotten so the next call retries. */
function lazy<T>(factory: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= factory().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}

function lazySync<T>(factory: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= factory());
}

export function createRoot(settings: Settings, overrides: AdapterOverrides = {}): Root {
  const logger = createLogger({ level: settings.LOG_LEVEL, fields: { app: 'algesta', env: settings.APP_ENV } });
  const clock = systemClock;
  const ids = createIdGenerator(clock);

  const cosmos = lazy(async () => {
    const { createCosmosClient } = await import('../shared/adapters/cosmos/client');
    return createCosmosClient({
      endpoint: settings.COSMOS__accountEndpoint,
      ...(settings.COSMOS_KEY ? { key: settings.COSMOS_KEY } : {}),
      preferredRegions: settings.COSMOS_PREFERRED_REGIONS,
    });
  });
  const container = async (name: ContainerName) => {
    const def = CONTAINERS[name];
    return (await cosmos()).database(def.database).container(def.id);
  };
  const blob = lazy(async () => {
    const { createBlobServiceClient } = await import('../shared/adapters/blob/blob-service');
    return createBlobServiceClient({
      blobServiceUri: settings.STORAGE__blobServiceUri,
      ...(settings.STORAGE_CONNECTION_STRING ? { connectionString: settings.STORAGE_CONNECTION_STRING } : {}),
    });
  });

  const clients = lazy(async () => {
    const { CosmosClientRepository } = await import('../shared/adapters/cosmos/client-repository');
    return new CosmosClientRepository(await container('clients'));
  });
  const plans = lazy(async () => {
    const { CosmosPlanRepository } = await import('../shared/adapters/cosmos/plan-repository');
    return new CosmosPlanRepository(await container('clients'));
  });
  const users = lazy(async () => {
    const { CosmosUserRepository } = await import('../shared/adapters/cosmos/user-repository');
    return new CosmosUserRepository(await container('users'));
  });
  const orders = lazy(async () => {
    const [{ CosmosOrderRepository }, { meteredOrders }] = await Promise.all([
      import('../shared/adapters/cosmos/order-repository'),
      import('../shared/adapters/telemetry/metered-orders'),
    ]);
    return meteredOrders(new CosmosOrderRepository(await container('orders')), instruments);
  });
  const providers = lazy(async () => {
    const { CosmosProviderRepository } = await import('../shared/adapters/cosmos/provider-repository');
    return new CosmosProviderRepository(await container('providers'));
  });
  const attachments = lazy(async () => {
    const { CosmosAttachmentRepository } = await import('../shared/adapters/cosmos/attachment-repository');
    return new CosmosAttachmentRepository(await container('orders'));
  });
  const syncCursors = lazy(async () => {
    const { CosmosPartnerSyncCursors } = await import('../shared/adapters/cosmos/partner-sync-cursors');
    return new CosmosPartnerSyncCursors(await container('orders'));
  });
  const priceStats = lazy(async () => {
    const { CosmosPriceStatsStore } = await import('../shared/adapters/cosmos/price-stats-store');
    return new CosmosPriceStatsStore(await container('orders'));
  });
  const files = lazy(async () => {
    const { BlobFileStore } = await import('../shared/adapters/blob/blob-file-store');
    return new BlobFileStore(await blob(), { now: () => clock.now() });
  });
  const idempotency = lazy(async () => {
    const { CosmosIdempotencyStore } = await import('../shared/adapters/cosmos/idempotency-store');
    return new CosmosIdempotencyStore(await container('idempotency'));
  });

  const notifications = lazy(async () => {
    const { CosmosNotificationRepository } = await import('../shared/adapters/cosmos/notification-repository');
    return new CosmosNotificationRepository(await container('notifications'));
  });
  const processedEvents = lazy(async () => {
    const { CosmosProcessedEvents } = await import('../shared/adapters/cosmos/processed-events');
    return new CosmosProcessedEvents(await container('processedEvents'));
  });
  const outboxes = Object.fromEntries(
    OUTBOX_CONTAINERS.map((name) => [name, lazy(async () => createOutbox(await cosmos(), name))]),
  ) as Record<OutboxContainer, () => Promise<ChangeFeedOutbox & OutboxHistory>>;
  const publisher = lazy(async (): Promise<MessagePublisher> => {
    const namespace = settings.SERVICEBUS__fullyQualifiedNamespace;
    if (namespace) return createServiceBusPublisher(namespace);
    if (overrides.publisher) return overrides.publisher(root);
    throw new Error('no bus configured: set SERVICEBUS__fullyQualifiedNamespace (or run the local host)');
  });
  const email = lazy(async (): Promise<EmailSender> => {
    if (settings.SENDGRID_API_KEY) {
      const { SendGridMailer } = await import('../shared/adapters/email/sendgrid-mailer');
      return new SendGridMailer({
        apiKey: settings.SENDGRID_API_KEY,
        from: { email: settings.SENDGRID_FROM_EMAIL, name: settings.SENDGRID_FROM_NAME },
        ...(settings.SENDGRID_API_BASE_URL ? { baseUrl: settings.SENDGRID_API_BASE_URL } : {}),
      });
    }
    if (settings.SANDBOX_DIR) {
      const [{ SandboxMailer }, { join }] = await Promise.all([
        import('../shared/adapters/email/sandbox-mailer'),
        import('node:path'),
      ]);
      return new SandboxMailer(join(settings.SANDBOX_DIR, 'mailbox'));
    }
    throw new Error('no e-mail adapter configured: set SENDGRID_API_KEY (or SANDBOX_DIR on the embedded stack)');
  });
  const whatsapp = lazy(async (): Promise<WhatsAppSender> => {
    const { JELOU_BOT_ID, JELOU_CLIENT_ID, JELOU_CLIENT_SECRET } = settings;
    if (JELOU_BOT_ID && JELOU_CLIENT_ID && JELOU_CLIENT_SECRET) {
      const { JelouSender } = await import('../shared/adapters/whatsapp/jelou-sender');
      return new JelouSender({
        baseUrl: settings.JELOU_BASE_URL,
        botId: JELOU_BOT_ID,
        clientId: JELOU_CLIENT_ID,
        clientSecret: JELOU_CLIENT_SECRET,
      });
    }
    if (settings.SANDBOX_DIR) {
      const [{ SandboxWhatsApp }, { join }] = await Promise.all([
        import('../shared/adapters/whatsapp/sandbox-whatsapp'),
        import('node:path'),
      ]);
      return new SandboxWhatsApp(join(settings.SANDBOX_DIR, 'whatsapp'));
    }
    throw new Error('no WhatsApp adapter configured: set JELOU_BOT_ID, JELOU_CLIENT_ID and JELOU_CLIENT_SECRET');
  });
  const mediaFetcher = lazy(async (): Promise<MediaFetcher> => {
    const { HttpMediaFetcher } = await import('../shared/adapters/whatsapp/http-media-fetcher');
    const hosts = settings.JELOU_MEDIA_HOSTS;
    // The embedded stack's fake partners serve media over plain HTTP on loopback.
    return new HttpMediaFetcher({ ...(hosts.length ? { allowedHosts: hosts } : {}), allowHttp: settings.APP_ENV === 'local' });
  });
  const conversations = lazy(async () => {
    const { CosmosConversationStore } = await import('../shared/adapters/cosmos/conversation-store');
    return new CosmosConversationStore(await container('notifications'));
  });
  const invitationResponses = lazy(async () => {
    const { CosmosInvitationResponses } = await import('../shared/adapters/cosmos/invitation-responses');
    return new CosmosInvitationResponses(await container('providers'), () => clock.now());
  });
  const secrets = lazy(async (): Promise<SecretStore> => {
    const { EnvSecretStore, KeyVaultSecretStore } = await import('../shared/adapters/partners/key-vault-secrets');
    return settings.KEY_VAULT_URI
      ? new KeyVaultSecretStore({ vaultUrl: settings.KEY_VAULT_URI, refreshIntervalMs: settings.SECRETS_REFRESH_SECONDS * 1000 })
      : new EnvSecretStore();
  });
  const policy = async (partner: string) => {
    const { createPartnerPolicy } = await import('../shared/adapters/partners/resilience');
    return createPartnerPolicy(partner, {}, logger);
  };
  const assets = lazy(async (): Promise<AssetRegistry> => {
    if (settings.ASSETS_BASE_URL) {
      const { HttpAssetRegistry } = await import('../shared/adapters/partners/assets-http');
      return new HttpAssetRegistry({ baseUrl: settings.ASSETS_BASE_URL }, await secrets(), await policy('assets'));
    }
    const [{ SandboxAssets }, { SANDBOX_ASSETS }] = await Promise.all([
      import('../shared/adapters/assets/sandbox-assets'),
      import('../shared/adapters/assets/sandbox-catalogue'),
    ]);
    return new SandboxAssets(SANDBOX_ASSETS);
  });
  const contracts = lazy(async (): Promise<ContractSigning | undefined> => {
    const s = settings;
    if (
      !s.DOCUSIGN_OAUTH_BASE_URL ||
      !s.DOCUSIGN_API_BASE_URL ||
      !s.DOCUSIGN_ACCOUNT_ID ||
      !s.DOCUSIGN_INTEGRATION_KEY ||
      !s.DOCUSIGN_USER_ID ||
      !s.DOCUSIGN_TEMPLATE_ID
    )
      return undefined;
    const { DocuSignContractSigning } = await import('../shared/adapters/partners/docusign');
    return new DocuSignContractSigning(
      {
        oauthBaseUrl: s.DOCUSIGN_OAUTH_BASE_URL,
        apiBaseUrl: s.DOCUSIGN_API_BASE_URL,
        accountId: s.DOCUSIGN_ACCOUNT_ID,
        integrationKey: s.DOCUSIGN_INTEGRATION_KEY,
        userId: s.DOCUSIGN_USER_ID,
        templateId: s.DOCUSIGN_TEMPLATE_ID,
      },
      await secrets(),
      await policy('docusign'),
    );
  });
  const tasks = lazy(async (): Promise<TaskTracker | undefined> => {
    if (!settings.ASANA_BASE_URL) return undefined;
    const { AsanaTaskTracker } = await import('../shared/adapters/partners/asana');
    return new AsanaTaskTracker({ baseUrl: settings.ASANA_BASE_URL }, await secrets(), await policy('asana'));
  });
  const tickets = lazy(async (): Promise<TicketSystem | undefined> => {
    if (!settings.QSYSTEMS_BASE_URL) return undefined;
    const { QsystemsTicketSystem } = await import('../shared/adapters/partners/qsystems');
    return new QsystemsTicketSystem({ baseUrl: settings.QSYSTEMS_BASE_URL }, await secrets(), await policy('qsystems'));
  });

  const feed = lazy(async (): Promise<FeedStore> => createFeedStore(await cosmos()));
  const webhookSender = lazy(async (): Promise<WebhookSender> => {
    const { HttpsWebhookSender } = await import('../shared/adapters/feed/https-webhook-sender');
    return new HttpsWebhookSender({ allowPrivateTargets: settings.WEBHOOK_ALLOW_PRIVATE_TARGETS });
  });

  // Read on first use, not at start-up: from source it may ask git, and only the health probe needs it.
  const build = lazySync<BuildInfo>(() => loadBuildInfo());
  const verifier = lazySync<TokenVerifier>(() => createTokenVerifier(settings));
  const http: HttpPlatform = {
    logger,
    corsOrigins: settings.CORS_ALLOWED_ORIGINS,
    verifyToken: (header) => verifier().verify(header),
    idempotency,
    now: () => clock.now(),
  };

  const healthChecks: HealthCheck[] = [
    { name: 'cosmos', check: async () => void (await (await container('orders')).read()) },
    {
      name: 'blob',
      check: async () => {
        const { pingBlob } = await import('../shared/adapters/blob/blob-service');
        await pingBlob(await blob());
      },
    },
    {
      name: 'bus',
      check: async () => {
        // Locally the bus is the durable transport kept in the embedded Cosmos (see docs/local-host.md);
        // with a namespace configured, a sender link is opened to prove reachability and rights.
        if (!settings.SERVICEBUS__fullyQualifiedNamespace) return void (await (await container('leases')).read());
        const { pingServiceBus } = await import('../shared/adapters/servicebus/ping');
        await pingServiceBus(settings.SERVICEBUS__fullyQualifiedNamespace);
      },
    },
  ];

  const root: Root = {
    settings,
    logger,
    clock,
    ids,
    http,
    build,
    cosmos,
    blob,
    clients,
    plans,
    users,
    orders,
    providers,
    attachments,
    syncCursors,
    priceStats,
    files,
    idempotency,
    notifications,
    processedEvents,
    outbox: (name) => outboxes[name](),
    publisher,
    email,
    whatsapp,
    mediaFetcher,
    conversations,
    invitationResponses,
    secrets,
    assets,
    contracts,
    tasks,
    tickets,
    feed,
    webhookSender,
    healthChecks,
    ...(overrides.feedSchedule ? { feedSchedule: overrides.feedSchedule } : {}),
    ...(overrides.retrySchedule ? { retrySchedule: overrides.retrySchedule } : {}),
  };
  return root;
}

let current: Root | undefined;
let pendingOverrides: AdapterOverrides = {};

/** The process's root, built from the validated settings on first use. */
export function getRoot(): Root {
  current ??= createRoot(loadConfig(), pendingOverrides);
  return current;
}

/** A runtime (the local host) supplies adapters before the first request; the root is rebuilt. */
export function provideAdapters(overrides: AdapterOverrides): void {
  pendingOverrides = overrides;
  current = undefined;
}
