/**
 * A partial evaluator of Bicep syntax trees: it follows parameters, variables, module parameters
 * and module outputs across files for one environment's parameter file, and gives the values the
 * deployment would send to Azure where they are known before deploying (names, settings, policies,
 * topologies). What only Azure knows (a resource's ID, a generated name's hash, a tenant) stays an
 * `Unknown` carrying its source text and, for strings, a representative sample.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type BicepFile, type Decl, type Node, decorator, parseBicep, stringLiteral, stringParts } from './bicep';

export class Unknown {
  constructor(
    /** The Bicep source that produced it. */
    readonly text: string,
    /** For strings: the value with every unknown piece replaced by a plausible placeholder. */
    readonly sample?: string,
  ) {}
}

export class ResourceRef {
  constructor(readonly resource: ResourceInstance) {}
}

export class ModuleRef {
  constructor(readonly module: ModuleInstance) {}
}

class OutputsRef {
  constructor(readonly module: ModuleInstance) {}
}

export class Lambda {
  constructor(readonly call: (args: Value[]) => Value) {}
}

export type BicepObject = { [key: string]: Value };
export type Value =
  null | boolean | number | string | Value[] | BicepObject | Unknown | ResourceRef | ModuleRef | OutputsRef | Lambda;

export function isObject(v: Value | undefined): v is BicepObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

export function isKnown(v: Value): boolean {
  if (v instanceof Unknown || v instanceof Lambda || v instanceof OutputsRef) return false;
  if (Array.isArray(v)) return v.every(isKnown);
  if (isObject(v)) return Object.values(v).every(isKnown);
  return true;
}

/** A string value or its sample (for messages and format checks). */
export function sampleOf(v: Value): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Unknown) return v.sample;
  return undefined;
}

export interface ResourceInstance {
  readonly instance: Instance;
  readonly symbol: string;
  /** Full type, e.g. Microsoft.Storage/storageAccounts/blobServices/containers. */
  readonly type: string;
  readonly apiVersion: string;
  readonly existing: boolean;
  /** `true` unless the declaration has an `if`. */
  readonly condition: Value;
  readonly index?: number;
  readonly body: BicepObject;
  readonly node: Node;
  /** The resource a nested declaration sits in. */
  readonly parent?: ResourceInstance;
}

export interface ModuleInstance {
  readonly instance: Instance;
  readonly symbol: string;
  /** As written: a relative path or `br/public:...:<version>`. */
  readonly path: string;
  readonly condition: Value;
  readonly params: BicepObject;
  readonly body: BicepObject;
  /** The module's own evaluation, for local modules. */
  readonly child?: Instance;
  readonly node: Node;
}

type Scope = ReadonlyMap<string, Value>;
const EMPTY: Scope = new Map();

/** All the parsed files a deployment can reach, so evaluation itself is synchronous. */
export class Project {
  private constructor(private readonly files: ReadonlyMap<string, BicepFile>) {}

  /** Parses every file; `overrides` replaces a file's text (fixtures of deliberately wrong infra). */
  static async load(paths: readonly string[], overrides: Readonly<Record<string, string>> = {}): Promise<Project> {
    const files = new Map<string, BicepFile>();
    for (const path of paths) files.set(resolve(path), await parseBicep(resolve(path), overrides[resolve(path)]));
    return new Project(files);
  }

  file(path: string): BicepFile {
    const file = this.files.get(resolve(path));
    if (!file) throw new Error(`${path} was not loaded`);
    return file;
  }

  get all(): BicepFile[] {
    return [...this.files.values()];
  }

  /**
   * The deployment a parameter file describes: its `using` template evaluated with its values.
   * `env` stands for the process environment that `readEnvironmentVariable` reads.
   */
  deployment(paramFile: string, env: Readonly<Record<string, string>> = {}): Instance {
    const file = this.file(paramFile);
    if (!file.using) throw new Error(`${file.name} has no using statement`);
    const values = new Instance(this, file, {}, env);
    const args: BicepObject = {};
    for (const decl of file.decls) if (decl.kind === 'param') args[decl.name] = values.symbol(decl.name);
    return new Instance(this, this.file(resolve(dirname(file.path), file.using)), args, env);
  }
}

