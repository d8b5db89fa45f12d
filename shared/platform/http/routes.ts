/**
 * HTTP route templates of Azure Functions, compiled to matchers that behave like the Functions host.
 * The local host finds a request's function with it, and the API's fallback uses it to tell "wrong
 * method" (405) from "no such path" (404): one matcher for both.
 *
 * The order in which routes are tried is the Functions host's, not ASP.NET Core's (`RouteOrder`):
 * - `FunctionMetadataManager.LoadFunctionMetadata` (azure-functions-host,
 *   src/WebJobs.Script/Host/FunctionMetadataManager.cs) returns the functions
 *   `OrderBy(f => f.Name, StringComparer.OrdinalIgnoreCase)`;
 * - `WebScriptHostHttpRoutesManager.InitializeHttpFunctionRoutes`
 *   (src/WebJobs.Script.WebHost/WebScriptHostHttpRoutesManager.cs) maps them in that order into one
 *   route collection, each with an `HttpMethodRouteConstraint` for its methods; the collection takes
 *   the first route whose template and constraints match (ASP.NET Core `RouteCollection`).
 * So the host tries routes in order of function name, first match wins, and a route whose method
 * does not fit is skipped. This is known and open upstream: azure-functions-host#9876 ("the
 * precedence is in alphabetical order"), azure-functions-host#3153, azure-functions-nodejs-library#300
 * (the same for `app.http`); the fix, azure-webjobs-sdk-extensions PR #842, which orders routes by
 * template precedence like ASP.NET Core, is not merged. `order: 'precedence'` models that PR, so
 * that the API's routes can be checked to be right under both rules (test/integration/route-order.test.ts).
 */

/** Every method `app.http` accepts: what a function without `methods` answers. */
export const ALL_HTTP_METHODS: readonly string[] = [
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'CONNECT',
];

export const DEFAULT_ROUTE_PREFIX = 'api';

export interface RouteDefinition<T = unknown> {
  /** The function name: the template when `route` is undefined, like the host. */
  readonly name: string;
  readonly route?: string;
  /** Undefined: every method. */
  readonly methods?: readonly string[];
  /** Whatever the caller wants back on a match (the registration). */
  readonly target: T;
}

/**
 * `function-name`: the Azure host's rule today (function name, ordinal ignoring case, first match).
 * `precedence`: ASP.NET Core's template precedence, as azure-webjobs-sdk-extensions PR #842 proposes.
 */
export type RouteOrder = 'function-name' | 'precedence';

export interface RouteOptions {
  /** How routes are ranked; default `function-name`, the Functions host's. */
  readonly order?: RouteOrder;
  /** host.json `extensions.http.routePrefix`; `''` serves functions at the root. */
  readonly routePrefix?: string;
  /** Told about template parts we accept but cannot honour (unknown constraints). */
  readonly warn?: (message: string) => void;
}

export interface CompiledRoute<T = unknown> {
  readonly name: string;
  /** The template as registered (the function name when none was). */
  readonly template: string;
  /** Upper case; undefined answers every method. */
  readonly methods: readonly string[] | undefined;
  readonly target: T;
  /** Per segment of prefix + template; lower sorts first. See `compareRoutePrecedence`. */
  readonly precedence: readonly SegmentRank[];
  /** Route values of a decoded path, or undefined when the path does not fit the template. */
  matchPath(segments: readonly string[]): Record<string, string> | undefined;
  allowsMethod(method: string): boolean;
}

export interface RouteMatch<T = unknown> {
  readonly route: CompiledRoute<T>;
  readonly params: Record<string, string>;
}

export interface RouteTable<T = unknown> {
  /** In the order the host tries them. */
  readonly routes: readonly CompiledRoute<T>[];
  /** `path` is the raw (percent-encoded) URL path, without the query. */
  match(method: string, path: string): RouteMatch<T> | undefined;
}

