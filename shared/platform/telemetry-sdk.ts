/**
 * The OpenTelemetry SDK, started once per process by `startTelemetry` (./telemetry.ts), which
 * imports this module only when telemetry is configured. Two set-ups, one set of instrumentations:
 *
 * - Azure (`APPLICATIONINSIGHTS_CONNECTION_STRING`): `useAzureMonitor` from
 *   `@azure/monitor-opentelemetry`, Microsoft's distro (traces, metrics, logs to Application
 *   Insights; it includes the Azure SDK and `http` instrumentations), as
 *   learn.microsoft.com/azure/azure-functions/opentelemetry-howto describes for Node.js.
 * - Local (`OTEL_TRACES_EXPORTER=console|file`): a `NodeTracerProvider` and a `MeterProvider` with a
 *   JSON-lines exporter, and the same instrumentations registered by hand.
 *
 * Both add the undici instrumentation (the global `fetch` of the partner adapters; the distro has
 * none) and `@azure/functions-opentelemetry-instrumentation`, which runs every function handler in
 * the trace context the host hands the invocation (`InvocationContext.traceContext`).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { context, metrics, propagation, trace, type Attributes } from '@opentelemetry/api';
import { logs, SeverityNumber } from '@opentelemetry/api-logs';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { circuitStates, type AppInstruments, type TelemetryExporter, type TelemetryRuntime } from './telemetry';
import { setLogEmitter, type LogLevel } from './logger';

/** The service name on every span and metric (Application Insights' cloud role name). */
export const SERVICE_NAME = 'algesta-functions';
const METER = 'algesta';

export async function startOpenTelemetry(
  exporter: Exclude<TelemetryExporter, { kind: 'none' }>,
  azureFunctions: unknown,
): Promise<TelemetryRuntime> {
  const stop = exporter.kind === 'azure-monitor' ? await startAzureMonitor(exporter) : await startLocal(exporter);
  // The Azure SDKs are imported later, on first use (functions/composition-root.ts): the azure-sdk
  // instrumentation's require hook sees `@azure/core-tracing` load and gives it the OpenTelemetry
  // instrumenter. Requiring it here does that now, for every copy: the ESM and CommonJS builds share
  // one instrumenter (the package's `state-cjs`), so the ESM Cosmos and Blob clients trace as well.
  const require = createRequire(import.meta.url);
  require('@azure/core-tracing');
  // The http instrumentation patches `http.request` on the module object when its require hook
  // sees the module; the Azure SDK's HTTP client (ESM) reads `http.request` from that same object at
  // each call. Requiring the modules here applies the patch now rather than whenever a CommonJS
  // package first requires them, so the first Cosmos call of the process is traced too.
  require('node:http');
  require('node:https');

  // `@azure/functions` was loaded with the entry, before this ran, so the instrumentation is handed
  // the module instead of waiting for it to load (the ESM variant's documented use).
  // A webpack-built CommonJS module whose exports Node's ESM loader cannot name: take its default.
  const functionsModule = await import('@azure/functions-opentelemetry-instrumentation');
  const { AzureFunctionsInstrumentationESM } = (
    'default' in functionsModule ? functionsModule.default : functionsModule
  ) as typeof functionsModule;
  const functions = new AzureFunctionsInstrumentationESM();
  registerInstrumentations({ instrumentations: [functions as unknown as Instrumentation] });
  if (azureFunctions) functions.registerAzFunc(azureFunctions as Parameters<typeof functions.registerAzFunc>[0]);

  if (exporter.kind === 'azure-monitor') {
    // In Azure the log lines go to Application Insights as OTel log records: the SDK stamps each with
    // the active span, which is what makes it part of the operation.
    const otelLogger = logs.getLogger(METER);
    setLogEmitter((level, msg, fields) =>
      otelLogger.emit({ severityNumber: SEVERITY[level], severityText: level, body: msg, attributes: flat(fields) }),
    );
  }

  return {
    activeTrace: () => {
      const span = trace.getSpanContext(context.active());
      return span && trace.isSpanContextValid(span) ? { traceId: span.traceId, spanId: span.spanId } : undefined;
    },
    traceparent: () => {
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      return carrier.traceparent;
    },
    instruments: createInstruments(),
    flush: stop.flush,
    shutdown: stop.shutdown,
  };
}

