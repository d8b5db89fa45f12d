import type { Agent } from 'node:http';
import type { CosmosClient, CosmosClientOptions } from '@azure/cosmos';

/**
 * The app's one way to make a CosmosClient. The SDK (and @azure/identity) are imported on first
 * call, never at module load, so a cold start that does not touch Cosmos does not pay for them.
 *
 * - `key` given (the embedded server, the emulator, a key-based account): key auth. Otherwise
 *   Entra ID through `DefaultAzureCredential` (managed identity in Azure, `az login` locally).
 * - Loopback endpoints (the embedded server, the emulator) have one region and one partition key
 *   range: endpoint discovery, background refresh, multi-region writes and partition-level
 *   failover are off, so the SDK never dials the regional URLs the account document advertises.
 * - Connections are kept alive. Over `https:` the client gets its own keep-alive agent. Over
 *   `http:` (the embedded server) it must NOT be given an agent: the SDK then refuses plain HTTP
 *   ("Cannot connect to http://… while allowInsecureConnection is false"); without one it uses
 *   its built-in keep-alive `http.Agent`, which is what we want.
 */
export interface CosmosClientSettings {
  readonly endpoint: string;
  readonly key?: string;
  /**
   * `COSMOS_PREFERRED_REGIONS`: the account's regions in the order the SDK should use them
   * (`connectionPolicy.preferredLocations`, "List of azure regions to be used as preferred locations
   * for read requests" in @azure/cosmos's ConnectionPolicy). Writes go to the account's write
   * region whatever the list says (single write region); reads follow the list and skip a region the
   * SDK found unavailable, and the SDK re-reads the account's regions after a failover (endpoint
   * discovery, on by default). Empty: the SDK's default, the write region for everything. Names are
   * compared without whitespace or case (`normalizeEndpoint`), so "East US 2" = "eastus2".
   * Ignored on a loopback endpoint: the embedded server has one region and discovery is off.
   */
  readonly preferredRegions?: readonly string[];
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopbackEndpoint(endpoint: string): boolean {
  return LOOPBACK_HOSTS.has(new URL(endpoint).hostname);
}

export async function createCosmosClient(opts: CosmosClientSettings): Promise<CosmosClient> {
  const { CosmosClient } = await import('@azure/cosmos');
  const url = new URL(opts.endpoint);
  const local = isLoopbackEndpoint(opts.endpoint);
  const options: CosmosClientOptions = {
    endpoint: opts.endpoint,
    ...(await credentials(opts.key)),
    ...(url.protocol === 'https:' ? { agent: await keepAliveHttpsAgent(local) } : {}),
    ...(local
      ? { connectionPolicy: SINGLE_REGION_POLICY }
      : opts.preferredRegions?.length
        ? { connectionPolicy: { preferredLocations: [...opts.preferredRegions] } }
        : {}),
  };
  return new CosmosClient(options);
}

const SINGLE_REGION_POLICY: NonNullable<CosmosClientOptions['connectionPolicy']> = {
  enableEndpointDiscovery: false,
  enableBackgroundEndpointRefreshing: false,
  useMultipleWriteLocations: false,
  enablePartitionLevelFailover: false,
  enablePartitionLevelCircuitBreaker: false,
};

async function credentials(key: string | undefined): Promise<Pick<CosmosClientOptions, 'key' | 'aadCredentials'>> {
  if (key) return { key };
  const { DefaultAzureCredential } = await import('@azure/identity');
  return { aadCredentials: new DefaultAzureCredential() };
}

async function keepAliveHttpsAgent(loopback: boolean): Promise<Agent> {
  const { Agent: HttpsAgent } = await import('node:https');
  // A loopback HTTPS endpoint is the emulator with its self-signed certificate; the traffic never
  // leaves the machine. Anything else is verified as usual.
  return new HttpsAgent({ keepAlive: true, ...(loopback ? { rejectUnauthorized: false } : {}) });
}