export class Instance {
  private readonly cache = new Map<string, Value>();
  private readonly busy = new Set<string>();
  private readonly resourcesByDecl = new Map<string, ResourceInstance[]>();
  private readonly modulesByDecl = new Map<string, ModuleInstance[]>();

  constructor(
    readonly project: Project,
    readonly file: BicepFile,
    /** Parameter values given by the caller (module params or a parameter file). */
    readonly args: Readonly<BicepObject>,
    readonly env: Readonly<Record<string, string>>,
  ) {}

  decl(name: string): Decl | undefined {
    return this.file.decls.find((d) => d.name === name && d.kind !== 'output');
  }

  /** The value of a parameter, variable, resource, module or imported symbol. */
  symbol(name: string): Value {
    const cached = this.cache.get(name);
    if (cached !== undefined) return cached;
    if (this.busy.has(name)) throw new Error(`${this.file.name}: '${name}' refers to itself`);
    this.busy.add(name);
    try {
      const value = this.compute(name);
      this.cache.set(name, value);
      return value;
    } finally {
      this.busy.delete(name);
    }
  }

  private compute(name: string): Value {
    const decl = this.decl(name);
    if (!decl) {
      const imported = this.file.imports.get(name);
      if (imported) {
        const source = new Instance(this.project, this.project.file(imported.from), {}, this.env);
        if (imported.name === '*') throw new Error('namespace imports are not supported by this evaluator');
        return source.symbol(imported.name);
      }
      throw new Error(`${this.file.name}: '${name}' is not declared`);
    }
    switch (decl.kind) {
      case 'param': {
        if (decl.node.type === 'variable_declaration') return this.evaluate(decl.node.namedChildren[1]!);
        if (Object.hasOwn(this.args, name)) return this.args[name]!;
        const def = decl.node.namedChildren[2];
        return def ? this.evaluate(def) : new Unknown(`param ${name} (not given)`);
      }
      case 'var':
        return this.evaluate(decl.node.namedChildren[1]!);
      case 'resource': {
        const mine = this.resourcesOf(decl).filter((r) => r.node.id === decl.node.id);
        return isLoop(decl.node) ? mine.map((r) => new ResourceRef(r)) : new ResourceRef(mine[0]!);
      }
      case 'module':
        return new ModuleRef(this.modulesOf(decl)[0]!);
      case 'func':
        return this.userFunction(decl.node);
      default:
        throw new Error(`${this.file.name}: '${name}' is a ${decl.kind}, not a value`);
    }
  }

  output(name: string): Value {
    const decl = this.file.decls.find((d) => d.kind === 'output' && d.name === name);
    if (!decl) throw new Error(`${this.file.name} has no output '${name}'`);
    return this.evaluate(decl.node.namedChildren.at(-1)!);
  }

  /** Every resource declared in this file (loops expanded, nested declarations included). */
  resources(): ResourceInstance[] {
    return this.file.decls.filter((d) => d.kind === 'resource').flatMap((d) => this.resourcesOf(d));
  }

  /** The instances of one top-level resource declaration, its nested declarations included. */
  resourcesOf(decl: Decl): ResourceInstance[] {
    let list = this.resourcesByDecl.get(decl.name);
    if (!list) {
      if (this.busy.has(`resource ${decl.name}`)) throw new Error(`${this.file.name}: resource '${decl.name}' refers to itself`);
      this.busy.add(`resource ${decl.name}`);
      list = [];
      try {
        this.expandResource(decl.node, EMPTY, undefined, list);
      } finally {
        this.busy.delete(`resource ${decl.name}`);
      }
      this.resourcesByDecl.set(decl.name, list);
    }
    return list;
  }

  private expandResource(node: Node, scope: Scope, parent: ResourceInstance | undefined, list: ResourceInstance[]): void {
    const parentType = parent?.type;
    const [symbolNode, typeNode] = node.namedChildren;
    const [rawType, apiVersion = ''] = stringLiteral(typeNode!).split('@');
    const type = parentType && !rawType!.includes('.') ? `${parentType}/${rawType}` : rawType!;
    const existing = node.children.some((c) => c.type === 'existing');
    const add = (bodyNode: Node, condition: Value, local: Scope, index?: number): void => {
      const body = this.evaluate(bodyNode, local, true);
      if (!isObject(body)) throw new Error(`${this.file.name}: resource ${symbolNode!.text} has no object body`);
      const resource: ResourceInstance = {
        instance: this,
        symbol: symbolNode!.text,
        type,
        apiVersion,
        existing,
        condition,
        body,
        node,
        ...(index !== undefined ? { index } : {}),
        ...(parent ? { parent } : {}),
      };
      list.push(resource);
      for (const prop of bodyNode.namedChildren) {
        const nested = prop.namedChildren[0];
        if (prop.type === 'object_property' && nested?.type === 'resource_declaration')
          this.expandResource(nested, local, resource, list);
      }
    };
    this.expandBody(node.namedChildren.at(-1)!, scope, add);
  }

