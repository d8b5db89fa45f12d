/**
 * After a deployment: wait until the app is ready, then smoke-test its public surface. Needs no
 * credentials and writes nothing, so it is safe against production. The pipeline runs it with Node
 * 22's type stripping (no npm install on the deployment agent):
 *
 *   node --experimental-strip-types infra/scripts/verify-deployment.ts ready https://<app> [--fdid <id>]
 *   node --experimental-strip-types infra/scripts/verify-deployment.ts smoke https://<app> [--origin https://dashboard] [--fdid <id>]
 *
 * `--fdid`: when the URL is a region's gateway (AZURE_FUNCTION_APPS[].checkUrl), the profile's id
 * (AZURE_FRONT_DOOR_ID), sent as X-Azure-FDID as the rollout sends it (docs/security.md).
 *
 * Exit code 1 when a check fails. test/infra runs the same smoke test against the local stack.
 */
import { runAsScript } from './run-script.ts';

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

/**
 * Polls GET /api/health/ready until it answers 200 (Cosmos, Blob and the bus reachable). `headers` go
 * with every request: X-Azure-FDID when the URL is a region's gateway (deployment-outputs.ts, checkHeaders).
 */
export async function waitUntilReady(
  baseUrl: string,
  {
    timeoutMs = 5 * 60_000,
    intervalMs = 10_000,
    fetchImpl = fetch as Fetch,
    log = console.log,
    headers = {} as Record<string, string>,
  } = {},
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    let status = 0;
    let detail = '';
    try {
      const res = await fetchImpl(`${baseUrl}/api/health/ready`, { headers, signal: AbortSignal.timeout(15_000) });
      status = res.status;
      detail = (await res.text()).slice(0, 300);
    } catch (err) {
      detail = String(err);
    }
    if (status === 200) {
      log(`ready after ${attempt} attempt(s): ${detail}`);
      return;
    }
    log(`attempt ${attempt}: ${status || 'no answer'} ${detail}`);
    // A cold Flex Consumption instance and fresh role assignments can take minutes to settle.
    if (Date.now() + intervalMs > until)
      throw new Error(`${baseUrl}/api/health/ready did not answer 200 in ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Requests that prove the deployed package is this API and its platform works, without a token.
 * `headers` go with every request (X-Azure-FDID for a region's gateway), under the check's own.
 */
export async function smokeTest(
  baseUrl: string,
  {
    origin,
    fetchImpl = fetch as Fetch,
    headers = {},
  }: { origin?: string; fetchImpl?: Fetch; headers?: Record<string, string> } = {},
): Promise<Check[]> {
  const checks: Check[] = [];
  const check = async (
    name: string,
    path: string,
    init: RequestInit,
    verify: (res: Response, body: any) => string | undefined,
  ) => {
    try {
      const res = await fetchImpl(`${baseUrl}${path}`, {
        ...init,
        headers: { ...headers, ...(init.headers as Record<string, string> | undefined) },
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: verify() sees the text
      }
      const problem = verify(res, body);
      checks.push({ name, ok: !problem, detail: problem ?? `${res.status}` });
    } catch (err) {
      checks.push({ name, ok: false, detail: String(err) });
    }
  };
  const problemJson = (res: Response) => (res.headers.get('content-type') ?? '').startsWith('application/problem+json');

  await check('liveness', '/api/health', {}, (res, body) =>
    res.status === 200 && body?.status === 'ok' ? undefined : `${res.status} ${JSON.stringify(body)}`,
  );
  await check('readiness', '/api/health/ready', {}, (res, body) =>
    res.status === 200 && body?.status === 'ready' ? undefined : `${res.status} ${JSON.stringify(body)}`,
  );
  await check('OpenAPI document', '/api/v1/openapi.json', {}, (res, body) =>
    res.status === 200 && String(body?.openapi).startsWith('3.1') && body?.paths?.['/api/v1/orders']
      ? undefined
      : `${res.status}`,
  );
  await check('a request without a token is refused as problem details', '/api/v1/me', {}, (res) =>
    res.status === 401 && problemJson(res) ? undefined : `${res.status} ${res.headers.get('content-type')}`,
  );
  await check('an unknown route answers problem details', '/api/v1/no-such-route', {}, (res) =>
    res.status === 404 && problemJson(res) ? undefined : `${res.status} ${res.headers.get('content-type')}`,
  );
  if (origin) {
    await check(
      `CORS preflight from ${origin}`,
      '/api/v1/orders',
      { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } },
      (res) =>
        res.status < 300 && res.headers.get('access-control-allow-origin') === origin
          ? undefined
          : `${res.status} ${res.headers.get('access-control-allow-origin')}`,
    );
  }
  return checks;
}

async function main(argv: string[]): Promise<number> {
  const [command, url, ...rest] = argv;
  const baseUrl = url?.replace(/\/+$/, '');
  if (!baseUrl || (command !== 'ready' && command !== 'smoke')) {
    console.error('usage: verify-deployment.ts ready|smoke <https://app> [--origin <https://dashboard>] [--fdid <id>]');
    return 2;
  }
  const flag = (name: string): string | undefined => {
    const at = rest.indexOf(`--${name}`);
    return at >= 0 ? rest[at + 1] : undefined;
  };
  const fdid = flag('fdid');
  const headers: Record<string, string> = fdid ? { 'X-Azure-FDID': fdid } : {};
  if (command === 'ready') {
    await waitUntilReady(baseUrl, { headers });
    return 0;
  }
  const origin = flag('origin');
  const checks = await smokeTest(baseUrl, { headers, ...(origin ? { origin } : {}) });
  for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  return checks.every((c) => c.ok) ? 0 : 1;
}

runAsScript(import.meta.url, main);
