import type { BlobServiceClient } from '@azure/storage-blob';
import { BLOB_CONTAINERS } from '../cosmos/containers';

/**
 * The Blob service client. With a connection string (Azurite: `STORAGE_CONNECTION_STRING`) the
 * account key is used; otherwise the managed identity (`DefaultAzureCredential`) against
 * `STORAGE__blobServiceUri`. The SDKs are loaded on first use, not when this module loads.
 */
export async function createBlobServiceClient(opts: {
  blobServiceUri: string;
  connectionString?: string;
}): Promise<BlobServiceClient> {
  const { BlobServiceClient } = await import('@azure/storage-blob');
  if (opts.connectionString) return BlobServiceClient.fromConnectionString(opts.connectionString);
  const { DefaultAzureCredential } = await import('@azure/identity');
  return new BlobServiceClient(opts.blobServiceUri, new DefaultAzureCredential());
}

/** Creates the missing containers, private (no anonymous access). */
export async function ensureBlobContainers(client: BlobServiceClient, names: readonly string[] = BLOB_CONTAINERS): Promise<void> {
  for (const name of names) {
    await client.getContainerClient(name).createIfNotExists();
  }
}

/**
 * Readiness: the account answers, the credential is accepted and the container exists. Uses
 * Get Container Properties (allowed to Storage Blob Data Reader; Get Service Properties is not).
 * Throws on failure or after `timeoutMs`.
 */
export async function pingBlob(
  client: BlobServiceClient,
  { container = BLOB_CONTAINERS[0], timeoutMs = 2000 }: { container?: string; timeoutMs?: number } = {},
): Promise<void> {
  const exists = await client.getContainerClient(container).exists({ abortSignal: AbortSignal.timeout(timeoutMs) });
  if (!exists) throw new Error(`Blob container '${container}' does not exist`);
}
