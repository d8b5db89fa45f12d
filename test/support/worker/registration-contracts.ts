/**
 * Deploy-time contracts of the Functions registrations: what the Azure Functions host (4.x) and the
 * extension bundle `[4.*, 5.0.0)` accept, written down from Microsoft's documentation and the
 * host's source — never from this project's code. Each checker takes plain data (the registrations
 * as `@azure/functions` hands them to the worker, the app settings, host.json) and returns its
 * findings, one line each; an empty list means the contract holds. The tests feed them the real
 * bundle and infra/, and deliberately broken inputs to show that each rule bites.
 *
 * Sources (the rule each one backs is cited again where it is applied):
 *
 * [worker]    azure-functions-nodejs-worker, src/coreApi/registerFunction.ts: the host receives
 *             `rawBindings`, one JSON object per binding, `{ ...binding, name: <key> }` — the key of
 *             the library's `bindings` record is the binding name the host sees.
 *             src/coreApi/converters/fromCoreFunctionMetadata.ts: direction in|out|inout; dataType
 *             binary|stream|string|undefined.
 * [context]   azure-functions-host, src/WebJobs.Script/Extensibility/ScriptBindingContext.cs: the keys
 *             the host itself reads from every binding: type, name, direction, dataType, cardinality,
 *             properties (the deferred-binding flag `supportsDeferredBinding` lives there); a binding
 *             is a trigger when its type ends with "trigger".
 * [utility]   azure-functions-host, src/WebJobs.Script/Utility.cs: FunctionNameValidationRegex
 *             `^[a-z][a-z0-9_\-]{0,127}$(?<!^host$)` (IgnoreCase | CultureInvariant);
 *             BindingNameValidationRegex `^([a-zA-Z][a-zA-Z0-9]{0,127}|\$return)$`; ValidateBinding:
 *             a `$return` binding must have direction out; FunctionNamesMatch compares
 *             OrdinalIgnoreCase.
 * [manager]   azure-functions-host, src/WebJobs.Script/Host/FunctionMetadataManager.cs: functions are
 *             looked up by name in a map with StringComparer.OrdinalIgnoreCase, so two names that differ
 *             only in case are one function to the host.
 * [validate]  azure-functions-host, WorkerFunctionMetadataProvider.ValidateBindings /
 *             FunctionDescriptorProvider.ValidateFunction: "No trigger binding specified. A function
 *             must have a trigger input binding."; binding names unique.
 *             https://learn.microsoft.com/azure/azure-functions/functions-triggers-bindings
 *             ("A function must have exactly one trigger").
 * [http]      https://learn.microsoft.com/azure/azure-functions/functions-bindings-http-webhook-trigger
 *             (Configuration: type, direction, name, authLevel, methods, route; webHookType is
 *             Functions 1.x only; Authorization level: anonymous | function | admin) and
 *             functions-bindings-http-webhook-output (type http, direction out, name).
 *             HTTP methods: the `HttpMethod` type of @azure/functions
 *             (https://learn.microsoft.com/javascript/api/@azure/functions/httpmethod).
 *             Route templates: ASP.NET Core routing, "Route template reference" and "Route constraint
 *             reference" (https://learn.microsoft.com/aspnet/core/fundamentals/routing).
 * [timer]     https://learn.microsoft.com/azure/azure-functions/functions-bindings-timer
 *             (Configuration: schedule, runOnStartup, useMonitor; "NCRONTAB expressions": six fields
 *             `{second} {minute} {hour} {day} {month} {day-of-week}`, day-of-week 0-6 from Sunday,
 *             English names case-insensitive and abbreviable; a TimeSpan schedule only on an App
 *             Service plan; runOnStartup "should rarely if ever be set to true, especially in
 *             production"). The grammar itself is NCrontab's (github.com/atifaziz/NCrontab,
 *             NCrontab/CrontabFieldImpl.cs: lists with `,`, steps with `/`, `*`, ranges with `-`,
 *             field bounds 0-59, 0-59, 0-23, 1-31, 1-12, 0-6).
 * [cosmos]    https://learn.microsoft.com/azure/azure-functions/functions-bindings-cosmosdb-v2-trigger
 *             (Configuration, tab "Extension 4.x+": connection, databaseName, containerName,
 *             leaseConnection, leaseDatabaseName, leaseContainerName, createLeaseContainerIfNotExists,
 *             leasesContainerThroughput, leaseContainerPrefix, feedPollDelay, leaseAcquireInterval,
 *             leaseExpirationInterval, leaseRenewInterval, maxItemsPerInvocation, startFromBeginning,
 *             startFromTime, preferredLocations; "Functions 2.x+" tab: the 3.x names collectionName,
 *             leaseCollectionName, connectionStringSetting... which the 4.x extension does not read;
 *             with Microsoft Entra identities createLeaseContainerIfNotExists=true keeps the function
 *             from starting; functions watching the same container need their own lease container or
 *             prefix).
 * [bus]       https://learn.microsoft.com/azure/azure-functions/functions-bindings-service-bus-trigger
 *             (Configuration: queueName, or topicName + subscriptionName, connection,
 *             isSessionsEnabled; accessRights is Functions 1.x only) and the extension's own
 *             attribute, azure-sdk-for-net sdk/servicebus/Microsoft.Azure.WebJobs.Extensions.ServiceBus/
 *             src/ServiceBusTriggerAttribute.cs (QueueName, TopicName, SubscriptionName, Connection,
 *             IsSessionsEnabled, AutoCompleteMessages — 5.x reads `autoCompleteMessages`, not the 4.x
 *             `autoComplete`); `cardinality` one|many and `sdkBinding` from
 *             https://learn.microsoft.com/javascript/api/@azure/functions/servicebustopictriggeroptions.
 * [retry]     https://learn.microsoft.com/azure/azure-functions/functions-bindings-error-pages
 *             (Retries: retry policies for Timer, Azure Cosmos DB, Event Hubs and Kafka triggers;
 *             Service Bus retries come from the extension, not from a retry policy;
 *             strategies fixedDelay | exponentialBackoff, maxRetryCount -1 for unlimited).
 * [identity]  https://learn.microsoft.com/azure/azure-functions/functions-reference#configure-an-identity-based-connection
 *             and the Connections sections of the Service Bus and Cosmos DB trigger pages: an
 *             identity-based connection is a setting prefix; Service Bus needs
 *             `<CONNECTION>__fullyQualifiedNamespace` (`<namespace>.servicebus.windows.net`), Cosmos DB
 *             `<CONNECTION>__accountEndpoint` (`https://<account>.documents.azure.com:443/`); a
 *             user-assigned identity is chosen with `__credential` = `managedidentity` and
 *             `__clientId` ("configuring a user-assigned identity with a resource ID is not
 *             supported"); "If the configured value is both an exact match for a single setting and a
 *             prefix match for other settings, the exact match is used" (a setting named like the
 *             connection turns it into a connection string); host storage:
 *             "Connecting to host storage with an identity" (`AzureWebJobsStorage__accountName` or
 *             `__blobServiceUri`).
 * [hostjson]  https://learn.microsoft.com/azure/azure-functions/functions-host-json (version "2.0"
 *             required; the top-level keys of the 2.x sample; logging.logLevel, logging.
 *             applicationInsights.samplingSettings; extensions.http.routePrefix; extensions.serviceBus
 *             for extension 5.x; `functions` is "intended for use only when running locally"), the
 *             JSON schema it names (json.schemastore.org/host.json, used as a cross-reference for key
 *             spellings), https://learn.microsoft.com/azure/azure-functions/extension-bundles (id
 *             Microsoft.Azure.Functions.ExtensionBundle, interval notation; bundle 4.x carries Cosmos DB
 *             extension 4.x and Service Bus extension 5.x, per the bundle release notes), and
 *             "Function app timeout duration" (functionTimeout on Flex Consumption: default 30
 *             minutes, no maximum; 230 s is the longest an HTTP trigger can take to respond).
 */
