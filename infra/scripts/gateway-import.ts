/**
 * Imports the API's routes into a region's API Management gateway from the OpenAPI document the build
 * produced (`dist/openapi.json` in the package, a copy of the committed client/openapi.json: the
 * document the app serves, test/e2e/remote/health-contract.test.ts), so the gateway and the app it
 * forwards to never disagree about routes (issue 24). The document (~2.6 MB) is beyond what Bicep can
 * load, so the gateway's Bicep (infra/modules/gateway.bicep) makes the service, its backend and its
 * global policy, and this script makes or replaces the API itself:
 *
 *   az apim api import --resource-group <rg> --service-name <gateway> --api-id algesta --path api
 *       --specification-format OpenApiJson --specification-path <document> --protocols https
 *       --subscription-required false --display-name "Algesta API"
 *
 * (learn.microsoft.com/cli/azure/apim/api#az-apim-api-import). Importing into the same api-id replaces
 * the API's operations. The document's paths all start with /api (the Functions host's route prefix);
 * the API's own path is `api`, so the prefix comes off the paths and the public URLs stay the app's
 * (https://<front door>/api/v1/orders → gateway API `api`, operation /v1/orders → backend
 * https://<app>/api + /v1/orders).
 *
 * The document is read from the package, not fetched from the app: with private networking the app's
 * own host answers only its gateway's subnet (docs/infrastructure.md, "Network"), so the agent could
 * not fetch it, and the package is what the gateway forwards to anyway.
 *
 * rollout.ts calls importDocument for each region right after that region's package is published and
 * ready, while the region is still drained (docs/infrastructure.md, "The gateway and the edge"), with
 * the document of the package it published; on its own:
 *
 *   unzip -p algesta-functions.zip dist/openapi.json > openapi.json
 *   node --experimental-strip-types infra/scripts/gateway-import.ts --gateway <name> --resource-group <rg> \
 *       --document openapi.json
 *
 * node: builtins and sibling scripts only (it runs on the agent without npm install).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { az, tail, type Az } from './az.ts';
import { messageOf, runAsScript } from './run-script.ts';

/** The API's id and path on every gateway. */
export const GATEWAY_API = { id: 'algesta', path: 'api', displayName: 'Algesta API' } as const;
/** The Functions host's route prefix, which every path of the served document starts with. */
const ROUTE_PREFIX = '/api';

export interface Gateway {
  readonly name: string;
  readonly resourceGroup: string;
}

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * A CORS preflight operation for a path: the app answers preflights itself (CORS_ALLOWED_ORIGINS,
 * docs/api.md "CORS"), but API Management forwards only requests that match an operation of the API,
 * and the served document declares no OPTIONS. So each path gets one, anonymous (a preflight carries no
 * token); the gateway's policy forwards OPTIONS without validate-jwt (global.xml).
 */
export function preflightOperation(path: string): Record<string, unknown> {
  return {
    operationId: `preflight${path.replace(/[^A-Za-z0-9]+/g, '-')}`.slice(0, 80),
    summary: 'CORS preflight, answered by the app',
    security: [],
    responses: { '204': { description: 'The CORS headers for an allowed origin' } },
  };
}

/**
 * The served document with the route prefix taken off every path (it becomes the API's path) and a
 * CORS preflight operation on each path that has none.
 */
export function documentForGateway(served: unknown): OpenApiDocument {
  const doc = served as Partial<OpenApiDocument> | null;
  if (!doc || typeof doc.openapi !== 'string' || !doc.paths || typeof doc.paths !== 'object')
    throw new Error('not an OpenAPI document (no openapi version or paths)');
  const paths: Record<string, unknown> = {};
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith(`${ROUTE_PREFIX}/`)) throw new Error(`path ${path} is not under ${ROUTE_PREFIX}/`);
    const stripped = path.slice(ROUTE_PREFIX.length);
    const operations = item as Record<string, unknown>;
    paths[stripped] = operations.options ? operations : { ...operations, options: preflightOperation(stripped) };
  }
  // No servers: the gateway's backend (gateway.bicep) is where requests go, not what a document says.
  const { servers: _servers, ...rest } = doc as OpenApiDocument;
  return { ...rest, paths } as OpenApiDocument;
}

export function importCommand(gateway: Gateway, specificationPath: string): string[] {
  return [
    'apim',
    'api',
    'import',
    '--resource-group',
    gateway.resourceGroup,
    '--service-name',
    gateway.name,
    '--api-id',
    GATEWAY_API.id,
    '--path',
    GATEWAY_API.path,
    '--display-name',
    GATEWAY_API.displayName,
    '--specification-format',
    'OpenApiJson',
    '--specification-path',
    specificationPath,
    '--protocols',
    'https',
    // Callers authenticate with Entra tokens (validate-jwt), not API Management subscription keys.
    '--subscription-required',
    'false',
  ];
}

/** Imports `served` (the document as the app serves it) into the gateway; throws when az fails. */
export function importDocument(run: Az, gateway: Gateway, served: unknown): number {
  const doc = documentForGateway(served);
  const dir = mkdtempSync(join(tmpdir(), 'gateway-import-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    const result = run(importCommand(gateway, file));
    if (result.status !== 0) throw new Error(`az apim api import into ${gateway.name} failed (${tail(result)})`);
    return Object.keys(doc.paths).length;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(argv: string[]): Promise<number> {
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const name = flag('gateway');
  const resourceGroup = flag('resource-group');
  const document = flag('document');
  if (!name || !resourceGroup || !document) {
    console.error('usage: gateway-import.ts --gateway <name> --resource-group <rg> --document <openapi.json>');
    return 2;
  }
  const operations = importDocument(az, { name, resourceGroup }, JSON.parse(readFileSync(document, 'utf8')));
  console.log(`imported ${operations} paths into ${name} (API ${GATEWAY_API.id}, path /${GATEWAY_API.path})`);
  return 0;
}

runAsScript(import.meta.url, main, (err) => console.error(`##vso[task.logissue type=error]gateway import: ${messageOf(err)}`));
