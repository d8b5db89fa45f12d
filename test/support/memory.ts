import type { Client, Site } from '../../shared/domain/clients/client';
import type { DomainEvent } from '../../shared/domain/shared/events';
import type { Order, OrderHistoryEntry } from '../../shared/domain/orders/order';
import type { Quote } from '../../shared/domain/orders/lifecycle';
import type { UserProfile } from '../../shared/domain/users/user';
import { ConflictError, PreconditionFailedError } from '../../shared/application/errors';
import type {
  ClientRepository,
  Clock,
  IdGenerator,
  OrderFilters,
  Invitation,
  InvoiceNumberClaim,
  ProviderOrderView,
  OrderRepository,
  Page,
  PageRequest,
  ProviderFilters,
  ProviderRepository,
  UserRepository,
  Versioned,
} from '../../shared/application/ports';
import type { FileArea, FileStore } from '../../shared/application/files';
import type { Attachment, AttachmentRepository } from '../../shared/application/orders/attachments';
import type { ServiceCategory } from '../../shared/domain/orders/order';
import { normalizeCity } from '../../shared/domain/providers/eligibility';
import type { Provider, ProviderHistoryEntry } from '../../shared/domain/providers/provider';

/** In-memory ports for use-case specs: same contracts as the Cosmos adapters, no I/O. */
let etagCounter = 0;
const nextEtag = () => `"m${++etagCounter}"`;

function paginate<T>(all: readonly T[], page: PageRequest): Page<T> {
  const start = page.continuationToken ? Number(page.continuationToken) : 0;
  const items = all.slice(start, start + page.limit);
  const next = start + page.limit < all.length ? String(start + page.limit) : undefined;
  return { items, ...(next ? { continuationToken: next } : {}) };
}

export class MemoryClients implements ClientRepository {
  readonly clients = new Map<string, Versioned<Client>>();
  readonly sites = new Map<string, Versioned<Site>>();
  async create(client: Client) {
    if (this.clients.has(client.id)) throw new ConflictError('client already exists');
    const v = { value: client, etag: nextEtag() };
    this.clients.set(client.id, v);
    return v;
  }
  async get(id: string) {
    return this.clients.get(id);
  }
  async replace(client: Client, ifMatch: string) {
    if (this.clients.get(client.id)?.etag !== ifMatch) throw new PreconditionFailedError('client was changed by someone else');
    const v = { value: client, etag: nextEtag() };
    this.clients.set(client.id, v);
    return v;
  }
  async addSite(site: Site) {
    const v = { value: site, etag: nextEtag() };
    this.sites.set(`${site.clientId}/${site.id}`, v);
    return v;
  }
  async getSite(clientId: string, siteId: string) {
    return this.sites.get(`${clientId}/${siteId}`);
  }
  async listSites(clientId: string, page: PageRequest) {
    const all = [...this.sites.values()].map((s) => s.value).filter((s) => s.clientId === clientId);
    return paginate(all, page);
  }
}

export class MemoryUsers implements UserRepository {
  readonly users = new Map<string, Versioned<UserProfile>>();
  async get(id: string) {
    return this.users.get(id);
  }
  async listByRole(role: UserProfile['role'], scope: { clientId?: string; providerId?: string } = {}) {
    return [...this.users.values()]
      .map((u) => u.value)
      .filter(
        (u) =>
          u.role === role &&
          (!scope.clientId || u.clientId === scope.clientId) &&
          (!scope.providerId || u.providerId === scope.providerId),
      );
  }
  async withPhone(phone: string) {
    return [...this.users.values()]
      .map((u) => u.value)
      .filter((u) => u.phone === phone)
      .slice(0, 2);
  }
  async put(profile: UserProfile, ifMatch?: string | null) {
    const current = this.users.get(profile.userId);
    if (ifMatch === null && current) throw new PreconditionFailedError('exists');
    if (typeof ifMatch === 'string' && current?.etag !== ifMatch) throw new PreconditionFailedError('changed');
    const v = { value: profile, etag: nextEtag() };
    this.users.set(profile.userId, v);
    return v;
  }
}