  /** Calls `add` for each instance of a resource or module body (plain, `if`, or `for`). */
  private expandBody(
    body: Node,
    scope: Scope,
    add: (object: Node, condition: Value, scope: Scope, index?: number) => void,
  ): void {
    if (body.type === 'object') return add(body, true, scope);
    if (body.type === 'if_statement') return add(body.namedChildren[1]!, this.evaluate(body.namedChildren[0]!, scope), scope);
    if (body.type !== 'for_statement') throw new Error(`unexpected declaration body ${body.type}`);
    const loop = forParts(body);
    const items = this.evaluate(loop.iterable, scope);
    const elements: Value[] = Array.isArray(items) ? items : [new Unknown(loop.iterable.text)];
    elements.forEach((item, index) => {
      const local = new Map(scope);
      local.set(loop.item, item);
      if (loop.index) local.set(loop.index, index);
      const inner = loop.body;
      if (inner.type === 'if_statement')
        add(inner.namedChildren[1]!, this.evaluate(inner.namedChildren[0]!, local), local, index);
      else add(inner, true, local, index);
    });
  }

  /** Every module this file calls, with its evaluated parameters. */
  modules(): ModuleInstance[] {
    return this.file.decls.filter((d) => d.kind === 'module').flatMap((d) => this.modulesOf(d));
  }

  private modulesOf(decl: Decl): ModuleInstance[] {
    const cached = this.modulesByDecl.get(decl.name);
    if (cached) return cached;
    const list: ModuleInstance[] = [];
    {
      const [symbolNode, pathNode, bodyNode] = decl.node.namedChildren;
      const path = stringLiteral(pathNode!);
      this.expandBody(bodyNode!, EMPTY, (object, condition, scope) => {
        const body = this.evaluate(object, scope);
        if (!isObject(body)) throw new Error(`${this.file.name}: module ${symbolNode!.text} has no object body`);
        const params = isObject(body.params) ? body.params : {};
        const local = !path.startsWith('br:') && !path.startsWith('br/') && !path.startsWith('ts:');
        const child = local
          ? new Instance(this.project, this.project.file(resolve(dirname(this.file.path), path)), params, this.env)
          : undefined;
        list.push({
          instance: this,
          symbol: symbolNode!.text,
          path,
          condition,
          params,
          body,
          node: decl.node,
          ...(child ? { child } : {}),
        });
      });
    }
    this.modulesByDecl.set(decl.name, list);
    return list;
  }

  private userFunction(node: Node): Lambda {
    const names = node.childForFieldName('parameters') ?? node.namedChildren.find((n) => n.type === 'parameters');
    const params = (names?.namedChildren ?? []).map((p) => p.namedChildren[0]!.text);
    const body = node.namedChildren.at(-1)!;
    return new Lambda((args) => this.evaluate(body, new Map(params.map((p, i) => [p, args[i] ?? null]))));
  }

