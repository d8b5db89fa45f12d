import { describe, expect, it } from 'vitest';
import {
  countSince,
  republishSince,
  RepublishWindowError,
  type OutboxHistory,
  type OutboxRecord,
  type RepublishDeps,
  type TimeWindow,
} from '../../shared/application/events/republish';
import type { OutboxEntry } from '../../shared/application/events/relay';
import type { MessagePublisher, OutgoingMessage } from '../../shared/application/messaging';
import { outboxCli } from '../../scripts/outbox-cli';
import { parseOutboxCommand, runOutboxCommand, UsageError } from '../../scripts/outbox-commands';
import { submittedEvent } from '../support/events';
import type { Delivery } from '../../shared/domain/feed/delivery';
import type { OpenDeliveryScan } from '../../shared/application/feed/ports';
import { laneDueAt, rewakeOpenLanes } from '../../shared/application/feed/rewake';

/** An outbox in memory: its event documents, read back by time and page like the Cosmos adapter. */
class MemoryOutboxHistory implements OutboxHistory {
  pages = 0;
  constructor(public records: OutboxRecord[]) {}
  async *eventsWritten(window: TimeWindow, pageSize: number): AsyncIterable<readonly OutboxRecord[]> {
    const inWindow = this.records
      .filter((r) => r.event.time >= window.since.toISOString() && r.event.time < window.until.toISOString())
      .sort((a, b) => a.event.time.localeCompare(b.event.time));
    for (let i = 0; i < inWindow.length; i += pageSize) {
      this.pages++;
      yield inWindow.slice(i, i + pageSize);
    }
  }
  async markRelayed(entries: readonly OutboxEntry[]) {
    for (const e of entries) {
      const i = this.records.findIndex((r) => r.id === e.id);
      this.records[i] = { ...this.records[i]!, relayed: true };
    }
  }
}

const NOW = new Date('2026-03-02T12:00:00.000Z');
const at = (hoursAgo: number) => new Date(NOW.getTime() - hoursAgo * 3_600_000).toISOString();
const record = (id: string, hoursAgo: number, relayed: boolean, type = 'order.submitted'): OutboxRecord => ({
  id,
  partitionKey: 'cli_1',
  relayed,
  event: { ...submittedEvent(id), type, time: at(hoursAgo) },
});

function world(records: Record<string, OutboxRecord[]>) {
  const outboxes = Object.fromEntries(Object.entries(records).map(([name, r]) => [name, new MemoryOutboxHistory(r)]));
  const sent: OutgoingMessage[] = [];
  const publisher: MessagePublisher = { publish: async (m) => void sent.push(...m) };
  const deps: RepublishDeps = {
    sources: Object.entries(outboxes).map(([name, outbox]) => ({ name, outbox })),
    publisher,
    now: () => NOW,
    retentionSeconds: 24 * 3600,
  };
  return { outboxes, sent, deps };
}

