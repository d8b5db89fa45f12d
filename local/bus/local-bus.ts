import { randomUUID } from 'node:crypto';
import type { Container, JSONObject, OperationInput } from '@azure/cosmos';
import type { MessagePublisher, OutgoingMessage, ReceivedMessage } from '../../shared/application/messaging';
import { TOPOLOGY, subscriptionsForMessage, type TopologyDefinition } from '../../shared/adapters/servicebus/topology';
import { instrumentMessage } from '../../shared/adapters/servicebus/message-trace';
import { RETRY_PROPERTIES } from '../../shared/application/events/retry';
import { silentLogger, type Logger } from '../../shared/platform/logger';

/**
 * The local Service Bus: the topic's subscriptions as documents in the embedded, journaled Cosmos
 * (an acknowledged send is on disk), with Service Bus's delivery semantics — routing by the
 * subscription's rule (event types, and `target` for a workflow's re-sent copy), duplicate
 * detection by messageId, scheduled delivery, peek-lock
 * (an ETag-conditional lock, so no delivery is processed twice at once), deliveryCount, abandon on
 * failure, dead-letter after maxDeliveryCount with the error as description, redelivery when a lock
 * expires (a killed consumer).
 */
export interface DeadLetter {
  readonly messageId: string;
  readonly reason: string;
  readonly description: string;
  readonly deliveryCount: number;
  readonly enqueuedAt: string;
  readonly body: unknown;
  readonly applicationProperties: Record<string, unknown>;
}

export interface LocalBus {
  readonly publisher: MessagePublisher;
  consume(subscription: string, handler: (m: ReceivedMessage) => Promise<void>): void;
  start(): void;
  stop(): Promise<void>;
  deadLetters(subscription: string): Promise<DeadLetter[]>;
  /**
   * Dead-lettered messages back to active, delivery count reset; all when no id. A workflow's re-sent
   * copy also loses its `attempt` and `retryChain`, so it gets the whole retry schedule again.
   */
  replay(subscription: string, messageId?: string): Promise<number>;
  /**
   * What a Service Bus Geo-DR failover leaves on the new primary namespace: the entities, and no
   * messages — none pending, none scheduled, none dead-lettered, and no duplicate-detection history
   * (Geo-DR replicates metadata only). Every message document of every subscription is removed,
   * including the completed ones this bus keeps as duplicate-detection markers. For the failover
   * drill's test and local rehearsals (docs/operations.md, "Outbox"); answers what was removed.
   */
  simulateNamespaceFailover(): Promise<{ pending: number; completed: number; deadLettered: number }>;
}

interface MessageDoc {
  id: string;
  subscription: string;
  messageId: string;
  state: 'active' | 'completed' | 'deadlettered';
  body: unknown;
  applicationProperties: Record<string, unknown>;
  enqueuedAt: string;
  /** Epoch ms from which the message may be delivered (schedule, lock, abandon delay). */
  visibleAt: number;
  expiresAt: number;
  deliveryCount: number;
  lockToken?: string;
  deadLetterReason?: string;
  deadLetterDescription?: string;
  ttl?: number;
  _etag?: string;
}

export interface LocalBusOptions {
  readonly container: Container;
  readonly topology?: TopologyDefinition;
  readonly logger?: Logger;
  readonly now?: () => number;
  readonly pollIntervalMs?: number;
  readonly abandonDelayMs?: number;
  /**
   * Deliveries in flight per subscription (default 8). Per subscription, as in Azure, where each
   * Service Bus trigger has its own message pump (`maxConcurrentCalls`): a slow workflow does not
   * hold up the others.
   */
  readonly concurrency?: number;
}

