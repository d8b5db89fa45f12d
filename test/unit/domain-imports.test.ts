import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The domain's modules import each other as a DAG: a cycle (even through `import type`) means two
 * modules that cannot be read, tested or moved apart, and the order of their initialisation decides
 * what a reader sees. Relative `import … from` and `export … from` statements are parsed from the
 * sources; anything else (packages) is outside the graph.
 */
const ROOT = resolve(__dirname, '../../shared/domain');
const FROM = /^\s*(?:import|export)\b[^;]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]/gm;
const SIDE_EFFECT = /^\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/gm;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Each module (path relative to shared/domain) and the domain modules it imports. */
function importGraph(files: readonly string[], read: (file: string) => string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = read(file);
    const targets = [...text.matchAll(FROM), ...text.matchAll(SIDE_EFFECT)].map((m) =>
      relative(ROOT, resolve(dirname(file), `${m[1]!.replace(/\.js$/, '')}.ts`)),
    );
    graph.set(relative(ROOT, file), [...new Set(targets)]);
  }
  return graph;
}

/** Every cycle found by a depth-first walk, each as the path that closes it. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (node: string): void => {
    const at = path.indexOf(node);
    if (at >= 0) {
      found.push([...path.slice(at), node]);
      return;
    }
    if (done.has(node)) return;
    path.push(node);
    for (const next of graph.get(node) ?? []) visit(next);
    path.pop();
    done.add(node);
  };
  for (const node of graph.keys()) visit(node);
  return found;
}

describe('shared/domain imports', () => {
  it('form no cycle', () => {
    const graph = importGraph(sources(ROOT), (f) => readFileSync(f, 'utf8'));
    expect(graph.size).toBeGreaterThan(20);
    expect(cycles(graph).map((c) => c.join(' → '))).toEqual([]);
  });

  it('the check sees a cycle through type-only imports and re-exports', () => {
    const files: Record<string, string> = {
      [join(ROOT, 'a.ts')]: "import type { B } from './b';\nexport const a = 1;\n",
      [join(ROOT, 'b.ts')]: "export { c } from './x/c';\nexport type B = number;\n",
      [join(ROOT, 'x/c.ts')]: "import {\n  a,\n} from '../a';\nexport const c = a;\n",
      [join(ROOT, 'd.ts')]: "import { a } from './a';\n",
    };
    const found = cycles(importGraph(Object.keys(files), (f) => files[f]!));
    expect(found).toEqual([['a.ts', 'b.ts', 'x/c.ts', 'a.ts']]);
  });
});
