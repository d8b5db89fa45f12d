import { app, type InvocationContext } from '@azure/functions';
import { outboxEntriesIn, relay } from '../../shared/application/events/relay';
import { CONTAINERS } from '../../shared/adapters/cosmos/containers';
import { getRoot } from '../composition-root';

/**
 * The transactional outbox relay for the `orders` container: the change feed carries every new
 * event document to the `domain-events` topic (`messageId` = event id). The host advances the lease
 * even when this throws, so unrelayed events are left to the outbox sweep (timers/outbox-sweep).
 */
app.cosmosDB('orders-outbox-relay', {
  connection: 'COSMOS',
  databaseName: CONTAINERS.orders.database,
  containerName: CONTAINERS.orders.id,
  leaseDatabaseName: CONTAINERS.leases.database,
  leaseContainerName: CONTAINERS.leases.id,
  leaseContainerPrefix: 'orders-outbox-',
  createLeaseContainerIfNotExists: false,
  startFromBeginning: true,
  handler: async (documents: unknown[], context: InvocationContext) => {
    const root = getRoot();
    const entries = outboxEntriesIn(documents, CONTAINERS.orders.partitionKey.slice(1));
    const relayed = await relay(entries, { publisher: await root.publisher(), outbox: await root.outbox('orders') });
    if (relayed > 0) context.log(`relayed ${relayed} event(s)`);
  },
});