/** The segment kinds, best first: the order in which the host prefers them at one position. */
export const SegmentKind = { literal: 0, constrained: 1, parameter: 2, optional: 3, catchAll: 4 } as const;
export type SegmentKindValue = (typeof SegmentKind)[keyof typeof SegmentKind];

export interface SegmentRank {
  readonly kind: SegmentKindValue;
  /** Among constrained parameters the host prefers the one with more constraints. */
  readonly constraints: number;
}

// ---------------------------------------------------------------------------------------------
// Table
// ---------------------------------------------------------------------------------------------

export function createRouteTable<T>(definitions: readonly RouteDefinition<T>[], opts: RouteOptions = {}): RouteTable<T> {
  const compiled = definitions.map((d) => compileRoute(d, opts));
  // Array#sort is stable: routes that compare equal keep registration order.
  const routes = [...compiled].sort(opts.order === 'precedence' ? compareRoutePrecedence : compareRouteFunctionNames);
  return {
    routes,
    match(method, path) {
      const segments = splitRequestPath(path);
      const verb = method.toUpperCase();
      for (const route of routes) {
        // A route whose method does not match is skipped, not answered 405: the host's method check
        // is one more route constraint, so the next route gets its chance and the end is a 404.
        if (!route.allowsMethod(verb)) continue;
        const params = route.matchPath(segments);
        if (params) return { route, params };
      }
      return undefined;
    },
  };
}

/** The host's order: by function name, `StringComparer.OrdinalIgnoreCase`. */
export function compareRouteFunctionNames(a: Pick<CompiledRoute, 'name'>, b: Pick<CompiledRoute, 'name'>): number {
  return compareOrdinalIgnoreCase(a.name, b.name);
}

/**
 * .NET's `StringComparer.OrdinalIgnoreCase`: UTF-16 code units compared after mapping each to upper
 * case (invariant, one unit to one unit), then the shorter string first. So `-` (0x2D) sorts before
 * digits and letters, and `_` (0x5F) after every letter: `Z_` > `ZZ`.
 */
export function compareOrdinalIgnoreCase(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = upperUnit(a.charCodeAt(i));
    const y = upperUnit(b.charCodeAt(i));
    if (x !== y) return x - y;
  }
  return a.length - b.length;
}

function upperUnit(code: number): number {
  if (code >= 0x61 && code <= 0x7a) return code - 0x20;
  if (code < 0x80) return code;
  const upper = String.fromCharCode(code).toUpperCase();
  return upper.length === 1 ? upper.charCodeAt(0) : code;
}

/**
 * ASP.NET Core's template precedence (the order PR #842 would give the host).
 * Segment by segment: literal, then constrained parameter (more constraints first), parameter,
 * optional parameter, catch-all. When one template is a prefix of the other, the longer goes first.
 */
export function compareRoutePrecedence(a: Pick<CompiledRoute, 'precedence'>, b: Pick<CompiledRoute, 'precedence'>): number {
  const common = Math.min(a.precedence.length, b.precedence.length);
  for (let i = 0; i < common; i++) {
    const x = a.precedence[i]!;
    const y = b.precedence[i]!;
    if (x.kind !== y.kind) return x.kind - y.kind;
    if (x.constraints !== y.constraints) return y.constraints - x.constraints;
  }
  return b.precedence.length - a.precedence.length;
}

// ---------------------------------------------------------------------------------------------
// Request paths
// ---------------------------------------------------------------------------------------------

/**
 * The decoded segments of a raw URL path. Like Kestrel, percent-escapes are decoded except `%2F`,
 * which stays as written so that an encoded slash never splits a segment; an invalid escape is kept
 * as is. One trailing slash is ignored, as ASP.NET Core routing does.
 */
export function splitRequestPath(path: string): string[] {
  let p = path.startsWith('/') ? path.slice(1) : path;
  if (p.endsWith('/')) p = p.slice(0, -1);
  return p === '' ? [] : p.split('/').map(decodePathSegment);
}

