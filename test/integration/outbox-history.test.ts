import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, CosmosClient } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCosmos, type EmbeddedCosmos } from '../../local/cosmos/embedded-cosmos';
import { createCosmosClient } from '../../shared/adapters/cosmos/client';
import { CONTAINERS } from '../../shared/adapters/cosmos/containers';
import { CosmosOutbox, eventDoc, RELAYED_EVENT_TTL_SECONDS } from '../../shared/adapters/cosmos/outbox';
import { ensureCosmosSchema } from '../../shared/adapters/cosmos/provision';
import type { OutboxRecord } from '../../shared/application/events/republish';
import { submittedEvent } from '../support/events';

/**
 * The outbox read back for a republish (`CosmosOutbox.eventsWritten`) through the real SDK against
 * the embedded Cosmos: every event document of the window across partitions, relayed or not, by the
 * event's time with `since` included and `until` excluded, oldest first, a page at a time; marking
 * one relayed (which moves its `_ts`) does not move it out of its window.
 */
let dataDir: string;
let cosmos: EmbeddedCosmos;
let client: CosmosClient;
let container: Container;
let outbox: CosmosOutbox;

const at = (minute: number) => `2026-03-02T10:${String(minute).padStart(2, '0')}:00.000Z`;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'algesta-outbox-'));
  cosmos = await startEmbeddedCosmos({ dataDir });
  client = await createCosmosClient({ endpoint: cosmos.endpoint, key: cosmos.key });
  await ensureCosmosSchema(client, [CONTAINERS.orders]);
  container = client.database(CONTAINERS.orders.database).container(CONTAINERS.orders.id);
  outbox = new CosmosOutbox(container, 'clientId');
  // Five events in three clients' partitions, written out of time order, and an order document.
  const events = [
    ['cli_b', 'evt_3', 3],
    ['cli_a', 'evt_1', 1],
    ['cli_c', 'evt_5', 5],
    ['cli_a', 'evt_2', 2],
    ['cli_b', 'evt_4', 4],
  ] as const;
  for (const [clientId, id, minute] of events)
    await container.items.create(eventDoc('clientId', clientId, submittedEvent(id, { time: at(minute) })));
  await container.items.create({ id: 'ord_1', docType: 'order', clientId: 'cli_a', createdAt: at(2) });
});

afterAll(async () => {
  client?.dispose();
  await cosmos?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function read(since: number, until: number, pageSize: number): Promise<(readonly OutboxRecord[])[]> {
  const pages: (readonly OutboxRecord[])[] = [];
  for await (const page of outbox.eventsWritten({ since: new Date(at(since)), until: new Date(at(until)) }, pageSize))
    pages.push(page);
  return pages;
}

describe('the outbox read back by time', () => {
  it('answers every event document of [since, until) across partitions, oldest first, in pages', async () => {
    const pages = await read(2, 5, 2);
    expect(pages.map((p) => p.map((r) => r.id))).toEqual([['evt_2', 'evt_3'], ['evt_4']]);
    expect(pages.flat().map((r) => r.partitionKey)).toEqual(['cli_a', 'cli_b', 'cli_b']);
    expect(pages.flat().every((r) => r.relayed === false && r.event.type === 'order.submitted')).toBe(true);
  });

  it('keeps a relayed document in its window, marked relayed with the TTL', async () => {
    const [first] = (await read(1, 2, 10)).flat();
    await outbox.markRelayed([first!]);
    const again = (await read(1, 6, 10)).flat();
    expect(again.map((r) => [r.id, r.relayed])).toEqual([
      ['evt_1', true],
      ['evt_2', false],
      ['evt_3', false],
      ['evt_4', false],
      ['evt_5', false],
    ]);
    const { resource } = await container.item('evt_1', 'cli_a').read<{ ttl?: number }>();
    expect(resource?.ttl).toBe(RELAYED_EVENT_TTL_SECONDS);
  });
});
