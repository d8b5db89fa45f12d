import { createRequire } from 'node:module';
import type {
  CompiledQuery,
  PageOptions,
  QueryFunction,
  QueryResult,
  QueryRuntimeModule,
  QuerySpec,
} from './vercel-cosmosdb-server';

/**
 * Runs a compiled `@zeit/cosmosdb-query` query exactly as its `Query.exec` does (`lib/executor.js`),
 * except that the query's JavaScript is turned into a function once per query, not on every call:
 * the engine's executor runs `new Function(code)` each time, so every query re-parsed its code and
 * ran it unoptimised (the profile of the events bench had it as the largest single cost). The
 * function is pure (everything arrives as arguments), so reusing it changes no answer.
 */
const require = createRequire(import.meta.url);
// The engine vercel's store uses, resolved from vercel's package so that it is the same copy.
const engineRequire = createRequire(require.resolve('@vercel/cosmosdb-server/lib/account/items'));
const runtime = {
  aggregateFunctions: engineRequire('@zeit/cosmosdb-query/lib/aggregate-functions') as QueryRuntimeModule,
  builtinFunctions: engineRequire('@zeit/cosmosdb-query/lib/builtin-functions') as QueryRuntimeModule,
  helpers: engineRequire('@zeit/cosmosdb-query/lib/helpers') as QueryRuntimeModule,
};

/** Keyed by vercel's cached `Query` objects (an LRU of 100 per container), so it holds no more than they do. */
const functions = new WeakMap<CompiledQuery, QueryFunction>();

export interface ExecOptions extends PageOptions {
  readonly parameters?: QuerySpec['parameters'];
  readonly udf?: unknown;
  readonly compositeIndexes?: unknown;
}

/** `query.exec(documents, options)`, with the query's function compiled once. Throws what it throws. */
export function execQuery(query: CompiledQuery, documents: unknown[], options: ExecOptions): QueryResult {
  let run = functions.get(query);
  if (!run) {
    // What lib/executor.js evaluates, character for character.
    run = new Function(`"use strict";return (${query.code})`)() as QueryFunction;
    functions.set(query, run);
  }
  return run(
    runtime.aggregateFunctions,
    runtime.builtinFunctions,
    documents,
    runtime.helpers,
    options.udf === undefined ? {} : options.udf,
    parameterValues(options.parameters),
    options.maxItemCount,
    options.continuation,
    options.compositeIndexes,
  );
}

/** `@name` → value under `name`, later ones winning, as lib/executor.js builds them. */
export function parameterValues(parameters: QuerySpec['parameters']): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const { name, value } of parameters ?? []) params[name.slice(1)] = value;
  return params;
}
