import type { IncomingMessage } from 'node:http';
import { execQuery } from './query-execution';
import type { Engine, Tx } from './transactions';
import { prefilterOf, type Prefilter } from './where-prefilter';
import { expiresAt, vercel, type CollectionRef, type CosmosStore } from './store';
import type {
  OperationInput,
  OperationResult,
  PageOptions,
  PartitionValue,
  QueryResult,
  QuerySpec,
  Resource,
  RouteHandler,
} from './vercel-cosmosdb-server';

/**
 * The request handlers the embedded server implements itself instead of using vercel's:
 * every mutation (so that it runs in a journaled transaction, see transactions.ts), the atomic
 * batch (vercel's leaves earlier operations applied when a later one fails), point reads and
 * queries (to hide expired documents, scope queries to the partition key and reject bad
 * continuation tokens with 400). Read-only metadata routes stay vercel's.
 */
export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface HandlerContext {
  readonly req: IncomingMessage;
  readonly params: Readonly<Record<string, string>>;
  readonly engine: Engine;
  readonly store: CosmosStore;
  /** The request body parsed as JSON (400 when it is not JSON). */
  readBody(): Promise<unknown>;
}

export type Handler = (ctx: HandlerContext) => Reply | Promise<Reply>;

/** An error answered with its status and a Cosmos-style `{ code, message }` body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BATCH_OPERATIONS = 100;
const NOT_FOUND_MESSAGE = 'Entity with the specified id does not exist in the system.';
const badRequest = (message: string) => new HttpError(400, 'BadRequest', message);
const notFound = (message = NOT_FOUND_MESSAGE) => new HttpError(404, 'NotFound', message);
const conflict = (message = 'Resource with specified id or name already exists.') => new HttpError(409, 'Conflict', message);
const nowSeconds = () => Date.now() / 1000;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function isTrueHeader(req: IncomingMessage, name: string): boolean {
  return header(req, name)?.toLowerCase() === 'true';
}

async function objectBody(ctx: HandlerContext): Promise<Json> {
  const body = await ctx.readBody();
  if (!isObject(body)) throw badRequest('the request body must be a JSON object');
  return body;
}

function requireCollection(ctx: HandlerContext): CollectionRef {
  const ref = ctx.store.collection(ctx.params.dbId!, ctx.params.collId!);
  if (!ref) throw notFound('The collection does not exist.');
  return ref;
}

/** `x-ms-documentdb-partitionkey` as vercel's store keys it (`[{}]`, none, falls back to the id). */
function partitionFromHeader(raw: string | undefined, id: string): PartitionValue {
  try {
    return vercel.partitionHeader.parsePartitionKey(raw ?? '[{}]', id);
  } catch {
    throw badRequest(`invalid x-ms-documentdb-partitionkey header: ${raw}`);
  }
}

/** The single partition a query is scoped to, or undefined for a cross-partition query. */
function queryPartition(raw: string | undefined): { value: PartitionValue } | undefined {
  if (!raw) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw badRequest(`invalid x-ms-documentdb-partitionkey header: ${raw}`);
  }
  const value = Array.isArray(parsed) ? parsed[0] : parsed;
  const primitive = value === null || ['string', 'number', 'boolean'].includes(typeof value);
  return primitive ? { value: value as PartitionValue } : undefined;
}

function operationReply(result: OperationResult): Reply {
  if (result.statusCode >= 400)
    return { status: result.statusCode, body: { code: statusCode(result.statusCode), message: '', ...result.body } };
  return { status: result.statusCode, body: result.body };
}

function statusCode(status: number): string {
  return (
    ({ 400: 'BadRequest', 404: 'NotFound', 409: 'Conflict', 412: 'PreconditionFailed' } as Record<number, string>)[status] ??
    'Error'
  );
}

// ---------------------------------------------------------------------------------------------
// Continuation tokens: `{"token":"+RID:<rid>#RT:<n>[#SRC:<n>]#TRC:<n>[#RTD:<base64 JSON array>]",
// "range":{...}}`, as `@zeit/cosmosdb-query` issues them. vercel treats one it cannot parse as "start
// over" (a silent wrong page); here any token of another shape is a 400.

const TOKEN_PATTERN = /^\+RID:[A-Za-z0-9+/=_-]*#RT:\d+(?:#SRC:\d+)?#TRC:\d+(?:#RTD:([A-Za-z0-9+/=]+))?$/;