export function decodePathSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  // The capture keeps each %2F in the result untouched.
  return segment
    .split(/(%2F)/i)
    .map((piece, i) => (i % 2 === 1 ? piece : decodeLeniently(piece)))
    .join('');
}

function decodeLeniently(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // Decode the well-formed escapes one UTF-8 sequence at a time and keep the rest.
    return text.replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Templates
// ---------------------------------------------------------------------------------------------

interface ParameterPart {
  readonly kind: 'parameter';
  readonly name: string;
  readonly catchAll: boolean;
  readonly optional: boolean;
  readonly defaultValue: string | undefined;
  readonly constraints: readonly Constraint[];
}

interface LiteralPart {
  readonly kind: 'literal';
  readonly text: string;
}

type TemplatePart = ParameterPart | LiteralPart;

/** One `/`-separated piece of a template: a literal, a parameter, or a mix ("complex" segment). */
interface SegmentMatcher {
  readonly rank: SegmentRank;
  /** The parameter the segment consists of, when it is exactly one (it may then be left out). */
  readonly parameter: ParameterPart | undefined;
  match(value: string, into: Record<string, string>): boolean;
}

export function compileRoute<T>(definition: RouteDefinition<T>, opts: RouteOptions = {}): CompiledRoute<T> {
  const template = definition.route ?? definition.name;
  const warn = opts.warn ?? console.warn;
  const context = `route "${template}" of function "${definition.name}"`;
  const prefix = splitTemplate(opts.routePrefix ?? DEFAULT_ROUTE_PREFIX);
  const segments = [...prefix, ...splitTemplate(template)].map((s) => compileSegment(s, context, warn));
  assertCatchAllIsLast(segments, context);
  const methods = definition.methods?.map((m) => m.toUpperCase());
  return {
    name: definition.name,
    template,
    methods,
    target: definition.target,
    precedence: segments.map((s) => s.rank),
    matchPath: (path) => matchSegments(segments, path),
    allowsMethod: (method) => methods === undefined || methods.includes(method.toUpperCase()),
  };
}

/** Splits at `/` outside braces; leading and trailing slashes mean nothing (`/orders/` = `orders`). */
function splitTemplate(template: string): string[] {
  const segments: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of template) {
    if (ch === '{') depth++;
    else if (ch === '}') depth = Math.max(0, depth - 1);
    if (ch === '/' && depth === 0) {
      segments.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  segments.push(current);
  while (segments.length > 0 && segments[0] === '') segments.shift();
  while (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  return segments;
}

function assertCatchAllIsLast(segments: readonly SegmentMatcher[], context: string): void {
  const index = segments.findIndex((s) => s.parameter?.catchAll);
  if (index !== -1 && index !== segments.length - 1) {
    throw new Error(`A catch-all parameter can only be the last segment: ${context}`);
  }
}

function matchSegments(segments: readonly SegmentMatcher[], path: readonly string[]): Record<string, string> | undefined {
  const values: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const catchAll = segment.parameter?.catchAll === true;
    if (catchAll) return captureRest(segment, path.slice(i), values) ? values : undefined;
    const value = path[i];
    if (value === undefined) return acceptMissing(segment, values) ? values : undefined;
    if (!segment.match(value, values)) return undefined;
  }
  return path.length === segments.length ? values : undefined;
}

function captureRest(segment: SegmentMatcher, rest: readonly string[], values: Record<string, string>): boolean {
  if (rest.length === 0) return acceptMissing(segment, values);
  return segment.match(rest.join('/'), values);
}

/** A template segment with no path segment left: fine for optional, defaulted and catch-all parameters. */
function acceptMissing(segment: SegmentMatcher, values: Record<string, string>): boolean {
  const p = segment.parameter;
  if (!p || !(p.optional || p.catchAll || p.defaultValue !== undefined)) return false;
  // Like the host, a parameter that got no value is absent from the route values.
  if (p.defaultValue !== undefined) values[p.name] = p.defaultValue;
  return true;
}

function compileSegment(text: string, context: string, warn: (message: string) => void): SegmentMatcher {
  const parts = parseSegment(text, context, warn);
  const only = parts.length === 1 ? parts[0]! : undefined;
  if (only?.kind === 'literal') return literalSegment(only.text);
  if (only?.kind === 'parameter') return parameterSegment(only);
  if (parts.some((p) => p.kind === 'parameter' && p.catchAll)) {
    throw new Error(`A catch-all parameter cannot share its segment with anything else: ${context}`);
  }
  return complexSegment(parts, context);
}

function literalSegment(text: string): SegmentMatcher {
  const lower = text.toLowerCase();
  return {
    rank: { kind: SegmentKind.literal, constraints: 0 },
    parameter: undefined,
    // Literal segments compare case-insensitively, like ASP.NET Core routing.
    match: (value) => value.toLowerCase() === lower,
  };
}

function parameterSegment(p: ParameterPart): SegmentMatcher {
  return {
    rank: parameterRank(p),
    parameter: p,
    match(value, into) {
      if (value === '' || !p.constraints.every((c) => c.test(value))) return false;
      into[p.name] = value;
      return true;
    },
  };
}

function parameterRank(p: ParameterPart): SegmentRank {
  const constraints = p.constraints.length;
  if (p.catchAll) return { kind: SegmentKind.catchAll, constraints };
  if (p.optional || p.defaultValue !== undefined) return { kind: SegmentKind.optional, constraints };
  return { kind: constraints > 0 ? SegmentKind.constrained : SegmentKind.parameter, constraints };
}

/**
 * A segment such as `{name}.{ext}` or `report-{year:int}`: a regular expression whose parameters
 * are greedy, which gives the last-occurrence split ASP.NET Core uses (`a.b.c` → `a.b` + `c`).
 */
function complexSegment(parts: readonly TemplatePart[], context: string): SegmentMatcher {
  const params = parts.filter((p): p is ParameterPart => p.kind === 'parameter');
  const pattern = new RegExp(`^${complexPattern(parts, context)}$`, 'i');
  return {
    rank: { kind: SegmentKind.constrained, constraints: params.reduce((n, p) => n + p.constraints.length, 0) },
    parameter: undefined,
    match(value, into) {
      const m = pattern.exec(value);
      if (!m) return false;
      const found: Record<string, string> = {};
      for (const [i, p] of params.entries()) {
        const captured = m[i + 1] ?? p.defaultValue;
        if (captured === undefined) continue;
        if (!p.constraints.every((c) => c.test(captured))) return false;
        found[p.name] = captured;
      }
      Object.assign(into, found);
      return true;
    },
  };
}

function complexPattern(parts: readonly TemplatePart[], context: string): string {
  let source = '';
  for (const [i, part] of parts.entries()) {
    if (part.kind === 'literal') {
      // The "." before a trailing optional parameter is emitted with that parameter.
      if (!isOptionalExtensionDot(parts, i)) source += escapeRegExp(part.text);
    } else if (parts[i - 1]?.kind === 'parameter') {
      throw new Error(`Two parameters must be separated by a literal: ${context}`);
    } else if (!part.optional) {
      source += '(.+)';
    } else if (isOptionalExtensionDot(parts, i - 1)) {
      // The value before gives way (lazy) so that the extension is what follows the last dot.
      source = source.replace(/\(\.\+\)$/, '(.+?)') + '(?:\\.([^.]+))?';
    } else {
      throw new Error(`An optional parameter inside a segment must be last and follow a ".": ${context}`);
    }
  }
  return source;
}

/** `{file}.{ext?}`: the literal at `index` is a "." followed by a last, optional parameter. */
function isOptionalExtensionDot(parts: readonly TemplatePart[], index: number): boolean {
  const dot = parts[index];
  const next = parts[index + 1];
  return (
    dot?.kind === 'literal' && dot.text === '.' && next?.kind === 'parameter' && next.optional && index + 1 === parts.length - 1
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Literal text and `{…}` parameters; `{{` and `}}` stand for literal braces. */
function parseSegment(text: string, context: string, warn: (message: string) => void): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if ((ch === '{' || ch === '}') && text[i + 1] === ch) {
      literal += ch;
      i += 2;
    } else if (ch === '{') {
      if (literal) parts.push({ kind: 'literal', text: literal });
      literal = '';
      const end = findParameterEnd(text, i + 1, context);
      parts.push(
        parseParameter(
          text
            .slice(i + 1, end)
            .replace(/\}\}/g, '}')
            .replace(/\{\{/g, '{'),
          context,
          warn,
        ),
      );
      i = end + 1;
    } else if (ch === '}') {
      throw new Error(`Unmatched "}" in ${context}`);
    } else {
      literal += ch;
      i++;
    }
  }
  if (literal) parts.push({ kind: 'literal', text: literal });
  if (parts.length === 0) throw new Error(`Empty segment in ${context}`);
  return parts;
}

function findParameterEnd(text: string, from: number, context: string): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] !== '}') continue;
    if (text[i + 1] === '}') {
      i++;
      continue;
    }
    return i;
  }
  throw new Error(`Unclosed "{" in ${context}`);
}

