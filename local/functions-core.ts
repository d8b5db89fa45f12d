/**
 * A stand-in for `@azure/functions-core`, the module the Azure Functions Node.js worker builds into
 * the app's process. `@azure/functions` asks for it with a CommonJS `require` the first time the app
 * registers a function or a hook; when it is missing the library switches to "test mode" and drops
 * every registration. Installing this shim makes the app's own `app.http(...)` / `app.hook.*` calls
 * land here, so the local host serves exactly what the app registers: no second list of functions.
 *
 * The shape follows the worker's `setupCoreModule` and its hook execution (azure-functions-nodejs-worker).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FUNCTIONS_CORE_MODULE = '@azure/functions-core';

/** `Symbol.for`: every copy of this module (tsx, vitest, a bundle) finds the one registry. */
const STATE_KEY = Symbol.for('algesta.local.functions-core');

/** The worker release whose core API this mirrors (it has `log` and log hooks). */
const WORKER_VERSION = '3.10.1';
const HOST_VERSION = '4.0.0-local';

export type CoreLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
export type CoreLogCategory = 'user' | 'system' | 'customMetric';
export type HookName = 'appStart' | 'appTerminate' | 'preInvocation' | 'postInvocation' | 'log';
export const HOOK_NAMES: readonly HookName[] = ['appStart', 'appTerminate', 'preInvocation', 'postInvocation', 'log'];

/** The context objects are plain objects; `@azure/functions` wraps them in its own hook context classes. */
export type HookCallback = (context: any) => unknown;
export type FunctionCallback = (...args: any[]) => unknown;

/** What `toCoreFunctionMetadata` of `@azure/functions` hands to `registerFunction`. */
export interface CoreFunctionMetadata {
  name: string;
  functionId?: string;
  bindings: Record<string, { type?: string | null; direction?: string | null; [k: string]: unknown }>;
  retryOptions?: unknown;
  [k: string]: unknown;
}

export interface Registration {
  name: string;
  /** The binding with direction `in` whose type ends with `Trigger`, with its binding name as `name`. */
  trigger: { type: string; [k: string]: unknown };
  /** Binding name → binding, as registered (`$return` is the return binding). */
  bindings: Record<string, unknown>;
  handler: (...args: any[]) => unknown;
  /** The metadata exactly as the library registered it (retry options included). */
  readonly metadata: CoreFunctionMetadata;
}

export interface CoreLogEntry {
  level: CoreLogLevel;
  category: CoreLogCategory;
  message: string;
}

/** The programming model `@azure/functions` sets; local/worker/invoke.ts invokes every function through it. */
export interface ProgrammingModel {
  name: string;
  version: string;
  [k: string]: unknown;
}

export class CoreDisposable {
  static from(...disposables: { dispose(): unknown }[]): CoreDisposable {
    return new CoreDisposable(() => disposables.forEach((d) => d.dispose()));
  }

  #onDispose: (() => unknown) | undefined;

  constructor(onDispose: () => unknown) {
    this.#onDispose = onDispose;
  }

  dispose(): void {
    const onDispose = this.#onDispose;
    this.#onDispose = undefined;
    onDispose?.();
  }
}

/** What `require('@azure/functions-core')` returns. */
export interface FunctionsCoreApi {
  readonly version: string;
  readonly hostVersion: string;
  registerFunction(metadata: CoreFunctionMetadata, callback: FunctionCallback): CoreDisposable;
  registerHook(hookName: string, callback: HookCallback): CoreDisposable;
  setProgrammingModel(model: ProgrammingModel): void;
  getProgrammingModel(): ProgrammingModel | undefined;
  log(level: CoreLogLevel, category: CoreLogCategory, message: string): void;
  readonly Disposable: typeof CoreDisposable;
}

export interface FunctionsCoreShim {
  readonly api: FunctionsCoreApi;
  /** Every function registered so far, in registration order. */
  registrations(): readonly Registration[];
  /** The hooks of one kind, in registration order (a snapshot). */
  hooks(name: HookName): readonly HookCallback[];
  programmingModel(): ProgrammingModel | undefined;
  /** Shared by every hook of the app, whatever its scope (`appHookData` of the hook contexts). */
  readonly appHookData: Record<string, unknown>;
  /** `hookData` of the appStart and appTerminate hooks. */
  readonly appLevelOnlyHookData: Record<string, unknown>;
  /** Runs the hooks one after the other, awaiting each, like the worker; the first to throw stops the rest. */
  runHooks(name: HookName, context: object): Promise<void>;
  /** Runs the log hooks (synchronous, like the worker's); they may change the level and the message. */
  applyLogHooks(entry: CoreLogEntry, scope?: { hookData?: Record<string, unknown>; invocationContext?: unknown }): CoreLogEntry;
  /** Where the library's own logs (`coreApi.log`) go; by default warnings and errors to stderr. */
  setSystemLogSink(sink: (entry: CoreLogEntry) => void): void;
}