interface Stoppable {
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

async function startAzureMonitor(exporter: Extract<TelemetryExporter, { kind: 'azure-monitor' }>): Promise<Stoppable> {
  const { useAzureMonitor, shutdownAzureMonitor } = await import('@azure/monitor-opentelemetry');
  // Local authentication is off on the Application Insights resource (infra/): ingestion is
  // authorized with the app's user-assigned identity, the one APPLICATIONINSIGHTS_AUTHENTICATION_STRING names.
  const clientId = /ClientId=([^;]+)/i.exec(exporter.authentication ?? '')?.[1];
  const credential = clientId ? new (await import('@azure/identity')).ManagedIdentityCredential({ clientId }) : undefined;
  useAzureMonitor({
    azureMonitorExporterOptions: { connectionString: exporter.connectionString, ...(credential ? { credential } : {}) },
    instrumentationOptions: { azureSdk: { enabled: true }, http: { enabled: true } },
  });
  registerInstrumentations({ instrumentations: [new UndiciInstrumentation()] });
  return {
    flush: async () => {
      const provider = trace.getTracerProvider() as { forceFlush?: () => Promise<void> };
      await provider.forceFlush?.();
    },
    shutdown: () => shutdownAzureMonitor(),
  };
}

async function startLocal(exporter: Extract<TelemetryExporter, { kind: 'console' | 'file' }>): Promise<Stoppable> {
  const [
    { NodeTracerProvider },
    { SimpleSpanProcessor },
    sdkMetrics,
    { resourceFromAttributes },
    { HttpInstrumentation },
    azureSdk,
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/sdk-metrics'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/instrumentation-http'),
    import('@azure/opentelemetry-instrumentation-azure-sdk'),
  ]);
  const resource = resourceFromAttributes({ 'service.name': SERVICE_NAME });
  const write = exporter.kind === 'file' ? fileWriter(exporter.path) : (line: string) => process.stdout.write(line + '\n');

  const tracer = new NodeTracerProvider({
    resource,
    spanProcessors: [
      new SimpleSpanProcessor({
        export(spans, done) {
          for (const s of spans) {
            write(
              JSON.stringify({
                kind: 'span',
                traceId: s.spanContext().traceId,
                spanId: s.spanContext().spanId,
                parentSpanId: s.parentSpanContext?.spanId,
                name: s.name,
                spanKind: s.kind,
                start: hrTimeMs(s.startTime),
                durationMs: hrTimeMs(s.duration),
                status: s.status.code,
                attributes: s.attributes,
                scope: s.instrumentationScope.name,
              }),
            );
          }
          done({ code: 0 });
        },
        shutdown: () => Promise.resolve(),
      }),
    ],
  });
  // Also the AsyncLocalStorage context manager and the W3C trace-context propagator.
  tracer.register();

  const reader = new sdkMetrics.PeriodicExportingMetricReader({
    exportIntervalMillis: exporter.metricIntervalMs,
    exporter: {
      export(batch, done) {
        for (const scope of batch.scopeMetrics)
          for (const m of scope.metrics)
            for (const p of m.dataPoints as { attributes: Attributes; value: unknown }[])
              write(JSON.stringify({ kind: 'metric', name: m.descriptor.name, attributes: p.attributes, value: p.value }));
        done({ code: 0 });
      },
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    },
  });
  const meters = new sdkMetrics.MeterProvider({ resource, readers: [reader] });
  metrics.setGlobalMeterProvider(meters);

  registerInstrumentations({
    tracerProvider: tracer,
    meterProvider: meters,
    instrumentations: [
      azureSdk.createAzureSdkInstrumentation(),
      // Incoming requests are the host's to trace (local/worker/invoke.ts `withHostSpan`), as in
      // Azure, where the worker receives none; the in-process emulators' servers are not the app.
      new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }),
      new UndiciInstrumentation(),
    ],
  });
  return {
    flush: async () => {
      await tracer.forceFlush();
      await meters.forceFlush();
    },
    shutdown: async () => {
      await tracer.shutdown();
      await meters.shutdown();
    },
  };
}

