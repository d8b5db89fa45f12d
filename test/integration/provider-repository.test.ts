import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, CosmosClient } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCosmos, type EmbeddedCosmos } from '../../local/cosmos/embedded-cosmos';
import { createCosmosClient } from '../../shared/adapters/cosmos/client';
import { CONTAINERS } from '../../shared/adapters/cosmos/containers';
import { CosmosProviderRepository } from '../../shared/adapters/cosmos/provider-repository';
import { ensureCosmosSchema } from '../../shared/adapters/cosmos/provision';
import { ConflictError, PreconditionFailedError } from '../../shared/application/errors';
import type { DomainEvent } from '../../shared/domain/shared/events';
import { registerProvider, type Provider } from '../../shared/domain/providers/provider';

/**
 * The providers container through the real SDK against the embedded Cosmos: the transactional
 * write of provider + history + events, ETag conflicts, NIT uniqueness (with takeover of a dangling
 * claim), and the queries eligibility, the compliance sweep and the listings rely on.
 */
let dataDir: string;
let cosmos: EmbeddedCosmos;
let client: CosmosClient;
let container: Container;
let repo: CosmosProviderRepository;
let n = 0;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'algesta-providers-'));
  cosmos = await startEmbeddedCosmos({ dataDir });
  client = await createCosmosClient({ endpoint: cosmos.endpoint, key: cosmos.key });
  await ensureCosmosSchema(client, [CONTAINERS.providers]);
  container = client.database(CONTAINERS.providers.database).container(CONTAINERS.providers.id);
  repo = new CosmosProviderRepository(container);
});

