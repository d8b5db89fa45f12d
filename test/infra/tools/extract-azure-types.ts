/**
 * Refreshes test/infra/fixtures/azure-types: the slice of Bicep's Azure type definitions
 * (github.com/Azure/bicep-types-az, folder `generated`) for the resource types that infra/ declares
 * directly. The contract tests check those declarations against it with no network.
 *
 *   npx tsx test/infra/tools/extract-azure-types.ts <bicep-types-az>/generated <commit>
 *
 * Run it after adding a resource declaration or changing an API version.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BicepType,
  type ObjectTypeProperty,
  type ResourceType,
  TypeBaseKind,
  TypeReference,
  buildIndex,
  readTypesJson,
  writeIndexJson,
  writeTypesJson,
} from 'bicep-types';
import { filesUnder, INFRA, REPO } from '../support/bicep';
import { Project } from '../support/evaluate';

const [generated, commit = 'unknown'] = process.argv.slice(2);
if (!generated) {
  console.error('usage: extract-azure-types.ts <bicep-types-az>/generated [commit]');
  process.exit(2);
}

const project = await Project.load(filesUnder(INFRA, /\.bicep$/));
const wanted = new Set<string>();
for (const file of project.all.filter((f) => f.path.endsWith('.bicep'))) {
  // Types of every resource declaration, nested ones with their parent's type.
  const visit = (node: import('web-tree-sitter').Node, parentType?: string): void => {
    if (node.type === 'resource_declaration') {
      const literal = node.namedChildren[1]!.text.slice(1, -1);
      const [type, version] = literal.split('@') as [string, string];
      const full = parentType && !type.includes('.') ? `${parentType}/${type}` : type;
      wanted.add(`${full}@${version}`);
      for (const child of node.namedChildren) visit(child, full);
      return;
    }
    for (const child of node.namedChildren) visit(child, parentType);
  };
  visit(file.root);
}

/** Every types.json under the generated folder for a namespace and API version. */
function candidates(namespace: string, version: string): string[] {
  const out: string[] = [];
  for (const provider of readdirSync(generated!)) {
    const dir = join(generated!, provider, namespace.toLowerCase(), version);
    try {
      if (statSync(join(dir, 'types.json')).isFile()) out.push(join(dir, 'types.json'));
    } catch {
      // not in this provider folder
    }
  }
  return out;
}

const output: BicepType[] = [];
for (const name of [...wanted].sort()) {
  const [type, version] = name.split('@') as [string, string];
  const found = candidates(type.split('/')[0]!, version)
    .map((path) => readTypesJson(readFileSync(path, 'utf8')))
    .map((types) => ({
      types,
      index: types.findIndex((t) => t.type === TypeBaseKind.ResourceType && t.name.toLowerCase() === name.toLowerCase()),
    }))
    .find((f) => f.index >= 0);
  if (!found) throw new Error(`${name} is not in ${generated}`);
  copy(found.types, found.index);
}

// Copies a type and everything it references into `output`, renumbering references.
function copy(source: BicepType[], index: number, seen = new Map<number, number>()): TypeReference {
  const known = seen.get(index);
  if (known !== undefined) return new TypeReference(known);
  const at = output.length;
  seen.set(index, at);
  output.push(undefined as unknown as BicepType);
  const ref = (r: TypeReference): TypeReference => copy(source, r.index, seen);
  const props = (p: Record<string, ObjectTypeProperty>): Record<string, ObjectTypeProperty> =>
    Object.fromEntries(Object.entries(p).map(([k, v]) => [k, { ...v, type: ref(v.type) }]));
  const t = source[index]!;
  switch (t.type) {
    case TypeBaseKind.ResourceType: {
      const { functions: _functions, ...rest } = t as ResourceType;
      output[at] = { ...rest, body: ref(t.body) };
      break;
    }
    case TypeBaseKind.ObjectType:
      output[at] = {
        ...t,
        properties: props(t.properties),
        ...(t.additionalProperties ? { additionalProperties: ref(t.additionalProperties) } : {}),
      };
      break;
    case TypeBaseKind.DiscriminatedObjectType:
      output[at] = {
        ...t,
        baseProperties: props(t.baseProperties),
        elements: Object.fromEntries(Object.entries(t.elements).map(([k, v]) => [k, ref(v)])),
      };
      break;
    case TypeBaseKind.ArrayType:
      output[at] = { ...t, itemType: ref(t.itemType) };
      break;
    case TypeBaseKind.UnionType:
      output[at] = { ...t, elements: t.elements.map(ref) };
      break;
    default:
      output[at] = t;
  }
  return new TypeReference(at);
}

const dir = join(REPO, 'test/infra/fixtures/azure-types');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'types.json'), writeTypesJson(output) + '\n');
writeFileSync(
  join(dir, 'index.json'),
  writeIndexJson(buildIndex([{ relativePath: 'types.json', types: output }], console.warn)) + '\n',
);
writeFileSync(
  join(dir, 'SOURCE.md'),
  `# Azure resource types (a slice)\n\nExtracted by \`test/infra/tools/extract-azure-types.ts\` from` +
    ` https://github.com/Azure/bicep-types-az (folder \`generated\`, commit ${commit}, MIT licence):\n` +
    `the types of the resources that \`infra/\` declares directly.\n\n${[...wanted]
      .sort()
      .map((w) => `- ${w}`)
      .join('\n')}\n`,
);
console.log(`${wanted.size} resource types, ${output.length} types`);
