import type { Container, JSONObject, OperationInput, SqlParameter } from '@azure/cosmos';
import { normalizeCity } from '../../domain/providers/eligibility';
import type { Provider, ProviderHistoryEntry } from '../../domain/providers/provider';
import type { Order, ServiceCategory } from '../../domain/orders/order';
import type { DomainEvent } from '../../domain/shared/events';
import { ConflictError } from '../../application/errors';
import type {
  Invitation,
  InvoiceNumberClaim,
  OrderFilters,
  Page,
  PageRequest,
  ProviderFilters,
  ProviderOrderView,
  ProviderRepository,
  Versioned,
} from '../../application/ports';
import { assertBatchCommitted, fromDoc, readDoc, statusOf, toDoc, translateError, type StoredDoc } from './documents';
import { eventDoc } from './outbox';
import { queryPage } from './paging';

/**
 * Providers in their own partition (`/providerId`): the provider document, its history entries, its
 * outbox events and its invitations. A decision is one transactional batch — the provider replaced
 * on its ETag, history and events created — so the events never exist without the state, nor the
 * state without its events.
 *
 * Storage-only fields on the provider document, derived on every write so queries stay simple:
 * `cityKeys` (cities without case or accents) and `earliestExpiry` (of its approved documents).
 * A NIT is unique through a claim document `nit~<nit>` in a partition of its own.
 */
const STORAGE_ONLY = ['providerId', 'cityKeys', 'earliestExpiry'];

function providerDoc(p: Provider): StoredDoc {
  const expiries = p.documents.filter((d) => d.status === 'APPROVED' && d.expiresAt).map((d) => d.expiresAt as string);
  return toDoc('provider', p.id, p, {
    providerId: p.id,
    cityKeys: p.cities.map(normalizeCity),
    ...(expiries.length ? { earliestExpiry: expiries.sort()[0] } : {}),
  });
}

function historyDoc(h: ProviderHistoryEntry): StoredDoc {
  return toDoc('history', `${h.providerId}~h~${String(h.seq).padStart(6, '0')}`, h);
}

const create = (doc: StoredDoc): OperationInput => ({ operationType: 'Create', resourceBody: doc as JSONObject });

export class CosmosProviderRepository implements ProviderRepository {
  constructor(private readonly container: Container) {}

  async create(
    provider: Provider,
    history: readonly ProviderHistoryEntry[],
    events: readonly DomainEvent[],
  ): Promise<Versioned<Provider>> {
    await this.claimNit(provider.nit, provider.id);
    return this.write(provider.id, [create(providerDoc(provider)), ...this.extras(provider.id, history, events)]);
  }

  async get(providerId: string): Promise<Versioned<Provider> | undefined> {
    const doc = await readDoc(this.container, providerId, providerId);
    return doc?.docType === 'provider' ? fromDoc<Provider>(doc, STORAGE_ONLY) : undefined;
  }

  async save(
    provider: Provider,
    etag: string,
    history: readonly ProviderHistoryEntry[],
    events: readonly DomainEvent[],
  ): Promise<Versioned<Provider>> {
    const replace: OperationInput = {
      operationType: 'Replace',
      id: provider.id,
      resourceBody: providerDoc(provider) as JSONObject,
      ifMatch: etag,
    };
    return this.write(provider.id, [replace, ...this.extras(provider.id, history, events)]);
  }

  async list(filters: ProviderFilters, page: PageRequest): Promise<Page<Provider>> {
    const clauses = ['c.docType = "provider"'];
    const parameters: SqlParameter[] = [];
    if (filters.status) {
      clauses.push('c.status = @status');
      parameters.push({ name: '@status', value: filters.status });
    }
    if (filters.category) {
      clauses.push('ARRAY_CONTAINS(c.categories, @category)');
      parameters.push({ name: '@category', value: filters.category });
    }
    if (filters.city) {
      clauses.push('ARRAY_CONTAINS(c.cityKeys, @city)');
      parameters.push({ name: '@city', value: normalizeCity(filters.city) });
    }
    // Staff only: the one provider listing that fans out across partitions.
    const result = await queryPage(
      this.container,
      { query: `SELECT * FROM c WHERE ${clauses.join(' AND ')} ORDER BY c.legalName ASC`, parameters },
      page,
    );
    return { ...result, items: result.items.map((d) => fromDoc<Provider>(d, STORAGE_ONLY).value) };
  }