export function parseContinuation(raw: string | undefined): PageOptions['continuation'] {
  if (!raw) return null;
  const invalid = () => badRequest('Invalid continuation token.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalid();
  }
  if (!isObject(parsed) || typeof parsed.token !== 'string') throw invalid();
  const match = TOKEN_PATTERN.exec(parsed.token);
  if (!match) throw invalid();
  if (match[1] !== undefined) {
    try {
      if (!Array.isArray(JSON.parse(Buffer.from(match[1], 'base64').toString('utf8')))) throw invalid();
    } catch {
      throw invalid();
    }
  }
  return parsed;
}

function pageOptions(req: IncomingMessage): PageOptions {
  const max = header(req, 'x-ms-max-item-count');
  const maxItemCount = max ? Number.parseInt(max, 10) : null;
  if (max && Number.isNaN(maxItemCount)) throw badRequest('invalid x-ms-max-item-count');
  return { maxItemCount, continuation: parseContinuation(header(req, 'x-ms-continuation')) };
}

// ---------------------------------------------------------------------------------------------
// Reads

function isExpired(ref: CollectionRef, doc: Resource, now: number): boolean {
  const at = expiresAt(ref.node.read()!, doc);
  return at !== undefined && now > at;
}

/**
 * The documents a read may see: not expired (even before the sweeper deleted them), in the
 * partition. A single-partition query reads only its partition's documents (the partition index),
 * in the order a scan of the whole container would meet them. `keep`: the query's prefilter.
 */
function visibleDocuments(
  store: CosmosStore,
  ref: CollectionRef,
  partition: { value: PartitionValue } | undefined,
  keep: Prefilter | undefined,
): Resource[] {
  const ttlOn = typeof ref.node.read()!.defaultTtl === 'number';
  const now = nowSeconds();
  const docs: Resource[] = [];
  const items = partition ? store.partitionDocuments(ref, partition.value) : ref.node.documents._data.values();
  for (const item of items) {
    const doc = item.read();
    if (!doc) continue;
    if (ttlOn && isExpired(ref, doc, now)) continue;
    if (keep && !keep(doc)) continue;
    docs.push(doc);
  }
  return docs;
}

/** What vercel's `Items.query` does, over the visible documents that may satisfy its WHERE clause. */
function runQuery(
  store: CosmosStore,
  ref: CollectionRef,
  spec: QuerySpec,
  page: PageOptions,
  partition: { value: PartitionValue } | undefined,
): QueryResult {
  const documents = ref.node.documents;
  const indexingPolicy = ref.node.read()!.indexingPolicy as { compositeIndexes?: unknown } | undefined;
  try {
    const query = documents._getQuery(spec.query);
    return execQuery(query, visibleDocuments(store, ref, partition, prefilterOf(query.ast, spec.parameters)), {
      parameters: spec.parameters,
      udf: documents._userDefinedFunctions(),
      maxItemCount: page.maxItemCount,
      continuation: page.continuation,
      compositeIndexes: indexingPolicy?.compositeIndexes ?? [],
    });
  } catch (err) {
    // Syntax errors, unsupported constructs, a token that does not fit this query: the client's.
    throw badRequest(err instanceof Error ? err.message : String(err));
  }
}

function feedReply(result: QueryResult): Reply {
  const headers: Record<string, string> = { 'x-ms-item-count': String(result.result.length) };
  if (result.continuation) headers['x-ms-continuation'] = JSON.stringify(result.continuation);
  return { status: 200, body: { Documents: result.result, _count: result.result.length }, headers };
}

const queryDocuments: Handler = async (ctx) => {
  // The SDK asks for a query plan before every query but uses it only when the gateway refuses a
  // cross-partition query, which this server never does. Answering it would run the query twice.
  if (isTrueHeader(ctx.req, 'x-ms-cosmos-is-query-plan-request')) {
    throw badRequest('query plans are not served by the embedded Cosmos DB');
  }
  const body = await objectBody(ctx);
  if (typeof body.query !== 'string' || !body.query) throw badRequest('missing query');
  const ref = requireCollection(ctx);
  const spec: QuerySpec = {
    query: body.query,
    parameters: Array.isArray(body.parameters) ? (body.parameters as QuerySpec['parameters']) : [],
  };
  const partition = queryPartition(header(ctx.req, 'x-ms-documentdb-partitionkey'));
  return feedReply(runQuery(ctx.store, ref, spec, pageOptions(ctx.req), partition));
};