import { z } from 'zod';

/** One registration as `@azure/functions` hands it to the worker's `registerFunction`. */
export interface Registration {
  readonly name: string;
  readonly bindings: Readonly<
    Record<string, { readonly type: string; readonly direction: string; readonly [k: string]: unknown }>
  >;
  readonly retryOptions?: unknown;
}

/** A binding as the host receives it: the worker sends `{ ...binding, name: <key> }` [worker]. */
export type RawBinding = Readonly<Record<string, unknown>> & { readonly name: string };

export function rawBindings(fn: Registration): RawBinding[] {
  return Object.entries(fn.bindings).map(([key, binding]) => ({ ...binding, name: key }));
}

// ---------------------------------------------------------------- values

type Check = (value: unknown) => string | undefined;

const isString: Check = (v) => (typeof v === 'string' && v !== '' ? undefined : 'a non-empty string');
const isBoolean: Check = (v) => (typeof v === 'boolean' ? undefined : 'true or false');
const positiveInteger: Check = (v) => (Number.isInteger(v) && (v as number) > 0 ? undefined : 'a positive integer');
const nonNegativeInteger: Check = (v) => (Number.isInteger(v) && (v as number) >= 0 ? undefined : 'an integer ≥ 0');
const oneOf =
  (...values: string[]): Check =>
  (v) =>
    typeof v === 'string' && values.includes(v) ? undefined : `one of ${values.join(' | ')}`;
const iso8601: Check = (v) =>
  typeof v === 'string' &&
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) &&
  !Number.isNaN(Date.parse(v))
    ? undefined
    : 'an ISO 8601 date and time such as 2021-02-16T14:19:29Z';

