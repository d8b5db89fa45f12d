import type { TestProject } from 'vitest/node';
import { resolveRemoteTarget } from '../../support/remote-target';

/**
 * `npm run test:e2e:remote` (vitest.remote.config.ts): resolves the deployed target once, before any
 * test file runs — the URL answers, each persona's token comes from E2E_TOKEN_COMMAND, the fixtures
 * are found — and hands it to every file (`testTarget()`). A wrong URL or a failing token command
 * stops the run here with one message, instead of as many failures as there are files.
 */
export default async function setup(project: TestProject): Promise<void> {
  try {
    project.provide('e2eTarget', await resolveRemoteTarget(process.env));
  } catch (err) {
    // vitest then reports "No test files found" beside the error; this line says why, first.
    console.error(`\nremote e2e suite not started: ${err instanceof Error ? err.message : String(err)}\n`);
    throw err;
  }
}
