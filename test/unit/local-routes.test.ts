import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compareOrdinalIgnoreCase,
  compileRoute,
  createRouteTable,
  decodePathSegment,
  matchesRoute,
  splitRequestPath,
  type RouteDefinition,
  type RouteOptions,
} from '../../shared/platform/http/routes';
import { readRoutePrefix } from '../../local/host/route-prefix';

type Def = Omit<RouteDefinition<string>, 'target'>;

/** A table whose targets are the function names, so a match reads as the name that won. */
function table(defs: readonly Def[], opts: RouteOptions = {}) {
  return createRouteTable(
    defs.map((d) => ({ ...d, target: d.name })),
    { warn: () => undefined, ...opts },
  );
}

function winner(defs: readonly Def[], path: string, method = 'GET', opts: RouteOptions = {}) {
  const match = table(defs, opts).match(method, path);
  return match && { name: match.route.target, params: match.params };
}

describe('route prefix', () => {
  it('puts every route under "api" by default', () => {
    const defs = [{ name: 'health', route: 'health' }];
    expect(winner(defs, '/api/health')?.name).toBe('health');
    expect(winner(defs, '/health')).toBeUndefined();
  });

  it('takes another prefix, several segments or none', () => {
    const defs = [{ name: 'health', route: 'health' }];
    expect(winner(defs, '/v2/x/health', 'GET', { routePrefix: 'v2/x' })?.name).toBe('health');
    expect(winner(defs, '/health', 'GET', { routePrefix: '' })?.name).toBe('health');
    expect(winner(defs, '/api/health', 'GET', { routePrefix: '' })).toBeUndefined();
  });

  it('reads it from host.json, defaulting to "api"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'routes-'));
    const withPrefix = join(dir, 'with.json');
    writeFileSync(withPrefix, JSON.stringify({ version: '2.0', extensions: { http: { routePrefix: '' } } }));
    const without = join(dir, 'without.json');
    writeFileSync(without, JSON.stringify({ version: '2.0' }));
    expect(readRoutePrefix(withPrefix)).toBe('');
    expect(readRoutePrefix(without)).toBe('api');
    expect(readRoutePrefix(join(dir, 'missing.json'))).toBe('api');
  });

  it('matches the prefix case-insensitively too', () => {
    expect(winner([{ name: 'health', route: 'health' }], '/API/Health')?.name).toBe('health');
  });
});

describe('templates', () => {
  it('uses the function name when there is no route', () => {
    expect(winner([{ name: 'my-function' }], '/api/my-function')?.name).toBe('my-function');
    expect(compileRoute({ name: 'my-function', target: null }).template).toBe('my-function');
  });

  it('compares literal segments case-insensitively', () => {
    expect(winner([{ name: 'o', route: 'v1/Orders/Export' }], '/api/V1/ORDERS/export')?.name).toBe('o');
  });

  it('captures parameters and keeps their case', () => {
    const found = winner([{ name: 'site', route: 'clients/{clientId}/sites/{siteId}' }], '/api/clients/AbC/sites/s-1');
    expect(found).toEqual({ name: 'site', params: { clientId: 'AbC', siteId: 's-1' } });
  });

  it('needs every segment, and no more', () => {
    const defs = [{ name: 'o', route: 'orders/{id}' }];
    expect(winner(defs, '/api/orders')).toBeUndefined();
    expect(winner(defs, '/api/orders/1/2')).toBeUndefined();
  });

  it('ignores one trailing slash, in the path and in the template', () => {
    expect(winner([{ name: 'o', route: '/orders/{id}/' }], '/api/orders/7/')).toEqual({ name: 'o', params: { id: '7' } });
  });

  it('rejects malformed templates', () => {
    const compile = (route: string) => () => compileRoute({ name: 'f', route, target: null });
    expect(compile('a/{*rest}/b')).toThrow(/catch-all/);
    expect(compile('a/{id')).toThrow(/Unclosed/);
    expect(compile('a/id}')).toThrow(/Unmatched/);
    expect(compile('a//b')).toThrow(/Empty segment/);
    expect(compile('{a}{b}')).toThrow(/separated/);
  });
});