export class MemoryOrders implements OrderRepository {
  readonly orders = new Map<string, Versioned<Order>>();
  readonly historyEntries: OrderHistoryEntry[] = [];
  readonly events: DomainEvent[] = [];
  async create(order: Order, history: readonly OrderHistoryEntry[], events: readonly DomainEvent[]) {
    if (this.orders.has(order.id)) throw new ConflictError('order already exists');
    const v = { value: order, etag: nextEtag() };
    this.orders.set(order.id, v);
    this.historyEntries.push(...history);
    this.events.push(...events);
    return v;
  }
  readonly quotes = new Map<string, Quote>();
  async save(
    order: Order,
    etag: string,
    history: readonly OrderHistoryEntry[],
    events: readonly DomainEvent[],
    quotes: readonly Quote[] = [],
  ) {
    if (this.orders.get(order.id)?.etag !== etag) throw new PreconditionFailedError('order was changed by someone else');
    const v = { value: order, etag: nextEtag() };
    this.orders.set(order.id, v);
    this.historyEntries.push(...history);
    this.events.push(...events);
    for (const q of quotes) this.quotes.set(q.id, q);
    return v;
  }
  async getQuote(clientId: string, quoteId: string) {
    const q = this.quotes.get(quoteId);
    return q && q.clientId === clientId ? q : undefined;
  }
  async listQuotes(clientId: string, orderId: string) {
    return [...this.quotes.values()]
      .filter((q) => q.clientId === clientId && q.orderId === orderId)
      .sort((a, b) => a.submittedAt.localeCompare(b.submittedAt));
  }
  async get(clientId: string, orderId: string) {
    const o = this.orders.get(orderId);
    return o && o.value.clientId === clientId ? o : undefined;
  }
  private filter(f: OrderFilters & { clientId?: string }) {
    return [...this.orders.values()]
      .map((o) => o.value)
      .filter(
        (o) =>
          (!f.clientId || o.clientId === f.clientId) &&
          (!f.status || o.status === f.status) &&
          (!f.priority || o.priority === f.priority) &&
          (!f.siteId || o.siteId === f.siteId) &&
          (!f.providerId || o.providerId === f.providerId) &&
          (!f.slaState || o.slaStatus === f.slaState),
      )
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }
  async listForClient(clientId: string, filters: OrderFilters, page: PageRequest) {
    return paginate(this.filter({ ...filters, clientId }), page);
  }
  async listAll(filters: OrderFilters, page: PageRequest) {
    return paginate(this.filter(filters), page);
  }
  async history(clientId: string, orderId: string, page: PageRequest) {
    return paginate(
      this.historyEntries.filter((h) => h.orderId === orderId && this.orders.get(orderId)?.value.clientId === clientId),
      page,
    );
  }
  async findSlaChecksDue(by: string, limit: number) {
    return [...this.orders.values()]
      .map((o) => o.value)
      .filter((o) => o.slaNextCheckAt !== undefined && o.slaNextCheckAt <= by)
      .sort((a, b) => (a.slaNextCheckAt as string).localeCompare(b.slaNextCheckAt as string))
      .slice(0, limit)
      .map((o) => ({ clientId: o.clientId, orderId: o.id, checkAt: o.slaNextCheckAt as string }));
  }
}

export const fixedClock = (iso = '2026-03-01T12:00:00.000Z'): Clock => ({ now: () => new Date(iso) });

export function sequentialIds(): IdGenerator {
  let n = 0;
  return {
    ulid: () => String(++n).padStart(26, '0'),
    uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  };
}

