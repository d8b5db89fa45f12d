import { inject } from 'vitest';
import { loadBuildInfo } from '../../shared/platform/build-info';
import { startTestStack } from './stack';
import { discoverFixtures, resolveRemoteTarget, type RemoteTarget } from './remote-target';

/**
 * Where the HTTP end-to-end tests of test/e2e/remote/ send their requests: `testTarget()` is the local
 * stack in this process (`npm test`), or a deployed API when `E2E_BASE_URL` is set
 * (`npm run test:e2e:remote`, docs/testing-remote.md). Those tests use only what any deployment has:
 * its URL, a bearer token per persona, and fixtures discovered through the API itself — never the
 * stack's internals (its data folder, its fakes, its process).
 */
export interface TestTarget extends RemoteTarget {
  /** True against a deployment: tests that assume a fresh data set must not. */
  remote: boolean;
  dispose(): Promise<void>;
}
export type { Fixtures, Persona } from './remote-target';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Resolved once for the whole run by test/e2e/remote/global-setup.ts. */
    e2eTarget?: RemoteTarget;
  }
}
/**
 * The target of this test file. The remote suite's global setup resolves it once (tokens asked once
 * per persona); without it, `E2E_BASE_URL` set resolves it here, and unset starts the local stack.
 */
export async function testTarget(env: Record<string, string> = {}): Promise<TestTarget> {
  const provided = inject('e2eTarget');
  if (provided) return { ...provided, remote: true, dispose: async () => {} };
  if (process.env.E2E_BASE_URL) return { ...(await resolveRemoteTarget(process.env)), remote: true, dispose: async () => {} };
  const stack = await startTestStack(env);
  const tokens = { operator: stack.tokens.operator, client: stack.tokens.client, provider: stack.tokens.provider };
  return {
    url: stack.url,
    tokens,
    fixtures: await discoverFixtures(stack.url, tokens),
    // The local host runs this checkout: its stamp is the one computed here.
    expectedBuild: loadBuildInfo(),
    remote: false,
    dispose: () => stack.dispose(),
  };
}
