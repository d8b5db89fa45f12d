import type { CosmosClient } from '@azure/cosmos';
import { describe, expect, it } from 'vitest';
import { createCosmosClient } from '../../shared/adapters/cosmos/client';
import { createRoot } from '../../functions/composition-root';
import { parseSettings } from '../../shared/platform/config';

/**
 * The Cosmos client gets COSMOS_PREFERRED_REGIONS as its `connectionPolicy.preferredLocations`. The
 * SDK is not mocked: the real CosmosClient is built and the policy it will use is read back. The
 * SDK has no public getter for its options, so the test reads its client context (@azure/cosmos
 * 4.9.3 keeps the merged policy there, `ClientContext.connectionPolicy`); building the client sends
 * no request, and it is disposed at once.
 */
function policyOf(client: CosmosClient): { preferredLocations?: string[]; enableEndpointDiscovery?: boolean } {
  return (client as unknown as { clientContext: { connectionPolicy: { preferredLocations?: string[] } } }).clientContext
    .connectionPolicy;
}

const account = 'https://algesta-prod.documents.azure.com:443/';
// A key keeps DefaultAzureCredential (and any token request) out of the test.
const key = Buffer.from('not-a-real-key').toString('base64');

describe('Cosmos preferred regions', () => {
  it('passes the regions, in order, to the SDK with endpoint discovery on', async () => {
    const client = await createCosmosClient({ endpoint: account, key, preferredRegions: ['East US 2', 'Central US'] });
    try {
      expect(policyOf(client).preferredLocations).toEqual(['East US 2', 'Central US']);
      // Without discovery the SDK ignores the list and never follows a failover.
      expect(policyOf(client).enableEndpointDiscovery).toBe(true);
    } finally {
      client.dispose();
    }
  });

  it('leaves the SDK its default when the list is empty', async () => {
    const client = await createCosmosClient({ endpoint: account, key, preferredRegions: [] });
    try {
      expect(policyOf(client).preferredLocations ?? []).toEqual([]);
    } finally {
      client.dispose();
    }
  });

  it('the composition root builds the app client from COSMOS_PREFERRED_REGIONS', async () => {
    const settings = parseSettings({
      APP_ENV: 'prod',
      COSMOS__accountEndpoint: account,
      COSMOS_KEY: key,
      COSMOS_PREFERRED_REGIONS: 'East US 2,Central US',
      STORAGE__blobServiceUri: 'https://algestaprod.blob.core.windows.net',
      AUTH_MODE: 'entra',
      AUTH_ISSUER: 'https://login.microsoftonline.com/tenant/v2.0',
      AUTH_AUDIENCE: 'api://algesta',
      AUTH_JWKS_URI: 'https://login.microsoftonline.com/tenant/discovery/v2.0/keys',
    });
    const client = await createRoot(settings).cosmos();
    try {
      expect(policyOf(client).preferredLocations).toEqual(['East US 2', 'Central US']);
    } finally {
      client.dispose();
    }
  });

  it('ignores the list on the embedded server, which has one region and no discovery', async () => {
    const client = await createCosmosClient({ endpoint: 'http://127.0.0.1:8081/', key, preferredRegions: ['East US 2'] });
    try {
      expect(policyOf(client).preferredLocations ?? []).toEqual([]);
      expect(policyOf(client).enableEndpointDiscovery).toBe(false);
    } finally {
      client.dispose();
    }
  });
});