describe('optional parameters and defaults', () => {
  const defs = [{ name: 'files', route: 'files/{folder}/{name?}' }];

  it('match with and without the optional segment', () => {
    expect(winner(defs, '/api/files/docs/a.txt')?.params).toEqual({ folder: 'docs', name: 'a.txt' });
    // Like the host, a parameter that got no value is absent.
    expect(winner(defs, '/api/files/docs')?.params).toEqual({ folder: 'docs' });
  });

  it('still need the required segments', () => {
    expect(winner(defs, '/api/files')).toBeUndefined();
  });

  it('take a default value when the segment is missing', () => {
    const found = winner([{ name: 'page', route: 'pages/{n:int=1}' }], '/api/pages');
    expect(found?.params).toEqual({ n: '1' });
    expect(winner([{ name: 'page', route: 'pages/{n:int=1}' }], '/api/pages/3')?.params).toEqual({ n: '3' });
  });

  it('works in a segment such as {file}.{ext?}', () => {
    const route = [{ name: 'file', route: 'download/{file}.{ext?}' }];
    expect(winner(route, '/api/download/report.tar.gz')?.params).toEqual({ file: 'report.tar', ext: 'gz' });
    expect(winner(route, '/api/download/README')?.params).toEqual({ file: 'README' });
  });
});

describe('catch-all parameters', () => {
  const defs = [{ name: 'rest', route: 'v1/{*rest}' }];

  it('take the remainder, slashes included', () => {
    expect(winner(defs, '/api/v1/a/b/c')?.params).toEqual({ rest: 'a/b/c' });
  });

  it('match an empty remainder, leaving the value out', () => {
    expect(winner(defs, '/api/v1')?.params).toEqual({});
    expect(winner(defs, '/api/v1/')?.params).toEqual({});
  });

  it('accept the {**rest} spelling', () => {
    expect(winner([{ name: 'rest', route: 'v1/{**rest}' }], '/api/v1/x/y')?.params).toEqual({ rest: 'x/y' });
  });

  it('can be the whole route', () => {
    expect(winner([{ name: 'fallback', route: '{*path}' }], '/api/any/thing')?.params).toEqual({ path: 'any/thing' });
    expect(winner([{ name: 'fallback', route: '{*path}' }], '/api')?.params).toEqual({});
  });
});

describe('constraints', () => {
  const accepts = (route: string, value: string) =>
    winner([{ name: 'f', route: `x/${route}` }], `/api/x/${encodeURIComponent(value)}`) !== undefined;

  it('int: a 32-bit integer', () => {
    expect(accepts('{id:int}', '42')).toBe(true);
    expect(accepts('{id:int}', '-7')).toBe(true);
    expect(accepts('{id:int}', '2147483647')).toBe(true);
    expect(accepts('{id:int}', '2147483648')).toBe(false);
    expect(accepts('{id:int}', '4.2')).toBe(false);
    expect(accepts('{id:int}', 'abc')).toBe(false);
  });

  it('long: a 64-bit integer', () => {
    expect(accepts('{id:long}', '9223372036854775807')).toBe(true);
    expect(accepts('{id:long}', '9223372036854775808')).toBe(false);
  });

  it('guid: with or without dashes and braces', () => {
    expect(accepts('{id:guid}', '0f8fad5b-d9cb-469f-a165-70867728950e')).toBe(true);
    expect(accepts('{id:guid}', '0F8FAD5BD9CB469FA16570867728950E')).toBe(true);
    expect(accepts('{id:guid}', '{0f8fad5b-d9cb-469f-a165-70867728950e}')).toBe(true);
    expect(accepts('{id:guid}', '0f8fad5b-d9cb-469f-a165')).toBe(false);
  });

  it('alpha: letters only', () => {
    expect(accepts('{name:alpha}', 'Hello')).toBe(true);
    expect(accepts('{name:alpha}', 'hello1')).toBe(false);
  });

  it('bool: true or false in any case', () => {
    expect(accepts('{flag:bool}', 'True')).toBe(true);
    expect(accepts('{flag:bool}', 'false')).toBe(true);
    expect(accepts('{flag:bool}', 'yes')).toBe(false);
  });

  it('length, min, max, range, regex, and several at once', () => {
    expect(accepts('{code:length(3)}', 'abc')).toBe(true);
    expect(accepts('{code:length(3)}', 'abcd')).toBe(false);
    expect(accepts('{code:length(3,5)}', 'abcd')).toBe(true);
    expect(accepts('{code:minlength(2)}', 'a')).toBe(false);
    expect(accepts('{code:maxlength(2)}', 'abc')).toBe(false);
    expect(accepts('{n:min(10)}', '10')).toBe(true);
    expect(accepts('{n:max(10)}', '11')).toBe(false);
    expect(accepts('{n:range(1,3)}', '2')).toBe(true);
    expect(accepts('{n:range(1,3)}', '4')).toBe(false);
    expect(accepts('{zip:regex(^\\d{{5}}$)}', '12345')).toBe(true);
    expect(accepts('{zip:regex(^\\d{{5}}$)}', '1234')).toBe(false);
    expect(accepts('{id:int:min(1)}', '0')).toBe(false);
    expect(accepts('{id:int:min(1)}', '1')).toBe(true);
  });

  it('apply to optional parameters that are present', () => {
    const defs = [{ name: 'f', route: 'x/{id:int?}' }];
    expect(winner(defs, '/api/x/abc')).toBeUndefined();
    expect(winner(defs, '/api/x/5')?.params).toEqual({ id: '5' });
    expect(winner(defs, '/api/x')?.params).toEqual({});
  });

  it('ignores an unknown constraint, with a warning', () => {
    const warnings: string[] = [];
    const found = winner([{ name: 'f', route: 'x/{id:sparkly}' }], '/api/x/anything', 'GET', { warn: (m) => warnings.push(m) });
    expect(found?.params).toEqual({ id: 'anything' });
    expect(warnings).toEqual([expect.stringContaining('sparkly')]);
  });
});

