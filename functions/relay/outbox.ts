import { app, type InvocationContext } from '@azure/functions';
import { CONTAINERS } from '../../shared/adapters/cosmos/containers';
import { OUTBOX_CONTAINERS } from '../composition-root';
import { outbox } from '../wiring';

/**
 * The transactional outbox relays: for each container that holds event documents, a change-feed
 * trigger that carries every new event document to the `domain-events` topic (`messageId` = event
 * id; an event with `deliverAt` becomes a scheduled message). The host advances the lease even when
 * this throws, so unrelayed events are left to the outbox sweep (timers/outbox-sweep).
 */
for (const name of OUTBOX_CONTAINERS) {
  const def = CONTAINERS[name];
  app.cosmosDB(`${name}-outbox-relay`, {
    connection: 'COSMOS',
    databaseName: def.database,
    containerName: def.id,
    leaseDatabaseName: CONTAINERS.leases.database,
    leaseContainerName: CONTAINERS.leases.id,
    leaseContainerPrefix: `${name}-outbox-`,
    createLeaseContainerIfNotExists: false,
    startFromBeginning: true,
    handler: async (documents: unknown[], context: InvocationContext) => {
      const relayed = await outbox.relayChanges(name, documents);
      if (relayed > 0) context.log(`relayed ${relayed} event(s) from ${name}`);
    },
  });
}
