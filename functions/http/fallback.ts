import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { preflightHeaders, corsHeaders } from '../../shared/platform/http/cors';
import { correlationIdFrom } from '../../shared/platform/http/correlation';
import { problem } from '../../shared/platform/http/problem';
import { matchesRoute } from '../../shared/platform/http/routes';
import { getRoot } from '../composition-root';
import { registeredEndpoints } from './register';

const ROUTE_PREFIX = '/api/';

/**
 * The catch-all route: the host routes here only what no endpoint matched (a catch-all has the
 * lowest precedence). It answers CORS preflights, 405 with `Allow` for a known path, and a problem
 * 404 otherwise, so that every error of the API is a problem document.
 */
app.http('fallback', {
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