describe('outbox republish', () => {
  it('publishes every event of the window, relayed or not, with messageId = event id, and marks the unrelayed', async () => {
    const { outboxes, sent, deps } = world({
      orders: [
        record('evt_old', 5, true),
        record('evt_a', 3, true),
        record('evt_b', 2, false, 'order.status-changed'),
        record('evt_late', 0.5, true),
      ],
      providers: [record('evt_p', 2.5, true, 'provider.registered')],
    });
    const result = await republishSince(deps, { since: new Date(at(4)), until: new Date(at(1)) });
    expect(sent.map((m) => m.messageId).sort()).toEqual(['evt_a', 'evt_b', 'evt_p']);
    expect(sent.find((m) => m.messageId === 'evt_b')!.applicationProperties.type).toBe('order.status-changed');
    expect(result).toMatchObject({
      published: 3,
      total: 3,
      unrelayed: 1,
      complete: true,
      dryRun: false,
      byType: { 'order.submitted': 1, 'order.status-changed': 1, 'provider.registered': 1 },
    });
    expect(outboxes.orders!.records.find((r) => r.id === 'evt_b')!.relayed).toBe(true);
  });

  it('goes page by page, and a dry run counts without sending or marking', async () => {
    const many = Array.from({ length: 250 }, (_, i) => record(`evt_${String(i).padStart(3, '0')}`, 10 - i / 100, i % 2 === 0));
    const { outboxes, sent, deps } = world({ orders: many });
    const dry = await republishSince(deps, { since: new Date(at(12)), dryRun: true });
    expect(dry).toMatchObject({ total: 250, published: 0, unrelayed: 125, dryRun: true });
    expect(sent).toEqual([]);
    expect(outboxes.orders!.records.filter((r) => !r.relayed)).toHaveLength(125);
    const real = await republishSince(deps, { since: new Date(at(12)) });
    expect(real.published).toBe(250);
    expect(new Set(sent.map((m) => m.messageId)).size).toBe(250);
    // 100 a page: three pages for the dry run and three for the real one.
    expect(outboxes.orders!.pages).toBe(6);
  });

  it('refuses a window older than the relayed events are kept unless forced, and an empty window', async () => {
    const { sent, deps } = world({ orders: [record('evt_30h', 30, true), record('evt_1h', 1, true)] });
    await expect(republishSince(deps, { since: new Date(at(25)) })).rejects.toThrow(
      /older than the outbox keeps relayed events \(24 h.*--force/,
    );
    expect(sent).toEqual([]);
    const forced = await republishSince(deps, { since: new Date(at(48)), force: true });
    expect(forced).toMatchObject({ complete: false, published: 2 });
    await expect(republishSince(deps, { since: new Date(at(1)), until: new Date(at(2)) })).rejects.toBeInstanceOf(
      RepublishWindowError,
    );
    // `oldest`: everything the outbox is sure to keep, now − 24 h, complete by definition.
    const oldest = await republishSince(deps, { since: 'oldest' });
    expect(oldest).toMatchObject({ complete: true, published: 1, window: { since: new Date(at(24)), until: NOW } });
  });

  it('counts per type, relayed and unrelayed, per container', async () => {
    const { deps } = world({
      orders: [record('a', 3, true), record('b', 2, false), record('c', 1, true, 'order.status-changed')],
      providers: [record('p', 1, false, 'provider.registered')],
    });
    const count = await countSince(deps, { since: new Date(at(4)) });
    expect(count).toMatchObject({
      total: 4,
      complete: true,
      byContainer: { orders: 3, providers: 1 },
      byType: {
        'order.submitted': { relayed: 1, unrelayed: 1 },
        'order.status-changed': { relayed: 1, unrelayed: 0 },
        'provider.registered': { relayed: 0, unrelayed: 1 },
      },
    });
  });
});

describe('npm run outbox', () => {
  it('reads its command line and refuses a bad one with a usage error', () => {
    expect(parseOutboxCommand(['republish', '--since', 'oldest'])).toMatchObject({ command: 'republish', since: 'oldest' });
    expect(parseOutboxCommand(['republish', '--since', '2026-03-02T10:00:00Z', '--dry-run'])).toEqual({
      command: 'republish',
      since: new Date('2026-03-02T10:00:00Z'),
      dryRun: true,
      force: false,
      json: false,
    });
    expect(
      parseOutboxCommand(['count', '--since', '2026-03-02T10:00:00+02:00', '--until', '2026-03-02T11:00:00Z']),
    ).toMatchObject({
      command: 'count',
      since: new Date('2026-03-02T08:00:00Z'),
      until: new Date('2026-03-02T11:00:00Z'),
    });
    for (const argv of [
      [],
      ['replay', '--since', '2026-03-02T10:00:00Z'],
      ['republish'],
      ['republish', '--since', 'yesterday'],
      ['republish', '--since', '2026-03-02'],
      ['republish', '--since', '2026-03-02T10:00:00Z', '--until'],
      ['republish', '--since', '2026-03-02T10:00:00Z', '--all'],
      ['count', '--since', '2026-03-02T10:00:00Z', '--dry-run'],
      ['count', '--since', '2026-03-02T10:00:00Z', 'extra'],
    ])
      expect(() => parseOutboxCommand(argv), argv.join(' ')).toThrow(UsageError);
  });

  it('exits with 2 and the usage on bad arguments, before touching any data', async () => {
    const result = await outboxCli(['republish', '--since', 'last tuesday'], { COSMOS__accountEndpoint: 'https://x.invalid' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--since needs an ISO-8601 time/);
    expect(result.stderr).toMatch(/usage: npm run outbox -- republish --since/);
  });

  it('turns a window beyond the retention into a usage error, and counts it as incomplete', async () => {
    const { deps } = world({ orders: [record('a', 30, true)] });
    const cliDeps = { ...deps, publisher: async () => deps.publisher, rewakeFeedLanes: async () => 0 };
    await expect(runOutboxCommand(parseOutboxCommand(['republish', '--since', at(30)]), cliDeps)).rejects.toBeInstanceOf(
      UsageError,
    );
    const text = await runOutboxCommand(parseOutboxCommand(['count', '--since', at(30)]), cliDeps);
    expect(text).toMatch(/some may be gone/);
    expect(text).toMatch(/order.submitted {2}relayed=1 {2}unrelayed=0/);
  });
});

describe('client-feed lanes after a failover', () => {
  const NOW_ = new Date('2026-03-02T12:00:00.000Z');
  const delivery = (orderId: string, eventId: string, status: Delivery['status'], extra: Partial<Delivery> = {}): Delivery => ({
    endpointId: 'whk_1',
    clientId: 'cli_1',
    orderId,
    eventId,
    eventType: 'order.submitted',
    seq: `2026-03-02T11:00:00.000Z~${eventId}`,
    payload: { id: eventId, type: 'order.submitted', time: '2026-03-02T11:00:00.000Z', data: { orderId, clientId: 'cli_1' } },
    status,
    attempts: [],
    replays: 0,
    createdAt: '2026-03-02T11:00:00.000Z',
    ...extra,
  });

  it('a lane is due when its holder is: the retry it waits for, a dead attempt, or now', () => {
    const retryAt = '2026-03-02T12:05:00.000Z';
    expect(
      laneDueAt([delivery('o', 'e1', 'pending'), delivery('o', 'e0', 'retry-scheduled', { nextAttemptAt: retryAt })], NOW_),
    ).toEqual(new Date(retryAt));
    expect(laneDueAt([delivery('o', 'e1', 'in-flight', { inFlightSince: '2026-03-02T11:59:50.000Z' })], NOW_)).toEqual(
      new Date('2026-03-02T12:00:20.000Z'),
    );
    expect(laneDueAt([delivery('o', 'e1', 'pending')], NOW_)).toEqual(NOW_);
    // A retry already overdue is looked at now, not in the past.
    expect(laneDueAt([delivery('o', 'e1', 'retry-scheduled', { nextAttemptAt: '2026-03-02T10:00:00.000Z' })], NOW_)).toEqual(
      NOW_,
    );
  });

  it('sends one wake-up per lane with unfinished deliveries, at its time', async () => {
    const open = [
      delivery('ord_a', 'e1', 'pending'),
      delivery('ord_a', 'e2', 'pending'),
      delivery('ord_b', 'e3', 'retry-scheduled', { nextAttemptAt: '2026-03-02T12:05:00.000Z' }),
    ];
    const scan: OpenDeliveryScan = {
      async *openDeliveriesEverywhere() {
        yield open.slice(0, 2);
        yield open.slice(2);
      },
    };
    const sent: OutgoingMessage[] = [];
    const woken = await rewakeOpenLanes(
      { scan, publisher: { publish: async (m) => void sent.push(...m) }, clock: { now: () => NOW_ } },
      { tag: 'run-1', correlationId: 'c' },
    );
    expect(woken).toBe(2);
    expect(
      sent.map((m) => [m.body.type, (m.body.data as { orderId: string }).orderId, m.scheduledEnqueueTime?.toISOString()]),
    ).toEqual([
      ['feed.lane-due', 'ord_a', NOW_.toISOString()],
      ['feed.lane-due', 'ord_b', '2026-03-02T12:05:00.000Z'],
    ]);
  });
});
