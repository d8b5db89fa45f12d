/**
 * The parts of `@vercel/cosmosdb-server` 1.0.1's compiled CommonJS internals (`lib/account`,
 * `lib/routes`, `lib/handler/*`, `lib/utils/*`) that the embedded server uses. The package ships
 * its own declarations, but they type the stored objects loosely and the router as `any[]`; these
 * say exactly what `local/cosmos/*` relies on, so an upgrade that changes them fails here first.
 * The modules are loaded with `require` (see `local/cosmos/store.ts`) and cast to these types.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A partition key value as the vercel store keys documents by: the value at the key path. */
export type PartitionValue = string | number | boolean | null | undefined;

/** A stored resource: what the user wrote plus the system properties. */
export interface Resource {
  id: string;
  _rid: string;
  _self: string;
  _etag: string;
  _ts: number;
  [key: string]: unknown;
}

/** `lib/account/item.js`: a holder whose `read()` returns the stored object (not a copy). */
export interface ItemNode {
  _data: Resource | undefined | null;
  read(): Resource | undefined;
}

export interface QuerySpec {
  query: string;
  parameters?: { name: string; value: unknown }[];
}

export interface PageOptions {
  maxItemCount?: number | null;
  continuation?: unknown;
}

export interface QueryResult {
  result: unknown[];
  continuation: { token: string; range?: unknown } | null;
}

/** A compiled query of `@zeit/cosmosdb-query` (`lib/index.js`'s `Query`). */
export interface CompiledQuery {
  /** The parsed query (`lib/parser.js`'s syntax tree). */
  readonly ast: unknown;
  /** The JavaScript the query compiles to (generated on first read, then kept). */
  readonly code: string;
  exec(
    data: unknown[],
    options: PageOptions & { parameters?: QuerySpec['parameters']; udf?: unknown; compositeIndexes?: unknown },
  ): QueryResult;
}

/** `@zeit/cosmosdb-query`'s `lib/aggregate-functions`, `lib/builtin-functions` and `lib/helpers`. */
export type QueryRuntimeModule = Record<string, unknown>;

/** What `new Function(code)` of a compiled query returns (see `lib/executor.js`). */
export type QueryFunction = (
  aggregateFunctions: QueryRuntimeModule,
  builtinFunctions: QueryRuntimeModule,
  collection: unknown[],
  helpers: QueryRuntimeModule,
  udf: unknown,
  params: Record<string, unknown>,
  maxItemCount: PageOptions['maxItemCount'],
  continuation: PageOptions['continuation'],
  compositeIndexes: unknown,
) => QueryResult;

/** `lib/account/items.js`: a map of resources by `_rid` plus an index `"<pk|id>:<keyPath>:<value>" → _rid`. */
export interface ItemStore<I extends ItemNode> {
  _parent: ItemNode;
  _data: Map<string, I>;
  _index: Map<string, string>;
  _ridCount: number;
  _uniqueKeyPaths: string[];
  create(data: Record<string, unknown>): Resource;
  delete(idOrRid: string, partition?: PartitionValue): void;
  replace(data: Record<string, unknown>, original: Resource): Resource;
  upsert(data: Record<string, unknown>): Resource;
  query(spec: QuerySpec, options: PageOptions): QueryResult | null;
  read(options?: PageOptions): QueryResult | null;
  _item(keyPath: string, keyPathValue: unknown, partition: PartitionValue): I;
  /** Stores `data` as is (with its `_rid`, `_etag`, `_ts`) and indexes it. */
  _set(data: Resource): Resource;
  _getQuery(sql: string): CompiledQuery;
  _userDefinedFunctions(): unknown;
  _getPartition(data: Record<string, unknown>): PartitionValue;
  /** The partition key's path as property names (`/clientId` → `['clientId']`); computed at each call. */
  _getPartitionKeyPath(): string[];
}

export type DocumentNode = ItemNode;

export interface UdfStore extends ItemStore<ItemNode> {
  functions: Record<string, unknown>;
  create(data: { id: string; body: string }): Resource;
  upsert(data: { id: string; body: string }): Resource;
  replace(data: { id: string; body: string }): Resource;
  delete(idOrRid: string): void;
}

export interface CollectionNode extends ItemNode {
  documents: ItemStore<DocumentNode>;
  partitionKeyRanges: ItemStore<ItemNode>;
  userDefinedFunctions: UdfStore;
  document(idOrRid: string, partition: PartitionValue): DocumentNode;
  userDefinedFunction(idOrRid: string): ItemNode;
}

export interface DatabaseNode extends ItemNode {
  collections: ItemStore<CollectionNode>;
  collection(idOrRid: string): CollectionNode;
}

export interface AccountNode extends ItemNode {
  _data: Resource & { writableLocations: unknown[]; readableLocations: unknown[] };
  databases: ItemStore<DatabaseNode>;
  database(idOrRid: string): DatabaseNode;
}

/** `lib/account/index.js` */
export interface AccountModule {
  default: new (host: string, port: number) => AccountNode;
}

/** A route handler of `lib/handler/*.js`: sets `res.statusCode` / headers and returns the JSON body. */
export type RouteHandler = (
  account: AccountNode,
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string>,
) => unknown;

export interface HandlerModule {
  default: RouteHandler;
}

/** `lib/routes.js`: the method+path router (`x-ms-*` headers select QUERY / UPSERT / BATCH). */
export interface RoutesModule {
  default: (req: IncomingMessage) => [Record<string, string>, RouteHandler] | undefined;
}

export interface OperationResult {
  statusCode: number;
  body?: Record<string, unknown>;
}

export interface OperationInput {
  id?: string;
  partitionKey?: string;
  ifMatch?: string;
  resourceBody?: Record<string, unknown>;
  operations?: unknown[];
  condition?: string;
}

/** `lib/handler/_document-operations.js`: synchronous store operations with Cosmos status codes. */
export interface DocumentOperationsModule {
  createOperation(collection: CollectionNode, input: OperationInput): OperationResult;
  upsertOperation(collection: CollectionNode, input: OperationInput): OperationResult;
  replaceOperation(collection: CollectionNode, input: OperationInput): OperationResult;
  deleteOperation(collection: CollectionNode, input: OperationInput): OperationResult;
  readOperation(collection: CollectionNode, input: OperationInput): OperationResult;
}

/** `lib/handler/_patch-operations.js` */
export interface PatchOperationsModule {
  patchOperation(collection: CollectionNode, input: OperationInput): OperationResult;
}

/** `lib/utils/get-partition-from-header.js` */
export interface PartitionHeaderModule {
  /** Parses `x-ms-documentdb-partitionkey` (`["v"]`); `[{}]` (none) gives `defaultValue`. Throws on bad JSON. */
  parsePartitionKey(header: string, defaultValue: PartitionValue): PartitionValue;
}
