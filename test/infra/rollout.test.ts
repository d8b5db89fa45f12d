/**
 * infra/scripts/rollout.ts run for real, as a child process the way the pipeline runs it, with a
 * fake `az` first on PATH (support/fake-az.mjs: records its argv, answers the CLI's documented shapes)
 * and the local stack as every region's app. Each "region" is a small proxy in front of the one stack
 * that logs the requests it gets, so the test sees the order of Azure calls and HTTP checks in one
 * log; a region can be made to fail the smoke test (but not the health check) while it runs the new
 * package, as a region whose new settings broke it would.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planFromOutputs } from '../../infra/scripts/deployment-outputs';
import { rollbackOnly, WAITS } from '../../infra/scripts/rollout';
import { NOTICE_EVENT, notifyDeploymentFailure, type DeploymentNotice } from '../../infra/scripts/deployment-notice';
import { startTestStack } from '../support/stack';
import { REPO } from './support/bicep';

const DASHBOARD = 'https://dashboard.algesta.test';
const NEW = 'algesta-functions.zip';
const PREVIOUS = 'previous-functions.zip';
const A = {
  name: 'func-algesta-prod-centralus',
  resourceGroup: 'rg-algesta-prod-centralus',
  region: 'centralus',
  origin: 'origin-centralus',
};
const B = { name: 'func-algesta-prod', resourceGroup: 'rg-algesta-prod', region: 'eastus2', origin: 'origin-eastus2' };

let stack: Awaited<ReturnType<typeof startTestStack>>;
const servers: Server[] = [];

/** Node's type stripping where this Node has it (22, as on the agent); tsx's loader on Node 20. */
const NODE_ARGS = process.allowedNodeEnvironmentFlags.has('--experimental-strip-types')
  ? ['--experimental-strip-types', '--no-warnings']
  : ['--import', 'tsx'];

beforeAll(async () => {
  stack = await startTestStack({ CORS_ALLOWED_ORIGINS: DASHBOARD });
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await stack?.dispose();
});

interface World {
  readonly dir: string;
  readonly log: string;
  /** region label → base URL of its proxy */
  readonly urls: Record<string, string>;
}

/** A proxy to the stack named `label`; while `app` runs the new package and `breaks`, only health answers. */
async function region(
  world: { dir: string; log: string },
  label: string,
  app: string,
  breaks: boolean,
  tls?: { key: Buffer; cert: Buffer },
  /** A gateway requiring this profile's id, or an app host that only its gateway's subnet may call. */
  gateway?: { fdid: string } | 'private',
): Promise<string> {
  const handler: RequestListener = async (req, res) => {
    const fdid = req.headers['x-azure-fdid'];
    appendFileSync(
      world.log,
      `${JSON.stringify({ http: label, method: req.method, path: req.url, ...(fdid ? { fdid } : {}) })}\n`,
    );
    // As the gateway's policy (global.xml): this profile's X-Azure-FDID, or only GET /api/health/ready.
    if (gateway === 'private') {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('Ip Forbidden');
      return;
    }
    if (gateway && fdid !== gateway.fdid && !(req.method === 'GET' && req.url === '/api/health/ready')) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('not through this Front Door');
      return;
    }
    const state = existsSync(join(world.dir, 'state.json'))
      ? (JSON.parse(readFileSync(join(world.dir, 'state.json'), 'utf8')) as { deployed: Record<string, string> })
      : { deployed: {} };
    if (breaks && state.deployed[app] === NEW && !req.url?.startsWith('/api/health')) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('broken by the new package');
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host') headers[k] = v;
    const upstream = await fetch(`${stack.url}${req.url}`, { method: req.method!, headers });
    const out: Record<string, string> = {};
    upstream.headers.forEach((v, k) => {
      if (!['content-encoding', 'content-length', 'transfer-encoding', 'connection'].includes(k)) out[k] = v;
    });
    res.writeHead(upstream.status, out).end(Buffer.from(await upstream.arrayBuffer()));
  };
  const server = tls ? createHttpsServer(tls, handler) : createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The Front Door profile's id, which each gateway requires as X-Azure-FDID (AZURE_FRONT_DOOR_ID). */
const FDID = '8d1f6c1e-2b3a-4c5d-9e8f-0a1b2c3d4e5f';

/**
 * The regions, and with `gateways` each region's gateway: then the proxies named after the regions are
 * the gateways (refusing what lacks FDID but the readiness probe), and the apps' own hosts
 * (`private-<region>`) refuse everything, as with private networking.
 */