  /**
   * Evaluates an expression. `resourceBody` marks a resource's object, whose nested resource
   * declarations are not values.
   */
  evaluate(node: Node, scope: Scope = EMPTY, resourceBody = false): Value {
    switch (node.type) {
      case 'number':
        return Number(node.text);
      case 'boolean':
        return node.text === 'true';
      case 'null':
        return null;
      case 'string':
        return this.string(node, scope);
      case 'array':
        return node.namedChildren.filter((n) => n.type !== 'decorators').map((n) => this.evaluate(n, scope));
      case 'object': {
        const out: BicepObject = {};
        for (const prop of node.namedChildren) {
          if (prop.type !== 'object_property') continue;
          const [key, value] = prop.namedChildren;
          if (key!.type === 'resource_declaration') {
            if (!resourceBody) throw new Error('a resource declaration outside a resource body');
            continue;
          }
          out[propertyKey(key!)] = this.evaluate(value!, scope);
        }
        return out;
      }
      case 'identifier':
        return scope.has(node.text) ? scope.get(node.text)! : this.symbol(node.text);
      case 'parenthesized_expression':
        return this.evaluate(node.namedChildren[0]!, scope);
      case 'for_statement': {
        const loop = forParts(node);
        const items = this.evaluate(loop.iterable, scope);
        if (!Array.isArray(items)) return new Unknown(node.text);
        const out: Value[] = [];
        items.forEach((item, index) => {
          const local = new Map(scope);
          local.set(loop.item, item);
          if (loop.index) local.set(loop.index, index);
          if (loop.body.type === 'if_statement') {
            if (this.evaluate(loop.body.namedChildren[0]!, local) === true)
              out.push(this.evaluate(loop.body.namedChildren[1]!, local));
          } else out.push(this.evaluate(loop.body, local));
        });
        return out;
      }
      case 'member_expression':
        return this.member(node, scope);
      case 'subscript_expression': {
        const target = this.evaluate(node.childForFieldName('object')!, scope);
        const index = this.evaluate(node.childForFieldName('index')!, scope);
        const safe = node.children.some((c) => c.type === '?');
        if (Array.isArray(target) && typeof index === 'number')
          return target[index] ?? (safe ? null : fail(node, 'index out of range'));
        if (isObject(target) && typeof index === 'string')
          return Object.hasOwn(target, index) ? target[index]! : safe ? null : fail(node, `no property '${index}'`);
        return new Unknown(node.text);
      }
      case 'resource_expression': {
        const parent = this.evaluate(node.childForFieldName('object')!, scope);
        const childName = node.childForFieldName('resource')!.text;
        if (!(parent instanceof ResourceRef)) return new Unknown(node.text);
        let root = parent.resource;
        while (root.parent) root = root.parent;
        const siblings = root.instance.resourcesOf(root.instance.decl(root.symbol)!);
        const child = siblings.find((r) => r.symbol === childName && r.parent === parent.resource);
        return child ? new ResourceRef(child) : fail(node, `no nested resource '${childName}'`);
      }
      case 'call_expression':
        return this.call(node, scope);
      case 'unary_expression': {
        const value = this.evaluate(node.childForFieldName('argument')!, scope);
        const op = node.childForFieldName('operator')!.text;
        if (op === '!' && typeof value === 'boolean') return !value;
        if (op === '-' && typeof value === 'number') return -value;
        return new Unknown(node.text);
      }
      case 'binary_expression':
        return this.binary(node, scope);
      case 'ternary_expression': {
        const condition = this.evaluate(node.childForFieldName('condition')!, scope);
        if (condition === true) return this.evaluate(node.childForFieldName('consequence')!, scope);
        if (condition === false) return this.evaluate(node.childForFieldName('alternative')!, scope);
        return new Unknown(node.text);
      }
      case 'lambda_expression': {
        const [params, body] = node.namedChildren;
        const names = params!.type === 'identifier' ? [params!.text] : params!.namedChildren.map((p) => p.text);
        return new Lambda((args) => {
          const local = new Map(scope);
          names.forEach((n, i) => local.set(n, args[i] ?? null));
          return this.evaluate(body!, local);
        });
      }
      default:
        throw new Error(`${this.file.name}: cannot evaluate ${node.type}: ${node.text.slice(0, 80)}`);
    }
  }

  private string(node: Node, scope: Scope): Value {
    const parts = stringParts(node).map((p) => (typeof p === 'string' ? p : this.evaluate(p, scope)));
    if (parts.every((p) => typeof p === 'string' || typeof p === 'number' || typeof p === 'boolean')) return parts.join('');
    return new Unknown(
      node.text,
      parts.map((p) => (typeof p === 'string' || typeof p === 'number' ? String(p) : (sampleOf(p) ?? 'x'))).join(''),
    );
  }

  private member(node: Node, scope: Scope): Value {
    const objectNode = node.childForFieldName('object')!;
    const target = this.evaluate(objectNode, scope);
    const property = node.childForFieldName('property')!.text;
    const safe = node.children.some((c) => c.type === '.?');
    // The grammar reads `x => x.key` as `(x => x).key`; Bicep has no members on lambdas, so the
    // access belongs to the lambda's body.
    if (objectNode.type === 'lambda_expression' && target instanceof Lambda)
      return new Lambda((args) => this.memberOf(target.call(args), property, safe, node));
    return this.memberOf(target, property, safe, node);
  }

