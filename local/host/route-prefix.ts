import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_ROUTE_PREFIX } from '../../shared/platform/http/routes';

/** `extensions.http.routePrefix` of a host.json; `api` when the file or the setting is absent. */
export function readRoutePrefix(hostJsonPath = resolve('host.json'), warn: (message: string) => void = console.warn): string {
  let text: string;
  try {
    text = readFileSync(hostJsonPath, 'utf8');
  } catch {
    return DEFAULT_ROUTE_PREFIX;
  }
  try {
    const prefix = (JSON.parse(text) as { extensions?: { http?: { routePrefix?: unknown } } }).extensions?.http?.routePrefix;
    return typeof prefix === 'string' ? prefix : DEFAULT_ROUTE_PREFIX;
  } catch (err) {
    warn(`host.json is not valid JSON (${(err as Error).message}); using the route prefix "${DEFAULT_ROUTE_PREFIX}"`);
    return DEFAULT_ROUTE_PREFIX;
  }
}