/** [http] the `HttpMethod` values of @azure/functions. */
export const HTTP_METHODS = ['GET', 'POST', 'DELETE', 'HEAD', 'PATCH', 'PUT', 'OPTIONS', 'TRACE', 'CONNECT'] as const;

const httpMethods: Check = (v) => {
  if (!Array.isArray(v) || v.length === 0) return 'a non-empty array of HTTP methods';
  const bad = v.filter((m) => typeof m !== 'string' || !(HTTP_METHODS as readonly string[]).includes(m.toUpperCase()));
  if (bad.length) return `HTTP methods (${HTTP_METHODS.join(', ')}); not ${JSON.stringify(bad)}`;
  const upper = v.map((m) => String(m).toUpperCase());
  if (new Set(upper).size !== upper.length) return 'HTTP methods without repeats';
  return undefined;
};

const routeTemplate: Check = (v) => {
  if (typeof v !== 'string') return 'a route template (string)';
  const problems = routeTemplateProblems(v);
  return problems.length ? `a valid ASP.NET Core route template: ${problems.join('; ')}` : undefined;
};

const ncrontab: Check = (v) => {
  if (typeof v !== 'string') return 'an NCRONTAB expression (string)';
  const problems = ncrontabProblems(v);
  return problems.length ? `a six-field NCRONTAB expression: ${problems.join('; ')}` : undefined;
};

// ---------------------------------------------------------------- binding contracts

interface BindingContract {
  readonly direction: 'in' | 'out';
  /** Documented properties besides the host's own keys, each with its value check. */
  readonly properties: Readonly<Record<string, Check>>;
  readonly required: readonly string[];
  /** Names from other versions that this version does not read, and what to use instead. */
  readonly replaced?: Readonly<Record<string, string>>;
  /** Rules across properties. */
  readonly rules?: (b: RawBinding) => string[];
}

/** [context] [worker] keys the host reads from every binding, whatever its type. */
const HOST_KEYS = ['type', 'name', 'direction', 'dataType', 'properties'] as const;

const COSMOS_V3_NAMES: Readonly<Record<string, string>> = {
  collectionName: 'containerName',
  leaseCollectionName: 'leaseContainerName',
  connectionStringSetting: 'connection',
  leaseConnectionStringSetting: 'leaseConnection',
  createLeaseCollectionIfNotExists: 'createLeaseContainerIfNotExists',
  leasesCollectionThroughput: 'leasesContainerThroughput',
  leaseCollectionPrefix: 'leaseContainerPrefix',
  checkpointInterval: 'nothing (removed in extension 4.x)',
  checkpointDocumentCount: 'nothing (removed in extension 4.x)',
};

export const BINDING_CONTRACTS: Readonly<Record<string, BindingContract>> = {
  // [http]
  httpTrigger: {
    direction: 'in',
    properties: { authLevel: oneOf('anonymous', 'function', 'admin'), methods: httpMethods, route: routeTemplate },
    required: [],
    replaced: { webHookType: 'nothing (webhook mode is Functions 1.x only)' },
  },
  http: { direction: 'out', properties: {}, required: [] },
  // [timer]
  timerTrigger: {
    direction: 'in',
    properties: { schedule: ncrontab, runOnStartup: isBoolean, useMonitor: isBoolean },
    required: ['schedule'],
    rules: (b) =>
      b.runOnStartup === true
        ? ['runOnStartup is true: the documentation recommends against it in production (it runs at every scale-out and restart)']
        : [],
  },
  // [cosmos]
  cosmosDBTrigger: {
    direction: 'in',
    properties: {
      connection: isString,
      databaseName: isString,
      containerName: isString,
      leaseConnection: isString,
      leaseDatabaseName: isString,
      leaseContainerName: isString,
      createLeaseContainerIfNotExists: isBoolean,
      leasesContainerThroughput: positiveInteger,
      leaseContainerPrefix: isString,
      feedPollDelay: nonNegativeInteger,
      leaseAcquireInterval: positiveInteger,
      leaseExpirationInterval: positiveInteger,
      leaseRenewInterval: positiveInteger,
      maxItemsPerInvocation: positiveInteger,
      startFromBeginning: isBoolean,
      startFromTime: iso8601,
      preferredLocations: isString,
    },
    required: ['connection', 'databaseName', 'containerName'],
    replaced: COSMOS_V3_NAMES,
  },
  // [bus]
  serviceBusTrigger: {
    direction: 'in',
    properties: {
      connection: isString,
      queueName: isString,
      topicName: isString,
      subscriptionName: isString,
      isSessionsEnabled: isBoolean,
      autoCompleteMessages: isBoolean,
      cardinality: oneOf('one', 'many'),
      sdkBinding: isBoolean,
    },
    required: ['connection'],
    replaced: {
      accessRights: 'nothing (Functions 1.x only)',
      autoComplete: 'autoCompleteMessages (the name extension 5.x reads)',
    },
    rules: (b) => {
      const queue = b.queueName !== undefined;
      const topic = b.topicName !== undefined || b.subscriptionName !== undefined;
      if (queue && topic) return ['set queueName, or topicName and subscriptionName, not both'];
      if (!queue && !(b.topicName !== undefined && b.subscriptionName !== undefined))
        return ['needs queueName, or both topicName and subscriptionName'];
      return [];
    },
  },
};