const readDocuments: Handler = (ctx) => {
  const ref = requireCollection(ctx);
  return feedReply(runQuery(ctx.store, ref, { query: 'SELECT * FROM c' }, pageOptions(ctx.req), undefined));
};

const readDocument: Handler = (ctx) => {
  const ref = requireCollection(ctx);
  const id = ctx.params.docId!;
  const doc = ctx.store.findDocument(ref, id, partitionFromHeader(header(ctx.req, 'x-ms-documentdb-partitionkey'), id));
  if (!doc || isExpired(ref, doc, nowSeconds())) throw notFound();
  if (header(ctx.req, 'if-none-match') === doc._etag) return { status: 304 };
  return { status: 200, body: doc };
};

// ---------------------------------------------------------------------------------------------
// Document writes: each is one transaction that first deletes the documents whose TTL ran out
// (so a write never sees an expired document), then runs vercel's operation through `tx.document`.

function documentWrite(
  ctx: HandlerContext,
  ref: CollectionRef,
  key: { id: string; pk: PartitionValue },
  op: () => OperationResult,
): Reply {
  return ctx.engine.transact((tx) => {
    tx.expireDocuments(ref, nowSeconds());
    return operationReply(tx.document(ref, key.id, key.pk, op));
  });
}

function resourceId(body: Json): string {
  if (typeof body.id !== 'string' || body.id === '') throw badRequest('missing id');
  return body.id;
}

const createDocument: Handler = async (ctx) => {
  const body = await objectBody(ctx);
  const ref = requireCollection(ctx);
  const key = { id: resourceId(body), pk: ctx.store.partitionOf(ref, body) };
  return documentWrite(ctx, ref, key, () => vercel.documentOperations.createOperation(ref.node, { resourceBody: body }));
};

const upsertDocument: Handler = async (ctx) => {
  const body = await objectBody(ctx);
  const ref = requireCollection(ctx);
  const key = { id: resourceId(body), pk: ctx.store.partitionOf(ref, body) };
  const input = {
    partitionKey: header(ctx.req, 'x-ms-documentdb-partitionkey') ?? '[{}]',
    ifMatch: header(ctx.req, 'if-match'),
    resourceBody: body,
  };
  partitionFromHeader(input.partitionKey, key.id);
  return documentWrite(ctx, ref, key, () => vercel.documentOperations.upsertOperation(ref.node, input));
};

const replaceDocument: Handler = async (ctx) => {
  const body = await objectBody(ctx);
  const ref = requireCollection(ctx);
  const id = ctx.params.docId!;
  if (resourceId(body) !== id) throw badRequest('the id in the body differs from the id in the address');
  const rawPk = header(ctx.req, 'x-ms-documentdb-partitionkey');
  if (!ctx.store.findDocument(ref, id, partitionFromHeader(rawPk, id))) throw notFound();
  const input = { partitionKey: rawPk ?? '[{}]', ifMatch: header(ctx.req, 'if-match'), resourceBody: body };
  return documentWrite(ctx, ref, { id, pk: ctx.store.partitionOf(ref, body) }, () =>
    vercel.documentOperations.replaceOperation(ref.node, input),
  );
};

const deleteDocument: Handler = (ctx) => {
  const ref = requireCollection(ctx);
  const id = ctx.params.docId!;
  const rawPk = header(ctx.req, 'x-ms-documentdb-partitionkey') ?? '[{}]';
  const key = { id, pk: partitionFromHeader(rawPk, id) };
  const input = { id, partitionKey: rawPk, ifMatch: header(ctx.req, 'if-match') };
  return documentWrite(ctx, ref, key, () => vercel.documentOperations.deleteOperation(ref.node, input));
};

/** `[ops]` (the SDK) or `{ operations, condition }` (the REST API). */
function patchInput(id: string, partitionKey: string, ifMatch: string | undefined, body: unknown): OperationInput {
  if (Array.isArray(body)) return { id, partitionKey, ifMatch, operations: body };
  if (isObject(body) && Array.isArray(body.operations)) {
    return {
      id,
      partitionKey,
      ifMatch,
      operations: body.operations,
      condition: typeof body.condition === 'string' ? body.condition : undefined,
    };
  }
  throw badRequest('Invalid patch request: check syntax of patch specification.');
}

