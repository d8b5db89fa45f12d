import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BicepFile, GRAMMAR_WASM, INFRA, filesUnder, parseBicep, stringLiteral, syntaxErrors } from './support/bicep';

// tree-sitter-bicep 1.1.0 from the npm registry (see grammar/README.md): the file must stay that one.
const GRAMMAR_SHA256 = '96ccf664c9253400fffff0f4aae9b510e5b8b2f5d1f6f96ef5f7c235da2ca4e7';

const paths = filesUnder(INFRA, /\.bicep(param)?$/);
const files = new Map<string, BicepFile>();

beforeAll(async () => {
  for (const path of paths) files.set(path, await parseBicep(path));
});

describe('every Bicep and parameter file parses', () => {
  it('finds main.bicep, the modules and the three parameter files', () => {
    const names = paths.map((p) => p.slice(INFRA.length + 1));
    expect(names).toEqual(
      expect.arrayContaining(['main.bicep', 'env/dev.bicepparam', 'env/staging.bicepparam', 'env/prod.bicepparam']),
    );
    for (const concern of ['monitoring', 'storage', 'cosmos', 'servicebus', 'keyvault', 'functionapp', 'rbac', 'alerts'])
      expect(names).toContain(`modules/${concern}.bicep`);
  });

  it.each(paths.map((p) => [p.slice(INFRA.length + 1), p]))('%s has no syntax error', (_name, path) => {
    expect(syntaxErrors(files.get(path)!)).toEqual([]);
  });

  it('reports a syntax error where there is one', async () => {
    const broken = await parseBicep(
      `${INFRA}/broken.bicep`,
      "param name string\nresource x 'Microsoft.Storage/storageAccounts@2025-01-01' = {\n  name: \n}\n",
    );
    expect(syntaxErrors(broken).length).toBeGreaterThan(0);
  });

  it('uses the vendored grammar it was checked with', () => {
    expect(createHash('sha256').update(readFileSync(GRAMMAR_WASM)).digest('hex')).toBe(GRAMMAR_SHA256);
  });
});

describe('references between files', () => {
  it('every parameter file uses main.bicep', () => {
    for (const path of paths.filter((p) => p.endsWith('.bicepparam'))) {
      const file = files.get(path)!;
      expect(file.using, file.name).toBeDefined();
      expect(resolve(dirname(path), file.using!), file.name).toBe(resolve(INFRA, 'main.bicep'));
    }
  });

  it('every local module and import names a file that exists', () => {
    for (const file of files.values()) {
      for (const decl of file.decls.filter((d) => d.kind === 'module')) {
        const path = stringLiteral(decl.node.namedChildren[1]!);
        if (!path.startsWith('br/') && !path.startsWith('br:'))
          expect(existsSync(resolve(dirname(file.path), path)), `${file.name}: ${path}`).toBe(true);
      }
      for (const [name, imported] of file.imports) expect(existsSync(imported.from), `${file.name}: import ${name}`).toBe(true);
    }
  });
});