  private memberOf(target: Value, property: string, safe: boolean, node: Node): Value {
    if (isObject(target))
      return Object.hasOwn(target, property) ? target[property]! : safe ? null : fail(node, `no property '${property}'`);
    if (target === null && safe) return null;
    if (target instanceof ResourceRef && property === 'name') return target.resource.body.name ?? null;
    if (target instanceof ModuleRef && property === 'outputs') return new OutputsRef(target.module);
    if (target instanceof OutputsRef) return target.module.child ? target.module.child.output(property) : new Unknown(node.text);
    return new Unknown(node.text);
  }

  private binary(node: Node, scope: Scope): Value {
    const op = node.childForFieldName('operator')!.text;
    const left = this.evaluate(node.childForFieldName('left')!, scope);
    if (op === '&&' && left === false) return false;
    if (op === '||' && left === true) return true;
    if (op === '??' && left !== null && !(left instanceof Unknown)) return left;
    const right = this.evaluate(node.childForFieldName('right')!, scope);
    if (op === '??') return left === null ? right : new Unknown(node.text);
    if (!isKnown(left) || !isKnown(right)) return new Unknown(node.text);
    switch (op) {
      case '==':
        return deepEqual(left, right);
      case '!=':
        return !deepEqual(left, right);
      case '=~':
        return String(left).toLowerCase() === String(right).toLowerCase();
      case '!~':
        return String(left).toLowerCase() !== String(right).toLowerCase();
      case '&&':
      case '||':
        return op === '&&' ? left === true && right === true : left === true || right === true;
    }
    if (typeof left !== 'number' || typeof right !== 'number') return fail(node, `'${op}' needs numbers`);
    const ops: Record<string, (a: number, b: number) => Value> = {
      '+': (a, b) => a + b,
      '-': (a, b) => a - b,
      '*': (a, b) => a * b,
      '/': (a, b) => Math.trunc(a / b),
      '%': (a, b) => a % b,
      '<': (a, b) => a < b,
      '<=': (a, b) => a <= b,
      '>': (a, b) => a > b,
      '>=': (a, b) => a >= b,
    };
    return ops[op]?.(left, right) ?? fail(node, `unknown operator ${op}`);
  }

  private call(node: Node, scope: Scope): Value {
    const fn = node.childForFieldName('function')!;
    const args = (node.childForFieldName('arguments')?.namedChildren ?? []).map((a) => this.evaluate(a, scope));
    let name: string;
    if (fn.type === 'identifier') name = fn.text;
    else if (fn.type === 'member_expression' && ['sys', 'az'].includes(fn.childForFieldName('object')!.text))
      name = fn.childForFieldName('property')!.text;
    else return new Unknown(node.text); // a resource function: listKeys(), getSecret(), ...
    if (scope.has(name) || this.decl(name)?.kind === 'func') {
      const f = scope.get(name) ?? this.symbol(name);
      if (f instanceof Lambda) return f.call(args);
    }
    // Read at compile time, relative to the file that calls it (gateway policies are loaded so).
    if (name === 'loadTextContent' && typeof args[0] === 'string')
      return readFileSync(resolve(dirname(this.file.path), args[0]), 'utf8');
    const builtin = BUILTINS[name];
    if (!builtin) return new Unknown(node.text);
    return builtin(args, node, this.env);
  }

