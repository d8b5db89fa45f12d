import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BlobSASPermissions,
  BlockBlobClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
  type BlobServiceClient,
} from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AZURITE_ACCOUNT_KEY, AZURITE_ACCOUNT_NAME, startAzurite, type AzuriteInstance } from '../../local/azurite';
import { createBlobServiceClient, ensureBlobContainers, pingBlob } from '../../shared/adapters/blob/blob-service';
import { BLOB_CONTAINERS } from '../../shared/adapters/cosmos/containers';

describe('Azurite in-process with the Blob SDK', () => {
  let dataDir: string;
  let azurite: AzuriteInstance | undefined;
  let client: BlobServiceClient;
  const container = 'order-files';
  const blobName = 'orders/o-1/photo.bin';
  // Every byte value, then random bytes: a text round-trip would alter them.
  const content = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(64 * 1024)]);

  async function start(): Promise<AzuriteInstance> {
    azurite = await startAzurite({ dataDir });
    client = await createBlobServiceClient({
      blobServiceUri: azurite.blobEndpoint,
      connectionString: azurite.connectionString,
    });
    return azurite;
  }

  async function download(c: BlobServiceClient, name: string): Promise<Buffer> {
    return c.getContainerClient(container).getBlobClient(name).downloadToBuffer();
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'algesta-azurite-'));
  });

  afterAll(async () => {
    await azurite?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('listens on free ports (port 0) on 127.0.0.1', async () => {
    const az = await start();
    expect(az.blobEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
    expect(az.queueEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
    expect(az.blobEndpoint).not.toBe(az.queueEndpoint);
    expect(az.connectionString).toContain(`BlobEndpoint=${az.blobEndpoint};`);
  });

  it('creates the containers, private, idempotently', async () => {
    await ensureBlobContainers(client);
    await ensureBlobContainers(client);
    const names: string[] = [];
    for await (const c of client.listContainers()) names.push(c.name);
    expect(names.sort()).toEqual([...BLOB_CONTAINERS].sort());
    const access = await client.getContainerClient(container).getAccessPolicy();
    expect(access.blobPublicAccess).toBeUndefined();
  });

  it('uploads and downloads a binary blob unchanged', async () => {
    await client
      .getContainerClient(container)
      .getBlockBlobClient(blobName)
      .uploadData(content, {
        blobHTTPHeaders: { blobContentType: 'application/octet-stream' },
      });
    expect((await download(client, blobName)).equals(content)).toBe(true);
  });

  it('pingBlob succeeds while running', async () => {
    await expect(pingBlob(client)).resolves.toBeUndefined();
    await expect(pingBlob(client, { container: 'missing' })).rejects.toThrow(/does not exist/);
  });

  it('accepts an upload through a write-only SAS for one blob signed with the account key', async () => {
    const name = 'orders/o-1/upload.pdf';
    const sas = generateBlobSASQueryParameters(
      {
        containerName: container,
        blobName: name,
        permissions: BlobSASPermissions.parse('cw'),
        startsOn: new Date(Date.now() - 60_000),
        expiresOn: new Date(Date.now() + 10 * 60_000),
      },
      new StorageSharedKeyCredential(AZURITE_ACCOUNT_NAME, AZURITE_ACCOUNT_KEY),
    ).toString();
    const url = `${azurite!.blobEndpoint}/${container}/${name}`;
    const sasClient = new BlockBlobClient(`${url}?${sas}`);
    const pdf = randomBytes(10_000);
    await sasClient.uploadData(pdf, { blobHTTPHeaders: { blobContentType: 'application/pdf' } });

    expect((await download(client, name)).equals(pdf)).toBe(true);
    // The SAS grants create/write only: reading with it, or writing another blob, is refused.
    await expect(sasClient.downloadToBuffer()).rejects.toMatchObject({ statusCode: 403 });
    const other = new BlockBlobClient(`${azurite!.blobEndpoint}/${container}/orders/o-1/other.pdf?${sas}`);
    await expect(other.uploadData(pdf)).rejects.toMatchObject({ statusCode: 403 });
  });

  it('pingBlob rejects once Azurite is closed', async () => {
    await azurite!.close();
    await expect(pingBlob(client, { timeoutMs: 1000 })).rejects.toThrow();
  });

  it('keeps the blob after a clean close and a restart on the same dataDir', async () => {
    await start();
    await expect(pingBlob(client)).resolves.toBeUndefined();
    expect((await download(client, blobName)).equals(content)).toBe(true);
  });
});
