import { app, type InvocationContext } from '@azure/functions';
import { CONTAINERS } from '../../shared/adapters/cosmos/containers';
import { OUTBOX_CONTAINERS } from '../composition-root';
import { outbox } from '../wiring';

/**
 * The transactional outbox relays: for each container that holds event documents, a change-feed
 * trigger that carries every new event document to the `domain-events` topic (`messageId` = event
 * id; an event with `deliverAt` becomes a scheduled message). The host advances the lease even when
 * this throws, so unrelayed events are left to the outbox sweep (timers/outbox-sweep).
 *
 * After a Cosmos DB failover. The trigger has no `preferredLocations`, on purpose. Without preferred
 * regions the extension's SDK sends every operation to the account's current write region ("If
 * EnableEndpointDiscovery is true and the value of this property is not specified, the SDK uses the
 * write region as the preferred location for all operations":
 * https://learn.microsoft.com/dotnet/api/microsoft.azure.documents.client.connectionpolicy.preferredlocations),
 * and endpoint discovery moves it to the promoted region when the service fails the account over; the
 * change feed is read from there and the leases in `platform/leases` (replicated with the account)
 * resume where they were. A preferred read region would not keep the relay going during the outage
 * either: the processor writes its leases, and writes need the write region. The trigger's option is
 * a comma-separated string ("East US,South Central US,North Europe": `preferredLocations` in
 * @azure/functions' CosmosDBv4TriggerOptions and the `preferredLocations` row of
 * https://learn.microsoft.com/azure/azure-functions/functions-bindings-cosmosdb-v2-trigger#configuration);
 * a `%COSMOS_PREFERRED_REGIONS%` there would fail the function's indexing wherever the setting is
 * absent (single-region dev): the host's name resolver throws "'%NAME%' does not resolve to a value"
 * (NameResolverExtensions.ResolveWholeStringCore, github.com/Azure/azure-functions-durable-extension/issues/2400)
 * — a risk for no gain. What the relay misses while Cosmos fails over it picks up from its
 * lease afterwards, and the sweep republishes anything still unrelayed (docs/events.md, "Failover").
 *
 * In two regions both Function Apps run this trigger on the same lease container and prefix: they
 * are one change-feed processor whose leases are shared among all instances, so an event document is
 * relayed by one of them (and a second relay would be a duplicate the bus and the consumers absorb).
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
