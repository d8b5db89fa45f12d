import { PreconditionFailedError } from '../../shared/application/errors';
import type { CallContext } from '../../shared/application/context';
import type { OutgoingWhatsApp, WhatsAppSender } from '../../shared/application/notifications/channels';
import { getOrder } from '../../shared/application/orders/orders';
import type { UserProfile } from '../../shared/domain/users/user';
import { checkUpload } from '../../shared/domain/files/file-types';
import { makeId } from '../../shared/domain/shared/ids';
import { InvalidInputError } from '../../shared/application/errors';
import type { OrderRepository, Versioned } from '../../shared/application/ports';
import type {
  ConversationRecord,
  ConversationStore,
  FetchedMedia,
  InvitationResponses,
  MediaFetcher,
  MediaStore,
  PhoneDirectory,
} from '../../shared/application/whatsapp/ports';
import type { MemoryAttachments, MemoryFiles } from './memory';

/** In-memory ports of the WhatsApp channel, with the contracts of ports.ts. */

export class MemoryPhoneDirectory implements PhoneDirectory {
  readonly byPhone = new Map<string, UserProfile>();
  constructor(profiles: readonly UserProfile[] = []) {
    for (const p of profiles) if (p.phone) this.byPhone.set(p.phone, p);
  }
  async findByPhone(e164: string) {
    return this.byPhone.get(e164);
  }
}

let etags = 0;

export class MemoryConversationStore implements ConversationStore {
  readonly records = new Map<string, Versioned<ConversationRecord>>();
  /** Writes to refuse (as if another delivery had written first), for concurrency tests. */
  failNextPuts = 0;
  puts = 0;
  async get(phone: string) {
    const r = this.records.get(phone);
    // A copy, as a database read would be: callers cannot change the stored record.
    return r && (structuredClone(r) as Versioned<ConversationRecord>);
  }
  async put(record: ConversationRecord, etag?: string) {
    this.puts++;
    if (this.failNextPuts > 0) {
      this.failNextPuts--;
      throw new PreconditionFailedError('conversation changed (injected)');
    }
    const current = this.records.get(record.phone);
    if (etag === undefined ? current : current?.etag !== etag) throw new PreconditionFailedError('conversation changed');
    const saved = { value: structuredClone(record) as ConversationRecord, etag: `"c${++etags}"` };
    this.records.set(record.phone, saved);
    return structuredClone(saved) as Versioned<ConversationRecord>;
  }
}

/** Media by URL, as the partner's storage would serve it. */
export class MemoryMediaFetcher implements MediaFetcher {
  readonly media = new Map<string, FetchedMedia>();
  readonly fetched: string[] = [];
  host(url: string, bytes: Uint8Array, contentType: string): string {
    this.media.set(url, { bytes, contentType });
    return url;
  }
  async fetch(url: string) {
    this.fetched.push(url);
    const m = this.media.get(url);
    if (!m) throw new Error(`404 ${url}`);
    return m;
  }
}

/**
 * Photos stored as the real MediaStore will: the caller must see the order, the bytes pass the
 * upload check, and the attachment is STORED with its blob in `order-files`.
 */
export class MemoryMediaStore implements MediaStore {
  private n = 0;
  constructor(
    private readonly deps: { orders: OrderRepository; attachments: MemoryAttachments; files: MemoryFiles },
    private readonly now: () => Date,
  ) {}
  async saveOrderPhoto(call: CallContext, orderId: string, bytes: Uint8Array, contentType: string) {
    const order = (await getOrder(this.deps, call, orderId)).value;
    const check = checkUpload({ contentType, size: bytes.length }, { size: bytes.length, head: bytes.slice(0, 64), contentType });
    if (!check.ok) throw new InvalidInputError(`the photo was rejected: ${check.reason}`);
    const id = makeId('attachment', `WA${String(++this.n).padStart(24, '0')}`);
    const blobName = `orders/${orderId}/${id}`;
    this.deps.files.put('order-files', blobName, bytes, contentType);
    const at = this.now().toISOString();
    await this.deps.attachments.put({
      id,
      orderId,
      clientId: order.clientId,
      kind: 'photo',
      fileName: `whatsapp-${id}.${contentType.split('/')[1] ?? 'bin'}`,
      contentType,
      size: bytes.length,
      blobName,
      status: 'STORED',
      createdAt: at,
      createdBy: call.principal.userId,
      confirmedAt: at,
    });
    return id;
  }
}

export class MemoryInvitationResponses implements InvitationResponses {
  readonly declines = new Map<string, { providerId: string; orderId: string; reason: string }>();
  async decline(providerId: string, orderId: string, reason: string) {
    const key = `${providerId}~${orderId}`;
    if (!this.declines.has(key)) this.declines.set(key, { providerId, orderId, reason });
  }
  async listDeclined(providerId: string) {
    return [...this.declines.values()].filter((d) => d.providerId === providerId).map((d) => d.orderId);
  }
}

/** Records what was sent; can be told to fail the next sends. */
export class RecordingWhatsAppSender implements WhatsAppSender {
  readonly sent: OutgoingWhatsApp[] = [];
  private failures: Error[] = [];
  failNext(...errors: Error[]) {
    this.failures.push(...errors);
  }
  async send(message: OutgoingWhatsApp) {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.sent.push(message);
    return { messageId: `m-${this.sent.length}` };
  }
  to(phone: string): string[] {
    return this.sent.filter((m) => m.to === phone).map((m) => m.text ?? '');
  }
}