async function world(breaks: string[] = [], gateways = false): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'algesta-rollout-'));
  cleanup.push(dir);
  const log = join(dir, 'calls.jsonl');
  writeFileSync(log, '');
  const settings = { APP_SETTING: 'new', ALGESTA_REGION: 'x' };
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ settings: { [A.name]: settings, [B.name]: settings } }));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'az'),
    `#!/bin/sh\nexec "${process.execPath}" "${join(REPO, 'test/infra/support/fake-az.mjs')}" "$@"\n`,
  );
  chmodSync(join(bin, 'az'), 0o755);
  const w = { dir, log };
  const gateway = gateways ? { fdid: FDID } : undefined;
  return {
    ...w,
    urls: {
      [A.region]: await region(w, A.region, A.name, breaks.includes(A.region), undefined, gateway),
      [B.region]: await region(w, B.region, B.name, breaks.includes(B.region), undefined, gateway),
      ...(gateways
        ? {
            [`private-${A.region}`]: await region(w, `private-${A.region}`, A.name, false, undefined, 'private'),
            [`private-${B.region}`]: await region(w, `private-${B.region}`, B.name, false, undefined, 'private'),
          }
        : {}),
      // Front Door sends the traffic to the primary (priority 1): it breaks with the primary.
      'front-door': await region(w, 'front-door', B.name, breaks.includes('front-door')),
    },
  };
}

/** What the previous successful run left: its package and each app's settings. */
function previousRun(w: World): string[] {
  writeFileSync(join(w.dir, PREVIOUS), 'zip');
  mkdirSync(join(w.dir, 'previous-settings'));
  for (const app of [A, B])
    writeFileSync(
      join(w.dir, 'previous-settings', `${app.name}.json`),
      JSON.stringify({ properties: { APP_SETTING: 'previous' } }),
    );
  return ['--previous-package', join(w.dir, PREVIOUS), '--previous-settings', join(w.dir, 'previous-settings')];
}

/** Each region's API Management gateway when `gateways` (issue 24). */
const GATEWAY = { [A.name]: 'apim-algesta-prod-centralus', [B.name]: 'apim-algesta-prod' } as Record<string, string>;

function outputs(w: World, frontDoor = true, gateways = false): string {
  // With gateways: the app's own host is private, the region is checked at its gateway (checkUrl).
  const app = (a: typeof A) => ({
    ...a,
    url: gateways ? w.urls[`private-${a.region}`] : w.urls[a.region],
    origin: frontDoor ? a.origin : '',
    ...(gateways ? { gateway: GATEWAY[a.name], checkUrl: w.urls[a.region] } : {}),
  });
  const file = join(w.dir, 'outputs.json');
  const value = (v: unknown) => ({ type: typeof v === 'string' ? 'String' : 'Array', value: v });
  writeFileSync(
    file,
    JSON.stringify({
      AZURE_FUNCTION_APPS: value(frontDoor ? [app(A), app(B)] : [app(B)]),
      AZURE_FUNCTION_APP_NAME: value(B.name),
      AZURE_FRONT_DOOR_PROFILE: value(frontDoor ? 'afd-algesta-prod' : ''),
      AZURE_FRONT_DOOR_RESOURCE_GROUP: value(frontDoor ? B.resourceGroup : ''),
      AZURE_FRONT_DOOR_ORIGIN_GROUP: value(frontDoor ? 'api' : ''),
      AZURE_FRONT_DOOR_ENDPOINT: value(frontDoor ? 'algesta-prod' : ''),
      AZURE_FRONT_DOOR_URL: value(frontDoor ? w.urls['front-door'] : ''),
      AZURE_DASHBOARD_ORIGINS: value(DASHBOARD),
      // Set whenever there is a Front Door here: without a gateway it must still not be sent.
      AZURE_FRONT_DOOR_ID: value(frontDoor ? FDID : ''),
    }),
  );
  return file;
}