  /** Checks the caller's values against each parameter's type decorators; returns the problems. */
  parameterProblems(): string[] {
    const problems: string[] = [];
    for (const decl of this.file.decls.filter((d) => d.kind === 'param')) {
      const given = Object.hasOwn(this.args, decl.name);
      const optional = decl.node.namedChildren.length > 2 || /\?$/.test(decl.node.namedChildren[1]!.text);
      if (!given && !optional) {
        problems.push(`${this.file.name}: parameter '${decl.name}' is required and not given`);
        continue;
      }
      const value = this.symbol(decl.name);
      const where = `${this.file.name}: ${decl.name} = ${JSON.stringify(value)}`;
      const allowed = decorator(decl, 'allowed');
      if (allowed && isKnown(value)) {
        const options = this.evaluate(allowed[0]!) as Value[];
        const values = Array.isArray(value) ? value : [value];
        for (const v of values)
          if (!options.some((o) => deepEqual(o, v))) problems.push(`${where} is not one of ${JSON.stringify(options)}`);
      }
      const min = decorator(decl, 'minValue');
      if (min && typeof value === 'number' && value < (this.evaluate(min[0]!) as number))
        problems.push(`${where} is below @minValue`);
      const max = decorator(decl, 'maxValue');
      if (max && typeof value === 'number' && value > (this.evaluate(max[0]!) as number))
        problems.push(`${where} is above @maxValue`);
      const length = typeof value === 'string' ? value.length : Array.isArray(value) ? value.length : undefined;
      const minLength = decorator(decl, 'minLength');
      if (minLength && length !== undefined && length < (this.evaluate(minLength[0]!) as number))
        problems.push(`${where} is shorter than @minLength`);
      const maxLength = decorator(decl, 'maxLength');
      if (maxLength && length !== undefined && length > (this.evaluate(maxLength[0]!) as number))
        problems.push(`${where} is longer than @maxLength`);
    }
    for (const name of Object.keys(this.args)) {
      if (!this.file.decls.some((d) => d.kind === 'param' && d.name === name))
        problems.push(`${this.file.name}: no parameter '${name}' to give`);
    }
    return problems;
  }
}

function isLoop(decl: Node): boolean {
  return decl.namedChildren.at(-1)!.type === 'for_statement';
}

function forParts(node: Node): { item: string; index?: string; iterable: Node; body: Node } {
  const params = node.namedChildren.find((n) => n.type === 'for_loop_parameters');
  const body = node.childForFieldName('body')!;
  const initializer = node.childForFieldName('initializer');
  const inToken = node.children.findIndex((c) => c.type === 'in');
  const iterable = node.children.slice(inToken + 1).find((c) => c.isNamed)!;
  if (params) {
    const [item, index] = params.namedChildren;
    return { item: item!.text, index: index!.text, iterable, body };
  }
  return { item: initializer!.text, iterable, body };
}

function propertyKey(key: Node): string {
  if (key.type === 'string') return stringLiteral(key);
  return key.text.replace(/\?$/, '');
}

function fail(node: Node, message: string): never {
  throw new Error(`${message} at ${node.startPosition.row + 1}:${node.startPosition.column + 1}: ${node.text.slice(0, 80)}`);
}

export function deepEqual(a: Value, b: Value): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]!));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k]!, b[k]!));
  }
  return a === b;
}

// Azure's public cloud, as `environment()` returns it there.
const AZURE_CLOUD: BicepObject = {
  name: 'AzureCloud',
  suffixes: { storage: 'core.windows.net', keyvaultDns: '.vault.azure.net' },
  authentication: { loginEndpoint: 'https://login.microsoftonline.com/' },
};

type Builtin = (args: Value[], node: Node, env: Readonly<Record<string, string>>) => Value;

/** A stand-in for uniqueString(): 13 lowercase hex characters of a hash of what is known of the arguments. */
function uniqueSample(args: Value[]): string {
  const parts = args.map((a) => (a instanceof Unknown ? `?${a.text}` : JSON.stringify(a)));
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 13);
}

/** Strings that only Azure knows get a sample of the right shape, so formats can still be checked. */
function opaque(node: Node, sample?: string): Unknown {
  return new Unknown(node.text, sample);
}

function known(args: Value[], node: Node, f: () => Value): Value {
  return args.every(isKnown) ? f() : new Unknown(node.text);
}

