/**
 * One invocation, exactly as the Azure Functions Node.js worker performs it (azure-functions-nodejs-worker,
 * src/eventHandlers/InvocationHandler.ts): the programming model that `@azure/functions` registered
 * builds the handler's arguments from the RPC request (`getArguments`), the preInvocation hooks may
 * replace the inputs and the handler, the model calls the handler (`invokeFunction`), the
 * postInvocation hooks see and may replace the result or the error, and the model turns the result
 * into the RPC response (`getResponse`). Every trigger kind the local runtime serves goes through
 * here, so a conversion the library makes differently from what we expect fails locally first.
 */
import { randomUUID } from 'node:crypto';
import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import type { CoreLogCategory, CoreLogEntry, CoreLogLevel, FunctionsCoreShim, Registration } from '../functions-core';
import { readOnly } from '../functions-core';
import type { RpcInvocationRequest, RpcInvocationResponse, RpcParameterBinding, RpcTraceContext, RpcTypedData } from './rpc';

/** What the local runtime knows of one invocation; the rest of the RPC request is filled in here. */
export interface InvocationInput {
  /** The trigger's value, as the host converts it for the worker. */
  readonly trigger: RpcTypedData;
  /** The host's binding data for the trigger, PascalCase keys as the extension names them. */
  readonly triggerMetadata?: Record<string, RpcTypedData>;
  readonly traceContext?: RpcTraceContext;
  readonly invocationId?: string;
}

export interface InvocationOptions {
  readonly core: FunctionsCoreShim;
  /** Where the invocation's log lines go, after the log hooks (user and system categories). */
  readonly log: (entry: CoreLogEntry) => void;
}

/** The invocation's RPC request, in the shape the worker hands to the programming model. */
export function invocationRequest(registration: Registration, input: InvocationInput): RpcInvocationRequest {
  const trigger: RpcParameterBinding = { name: registration.trigger.name as string, data: input.trigger };
  return {
    invocationId: input.invocationId ?? randomUUID(),
    functionId: registration.name,
    inputData: [trigger],
    triggerMetadata: input.triggerMetadata ?? {},
    traceContext: input.traceContext ?? newTraceContext(),
  };
}

type InvocationState = 'preInvocationHooks' | 'invocation' | 'postInvocationHooks' | undefined;

/** The library's `InvocationModel` (its `ProgrammingModel.getInvocationModel`), typed as far as we use it. */
interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], handler: (...args: unknown[]) => unknown): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}

interface ProgrammingModelWithInvocation {
  getInvocationModel(coreCtx: unknown): InvocationModel | Promise<InvocationModel>;
}

/**
 * Invokes a registered function with an RPC request and returns the RPC response. A handler (or
 * hook) that throws rejects, as the worker then fails the invocation.
 */
export async function invokeAsWorker(
  registration: Registration,
  request: RpcInvocationRequest,
  opts: InvocationOptions,
): Promise<RpcInvocationResponse> {
  const model = opts.core.programmingModel() as unknown as ProgrammingModelWithInvocation | undefined;
  if (!model?.getInvocationModel) {
    throw new Error('No programming model is set: @azure/functions registers one with its first function.');
  }
  const hookData: Record<string, unknown> = {};
  // The log hooks see the invocation's context once the model has built it.
  const logScope: { hookData: Record<string, unknown>; invocationContext?: unknown } = { hookData };
  const coreCtx = {
    invocationId: request.invocationId,
    request,
    metadata: registration.metadata,
    state: undefined as InvocationState,
    log(level: CoreLogLevel, category: CoreLogCategory, message: string) {
      const entry = opts.core.applyLogHooks({ level, category, message }, logScope);
      if (entry.level !== 'none') opts.log(entry);
    },
  };
  const invocation = await model.getInvocationModel(coreCtx);
  const { context, inputs } = await invocation.getArguments();
  logScope.invocationContext = context;
  const scope: PropertyDescriptorMap = {
    hookData: readOnly('hookData', hookData),
    appHookData: readOnly('appHookData', opts.core.appHookData),
    invocationContext: readOnly('invocationContext', context),
  };

  const pre = Object.defineProperties({ inputs, functionCallback: registration.handler }, scope);
  coreCtx.state = 'preInvocationHooks';
  try {
    await opts.core.runHooks('preInvocation', pre);
  } finally {
    coreCtx.state = undefined;
  }

  const post = Object.defineProperties({ inputs: pre.inputs, result: null as unknown, error: null as unknown }, scope);
  coreCtx.state = 'invocation';
  try {
    post.result = await invocation.invokeFunction(context, pre.inputs, pre.functionCallback);
  } catch (err) {
    post.error = err;
  } finally {
    coreCtx.state = undefined;
  }

  coreCtx.state = 'postInvocationHooks';
  try {
    await opts.core.runHooks('postInvocation', post);
  } finally {
    coreCtx.state = undefined;
  }
  // The worker's `isError`: anything but null and undefined fails the invocation.
  if (post.error !== null && post.error !== undefined) throw post.error;
  return invocation.getResponse(context, post.result);
}

