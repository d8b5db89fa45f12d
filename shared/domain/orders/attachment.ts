/**
 * A file attached to an order: site photos, evidence of the work, the provider's invoice. The bytes
 * live in Blob Storage (container `order-files`, one server-named blob per attachment); this record
 * says what was announced and whether the stored bytes matched it.
 */
/** `contract` is the signed contract the platform stores from DocuSign; users do not announce it. */
export const ATTACHMENT_KINDS = ['photo', 'evidence', 'invoice', 'contract', 'other'] as const;
export type AttachmentKind = (typeof ATTACHMENT_KINDS)[number];

export interface Attachment {
  readonly id: string;
  readonly orderId: string;
  readonly clientId: string;
  readonly kind: AttachmentKind;
  readonly fileName: string;
  readonly contentType: string;
  readonly size: number;
  readonly blobName: string;
  readonly status: 'AWAITING_UPLOAD' | 'STORED' | 'REJECTED';
  readonly rejectionReason?: string;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly confirmedAt?: string;
}