const BUILTINS: Record<string, Builtin> = {
  any: ([v]) => v ?? null,
  empty: ([v], node) =>
    v === null
      ? true
      : typeof v === 'string' || Array.isArray(v)
        ? v.length === 0
        : isObject(v)
          ? Object.keys(v).length === 0
          : opaque(node),
  length: ([v], node) =>
    typeof v === 'string' || Array.isArray(v) ? v.length : isObject(v) ? Object.keys(v).length : opaque(node),
  join: (args, node) => known(args, node, () => (args[0] as Value[]).map(String).join(args[1] as string)),
  split: (args, node) => known(args, node, () => (args[0] as string).split(args[1] as string)),
  contains: (args, node) =>
    known(args, node, () => {
      const [c, v] = args;
      if (typeof c === 'string') return c.includes(String(v));
      if (Array.isArray(c)) return c.some((x) => deepEqual(x, v!));
      return isObject(c) && typeof v === 'string' && Object.hasOwn(c, v);
    }),
  union: (args, node) =>
    args.every(isObject) ? Object.assign({}, ...args) : args.every(Array.isArray) ? [...new Set(args.flat())] : opaque(node),
  concat: (args, node) =>
    args.every(Array.isArray) ? args.flat() : known(args, node, () => args.map((a) => String(a)).join('')),
  toLower: ([v], node) => (typeof v === 'string' ? v.toLowerCase() : opaque(node, sampleOf(v!)?.toLowerCase())),
  toUpper: ([v], node) => (typeof v === 'string' ? v.toUpperCase() : opaque(node, sampleOf(v!)?.toUpperCase())),
  take: ([v, n], node) =>
    typeof n === 'number' && (typeof v === 'string' || Array.isArray(v))
      ? v.slice(0, n)
      : opaque(node, typeof n === 'number' ? sampleOf(v!)?.slice(0, n) : undefined),
  replace: (args, node) => known(args, node, () => (args[0] as string).split(args[1] as string).join(args[2] as string)),
  first: ([v]) => (Array.isArray(v) ? (v[0] ?? null) : typeof v === 'string' ? v.slice(0, 1) : null),
  last: ([v]) => (Array.isArray(v) ? (v.at(-1) ?? null) : typeof v === 'string' ? v.slice(-1) : null),
  string: ([v], node) =>
    typeof v === 'string' ? v : isKnown(v!) ? (typeof v === 'object' ? JSON.stringify(v) : String(v)) : opaque(node),
  int: ([v], node) => (typeof v === 'number' ? v : typeof v === 'string' ? Number.parseInt(v, 10) : opaque(node)),
  bool: ([v], node) => (typeof v === 'boolean' ? v : typeof v === 'string' ? v.toLowerCase() === 'true' : opaque(node)),
  items: ([v], node) =>
    isObject(v)
      ? Object.keys(v)
          .sort()
          .map((key) => ({ key, value: v[key]! }))
      : opaque(node),
  toObject: ([list, key, value], node) => {
    if (!Array.isArray(list) || !(key instanceof Lambda)) return opaque(node);
    const out: BicepObject = {};
    for (const item of list) {
      const k = key.call([item]);
      if (typeof k !== 'string') return opaque(node);
      out[k] = value instanceof Lambda ? value.call([item]) : item;
    }
    return out;
  },
  map: ([list, f], node) => (Array.isArray(list) && f instanceof Lambda ? list.map((x, i) => f.call([x, i])) : opaque(node)),
  filter: ([list, f], node) =>
    Array.isArray(list) && f instanceof Lambda ? list.filter((x, i) => f.call([x, i]) === true) : opaque(node),
  range: ([start, count], node) =>
    typeof start === 'number' && typeof count === 'number' ? Array.from({ length: count }, (_, i) => start + i) : opaque(node),
  readEnvironmentVariable: ([name, fallback], node, env) =>
    typeof name === 'string' && Object.hasOwn(env, name) ? env[name]! : fallback !== undefined ? fallback : opaque(node),
  environment: () => AZURE_CLOUD,
  // Only Azure knows these; the samples have their real shapes.
  // Azure's hash is unknown, but equal arguments give equal names and different ones (the secondary
  // region's) different names: the sample is 13 characters derived from the arguments.
  uniqueString: (args, node) => opaque(node, uniqueSample(args)),
  guid: (_, node) => opaque(node, '00000000-0000-0000-0000-000000000000'),
  subscriptionResourceId: (args, node) =>
    opaque(
      node,
      `/subscriptions/00000000-0000-0000-0000-000000000000/providers/${args[0]}/${args.slice(1).map(String).join('/')}`,
    ),
  // resourceId(type, name, child name...) in the deploying resource group: the sample interleaves the
  // type's segments with the names (Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>), so a
  // test can read which resource an ID names.
  resourceId: (args, node) => {
    const [type, ...names] = args;
    if (typeof type !== 'string' || !names.every((n) => typeof n === 'string')) return opaque(node);
    const [namespace, ...types] = type.split('/');
    const path = types.map((t, i) => `${t}/${String(names[i] ?? 'x')}`).join('/');
    return opaque(node, `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/x/providers/${namespace}/${path}`);
  },
};
