/**
 * Telemetry as the rest of the code sees it, without loading OpenTelemetry: which exporter the
 * settings ask for, the active trace ids for the logger, and the app's metric instruments. The SDK
 * itself (`./telemetry-sdk`) is imported only by `startTelemetry`, and only when a connection string
 * or a local exporter is configured, so a cold start without telemetry loads none of it
 * (docs/performance.md). Until then, and for good when telemetry is off, the trace reader returns
 * nothing and the instruments do nothing.
 */

/** Where spans, metrics and OTel log records go (docs/operations.md, "Tracing"). */
export type TelemetryExporter =
  | { readonly kind: 'none' }
  /** Application Insights through `@azure/monitor-opentelemetry` (Azure). */
  | { readonly kind: 'azure-monitor'; readonly connectionString: string; readonly authentication?: string }
  /** Each finished span and each metric export as a JSON line on stdout. */
  | { readonly kind: 'console'; readonly metricIntervalMs: number }
  /** Each finished span and each metric export as a JSON line appended to a file (tests, `npm start`). */
  | { readonly kind: 'file'; readonly path: string; readonly metricIntervalMs: number };

/** The exporter the environment asks for: the connection string wins; else `OTEL_TRACES_EXPORTER`. */
export function telemetryExporterOf(env: Readonly<Record<string, string | undefined>>): TelemetryExporter {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
  if (connectionString) {
    const authentication = env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING?.trim();
    return { kind: 'azure-monitor', connectionString, ...(authentication ? { authentication } : {}) };
  }
  const metricIntervalMs = Number(env.OTEL_METRIC_EXPORT_INTERVAL) > 0 ? Number(env.OTEL_METRIC_EXPORT_INTERVAL) : 60_000;
  const kind = env.OTEL_TRACES_EXPORTER?.trim() || 'none';
  if (kind === 'console') return { kind, metricIntervalMs };
  if (kind === 'file') {
    const path = env.OTEL_EXPORTER_FILE?.trim();
    if (!path) throw new Error('OTEL_TRACES_EXPORTER=file needs OTEL_EXPORTER_FILE (the JSON-lines file to append to)');
    return { kind, path, metricIntervalMs };
  }
  if (kind === 'none') return { kind };
  throw new Error(`OTEL_TRACES_EXPORTER must be none, console or file, not ${kind}`);
}

/** The span a log line was written in: Application Insights' operation id is the trace id. */
export interface ActiveTrace {
  readonly traceId: string;
  readonly spanId: string;
}

/** The app's own metrics (docs/operations.md, "Metrics"); attributes are low-cardinality. */
export interface AppInstruments {
  /** An order entered `state` (create or transition). */
  orderEnteredState(state: string): void;
  /** An order's SLA deadline passed (`clock`: response or resolution). */
  slaBreached(attributes: { readonly clock: string; readonly priority: string }): void;
  /** A message will be dead-lettered: its last delivery failed. */
  deadLettered(attributes: { readonly consumer: string; readonly eventType: string }): void;
  /** A partner call failed (`kind`: unavailable = retried later, rejected = refused for good). */
  partnerFailed(attributes: { readonly partner: string; readonly kind: 'unavailable' | 'rejected' }): void;
  /**
   * A partner's circuit breaker, watched: `isOpen` is read at each metric export and reported as
   * `algesta.partner.circuit_open` (1 while the circuit is not closed, else 0), so an alert can ask
   * whether it stayed open across five minutes. One breaker per partner and process: a later
   * registration for the same partner replaces the earlier one.
   */
  watchCircuit(partner: string, isOpen: () => boolean): void;
  /** A Service Bus delivery reached its consumer `lagSeconds` after the message was due. */
  messageDelivered(attributes: { readonly consumer: string; readonly lagSeconds: number }): void;
  /** The outbox sweep found `unrelayed` events in `container`, the oldest written `oldestAgeSeconds` ago. */
  outboxBacklog(attributes: { readonly container: string; readonly unrelayed: number; readonly oldestAgeSeconds: number }): void;
}

/**
 * The watched breakers, kept here rather than in the SDK: a policy may be created before telemetry
 * starts, and the gauge reads whatever is registered when it is exported.
 */
const circuits = new Map<string, () => boolean>();

/** Each watched partner and whether its circuit is open now (the gauge's callback). */
export function circuitStates(): { partner: string; open: boolean }[] {
  return [...circuits].map(([partner, isOpen]) => ({ partner, open: isOpen() }));
}

const NO_INSTRUMENTS: AppInstruments = {
  orderEnteredState: () => undefined,
  slaBreached: () => undefined,
  deadLettered: () => undefined,
  partnerFailed: () => undefined,
  watchCircuit: () => undefined,
  messageDelivered: () => undefined,
  outboxBacklog: () => undefined,
};

/** What a started SDK hands back: the live implementations of the slots above. */
export interface TelemetryRuntime {
  readonly activeTrace: () => ActiveTrace | undefined;
  readonly instruments: AppInstruments;
  /** The active context's W3C `traceparent`, when a span is active. */
  readonly traceparent: () => string | undefined;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

const state: { runtime?: TelemetryRuntime; starting?: Promise<TelemetryRuntime | undefined> } = {};

/** The trace and span the caller runs in, when telemetry is on and a span is active. */
export function activeTrace(): ActiveTrace | undefined {
  return state.runtime?.activeTrace();
}

/** The active span's `traceparent` when telemetry is on; else undefined. */
export function activeTraceparent(): string | undefined {
  return state.runtime?.traceparent();
}

/** The app's instruments: the OTel meters once telemetry has started, no-ops otherwise. */
export const instruments: AppInstruments = {
  orderEnteredState: (s) => (state.runtime?.instruments ?? NO_INSTRUMENTS).orderEnteredState(s),
  slaBreached: (a) => (state.runtime?.instruments ?? NO_INSTRUMENTS).slaBreached(a),
  deadLettered: (a) => (state.runtime?.instruments ?? NO_INSTRUMENTS).deadLettered(a),
  partnerFailed: (a) => (state.runtime?.instruments ?? NO_INSTRUMENTS).partnerFailed(a),
  watchCircuit: (partner, isOpen) => void circuits.set(partner, isOpen),
  messageDelivered: (a) => (state.runtime?.instruments ?? NO_INSTRUMENTS).messageDelivered(a),
  outboxBacklog: (a) => (state.runtime?.instruments ?? NO_INSTRUMENTS).outboxBacklog(a),
};

/**
 * Starts OpenTelemetry once per process when the environment asks for it: the SDK is imported
 * here, on demand. Call it before the first Azure SDK is imported (the composition root imports
 * them on first use), so the Azure SDK and HTTP instrumentations see those modules load.
 * `azureFunctions` is the loaded `@azure/functions` module, which the Functions instrumentation
 * hooks (its invocations then run in the host's trace context).
 */
export function startTelemetry(
  env: Readonly<Record<string, string | undefined>>,
  azureFunctions: unknown,
): Promise<TelemetryRuntime | undefined> {
  state.starting ??= (async () => {
    const exporter = telemetryExporterOf(env);
    if (exporter.kind === 'none') return undefined;
    const { startOpenTelemetry } = await import('./telemetry-sdk');
    state.runtime = await startOpenTelemetry(exporter, azureFunctions);
    return state.runtime;
  })();
  return state.starting;
}

/** Exports what is buffered (tests read the file exporter's output after this). */
export async function flushTelemetry(): Promise<void> {
  await state.runtime?.flush();
}
