/**
 * What the deployed entry imports eagerly, and what each import costs:
 *
 *   npm run build && npx tsx bench/cold-imports.ts [runs] [entry]
 *
 * Lists the packages that the entry (default `dist/functions/index.js`) and the chunks it imports
 * statically load at import time (the bundle's static `import … from "pkg"` lines; a dynamic
 * `import()` is loaded by the first invocation that needs it), then times, each in a fresh `node` process, `runs` times (default 15):
 * every such package alone, our own code (the entry imported after its packages, so only our
 * modules are left to load), the whole entry, each Azure SDK alone and all of them together (the
 * cold-start baseline of `npm run bench`). Prints min / median / max in ms.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const AZURE_SDKS = [
  '@azure/functions',
  '@azure/cosmos',
  '@azure/identity',
  '@azure/keyvault-secrets',
  '@azure/service-bus',
  '@azure/storage-blob',
];

/** The npm packages a bundle file loads at import time, following its static imports of chunks. */
export async function eagerPackages(entry: string): Promise<string[]> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = async (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = await readFile(file, 'utf8');
    // esbuild writes static imports as `import … from "x";` (possibly over several lines) or `import "x";`.
    for (const [, specifier] of code.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s*"([^"]+)";|^import\s*"([^"]+)";/gms)) {
      if (!specifier) continue;
      if (specifier.startsWith('.')) await visit(join(dirname(file), specifier));
      else if (!specifier.startsWith('node:') && !builtinModules.includes(specifier)) packages.add(specifier);
    }
  };
  await visit(resolve(entry));
  return [...packages].sort();
}

/** ms to import the specifiers in a fresh process; `after` are imported first, untimed. */
export async function timeImport(specifiers: readonly string[], after: readonly string[] = []): Promise<number> {
  const code =
    `for (const s of ${JSON.stringify(after)}) await import(s);` +
    `const t = performance.now(); for (const s of ${JSON.stringify(specifiers)}) await import(s);` +
    `console.log(performance.now() - t);`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], {
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return Number(stdout.trim().split('\n').pop());
}

export function spread(xs: readonly number[]): { min: number; median: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  return { min: r(s[0]!), median: r(s[Math.floor((s.length - 1) / 2)]!), max: r(s[s.length - 1]!) };
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 15);
  const entryFile = resolve(process.argv[3] ?? 'dist/functions/index.js');
  const entry = pathToFileURL(entryFile).href;
  const eager = await eagerPackages(entryFile);
  console.log(`eager packages of the entry: ${eager.join(', ')}`);
  const measures: [string, string[], string[]][] = [
    ...eager.map((p): [string, string[], string[]] => [p, [p], []]),
    ['our code (entry after its packages)', [entry], eager],
    ['the entry', [entry], []],
    ...AZURE_SDKS.map((p): [string, string[], string[]] => [p, [p], []]),
    ['all Azure SDKs (the bench baseline)', AZURE_SDKS, []],
  ];
  const times = measures.map(() => [] as number[]);
  for (const [, specifiers, after] of measures) await timeImport(specifiers, after); // warm the file cache
  // Round-robin, so that load from other processes hits every measure alike.
  for (let i = 0; i < runs; i++)
    for (const [k, [, specifiers, after]] of measures.entries()) times[k]!.push(await timeImport(specifiers, after));
  console.log(`\n${'import'.padEnd(40)} ${'min'.padStart(7)} ${'median'.padStart(7)} ${'max'.padStart(7)}   (ms, ${runs} runs)`);
  for (const [k, [name]] of measures.entries()) {
    const s = spread(times[k]!);
    console.log(`${name.padEnd(40)} ${String(s.min).padStart(7)} ${String(s.median).padStart(7)} ${String(s.max).padStart(7)}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
