import type { QuerySpec } from './vercel-cosmosdb-server';
import { parameterValues } from './query-execution';

/**
 * A plain function that tells, for the queries the app's hot paths send, whether a document
 * satisfies the WHERE clause, so that the query engine (which evaluates every document through its
 * generic helpers, then sorts what is left) is handed only the documents it would keep.
 *
 * Only for a WHERE clause made ENTIRELY of comparisons joined by AND, each between a property path
 * of the document and a constant or parameter that is a string, number, boolean or null:
 * `c.a = @x AND c.b.c > 3 AND c["d"] <= "z"`. Such a clause can neither throw nor call anything,
 * and the function below is its exact meaning in `@zeit/cosmosdb-query` (`lib/helpers.js`: `equal`,
 * `compare`, `and`, a document kept only when the clause is `true`): the engine then keeps every
 * document it is given, in the same order, so answers, pages and continuation tokens are unchanged.
 * Any other query (OR, NOT, functions, JOIN, `FROM c IN ...`, a parameter holding an object) gets
 * no prefilter and is evaluated over every document as before.
 */
export type Prefilter = (doc: Record<string, unknown>) => boolean;

type Operator = '=' | '<' | '<=' | '>' | '>=';
type Operand = { readonly constant: Primitive } | { readonly parameter: string };
type Primitive = string | number | boolean | null;

interface Comparison {
  readonly path: readonly string[];
  readonly operator: Operator;
  readonly operand: Operand;
}

const FLIPPED: Readonly<Record<Operator, Operator>> = { '=': '=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

/** The comparisons of each query's syntax tree (null: not a query this applies to). */
const comparisonsByAst = new WeakMap<object, readonly Comparison[] | null>();

/** The prefilter of a query, bound to its parameters; undefined when the query has none. */
export function prefilterOf(ast: unknown, parameters: QuerySpec['parameters']): Prefilter | undefined {
  if (!isNode(ast)) return undefined;
  let comparisons = comparisonsByAst.get(ast);
  if (comparisons === undefined) comparisonsByAst.set(ast, (comparisons = whereComparisons(ast)));
  if (!comparisons) return undefined;
  const params = parameterValues(parameters);
  const bound: { path: readonly string[]; operator: Operator; value: Primitive }[] = [];
  for (const { path, operator, operand } of comparisons) {
    const value = 'constant' in operand ? operand.constant : params[operand.parameter];
    // A parameter holding an object or array (or none): its comparison is not a plain one.
    if (!isPrimitive(value)) return undefined;
    bound.push({ path, operator, value });
  }
  return (doc) => bound.every(({ path, operator, value }) => holds(valueAt(doc, path), operator, value));
}

/** `helpers.equal` / `helpers.compare` of the engine, for a right-hand side that is a primitive. */
function holds(actual: unknown, operator: Operator, expected: Primitive): boolean {
  if (typeOf(actual) !== typeOf(expected)) return false;
  const a = actual as Primitive;
  switch (operator) {
    case '=':
      return a === expected;
    case '<':
      return a! < expected!;
    case '<=':
      return a! <= expected!;
    case '>':
      return a! > expected!;
    case '>=':
      return a! >= expected!;
  }
}

/** The engine's member access: `typeof $_ === "object" && $_ ? $_[property] : undefined`, step by step. */
function valueAt(doc: unknown, path: readonly string[]): unknown {
  let value = doc;
  for (const key of path) value = typeof value === 'object' && value ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

/** The engine's `typeOf` (lib/helpers.js). */
function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function isPrimitive(v: unknown): v is Primitive {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

type Node = Record<string, unknown>;

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null;
}

/** The WHERE clause as comparisons, or null when the query is not `SELECT ... FROM <alias> WHERE <comparisons>`. */
function whereComparisons(ast: Node): readonly Comparison[] | null {
  const body = ast.body;
  if (!isNode(body) || body.type !== 'select_query') return null;
  const from = body.from;
  if (!isNode(from) || (Array.isArray(from.joins) && from.joins.length > 0)) return null;
  const source = from.source;
  if (!isNode(source) || source.iteration || !isNode(source.expression)) return null;
  if (source.expression.type !== 'collection_expression') return null;
  const named = isNode(source.alias) ? source.alias : source.expression.expression;
  if (!isNode(named) || named.type !== 'identifier' || typeof named.name !== 'string') return null;
  const where = body.where;
  if (!isNode(where) || where.type !== 'filter_condition') return null;
  const comparisons: Comparison[] = [];
  return collect(where.condition, named.name, comparisons) ? comparisons : null;
}

/** Adds the conjuncts of `node` to `out`; false when one of them is not a plain comparison. */
function collect(node: unknown, alias: string, out: Comparison[]): boolean {
  if (!isNode(node) || node.type !== 'scalar_binary_expression') return false;
  if (node.operator === 'AND') return collect(node.left, alias, out) && collect(node.right, alias, out);
  const operator = node.operator as Operator;
  if (!Object.hasOwn(FLIPPED, operator)) return false;
  const leftPath = memberPath(node.left, alias);
  const rightPath = memberPath(node.right, alias);
  if (leftPath && !rightPath) {
    const operand = operandOf(node.right);
    if (operand) out.push({ path: leftPath, operator, operand });
    return !!operand;
  }
  if (rightPath && !leftPath) {
    const operand = operandOf(node.left);
    if (operand) out.push({ path: rightPath, operator: FLIPPED[operator], operand });
    return !!operand;
  }
  return false;
}

/** `c.a.b` / `c["a"]` on the query's alias → `['a', 'b']`; anything else → undefined. */
function memberPath(node: unknown, alias: string): string[] | undefined {
  if (!isNode(node) || node.type !== 'scalar_member_expression') return undefined;
  const property = node.property;
  if (!isNode(property)) return undefined;
  let key: string;
  if (!node.computed && property.type === 'identifier' && typeof property.name === 'string') key = property.name;
  else if (node.computed && property.type === 'string_constant' && typeof property.value === 'string') key = property.value;
  else return undefined;
  const object = node.object;
  if (isNode(object) && object.type === 'identifier') return object.name === alias ? [key] : undefined;
  const parent = memberPath(object, alias);
  return parent ? [...parent, key] : undefined;
}

function operandOf(node: unknown): Operand | undefined {
  if (!isNode(node)) return undefined;
  switch (node.type) {
    case 'parameter_name':
      return typeof node.name === 'string' ? { parameter: node.name.slice(1) } : undefined;
    case 'null_constant':
      return { constant: null };
    case 'string_constant':
    case 'number_constant':
    case 'boolean_constant':
      return isPrimitive(node.value) ? { constant: node.value } : undefined;
    default:
      return undefined;
  }
}
