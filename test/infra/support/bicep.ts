/**
 * Bicep files as syntax trees, parsed by the tree-sitter Bicep grammar compiled to WebAssembly
 * (test/infra/grammar: vendored, no native build, no install script). No Bicep CLI is needed.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Language, Parser, type Node } from 'web-tree-sitter';

export type { Node } from 'web-tree-sitter';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const INFRA = join(REPO, 'infra');
export const GRAMMAR_WASM = join(REPO, 'test/infra/grammar/tree-sitter-bicep.wasm');

let ready: Promise<Parser> | undefined;

/** The parser, created once per test file. */
export function bicepParser(): Promise<Parser> {
  ready ??= (async () => {
    await Parser.init();
    const language = await Language.load(readFileSync(GRAMMAR_WASM));
    const parser = new Parser();
    parser.setLanguage(language);
    return parser;
  })();
  return ready;
}

export interface Decl {
  readonly kind: 'param' | 'var' | 'output' | 'resource' | 'module' | 'func' | 'type' | 'metadata';
  readonly name: string;
  readonly node: Node;
  /** The decorators written above the declaration (`@secure()`, `@allowed([...])`, ...). */
  readonly decorators: readonly Node[];
}

export interface BicepFile {
  /** Absolute path. */
  readonly path: string;
  /** Path relative to the repository, for messages. */
  readonly name: string;
  readonly text: string;
  readonly root: Node;
  readonly decls: readonly Decl[];
  /** `import { a, b as c } from 'x.bicep'`: local name -> [file, exported name]. */
  readonly imports: ReadonlyMap<string, { from: string; name: string }>;
  /** The `using` target of a parameter file. */
  readonly using?: string;
}

/**
 * The grammar has no dialect for parameter files: there `param name = value` has no type, which is
 * exactly a variable declaration's syntax. The keyword is swapped for `var` padded to the same
 * length, so every position in the tree still points into the real file.
 */
export function asBicepSource(path: string, text: string): string {
  return path.endsWith('.bicepparam') ? text.replace(/^(\s*)param(?=\s)/gm, '$1var  ') : text;
}

export async function parseBicep(path: string, text = readFileSync(path, 'utf8')): Promise<BicepFile> {
  const parser = await bicepParser();
  const tree = parser.parse(asBicepSource(path, text));
  if (!tree) throw new Error(`${path}: the parser returned no tree`);
  const root = tree.rootNode;
  const decls: Decl[] = [];
  const imports = new Map<string, { from: string; name: string }>();
  let using: string | undefined;
  let pending: Node[] = [];
  const lines = text.split('\n');
  for (const node of root.namedChildren) {
    switch (node.type) {
      case 'decorators':
        pending = node.namedChildren;
        continue;
      case 'using_statement':
        using = stringLiteral(node.namedChildren[0]!);
        break;
      case 'import_functionality': {
        const from = resolve(dirname(path), stringLiteral(node.namedChildren.at(-1)!));
        const tokens = node.children;
        for (let i = 0; i < tokens.length; i++) {
          const token = tokens[i]!;
          if (token.type !== 'identifier') continue;
          if (tokens[i - 1]?.type === 'as' && tokens[i - 2]?.type === '*') imports.set(token.text, { from, name: '*' });
          else if (tokens[i + 1]?.type === 'as') {
            imports.set(tokens[i + 2]!.text, { from, name: token.text });
            i += 2;
          } else imports.set(token.text, { from, name: token.text });
        }
        break;
      }
      default: {
        const kind = DECLARATIONS[node.type];
        if (kind) {
          const nameNode = node.childForFieldName('name') ?? node.namedChildren.find((n) => n.type === 'identifier');
          if (!nameNode) throw new Error(`${path}: ${node.type} without a name`);
          // In a parameter file, a `param` was parsed as a `var` (see asBicepSource).
          const isParam =
            path.endsWith('.bicepparam') &&
            kind === 'var' &&
            lines[node.startPosition.row]!.slice(node.startPosition.column).startsWith('param');
          decls.push({ kind: isParam ? 'param' : kind, name: nameNode.text, node, decorators: pending });
        }
      }
    }
    pending = [];
  }
  return { path, name: relative(REPO, path), text, root, decls, imports, ...(using !== undefined ? { using } : {}) };
}

const DECLARATIONS: Record<string, Decl['kind'] | undefined> = {
  parameter_declaration: 'param',
  variable_declaration: 'var',
  output_declaration: 'output',
  resource_declaration: 'resource',
  module_declaration: 'module',
  user_defined_function: 'func',
  type_declaration: 'type',
  metadata_declaration: 'metadata',
};

/** Where the tree has ERROR or MISSING nodes: empty when the file parses. */
export function syntaxErrors(file: BicepFile): string[] {
  const out: string[] = [];
  const visit = (node: Node): void => {
    if (node.isError || node.isMissing) {
      const { row, column } = node.startPosition;
      out.push(
        `${file.name}:${row + 1}:${column + 1}: ${node.isMissing ? `missing ${node.type}` : `unexpected '${node.text.slice(0, 40)}'`}`,
      );
      return;
    }
    for (const child of node.children) if (child.hasError || child.isMissing || child.isError) visit(child);
  };
  visit(file.root);
  return out;
}

/** The value of a string node without interpolations (module paths, resource types, using). */
export function stringLiteral(node: Node): string {
  if (node.type !== 'string') throw new Error(`expected a string, got ${node.type}: ${node.text}`);
  if (node.namedChildren.some((c) => c.type === 'interpolation')) throw new Error(`expected a literal string: ${node.text}`);
  return stringParts(node)
    .map((p) => (typeof p === 'string' ? p : ''))
    .join('');
}

/** A string's pieces: literal text (escapes decoded) and interpolated expression nodes. */
export function stringParts(node: Node): (string | Node)[] {
  const parts: (string | Node)[] = [];
  for (const child of node.children) {
    if (child.type === 'interpolation') parts.push(child.namedChildren[0]!);
    else if (child.type === 'string_content') parts.push(child.text);
    else if (child.text.startsWith('\\')) parts.push(unescape(child.text));
  }
  return parts;
}

function unescape(seq: string): string {
  const c = seq.slice(1);
  if (c.startsWith('u{')) return String.fromCodePoint(parseInt(c.slice(2, -1), 16));
  return ({ n: '\n', r: '\r', t: '\t' } as Record<string, string>)[c] ?? c;
}

/** The decorator named `name` (e.g. 'secure', 'allowed') and its argument nodes, if present. */
export function decorator(decl: Decl, name: string): Node[] | undefined {
  for (const d of decl.decorators) {
    const call = d.namedChildren[0];
    const fn = call?.childForFieldName('function');
    if (fn && (fn.text === name || fn.text === `sys.${name}`)) return call!.childForFieldName('arguments')?.namedChildren ?? [];
  }
  return undefined;
}

/** Every file under a folder whose name matches. */
export function filesUnder(dir: string, match: RegExp): string[] {
  return readdirSync(dir)
    .flatMap((entry) => {
      const path = join(dir, entry);
      return statSync(path).isDirectory() ? filesUnder(path, match) : match.test(entry) ? [path] : [];
    })
    .sort();
}
