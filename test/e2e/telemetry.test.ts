import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEMO } from '../../local/seed';
import { flushTelemetry } from '../../shared/platform/telemetry';
import { apiClient, eventually, startTestStack } from '../support/stack';

/**
 * OpenTelemetry through the real local stack (docs/operations.md, "Tracing"): one order created over
 * HTTP with a caller's `traceparent` is followed, in one trace, through the outbox relay, the bus
 * (`Diagnostic-Id`), the notifications workflow and the e-mail sent to a SendGrid stand-in over real
 * HTTP — each span the child of the one before, the Cosmos and HTTP client spans from the
 * instrumentations — and the app's log lines of that flow carry the trace id. The spans and
 * metrics come from the file exporter (`OTEL_TRACES_EXPORTER=file`).
 */
interface SpanLine {
  kind: 'span';
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  spanKind: number;
  scope: string;
  attributes: Record<string, unknown>;
}
interface MetricLine {
  kind: 'metric';
  name: string;
  attributes: Record<string, unknown>;
  value: number;
}
const SERVER = 1;
const CLIENT = 2;
const PRODUCER = 3;
const CONSUMER = 4;

let stack: Awaited<ReturnType<typeof startTestStack>>;
let api: ReturnType<typeof apiClient>;
let dir: string;
let file: string;
let sendgrid: Server;
const mails: { path: string; body: string }[] = [];
const stdout: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'algesta-otel-'));
  file = join(dir, 'telemetry.jsonl');
  // SendGrid's Mail Send API as far as the mailer uses it: 202 and a message id.
  sendgrid = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      mails.push({ path: req.url ?? '', body });
      // A message SendGrid refuses (400): the mailer's permanent failure, a partner failure.
      if (body.includes('Rechazada'))
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"errors":[{"message":"invalid"}]}');
      else res.writeHead(202, { 'x-message-id': `sg-${mails.length}` }).end();
    });
  });
  await new Promise<void>((resolve) => sendgrid.listen(0, '127.0.0.1', resolve));
  const port = (sendgrid.address() as { port: number }).port;
  // The app's log lines, as the default sink writes them.
  const write = process.stdout.write.bind(process.stdout);
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    stdout.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  });
  stack = await startTestStack({
    LOG_LEVEL: 'info',
    OTEL_TRACES_EXPORTER: 'file',
    OTEL_EXPORTER_FILE: file,
    OTEL_METRIC_EXPORT_INTERVAL: '250',
    SENDGRID_API_KEY: 'SG.local-test-key',
    SENDGRID_API_BASE_URL: `http://127.0.0.1:${port}`,
  });
  api = apiClient(`${stack.url}/api`);
}, 120_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await stack?.dispose();
  await new Promise((resolve) => sendgrid?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function lines(): Promise<(SpanLine | MetricLine)[]> {
  await flushTelemetry();
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SpanLine | MetricLine);
}