describe('function-name order (the Azure host’s rule)', () => {
  // azure-functions-host#9876: `Products/{id}` named Details is tried before `Products/List` named List.
  const products = [
    { name: 'List', route: 'Products/List' },
    { name: 'Details', route: 'Products/{id}' },
  ];

  it('tries routes in order of function name and takes the first match', () => {
    expect(winner(products, '/api/Products/List')?.name).toBe('Details');
    expect(table(products).routes.map((r) => r.name)).toEqual(['Details', 'List']);
  });

  it('lets a catch-all named first answer everything, whatever its template', () => {
    const defs = [
      { name: 'orders-list', route: 'v1/orders' },
      { name: 'fallback', route: '{*path}' },
    ];
    expect(winner(defs, '/api/v1/orders')?.name).toBe('fallback');
    expect(winner([defs[0]!, { name: 'z_fallback', route: '{*path}' }], '/api/v1/orders')?.name).toBe('orders-list');
  });

  it('skips a route whose method does not fit and tries the next name', () => {
    const defs = [
      { name: 'a-create', route: 'orders', methods: ['POST'] },
      { name: 'b-list', route: 'orders', methods: ['GET'] },
    ];
    expect(winner(defs, '/api/orders', 'GET')?.name).toBe('b-list');
  });

  it('compares names like StringComparer.OrdinalIgnoreCase', () => {
    const sorted = (names: string[]) => [...names].sort(compareOrdinalIgnoreCase);
    expect(sorted(['b', 'A', 'a1', 'a'])).toEqual(['A', 'a', 'a1', 'b']);
    // `-` (0x2D) before digits and letters; `_` (0x5F) after every letter once upper-cased.
    expect(sorted(['zz', 'z_fallback', 'z-a', 'Z9', 'webhooks-jelou'])).toEqual([
      'webhooks-jelou',
      'z-a',
      'Z9',
      'zz',
      'z_fallback',
    ]);
    expect(compareOrdinalIgnoreCase('Health', 'health')).toBe(0);
  });
});

