import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import type { AnyEndpoint } from '../../shared/platform/http/endpoint';
import { handleHttp } from '../../shared/platform/http/pipeline';
import { getRoot } from '../composition-root';

const endpoints: AnyEndpoint[] = [];

/**
 * Registers an API endpoint as an HTTP function. The list this builds is the same registration
 * list the host sees: the OpenAPI document and the 404/405 fallback read it, nothing else keeps one.
 */
export function registerEndpoint(endpoint: AnyEndpoint): void {
  endpoints.push(endpoint);
  app.http(endpoint.name, {
    route: endpoint.route,
    methods: [endpoint.method],
    // Authentication is ours (bearer JWT), not the host's function keys.
    authLevel: 'anonymous',
    handler: (request: HttpRequest, context: InvocationContext) => handleHttp(endpoint, request, context, getRoot().http),
  });
}

export function registeredEndpoints(): readonly AnyEndpoint[] {
  return endpoints;
}
