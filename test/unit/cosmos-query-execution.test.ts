import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { execQuery } from '../../local/cosmos/query-execution';
import type { CompiledQuery, QuerySpec } from '../../local/cosmos/vercel-cosmosdb-server';
import { prefilterOf } from '../../local/cosmos/where-prefilter';

/**
 * How the embedded Cosmos DB runs vercel's query engine (`@zeit/cosmosdb-query`): each query's
 * function compiled once (query-execution.ts) and the documents that cannot satisfy a plain WHERE
 * clause left out first (where-prefilter.ts). Both against the engine's own `exec` over every
 * document: the same rows, pages, continuation tokens and errors, for random documents and queries.
 */
const require = createRequire(import.meta.url);
const engineRequire = createRequire(require.resolve('@vercel/cosmosdb-server/lib/account/items'));
const compile = (engineRequire('@zeit/cosmosdb-query') as { default: (sql: string) => CompiledQuery }).default;

function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALUES: unknown[] = ['x', 'y', '', '1', 0, 1, 2, -1, 1.5, true, false, null, undefined, { c: 1 }, [1], 'constructor'];
const LITERALS = [
  '"x"',
  '"y"',
  '"1"',
  "'x'",
  '0',
  '1',
  '2',
  '-1',
  '1.5',
  'true',
  'false',
  'null',
  'undefined',
  '[1]',
  '{"c": 1}',
];
const PATHS = ['c.a', 'c.b', 'c.n.c', 'c["a"]', 'c.n["c"]', 'c.missing', 'c.a.length', 'c.tags.length'];
const OPERATORS = ['=', '<', '<=', '>', '>=', '!=', '<>'];