describe('precedence (ASP.NET Core, azure-webjobs-sdk-extensions PR #842)', () => {
  const precedence: RouteOptions = { order: 'precedence' };
  const orders = [
    { name: 'catch-all', route: 'v1/{*rest}' },
    { name: 'order', route: 'v1/orders/{id}' },
    { name: 'export', route: 'v1/orders/export' },
  ];

  it('prefers a literal to a parameter to a catch-all, whatever the registration order', () => {
    for (const defs of [orders, [...orders].reverse()]) {
      expect(winner(defs, '/api/v1/orders/export', 'GET', precedence)?.name).toBe('export');
      expect(winner(defs, '/api/v1/orders/42', 'GET', precedence)?.name).toBe('order');
      expect(winner(defs, '/api/v1/orders/42/history', 'GET', precedence)?.name).toBe('catch-all');
      expect(winner(defs, '/api/v1/clients', 'GET', precedence)?.name).toBe('catch-all');
    }
  });

  it('prefers a constrained parameter to a plain one, and more constraints to fewer', () => {
    const defs = [
      { name: 'any', route: 'items/{key}' },
      { name: 'int', route: 'items/{id:int}' },
      { name: 'small', route: 'items/{id:int:max(9)}' },
    ];
    expect(winner(defs, '/api/items/5', 'GET', precedence)?.name).toBe('small');
    expect(winner(defs, '/api/items/50', 'GET', precedence)?.name).toBe('int');
    expect(winner(defs, '/api/items/abc', 'GET', precedence)?.name).toBe('any');
  });

  it('prefers a required parameter to an optional one, and an optional one to a catch-all', () => {
    const defs = [
      { name: 'rest', route: 'docs/{*path}' },
      { name: 'optional', route: 'docs/{name?}' },
      { name: 'required', route: 'docs/{name}' },
    ];
    expect(winner(defs, '/api/docs/a', 'GET', precedence)?.name).toBe('required');
    expect(winner(defs, '/api/docs', 'GET', precedence)?.name).toBe('optional');
    expect(winner(defs, '/api/docs/a/b', 'GET', precedence)?.name).toBe('rest');
  });

  it('tries the longer template first when one extends the other', () => {
    const defs = [
      { name: 'short', route: 'a/{x?}' },
      { name: 'long', route: 'a/{x}/{y?}' },
    ];
    expect(winner(defs, '/api/a/1', 'GET', precedence)?.name).toBe('long');
  });

  it('lists the routes in the order it tries them', () => {
    expect(table(orders, precedence).routes.map((r) => r.name)).toEqual(['export', 'order', 'catch-all']);
  });
});

describe('methods', () => {
  const defs = [
    { name: 'create', route: 'orders', methods: ['POST'] },
    { name: 'list', route: 'orders', methods: ['get'] },
    { name: 'z_fallback', route: '{*path}', methods: ['GET', 'POST', 'PUT'] },
  ];

  it('routes the same path by method', () => {
    expect(winner(defs, '/api/orders', 'POST')?.name).toBe('create');
    expect(winner(defs, '/api/orders', 'get')?.name).toBe('list');
  });

  it('tries the next route when the method does not fit, and gives up with no match', () => {
    expect(winner(defs, '/api/orders', 'PUT')?.name).toBe('z_fallback');
    expect(winner(defs, '/api/orders', 'DELETE')).toBeUndefined();
  });

  it('answers every method when none is given', () => {
    const any = [{ name: 'any', route: 'x' }];
    for (const method of ['GET', 'POST', 'DELETE', 'OPTIONS', 'PROPFIND'])
      expect(winner(any, '/api/x', method)?.name).toBe('any');
  });
});

describe('decoding', () => {
  it('decodes route values', () => {
    const found = winner([{ name: 'f', route: 'people/{name}' }], '/api/people/Jos%C3%A9%20Mar%C3%ADa');
    expect(found?.params).toEqual({ name: 'José María' });
  });

  it('matches literals after decoding', () => {
    expect(winner([{ name: 'f', route: 'caf\u00e9' }], '/api/caf%C3%A9')?.name).toBe('f');
  });

  it('keeps an encoded slash inside its segment, like Kestrel', () => {
    expect(splitRequestPath('/api/a%2Fb/c')).toEqual(['api', 'a%2Fb', 'c']);
    expect(winner([{ name: 'f', route: 'x/{id}' }], '/api/x/a%2Fb')?.params).toEqual({ id: 'a%2Fb' });
  });

  it('decodes each catch-all segment', () => {
    expect(winner([{ name: 'f', route: '{*path}' }], '/api/a%20b/c%3Fd')?.params).toEqual({ path: 'a b/c?d' });
  });

  it('keeps malformed escapes as they are', () => {
    expect(decodePathSegment('100%zz%20off')).toBe('100%zz off');
  });
});

describe('matchesRoute (the fallback’s 404/405 decision)', () => {
  it('matches templates without the prefix, whatever the method', () => {
    expect(matchesRoute('v1/orders/{orderId}', 'v1/orders/ord_1')).toBe(true);
    expect(matchesRoute('v1/orders/{orderId}', 'v1/orders')).toBe(false);
    expect(matchesRoute('v1/orders', 'V1/Orders')).toBe(true);
    expect(matchesRoute('v1/orders/{orderId}/history', 'v1/orders/x/history')).toBe(true);
    expect(matchesRoute('v1/orders/{orderId}/history', 'v1/orders/x/other')).toBe(false);
  });
});
