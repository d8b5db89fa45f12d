import { checkUpload, isAllowedFileType } from '../../domain/files/file-types';
import { makeId } from '../../domain/shared/ids';
import type { CallContext } from '../context';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors';
import { requireAcceptableFile, type FileStore } from '../files';
import type { Clock, IdGenerator, OrderRepository } from '../ports';
import { getOrder } from './orders';
import type { Attachment, AttachmentKind } from '../../domain/orders/attachment';

export type { Attachment, AttachmentKind };

/**
 * Order attachments (photos, evidence, invoices) with the provider documents' discipline: announce,
 * upload straight to Blob Storage with a create-only URL for one server-named blob (15 minutes),
 * confirm (the stored bytes' real type and size must be what was declared), list with read-only
 * URLs (10 minutes). Anyone who sees the order may attach and read; evidence for `complete` must be
 * confirmed attachments of the same order, at least one of them a photo.
 */
export interface AttachmentRepository {
  put(a: Attachment): Promise<void>;
  get(clientId: string, orderId: string, attachmentId: string): Promise<Attachment | undefined>;
  list(clientId: string, orderId: string): Promise<Attachment[]>;
}

export interface AttachmentDeps {
  readonly orders: OrderRepository;
  readonly attachments: AttachmentRepository;
  readonly files: FileStore;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

const UPLOAD_TTL_MS = 15 * 60_000;
const DOWNLOAD_TTL_MS = 10 * 60_000;

export async function requestAttachmentUpload(
  deps: AttachmentDeps,
  call: CallContext,
  orderId: string,
  input: { kind: AttachmentKind; fileName: string; contentType: string; size: number },
) {
  const order = (await getOrder(deps, call, orderId)).value;
  requireAcceptableFile(input);
  const now = deps.clock.now();
  const id = makeId('attachment', deps.ids.ulid());
  const attachment: Attachment = {
    id,
    orderId,
    clientId: order.clientId,
    ...input,
    blobName: `orders/${orderId}/${id}`,
    status: 'AWAITING_UPLOAD',
    createdAt: now.toISOString(),
    createdBy: call.principal.userId,
  };
  await deps.attachments.put(attachment);
  const expiresAt = new Date(now.getTime() + UPLOAD_TTL_MS);
  const url = await deps.files.uploadUrl('order-files', attachment.blobName, expiresAt);
  return {
    attachment,
    upload: {
      url,
      method: 'PUT' as const,
      headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': input.contentType },
      expiresAt: expiresAt.toISOString(),
    },
  };
}

export async function confirmAttachment(
  deps: AttachmentDeps,
  call: CallContext,
  orderId: string,
  attachmentId: string,
): Promise<Attachment> {
  const order = (await getOrder(deps, call, orderId)).value;
  const a = await deps.attachments.get(order.clientId, orderId, attachmentId);
  if (!a) throw new NotFoundError('attachment not found');
  if (a.status !== 'AWAITING_UPLOAD') throw new ConflictError(`the attachment is ${a.status}`, { attachmentStatus: a.status });
  const stored = await deps.files.inspect('order-files', a.blobName);
  if (!stored) throw new ConflictError('no file has been uploaded for this attachment yet', { attachmentStatus: a.status });
  const check = checkUpload({ contentType: a.contentType, size: a.size }, stored);
  const now = deps.clock.now().toISOString();
  if (!check.ok) {
    await deps.attachments.put({ ...a, status: 'REJECTED', rejectionReason: check.reason, confirmedAt: now });
    await deps.files.delete('order-files', a.blobName);
    throw new InvalidInputError(`the upload was rejected: ${check.reason}`, [{ field: 'file', message: check.reason }]);
  }
  const confirmed: Attachment = { ...a, status: 'STORED', confirmedAt: now };
  await deps.attachments.put(confirmed);
  return confirmed;
}

export async function listAttachments(deps: AttachmentDeps, call: CallContext, orderId: string) {
  const order = (await getOrder(deps, call, orderId)).value;
  const expiresAt = new Date(deps.clock.now().getTime() + DOWNLOAD_TTL_MS);
  const all = await deps.attachments.list(order.clientId, orderId);
  return Promise.all(
    all.map(async (a) =>
      a.status === 'STORED'
        ? {
            ...a,
            downloadUrl: await deps.files.downloadUrl('order-files', a.blobName, expiresAt),
            downloadUrlExpiresAt: expiresAt.toISOString(),
          }
        : a,
    ),
  );
}

/** `complete` names its evidence: stored attachments of this order, at least one a photo. */
export async function requireEvidence(
  deps: Pick<AttachmentDeps, 'attachments'>,
  clientId: string,
  orderId: string,
  ids: readonly string[],
): Promise<void> {
  const found = await Promise.all(ids.map((id) => deps.attachments.get(clientId, orderId, id)));
  const missing = ids.filter((_, i) => found[i]?.status !== 'STORED');
  if (missing.length)
    throw new InvalidInputError('evidence must be uploaded and confirmed attachments of this order', [
      { field: 'attachmentIds', message: `not stored on this order: ${missing.join(', ')}` },
    ]);
  if (!found.some((a) => a?.contentType.startsWith('image/')))
    throw new InvalidInputError('the evidence needs at least one photo', [
      { field: 'attachmentIds', message: 'at least one image' },
    ]);
}

/** A quote or an invoice may name one attachment: it must be stored on the same order. */
export async function requireStoredAttachment(
  deps: Pick<AttachmentDeps, 'attachments'>,
  clientId: string,
  orderId: string,
  attachmentId: string,
): Promise<Attachment> {
  const a = await deps.attachments.get(clientId, orderId, attachmentId);
  if (a?.status !== 'STORED')
    throw new InvalidInputError('the attachment must be uploaded and confirmed on this order', [
      { field: 'attachmentId', message: `not stored on this order: ${attachmentId}` },
    ]);
  return a;
}

/**
 * A photo the platform fetched for the caller (WhatsApp media): stored in `order-files` and recorded
 * as a STORED attachment after the same real-type and size checks as a browser upload. The caller
 * must see the order. Answers the attachment id.
 */
export async function storeFetchedPhoto(
  deps: AttachmentDeps,
  call: CallContext,
  orderId: string,
  bytes: Uint8Array,
  contentType: string,
): Promise<string> {
  const order = (await getOrder(deps, call, orderId)).value;
  if (!isAllowedFileType(contentType) || !contentType.startsWith('image/'))
    throw new InvalidInputError('only photos can be attached from WhatsApp', [
      { field: 'contentType', message: 'JPEG, PNG, HEIC or WebP' },
    ]);
  const check = checkUpload(
    { contentType, size: bytes.byteLength },
    { size: bytes.byteLength, contentType, head: bytes.subarray(0, 64) },
  );
  if (!check.ok)
    throw new InvalidInputError(`the photo was rejected: ${check.reason}`, [{ field: 'file', message: check.reason }]);
  const now = deps.clock.now().toISOString();
  const id = makeId('attachment', deps.ids.ulid());
  const blobName = `orders/${orderId}/${id}`;
  await deps.files.save('order-files', blobName, bytes, contentType);
  await deps.attachments.put({
    id,
    orderId,
    clientId: order.clientId,
    kind: 'photo',
    fileName: `whatsapp-${id}.${contentType.split('/')[1]}`,
    contentType,
    size: bytes.byteLength,
    blobName,
    status: 'STORED',
    createdAt: now,
    createdBy: call.principal.userId,
    confirmedAt: now,
  });
  return id;
}
