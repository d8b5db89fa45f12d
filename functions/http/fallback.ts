import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { preflightHeaders, corsHeaders } from '../../shared/platform/http/cors';
import { correlationIdFrom } from '../../shared/platform/http/correlation';
import { problem } from '../../shared/platform/http/problem';
import { matchesRoute } from '../../shared/platform/http/routes';
import { getRoot } from '../composition-root';
import { registeredEndpoints } from './register';

const ROUTE_PREFIX = '/api/';

/**
 * The catch-all route: it answers CORS preflights, 405 with `Allow` for a known path, and a problem
 * 404 otherwise, so that every error of the API is a problem document.
 *
 * It must be tried after every other route. The Azure host tries HTTP routes in order of function
 * name (ordinal, ignoring case) and takes the first match — not by template precedence
 * (shared/platform/http/routes.ts cites the host's source and the open upstream issues). Its name
 * therefore sorts after every other: `_` (0x5F) compares above every letter once names are upper-cased,
 * so `z_…` follows any name that does not itself start with `z_`. Under ASP.NET Core's precedence,
 * which the host may adopt one day (PR #842), a catch-all is last anyway. test/integration/route-order.test.ts
 * checks both orders on the built bundle; docs/decisions.md has the reasoning.
 */
const FALLBACK_FUNCTION_NAME = 'z_fallback';

app.http(FALLBACK_FUNCTION_NAME, {
  route: '{*path}',
  methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'],
  authLevel: 'anonymous',
  handler: async (request: HttpRequest): Promise<HttpResponseInit> => {
    const origins = getRoot().http.corsOrigins;
    const origin = request.headers.get('origin');
    const correlationId = correlationIdFrom(request.headers.get('x-correlation-id'));
    const pathname = new URL(request.url).pathname;
    const path = pathname.startsWith(ROUTE_PREFIX) ? pathname.slice(ROUTE_PREFIX.length) : pathname.replace(/^\//, '');
    const methods = registeredEndpoints()
      .filter((e) => matchesRoute(e.route, path))
      .map((e) => e.method);
    const common = { 'x-correlation-id': correlationId, ...corsHeaders(origin, origins) };

    if (request.method === 'OPTIONS' && methods.length > 0) {
      const headers = preflightHeaders(origin, origins, [...methods, 'OPTIONS']);
      // A preflight from an origin we do not allow gets no CORS headers: the browser blocks the call.
      return { status: 204, headers: { 'x-correlation-id': correlationId, ...(headers ?? {}) } };
    }
    if (methods.length > 0) {
      const response = problem('method-not-allowed', {
        detail: `${request.method} is not allowed here; allowed: ${methods.join(', ')}`,
        correlationId,
      });
      return { ...response, headers: { ...(response.headers as Record<string, string>), ...common, allow: methods.join(', ') } };
    }
    const response = problem('not-found', { detail: `no route for ${pathname}`, correlationId });
    return { ...response, headers: { ...(response.headers as Record<string, string>), ...common } };
  },
});