interface CoreState {
  readonly shim: FunctionsCoreShim;
}

/**
 * Makes `require('@azure/functions-core')` return this shim, for every loader that may run the
 * library's CommonJS code. Call it before the app's entry is imported: the library asks once and
 * caches the answer. Idempotent: later calls return the same shim.
 */
export function installFunctionsCore(): FunctionsCoreShim {
  const existing = currentFunctionsCore();
  if (existing) return existing;
  const shim = createShim();
  (globalThis as Record<symbol, unknown>)[STATE_KEY] = { shim } satisfies CoreState;
  redirectCoreModule(shim.api);
  return shim;
}

/** The installed shim, if any: for the host, which must not install anything as a side effect. */
export function currentFunctionsCore(): FunctionsCoreShim | undefined {
  return ((globalThis as Record<symbol, unknown>)[STATE_KEY] as CoreState | undefined)?.shim;
}

// ---------------------------------------------------------------------------------------------
// The shim
// ---------------------------------------------------------------------------------------------

function createShim(): FunctionsCoreShim {
  const functions = new Map<string, Registration>();
  const hooks = new Map<HookName, HookCallback[]>(HOOK_NAMES.map((n) => [n, []]));
  const appHookData: Record<string, unknown> = {};
  let model: ProgrammingModel | undefined;
  let systemLogSink: (entry: CoreLogEntry) => void = writeSystemLogToStderr;
  let inLogHook = false;

  const hookList = (name: string): HookCallback[] => {
    const list = hooks.get(name as HookName);
    if (!list) throw unrecognizedHook(name);
    return list;
  };

  const shim: FunctionsCoreShim = {
    api: {
      version: WORKER_VERSION,
      hostVersion: HOST_VERSION,
      registerFunction: (metadata, callback) => registerFunction(functions, metadata, callback),
      registerHook: (name, callback) => addToList(hookList(name), callback),
      setProgrammingModel: (m) => void (model = m),
      getProgrammingModel: () => model,
      log: (level, category, message) => systemLogSink(shim.applyLogHooks({ level, category, message })),
      Disposable: CoreDisposable,
    },
    registrations: () => [...functions.values()],
    hooks: (name) => [...hookList(name)],
    programmingModel: () => model,
    appHookData,
    appLevelOnlyHookData: {},
    async runHooks(name, context) {
      // A snapshot: a hook may dispose itself (or register another) while they run.
      for (const callback of [...hookList(name)]) await callback(context);
    },
    applyLogHooks(entry, scope = {}) {
      const callbacks = hookList('log');
      // A log hook that logs would call itself forever: its own logs pass through unhooked.
      if (callbacks.length === 0 || inLogHook) return entry;
      const context = logHookContext(entry, appHookData, scope);
      inLogHook = true;
      try {
        for (const callback of callbacks) callback(context);
      } finally {
        inLogHook = false;
      }
      return { level: context.level, category: entry.category, message: context.message };
    },
    setSystemLogSink: (sink) => void (systemLogSink = sink),
  };
  return shim;
}

function registerFunction(
  functions: Map<string, Registration>,
  metadata: CoreFunctionMetadata,
  callback: FunctionCallback,
): CoreDisposable {
  const registration = toRegistration(metadata, callback);
  if (functions.has(registration.name)) {
    // The host refuses an app with two functions of one name; so do we, at the line that does it.
    throw new Error(`A function named "${registration.name}" is already registered.`);
  }
  functions.set(registration.name, registration);
  return new CoreDisposable(() => {
    if (functions.get(registration.name) === registration) functions.delete(registration.name);
  });
}

function toRegistration(metadata: CoreFunctionMetadata, handler: FunctionCallback): Registration {
  const name = metadata.name || metadata.functionId;
  if (!name) throw new Error('A function needs a name.');
  const bindings = metadata.bindings ?? {};
  const entry = Object.entries(bindings).find(([, b]) => b.direction === 'in' && /trigger$/i.test(b.type ?? ''));
  if (!entry) throw new Error(`Function "${name}" has no trigger binding.`);
  const [bindingName, binding] = entry;
  const trigger = { ...binding, name: bindingName, type: String(binding.type) };
  return { name, trigger, bindings, handler, metadata };
}