const patchDocument: Handler = async (ctx) => {
  const body = await ctx.readBody();
  const ref = requireCollection(ctx);
  const id = ctx.params.docId!;
  const rawPk = header(ctx.req, 'x-ms-documentdb-partitionkey') ?? '[{}]';
  const input = patchInput(id, rawPk, header(ctx.req, 'if-match'), body);
  return documentWrite(ctx, ref, { id, pk: partitionFromHeader(rawPk, id) }, () =>
    vercel.patchOperations.patchOperation(ref.node, input),
  );
};

// ---------------------------------------------------------------------------------------------
// Batches. Atomic (`x-ms-cosmos-batch-atomic`, `container.items.batch()`): all or nothing. On the
// first failure the transaction is aborted (every earlier operation undone, nothing journaled)
// and the answer is what Cosmos DB gives and the SDK expects: HTTP 207 with the failing
// operation's status and 424 (Failed Dependency) for all others. Non-atomic (bulk): operations
// are independent; after a failure the rest are 424 unless `continue-on-error`.

interface OperationOutcome {
  readonly statusCode: number;
  readonly requestCharge: number;
  readonly eTag?: string;
  readonly resourceBody?: unknown;
  readonly message?: string;
}

const FAILED_DEPENDENCY: OperationOutcome = { statusCode: 424, requestCharge: 0 };

function outcome(result: OperationResult): OperationOutcome {
  if (result.statusCode >= 400) {
    const message = typeof result.body?.message === 'string' ? result.body.message : undefined;
    return { statusCode: result.statusCode, requestCharge: 0, ...(message ? { message } : {}) };
  }
  const body = result.body as Resource | undefined;
  return { statusCode: result.statusCode, requestCharge: 1, ...(body ? { eTag: body._etag, resourceBody: body } : {}) };
}

function runBatchOperation(tx: Tx, store: CosmosStore, ref: CollectionRef, raw: unknown, batchPk: string): OperationOutcome {
  if (!isObject(raw)) return { statusCode: 400, requestCharge: 0, message: 'invalid operation' };
  const partitionKey = typeof raw.partitionKey === 'string' ? raw.partitionKey : batchPk;
  const ifMatch = typeof raw.ifMatch === 'string' ? raw.ifMatch : undefined;
  const ops = vercel.documentOperations;
  const bodyWrite = (run: typeof ops.createOperation) => {
    const body = raw.resourceBody;
    if (!isObject(body) || typeof body.id !== 'string' || body.id === '')
      return { statusCode: 400, requestCharge: 0, message: 'missing id' };
    const input = { partitionKey, ifMatch, resourceBody: body };
    return outcome(tx.document(ref, body.id, store.partitionOf(ref, body), () => run(ref.node, input)));
  };
  const id = typeof raw.id === 'string' ? raw.id : '';
  let pk: PartitionValue;
  try {
    pk = partitionFromHeader(partitionKey, id);
  } catch (err) {
    return { statusCode: 400, requestCharge: 0, message: (err as Error).message };
  }
  switch (raw.operationType) {
    case 'Create':
      return bodyWrite(ops.createOperation);
    case 'Upsert':
      return bodyWrite(ops.upsertOperation);
    case 'Replace':
      return bodyWrite(ops.replaceOperation);
    case 'Delete':
      return outcome(tx.document(ref, id, pk, () => ops.deleteOperation(ref.node, { id, partitionKey, ifMatch })));
    case 'Patch': {
      let input: OperationInput;
      try {
        input = patchInput(id, partitionKey, ifMatch, raw.resourceBody);
      } catch (err) {
        return { statusCode: 400, requestCharge: 0, message: (err as Error).message };
      }
      return outcome(tx.document(ref, id, pk, () => vercel.patchOperations.patchOperation(ref.node, input)));
    }
    case 'Read': {
      const doc = store.findDocument(ref, id, pk);
      return doc && !isExpired(ref, doc, nowSeconds())
        ? outcome({ statusCode: 200, body: doc })
        : { statusCode: 404, requestCharge: 0 };
    }
    default:
      return {
        statusCode: 400,
        requestCharge: 0,
        message: `Operation type '${String(raw.operationType)}' is not supported in Batch.`,
      };
  }
}

