import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { children, kill, startHost } from '../support/host-process';
import { resolveRemoteTarget, tokenFor } from '../support/remote-target';

/**
 * `npm run test:e2e:remote` from the outside, as the pipeline runs it against staging: the local host
 * as a separate process stands in for the deployment, reached only through E2E_BASE_URL, with the
 * local token command (`local/token.ts --persona`) as E2E_TOKEN_COMMAND. The host is started with a
 * build stamp of its own, and the suite is told to expect it (E2E_EXPECT_*), so the version crosses
 * the process boundary the way the deployed package's does.
 */
const ROOT = resolve(__dirname, '../..');
const STAMP = { version: `remote-proof-${process.pid}`, commit: '0123456789abcdef0123456789abcdef01234567' };
let dataDir: string;
let out: string;
let url: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'algesta-remote-host-'));
  out = await mkdtemp(join(tmpdir(), 'algesta-remote-out-'));
  ({ url } = await startHost(dataDir, { ALGESTA_BUILD_VERSION: STAMP.version, ALGESTA_BUILD_COMMIT: STAMP.commit }));
}, 120_000);
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) await kill(child);
  await rm(dataDir, { recursive: true, force: true });
  await rm(out, { recursive: true, force: true });
});

/** The local token command: the persona is appended by the suite as the one argument. */
const localTokenCommand = () => `'${process.execPath}' --import tsx local/token.ts --data-dir '${dataDir}' --persona`;

/** `npm run test:e2e:remote` in a child, with this environment and the JUnit report in `junit`. */
function remoteSuite(env: Record<string, string>, junit: string): Promise<{ code: number | null; output: string }> {
  // The child is a vitest run of its own: nothing of this run's worker state may leak into it.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')));
  const child = spawn('npm', ['run', 'test:e2e:remote', '--', `--outputFile.junit=${junit}`], {
    cwd: ROOT,
    env: { ...inherited, ...env, NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((done) => child.on('close', (code) => done({ code, output })));
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('npm run test:e2e:remote against a host reached only by URL', () => {
  it('passes every test of test/e2e/remote/ and lists them in the JUnit report', { timeout: 300_000 }, async () => {
    const junit = join(out, 'pass.xml');
    const run = await remoteSuite(
      {
        E2E_BASE_URL: url,
        E2E_TOKEN_COMMAND: localTokenCommand(),
        E2E_EXPECT_VERSION: STAMP.version,
        E2E_EXPECT_COMMIT: STAMP.commit,
      },
      junit,
    );
    expect(run.code, run.output).toBe(0);
    const passed = Number(/Tests\s+(\d+) passed/.exec(run.output)?.[1] ?? 0);
    expect(passed, run.output).toBeGreaterThan(0);
    expect(run.output).not.toMatch(/\d+ (failed|skipped)/);
    const report = await readFile(junit, 'utf8');
    const suites = /<testsuites [^>]*tests="(\d+)" failures="(\d+)" errors="(\d+)"/.exec(report);
    expect(suites?.slice(1).map(Number)).toEqual([passed, 0, 0]);
    const cases = [...report.matchAll(/<testcase classname="([^"]+)"/g)].map((m) => m[1]!);
    expect(cases).toHaveLength(passed);
    expect(new Set(cases)).toEqual(new Set(['test/e2e/remote/health-contract.test.ts', 'test/e2e/remote/orders.test.ts']));
    // The stamp the host was started with is what the suite checked in GET /api/health.
    expect(report).toContain('liveness names the running build');
  });

  it(
    'fails with the reason, not a green run of nothing, when nothing answers at E2E_BASE_URL',
    { timeout: 180_000 },
    async () => {
      const port = await closedPort();
      const run = await remoteSuite(
        { E2E_BASE_URL: `http://127.0.0.1:${port}`, E2E_TOKEN_COMMAND: localTokenCommand() },
        join(out, 'no-host.xml'),
      );
      expect(run.code).not.toBe(0);
      expect(run.output).toContain(`remote e2e suite not started: E2E_BASE_URL http://127.0.0.1:${port}: GET /api/health failed`);
      expect(run.output).not.toMatch(/Tests\s+\d+ passed/);
    },
  );

  it('fails with the command’s own message when the token command fails', { timeout: 180_000 }, async () => {
    const run = await remoteSuite(
      { E2E_BASE_URL: url, E2E_TOKEN_COMMAND: `sh -c 'echo "login required" >&2; exit 3'` },
      join(out, 'no-token.xml'),
    );
    expect(run.code).not.toBe(0);
    expect(run.output).toContain(
      'remote e2e suite not started: E2E_TOKEN_COMMAND failed for persona operator (exit 3): login required',
    );
    expect(run.output).not.toMatch(/Tests\s+\d+ passed/);
  });
});

describe('the remote target’s own checks, without a suite run', () => {
  it('names a missing or malformed E2E_BASE_URL and a missing E2E_TOKEN_COMMAND', async () => {
    await expect(resolveRemoteTarget({})).rejects.toThrow(/E2E_BASE_URL is required/);
    await expect(resolveRemoteTarget({ E2E_BASE_URL: 'staging.example' })).rejects.toThrow(/E2E_BASE_URL is required/);
    await expect(resolveRemoteTarget({ E2E_BASE_URL: url })).rejects.toThrow(/E2E_TOKEN_COMMAND is required/);
  });

  it('passes the persona as the one argument, and refuses output that is not one token', async () => {
    expect(await tokenFor(`printf 'Bearer tok-%s\\n'`, 'client')).toBe('tok-client');
    await expect(tokenFor(`echo two words`, 'operator')).rejects.toThrow(/must print one bearer token and nothing else/);
  });
});
