import { isAllowedFileType, MAX_FILE_BYTES } from '../domain/files/file-types';
import { InvalidInputError } from './errors';

/**
 * Files as the application sees them (DESIGN 4.3): browsers upload and download straight to and
 * from Blob Storage with short-lived URLs scoped to one blob; the API only hands out those URLs and
 * checks what arrived. Azure: user-delegation SAS through the managed identity. Locally: Azurite
 * with its account key.
 */
export type FileArea = 'order-files' | 'provider-documents';

/** What was actually stored under a blob name. */
export interface UploadedFile {
  readonly size: number;
  /** The Content-Type the uploader declared (x-ms-blob-content-type), if any. */
  readonly contentType?: string;
  /** The first bytes of the content (up to 64): enough to recognise the real file type. */
  readonly head: Uint8Array;
}

export interface FileStore {
  /**
   * A URL that allows exactly one thing until `expiresAt`: creating this one blob with a single
   * `PUT` (`x-ms-blob-type: BlockBlob`). It cannot overwrite it once created, read, list, delete, or
   * touch any other blob.
   */
  uploadUrl(area: FileArea, blobName: string, expiresAt: Date): Promise<string>;
  /** A URL that allows only reading this one blob until `expiresAt`. */
  downloadUrl(area: FileArea, blobName: string, expiresAt: Date): Promise<string>;
  /** The stored blob's size, declared type and first bytes; undefined when nothing was uploaded. */
  inspect(area: FileArea, blobName: string): Promise<UploadedFile | undefined>;
  /** Deletes the blob if it exists. */
  delete(area: FileArea, blobName: string): Promise<void>;
  /**
   * Writes a file the platform itself obtained (a signed contract from DocuSign, a photo fetched from
   * WhatsApp), replacing any blob of that name. Users never write through this: they upload with
   * `uploadUrl`.
   */
  save(area: FileArea, blobName: string, bytes: Uint8Array, contentType: string): Promise<void>;
}

/**
 * What an upload must announce before it gets a URL (provider documents and order attachments alike):
 * an allowed type and a size the store accepts. The stored bytes are checked again on confirmation.
 */
export function requireAcceptableFile(input: { readonly contentType: string; readonly size: number }): void {
  const fieldErrors = [
    ...(isAllowedFileType(input.contentType) ? [] : [{ field: 'contentType', message: 'PDF, JPEG, PNG, HEIC or WebP' }]),
    ...(input.size > 0 && input.size <= MAX_FILE_BYTES
      ? []
      : [{ field: 'size', message: `1 byte to ${MAX_FILE_BYTES} bytes (20 MB)` }]),
  ];
  if (fieldErrors.length) throw new InvalidInputError('the file cannot be accepted', fieldErrors);
}
