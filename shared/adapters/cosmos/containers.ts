/**
 * The one definition of every Cosmos DB database and container: partition keys, TTLs and indexing.
 * The local host creates exactly these; `infra/` is checked against them; `docs/data-model.md`
 * explains them. Adding a container means adding it here.
 */
export interface ContainerDefinition {
  readonly database: string;
  readonly id: string;
  readonly partitionKey: `/${string}`;
  /** Default TTL in seconds: -1 = on, per-document `ttl` decides; undefined = off. */
  readonly defaultTtl?: number;
  /** Only the embedded stack has it (the local bus); Azure uses a managed service instead. */
  readonly localOnly?: boolean;
  readonly indexing?: {
    readonly excludedPaths?: readonly string[];
    readonly compositeIndexes?: readonly (readonly { path: string; order: 'ascending' | 'descending' }[])[];
  };
}

export const DATABASES = {
  directory: 'directory',
  orders: 'orders',
  providers: 'providers',
  notifications: 'notifications',
  platform: 'platform',
} as const;

export const CONTAINERS = {
  /**
   * Client companies, their sites and their event feed (webhook endpoints, deliveries, lanes): one
   * partition per client. Only the feed's deliveries carry a `ttl` (docs/webhooks.md).
   */
  clients: { database: DATABASES.directory, id: 'clients', partitionKey: '/clientId', defaultTtl: -1 },
  /** User profiles: one partition per user (the token's subject). */
  users: { database: DATABASES.directory, id: 'users', partitionKey: '/userId' },
  /**
   * Orders, their history entries and their outbox events: one partition per client, so an order
   * and its events are written in one transactional batch and a client's list is single-partition.
   * Relayed event documents carry a `ttl` and expire.
   */
  orders: {
    database: DATABASES.orders,
    id: 'orders',
    partitionKey: '/clientId',
    defaultTtl: -1,
    indexing: {
      // Never filtered on: free text, event payloads, and the SLA clocks (filters use `slaStatus`
      // and `slaNextCheckAt`, which stay indexed).
      excludedPaths: ['/description/?', '/data/*', '/sla/*'],
      compositeIndexes: [
        [
          { path: '/docType', order: 'ascending' },
          { path: '/createdAt', order: 'descending' },
        ],
      ],
    },
  },
  /**
   * Providers: one partition per provider holding the provider (documents and scorecard embedded),
   * its history, its outbox events, its invitations, its invoice-number claims and its order view;
   * plus `nit~<nit>` claims, one partition each.
   */
  providers: {
    database: DATABASES.providers,
    id: 'providers',
    partitionKey: '/providerId',
    defaultTtl: -1,
    // The order view's copy of the order is shown, never filtered on (its filters are top-level fields).
    indexing: { excludedPaths: ['/order/*'] },
  },
  /** Idempotency records of create requests, expiring after 24 h. */
  idempotency: { database: DATABASES.platform, id: 'idempotency', partitionKey: '/id', defaultTtl: 86_400 },
  /** Notification records: one partition per recipient, so "my notifications" is one partition. */
  notifications: { database: DATABASES.notifications, id: 'notifications', partitionKey: '/recipientUserId', defaultTtl: -1 },
  /** Consumer idempotency: one record per (consumer, event id), expiring after 7 days. */
  processedEvents: { database: DATABASES.platform, id: 'processed-events', partitionKey: '/id', defaultTtl: 7 * 86_400 },
  /** The local bus's messages (embedded stack only; Service Bus in Azure). */
  bus: { database: DATABASES.platform, id: 'bus', partitionKey: '/subscription', defaultTtl: -1, localOnly: true },
  /** Change-feed leases (Functions host and the local relay). */
  leases: { database: DATABASES.platform, id: 'leases', partitionKey: '/id' },
} as const satisfies Record<string, ContainerDefinition>;

export type ContainerName = keyof typeof CONTAINERS;

export const BLOB_CONTAINERS = ['order-files', 'provider-documents'] as const;
