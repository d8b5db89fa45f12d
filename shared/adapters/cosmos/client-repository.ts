import type { Container } from '@azure/cosmos';
import type { Client, Site } from '../../domain/clients/client';
import type { ClientRepository, Page, PageRequest, Versioned } from '../../application/ports';
import { fromDoc, readDoc, statusOf, toDoc, translateError, type StoredDoc } from './documents';
import { queryPage } from './paging';

/** Clients and their sites share the client's partition: a client's sites are one partition query. */
export class CosmosClientRepository implements ClientRepository {
  constructor(private readonly container: Container) {}

  async create(client: Client): Promise<Versioned<Client>> {
    return this.insert<Client>(toDoc('client', client.id, client, { clientId: client.id }), 'client', ['clientId']);
  }

  async get(clientId: string): Promise<Versioned<Client> | undefined> {
    const doc = await readDoc(this.container, clientId, clientId);
    return doc?.docType === 'client' ? fromDoc<Client>(doc, ['clientId']) : undefined;
  }

  async addSite(site: Site): Promise<Versioned<Site>> {
    return this.insert<Site>(toDoc('site', site.id, site), 'site');
  }

  async getSite(clientId: string, siteId: string): Promise<Versioned<Site> | undefined> {
    const doc = await readDoc(this.container, siteId, clientId);
    return doc?.docType === 'site' ? fromDoc<Site>(doc) : undefined;
  }

  async listSites(clientId: string, page: PageRequest): Promise<Page<Site>> {
    const result = await queryPage(
      this.container,
      {
        query: 'SELECT * FROM c WHERE c.clientId = @clientId AND c.docType = "site" ORDER BY c.id ASC',
        parameters: [{ name: '@clientId', value: clientId }],
      },
      page,
      clientId,
    );
    return { ...result, items: result.items.map((d) => fromDoc<Site>(d).value) };
  }

  async replace(client: Client, etag: string): Promise<Versioned<Client>> {
    return this.replaceDoc<Client>(toDoc('client', client.id, client, { clientId: client.id }), client.id, etag, 'client', [
      'clientId',
    ]);
  }

  async replaceSite(site: Site, etag: string): Promise<Versioned<Site>> {
    return this.replaceDoc<Site>(toDoc('site', site.id, site), site.clientId, etag, 'site');
  }

  private async replaceDoc<T>(doc: StoredDoc, partition: string, etag: string, what: string, storageOnly: string[] = []) {
    try {
      const { resource } = await this.container
        .item(doc.id, partition)
        .replace<StoredDoc>(doc, { accessCondition: { type: 'IfMatch', condition: etag } });
      return fromDoc<T>(resource as StoredDoc, storageOnly);
    } catch (err) {
      // The named version is gone (or the document is): both mean "changed meanwhile".
      if (statusOf(err) === 404) return translateError({ code: 412 }, what);
      return translateError(err, what);
    }
  }

  private async insert<T>(doc: StoredDoc, what: string, storageOnly: string[] = []): Promise<Versioned<T>> {
    try {
      const { resource } = await this.container.items.create<StoredDoc>(doc);
      return fromDoc<T>(resource as StoredDoc, storageOnly);
    } catch (err) {
      return translateError(err, what);
    }
  }
}
