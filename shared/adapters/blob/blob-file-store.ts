import type { BlobServiceClient, SASQueryParameters, UserDelegationKey } from '@azure/storage-blob';
import type { FileArea, FileStore, UploadedFile } from '../../application/files';

/** Enough bytes to recognise any allowed file type (see shared/domain/files/file-types.ts). */
const HEAD_BYTES = 64;
const MINUTE = 60_000;
/** SAS start this far back, so that a storage clock slightly behind ours still accepts a fresh URL. */
const CLOCK_SKEW = 5 * MINUTE;
/** A user delegation key is requested for an hour and replaced this long before it expires. */
const KEY_LIFETIME = 60 * MINUTE;
const KEY_RENEW_BEFORE = 5 * MINUTE;
/** Azure refuses user delegation keys (and so SAS signed with them) valid for longer than this. */
const KEY_MAX_LIFETIME = 7 * 24 * 60 * MINUTE;
/**
 * The SAS format version, pinned rather than left to the SDK: a SAS is a contract with the service
 * that should not change with an SDK upgrade. 2025-11-05 is GA and broadly deployed (newer versions
 * roll out region by region), and it is the newest Azurite 3.35 validates user-delegation SAS for: it
 * rejects the 2026-04-06 string-to-sign that @azure/storage-blob 12.32 produces by default.
 */
const SAS_VERSION = '2025-11-05';

const sdk = () => import('@azure/storage-blob');

/**
 * Files in Blob Storage, reached by browsers through SAS URLs scoped to one blob (DESIGN 4.3; see
 * docs/files.md). With an account key (Azurite, via connection string) the SAS is signed with it; with
 * a token credential (the managed identity in Azure) it is a user-delegation SAS, so that no account
 * key is needed anywhere and revoking the identity's role revokes the URLs.
 */
export class BlobFileStore implements FileStore {
  private readonly now: () => Date;
  private key: { expiresOn: Date; value: Promise<UserDelegationKey> } | undefined;

  constructor(
    private readonly client: BlobServiceClient,
    opts: { now?: () => Date } = {},
  ) {
    this.now = opts.now ?? (() => new Date());
  }

  uploadUrl(area: FileArea, blobName: string, expiresAt: Date): Promise<string> {
    // Create only: the URL can put this one blob once. Without `w` a second PUT is refused, so a
    // file that passed the confirmation check cannot be replaced afterwards by the URL's holder.
    return this.sasUrl(area, blobName, 'c', expiresAt);
  }

  downloadUrl(area: FileArea, blobName: string, expiresAt: Date): Promise<string> {
    return this.sasUrl(area, blobName, 'r', expiresAt);
  }

  async inspect(area: FileArea, blobName: string): Promise<UploadedFile | undefined> {
    const blob = this.client.getContainerClient(area).getBlobClient(blobName);
    try {
      // One ranged GET gives size, type and head of the same blob version (no race with an overwrite
      // between a properties call and a download).
      const res = await blob.download(0, HEAD_BYTES);
      const total = /\/(\d+)$/.exec(res.contentRange ?? '')?.[1];
      return {
        size: total !== undefined ? Number(total) : (res.contentLength ?? 0),
        contentType: res.contentType,
        head: await readAll(res.readableStreamBody),
      };
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 404 && (err as { code?: string }).code === 'BlobNotFound') return undefined;
      // Azure answers a range request on an empty blob with 416; it exists but has no bytes.
      if (status === 416) {
        const props = await blob.getProperties();
        return { size: props.contentLength ?? 0, contentType: props.contentType, head: new Uint8Array() };
      }
      throw err;
    }
  }

  async delete(area: FileArea, blobName: string): Promise<void> {
    await this.client.getContainerClient(area).getBlobClient(blobName).deleteIfExists();
  }

  async save(area: FileArea, blobName: string, bytes: Uint8Array, contentType: string): Promise<void> {
    await this.client
      .getContainerClient(area)
      .getBlockBlobClient(blobName)
      .uploadData(bytes, { blobHTTPHeaders: { blobContentType: contentType } });
  }

  private async sasUrl(area: FileArea, blobName: string, permissions: 'c' | 'r', expiresOn: Date): Promise<string> {
    const { BlobSASPermissions, SASProtocol, StorageSharedKeyCredential, generateBlobSASQueryParameters } = await sdk();
    const values = {
      version: SAS_VERSION,
      containerName: area,
      blobName,
      permissions: BlobSASPermissions.parse(permissions),
      startsOn: new Date(this.now().getTime() - CLOCK_SKEW),
      expiresOn,
      // Azurite is plain http; in Azure the account refuses http anyway (secure transfer required).
      protocol: SASProtocol.HttpsAndHttp,
    };
    const credential = this.client.credential;
    const sas: SASQueryParameters =
      credential instanceof StorageSharedKeyCredential
        ? generateBlobSASQueryParameters(values, credential)
        : generateBlobSASQueryParameters(values, await this.delegationKey(expiresOn), this.client.accountName);
    return `${this.client.getContainerClient(area).getBlobClient(blobName).url}?${sas.toString()}`;
  }

  /**
   * A user delegation key valid at least until `until`. Fetching one is a round trip to Entra-backed
   * storage, so one key signs every URL for about an hour; concurrent callers share the same request.
   * A SAS stops working when its key expires, so a key is reused only if it outlives the SAS.
   */
  private delegationKey(until: Date): Promise<UserDelegationKey> {
    const now = this.now().getTime();
    const cached = this.key;
    if (cached && cached.expiresOn.getTime() >= Math.max(until.getTime(), now + KEY_RENEW_BEFORE)) return cached.value;
    if (until.getTime() > now + KEY_MAX_LIFETIME)
      throw new RangeError('a user-delegation SAS cannot be valid for more than 7 days');

    const startsOn = new Date(now - CLOCK_SKEW);
    const expiresOn = new Date(Math.min(Math.max(now + KEY_LIFETIME, until.getTime()), now + KEY_MAX_LIFETIME));
    const entry = { expiresOn, value: this.client.getUserDelegationKey(startsOn, expiresOn) };
    this.key = entry;
    // A failed request must not stay cached.
    entry.value.catch(() => {
      if (this.key === entry) this.key = undefined;
    });
    return entry.value;
  }
}

async function readAll(body: NodeJS.ReadableStream | undefined): Promise<Uint8Array> {
  if (!body) return new Uint8Array();
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer | string>)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return new Uint8Array(Buffer.concat(chunks));
}
