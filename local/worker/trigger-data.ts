/**
 * The RPC data the Functions host sends the worker for the non-HTTP triggers the local runtime
 * serves, in the host's shapes, so that `@azure/functions` converts it as it does in Azure:
 *
 * - Values: the host's `ToRpc` (azure-functions-host, src/WebJobs.Script.Grpc/MessageExtensions/
 *   RpcMessageConversionExtensions.cs) sends a string as `string`, a byte array as `bytes`, and any
 *   other object — numbers, dates, dictionaries, lists — as `json` (Newtonsoft's
 *   `JsonConvert.SerializeObject`). The library then parses `json`, and *tries* to parse `string` as
 *   JSON too (`fromRpcTypedData`'s `tryJsonParse`), so a string that looks like JSON arrives parsed.
 * - Trigger metadata: the extension's binding data with its PascalCase names; null values are left
 *   out (`ScriptInvocationContextExtensions.ToRpcInvocationRequest`). The library camel-cases the
 *   keys, and the keys of nested objects, for every trigger but HTTP and timer
 *   (`fromRpcTriggerMetadata`, `toCamelCaseValue`).
 */
import type { RpcTypedData } from './rpc';
import type { InvocationInput } from './invoke';

/** A Service Bus message as the local bus delivers it (the fields the host's binding data reads). */
export interface BusDelivery {
  readonly messageId: string;
  /** What the publisher gave `sendMessages`: the SDK sends a non-Buffer body as its JSON text. */
  readonly body: unknown;
  readonly applicationProperties: Readonly<Record<string, unknown>>;
  readonly deliveryCount: number;
  readonly enqueuedTimeUtc?: Date;
  readonly contentType?: string;
  readonly subject?: string;
  readonly correlationId?: string;
}

/**
 * A `serviceBusTrigger` invocation with cardinality `one`. The body: the extension binds the
 * message for a script worker as its UTF-8 text (a `string`), and `@azure/service-bus` encodes a
 * body that is not a Buffer as `JSON.stringify(body)` (its default data transformer), so a JSON
 * event arrives as its text and the library parses it. Binding data: the members of the v5
 * extension's binding contract (azure-sdk-for-net, Microsoft.Azure.WebJobs.Extensions.ServiceBus,
 * `ServiceBusTriggerBindingStrategy.CreateBindingDataContract`) that a local delivery has.
 */
export function serviceBusInvocation(message: BusDelivery): InvocationInput {
  const text = isBytes(message.body) ? Buffer.from(message.body).toString('utf8') : JSON.stringify(message.body ?? null);
  const metadata: Record<string, RpcTypedData> = {
    DeliveryCount: json(message.deliveryCount),
    MessageId: { string: message.messageId },
    ApplicationProperties: json(message.applicationProperties),
    // "for backcompat", as the extension says: the same dictionary again.
    UserProperties: json(message.applicationProperties),
  };
  if (message.enqueuedTimeUtc) {
    metadata.EnqueuedTimeUtc = json(dotNetUtcDateTime(message.enqueuedTimeUtc));
    metadata.EnqueuedTime = json(dotNetDateTimeOffset(message.enqueuedTimeUtc));
  }
  if (message.contentType) metadata.ContentType = { string: message.contentType };
  if (message.subject) {
    metadata.Subject = { string: message.subject };
    metadata.Label = { string: message.subject };
  }
  if (message.correlationId) metadata.CorrelationId = { string: message.correlationId };
  return { trigger: { string: text }, triggerMetadata: metadata };
}

/** A `cosmosDBTrigger` invocation: the changed documents as one JSON array. */
export function cosmosInvocation(documents: readonly unknown[]): InvocationInput {
  return { trigger: json(documents), triggerMetadata: {} };
}

/** What the timer extension knows of a schedule run (`TimerInfo`). */
export interface TimerRun {
  readonly isPastDue: boolean;
  readonly last?: Date;
  readonly next?: Date;
  readonly lastUpdated?: Date;
}

/**
 * A `timerTrigger` invocation: `TimerInfo` serialised by Newtonsoft, PascalCase; the library
 * camel-cases it (`toCamelCaseValue`) into `{ schedule, scheduleStatus, isPastDue }`.
 */
export function timerInvocation(run: TimerRun): InvocationInput {
  const status = run.last || run.next || run.lastUpdated;
  const info = {
    Schedule: { AdjustForDST: true },
    ScheduleStatus: status
      ? {
          Last: run.last ? dotNetUtcDateTime(run.last) : '0001-01-01T00:00:00',
          Next: run.next ? dotNetUtcDateTime(run.next) : '0001-01-01T00:00:00',
          LastUpdated: run.lastUpdated ? dotNetUtcDateTime(run.lastUpdated) : '0001-01-01T00:00:00',
        }
      : null,
    IsPastDue: run.isPastDue,
  };
  return { trigger: json(info), triggerMetadata: {} };
}

function json(value: unknown): RpcTypedData {
  return { json: JSON.stringify(value) };
}

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

/**
 * A UTC `DateTime` as Newtonsoft writes it (ISO 8601, `FFFFFFF` fraction: trailing zeros and an
 * empty fraction dropped), e.g. `2026-12-03T08:05:40.12Z`.
 */
export function dotNetUtcDateTime(date: Date): string {
  return `${trimFraction(date.toISOString().slice(0, -1))}Z`;
}

/** A `DateTimeOffset` at offset zero as Newtonsoft writes it, e.g. `2026-12-03T08:05:40.12+00:00`. */
export function dotNetDateTimeOffset(date: Date): string {
  return `${trimFraction(date.toISOString().slice(0, -1))}+00:00`;
}

function trimFraction(isoWithoutZone: string): string {
  const [seconds, fraction = ''] = isoWithoutZone.split('.');
  const digits = fraction.replace(/0+$/, '');
  return digits ? `${seconds}.${digits}` : seconds!;
}