/** [retry] triggers whose retries come from a retry policy on the function. */
const RETRY_POLICY_TRIGGERS = ['timerTrigger', 'cosmosDBTrigger', 'eventHubTrigger', 'kafkaTrigger'];

/** [utility] */
export const FUNCTION_NAME = /^[a-z][a-z0-9_-]{0,127}$/i;
const BINDING_NAME = /^([a-zA-Z][a-zA-Z0-9]{0,127}|\$return)$/;

const isTrigger = (b: RawBinding): boolean => typeof b.type === 'string' && b.type.toLowerCase().endsWith('trigger');

/** Every finding about one binding, prefixed with the function and binding names. */
export function bindingProblems(functionName: string, b: RawBinding): string[] {
  const where = `${functionName}/${b.name} (${String(b.type)})`;
  const out: string[] = [];
  if (!BINDING_NAME.test(b.name)) out.push(`${where}: binding name does not match ${BINDING_NAME.source} [utility]`);
  if (!['in', 'out', 'inout'].includes(String(b.direction)))
    out.push(`${where}: direction ${String(b.direction)} is not in | out | inout`);
  if (b.name === '$return' && b.direction !== 'out') out.push(`${where}: a $return binding must have direction out`);
  if (b.dataType !== undefined && !['binary', 'stream', 'string'].includes(String(b.dataType)))
    out.push(`${where}: dataType ${JSON.stringify(b.dataType)} is not binary | stream | string`);
  if (b.properties !== undefined) {
    const props = b.properties;
    if (typeof props !== 'object' || props === null || Array.isArray(props)) out.push(`${where}: properties is not an object`);
    else
      for (const [key, value] of Object.entries(props)) {
        if (key !== 'supportsDeferredBinding') out.push(`${where}: unknown key properties.${key}`);
        else if (value !== 'true' && value !== 'false')
          out.push(`${where}: properties.supportsDeferredBinding is ${JSON.stringify(value)}, not "true" | "false"`);
      }
  }

  const contract = typeof b.type === 'string' ? BINDING_CONTRACTS[b.type] : undefined;
  if (!contract) {
    const near = Object.keys(BINDING_CONTRACTS).find((t) => t.toLowerCase() === String(b.type).toLowerCase());
    out.push(
      near
        ? `${where}: binding type is spelled ${JSON.stringify(b.type)}; the documented name is ${near}`
        : `${where}: no contract for binding type ${JSON.stringify(b.type)} — add its documented properties to BINDING_CONTRACTS`,
    );
    return out;
  }
  if (b.direction !== contract.direction)
    out.push(`${where}: direction must be ${contract.direction}, not ${String(b.direction)}`);
  for (const key of Object.keys(b)) {
    if ((HOST_KEYS as readonly string[]).includes(key)) continue;
    if (key === 'cardinality' && !('cardinality' in contract.properties)) {
      out.push(`${where}: cardinality is not a setting of this binding type`);
      continue;
    }
    const check = contract.properties[key];
    if (check) {
      const wanted = check(b[key]);
      if (wanted) out.push(`${where}: ${key} must be ${wanted}; it is ${JSON.stringify(b[key])}`);
      continue;
    }
    const instead = contract.replaced?.[key];
    if (instead) {
      out.push(`${where}: ${key} is not read by this version; use ${instead}`);
      continue;
    }
    const caseOnly = Object.keys(contract.properties).find((p) => p.toLowerCase() === key.toLowerCase());
    out.push(
      caseOnly
        ? `${where}: ${key} is spelled differently from the documented ${caseOnly}`
        : `${where}: unknown property ${key} (documented: ${Object.keys(contract.properties).join(', ') || 'none'})`,
    );
  }
  for (const key of contract.required) if (b[key] === undefined) out.push(`${where}: required property ${key} is missing`);
  for (const rule of contract.rules?.(b) ?? []) out.push(`${where}: ${rule}`);
  return out;
}

/** Findings about one function: its name, its bindings, its retry policy. */
export function registrationProblems(fn: Registration): string[] {
  const out: string[] = [];
  if (!FUNCTION_NAME.test(fn.name) || fn.name.toLowerCase() === 'host')
    out.push(`${fn.name}: not a valid function name (${FUNCTION_NAME.source}, case-insensitive, not "host") [utility]`);
  const bindings = rawBindings(fn);
  const triggers = bindings.filter((b) => isTrigger(b) && b.direction === 'in');
  if (triggers.length !== 1)
    out.push(`${fn.name}: has ${triggers.length} trigger bindings; a function must have exactly one [validate]`);
  const names = bindings.map((b) => b.name.toLowerCase());
  for (const dupe of new Set(names.filter((n, i) => names.indexOf(n) !== i)))
    out.push(`${fn.name}: binding name ${dupe} is used twice (names compare ignoring case) [validate]`);
  for (const b of bindings) out.push(...bindingProblems(fn.name, b));
  if (fn.retryOptions !== undefined && fn.retryOptions !== null)
    out.push(...retryProblems(fn.name, triggers[0], fn.retryOptions));
  return out;
}

