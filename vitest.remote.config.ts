import { defineConfig } from 'vitest/config';

/**
 * `npm run test:e2e:remote`: the HTTP end-to-end tests that need nothing but a URL and tokens
 * (test/e2e/remote/), against a deployed API. `E2E_BASE_URL` (required) and `E2E_TOKEN_COMMAND`
 * (required; run with the persona as its one argument, prints one bearer token) say where and as whom;
 * docs/testing-remote.md has the rest. The same files run against the local stack in `npm test`.
 */
export default defineConfig({
  test: {
    include: ['test/e2e/remote/**/*.test.ts'],
    globalSetup: ['test/e2e/remote/global-setup.ts'],
    pool: 'forks',
    // A deployed API answers over the internet, and a cold instance first: more room than locally.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // A run that found no test is a failed run, not a green one.
    passWithNoTests: false,
    reporters: ['default', 'junit'],
    outputFile: { junit: '.test-runs/e2e-remote-junit.xml' },
  },
});
