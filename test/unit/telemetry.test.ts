import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartnerRejectedError, PartnerUnavailableError } from '../../shared/application/integrations/errors';
import type { OrderRepository } from '../../shared/application/ports';
import type { OrderHistoryEntry } from '../../shared/domain/orders/order';
import type { DomainEvent } from '../../shared/domain/shared/events';
import { createPartnerPolicy } from '../../shared/adapters/partners/resilience';
import { JelouSender } from '../../shared/adapters/whatsapp/jelou-sender';
import { meteredOrders } from '../../shared/adapters/telemetry/metered-orders';
import { activeTrace, flushTelemetry, instruments, startTelemetry, telemetryExporterOf } from '../../shared/platform/telemetry';
import { consume, deliveryLagSeconds } from '../../shared/application/events/consumer';
import { sweepOutbox, type OutboxEntry } from '../../shared/application/events/relay';
import { silentLogger } from '../../shared/platform/logger';
import { submittedEvent } from '../support/events';

/**
 * The telemetry settings, and the app's metrics through a started SDK and its file exporter: the
 * instruments count what the adapters report (partner failures once per failed call, states an
 * order entered and SLA breaches from a committed write). This file starts the SDK in its own
 * process (vitest forks), as the entry does.
 */
let dir: string;
let file: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'algesta-telemetry-'));
  file = join(dir, 'otel.jsonl');
  await startTelemetry(
    { OTEL_TRACES_EXPORTER: 'file', OTEL_EXPORTER_FILE: file, OTEL_METRIC_EXPORT_INTERVAL: '60000' },
    undefined,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The last exported point of a metric with these attributes (a histogram's is { count, sum, min, max, ... }). */
async function lastPoint<T>(name: string, attributes: Record<string, unknown>): Promise<T | undefined> {
  await flushTelemetry();
  const points = (await readFile(file, 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { kind: string; name: string; attributes: Record<string, unknown>; value: T })
    .filter((l) => l.kind === 'metric' && l.name === name && Object.entries(attributes).every(([k, v]) => l.attributes[k] === v));
  return points.at(-1)?.value;
}

interface HistogramPoint {
  readonly count: number;
  readonly sum: number;
  readonly max: number;
}

async function sumOf(name: string, attributes: Record<string, unknown>): Promise<number> {
  await flushTelemetry();
  const points = (await readFile(file, 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { kind: string; name: string; attributes: Record<string, unknown>; value: number })
    .filter((l) => l.kind === 'metric' && l.name === name && Object.entries(attributes).every(([k, v]) => l.attributes[k] === v));
  return points.at(-1)?.value ?? 0;
}

describe('telemetry settings', () => {
  it('Application Insights when a connection string is set, else OTEL_TRACES_EXPORTER (none by default)', () => {
    expect(telemetryExporterOf({})).toEqual({ kind: 'none' });
    expect(telemetryExporterOf({ OTEL_TRACES_EXPORTER: 'console' })).toEqual({ kind: 'console', metricIntervalMs: 60_000 });
    expect(
      telemetryExporterOf({ OTEL_TRACES_EXPORTER: 'file', OTEL_EXPORTER_FILE: '/tmp/x', OTEL_METRIC_EXPORT_INTERVAL: '500' }),
    ).toEqual({
      kind: 'file',
      path: '/tmp/x',
      metricIntervalMs: 500,
    });
    expect(
      telemetryExporterOf({
        APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=k;IngestionEndpoint=https://x/',
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=c;Authorization=AAD',
        OTEL_TRACES_EXPORTER: 'file',
      }),
    ).toMatchObject({ kind: 'azure-monitor', authentication: 'ClientId=c;Authorization=AAD' });
  });

  it('refuses an exporter it does not know, and a file exporter without a file', () => {
    expect(() => telemetryExporterOf({ OTEL_TRACES_EXPORTER: 'otlp' })).toThrow(/none, console or file/);
    expect(() => telemetryExporterOf({ OTEL_TRACES_EXPORTER: 'file' })).toThrow(/OTEL_EXPORTER_FILE/);
  });

  it('no active span outside a traced invocation: the logger adds no trace id', () => {
    expect(activeTrace()).toBeUndefined();
  });
});

describe('metrics', () => {
  it('a partner call that fails counts once, after the retries, by partner and kind', async () => {
    const policy = createPartnerPolicy('asana', { retries: 2, backoff: { initialDelayMs: 1, maxDelayMs: 1 } });
    const before = await sumOf('algesta.partner.failures', { partner: 'asana', kind: 'unavailable' });
    let attempts = 0;
    await expect(
      policy.execute('create task', async () => {
        attempts++;
        throw new PartnerUnavailableError('asana', 'create task', 'server-error', { status: 503 });
      }),
    ).rejects.toBeInstanceOf(PartnerUnavailableError);
    expect(attempts).toBe(3);
    expect(await sumOf('algesta.partner.failures', { partner: 'asana', kind: 'unavailable' })).toBe(before + 1);

    await expect(
      policy.execute('create task', async () => {
        throw new PartnerRejectedError('asana', 'create task', 400, { errors: [] });
      }),
    ).rejects.toBeInstanceOf(PartnerRejectedError);
    expect(await sumOf('algesta.partner.failures', { partner: 'asana', kind: 'rejected' })).toBeGreaterThanOrEqual(1);
  });

  it('a WhatsApp send that Jelou refuses or cannot take counts once, by kind; one refused before the call does not', async () => {
    let status = 503;
    const sender = new JelouSender({
      baseUrl: 'https://jelou.invalid',
      botId: 'bot',
      clientId: 'id',
      clientSecret: 'secret',
      fetch: async () => new Response(JSON.stringify({ code: 'x', description: 'no' }), { status }),
    });
    const message = { notificationId: 'n1', to: '+573001112233', text: 'hola' };
    const unavailable = await sumOf('algesta.partner.failures', { partner: 'jelou', kind: 'unavailable' });
    const rejected = await sumOf('algesta.partner.failures', { partner: 'jelou', kind: 'rejected' });
    await expect(sender.send(message)).rejects.toThrow(/Jelou answered 503/);
    status = 400;
    await expect(sender.send(message)).rejects.toThrow(/Jelou answered 400/);
    await expect(sender.send({ ...message, to: '3001112233' })).rejects.toThrow(/E.164/);
    expect(await sumOf('algesta.partner.failures', { partner: 'jelou', kind: 'unavailable' })).toBe(unavailable + 1);
    expect(await sumOf('algesta.partner.failures', { partner: 'jelou', kind: 'rejected' })).toBe(rejected + 1);
  });

  it('a committed order write counts the states entered and the SLA breaches it recorded; a failed one counts nothing', async () => {
    const entry = (from: string | null, to: string) => ({ from, to }) as unknown as OrderHistoryEntry;
    const breach = { type: 'order.sla-breached', data: { clock: 'resolution', priority: 'P1' } } as unknown as DomainEvent;
    let fail = false;
    const written = { value: {}, etag: 'e' };
    const inner = {
      create: async () => written,
      save: async () => {
        if (fail) throw new Error('conflict');
        return written;
      },
    } as unknown as OrderRepository;
    const orders = meteredOrders(inner, instruments);
    const inProgress = await sumOf('algesta.orders.entered_state', { state: 'IN_PROGRESS' });
    const breaches = await sumOf('algesta.sla.breaches', { clock: 'resolution', priority: 'P1' });

    await orders.save({} as never, 'e', [entry('SCHEDULED', 'IN_PROGRESS')], [breach]);
    // A history entry that does not change the state (a note, say) enters none.
    await orders.save({} as never, 'e', [entry('IN_PROGRESS', 'IN_PROGRESS')], []);
    fail = true;
    await expect(orders.save({} as never, 'e', [entry('SCHEDULED', 'IN_PROGRESS')], [breach])).rejects.toThrow('conflict');

    expect(await sumOf('algesta.orders.entered_state', { state: 'IN_PROGRESS' })).toBe(inProgress + 1);
    expect(await sumOf('algesta.sla.breaches', { clock: 'resolution', priority: 'P1' })).toBe(breaches + 1);
  });

  it('a partner circuit reads 1 while it is open and 0 once a call closes it again', async () => {
    const policy = createPartnerPolicy('qsystems', {
      retries: 0,
      breaker: { consecutiveFailures: 1, halfOpenAfterMs: 1 },
    });
    expect(await lastPoint('algesta.partner.circuit_open', { partner: 'qsystems' })).toBe(0);
    await expect(
      policy.execute('sync', async () => {
        throw new PartnerUnavailableError('qsystems', 'sync', 'server-error', { status: 503 });
      }),
    ).rejects.toBeInstanceOf(PartnerUnavailableError);
    expect(policy.circuit()).toBe('open');
    expect(await lastPoint('algesta.partner.circuit_open', { partner: 'qsystems' })).toBe(1);
    // After halfOpenAfter a trial call goes through; its success closes the circuit.
    await new Promise((r) => setTimeout(r, 5));
    await policy.execute('sync', async () => 'ok');
    expect(await lastPoint('algesta.partner.circuit_open', { partner: 'qsystems' })).toBe(0);
  });

  it("a first delivery records how late it came, from the enqueued time or a scheduled wake-up's deliverAt", async () => {
    const now = new Date('2026-03-01T12:30:00.000Z');
    expect(deliveryLagSeconds(new Date('2026-03-01T12:00:00.000Z'), undefined, now)).toBe(1800);
    // A scheduled wake-up is due at deliverAt, not when it was sent.
    expect(deliveryLagSeconds(new Date('2026-03-01T12:00:00.000Z'), '2026-03-01T12:29:00.000Z', now)).toBe(60);
    expect(deliveryLagSeconds(undefined, undefined, now)).toBeUndefined();

    const before = (await lastPoint<HistogramPoint>('algesta.messages.delivery_lag', { consumer: 'lag-test' }))?.count ?? 0;
    const done = new Set<string>();
    const deps = {
      processed: {
        has: async (c: string, id: string) => done.has(`${c}:${id}`),
        record: async (c: string, id: string) => void done.add(`${c}:${id}`),
      },
      logger: silentLogger,
      now: () => now,
      retry: { publisher: { publish: async () => undefined } },
      metrics: instruments,
    };
    const handlers = { 'order.submitted': async () => undefined };
    const enqueuedTimeUtc = new Date('2026-03-01T12:20:00.000Z');
    await consume('lag-test', submittedEvent('evt_lag1'), { deliveryCount: 1, enqueuedTimeUtc }, deps, handlers);
    // A redelivery's wait is the retries', not the subscription's: not recorded.
    await consume('lag-test', submittedEvent('evt_lag2'), { deliveryCount: 2, enqueuedTimeUtc }, deps, handlers);
    const lag = await lastPoint<HistogramPoint>('algesta.messages.delivery_lag', { consumer: 'lag-test' });
    expect(lag?.count).toBe(before + 1);
    expect(lag?.max).toBe(600);
  });

  it('the outbox sweep records what it found unrelayed and how old the oldest is, per container, 0 when nothing', async () => {
    const now = new Date('2026-03-01T12:30:00.000Z');
    const entry = (id: string, time: string): OutboxEntry => ({ id, partitionKey: 'p', event: submittedEvent(id, { time }) });
    let unrelayed = [entry('e1', '2026-03-01T12:20:00.000Z'), entry('e2', '2026-03-01T12:25:00.000Z')];
    const deps = {
      publisher: { publish: async () => undefined },
      outbox: {
        findUnrelayed: async () => unrelayed,
        markRelayed: async () => void (unrelayed = []),
      },
      now: () => now,
      metrics: instruments,
      container: 'sweep-test',
    };
    expect(await sweepOutbox(deps, { olderThanMs: 120_000, batch: 100 })).toBe(2);
    const found = await lastPoint<HistogramPoint>('algesta.outbox.unrelayed', { container: 'sweep-test' });
    const oldest = await lastPoint<HistogramPoint>('algesta.outbox.oldest_unrelayed_age', { container: 'sweep-test' });
    expect(found).toMatchObject({ count: 1, sum: 2 });
    expect(oldest).toMatchObject({ count: 1, max: 600 });
    expect(await sweepOutbox(deps, { olderThanMs: 120_000, batch: 100 })).toBe(0);
    expect(await lastPoint<HistogramPoint>('algesta.outbox.unrelayed', { container: 'sweep-test' })).toMatchObject({
      count: 2,
      sum: 2,
    });
  });
});