/** The app's instruments on the global meter (docs/operations.md, "Metrics"). */
function createInstruments(): AppInstruments {
  const meter = metrics.getMeter(METER);
  const ordersByState = meter.createCounter('algesta.orders.entered_state', {
    description: 'Orders that entered a state (created or moved), by state',
  });
  const slaBreaches = meter.createCounter('algesta.sla.breaches', { description: 'SLA deadlines missed, by clock and priority' });
  const deadLetters = meter.createCounter('algesta.messages.dead_lettered', {
    description: 'Messages whose last delivery failed (the bus dead-letters them), by consumer and event type',
  });
  const partnerFailures = meter.createCounter('algesta.partner.failures', {
    description: 'Partner calls that failed, by partner and kind (unavailable, rejected)',
  });
  // A gauge, observed at each export (every 60 s by default): Application Insights gets one
  // customMetrics row per partner and export, so "open for five minutes" is "every row of the last
  // five minutes says 1" (the breaker-open alert, infra/modules/alerts.bicep).
  meter
    .createObservableGauge('algesta.partner.circuit_open', {
      description: 'Whether the partner circuit breaker is open (1) or closed (0), by partner',
    })
    .addCallback((result) => {
      for (const { partner, open } of circuitStates()) result.observe(open ? 1 : 0, { partner });
    });
  // Service Bus has no metric for a message's age; each delivery reports how late it came instead.
  const deliveryLag = meter.createHistogram('algesta.messages.delivery_lag', {
    description: 'Seconds from when a message was due (enqueued, or its scheduled time) to its delivery, by consumer',
    unit: 's',
  });
  const outboxUnrelayed = meter.createHistogram('algesta.outbox.unrelayed', {
    description: 'Events the outbox sweep found unrelayed (older than its grace period), per sweep and container',
  });
  const outboxOldest = meter.createHistogram('algesta.outbox.oldest_unrelayed_age', {
    description: 'Age in seconds of the oldest event the outbox sweep found unrelayed, per sweep and container',
    unit: 's',
  });
  return {
    orderEnteredState: (state) => ordersByState.add(1, { state }),
    slaBreached: (a) => slaBreaches.add(1, { clock: a.clock, priority: a.priority }),
    deadLettered: (a) => deadLetters.add(1, { consumer: a.consumer, event_type: a.eventType }),
    partnerFailed: (a) => partnerFailures.add(1, { partner: a.partner, kind: a.kind }),
    // Registered in telemetry.ts (the gauge above reads them); nothing to do here.
    watchCircuit: () => undefined,
    messageDelivered: (a) => deliveryLag.record(Math.max(0, a.lagSeconds), { consumer: a.consumer }),
    outboxBacklog: (a) => {
      outboxUnrelayed.record(a.unrelayed, { container: a.container });
      outboxOldest.record(Math.max(0, a.oldestAgeSeconds), { container: a.container });
    },
  };
}

const SEVERITY: Record<LogLevel, SeverityNumber> = {
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  warn: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
};

/** Log fields as OTel attributes: primitives as they are, anything else as JSON. */
function flat(fields: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    out[k] =
      typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
        ? v
        : JSON.stringify(v, (_k, x: unknown) => (x instanceof Error ? { name: x.name, message: x.message, stack: x.stack } : x));
  }
  return out;
}

function fileWriter(path: string): (line: string) => void {
  mkdirSync(dirname(path), { recursive: true });
  // Synchronous appends: a span is on disk when it ends, so a test reads it without waiting.
  return (line) => appendFileSync(path, line + '\n');
}

function hrTimeMs([s, ns]: [number, number]): number {
  return s * 1000 + ns / 1e6;
}