  async findCandidates(category: ServiceCategory, city: string): Promise<Provider[]> {
    return this.queryAll<Provider>(
      'SELECT * FROM c WHERE c.docType = "provider" AND c.status = "APPROVED" AND ARRAY_CONTAINS(c.categories, @category) AND ARRAY_CONTAINS(c.cityKeys, @city)',
      [
        { name: '@category', value: category },
        { name: '@city', value: normalizeCity(city) },
      ],
      (d) => fromDoc<Provider>(d, STORAGE_ONLY).value,
    );
  }

  async findWithDocumentsExpiringBy(date: string): Promise<string[]> {
    return this.queryAll<string>(
      'SELECT c.id FROM c WHERE c.docType = "provider" AND (c.status = "APPROVED" OR c.status = "SUSPENDED") AND c.earliestExpiry <= @date',
      [{ name: '@date', value: date }],
      (d) => d.id,
    );
  }

  async putInvitation(invitation: Invitation): Promise<void> {
    try {
      await this.container.items.create(toDoc('invitation', `inv~${invitation.orderId}`, invitation));
    } catch (err) {
      // Already recorded (a redelivered event): the first write stands.
      if (statusOf(err) !== 409) translateError(err, 'invitation');
    }
  }

  async listOpenInvitations(providerId: string, now: string, page: PageRequest): Promise<Page<Invitation>> {
    const result = await queryPage(
      this.container,
      {
        query:
          'SELECT * FROM c WHERE c.providerId = @providerId AND c.docType = "invitation" AND c.status = "OPEN" AND c.quoteDeadline > @now ORDER BY c.quoteDeadline ASC',
        parameters: [
          { name: '@providerId', value: providerId },
          { name: '@now', value: now },
        ],
      },
      page,
      providerId,
    );
    return { ...result, items: result.items.map((d) => fromDoc<Invitation>(d, ['id']).value) };
  }

  async putOrderView(view: ProviderOrderView): Promise<void> {
    const id = `po~${view.order.id}`;
    const doc = {
      id,
      docType: 'provider-order',
      providerId: view.providerId,
      relation: view.relation,
      // The filterable fields at the top level; the order as the provider's listing shows it.
      clientId: view.order.clientId,
      siteId: view.order.siteId,
      status: view.order.status,
      priority: view.order.priority,
      slaStatus: view.order.slaStatus ?? null,
      createdAt: view.order.createdAt,
      version: view.order.version,
      updatedAt: view.order.updatedAt,
      order: view.order,
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await readDoc(this.container, id, view.providerId);
      // A refresh that read an older order than the one already shown changes nothing.
      if (existing && (Number(existing.version) > view.order.version || String(existing.updatedAt) > view.order.updatedAt))
        return;
      try {
        if (existing) {
          await this.container
            .item(id, view.providerId)
            .replace(doc, { accessCondition: { type: 'IfMatch', condition: String(existing._etag) } });
        } else {
          await this.container.items.create(doc);
        }
        return;
      } catch (err) {
        if (statusOf(err) !== 412 && statusOf(err) !== 409) translateError(err, 'provider order view');
      }
    }
  }

  async listOrderViews(
    providerId: string,
    filters: OrderFilters & { clientId?: string },
    page: PageRequest,
  ): Promise<Page<Order>> {
    const clauses = ['c.providerId = @providerId', 'c.docType = "provider-order"'];
    const parameters: SqlParameter[] = [{ name: '@providerId', value: providerId }];
    const equal = (field: string, value: string | undefined, column = field) => {
      if (value === undefined) return;
      clauses.push(`c.${column} = @${field}`);
      parameters.push({ name: `@${field}`, value });
    };
    equal('clientId', filters.clientId);
    equal('status', filters.status);
    equal('priority', filters.priority);
    equal('siteId', filters.siteId);
    equal('slaState', filters.slaState, 'slaStatus');
    if (filters.providerId !== undefined) clauses.push(filters.providerId === providerId ? 'c.relation = "assigned"' : 'false');
    const result = await queryPage(
      this.container,
      { query: `SELECT * FROM c WHERE ${clauses.join(' AND ')} ORDER BY c.createdAt DESC`, parameters },
      page,
      providerId,
    );
    return { ...result, items: result.items.map((d) => d.order as Order) };
  }

