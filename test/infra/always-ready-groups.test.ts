/**
 * The written cost of a zone-redundant Flex plan follows the app: the platform keeps two always-ready
 * instances of every per-function scaling group (support/posture.ts), so each function the app adds
 * outside the HTTP group adds two instances in each region, and the figures in docs/infrastructure.md,
 * main.bicep and prod.bicepparam must say so. The groups are read from what the entry registers
 * (through the same functions-core stand-in the local host uses), not from a second list.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { registeredFunctions } from '../support/registrations';
import { REPO } from './support/bicep';
import { Deployment, loadProject } from './support/infra';
import { type TriggeredFunction, perFunctionScalingGroups, zoneCostTextProblems } from './support/posture';

const FILES = ['docs/infrastructure.md', 'infra/main.bicep', 'infra/env/prod.bicepparam'] as const;
const texts = () => Object.fromEntries(FILES.map((f) => [f, readFileSync(join(REPO, f), 'utf8')]));

let registered: TriggeredFunction[];
let memoryMB: number;
beforeAll(async () => {
  registered = (await registeredFunctions()).map((r) => ({
    name: r.name,
    type: String(r.trigger.type),
    source: typeof r.trigger.source === 'string' ? r.trigger.source : undefined,
  }));
  memoryMB = Number(Deployment.of(await loadProject(), 'prod').main.symbol('functionInstanceMemoryMB'));
});

describe("the cost of zone redundancy counts the app's scaling groups", () => {
  it('the HTTP functions are one group, every other function its own', () => {
    const groups = perFunctionScalingGroups(registered);
    expect(groups).toContain('http');
    expect(groups.filter((g) => g !== 'http')).toEqual(
      registered
        .filter((f) => f.type !== 'httpTrigger')
        .map((f) => `function:${f.name}`)
        .sort(),
    );
  });

  it('docs/infrastructure.md, main.bicep and prod.bicepparam give the count and the GB-s it makes', () => {
    expect(zoneCostTextProblems(perFunctionScalingGroups(registered).length, memoryMB, texts())).toEqual([]);
  });

  it('one more timer makes the written figures wrong (fixture)', () => {
    const groups = perFunctionScalingGroups([...registered, { name: 'nightly-report', type: 'timerTrigger' }]);
    const problems = zoneCostTextProblems(groups.length, memoryMB, texts());
    expect(problems).toEqual([
      expect.stringMatching(/^docs\/infrastructure\.md does not say "today \*\*\d+ groups\*\*"$/),
      expect.stringMatching(/^docs\/infrastructure\.md does not say "\*\*[\d,]+ GB-s\*\*"$/),
      expect.stringMatching(/^infra\/main\.bicep does not say /),
      expect.stringMatching(/^infra\/env\/prod\.bicepparam does not say /),
    ]);
  });

  it('Durable and Event Grid blob functions share their groups', () => {
    expect(
      perFunctionScalingGroups([
        { name: 'a', type: 'httpTrigger' },
        { name: 'b', type: 'httpTrigger' },
        { name: 'o', type: 'orchestrationTrigger' },
        { name: 'x', type: 'activityTrigger' },
        { name: 'u', type: 'blobTrigger', source: 'EventGrid' },
        { name: 'v', type: 'blobTrigger', source: 'EventGrid' },
        { name: 'q', type: 'serviceBusTrigger' },
      ]),
    ).toEqual(['blob', 'durable', 'function:q', 'http']);
  });
});