function retryProblems(name: string, trigger: RawBinding | undefined, retry: unknown): string[] {
  const out: string[] = [];
  const type = String(trigger?.type);
  if (!RETRY_POLICY_TRIGGERS.includes(type))
    out.push(`${name}: a retry policy on a ${type} is not supported (only ${RETRY_POLICY_TRIGGERS.join(', ')}) [retry]`);
  const r = (typeof retry === 'object' && retry !== null ? retry : {}) as Record<string, unknown>;
  const strategy = r.retryStrategy ?? r.strategy;
  if (strategy !== 'fixedDelay' && strategy !== 'exponentialBackoff')
    out.push(`${name}: retry strategy ${JSON.stringify(strategy)} is not fixedDelay | exponentialBackoff`);
  if (!Number.isInteger(r.maxRetryCount) || (r.maxRetryCount as number) < -1)
    out.push(`${name}: retry maxRetryCount ${JSON.stringify(r.maxRetryCount)} is not an integer ≥ -1`);
  return out;
}

/** [utility] [manager] names valid, and unique the way the host compares them (ignoring case). */
export function functionNameProblems(functions: readonly Registration[]): string[] {
  const out: string[] = [];
  const seen = new Map<string, string>();
  for (const fn of functions) {
    const key = fn.name.toUpperCase();
    const other = seen.get(key);
    if (other !== undefined) out.push(`${fn.name}: same name as ${other} for the host, which ignores case [manager]`);
    else seen.set(key, fn.name);
  }
  return out;
}

/** [cosmos] functions that share a lease container need their own prefix. */
export function leaseProblems(functions: readonly Registration[]): string[] {
  const out: string[] = [];
  const owners = new Map<string, string>();
  for (const fn of functions)
    for (const b of rawBindings(fn)) {
      if (b.type !== 'cosmosDBTrigger') continue;
      const lease = [
        b.leaseConnection ?? b.connection,
        b.leaseDatabaseName ?? b.databaseName,
        b.leaseContainerName ?? 'leases',
        b.leaseContainerPrefix ?? '',
      ].join('/');
      const other = owners.get(lease);
      if (other)
        out.push(
          `${fn.name}: shares its lease container and prefix with ${other}; give it its own leaseContainerPrefix [cosmos]`,
        );
      else owners.set(lease, fn.name);
    }
  return out;
}

// ---------------------------------------------------------------- NCRONTAB

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const CRON_FIELDS: readonly CronField[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: [
      'january',
      'february',
      'march',
      'april',
      'may',
      'june',
      'july',
      'august',
      'september',
      'october',
      'november',
      'december',
    ],
  },
  { name: 'day-of-week', min: 0, max: 6, names: ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] },
];

/** [timer] NCrontab's grammar, with seconds: findings for one schedule expression. */
export function ncrontabProblems(expression: string): string[] {
  const fields = expression.trim().split(/\s+/).filter(Boolean);
  if (fields.length !== 6)
    return [
      `"${expression}" has ${fields.length} fields; Azure Functions' NCRONTAB has six: {second} {minute} {hour} {day} {month} {day-of-week}`,
    ];
  const out: string[] = [];
  fields.forEach((text, i) => {
    const field = CRON_FIELDS[i]!;
    for (const part of text.split(',')) {
      const problem = cronPartProblem(part, field);
      if (problem) out.push(`${field.name} "${text}": ${problem}`);
    }
  });
  return out;
}

function cronPartProblem(part: string, field: CronField): string | undefined {
  if (part === '') return 'an empty list element';
  const [base = '', step, ...rest] = part.split('/');
  if (rest.length) return `"${part}" has more than one "/"`;
  if (step !== undefined && !(/^\d+$/.test(step) && Number(step) > 0)) return `step "${step}" is not a positive integer`;
  if (base === '*') return undefined;
  const bounds = base.split('-');
  if (bounds.length > 2) return `"${base}" is not a value or a range`;
  const values: number[] = [];
  for (const b of bounds) {
    const v = cronValue(b, field);
    if (typeof v === 'string') return v;
    values.push(v);
  }
  if (values.length === 2 && values[0]! > values[1]!) return `range "${base}" runs backwards`;
  return undefined;
}