export function createLocalBus(opts: LocalBusOptions): LocalBus {
  const topology = opts.topology ?? TOPOLOGY;
  const logger = opts.logger ?? silentLogger;
  const now = opts.now ?? Date.now;
  const pollIntervalMs = opts.pollIntervalMs ?? 100;
  const abandonDelayMs = opts.abandonDelayMs ?? 200;
  const concurrency = opts.concurrency ?? 8;
  const handlers = new Map<string, (m: ReceivedMessage) => Promise<void>>();
  const inFlight = new Map<string, Set<Promise<void>>>();
  const inFlightOf = (sub: string) => inFlight.get(sub) ?? inFlight.set(sub, new Set()).get(sub)!;
  let running = false;
  const timers: NodeJS.Timeout[] = [];

  const subscription = (name: string) => {
    const s = topology.subscriptions.find((x) => x.name === name);
    if (!s) throw new Error(`no subscription ${name} on topic ${topology.topic}`);
    return s;
  };
  const docId = (sub: string, messageId: string) => `${sub}:${messageId}`;
  const { container } = opts;

  async function sendOne(m: OutgoingMessage): Promise<void> {
    const subs = subscriptionsForMessage(m.applicationProperties, topology);
    if (subs.length === 0)
      logger.debug('no subscription takes this message', { messageId: m.messageId, type: m.applicationProperties.type });
    // Every subscription's copy at once: the journal's group commit lets them share one fsync.
    await Promise.all(
      subs.map(async (s) => {
        const at = now();
        const doc: MessageDoc = {
          id: docId(s.name, m.messageId),
          subscription: s.name,
          messageId: m.messageId,
          state: 'active',
          body: m.body,
          applicationProperties: { ...m.applicationProperties },
          enqueuedAt: new Date(at).toISOString(),
          visibleAt: m.scheduledEnqueueTime ? m.scheduledEnqueueTime.getTime() : at,
          expiresAt: at + s.defaultMessageTimeToLiveSeconds * 1000,
          deliveryCount: 0,
        };
        const op: OperationInput = { operationType: 'Create', resourceBody: doc as unknown as JSONObject };
        const response = await container.items.batch([op], s.name);
        const status = response.result?.[0]?.statusCode ?? 500;
        // 409: the same messageId within the duplicate-detection window — dropped, like Service Bus.
        if (status >= 400 && status !== 409) throw new Error(`local bus send failed with ${status}`);
      }),
    );
  }

  const publisher: MessagePublisher = {
    // Like a batch send: all accepted or the call fails (and is repeated; duplicates are dropped).
    publish: async (messages) => {
      // As `@azure/service-bus` does when tracing is on: `Diagnostic-Id` in the event's trace.
      await Promise.all(messages.map((m) => sendOne(instrumentMessage(m, topology.topic))));
    },
  };

  async function settle(doc: MessageDoc, change: Partial<MessageDoc>): Promise<void> {
    try {
      await container
        .item(doc.id, doc.subscription)
        .replace({ ...doc, ...change }, { accessCondition: { type: 'IfMatch', condition: doc._etag! } });
    } catch (err) {
      // Our lock was lost (it expired and another delivery took it): that delivery settles it.
      logger.warn('local bus: lock lost before settling', { messageId: doc.messageId, error: (err as Error).message });
    }
  }

  async function deliver(sub: string, locked: MessageDoc, handler: (m: ReceivedMessage) => Promise<void>): Promise<void> {
    const def = subscription(sub);
    try {
      await handler({
        messageId: locked.messageId,
        body: locked.body,
        applicationProperties: locked.applicationProperties,
        deliveryCount: locked.deliveryCount,
        enqueuedTimeUtc: new Date(locked.enqueuedAt),
      });
      await settle(locked, { state: 'completed', ttl: topology.duplicateDetectionWindowSeconds, lockToken: undefined });
    } catch (err) {
      const description = err instanceof Error ? err.message : String(err);
      if (locked.deliveryCount >= def.maxDeliveryCount) {
        logger.error('local bus: dead-lettered', { subscription: sub, messageId: locked.messageId, description });
        await settle(locked, {
          state: 'deadlettered',
          deadLetterReason: 'MaxDeliveryCountExceeded',
          deadLetterDescription: description,
          lockToken: undefined,
        });
      } else {
        await settle(locked, { visibleAt: now() + abandonDelayMs, lockToken: undefined });
      }
    }
  }

  /** Takes the lock on a visible message; undefined when another receiver was faster. */
  async function lock(doc: MessageDoc, lockSeconds: number): Promise<MessageDoc | undefined> {
    const locked: MessageDoc = {
      ...doc,
      visibleAt: now() + lockSeconds * 1000,
      deliveryCount: doc.deliveryCount + 1,
      lockToken: randomUUID(),
    };
    try {
      const { resource } = await container
        .item(doc.id, doc.subscription)
        .replace(locked, { accessCondition: { type: 'IfMatch', condition: doc._etag! } });
      return resource as unknown as MessageDoc;
    } catch {
      return undefined;
    }
  }

  async function poll(sub: string): Promise<number> {
    const handler = handlers.get(sub)!;
    const def = subscription(sub);
    const busy = inFlightOf(sub);
    const free = concurrency - busy.size;
    if (free <= 0) return 0;
    const { resources } = await container.items
      .query<MessageDoc>(
        {
          query:
            'SELECT * FROM c WHERE c.subscription = @s AND c.state = "active" AND c.visibleAt <= @now ORDER BY c.visibleAt ASC',
          parameters: [
            { name: '@s', value: sub },
            { name: '@now', value: now() },
          ],
        },
        { partitionKey: sub, maxItemCount: free },
      )
      .fetchNext();
    for (const doc of resources) {
      if (doc.expiresAt < now()) {
        await settle(doc, {
          state: 'deadlettered',
          deadLetterReason: 'TTLExpiredException',
          deadLetterDescription: 'message expired',
        });
        continue;
      }
      const locked = await lock(doc, def.lockDurationSeconds);
      if (!locked) continue;
      const p = deliver(sub, locked, handler).finally(() => busy.delete(p));
      busy.add(p);
    }
    return resources.length;
  }

  function loop(sub: string): void {
    if (!running) return;
    poll(sub)
      .catch((err: unknown) => logger.warn('local bus: poll failed', { subscription: sub, error: (err as Error).message }))
      .then((n) => {
        if (!running) return;
        timers.push(setTimeout(() => loop(sub), n ? 0 : pollIntervalMs));
      });
  }

  async function deadLettered(sub: string): Promise<MessageDoc[]> {
    const { resources } = await container.items
      .query<MessageDoc>(
        {
          query: 'SELECT * FROM c WHERE c.subscription = @s AND c.state = "deadlettered"',
          parameters: [{ name: '@s', value: sub }],
        },
        { partitionKey: sub },
      )
      .fetchAll();
    return resources;
  }

  return {
    publisher,
    consume(sub, handler) {
      subscription(sub);
      handlers.set(sub, handler);
    },
    start() {
      running = true;
      for (const sub of handlers.keys()) loop(sub);
    },
    async stop() {
      running = false;
      for (const t of timers) clearTimeout(t);
      await Promise.allSettled([...inFlight.values()].flatMap((busy) => [...busy]));
    },
    async deadLetters(sub) {
      return (await deadLettered(sub)).map((d) => ({
        messageId: d.messageId,
        reason: d.deadLetterReason ?? '',
        description: d.deadLetterDescription ?? '',
        deliveryCount: d.deliveryCount,
        enqueuedAt: d.enqueuedAt,
        body: d.body,
        applicationProperties: d.applicationProperties,
      }));
    },
    async simulateNamespaceFailover() {
      const removed = { pending: 0, completed: 0, deadLettered: 0 };
      for (const { name } of topology.subscriptions) {
        const { resources } = await container.items
          .query<MessageDoc>(
            { query: 'SELECT * FROM c WHERE c.subscription = @s', parameters: [{ name: '@s', value: name }] },
            {
              partitionKey: name,
            },
          )
          .fetchAll();
        for (const doc of resources) {
          await container.item(doc.id, name).delete();
          if (doc.state === 'completed') removed.completed++;
          else if (doc.state === 'deadlettered') removed.deadLettered++;
          else removed.pending++;
        }
      }
      return removed;
    },
    async replay(sub, messageId) {
      const chosen = (await deadLettered(sub)).filter((d) => !messageId || d.messageId === messageId);
      for (const d of chosen) {
        const message = container.item(d.id, sub);
        const {
          [RETRY_PROPERTIES.attempt]: _attempt,
          [RETRY_PROPERTIES.chain]: _chain,
          ...applicationProperties
        } = d.applicationProperties;
        await message.replace({
          ...d,
          applicationProperties,
          state: 'active',
          deliveryCount: 0,
          visibleAt: now(),
          expiresAt: now() + subscription(sub).defaultMessageTimeToLiveSeconds * 1000,
        });
      }
      return chosen.length;
    },
  };
}
