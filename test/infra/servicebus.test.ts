import { beforeAll, describe, expect, it } from 'vitest';
import { TOPOLOGY } from '../../shared/adapters/servicebus/topology';
import { isoSeconds, serviceBusProblems } from './support/contracts';
import type { Project } from './support/evaluate';
import { Deployment, ENVIRONMENTS, loadProject } from './support/infra';

let project: Project;
beforeAll(async () => {
  project = await loadProject();
});

describe('Service Bus is provisioned as topology.ts defines it', () => {
  it.each(ENVIRONMENTS)(
    '%s: the topic, duplicate detection, each subscription with its delivery settings and SQL rule (and no other)',
    (env) => {
      expect(serviceBusProblems(TOPOLOGY, Deployment.of(project, env))).toEqual([]);
    },
  );

  it('reads the ISO 8601 durations ARM takes', () => {
    expect([isoSeconds('P14D'), isoSeconds('PT1M'), isoSeconds('PT10M'), isoSeconds('PT1H30S'), isoSeconds('14 days')]).toEqual([
      14 * 86_400,
      60,
      600,
      3630,
      undefined,
    ]);
  });

  it.each(ENVIRONMENTS)('%s: a tier with topics, TLS 1.2, Entra ID only', (env) => {
    const namespaces = Deployment.of(project, env).serviceBusNamespaces();
    expect(namespaces.length).toBeGreaterThan(0);
    for (const { params } of namespaces) {
      expect(['Standard', 'Premium']).toContain((params.skuObject as { name: string }).name);
      expect(params.minimumTlsVersion).toBe('1.2');
      expect(params.disableLocalAuth).toBe(true);
    }
  });
});
