import type { ContainerRequest, CosmosClient } from '@azure/cosmos';
import { CONTAINERS, type ContainerDefinition } from './containers';

/**
 * Creates every database and container of `containers.ts` that does not exist yet: partition key,
 * `defaultTtl` and indexing policy as defined there. Idempotent (createIfNotExists). An existing
 * container is left as it is: changing a definition afterwards needs a replace (or, locally,
 * deleting the data folder).
 */
export async function ensureCosmosSchema(
  client: CosmosClient,
  defs: readonly ContainerDefinition[] = Object.values(CONTAINERS),
): Promise<void> {
  for (const database of new Set(defs.map((d) => d.database))) {
    await client.databases.createIfNotExists({ id: database });
  }
  for (const def of defs) {
    await client.database(def.database).containers.createIfNotExists(containerRequest(def));
  }
}

export function containerRequest(def: ContainerDefinition): ContainerRequest {
  return {
    id: def.id,
    partitionKey: { paths: [def.partitionKey] },
    ...(def.defaultTtl !== undefined ? { defaultTtl: def.defaultTtl } : {}),
    ...(def.indexing
      ? {
          indexingPolicy: {
            indexingMode: 'consistent',
            automatic: true,
            includedPaths: [{ path: '/*' }],
            excludedPaths: (def.indexing.excludedPaths ?? []).map((path) => ({ path })),
            ...(def.indexing.compositeIndexes
              ? {
                  compositeIndexes: def.indexing.compositeIndexes.map((paths) =>
                    paths.map(({ path, order }) => ({ path, order })),
                  ),
                }
              : {}),
          },
        }
      : {}),
  };
}
