/**
 * Bicep's own type definitions of Azure resources (the `bicep-types` format, read with the
 * `bicep-types` package) for the resource types infra/ declares directly: a slice extracted from
 * Azure/bicep-types-az by test/infra/tools/extract-azure-types.ts. With it the tests do offline what
 * `az bicep build` does first: the type and API version exist, every property set exists on that
 * type, is writable, and a closed set of values holds the value given.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BicepType,
  type ObjectTypeProperty,
  ObjectTypePropertyFlags,
  type ResourceType,
  TypeBaseKind,
  type TypeIndex,
  readIndexJson,
  readTypesJson,
} from 'bicep-types';
import { REPO } from './bicep';
import { type Value, isObject } from './evaluate';

const DIR = join(REPO, 'test/infra/fixtures/azure-types');

export class AzureTypes {
  private readonly index: TypeIndex;
  private readonly types: BicepType[];

  constructor() {
    this.index = readIndexJson(readFileSync(join(DIR, 'index.json'), 'utf8'));
    this.types = readTypesJson(readFileSync(join(DIR, 'types.json'), 'utf8'));
  }

  /** The resource type, or undefined if that type does not exist at that API version. */
  resource(typeAtVersion: string): ResourceType | undefined {
    const key = Object.keys(this.index.resources).find((k) => k.toLowerCase() === typeAtVersion.toLowerCase());
    if (!key) return undefined;
    const t = this.types[this.index.resources[key]!.index];
    return t?.type === TypeBaseKind.ResourceType ? t : undefined;
  }

  /**
   * What is wrong with a resource body against its type: unknown or read-only properties, and
   * values outside a closed set. Bicep's own keywords (parent, scope, dependsOn) are not properties.
   */
  bodyProblems(resource: ResourceType, body: Value): string[] {
    const problems: string[] = [];
    this.check(this.types[resource.body.index]!, body, resource.name, problems, true);
    return problems;
  }

  private check(type: BicepType, value: Value, path: string, problems: string[], top = false): void {
    switch (type.type) {
      case TypeBaseKind.ObjectType:
        return this.checkObject(type.properties, type.additionalProperties?.index, value, path, problems, top);
      case TypeBaseKind.DiscriminatedObjectType: {
        if (!isObject(value)) return;
        const tag = value[type.discriminator];
        const element = typeof tag === 'string' ? type.elements[tag] : undefined;
        const variant = element ? this.types[element.index] : undefined;
        const extra = variant?.type === TypeBaseKind.ObjectType ? variant.properties : {};
        return this.checkObject({ ...type.baseProperties, ...extra }, undefined, value, path, problems, top);
      }
      case TypeBaseKind.ArrayType:
        if (Array.isArray(value))
          value.forEach((v, i) => this.check(this.types[type.itemType.index]!, v, `${path}[${i}]`, problems));
        return;
      case TypeBaseKind.UnionType:
      case TypeBaseKind.StringLiteralType: {
        if (typeof value !== 'string') return;
        const options = this.literals(type);
        if (options && !options.includes(value))
          problems.push(`${path}: '${value}' is not one of ${options.map((o) => `'${o}'`).join(', ')}`);
        return;
      }
      default:
        return;
    }
  }

  private checkObject(
    properties: Record<string, ObjectTypeProperty>,
    additional: number | undefined,
    value: Value,
    path: string,
    problems: string[],
    top: boolean,
  ): void {
    if (!isObject(value)) return;
    for (const [key, v] of Object.entries(value)) {
      if (top && ['parent', 'scope', 'dependsOn'].includes(key)) continue;
      const property = properties[key];
      if (!property) {
        if (additional !== undefined) this.check(this.types[additional]!, v, `${path}.${key}`, problems);
        else problems.push(`${path}.${key}: no such property`);
        continue;
      }
      if (property.flags & ObjectTypePropertyFlags.ReadOnly && !(property.flags & ObjectTypePropertyFlags.Identifier))
        problems.push(`${path}.${key}: read-only`);
      this.check(this.types[property.type.index]!, v, `${path}.${key}`, problems);
    }
  }

  /** The closed set of strings a type allows, or undefined when any string goes. */
  private literals(type: BicepType): string[] | undefined {
    if (type.type === TypeBaseKind.StringLiteralType) return [type.value];
    if (type.type !== TypeBaseKind.UnionType) return undefined;
    const out: string[] = [];
    for (const e of type.elements) {
      const t = this.types[e.index]!;
      if (t.type !== TypeBaseKind.StringLiteralType) return undefined;
      out.push(t.value);
    }
    return out;
  }
}