afterAll(async () => {
  client?.dispose();
  await cosmos?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const event = (subject: string, type = 'provider.registered'): DomainEvent => ({
  id: `evt_${subject}_${++n}`,
  type,
  source: 'algesta/providers',
  subject,
  time: '2026-06-01T00:00:00.000Z',
  dataVersion: 1,
  data: {},
  correlationId: 'c',
});

function draft(id: string, nit: string, over: Partial<Provider> = {}) {
  const d = registerProvider(
    { id, legalName: `Provider ${id}`, nit, contacts: { email: 'p@x.co' }, categories: ['hvac'], cities: ['Bogotá'] },
    { userId: 'op', role: 'operator' },
    '2026-06-01T00:00:00.000Z',
  );
  return { ...d, provider: { ...d.provider, ...over } };
}

describe('Cosmos provider repository', () => {
  it('writes the provider, its history and its events in one transaction, and reads it back', async () => {
    const d = draft('prv_A', '800197268-4');
    const created = await repo.create(d.provider, d.history, [event('prv_A')]);
    expect(created.etag).toMatch(/^"/);
    expect(created.value).toEqual(d.provider);
    const { resources } = await container.items
      .query({ query: 'SELECT c.docType FROM c WHERE c.providerId = "prv_A"' }, { partitionKey: 'prv_A' })
      .fetchAll();
    expect(resources.map((r: { docType: string }) => r.docType).sort()).toEqual(['event', 'history', 'provider']);
    expect(await repo.get('prv_A')).toEqual(created);
  });

  it('a write on a stale ETag fails and writes none of its history or events', async () => {
    const d = draft('prv_B', '890903938-8');
    const first = await repo.create(d.provider, d.history, []);
    await repo.save({ ...first.value, legalName: 'Renamed' }, first.etag, [], []);
    await expect(
      repo.save({ ...first.value, legalName: 'Stale' }, first.etag, [], [event('prv_B', 'provider.approved')]),
    ).rejects.toBeInstanceOf(PreconditionFailedError);
    expect((await repo.get('prv_B'))?.value.legalName).toBe('Renamed');
    const { resources } = await container.items
      .query('SELECT * FROM c WHERE c.docType = "event" AND c.envelope.type = "provider.approved"')
      .fetchAll();
    expect(resources).toEqual([]);
  });

  it('a NIT belongs to one provider; a claim left by a failed registration is taken over', async () => {
    const d = draft('prv_C', '899999068-1');
    await repo.create(d.provider, d.history, []);
    const dup = draft('prv_D', '899999068-1');
    await expect(repo.create(dup.provider, dup.history, [])).rejects.toBeInstanceOf(ConflictError);
    expect(await repo.get('prv_D')).toBeUndefined();

    // A claim whose provider was never written (its batch failed after the claim).
    await container.items.create({
      id: 'nit~860002964-4',
      providerId: 'nit~860002964-4',
      docType: 'nit-claim',
      owner: 'prv_GHOST',
    });
    const retry = draft('prv_E', '860002964-4');
    await repo.create(retry.provider, retry.history, []);
    expect((await repo.get('prv_E'))?.value.nit).toBe('860002964-4');
  });

  it('finds candidates by category and city without case or accents, and only APPROVED ones', async () => {
    await repo.create(draft('prv_F', '901234567-7', { status: 'APPROVED', cities: ['Medellín', 'Bogotá'] }).provider, [], []);
    await repo.create(draft('prv_G', '800987654-4', { status: 'APPROVED', categories: ['plumbing'] }).provider, [], []);
    expect((await repo.findCandidates('hvac', 'MEDELLIN')).map((p) => p.id)).toEqual(['prv_F']);
    expect((await repo.findCandidates('hvac', 'bogota')).map((p) => p.id)).toEqual(['prv_F']);
    expect((await repo.findCandidates('plumbing', 'Bogotá')).map((p) => p.id)).toEqual(['prv_G']);
  });

  it('finds providers with an approved document expiring by a date (the compliance sweep)', async () => {
    const doc = (id: string, expiresAt: string, status: 'APPROVED' | 'PENDING_REVIEW' = 'APPROVED') => ({
      id,
      type: 'insurance-policy' as const,
      status,
      fileName: 'i.pdf',
      contentType: 'application/pdf',
      size: 1,
      blobName: 'b',
      expiresAt,
      requestedAt: '2026-01-01T00:00:00.000Z',
      requestedBy: 'op',
    });
    await repo.create(
      draft('prv_H', '900123456-8', { status: 'APPROVED', documents: [doc('d1', '2026-07-01')] }).provider,
      [],
      [],
    );
    await repo.create(
      draft('prv_I', '830012345-9', { status: 'SUSPENDED', documents: [doc('d2', '2026-06-20')] }).provider,
      [],
      [],
    );
    await repo.create(
      draft('prv_J', '860034313-7', { status: 'APPROVED', documents: [doc('d3', '2026-06-10', 'PENDING_REVIEW')] }).provider,
      [],
      [],
    );
    expect((await repo.findWithDocumentsExpiringBy('2026-06-30')).sort()).toEqual(['prv_I']);
    expect((await repo.findWithDocumentsExpiringBy('2026-07-01')).sort()).toEqual(['prv_H', 'prv_I']);
  });

  it('lists with filters and continuation tokens, by legal name', async () => {
    const all: string[] = [];
    let token: string | undefined;
    do {
      const page = await repo.list({ category: 'hvac' }, { limit: 2, ...(token ? { continuationToken: token } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      all.push(...page.items.map((p) => p.id));
      token = page.continuationToken;
    } while (token);
    expect(new Set(all).size).toBe(all.length);
    expect(all).toContain('prv_A');
    expect(all).not.toContain('prv_G');
    expect((await repo.list({ status: 'SUSPENDED' }, { limit: 10 })).items.map((p) => p.id)).toEqual(['prv_I']);
    expect((await repo.list({ city: 'medellin' }, { limit: 10 })).items.map((p) => p.id)).toEqual(['prv_F']);
  });

  it('records an invitation once and lists the open ones by deadline', async () => {
    const inv = {
      providerId: 'prv_A',
      orderId: 'ord_1',
      clientId: 'cli_1',
      siteId: 'sit_1',
      category: 'hvac' as const,
      city: 'Bogotá',
      title: 'AC',
      quoteDeadline: '2026-06-05T00:00:00.000Z',
      invitedAt: '2026-06-01T00:00:00.000Z',
      status: 'OPEN' as const,
    };
    await repo.putInvitation(inv);
    await repo.putInvitation({ ...inv, title: 'again' });
    await repo.putInvitation({ ...inv, orderId: 'ord_0', quoteDeadline: '2026-06-02T00:00:00.000Z' });
    const open = await repo.listOpenInvitations('prv_A', '2026-06-01T12:00:00.000Z', { limit: 10 });
    expect(open.items.map((i) => [i.orderId, i.title])).toEqual([
      ['ord_0', 'AC'],
      ['ord_1', 'AC'],
    ]);
    expect(
      (await repo.listOpenInvitations('prv_A', '2026-06-03T00:00:00.000Z', { limit: 10 })).items.map((i) => i.orderId),
    ).toEqual(['ord_1']);
    // The provider document itself is untouched by invitations.
    expect((await repo.get('prv_A'))?.value.id).toBe('prv_A');
  });
});