function addToList<T>(list: T[], item: T): CoreDisposable {
  list.push(item);
  return new CoreDisposable(() => {
    const index = list.indexOf(item);
    if (index !== -1) list.splice(index, 1);
  });
}

/** The worker's error for an unknown hook: the library turns this one into "requires a newer host". */
function unrecognizedHook(name: string): Error {
  const error = new RangeError(`Unrecognized hook "${name}"`) as RangeError & { isAzureFunctionsSystemError: boolean };
  error.isAzureFunctionsSystemError = true;
  return error;
}

function logHookContext(
  entry: CoreLogEntry,
  appHookData: Record<string, unknown>,
  scope: { hookData?: Record<string, unknown>; invocationContext?: unknown },
): { level: CoreLogLevel; message: string; readonly category: CoreLogCategory } & Record<string, unknown> {
  const context = { level: entry.level, message: entry.message };
  return Object.defineProperties(context, {
    category: readOnly('category', entry.category),
    hookData: readOnly('hookData', scope.hookData ?? {}),
    appHookData: readOnly('appHookData', appHookData),
    invocationContext: readOnly('invocationContext', scope.invocationContext),
  }) as { level: CoreLogLevel; message: string; readonly category: CoreLogCategory } & Record<string, unknown>;
}

/** A property the hooks may read and modify in place but not replace, as in the worker. */
export function readOnly(name: string, value: unknown): PropertyDescriptor {
  return {
    enumerable: true,
    get: () => value,
    set: () => {
      throw new TypeError(`Cannot assign to read only property '${name}'`);
    },
  };
}

const LOUD_LEVELS = new Set<CoreLogLevel>(['warning', 'error', 'critical']);

function writeSystemLogToStderr(entry: CoreLogEntry): void {
  if (LOUD_LEVELS.has(entry.level)) process.stderr.write(`[functions-core ${entry.level}] ${entry.message}\n`);
}

// ---------------------------------------------------------------------------------------------
// Module resolution
// ---------------------------------------------------------------------------------------------

interface ModuleInternals {
  _resolveFilename(request: string, parent: unknown, ...rest: unknown[]): string;
}

/**
 * The library's dist does `require("@azure/functions-core")`. Depending on who loaded the library
 * that `require` is Node's CommonJS loader (plain Node, vitest's externals) or, on newer Node with
 * loader hooks (tsx), the ESM loader's require for imported CommonJS. Both resolve the request
 * through `Module._resolveFilename`; the first then takes `require.cache`, the second loads the
 * file itself. So the request resolves to a real file that evaluates to the shim, and the cache
 * already holds it.
 */
function redirectCoreModule(api: FunctionsCoreApi): void {
  const filename = writeLoaderStub();
  const internals = Module as unknown as ModuleInternals;
  const resolveFilename = internals._resolveFilename;
  internals._resolveFilename = function (this: unknown, request: string, parent: unknown, ...rest: unknown[]): string {
    if (request === FUNCTIONS_CORE_MODULE) return filename;
    return resolveFilename.call(this, request, parent, ...rest);
  };
  const cached = new Module(filename);
  cached.filename = filename;
  cached.loaded = true;
  cached.exports = api;
  createRequire(import.meta.url).cache[filename] = cached;
}

/** A CommonJS file that hands over the shim; written once per content, atomically (tests run in parallel). */
function writeLoaderStub(): string {
  const source = [
    '// Written by local/functions-core.ts: `@azure/functions-core` for the local Functions host.',
    "'use strict';",
    `const state = globalThis[Symbol.for(${JSON.stringify(STATE_KEY.description)})];`,
    "if (!state) throw new Error('@azure/functions-core: call installFunctionsCore() (local/functions-core.ts) first');",
    'module.exports = state.shim.api;',
    '',
  ].join('\n');
  const dir = join(tmpdir(), 'algesta-local');
  const filename = join(dir, 'azure-functions-core.cjs');
  if (readIfExists(filename) === source) return filename;
  mkdirSync(dir, { recursive: true });
  const temporary = `${filename}.${process.pid}.tmp`;
  writeFileSync(temporary, source);
  renameSync(temporary, filename);
  return filename;
}

function readIfExists(filename: string): string | undefined {
  try {
    return readFileSync(filename, 'utf8');
  } catch {
    return undefined;
  }
}