const batchDocuments: Handler = async (ctx) => {
  const body = await ctx.readBody();
  const ref = requireCollection(ctx);
  if (!Array.isArray(body)) throw badRequest('Invalid request body');
  if (body.length > MAX_BATCH_OPERATIONS) throw badRequest(`a batch holds at most ${MAX_BATCH_OPERATIONS} operations`);
  const atomic = isTrueHeader(ctx.req, 'x-ms-cosmos-batch-atomic');
  const continueOnError = !atomic && isTrueHeader(ctx.req, 'x-ms-cosmos-batch-continue-on-error');
  const batchPk = header(ctx.req, 'x-ms-documentdb-partitionkey') ?? '[{}]';
  return ctx.engine.transact((tx): Reply => {
    tx.expireDocuments(ref, nowSeconds());
    const results: OperationOutcome[] = [];
    let failedAt = -1;
    for (const raw of body) {
      if (failedAt >= 0 && !continueOnError) {
        results.push(FAILED_DEPENDENCY);
        continue;
      }
      const result = runBatchOperation(tx, ctx.store, ref, raw, batchPk);
      if (result.statusCode >= 400 && failedAt < 0) failedAt = results.length;
      results.push(result);
    }
    if (atomic && failedAt >= 0) {
      tx.abort();
      return { status: 207, body: results.map((r, i) => (i === failedAt ? r : FAILED_DEPENDENCY)) };
    }
    return { status: 200, body: results };
  });
};

// ---------------------------------------------------------------------------------------------
// Databases and collections

const createDatabase: Handler = async (ctx) => {
  const body = await objectBody(ctx);
  const id = resourceId(body);
  if (ctx.store.database(id)) throw conflict();
  return ctx.engine.transact((tx) => {
    const v = ctx.store.account.databases.create(body);
    tx.databaseWritten(v, ctx.store.account.databases._ridCount);
    return { status: 201, body: v };
  });
};

const deleteDatabase: Handler = (ctx) => {
  const db = ctx.store.database(ctx.params.dbId!);
  if (!db) throw notFound();
  const id = db.read()!.id;
  return ctx.engine.transact((tx) => {
    ctx.store.removeDatabase(id);
    tx.databaseRemoved(id);
    return { status: 204 };
  });
};

const INDEX_ORDERS = new Set(['ascending', 'descending']);

/** The checks of vercel's create-collection handler, plus `defaultTtl` (-1, or whole seconds > 0). */
function validateCollection(body: Json): void {
  resourceId(body);
  const partitionKey = body.partitionKey;
  if (partitionKey !== undefined && (!isObject(partitionKey) || !Array.isArray(partitionKey.paths)))
    throw badRequest('invalid partitionKey');
  const ttl = body.defaultTtl;
  if (ttl !== undefined && ttl !== null && !(Number.isInteger(ttl) && (ttl === -1 || (ttl as number) > 0))) {
    throw badRequest('defaultTtl must be -1 or a positive number of seconds');
  }
  const composite = isObject(body.indexingPolicy) ? body.indexingPolicy.compositeIndexes : undefined;
  if (composite === undefined) return;
  const valid =
    Array.isArray(composite) &&
    composite.every(
      (paths) =>
        Array.isArray(paths) &&
        paths.length >= 2 &&
        new Set(paths.map((p) => (isObject(p) ? p.path : undefined))).size === paths.length &&
        paths.every(
          (p) =>
            isObject(p) &&
            typeof p.path === 'string' &&
            /^\/[^/]+/.test(p.path) &&
            (p.order === undefined || INDEX_ORDERS.has(String(p.order))),
        ),
    );
  if (!valid) throw badRequest('invalid composite index: each needs at least 2 distinct paths ordered ascending or descending');
}

const createCollection: Handler = async (ctx) => {
  const body = await objectBody(ctx);
  validateCollection(body);
  const db = ctx.store.database(ctx.params.dbId!);
  if (!db) throw notFound('The database does not exist.');
  const dbId = db.read()!.id;
  if (ctx.store.collection(dbId, body.id as string)) throw conflict();
  return ctx.engine.transact((tx) => {
    const v = db.collections.create(body);
    tx.collectionWritten(ctx.store.collection(dbId, v.id)!);
    return { status: 201, body: v };
  });
};

function samePartitionKey(a: unknown, b: unknown): boolean {
  const paths = (v: unknown) => JSON.stringify(isObject(v) && Array.isArray(v.paths) ? v.paths : []);
  return paths(a) === paths(b);
}