export class MemoryProviders implements ProviderRepository {
  readonly providers = new Map<string, Versioned<Provider>>();
  readonly historyEntries: ProviderHistoryEntry[] = [];
  readonly events: DomainEvent[] = [];
  readonly invitations = new Map<string, Invitation>();
  readonly invoiceClaims = new Map<string, InvoiceNumberClaim>();
  readonly orderViews = new Map<string, ProviderOrderView>();
  async putOrderView(view: ProviderOrderView) {
    const key = `${view.providerId}~${view.order.id}`;
    const held = this.orderViews.get(key);
    if (held && held.order.version > view.order.version) return;
    this.orderViews.set(key, view);
  }
  async listOrderViews(providerId: string, f: OrderFilters & { clientId?: string }, page: PageRequest) {
    const items = [...this.orderViews.values()]
      .filter(
        (v) =>
          v.providerId === providerId &&
          (!f.clientId || v.order.clientId === f.clientId) &&
          (!f.status || v.order.status === f.status) &&
          (!f.priority || v.order.priority === f.priority) &&
          (!f.siteId || v.order.siteId === f.siteId) &&
          (!f.slaState || v.order.slaStatus === f.slaState) &&
          (!f.providerId || (f.providerId === providerId && v.relation === 'assigned')),
      )
      .map((v) => v.order)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return paginate(items, page);
  }
  async claimInvoiceNumber(claim: InvoiceNumberClaim) {
    const key = `${claim.providerId}~${claim.invoiceNumber}`;
    const held = this.invoiceClaims.get(key);
    if (held) return held;
    this.invoiceClaims.set(key, claim);
    return claim;
  }
  async releaseInvoiceNumber(providerId: string, invoiceNumber: string, orderId: string) {
    const key = `${providerId}~${invoiceNumber}`;
    if (this.invoiceClaims.get(key)?.orderId === orderId) this.invoiceClaims.delete(key);
  }
  async create(p: Provider, history: readonly ProviderHistoryEntry[], events: readonly DomainEvent[]) {
    if (this.providers.has(p.id)) throw new ConflictError('provider already exists');
    if ([...this.providers.values()].some((x) => x.value.nit === p.nit))
      throw new ConflictError('a provider with this NIT is already registered');
    return this.write(p, history, events);
  }
  async get(id: string) {
    return this.providers.get(id);
  }
  async save(p: Provider, etag: string, history: readonly ProviderHistoryEntry[], events: readonly DomainEvent[]) {
    if (this.providers.get(p.id)?.etag !== etag) throw new PreconditionFailedError('provider was changed by someone else');
    return this.write(p, history, events);
  }
  private write(p: Provider, history: readonly ProviderHistoryEntry[], events: readonly DomainEvent[]) {
    const v = { value: p, etag: nextEtag() };
    this.providers.set(p.id, v);
    this.historyEntries.push(...history);
    this.events.push(...events);
    return v;
  }
  private all() {
    return [...this.providers.values()].map((p) => p.value);
  }
  async list(f: ProviderFilters, page: PageRequest) {
    const city = f.city && normalizeCity(f.city);
    const items = this.all().filter(
      (p) =>
        (!f.status || p.status === f.status) &&
        (!f.category || p.categories.includes(f.category)) &&
        (!city || p.cities.some((c) => normalizeCity(c) === city)),
    );
    return paginate(items, page);
  }
  async findCandidates(category: ServiceCategory, city: string) {
    return (await this.list({ status: 'APPROVED', category, city }, { limit: 1000 })).items as Provider[];
  }
  async findWithDocumentsExpiringBy(date: string) {
    return this.all()
      .filter(
        (p) =>
          (p.status === 'APPROVED' || p.status === 'SUSPENDED') &&
          p.documents.some((d) => d.status === 'APPROVED' && d.expiresAt && d.expiresAt <= date),
      )
      .map((p) => p.id);
  }
  async putInvitation(inv: Invitation) {
    const key = `${inv.providerId}/${inv.orderId}`;
    if (!this.invitations.has(key)) this.invitations.set(key, inv);
  }
  async listOpenInvitations(providerId: string, now: string, page: PageRequest) {
    const items = [...this.invitations.values()]
      .filter((i) => i.providerId === providerId && i.quoteDeadline > now)
      .sort((a, b) => a.quoteDeadline.localeCompare(b.quoteDeadline));
    return paginate(items, page);
  }
}

/** Files in memory: what a browser PUT would have stored, by area and blob name. */
export class MemoryFiles implements FileStore {
  readonly blobs = new Map<string, { bytes: Uint8Array; contentType?: string }>();
  async uploadUrl(area: FileArea, blobName: string, expiresAt: Date) {
    return `memory://${area}/${blobName}?perm=cw&se=${expiresAt.toISOString()}`;
  }
  async downloadUrl(area: FileArea, blobName: string, expiresAt: Date) {
    return `memory://${area}/${blobName}?perm=r&se=${expiresAt.toISOString()}`;
  }
  put(area: FileArea, blobName: string, bytes: Uint8Array, contentType?: string) {
    this.blobs.set(`${area}/${blobName}`, { bytes, ...(contentType ? { contentType } : {}) });
  }
  async inspect(area: FileArea, blobName: string) {
    const b = this.blobs.get(`${area}/${blobName}`);
    return b && { size: b.bytes.length, head: b.bytes.slice(0, 64), ...(b.contentType ? { contentType: b.contentType } : {}) };
  }
  async delete(area: FileArea, blobName: string) {
    this.blobs.delete(`${area}/${blobName}`);
  }
  async save(area: FileArea, blobName: string, bytes: Uint8Array, contentType: string) {
    this.put(area, blobName, bytes, contentType);
  }
}

export class MemoryAttachments implements AttachmentRepository {
  readonly items = new Map<string, Attachment>();
  async put(a: Attachment) {
    this.items.set(`${a.orderId}/${a.id}`, a);
  }
  async get(clientId: string, orderId: string, id: string) {
    const a = this.items.get(`${orderId}/${id}`);
    return a && a.clientId === clientId ? a : undefined;
  }
  async list(clientId: string, orderId: string) {
    return [...this.items.values()].filter((a) => a.clientId === clientId && a.orderId === orderId);
  }
}