/** `*name`, `**name`, `name?`, `name=default`, `name:int:min(1)`, in ASP.NET Core's syntax. */
function parseParameter(body: string, context: string, warn: (message: string) => void): ParameterPart {
  const catchAll = body.startsWith('*');
  let rest = body.replace(/^\*{1,2}/, '');
  const optional = rest.endsWith('?');
  if (optional) rest = rest.slice(0, -1);
  const name = /^[^:=?]*/.exec(rest)![0];
  if (!name || /[{}/*?]/.test(name)) throw new Error(`Invalid parameter name "${name}" in ${context}`);
  rest = rest.slice(name.length);
  const { constraints, remainder } = parseConstraints(rest, name, context, warn);
  const defaultValue = remainder.startsWith('=') ? remainder.slice(1) : undefined;
  if (remainder && defaultValue === undefined) throw new Error(`Cannot parse parameter "${body}" in ${context}`);
  if (optional && defaultValue !== undefined) throw new Error(`A parameter cannot be optional and have a default: ${context}`);
  return { kind: 'parameter', name, catchAll, optional, defaultValue, constraints };
}

function parseConstraints(
  text: string,
  parameter: string,
  context: string,
  warn: (message: string) => void,
): { constraints: Constraint[]; remainder: string } {
  const constraints: Constraint[] = [];
  let rest = text;
  while (rest.startsWith(':')) {
    const end = constraintEnd(rest);
    const reference = rest.slice(1, end);
    rest = rest.slice(end);
    const constraint = resolveConstraint(reference);
    if (constraint) constraints.push(constraint);
    else warn(`Ignoring unknown route constraint "${reference}" on {${parameter}} in ${context}`);
  }
  return { constraints, remainder: rest };
}

/** Where a `:constraint(args)` ends: at the next `:` or `=` outside parentheses. */
function constraintEnd(text: string): number {
  let depth = 0;
  for (let i = 1; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth = Math.max(0, depth - 1);
    else if ((ch === ':' || ch === '=') && depth === 0) return i;
  }
  return text.length;
}

// ---------------------------------------------------------------------------------------------
// Constraints (ASP.NET Core's inline constraints, invariant culture)
// ---------------------------------------------------------------------------------------------

export interface Constraint {
  readonly reference: string;
  test(value: string): boolean;
}

type ConstraintFactory = (args: string | undefined) => ((value: string) => boolean) | undefined;

const INT32 = { min: -(2n ** 31n), max: 2n ** 31n - 1n };
const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };
const GUID_D = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const GUID = new RegExp(`^(?:${GUID_D}|[0-9a-f]{32}|\\{${GUID_D}\\}|\\(${GUID_D}\\))$`, 'i');
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

const CONSTRAINTS: Record<string, ConstraintFactory> = {
  int: () => (v) => integerIn(v, INT32),
  long: () => (v) => integerIn(v, INT64),
  bool: () => (v) => /^(?:true|false)$/i.test(v.trim()),
  guid: () => (v) => GUID.test(v.trim()),
  alpha: () => (v) => /^[a-z]*$/i.test(v),
  decimal: () => (v) => DECIMAL.test(v.trim()),
  double: () => (v) => FLOAT.test(v.trim()),
  float: () => (v) => FLOAT.test(v.trim()),
  datetime: () => (v) => !Number.isNaN(Date.parse(v)),
  required: () => (v) => v !== '',
  minlength: (args) =>
    withIntegers(
      args,
      1,
      ([min]) =>
        (v) =>
          v.length >= Number(min),
    ),
  maxlength: (args) =>
    withIntegers(
      args,
      1,
      ([max]) =>
        (v) =>
          v.length <= Number(max),
    ),
  length: (args) =>
    withIntegers(
      args,
      1,
      ([n]) =>
        (v) =>
          v.length === Number(n),
    ) ??
    withIntegers(
      args,
      2,
      ([min, max]) =>
        (v) =>
          v.length >= Number(min) && v.length <= Number(max),
    ),
  min: (args) =>
    withIntegers(
      args,
      1,
      ([min]) =>
        (v) =>
          integerIn(v, { min: min!, max: INT64.max }),
    ),
  max: (args) =>
    withIntegers(
      args,
      1,
      ([max]) =>
        (v) =>
          integerIn(v, { min: INT64.min, max: max! }),
    ),
  range: (args) =>
    withIntegers(
      args,
      2,
      ([min, max]) =>
        (v) =>
          integerIn(v, { min: min!, max: max! }),
    ),
  // Not anchored, like ASP.NET Core: the pattern may match anywhere unless it says ^…$.
  regex: (args) => (args === undefined ? undefined : regexConstraint(args)),
  file: () => isFileName,
  nonfile: () => (v) => !isFileName(v),
};

function resolveConstraint(reference: string): Constraint | undefined {
  const m = /^([a-z]+)(?:\((.*)\))?$/is.exec(reference);
  const factory = m ? CONSTRAINTS[m[1]!.toLowerCase()] : undefined;
  const test = factory?.(m![2]);
  return test ? { reference, test } : undefined;
}

function integerIn(value: string, range: { min: bigint; max: bigint }): boolean {
  if (!/^[+-]?\d+$/.test(value)) return false;
  const n = BigInt(value);
  return n >= range.min && n <= range.max;
}

function withIntegers(
  args: string | undefined,
  count: number,
  build: (numbers: bigint[]) => (value: string) => boolean,
): ((value: string) => boolean) | undefined {
  const numbers = (args ?? '').split(',').map((s) => s.trim());
  if (numbers.length !== count || numbers.some((s) => !/^-?\d+$/.test(s))) return undefined;
  return build(numbers.map((s) => BigInt(s)));
}

/** ASP.NET Core's `file`: the last segment has a dot that is not its last character. */
function isFileName(value: string): boolean {
  const last = value.slice(value.lastIndexOf('/') + 1);
  const dot = last.lastIndexOf('.');
  return dot !== -1 && dot < last.length - 1;
}

function regexConstraint(pattern: string): ((value: string) => boolean) | undefined {
  try {
    const re = new RegExp(pattern, 'i');
    return (v) => re.test(v);
  } catch {
    return undefined;
  }
}

/** Does a route template match a path (both without the route prefix), whatever the method? */
export function matchesRoute(template: string, path: string): boolean {
  const route = compileRoute({ name: template, route: template, target: undefined }, { routePrefix: '' });
  return route.matchPath(splitRequestPath(path)) !== undefined;
}