function run(query: CompiledQuery, docs: unknown[], spec: QuerySpec, page: { maxItemCount?: number; continuation?: unknown }) {
  try {
    return execQuery(query, docs, {
      parameters: spec.parameters,
      maxItemCount: page.maxItemCount,
      continuation: page.continuation,
    });
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function engine(query: CompiledQuery, docs: unknown[], spec: QuerySpec, page: { maxItemCount?: number; continuation?: unknown }) {
  try {
    return query.exec(docs, { parameters: spec.parameters, maxItemCount: page.maxItemCount, continuation: page.continuation });
  } catch (err) {
    return { error: (err as Error).message };
  }
}

describe('the embedded Cosmos DB query execution', () => {
  it('answers what the engine answers over every document, for random documents and WHERE clauses', () => {
    const next = random(7);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
    const docs = Array.from({ length: 60 }, (_, i) => {
      const doc: Record<string, unknown> = { id: `d${i}`, _rid: `r${String(1000 + ((i * 37) % 60))}`, tags: ['t'] };
      for (const key of ['a', 'b']) {
        const value = pick(VALUES);
        if (value !== undefined) doc[key] = value;
      }
      doc.n = next() < 0.2 ? pick(VALUES) : { c: pick(VALUES) };
      return doc;
    });
    let prefiltered = 0;
    for (let round = 0; round < 600; round++) {
      const parameters: { name: string; value: unknown }[] = [];
      const operand = () => {
        if (next() < 0.5) return pick(LITERALS);
        const name = `@p${parameters.length}`;
        parameters.push({ name, value: pick(VALUES) });
        return name;
      };
      const comparison = () => {
        const [left, right] = [pick(PATHS), operand()];
        const op = pick(OPERATORS);
        return next() < 0.8 ? `${left} ${op} ${right}` : `${right} ${op} ${left}`;
      };
      const parts = Array.from({ length: 1 + Math.floor(next() * 3) }, comparison);
      const roll = next();
      if (roll < 0.1) parts.push('IS_DEFINED(c.a)');
      else if (roll < 0.15) parts.push('(c.a = "x" OR c.b = 1)');
      else if (roll < 0.2) parts.push('c.a = c.b');
      const alias = next() < 0.2 ? 'root r' : 'c';
      const where = parts.join(' AND ');
      const order = next() < 0.3 ? ' ORDER BY c.id DESC' : '';
      const sql = `SELECT * FROM ${alias} WHERE ${alias === 'c' ? where : where.replaceAll('c.', 'r.').replaceAll('c[', 'r[')}${order}`;
      const spec: QuerySpec = { query: sql, parameters };
      let query: CompiledQuery;
      try {
        query = compile(sql);
      } catch {
        continue; // a syntax the parser refuses: the server answers 400 before any of this
      }
      const keep = prefilterOf(query.ast, parameters);
      if (keep) prefiltered++;
      const candidates = keep ? docs.filter((d) => keep(d)) : docs;
      if (keep) {
        // Exactly the documents the WHERE clause keeps: not only a superset of them.
        const kept = engine(compile(sql.replace(order, '')), docs, spec, {}) as { result: { id: string }[] };
        expect(candidates.map((d) => d.id).sort(), sql).toEqual(kept.result.map((d) => d.id).sort());
      }
      const maxItemCount = pick([undefined, 1, 4, 100]);
      // Every page, following the tokens, both ways.
      let ours = run(query, candidates, spec, { maxItemCount });
      let theirs = engine(compile(sql), docs, spec, { maxItemCount });
      for (let pages = 0; ; pages++) {
        expect(ours, sql).toEqual(theirs);
        const continuation = 'continuation' in theirs ? theirs.continuation : null;
        if (!continuation || pages > 100) break;
        ours = run(query, candidates, spec, { maxItemCount, continuation });
        theirs = engine(compile(sql), docs, spec, { maxItemCount, continuation });
      }
    }
    // The generator must exercise the prefilter, not only the queries it leaves alone.
    expect(prefiltered).toBeGreaterThan(150);
  });

  it('prefilters the queries of the hot paths and leaves the others alone', () => {
    const prefilter = (query: string, parameters: QuerySpec['parameters'] = []) => prefilterOf(compile(query).ast, parameters);
    const poll = prefilter(
      'SELECT * FROM c WHERE c.subscription = @s AND c.state = "active" AND c.visibleAt <= @now ORDER BY c.visibleAt ASC',
      [
        { name: '@s', value: 'notifications' },
        { name: '@now', value: 1000 },
      ],
    )!;
    expect(poll({ subscription: 'notifications', state: 'active', visibleAt: 999 })).toBe(true);
    expect(poll({ subscription: 'notifications', state: 'completed', visibleAt: 999 })).toBe(false);
    expect(poll({ subscription: 'notifications', state: 'active', visibleAt: 1001 })).toBe(false);
    expect(poll({ subscription: 'notifications', state: 'active', visibleAt: '999' })).toBe(false);
    expect(prefilter('SELECT * FROM c WHERE c._lsn > @lsn ORDER BY c._lsn ASC', [{ name: '@lsn', value: 5 }])!({ _lsn: 6 })).toBe(
      true,
    );

    expect(prefilter('SELECT * FROM c')).toBeUndefined();
    expect(prefilter('SELECT * FROM c WHERE c.a = 1 OR c.b = 2')).toBeUndefined();
    expect(prefilter('SELECT * FROM c WHERE c.a = 1 AND IS_DEFINED(c.b)')).toBeUndefined();
    expect(prefilter('SELECT * FROM c JOIN t IN c.tags WHERE c.a = 1')).toBeUndefined();
    expect(prefilter('SELECT * FROM c IN c.tags WHERE c.a = 1')).toBeUndefined();
    expect(prefilter('SELECT * FROM c WHERE c.a = @o', [{ name: '@o', value: { x: 1 } }])).toBeUndefined();
    expect(prefilter('SELECT * FROM c WHERE c.a = @missing')).toBeUndefined();
  });

  it('compiles a query once and reuses it', () => {
    const query = compile('SELECT VALUE c.n FROM c WHERE c.n > @min');
    const docs = [
      { id: 'a', _rid: '1', n: 1 },
      { id: 'b', _rid: '2', n: 3 },
    ];
    for (const min of [0, 2, 5]) {
      const spec = { query: '', parameters: [{ name: '@min', value: min }] };
      expect(execQuery(query, docs, spec)).toEqual(query.exec(docs, spec));
    }
  });
});
