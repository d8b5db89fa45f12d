import { beforeAll, describe, expect, it } from 'vitest';
import { AzureTypes } from './support/azure-types';
import { stringLiteral } from './support/bicep';
import type { Project, ResourceInstance } from './support/evaluate';
import { AZD_ENV, Deployment, ENVIRONMENTS, loadProject } from './support/infra';

let project: Project;
let types: AzureTypes;
beforeAll(async () => {
  project = await loadProject();
  types = new AzureTypes();
});

/** Every resource declaration, whatever its condition (the on-call group's roles included). */
function declared(): ResourceInstance[] {
  return Deployment.of(project, 'dev', {
    ...AZD_ENV,
    ALGESTA_OPERATORS_GROUP_ID: '22222222-2222-2222-2222-222222222222',
  }).resources({ declared: true });
}

describe('modules', () => {
  it('every registry module is an Azure Verified Module pinned to an exact version, the same everywhere', () => {
    const versions = new Map<string, Set<string>>();
    const problems: string[] = [];
    for (const file of project.all) {
      for (const decl of file.decls.filter((d) => d.kind === 'module')) {
        const path = stringLiteral(decl.node.namedChildren[1]!);
        if (!path.startsWith('br')) continue;
        const m = /^br\/public:(avm\/(?:res|ptn|utl)\/[a-z0-9-]+\/[a-z0-9-]+):(\d+\.\d+\.\d+)$/.exec(path);
        if (!m) problems.push(`${file.name}: ${decl.name} uses '${path}', not a pinned br/public:avm/... module`);
        else versions.set(m[1]!, (versions.get(m[1]!) ?? new Set()).add(m[2]!));
      }
    }
    for (const [name, v] of versions) if (v.size > 1) problems.push(`${name} is used at versions ${[...v].join(', ')}`);
    expect(problems).toEqual([]);
    expect(versions.size).toBeGreaterThanOrEqual(10);
  });
});

describe("resources checked against Bicep's Azure type definitions (bicep-types)", () => {
  it('the type slice in test/infra/fixtures lists exactly the resource types infra/ declares', () => {
    const wanted = [...new Set(declared().map((r) => `${r.type}@${r.apiVersion}`))].sort();
    for (const w of wanted) expect(types.resource(w), `${w}: rerun test/infra/tools/extract-azure-types.ts`).toBeDefined();
    expect(types.resource('Microsoft.Storage/storageAccounts@2099-01-01')).toBeUndefined();
  });

  it('no declared resource uses a preview API version', () => {
    expect(
      declared()
        .filter((r) => /preview/i.test(r.apiVersion))
        .map((r) => `${r.symbol}@${r.apiVersion}`),
    ).toEqual([]);
  });

  it.each(ENVIRONMENTS)(
    '%s: every property set on a declared resource exists on its type, is writable and holds an allowed value',
    (env) => {
      const problems = Deployment.of(project, env)
        .resources()
        .flatMap((r) =>
          types
            .bodyProblems(types.resource(`${r.type}@${r.apiVersion}`)!, r.body)
            .map((p) => `${r.instance.file.name} ${r.symbol}: ${p}`),
        );
      expect(problems).toEqual([]);
    },
  );

  it('finds a property the type does not have, and a value outside its set', () => {
    const container = types.resource('Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01')!;
    expect(types.bodyProblems(container, { name: 'x', properties: { publicAccess: 'Everyone', publicAcess: 'None' } })).toEqual([
      expect.stringContaining("'Everyone' is not one of 'Container', 'Blob', 'None'"),
      expect.stringContaining('publicAcess: no such property'),
    ]);
    const assignment = types.resource('Microsoft.Authorization/roleAssignments@2022-04-01')!;
    expect(
      types.bodyProblems(assignment, { name: 'x', id: 'y', properties: { principalId: 'p', roleDefinitionId: 'r' } }),
    ).toEqual([expect.stringContaining('.id: read-only')]);
  });
});
