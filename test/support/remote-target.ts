import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { BuildInfo } from '../../shared/platform/build-info';

/**
 * A deployed API as the remote e2e suite reaches it (docs/testing-remote.md): `E2E_BASE_URL`, a bearer
 * token per persona from `E2E_TOKEN_COMMAND`, and the fixtures the personas' tokens find through the
 * API. No vitest import: the suite's global setup (test/e2e/remote/global-setup.ts) uses it too.
 */
export const PERSONAS = ['operator', 'client', 'provider'] as const;
export type Persona = (typeof PERSONAS)[number];

/** The tenant data the tests act on, read through the API with the personas' tokens. */
export interface Fixtures {
  /** The client persona's user id and its client (`GET /api/v1/me`). */
  clientUserId: string;
  clientId: string;
  /** The client's sites (`GET /api/v1/clients/{clientId}/sites`), at least one. */
  siteIds: readonly string[];
  /** The provider persona's provider (`GET /api/v1/me`). */
  providerId: string;
}

export interface RemoteTarget {
  /** The origin; the API is under `/api`. */
  url: string;
  tokens: Record<Persona, string>;
  fixtures: Fixtures;
  /** The stamp the answer of `GET /api/health` must carry: E2E_EXPECT_VERSION / E2E_EXPECT_COMMIT, when set. */
  expectedBuild: Partial<BuildInfo>;
}

/** Reads the remote suite's environment, asks a token per persona and discovers the fixtures. */
export async function resolveRemoteTarget(env: NodeJS.ProcessEnv): Promise<RemoteTarget> {
  const url = (env.E2E_BASE_URL ?? '').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/\s]+(\/\S*)?$/.test(url))
    throw new Error(
      `E2E_BASE_URL is required: the deployed API's base URL, e.g. https://algesta-staging.azurefd.net (the suite adds /api); got "${env.E2E_BASE_URL ?? ''}"`,
    );
  const command = env.E2E_TOKEN_COMMAND;
  if (!command)
    throw new Error(
      'E2E_TOKEN_COMMAND is required: a command that, given a persona (operator, client, provider), prints one bearer token',
    );
  const health = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(15_000) }).catch((err: unknown) => {
    throw new Error(`E2E_BASE_URL ${url}: GET /api/health failed: ${reason(err)}`);
  });
  if (health.status !== 200)
    throw new Error(
      `E2E_BASE_URL ${url}: GET ${url}/api/health answered ${health.status}, not 200 (the base URL is the one the API's /api is under)`,
    );
  const tokens = {} as Record<Persona, string>;
  for (const persona of PERSONAS) tokens[persona] = await tokenFor(command, persona);
  return {
    url,
    tokens,
    fixtures: await discoverFixtures(url, tokens),
    expectedBuild: {
      ...(env.E2E_EXPECT_VERSION ? { version: env.E2E_EXPECT_VERSION } : {}),
      ...(env.E2E_EXPECT_COMMIT ? { commit: env.E2E_EXPECT_COMMIT.toLowerCase() } : {}),
    },
  };
}

const run = promisify(execFile);

/**
 * Runs the token command with the persona as its one argument (`sh -c '<command> "$1"' e2e-token
 * <persona>`: the persona is passed, never spliced into the command's text) and returns the one token
 * it printed.
 */
export async function tokenFor(command: string, persona: Persona): Promise<string> {
  let stdout: string;
  try {
    ({ stdout } = await run('sh', ['-c', `${command} "$1"`, 'e2e-token', persona], { timeout: 60_000, maxBuffer: 1 << 20 }));
  } catch (err) {
    const { code, stderr } = err as { code?: number | string; stderr?: string };
    throw new Error(`E2E_TOKEN_COMMAND failed for persona ${persona} (exit ${code ?? '?'}): ${(stderr ?? reason(err)).trim()}`);
  }
  const token = stdout.trim().replace(/^Bearer\s+/i, '');
  if (!/^[\w.~+/=-]+$/.test(token))
    throw new Error(
      `E2E_TOKEN_COMMAND for persona ${persona} must print one bearer token and nothing else; it printed ${JSON.stringify(stdout.slice(0, 200))}`,
    );
  return token;
}

/**
 * The fixtures as the personas see them: a deployment's data is whatever its operators seeded, so
 * the suite asks the API rather than assuming ids (locally the same calls find the demo data).
 */
export async function discoverFixtures(url: string, tokens: Record<Persona, string>): Promise<Fixtures> {
  const get = async <T>(path: string, persona: Persona): Promise<T> => {
    const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${tokens[persona]}` } });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`fixtures: GET ${path} as ${persona} answered ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  };
  const client = await get<{ userId: string; role: string; clientId?: string }>('/api/v1/me', 'client');
  if (client.role !== 'client' || !client.clientId)
    throw new Error(
      `fixtures: the client persona's token must carry role client and a clientId; /api/v1/me says ${JSON.stringify(client)}`,
    );
  const sites = await get<{ items: { id: string }[] }>(`/api/v1/clients/${client.clientId}/sites`, 'client');
  const siteIds = sites.items.map((s) => s.id);
  if (siteIds.length === 0) throw new Error(`fixtures: client ${client.clientId} has no site; the suite creates orders on one`);
  const provider = await get<{ role: string; providerId?: string }>('/api/v1/me', 'provider');
  if (provider.role !== 'provider' || !provider.providerId)
    throw new Error(
      `fixtures: the provider persona's token must carry role provider and a providerId; /api/v1/me says ${JSON.stringify(provider)}`,
    );
  const operator = await get<{ role: string }>('/api/v1/me', 'operator');
  if (operator.role !== 'operator' && operator.role !== 'admin')
    throw new Error(`fixtures: the operator persona's token must carry role operator; /api/v1/me says role ${operator.role}`);
  return { clientUserId: client.userId, clientId: client.clientId, siteIds, providerId: provider.providerId };
}

function reason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return [err instanceof Error ? err.message : String(err), cause?.code ?? cause?.message].filter(Boolean).join(': ');
}
