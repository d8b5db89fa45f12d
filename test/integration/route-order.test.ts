import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRoutePrefix } from '../../local/host/route-prefix';
import { BUNDLE_ENTRY, buildBundle } from '../../scripts/build';
import {
  ALL_HTTP_METHODS,
  compareOrdinalIgnoreCase,
  createRouteTable,
  type RouteOrder,
  type RouteTable,
} from '../../shared/platform/http/routes';
import { httpFunctions, loadEntryAsWorker, type HttpFunction } from '../support/worker/load-entry';

/**
 * The deployed bundle's HTTP functions, loaded the way the Azure worker loads them, routed under the
 * Azure host's rule (function name, ordinal ignoring case, first match, method constraint — see
 * shared/platform/http/routes.ts for the host's source) and under ASP.NET Core's precedence (what
 * azure-webjobs-sdk-extensions PR #842 would make the rule). Under both, a request for each route
 * and method must reach its own function, and only what no route claims reaches the catch-all.
 */
const ORDERS: readonly RouteOrder[] = ['function-name', 'precedence'];
const FALLBACK = 'z_fallback';

// Inside node_modules so that the bundle's external packages resolve from the project.
const outdir = join('node_modules', '.cache', `route-order-test-${process.pid}`);
let functions: HttpFunction[] = [];
const prefix = readRoutePrefix();

beforeAll(async () => {
  await buildBundle({ outdir, quiet: true });
  functions = httpFunctions(await loadEntryAsWorker(join(outdir, BUNDLE_ENTRY)));
}, 120_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

function tableFor(order: RouteOrder): RouteTable<HttpFunction> {
  return createRouteTable(
    functions.map((f) => ({ name: f.name, route: f.route, methods: f.methods, target: f })),
    { routePrefix: prefix, order, warn: () => undefined },
  );
}

/** A concrete path for a template: each parameter gets a value, a catch-all two segments. */
function samplePath(template: string): string {
  const path = template
    .split('/')
    .filter((s) => s !== '')
    .map((segment) =>
      segment.replace(/\{([^}]*)\}/g, (_, body: string) => {
        const name = body.replace(/^\*+/, '').replace(/[:=?].*$/, '');
        return body.startsWith('*') ? `${name}-a/${name}-b` : `sample-${name}`;
      }),
    )
    .join('/');
  return `/${[prefix, path].filter(Boolean).join('/')}`;
}

describe('HTTP route order of the deployed bundle', () => {
  it('registers the HTTP functions through the programming model, the catch-all among them', () => {
    expect(functions.length).toBeGreaterThan(30);
    expect(functions.find((f) => f.name === FALLBACK)?.route).toBe('{*path}');
  });

  it('names the catch-all so that it sorts after every other function', () => {
    const names = functions.map((f) => f.name).sort(compareOrdinalIgnoreCase);
    expect(names.at(-1)).toBe(FALLBACK);
  });

  for (const order of ORDERS) {
    describe(`under ${order} order`, () => {
      it('sends a sample request of every route and method to its own function', () => {
        const table = tableFor(order);
        const misrouted: string[] = [];
        for (const f of functions.filter((x) => x.name !== FALLBACK)) {
          for (const method of f.methods ?? ALL_HTTP_METHODS) {
            const path = samplePath(f.route);
            const winner = table.match(method, path)?.route.name;
            if (winner !== f.name) misrouted.push(`${method} ${path} → ${winner ?? 'no route'} (expected ${f.name})`);
          }
        }
        expect(misrouted).toEqual([]);
      });

      it('leaves to the catch-all only what no route claims: unknown paths, other methods, preflights', () => {
        const table = tableFor(order);
        const answeredBy = (method: string, path: string) => table.match(method, path)?.route.name;
        expect(answeredBy('GET', `/${prefix}/v1/no-such-thing`)).toBe(FALLBACK);
        expect(answeredBy('DELETE', `/${prefix}/v1/orders`)).toBe(FALLBACK);
        expect(answeredBy('OPTIONS', `/${prefix}/v1/orders`)).toBe(FALLBACK);
        expect(answeredBy('GET', `/${prefix}/webhooks/jelou`)).toBe(FALLBACK);
      });
    });
  }

  it('has no two functions sharing a method whose templates the two orders resolve differently', () => {
    const [byName, byPrecedence] = ORDERS.map(tableFor) as [RouteTable<HttpFunction>, RouteTable<HttpFunction>];
    const disagreements: string[] = [];
    for (const f of functions) {
      for (const method of f.methods ?? ALL_HTTP_METHODS) {
        const path = samplePath(f.route);
        const a = byName.match(method, path)?.route.name;
        const b = byPrecedence.match(method, path)?.route.name;
        if (a !== b) disagreements.push(`${method} ${path}: ${a} by name, ${b} by precedence`);
      }
    }
    expect(disagreements).toEqual([]);
  });
});