describe('one trace from the HTTP request to the partner call', () => {
  it('create → outbox relay → bus → notifications workflow → e-mail sent, parent by parent, with the trace id on the log lines', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    // The caller's span (as a dashboard's would be): the test's fetch is instrumented too, so its
    // client span, a child of the caller's, is what the `traceparent` header names.
    const caller = propagation.extract(ROOT_CONTEXT, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    const created = await context.with(caller, () =>
      api('POST', '/v1/orders', {
        token: stack.tokens.client,
        body: { siteId: DEMO.siteIds[0], category: 'hvac', priority: 'P3', title: 'Trazada', description: 'x' },
      }),
    );
    expect(created.status).toBe(201);
    const orderId = created.body.id as string;

    // The requester's "order submitted" e-mail, sent to the SendGrid stand-in.
    await eventually(async () => (mails.some((m) => m.body.includes(orderId)) ? true : undefined), 30_000);

    const trace = await eventually(async () => {
      const spans = (await lines()).filter((l): l is SpanLine => l.kind === 'span' && l.traceId === traceId);
      const mailSpan = spans.find(
        (s) => s.spanKind === CLIENT && String(s.attributes['url.full'] ?? s.attributes['http.url']).includes('/v3/mail/send'),
      );
      // Complete once the workflow's invocation has ended too (its span is written at its end).
      return mailSpan && spans.some((s) => s.spanId === mailSpan.parentSpanId) ? spans : undefined;
    });
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const ancestors = (s: SpanLine): SpanLine[] => {
      const parent = s.parentSpanId ? byId.get(s.parentSpanId) : undefined;
      return parent ? [parent, ...ancestors(parent)] : [];
    };

    // The host's span for the request: a child of the caller's span.
    const request = trace.find((s) => s.spanKind === SERVER && s.attributes['http.route'] === 'v1/orders');
    expect(request, 'the host span of POST /v1/orders').toBeDefined();
    const fetchSpan = byId.get(request!.parentSpanId ?? '');
    expect(fetchSpan?.scope).toBe('@opentelemetry/instrumentation-undici');
    expect(fetchSpan?.parentSpanId).toBe('00f067aa0ba902b7');
    // The order and its outbox documents, written by the Cosmos SDK under the request (Azure SDK instrumentation).
    const cosmos = trace.filter(
      (s) =>
        s.spanKind === CLIENT &&
        String(s.attributes['url.full'] ?? s.attributes['http.url']).includes('/dbs/orders/colls/orders/docs'),
    );
    expect(
      cosmos.some((s) => s.parentSpanId === request!.spanId),
      'the order written under the request',
    ).toBe(true);

    // The relay's "message" span for the order.submitted event: the request is its parent (the outbox kept the traceparent).
    const message = trace.find((s) => s.spanKind === PRODUCER && s.name === 'message');
    expect(message, 'the message span of the relay').toBeDefined();
    expect(message!.parentSpanId).toBe(request!.spanId);

    // The notifications workflow's invocation: a child of the message (its Diagnostic-Id).
    const consumer = trace.find(
      (s) => s.spanKind === CONSUMER && s.name === 'notifications-consumer' && s.parentSpanId === message!.spanId,
    );
    expect(consumer, 'the notifications consumer invocation, child of the message').toBeDefined();

    // The partner call: SendGrid's Mail Send, an HTTP client span from the http instrumentation, under the consumer.
    const mail = trace.find(
      (s) => s.spanKind === CLIENT && String(s.attributes['url.full'] ?? s.attributes['http.url']).includes('/v3/mail/send'),
    );
    expect(mail!.scope).toBe('@opentelemetry/instrumentation-http');
    expect(ancestors(mail!)).toContain(consumer);

    // Application Insights' operation id on the app's log lines of that flow.
    const logged = stdout
      .flatMap((chunk) => chunk.split('\n'))
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.traceId === traceId);
    expect(logged.some((l) => l.msg === 'http request' && l.route === 'v1/orders')).toBe(true);
    expect(logged.some((l) => l.msg === 'event handled' && l.consumer === 'notifications' && l.spanId === consumer!.spanId)).toBe(
      true,
    );
  }, 90_000);
});

describe('metrics', () => {
  it('counts orders by the state they entered and partner calls that failed, through the file exporter', async () => {
    const metricValue = async (name: string, attributes: Record<string, unknown>) => {
      const points = (await lines()).filter(
        (l): l is MetricLine =>
          l.kind === 'metric' && l.name === name && Object.entries(attributes).every(([k, v]) => l.attributes[k] === v),
      );
      // Cumulative sums: the latest export holds the total.
      return points.at(-1)?.value ?? 0;
    };
    const submittedBefore = await metricValue('algesta.orders.entered_state', { state: 'SUBMITTED' });
    const refusedBefore = await metricValue('algesta.partner.failures', { partner: 'sendgrid', kind: 'rejected' });

    const created = await api('POST', '/v1/orders', {
      token: stack.tokens.client,
      body: { siteId: DEMO.siteIds[0], category: 'hvac', priority: 'P2', title: 'Rechazada', description: 'x' },
    });
    expect(created.status).toBe(201);
    await eventually(async () =>
      (await metricValue('algesta.orders.entered_state', { state: 'SUBMITTED' })) > submittedBefore ? true : undefined,
    );
    // SendGrid refused the "order received" e-mail: one failed partner call, counted once.
    await eventually(async () =>
      (await metricValue('algesta.partner.failures', { partner: 'sendgrid', kind: 'rejected' })) > refusedBefore
        ? true
        : undefined,
    );
    // The notifications workflow received the order's event through its Service Bus trigger (the
    // local worker hands it EnqueuedTimeUtc as the host does): its delivery lag was recorded.
    await eventually(async () => {
      const lag = (await lines()).filter(
        (l): l is MetricLine =>
          l.kind === 'metric' && l.name === 'algesta.messages.delivery_lag' && l.attributes.consumer === 'notifications',
      );
      return lag.length > 0 ? true : undefined;
    });
  }, 60_000);
});