  private extras(providerId: string, history: readonly ProviderHistoryEntry[], events: readonly DomainEvent[]): OperationInput[] {
    return [...history.map((h) => create(historyDoc(h))), ...events.map((e) => create(eventDoc('providerId', providerId, e)))];
  }

  private async write(providerId: string, operations: OperationInput[]): Promise<Versioned<Provider>> {
    let results;
    try {
      results = (await this.container.items.batch(operations, providerId)).result;
    } catch (err) {
      return translateError(err, 'provider');
    }
    assertBatchCommitted(results, 'provider');
    return fromDoc<Provider>(results?.[0]?.resourceBody as StoredDoc, STORAGE_ONLY);
  }

  private async queryAll<T>(query: string, parameters: SqlParameter[], map: (d: StoredDoc) => T): Promise<T[]> {
    try {
      const { resources } = await this.container.items.query<StoredDoc>({ query, parameters }).fetchAll();
      return resources.map(map);
    } catch (err) {
      return translateError(err, 'providers');
    }
  }

  async claimInvoiceNumber(claim: InvoiceNumberClaim): Promise<InvoiceNumberClaim> {
    const id = invoiceClaimId(claim.invoiceNumber);
    try {
      await this.container.items.create({ id, docType: 'invoice-number', ...claim });
      return claim;
    } catch (err) {
      if (statusOf(err) !== 409) translateError(err, 'invoice number');
    }
    const held = await readDoc(this.container, id, claim.providerId);
    if (!held) return this.claimInvoiceNumber(claim); // released between the two calls
    return {
      providerId: claim.providerId,
      invoiceNumber: String(held.invoiceNumber),
      orderId: String(held.orderId),
      clientId: String(held.clientId),
    };
  }

  async releaseInvoiceNumber(providerId: string, invoiceNumber: string, orderId: string): Promise<void> {
    const id = invoiceClaimId(invoiceNumber);
    const held = await readDoc(this.container, id, providerId);
    if (!held || held.orderId !== orderId) return;
    try {
      await this.container.item(id, providerId).delete({ accessCondition: { type: 'IfMatch', condition: String(held._etag) } });
    } catch (err) {
      // Already gone, or taken over meanwhile: either way this order no longer holds it.
      if (statusOf(err) !== 404 && statusOf(err) !== 412) translateError(err, 'invoice number');
    }
  }

  /**
   * Claims a NIT for a provider. A claim whose provider was never written (its batch failed after
   * the claim) is taken over, so a failed registration does not block the NIT forever.
   */
  private async claimNit(nit: string, providerId: string): Promise<void> {
    const key = `nit~${nit}`;
    const claim = { id: key, providerId: key, docType: 'nit-claim', owner: providerId, nit };
    try {
      await this.container.items.create(claim);
      return;
    } catch (err) {
      if (statusOf(err) !== 409) translateError(err, 'provider');
    }
    const existing = await readDoc(this.container, key, key);
    const owner = String(existing?.owner ?? '');
    if (owner === providerId || !(await this.get(owner))) {
      try {
        await this.container
          .item(key, key)
          .replace(claim, { accessCondition: { type: 'IfMatch', condition: String(existing?._etag) } });
        return;
      } catch (err) {
        if (statusOf(err) !== 412) translateError(err, 'provider');
      }
    }
    throw new ConflictError('a provider with this NIT is already registered', { field: 'nit' });
  }
}

/** Cosmos ids may not contain `/ \\ ? #`, which invoice numbers often do: the number is URI-encoded. */
function invoiceClaimId(invoiceNumber: string): string {
  return `invoice~${encodeURIComponent(invoiceNumber)}`;
}