function cronValue(text: string, field: CronField): number | string {
  if (/^\d+$/.test(text)) {
    const v = Number(text);
    return v >= field.min && v <= field.max ? v : `${v} is outside ${field.min}-${field.max}`;
  }
  // Names: English, case-insensitive, abbreviated (three letters or more, so that they are unambiguous).
  const lower = text.toLowerCase();
  const index = field.names && lower.length >= 3 ? field.names.findIndex((n) => n.startsWith(lower)) : -1;
  if (index >= 0) return index + field.min;
  return field.names ? `"${text}" is neither a number nor a ${field.name} name` : `"${text}" is not a number`;
}

// ---------------------------------------------------------------- route templates

/** ASP.NET Core's route constraints (Route constraint reference) [http]. */
const ROUTE_CONSTRAINTS = [
  'int',
  'bool',
  'datetime',
  'decimal',
  'double',
  'float',
  'guid',
  'long',
  'minlength',
  'maxlength',
  'length',
  'min',
  'max',
  'range',
  'alpha',
  'regex',
  'required',
  'file',
  'nonfile',
];

export function routeTemplateProblems(template: string): string[] {
  const out: string[] = [];
  if (template.startsWith('~')) out.push('starts with "~"');
  const segments = template.replace(/^\/+|\/+$/g, '').split('/');
  const names = new Set<string>();
  segments.forEach((segment, i) => {
    if (segment === '' && segments.length > 1) out.push('has an empty segment ("//")');
    let rest = segment;
    let previousWasParameter = false;
    while (rest.length) {
      if (rest.startsWith('{')) {
        if (previousWasParameter) out.push(`segment "${segment}" has two parameters with nothing between them`);
        const end = rest.indexOf('}');
        if (end < 0) {
          out.push(`segment "${segment}" has an unclosed "{"`);
          return;
        }
        const body = rest.slice(1, end);
        const m = /^(\*{1,2})?([^{}/?*=:]+)((?::[A-Za-z]+(?:\(.*?\))?)*)(=[^?]*)?(\?)?$/.exec(body);
        if (!m) out.push(`parameter "{${body}}" is not {name[:constraint][=default][?]}`);
        else {
          const [, star, name = '', constraints = ''] = m;
          if (names.has(name.toLowerCase())) out.push(`parameter "${name}" appears twice`);
          names.add(name.toLowerCase());
          if (star && i !== segments.length - 1) out.push(`catch-all "{${body}}" is not in the last segment`);
          for (const c of constraints.split(':').filter(Boolean)) {
            const cname = c.replace(/\(.*$/, '');
            if (!ROUTE_CONSTRAINTS.includes(cname.toLowerCase())) out.push(`unknown route constraint "${cname}"`);
          }
        }
        rest = rest.slice(end + 1);
        previousWasParameter = true;
      } else {
        const next = rest.indexOf('{');
        const literal = next < 0 ? rest : rest.slice(0, next);
        if (/[}?#]/.test(literal)) out.push(`segment "${segment}" has "}", "?" or "#" outside a parameter`);
        rest = next < 0 ? '' : rest.slice(next);
        previousWasParameter = false;
      }
    }
  });
  return out;
}

// ---------------------------------------------------------------- identity-based connections

/** An app setting as infra writes it: a literal, or an expression known only at deployment. */
export interface SettingValue {
  readonly literal?: string;
  /** The Bicep expression, when the value is known only at deployment. */
  readonly expression?: string;
  /** A representative value of the expression, when one can be derived. */
  readonly sample?: string;
}

export interface ConnectionContext {
  readonly settings: Readonly<Record<string, SettingValue>>;
  /** How infra writes the client ID of the user-assigned identity the app runs as. */
  readonly appIdentityClientId: string;
}

/** [identity] the setting that names the service of an identity-based connection, per trigger type. */
const ENDPOINTS: Readonly<Record<string, { readonly key: string; readonly form: RegExp; readonly example: string }>> = {
  serviceBusTrigger: {
    key: 'fullyQualifiedNamespace',
    form: /^[a-z0-9][a-z0-9-]*\.servicebus\.[a-z0-9.]+[a-z]$/i,
    example: '<namespace>.servicebus.windows.net',
  },
  cosmosDBTrigger: {
    key: 'accountEndpoint',
    form: /^https:\/\/[a-z0-9][a-z0-9-]*\.documents\.[a-z0-9.]+[a-z](:443)?\/?$/i,
    example: 'https://<account>.documents.azure.com:443/',
  },
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function identityProblems(where: string, prefix: string, ctx: ConnectionContext): string[] {
  const out: string[] = [];
  const s = ctx.settings;
  const credential = s[`${prefix}__credential`];
  if (credential?.literal?.toLowerCase() !== 'managedidentity')
    out.push(
      `${where}: ${prefix}__credential is ${credential ? JSON.stringify(credential.literal ?? credential.expression) : 'not set'}, not managedidentity`,
    );
  const clientId = s[`${prefix}__clientId`];
  if (!clientId) out.push(`${where}: no ${prefix}__clientId; without it the host uses a system-assigned identity`);
  else if (clientId.literal !== undefined ? !GUID.test(clientId.literal) : clientId.expression !== ctx.appIdentityClientId)
    out.push(
      `${where}: ${prefix}__clientId is ${clientId.literal ?? clientId.expression}, not the client ID of the identity the app runs as (${ctx.appIdentityClientId})`,
    );
  if (s[`${prefix}__managedIdentityResourceId`])
    out.push(
      `${where}: ${prefix}__managedIdentityResourceId is set; a user-assigned identity is named by __clientId, a resource ID is not supported`,
    );
  for (const shadow of [prefix, `AzureWebJobs${prefix}`])
    if (s[shadow]) out.push(`${where}: a setting named ${shadow} exists; an exact match wins over the ${prefix}__* prefix`);
  return out;
}

/** [identity] every `connection` of the registrations resolves to an identity-based connection. */
export function connectionProblems(functions: readonly Registration[], ctx: ConnectionContext): string[] {
  const out: string[] = [];
  for (const fn of functions)
    for (const b of rawBindings(fn)) {
      const endpoint = ENDPOINTS[String(b.type)];
      const names = [b.connection, b.type === 'cosmosDBTrigger' ? b.leaseConnection : undefined].filter((c) => c !== undefined);
      if (endpoint && names.length === 0)
        out.push(`${fn.name}/${b.name}: no connection (the default connection string is not identity-based)`);
      for (const prefix of names) {
        const where = `${fn.name}/${b.name} connection ${String(prefix)}`;
        if (typeof prefix !== 'string' || prefix === '' || !endpoint) {
          out.push(`${where}: not a connection this contract knows how to resolve`);
          continue;
        }
        const value = ctx.settings[`${prefix}__${endpoint.key}`];
        if (!value) out.push(`${where}: no ${prefix}__${endpoint.key} on the Function App`);
        else {
          const text = value.literal ?? value.sample;
          if (text !== undefined && !endpoint.form.test(text))
            out.push(`${where}: ${prefix}__${endpoint.key} is ${JSON.stringify(text)}, not of the form ${endpoint.example}`);
          if (text === undefined && !value.expression) out.push(`${where}: ${prefix}__${endpoint.key} is empty`);
        }
        out.push(...identityProblems(where, prefix, ctx));
        if (b.type === 'cosmosDBTrigger' && b.createLeaseContainerIfNotExists === true)
          out.push(
            `${where}: createLeaseContainerIfNotExists is true, which an Entra identity may not do; the function would not start [cosmos]`,
          );
      }
    }
  // Timers keep their schedule and locks in the host's storage.
  if (functions.some((fn) => rawBindings(fn).some((b) => b.type === 'timerTrigger'))) {
    const s = ctx.settings;
    if (!s.AzureWebJobsStorage__accountName && !s.AzureWebJobsStorage__blobServiceUri)
      out.push('AzureWebJobsStorage: no __accountName or __blobServiceUri for the host storage the timers use');
    out.push(...identityProblems('AzureWebJobsStorage', 'AzureWebJobsStorage', ctx));
  }
  return out;
}

// ---------------------------------------------------------------- host.json

/** .NET TimeSpan as host.json writes it: `[d.]hh:mm:ss[.fraction]`. */
const TIMESPAN = /^(?:(\d+)\.)?(\d{2}):([0-5]\d):([0-5]\d)(?:\.\d+)?$/;
const timespan = z.string().regex(TIMESPAN, 'a TimeSpan [d.]hh:mm:ss');
const LOG_LEVEL = z.enum(['Trace', 'Debug', 'Information', 'Warning', 'Error', 'Critical', 'None']);
const TELEMETRY_TYPES = ['Dependency', 'Event', 'Exception', 'PageView', 'Request', 'Trace'];
const telemetryTypes = z
  .string()
  .refine(
    (s) => s.split(';').every((t) => TELEMETRY_TYPES.includes(t.trim())),
    `a ;-separated list of ${TELEMETRY_TYPES.join(', ')}`,
  );

export function timespanSeconds(text: string): number | undefined {
  const m = TIMESPAN.exec(text);
  if (!m) return undefined;
  const [, d = '0', h = '0', min = '0', s = '0'] = m;
  return ((Number(d) * 24 + Number(h)) * 60 + Number(min)) * 60 + Number(s);
}

/** [hostjson] bundle 4.x: `[4.*, 5.0.0)` or `[4.<minor>.<patch>, 5.0.0)`. */
const BUNDLE_4 = /^\[4\.(\*|\d+\.\d+),\s*5\.0\.0\)$/;

const hostJson = z.strictObject({
  version: z.literal('2.0'),
  extensionBundle: z.strictObject({
    id: z.literal('Microsoft.Azure.Functions.ExtensionBundle'),
    version: z.string().regex(BUNDLE_4, 'the bundle range [4.*, 5.0.0) the binding contracts are written for'),
  }),
  functionTimeout: z
    .string()
    .refine(
      (v) => v === '-1' || (timespanSeconds(v) ?? 0) >= 1,
      'a TimeSpan of at least 00:00:01, or -1 (Flex Consumption: no maximum)',
    )
    .optional(),
  logging: z
    .strictObject({
      fileLoggingMode: z.enum(['never', 'always', 'debugOnly']).optional(),
      logLevel: z.record(z.string(), LOG_LEVEL).optional(),
      console: z.looseObject({}).optional(),
      applicationInsights: z
        .strictObject({
          samplingSettings: z
            .strictObject({
              isEnabled: z.boolean().optional(),
              maxTelemetryItemsPerSecond: z.number().positive().optional(),
              evaluationInterval: timespan.optional(),
              initialSamplingPercentage: z.number().min(0).max(100).optional(),
              samplingPercentageIncreaseTimeout: timespan.optional(),
              samplingPercentageDecreaseTimeout: timespan.optional(),
              minSamplingPercentage: z.number().min(0).max(100).optional(),
              maxSamplingPercentage: z.number().min(0).max(100).optional(),
              movingAverageRatio: z.number().min(0).max(1).optional(),
              excludedTypes: telemetryTypes.optional(),
              includedTypes: telemetryTypes.optional(),
            })
            .optional(),
          dependencyTrackingOptions: z.looseObject({}).optional(),
          enableLiveMetrics: z.boolean().optional(),
          enableLiveMetricsFilters: z.boolean().optional(),
          enableDependencyTracking: z.boolean().optional(),
          enablePerformanceCountersCollection: z.boolean().optional(),
          httpAutoCollectionOptions: z.looseObject({}).optional(),
          snapshotConfiguration: z.looseObject({}).optional(),
        })
        .optional(),
    })
    .optional(),
  extensions: z
    .strictObject({
      http: z
        .strictObject({
          routePrefix: z.string().optional(),
          maxConcurrentRequests: z.number().int().optional(),
          maxOutstandingRequests: z.number().int().optional(),
          dynamicThrottlesEnabled: z.boolean().optional(),
          hsts: z.looseObject({}).optional(),
          customHeaders: z.record(z.string(), z.string()).optional(),
        })
        .optional(),
      // Service Bus extension 5.x (bundle 4.x).
      serviceBus: z
        .strictObject({
          clientRetryOptions: z
            .strictObject({
              mode: z.enum(['exponential', 'fixed']).optional(),
              tryTimeout: timespan.optional(),
              delay: timespan.optional(),
              maxDelay: timespan.optional(),
              maxRetries: z.number().int().min(0).optional(),
            })
            .optional(),
          prefetchCount: z.number().int().min(0).optional(),
          transportType: z.enum(['amqpTcp', 'amqpWebSockets']).optional(),
          webProxy: z.string().optional(),
          autoCompleteMessages: z.boolean().optional(),
          maxAutoLockRenewalDuration: timespan.optional(),
          maxConcurrentCalls: z.number().int().positive().optional(),
          maxConcurrentSessions: z.number().int().positive().optional(),
          maxMessageBatchSize: z.number().int().positive().optional(),
          minMessageBatchSize: z.number().int().positive().optional(),
          maxBatchWaitTime: timespan.optional(),
          sessionIdleTimeout: timespan.optional(),
          enableCrossEntityTransactions: z.boolean().optional(),
        })
        .optional(),
      // Cosmos DB extension 4.x.
      cosmosDB: z
        .strictObject({ connectionMode: z.enum(['Gateway', 'Direct']).optional(), userAgentSuffix: z.string().optional() })
        .optional(),
      blobs: z.looseObject({}).optional(),
      durableTask: z.looseObject({}).optional(),
      eventHubs: z.looseObject({}).optional(),
      queues: z.looseObject({}).optional(),
      sendGrid: z.looseObject({}).optional(),
    })
    .optional(),
  aggregator: z.strictObject({ batchSize: z.number().int().positive().optional(), flushTimeout: timespan.optional() }).optional(),
  concurrency: z.looseObject({}).optional(),
  healthMonitor: z.looseObject({}).optional(),
  singleton: z.looseObject({}).optional(),
  retry: z.looseObject({}).optional(),
  telemetryMode: z.string().optional(),
  watchDirectories: z.array(z.string()).optional(),
  watchFiles: z.array(z.string()).optional(),
  functions: z
    .array(z.string())
    .refine(() => false, 'is for local runs only: in Azure it would limit the functions the host loads')
    .optional(),
});

/** [hostjson] findings for a parsed host.json. */
export function hostJsonProblems(value: unknown): string[] {
  const result = hostJson.safeParse(value);
  if (result.success) return [];
  return result.error.issues.map((i) => {
    const path = i.path.map(String).join('.') || '(root)';
    const keys = i.code === 'unrecognized_keys' ? ` ${JSON.stringify(i.keys)}` : '';
    return `host.json ${path}: ${i.message}${keys}`;
  });
}