function run(w: World, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const fast = [
    '--propagation-seconds',
    '0',
    '--in-flight-seconds',
    '0',
    '--ready-timeout-seconds',
    '5',
    '--ready-interval-seconds',
    '0.1',
  ];
  const child = spawn(process.execPath, [...NODE_ARGS, join(REPO, 'infra/scripts/rollout.ts'), ...args, ...fast], {
    cwd: REPO,
    env: { ...process.env, PATH: `${join(w.dir, 'bin')}:${process.env.PATH}`, FAKE_AZ_DIR: w.dir, ...env },
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

const deploy = (w: World, frontDoor = true, extra: string[] = [], gateways = false) =>
  run(w, [
    'deploy',
    '--outputs',
    outputs(w, frontDoor, gateways),
    '--package',
    join(w.dir, NEW),
    '--record-settings',
    join(w.dir, 'recorded'),
    ...extra,
  ]);

/**
 * The log as steps: `disable <origin>`, `settings <app>`, `restore-settings <app>`, `publish <app> <zip>`,
 * `import <region>` (az apim api import into the region's gateway),
 * `ready <region>` (GETs of /api/health/ready), `smoke <region>` (from GET /api/health on, the smoke
 * test's first request), `enable <origin>`; repeats collapsed.
 */
function steps(w: World): string[] {
  const regionOf = (name: string) => [A, B].find((a) => a.name === name)?.region ?? name;
  const originRegion = (origin: string) => [A, B].find((a) => a.origin === origin)?.region ?? origin;
  const out: string[] = [];
  const smoking = new Set<string>();
  for (const line of readFileSync(w.log, 'utf8').split('\n').filter(Boolean)) {
    const e = JSON.parse(line) as { az?: string[]; http?: string; path?: string };
    let label: string;
    if (e.http) {
      if (e.path === '/api/health') smoking.add(e.http);
      label = `${smoking.has(e.http) ? 'smoke' : 'ready'} ${e.http}`;
    } else {
      smoking.clear();
      const a = e.az!;
      const flag = (n: string) => a[a.indexOf(`--${n}`) + 1]!;
      if (a[0] === 'afd')
        label = `${flag('enabled-state') === 'Disabled' ? 'disable' : 'enable'} ${originRegion(flag('origin-name'))}`;
      else if (a[0] === 'rest')
        label = `${flag('method') === 'post' ? 'settings' : 'restore-settings'} ${regionOf(/sites\/([^/]+)/.exec(flag('uri'))![1]!)}`;
      else if (a[1] === 'deployment') label = `publish ${regionOf(flag('name'))} ${flag('src').split('/').pop()}`;
      else if (a[0] === 'apim')
        label = `import ${regionOf(Object.keys(GATEWAY).find((app) => GATEWAY[app] === flag('service-name')) ?? '?')}`;
      else label = `az ${a.slice(0, 2).join(' ')}`;
    }
    if (out.at(-1) !== label) out.push(label);
  }
  return out;
}

/** The HTTP requests the proxies logged, with the X-Azure-FDID each carried. */
const httpLog = (w: World) =>
  readFileSync(w.log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { http?: string; path?: string; fdid?: string })
    .filter((e): e is { http: string; path?: string; fdid?: string } => typeof e.http === 'string');

/** The committed OpenAPI document: what `npm run build` copies into the package as dist/openapi.json. */
const CLIENT_DOCUMENT = JSON.parse(readFileSync(join(REPO, 'client/openapi.json'), 'utf8')) as {
  paths: Record<string, unknown>;
};

/**
 * Real zips for NEW and PREVIOUS carrying dist/openapi.json, as the staged package does (zip, as
 * promotion.test.ts makes one for verify-version.ts): the new one the committed document, the
 * previous one the same without /api/v1/me, so an import shows which package it came from.
 */
function packages(w: World): void {
  const make = (file: string, document: unknown) => {
    const folder = join(w.dir, `${file}.d`);
    mkdirSync(join(folder, 'dist'), { recursive: true });
    writeFileSync(join(folder, 'dist/openapi.json'), JSON.stringify(document));
    rmSync(join(w.dir, file), { force: true });
    expect(spawnSync('zip', ['-qr', join(w.dir, file), '.'], { cwd: folder }).status).toBe(0);
  };
  make(NEW, CLIENT_DOCUMENT);
  const { ['/api/v1/me']: _gone, ...paths } = CLIENT_DOCUMENT.paths;
  make(PREVIOUS, { ...CLIENT_DOCUMENT, paths });
}

const state = (w: World) =>
  JSON.parse(readFileSync(join(w.dir, 'state.json'), 'utf8')) as {
    deployed: Record<string, string>;
    settings: Record<string, Record<string, string>>;
    origins: Record<string, string>;
  };

describe('infra/scripts/rollout.ts (region by region, with a fake az and the local stack)', () => {
  it('deploys the secondary, then the primary, each drained, checked on its own URL and enabled again; then checks Front Door', async () => {
    const w = await world();
    const { code, output } = await deploy(w, true, previousRun(w));
    expect(output).not.toContain('##vso[task.logissue');
    expect(code).toBe(0);
    expect(steps(w)).toEqual([
      'disable centralus',
      'settings centralus',
      `publish centralus ${NEW}`,
      'ready centralus',
      'smoke centralus',
      'enable centralus',
      'disable eastus2',
      'settings eastus2',
      `publish eastus2 ${NEW}`,
      'ready eastus2',
      'smoke eastus2',
      'enable eastus2',
      'ready front-door',
      'smoke front-door',
    ]);
    // The settings that went with this package, per app, for a later rollback.
    for (const app of [A, B])
      expect(JSON.parse(readFileSync(join(w.dir, 'recorded', `${app.name}.json`), 'utf8'))).toEqual({
        properties: { APP_SETTING: 'new', ALGESTA_REGION: 'x' },
      });
    expect(output).toMatch(/centralus func-algesta-prod-centralus: deployed\n.*eastus2 func-algesta-prod: deployed/);
  });

  it('a smoke test failing in the second region restores both regions (settings, then package), re-enables both origins and fails', async () => {
    const w = await world(['eastus2']);
    const { code, output } = await deploy(w, true, previousRun(w));
    expect(code).toBe(1);
    expect(output).toMatch(/^##vso\[task\.logissue type=error\]smoke test eastus2: OpenAPI document: 503; .*$/m);
    expect(steps(w).slice(6)).toEqual([
      'disable eastus2',
      'settings eastus2',
      `publish eastus2 ${NEW}`,
      'ready eastus2',
      'smoke eastus2',
      // The failed region first (it is drained), then the one already serving, drained before its restore.
      'restore-settings eastus2',
      `publish eastus2 ${PREVIOUS}`,
      'ready eastus2',
      'enable eastus2',
      'disable centralus',
      'restore-settings centralus',
      `publish centralus ${PREVIOUS}`,
      'ready centralus',
      'enable centralus',
    ]);
    const s = state(w);
    expect(s.deployed).toEqual({ [A.name]: PREVIOUS, [B.name]: PREVIOUS });
    expect(s.settings[A.name]).toEqual({ APP_SETTING: 'previous' });
    expect(s.settings[B.name]).toEqual({ APP_SETTING: 'previous' });
    expect(s.origins).toEqual({ [A.origin]: 'Enabled', [B.origin]: 'Enabled' });
    expect(output).toMatch(/centralus func-algesta-prod-centralus: restored\n.*eastus2 func-algesta-prod: restored/);
  });

  it('a failing check through Front Door after both regions restores both, the primary first, each drained while the other serves', async () => {
    const w = await world(['front-door']);
    const { code, output } = await deploy(w, true, previousRun(w));
    expect(code).toBe(1);
    expect(output).toMatch(/^##vso\[task\.logissue type=error\]smoke test front-door: OpenAPI document: 503; .*$/m);
    expect(steps(w).slice(12)).toEqual([
      'ready front-door',
      'smoke front-door',
      'disable eastus2',
      'restore-settings eastus2',
      `publish eastus2 ${PREVIOUS}`,
      'ready eastus2',
      'enable eastus2',
      'disable centralus',
      'restore-settings centralus',
      `publish centralus ${PREVIOUS}`,
      'ready centralus',
      'enable centralus',
    ]);
    expect(state(w).origins).toEqual({ [A.origin]: 'Enabled', [B.origin]: 'Enabled' });
  });

  it('a failure in the first region restores only that region; the second is never touched', async () => {
    const w = await world(['centralus']);
    const { code, output } = await deploy(w, true, previousRun(w));
    expect(code).toBe(1);
    expect(output).toMatch(/^##vso\[task\.logissue type=error\]smoke test centralus: /m);
    expect(steps(w)).toEqual([
      'disable centralus',
      'settings centralus',
      `publish centralus ${NEW}`,
      'ready centralus',
      'smoke centralus',
      'restore-settings centralus',
      `publish centralus ${PREVIOUS}`,
      'ready centralus',
      'enable centralus',
    ]);
    const log = readFileSync(w.log, 'utf8');
    for (const trace of [`"${B.name}"`, `/sites/${B.name}/`, B.origin, '"http":"eastus2"']) expect(log).not.toContain(trace);
    expect(output).toContain(`eastus2 ${B.name}: not touched`);
  });

  it('without a previous package (first deployment) it warns, restores nothing, enables the origin again and still fails', async () => {
    const w = await world(['centralus']);
    const { code, output } = await deploy(w);
    expect(code).toBe(1);
    expect(output).toMatch(/^##vso\[task\.logissue type=warning\]No previous package: this is the first deployment/m);
    expect(steps(w).slice(5)).toEqual(['enable centralus']);
    expect(state(w).deployed).toEqual({ [A.name]: NEW });
  });

  it('a single region without Front Door: the same steps, no az afd call at all', async () => {
    const w = await world();
    const { code } = await deploy(w, false, previousRun(w));
    expect(code).toBe(0);
    expect(steps(w)).toEqual(['settings eastus2', `publish eastus2 ${NEW}`, 'ready eastus2', 'smoke eastus2']);
    expect(readFileSync(w.log, 'utf8')).not.toContain('"afd"');
  });

  it('refuses outputs that would leave a region undrained', () => {
    const apps = (origin: string) => ({
      value: [
        { name: 'a', resourceGroup: 'r', region: 'x', url: 'https://a', origin },
        { name: 'b', resourceGroup: 'r', region: 'y', url: 'https://b', origin },
      ],
    });
    expect(() => planFromOutputs({ AZURE_FUNCTION_APPS: apps('') })).toThrow(/no AZURE_FRONT_DOOR_PROFILE/);
    expect(() =>
      planFromOutputs({
        AZURE_FUNCTION_APPS: apps(''),
        AZURE_FRONT_DOOR_PROFILE: { value: 'p' },
        AZURE_FRONT_DOOR_RESOURCE_GROUP: { value: 'r' },
        AZURE_FRONT_DOOR_ORIGIN_GROUP: { value: 'g' },
      }),
    ).toThrow(/x: no Front Door origin for a/);
    // A template without AZURE_FUNCTION_APPS (one region): its single app, no Front Door.
    const single = planFromOutputs({
      AZURE_FUNCTION_APP_NAME: { value: 'func' },
      AZURE_FUNCTION_APP_URL: { value: 'https://func/' },
      AZURE_RESOURCE_GROUP: { value: 'rg' },
      AZURE_LOCATION: { value: 'eastus2' },
    });
    expect(single).toEqual({
      apps: [
        {
          name: 'func',
          resourceGroup: 'rg',
          region: 'eastus2',
          url: 'https://func',
          origin: '',
          gateway: '',
          checkUrl: 'https://func',
        },
      ],
      dashboardOrigin: '',
      frontDoorId: '',
    });
    // The drain covers Front Door's documented propagation bound (20 min) and an in-flight request.
    expect(WAITS.propagationSeconds).toBe(20 * 60);
  });

  it("with a gateway per region: each gateway gets the package's document before the region is checked, through that gateway with the profile's X-Azure-FDID", async () => {
    const w = await world([], true);
    const extra = previousRun(w);
    packages(w);
    const { code, output } = await deploy(w, true, extra, true);
    expect(output).not.toContain('##vso[task.logissue');
    expect(code).toBe(0);
    // The routes first: the gateway forwards only the operations it has. `centralus` is its gateway here.
    expect(steps(w)).toEqual([
      'disable centralus',
      'settings centralus',
      `publish centralus ${NEW}`,
      'import centralus',
      'ready centralus',
      'smoke centralus',
      'enable centralus',
      'disable eastus2',
      'settings eastus2',
      `publish eastus2 ${NEW}`,
      'import eastus2',
      'ready eastus2',
      'smoke eastus2',
      'enable eastus2',
      'ready front-door',
      'smoke front-door',
    ]);
    const requests = httpLog(w);
    // Every check of a region went to its gateway with the profile's id; none to the apps' private
    // hosts, none fetched the document from an app; Front Door is called without it (it adds its own).
    for (const region of [A.region, B.region]) {
      const atGateway = requests.filter((r) => r.http === region);
      expect(atGateway.length).toBeGreaterThan(5);
      expect(atGateway.filter((r) => r.fdid !== FDID)).toEqual([]);
    }
    expect(requests.filter((r) => r.http.startsWith('private-'))).toEqual([]);
    expect(requests.filter((r) => r.http === 'front-door' && r.fdid)).toEqual([]);
    // What each gateway got is the document inside the package, its /api prefix moved to the API's path.
    const expected = Object.keys(CLIENT_DOCUMENT.paths).map((p) => p.slice('/api'.length));
    expect(expected).toContain('/v1/me');
    const imports = (state(w) as unknown as { imports: Record<string, Record<string, unknown>> }).imports;
    for (const app of [A, B])
      expect(imports[GATEWAY[app.name]!]).toEqual({
        resourceGroup: app.resourceGroup,
        apiId: 'algesta',
        path: 'api',
        format: 'OpenApiJson',
        subscriptionRequired: 'false',
        title: 'Algesta API',
        paths: expected,
      });
  });

  it("without a gateway a region is checked at its app's URL with no X-Azure-FDID, even when the profile's id is known", async () => {
    const w = await world();
    const { code } = await deploy(w, true, previousRun(w));
    expect(code).toBe(0);
    const requests = httpLog(w);
    expect(requests.filter((r) => r.http === A.region).length).toBeGreaterThan(5);
    expect(requests.filter((r) => r.fdid)).toEqual([]);
    expect(readFileSync(w.log, 'utf8')).not.toContain('"apim"');
  });

  it("a failed import fails the region like a failed check: it is restored, its gateway gets the previous package's document, and the other region is never touched", async () => {
    const w = await world([], true);
    const config = JSON.parse(readFileSync(join(w.dir, 'config.json'), 'utf8'));
    writeFileSync(join(w.dir, 'config.json'), JSON.stringify({ ...config, failImport: GATEWAY[A.name] }));
    const extra = previousRun(w);
    packages(w);
    const { code, output } = await deploy(w, true, extra, true);
    expect(code).toBe(1);
    expect(output).toMatch(
      /^##vso\[task\.logissue type=error\]gateway routes centralus: az apim api import into apim-algesta-prod-centralus failed/m,
    );
    expect(steps(w)).toEqual([
      'disable centralus',
      'settings centralus',
      `publish centralus ${NEW}`,
      'import centralus',
      'restore-settings centralus',
      `publish centralus ${PREVIOUS}`,
      'import centralus',
      'ready centralus',
      'enable centralus',
    ]);
    expect(readFileSync(w.log, 'utf8')).not.toContain(`"${GATEWAY[B.name]!}"`);
    expect(output).toContain(`centralus ${A.name}: restored`);
    // The rollback's readiness went through the gateway with the id too.
    expect(httpLog(w).filter((r) => r.http === A.region && r.fdid !== FDID)).toEqual([]);
    // The previous package's document (it has no /v1/me), not the new one's.
    const imports = (state(w) as unknown as { imports: Record<string, { paths?: string[] }> }).imports;
    expect(imports[GATEWAY[A.name]!]?.paths).toContain('/v1/orders');
    expect(imports[GATEWAY[A.name]!]?.paths).not.toContain('/v1/me');
  });

  it('a previous package without dist/openapi.json (built before the copy): the rollback restores the region, warns that its gateway keeps the routes it had, and says so in the summary', async () => {
    const w = await world(['centralus'], true);
    const extra = previousRun(w);
    packages(w);
    rmSync(join(w.dir, PREVIOUS));
    const old = join(w.dir, 'old.d');
    mkdirSync(old);
    writeFileSync(join(old, 'host.json'), '{}');
    expect(spawnSync('zip', ['-qr', join(w.dir, PREVIOUS), '.'], { cwd: old }).status).toBe(0);
    const { code, output } = await deploy(w, true, extra, true);
    expect(code).toBe(1);
    expect(output).toMatch(/^##vso\[task\.logissue type=error\]smoke test centralus: /m);
    expect(output).toMatch(
      /^##vso\[task\.logissue type=warning\]gateway routes centralus \(rollback\): gateway routes not restored: unzip -p .*previous-functions\.zip dist\/openapi\.json failed/m,
    );
    expect(steps(w).slice(-4)).toEqual([
      'restore-settings centralus',
      `publish centralus ${PREVIOUS}`,
      'ready centralus',
      'enable centralus',
    ]);
    expect(output).toMatch(new RegExp(`centralus ${A.name}: restored \\(gateway routes not restored: unzip -p `));
    expect(state(w).deployed).toEqual({ [A.name]: PREVIOUS });
  });

  it('a package without dist/openapi.json fails the region at the import, naming the file, and restores it', async () => {
    const w = await world([], true);
    const extra = previousRun(w);
    packages(w);
    rmSync(join(w.dir, NEW));
    const bare = join(w.dir, 'bare.d');
    mkdirSync(bare);
    writeFileSync(join(bare, 'host.json'), '{}');
    expect(spawnSync('zip', ['-qr', join(w.dir, NEW), '.'], { cwd: bare }).status).toBe(0);
    const { code, output } = await deploy(w, true, extra, true);
    expect(code).toBe(1);
    expect(output).toMatch(
      /^##vso\[task\.logissue type=error\]gateway routes centralus: unzip -p .*algesta-functions\.zip dist\/openapi\.json failed/m,
    );
    expect(output).toContain(`centralus ${A.name}: restored`);
  });

  it('rollback-only (the infrastructure deployment failed): finds the apps by tag across resource groups and restores each', async () => {
    const w = await world();
    // The app's URL comes from its defaultHostName, over HTTPS: a self-signed certificate for the test.
    const key = join(w.dir, 'key.pem');
    const cert = join(w.dir, 'cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1', '-keyout', key, '-out', cert],
      {
        stdio: 'ignore',
      },
    );
    const host = (await region(w, 'restored', B.name, false, { key: readFileSync(key), cert: readFileSync(cert) })).replace(
      'https://',
      '',
    );
    const site = (app: typeof A, env: string) => ({
      id: `/subscriptions/0/resourceGroups/${app.resourceGroup}/providers/Microsoft.Web/sites/${app.name}`,
      name: app.name,
      resourceGroup: app.resourceGroup,
      location: app.region,
      type: 'Microsoft.Web/sites',
      defaultHostName: host,
      tags: { 'azd-env-name': env, 'azd-service-name': 'api' },
    });
    const config = JSON.parse(readFileSync(join(w.dir, 'config.json'), 'utf8'));
    config.resources = [
      site(A, 'prod'),
      site(B, 'prod'),
      { ...site(B, 'staging'), name: 'func-algesta-staging', resourceGroup: 'rg-algesta-staging' },
      {
        name: 'stalgestaprod',
        resourceGroup: B.resourceGroup,
        location: B.region,
        type: 'Microsoft.Storage/storageAccounts',
        tags: { 'azd-env-name': 'prod' },
      },
    ];
    writeFileSync(join(w.dir, 'config.json'), JSON.stringify(config));
    const { code, output } = await run(w, ['rollback-only', '--env-name', 'prod', ...previousRun(w)], {
      NODE_TLS_REJECT_UNAUTHORIZED: '0',
    });
    expect(code, output).toBe(0);
    expect(steps(w)).toEqual([
      'az resource list',
      'az functionapp show',
      'restore-settings centralus',
      `publish centralus ${PREVIOUS}`,
      'ready restored',
      'restore-settings eastus2',
      `publish eastus2 ${PREVIOUS}`,
      'ready restored',
    ]);
    expect(readFileSync(w.log, 'utf8')).toContain('"resource","list","--tag","azd-env-name=prod"');
    expect(state(w).deployed).toEqual({ [A.name]: PREVIOUS, [B.name]: PREVIOUS });
  });

  it("rollback-only with gateways: each app is checked through its resource group's gateway with the profile's id, and the gateway gets the previous package's document", async () => {
    const w = await world([], true);
    const extra = previousRun(w);
    packages(w);
    const id = (rg: string, type: string, name: string) => `/subscriptions/0/resourceGroups/${rg}/providers/${type}/${name}`;
    const tags = { 'azd-env-name': 'prod' };
    const site = (app: typeof A) => ({
      id: id(app.resourceGroup, 'Microsoft.Web/sites', app.name),
      name: app.name,
      resourceGroup: app.resourceGroup,
      location: app.region,
      type: 'Microsoft.Web/sites',
      // Private: only the gateway's subnet may call it (never called here).
      defaultHostName: `${app.name}.azurewebsites.net`,
      tags: { ...tags, 'azd-service-name': 'api' },
    });
    const gateway = (app: typeof A) => ({
      id: id(app.resourceGroup, 'Microsoft.ApiManagement/service', GATEWAY[app.name]!),
      name: GATEWAY[app.name]!,
      resourceGroup: app.resourceGroup,
      location: app.region,
      type: 'Microsoft.ApiManagement/service',
      tags,
      properties: { gatewayUrl: w.urls[app.region] },
    });
    const config = JSON.parse(readFileSync(join(w.dir, 'config.json'), 'utf8'));
    config.resources = [
      site(A),
      site(B),
      gateway(A),
      gateway(B),
      {
        id: id(A.resourceGroup, 'Microsoft.Cdn/profiles', 'afd-algesta-prod'),
        name: 'afd-algesta-prod',
        resourceGroup: A.resourceGroup,
        location: 'Global',
        type: 'Microsoft.Cdn/profiles',
        tags,
        properties: { frontDoorId: FDID },
      },
    ];
    writeFileSync(join(w.dir, 'config.json'), JSON.stringify(config));
    const { code, output } = await run(w, ['rollback-only', '--env-name', 'prod', ...extra]);
    expect(code, output).toBe(0);
    expect(output).not.toContain('##vso[task.logissue');
    expect(state(w).deployed).toEqual({ [A.name]: PREVIOUS, [B.name]: PREVIOUS });
    const requests = httpLog(w);
    for (const region of [A.region, B.region]) expect(requests.filter((r) => r.http === region).length).toBeGreaterThan(0);
    expect(requests.filter((r) => r.fdid !== FDID)).toEqual([]);
    const imports = (state(w) as unknown as { imports: Record<string, { paths?: string[] }> }).imports;
    for (const app of [A, B]) {
      expect(imports[GATEWAY[app.name]!]?.paths).toContain('/v1/orders');
      expect(imports[GATEWAY[app.name]!]?.paths).not.toContain('/v1/me');
    }
  });

  it('the scripts use only syntax that type stripping erases, and import each other with .ts (as Node 22 runs them)', () => {
    const tsc = (files: string[]) =>
      spawnSync(
        process.execPath,
        [join(REPO, 'node_modules/typescript/bin/tsc'), '--ignoreConfig', ...STRIP_TYPES_FLAGS, ...files],
        {
          cwd: REPO,
          encoding: 'utf8',
        },
      );
    // Every script the agent runs, and what they import (stage-package.ts too: it is as plain).
    const scripts = readdirSync(join(REPO, 'infra/scripts'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(REPO, 'infra/scripts', f));
    expect(scripts.length).toBeGreaterThanOrEqual(6);
    const clean = tsc(scripts);
    expect(clean.stdout, clean.stdout).toBe('');
    // The same check finds what Node would refuse: a parameter property, an import without .ts.
    const dir = mkdtempSync(join(tmpdir(), 'algesta-strip-'));
    cleanup.push(dir);
    writeFileSync(
      join(dir, 'a.ts'),
      "import { b } from './b';\nexport class A {\n  constructor(readonly x: string) {}\n}\nexport const c = b;\n",
    );
    writeFileSync(join(dir, 'b.ts'), 'export const b = 1;\n');
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }'); // ESM, as this repository is
    const broken = tsc([join(dir, 'a.ts')]).stdout;
    expect(broken).toMatch(/TS1294/); // not erasable
    expect(broken).toMatch(/TS2835/); // relative import needs its extension
  });

  afterAll(() => {
    for (const d of cleanup) rmSync(d, { recursive: true, force: true });
  });
});

/** A stand-in for Application Insights' ingestion endpoint: records each POST to /v2.1/track. */
async function ingestion(status = 200): Promise<{ url: string; received: { authorization?: string; body: unknown }[] }> {
  const received: { authorization?: string; body: unknown }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v2.1/track')
        received.push({ authorization: req.headers.authorization, body: JSON.parse(body) });
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ itemsReceived: 1, itemsAccepted: status === 200 ? 1 : 0, errors: [] }));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, received };
}

/** Points the fake az at an ingestion endpoint for the prod component (main.bicep's names). */
function component(w: World, ingestionUrl: string): void {
  const config = JSON.parse(readFileSync(join(w.dir, 'config.json'), 'utf8'));
  config.components = {
    'rg-algesta-prod/appi-algesta-prod': `InstrumentationKey=00000000-1111-2222-3333-444444444444;IngestionEndpoint=${ingestionUrl};LiveEndpoint=https://live.invalid/`,
  };
  writeFileSync(join(w.dir, 'config.json'), JSON.stringify(config));
}

type Properties = Record<string, string>;
const propertiesOf = (body: unknown) =>
  (body as { data: { baseData: { name: string; properties: Properties } } }[])[0]!.data.baseData;

describe('the on-call notice of a failed deployment (infra/scripts/deployment-notice.ts)', () => {
  const NOTICE = { ALGESTA_DEPLOYMENT_NOTICE_ENV: 'prod', BUILD_BUILDNUMBER: '20261207.3' };

  it('a failed rollout sends one algesta.deployment.failed event, Entra-authenticated, after its rollback, and still fails', async () => {
    const w = await world(['eastus2']);
    const sink = await ingestion();
    component(w, sink.url);
    const { code, output } = await run(
      w,
      ['deploy', '--outputs', outputs(w), '--package', join(w.dir, NEW), ...previousRun(w)],
      NOTICE,
    );
    expect(code, output).toBe(1);
    expect(sink.received).toHaveLength(1);
    expect(sink.received[0]!.authorization).toBe('Bearer fake-token-for https://monitor.azure.com');
    const event = propertiesOf(sink.received[0]!.body);
    expect(event.name).toBe(NOTICE_EVENT);
    expect(event.properties).toMatchObject({
      environment: 'prod',
      step: 'smoke test',
      region: 'eastus2',
      rolledBack: 'true',
      run: '20261207.3',
    });
    expect(event.properties.reason).toMatch(/OpenAPI document: 503/);
    // The notice comes after the rollback: the last restore is logged before it.
    expect(output.indexOf('on-call notified')).toBeGreaterThan(output.lastIndexOf('==> enable centralus (rollback)'));
  });

  it('a successful rollout sends nothing', async () => {
    const w = await world();
    const sink = await ingestion();
    component(w, sink.url);
    const { code, output } = await run(w, ['deploy', '--outputs', outputs(w), '--package', join(w.dir, NEW)], NOTICE);
    expect(code, output).toBe(0);
    expect(sink.received).toHaveLength(0);
  });

  it('a notice that cannot be sent is a warning: the rollout still rolls back and fails with its own reason', async () => {
    const w = await world(['eastus2']);
    const sink = await ingestion(500);
    component(w, sink.url);
    const { code, output } = await run(
      w,
      ['deploy', '--outputs', outputs(w), '--package', join(w.dir, NEW), ...previousRun(w)],
      NOTICE,
    );
    expect(code, output).toBe(1);
    expect(sink.received).toHaveLength(1);
    expect(output).toMatch(/^##vso\[task\.logissue type=error\]smoke test eastus2: /m);
    expect(output).toMatch(/^##vso\[task\.logissue type=warning\]The on-call notice could not be sent \(ingestion answered 500/m);
    expect(state(w).deployed).toEqual({ [A.name]: PREVIOUS, [B.name]: PREVIOUS });
  });

  it('rollback-only (the Bicep step failed) always notifies, even with no app to restore', async () => {
    const notices: Omit<DeploymentNotice, 'environment'>[] = [];
    const effects = {
      az: () => ({ status: 2, stdout: '', stderr: 'unexpected' }),
      log: () => undefined,
      sleep: async () => undefined,
      publish: async () => undefined,
      ready: async () => undefined,
      smoke: async () => '',
      importRoutes: async () => undefined,
      notify: async (n: Omit<DeploymentNotice, 'environment'>) => void notices.push(n),
    };
    const options = { package: '', propagationSeconds: 0, inFlightSeconds: 0, readyTimeoutSeconds: 1, readyIntervalSeconds: 0 };
    expect(await rollbackOnly([], options, effects)).toBe(0);
    expect(notices).toEqual([expect.objectContaining({ step: 'infrastructure', region: 'all', rolledBack: false })]);
  });

  it('notifyDeploymentFailure never throws: no component, or no token, is a logged warning', async () => {
    const lines: string[] = [];
    const notice: DeploymentNotice = { environment: 'prod', step: 'publish', region: 'eastus2', reason: 'x', rolledBack: true };
    const missing = () => ({
      status: 3,
      stdout: '',
      stderr: "ERROR: (ResourceNotFound) The Resource 'appi-algesta-prod' was not found.",
    });
    expect(await notifyDeploymentFailure(notice, { az: missing, log: (l) => lines.push(l) })).toBe(false);
    expect(lines.join('\n')).toMatch(/type=warning\]The on-call notice could not be sent \(az resource show/);
    let fetched = 0;
    const sent = await notifyDeploymentFailure(notice, {
      az: (args) =>
        args[0] === 'resource'
          ? { status: 0, stdout: JSON.stringify('InstrumentationKey=k;IngestionEndpoint=https://in.invalid/'), stderr: '' }
          : { status: 1, stdout: '', stderr: 'ERROR: AADSTS700016' },
      log: (l) => lines.push(l),
      fetch: async () => {
        fetched++;
        return new Response('{}');
      },
    });
    expect(sent).toBe(false);
    expect(fetched).toBe(0);
  });
});

const cleanup: string[] = [];
/** What `node --experimental-strip-types` accepts: erasable syntax, ESM with explicit .ts imports. */
const STRIP_TYPES_FLAGS = [
  '--noEmit',
  '--erasableSyntaxOnly',
  '--verbatimModuleSyntax',
  '--allowImportingTsExtensions',
  '--module',
  'nodenext',
  '--target',
  'es2022',
  '--types',
  'node',
  '--strict',
  '--skipLibCheck',
];