const replaceCollection: Handler = async (ctx) => {
  const body = await objectBody(ctx);
  validateCollection(body);
  const ref = requireCollection(ctx);
  const current = ref.node.read()!;
  if (body.id !== current.id) throw badRequest('replacing id is not allowed');
  if (!samePartitionKey(body.partitionKey, current.partitionKey)) throw badRequest('replacing partitionKey is not allowed');
  const collections = ctx.store.database(ref.db)!.collections;
  return ctx.engine.transact((tx) => {
    // vercel's replace stores a NEW collection node, which would come with no documents: keep the
    // existing node (documents, UDFs, ranges) and give it the new definition instead.
    collections.replace(body, current);
    ref.node._data = collections._data.get(current._rid)!.read();
    collections._data.set(current._rid, ref.node);
    tx.collectionWritten(ref);
    return { status: 200, body: ref.node.read() };
  });
};

const deleteCollection: Handler = (ctx) => {
  const ref = requireCollection(ctx);
  return ctx.engine.transact((tx) => {
    ctx.store.removeCollection(ref.db, ref.coll);
    tx.collectionRemoved(ref.db, ref.coll);
    return { status: 204 };
  });
};

// ---------------------------------------------------------------------------------------------
// User-defined functions

async function udfBody(ctx: HandlerContext): Promise<{ id: string; body: string }> {
  const body = await objectBody(ctx);
  if (typeof body.body !== 'string' || !body.body) throw badRequest('missing body');
  return { id: resourceId(body), body: body.body };
}

function udfExists(ref: CollectionRef, id: string): boolean {
  return !!ref.node.userDefinedFunction(id).read();
}

const createUdf: Handler = async (ctx) => {
  const udf = await udfBody(ctx);
  const ref = requireCollection(ctx);
  if (udfExists(ref, udf.id)) throw conflict();
  return ctx.engine.transact((tx) => {
    const v = ref.node.userDefinedFunctions.create(udf);
    tx.udfWritten(ref, v);
    return { status: 201, body: v };
  });
};

const upsertUdf: Handler = async (ctx) => {
  const udf = await udfBody(ctx);
  const ref = requireCollection(ctx);
  const existed = udfExists(ref, udf.id);
  return ctx.engine.transact((tx) => {
    const v = ref.node.userDefinedFunctions.upsert(udf);
    tx.udfWritten(ref, v);
    return { status: existed ? 200 : 201, body: v };
  });
};

const replaceUdf: Handler = async (ctx) => {
  const udf = await udfBody(ctx);
  const ref = requireCollection(ctx);
  if (udf.id !== ctx.params.udfId || !udfExists(ref, udf.id)) throw notFound();
  return ctx.engine.transact((tx) => {
    const v = ref.node.userDefinedFunctions.replace(udf);
    tx.udfWritten(ref, v);
    return { status: 200, body: v };
  });
};

const deleteUdf: Handler = (ctx) => {
  const ref = requireCollection(ctx);
  const id = ctx.params.udfId!;
  if (!udfExists(ref, id)) throw notFound();
  return ctx.engine.transact((tx) => {
    ref.node.userDefinedFunctions.delete(id);
    tx.udfRemoved(ref, id);
    return { status: 204 };
  });
};

/** vercel's handler (as `routes` returns it) → ours. Routes not listed are served by vercel's handler. */
export const OWN_HANDLERS: ReadonlyMap<RouteHandler, Handler> = new Map<RouteHandler, Handler>([
  [vercel.handler('create-database'), createDatabase],
  [vercel.handler('delete-database'), deleteDatabase],
  [vercel.handler('create-collection'), createCollection],
  [vercel.handler('replace-collection'), replaceCollection],
  [vercel.handler('delete-collection'), deleteCollection],
  [vercel.handler('create-document'), createDocument],
  [vercel.handler('upsert-document'), upsertDocument],
  [vercel.handler('replace-document'), replaceDocument],
  [vercel.handler('patch-document'), patchDocument],
  [vercel.handler('delete-document'), deleteDocument],
  [vercel.handler('batch-documents'), batchDocuments],
  [vercel.handler('read-document'), readDocument],
  [vercel.handler('read-documents'), readDocuments],
  [vercel.handler('query-documents'), queryDocuments],
  [vercel.handler('create-user-defined-function'), createUdf],
  [vercel.handler('upsert-user-defined-function'), upsertUdf],
  [vercel.handler('replace-user-defined-function'), replaceUdf],
  [vercel.handler('delete-user-defined-function'), deleteUdf],
]);
