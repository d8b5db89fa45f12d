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
});