/**
 * 32 random hex digits (less a UUID's version and variant bits). randomUUID draws on a cached
 * entropy pool; two randomBytes calls per request cost ≈ 2 % of a point read's CPU.
 */
export const randomHex = (): string => randomUUID().replaceAll('-', '');

/** A valid W3C `traceparent` (version 00), with its trace id and flags captured. */
const W3C_TRACEPARENT = /^00-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})$/;

/** A new W3C trace, or a new span of the caller's when it sent a valid `traceparent`. */
export function newTraceContext(traceparent?: string, tracestate?: string): RpcTraceContext {
  const incoming = W3C_TRACEPARENT.exec(traceparent ?? '');
  const traceId = incoming?.[1] ?? randomHex();
  const flags = incoming?.[2] ?? '00';
  return { traceParent: `00-${traceId}-${randomHex().slice(16)}-${flags}`, traceState: tracestate ?? '', attributes: {} };
}

/** What the host knows of the invocation it traces: its trigger's kind and the caller's trace. */
export interface HostSpanOptions {
  /** The function's name (the host's span name for an invocation). */
  readonly name: string;
  readonly kind: 'http' | 'serviceBus';
  /** The caller's W3C trace context: the request's `traceparent` header, the message's `Diagnostic-Id`. */
  readonly traceparent?: string;
  readonly tracestate?: string;
  readonly attributes?: Attributes;
}

/**
 * Runs one invocation inside the host's span for it, as the Azure Functions host does with
 * `telemetryMode: OpenTelemetry` (azure-functions-host, src/WebJobs.Script/Diagnostics/OpenTelemetry,
 * and learn.microsoft.com/azure/azure-functions/opentelemetry-howto): the host starts the
 * invocation's span as a child of the trigger's trace context — the HTTP request's `traceparent`
 * header, a Service Bus message's `Diagnostic-Id` application property, which the Service Bus
 * extension reads — and sends that span's context to the worker as `RpcTraceContext`, which
 * `@azure/functions-opentelemetry-instrumentation` makes the handler's active context. The local
 * host is in the app's process, so its span goes to the app's exporter. With telemetry off no span
 * records, and the invocation gets a new span id of the caller's trace as before.
 */
export async function withHostSpan<T>(opts: HostSpanOptions, run: (traceContext: RpcTraceContext) => Promise<T>): Promise<T> {
  const parent = W3C_TRACEPARENT.test(opts.traceparent ?? '')
    ? propagation.extract(ROOT_CONTEXT, {
        traceparent: opts.traceparent,
        ...(opts.tracestate ? { tracestate: opts.tracestate } : {}),
      })
    : ROOT_CONTEXT;
  const span = trace.getTracer('algesta.local-host').startSpan(
    opts.name,
    {
      kind: opts.kind === 'http' ? SpanKind.SERVER : SpanKind.CONSUMER,
      attributes: { 'faas.trigger': opts.kind === 'http' ? 'http' : 'pubsub', ...opts.attributes },
    },
    parent,
  );
  if (!span.isRecording()) return run(newTraceContext(opts.traceparent, opts.tracestate));
  const { traceId, spanId, traceFlags } = span.spanContext();
  const traceContext: RpcTraceContext = {
    traceParent: `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`,
    traceState: opts.tracestate ?? '',
    attributes: {},
  };
  try {
    return await run(traceContext);
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    span.end();
  }
}
