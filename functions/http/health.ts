import { z } from 'zod';
import { defineEndpoint } from '../../shared/platform/http/endpoint';
import { problemBody } from '../../shared/platform/http/problem';
import { getRoot } from '../composition-root';
import { registerEndpoint } from './register';

const CHECK_TIMEOUT_MS = 3000;

registerEndpoint(
  defineEndpoint({
    name: 'health',
    method: 'GET',
    route: 'health',
    summary: 'Liveness: the process answers',
    tags: ['health'],
    auth: 'anonymous',
    responses: {
      200: {
        description:
          "Alive. `version` and `commit` name the running package (stamped by the build: the pipeline's build number " +
          "and source commit; `<package version>-local` and the checkout's commit, or `unknown`, when not built by the " +
          'pipeline); `region` is the Azure region that answered (ALGESTA_REGION), absent when it is not set',
        schema: z.object({
          status: z.literal('ok'),
          version: z.string(),
          commit: z.string(),
          region: z.string().optional(),
        }),
        example: { status: 'ok', version: '20261207.3', commit: '779b906c0b5e4a1f2d3c4b5a69788796a5b4c3d2', region: 'eastus2' },
      },
    },
    handler: async () => {
      const root = getRoot();
      // Behind Front Door either region may answer: the region tells a failover drill which one did,
      // and the version tells the pipeline that the package it deployed is the one answering.
      const { version, commit } = root.build();
      const region = root.settings.ALGESTA_REGION;
      return { status: 200, body: { status: 'ok', version, commit, ...(region ? { region } : {}) } };
    },
  }),
);

registerEndpoint(
  defineEndpoint({
    name: 'health-ready',
    method: 'GET',
    route: 'health/ready',
    summary: 'Readiness: Cosmos DB, Blob Storage and the bus are reachable',
    tags: ['health'],
    auth: 'anonymous',
    errors: [503],
    responses: {
      200: {
        description: 'Ready',
        schema: z.object({ status: z.literal('ready'), checks: z.record(z.string(), z.string()) }),
        example: { status: 'ready', checks: { cosmos: 'ok', blob: 'ok', bus: 'ok' } },
      },
    },
    handler: async (ctx) => {
      const results = await Promise.all(
        getRoot().healthChecks.map(async (c) => {
          try {
            await withTimeout(c.check(), CHECK_TIMEOUT_MS);
            return [c.name, 'ok'] as const;
          } catch (err) {
            ctx.logger.warn('readiness check failed', { check: c.name, error: err });
            return [c.name, 'failed'] as const;
          }
        }),
      );
      const checks = Object.fromEntries(results);
      const failed = results.filter(([, r]) => r !== 'ok').map(([n]) => n);
      if (failed.length === 0) return { status: 200, body: { status: 'ready', checks } };
      return {
        status: 503,
        headers: { 'content-type': 'application/problem+json', 'retry-after': '10' },
        body: problemBody('service-unavailable', {
          detail: `not ready: ${failed.join(', ')} unreachable`,
          correlationId: ctx.correlationId,
          extensions: { checks },
        }),
      };
    },
  }),
);

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
