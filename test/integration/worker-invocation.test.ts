import * as azureFunctions from '@azure/functions';
import type { HttpRequest, InvocationContext, Timer } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { installFunctionsCore, type CoreLogEntry } from '../../local/functions-core';
import { startHttpHost } from '../../local/host/http-host';
import { invocationRequest, invokeAsWorker } from '../../local/worker/invoke';
import { cosmosInvocation, serviceBusInvocation, timerInvocation } from '../../local/worker/trigger-data';

/**
 * Every trigger kind the local runtime serves reaches the handler through `@azure/functions`' own
 * programming model, from the RPC data the host sends the worker — so the handler sees what it
 * would see in Azure, including the library's conversions that a hand-built call would not make.
 */
const core = installFunctionsCore();
const { app } = ((azureFunctions as { default?: typeof azureFunctions }).default ?? azureFunctions) as typeof azureFunctions;

const seen: Record<string, { input: unknown; triggerMetadata: unknown }> = {};
const record = (name: string) => (input: unknown, context: InvocationContext) => {
  seen[name] = { input, triggerMetadata: context.triggerMetadata };
};

app.serviceBusTopic('bus-consumer', {
  connection: 'SERVICEBUS',
  topicName: 'domain-events',
  subscriptionName: 'orders-workflow',
  handler: record('bus-consumer'),
});
app.timer('every-minute', {
  schedule: '0 * * * * *',
  handler: (timer: Timer, context) => record('every-minute')(timer, context),
});
app.cosmosDB('feed', {
  connection: 'COSMOS',
  databaseName: 'orders',
  containerName: 'orders',
  leaseContainerName: 'leases',
  handler: (docs: unknown[], context: InvocationContext) => record('feed')(docs, context),
});
app.get('echo-query', {
  route: 'echo',
  handler: (request: HttpRequest) => ({ jsonBody: { q: request.query.get('q'), r: request.query.get('r') } }),
});
app.get('bad-answer', { route: 'bad', handler: () => 'a string is not an HTTP response' as never });

const logs: CoreLogEntry[] = [];
const registration = (name: string) => core.registrations().find((r) => r.name === name)!;
const invoke = (name: string, input: Parameters<typeof invocationRequest>[1]) =>
  invokeAsWorker(registration(name), invocationRequest(registration(name), input), { core, log: (e) => logs.push(e) });

describe('Service Bus trigger through the programming model', () => {
  it('parses the body from the text Service Bus delivers and camel-cases the binding data', async () => {
    const enqueued = new Date('2026-12-03T08:05:40.120Z');
    await invoke(
      'bus-consumer',
      serviceBusInvocation({
        messageId: '12345',
        body: { id: 'evt_1', type: 'order.submitted', data: { n: 1 } },
        applicationProperties: { Type: 'order.submitted', correlationId: 'c-1' },
        deliveryCount: 3,
        enqueuedTimeUtc: enqueued,
        contentType: 'application/json',
        subject: 'order.submitted',
      }),
    );
    const { input, triggerMetadata } = seen['bus-consumer']!;
    expect(input).toEqual({ id: 'evt_1', type: 'order.submitted', data: { n: 1 } });
    expect(triggerMetadata).toMatchObject({
      deliveryCount: 3,
      // The library tries JSON on every string: a numeric message id arrives as a number.
      messageId: 12345,
      enqueuedTimeUtc: '2026-12-03T08:05:40.12Z',
      enqueuedTime: '2026-12-03T08:05:40.12+00:00',
      contentType: 'application/json',
      subject: 'order.submitted',
      // Nested keys are camel-cased too.
      applicationProperties: { type: 'order.submitted', correlationId: 'c-1' },
    });
  });

  it('hands a body that is a JSON string literal over as the string, a plain-text body as text', async () => {
    await invoke(
      'bus-consumer',
      serviceBusInvocation({ messageId: 'm', body: 'hello', applicationProperties: {}, deliveryCount: 1 }),
    );
    expect(seen['bus-consumer']!.input).toBe('hello');
    await invoke(
      'bus-consumer',
      serviceBusInvocation({ messageId: 'm', body: Buffer.from('not json'), applicationProperties: {}, deliveryCount: 1 }),
    );
    expect(seen['bus-consumer']!.input).toBe('not json');
  });
});

describe('timer and change-feed triggers through the programming model', () => {
  it('gives the timer the camel-cased TimerInfo and no trigger metadata', async () => {
    await invoke('every-minute', timerInvocation({ isPastDue: true, next: new Date('2026-12-03T08:06:00Z') }));
    const { input, triggerMetadata } = seen['every-minute']!;
    expect(input).toEqual({
      schedule: { adjustForDST: true },
      scheduleStatus: { last: '0001-01-01T00:00:00', next: '2026-12-03T08:06:00Z', lastUpdated: '0001-01-01T00:00:00' },
      isPastDue: true,
    });
    expect(triggerMetadata).toBeUndefined();
  });

  it('gives the change feed its documents as an array', async () => {
    await invoke(
      'feed',
      cosmosInvocation([
        { id: 'a', _lsn: 1 },
        { id: 'b', _lsn: 2 },
      ]),
    );
    expect(seen.feed!.input).toEqual([
      { id: 'a', _lsn: 1 },
      { id: 'b', _lsn: 2 },
    ]);
  });
});

describe('HTTP trigger through the programming model and the host', () => {
  it('drops query keys with an empty value, as the host does', async () => {
    const host = await startHttpHost({ registrations: core.registrations(), port: 0, log: () => undefined });
    try {
      const res = await fetch(`${host.url}/api/echo?q=&r=1`);
      expect(await res.json()).toEqual({ q: null, r: '1' });
    } finally {
      await host.close();
    }
  });

  it('fails the invocation, 500, when the handler returns something the library cannot convert', async () => {
    const lines: string[] = [];
    const host = await startHttpHost({ registrations: core.registrations(), port: 0, log: (l) => lines.push(l) });
    try {
      const res = await fetch(`${host.url}/api/bad`);
      expect(res.status).toBe(500);
      expect(lines.join('\n')).toMatch(/The HTTP response must be an object/);
    } finally {
      await host.close();
    }
  });
});
