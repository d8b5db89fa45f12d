/**
 * Every package the code imports is declared in package.json. An undeclared one works only while
 * npm happens to hoist it from another package's dependencies (`@sendgrid/client` came with
 * `@sendgrid/mail`, issue 22), and disappears when that package changes. And what is deployed —
 * functions/ and shared/, bundled with packages external and installed with `npm ci --omit=dev` —
 * may import only `dependencies`: a devDependency is not there in Azure.
 *
 * Imports are read with the TypeScript compiler's own scanner (`ts.preProcessFile`): static
 * imports, `export … from`, `import()` and `require()`.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** Deployed code: only production dependencies exist where it runs. */
const PRODUCTION = ['functions', 'shared'];
/** Run here, where devDependencies are installed too. */
const TOOLING = ['local', 'scripts', 'bench', 'test'];
/** Run on the deployment agent with Node's type stripping and no npm install: built-ins only. */
const AGENT = ['infra/scripts'];

const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (entry === 'node_modules') return [];
    return statSync(path).isDirectory() ? sourceFiles(path) : SOURCE.test(entry) ? [path] : [];
  });
}

/** The module specifiers a file imports, in every form. */
function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** The npm package a bare specifier names ('@scope/name/x' → '@scope/name'); undefined otherwise. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  return builtinModules.includes(name) ? undefined : name;
}

/** `file: package` for every import of a package outside `allowed`. */
function undeclaredImports(files: { path: string; text: string }[], allowed: ReadonlySet<string>): string[] {
  return files.flatMap(({ path, text }) =>
    importsOf(text)
      .map(packageOf)
      .filter((name): name is string => name !== undefined && !allowed.has(name))
      .map((name) => `${path}: ${name}`),
  );
}

function filesUnder(dirs: readonly string[]): { path: string; text: string }[] {
  return dirs
    .flatMap((d) => sourceFiles(join(REPO, d)))
    .map((path) => ({ path: relative(REPO, path), text: readFileSync(path, 'utf8') }));
}

const dependencies = new Set(Object.keys(pkg.dependencies));
const everything = new Set([...dependencies, ...Object.keys(pkg.devDependencies)]);

describe('every imported package is declared in package.json', () => {
  it('functions/ and shared/ import only production dependencies', () => {
    const files = filesUnder(PRODUCTION);
    expect(files.length).toBeGreaterThan(50);
    expect(undeclaredImports(files, dependencies)).toEqual([]);
  });

  it('local/, scripts/, bench/, test/ and the root config files import only declared packages', () => {
    const root = readdirSync(REPO)
      .filter((f) => SOURCE.test(f))
      .map((path) => ({ path, text: readFileSync(join(REPO, path), 'utf8') }));
    expect(root.map((f) => f.path)).toContain('vitest.config.ts');
    expect(undeclaredImports([...filesUnder(TOOLING), ...root], everything)).toEqual([]);
  });

  it('infra/scripts imports nothing but Node built-ins (the deployment agent installs no packages)', () => {
    expect(undeclaredImports(filesUnder(AGENT), new Set())).toEqual([]);
  });

  it('the SendGrid adapter’s client is a dependency of its own', () => {
    expect(pkg.dependencies['@sendgrid/client']).toBeDefined();
  });
});

describe('the check fails on an undeclared import (fixtures)', () => {
  const fixture = {
    path: 'shared/adapters/probe.ts',
    text: [
      "import { Client } from '@sendgrid/client';",
      "import type { Mock } from 'vitest';",
      "export { z } from 'zod';",
      "import { join } from 'node:path';",
      "import { readFileSync } from 'fs';",
      "import { x } from './local';",
      "const sdk = () => import('@azure/not-installed/sub/path');",
      "const legacy = require('left-pad');",
    ].join('\n'),
  };

  it('reads every form of import', () => {
    expect(importsOf(fixture.text)).toEqual([
      '@sendgrid/client',
      'vitest',
      'zod',
      'node:path',
      'fs',
      './local',
      '@azure/not-installed/sub/path',
      'left-pad',
    ]);
  });

  it('names a package that is not declared, and a devDependency in deployed code', () => {
    const withoutClient = new Set([...dependencies].filter((d) => d !== '@sendgrid/client'));
    expect(undeclaredImports([fixture], withoutClient)).toEqual([
      'shared/adapters/probe.ts: @sendgrid/client',
      'shared/adapters/probe.ts: vitest',
      'shared/adapters/probe.ts: @azure/not-installed',
      'shared/adapters/probe.ts: left-pad',
    ]);
  });

  it('finds the import issue 22 found, had @sendgrid/client stayed undeclared', () => {
    const withoutClient = new Set([...dependencies].filter((d) => d !== '@sendgrid/client'));
    expect(undeclaredImports(filesUnder(PRODUCTION), withoutClient)).toEqual([
      'shared/adapters/email/sendgrid-mailer.ts: @sendgrid/client',
    ]);
  });

  it('takes deep imports by their package, and built-ins with or without node:', () => {
    expect(packageOf('azurite/dist/src/blob/BlobConfiguration')).toBe('azurite');
    expect(packageOf('@azure/storage-blob')).toBe('@azure/storage-blob');
    expect(packageOf('crypto')).toBeUndefined();
    expect(packageOf('node:crypto')).toBeUndefined();
    expect(packageOf('../functions-core')).toBeUndefined();
  });
});
