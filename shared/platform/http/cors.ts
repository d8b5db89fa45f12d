/**
 * CORS for the dashboard's origins (configuration). In Azure the platform's CORS settings can do
 * the same; answering here keeps local runs and Azure identical.
 */
export const EXPOSED_HEADERS = 'ETag, Location, Retry-After, x-correlation-id, Idempotent-Replayed';
const ALLOWED_HEADERS = 'Authorization, Content-Type, If-Match, Idempotency-Key, x-correlation-id, traceparent';

export function isAllowedOrigin(origin: string | null, allowed: readonly string[]): origin is string {
  return !!origin && (allowed.includes(origin) || allowed.includes('*'));
}

export function corsHeaders(origin: string | null, allowed: readonly string[]): Record<string, string> {
  if (!isAllowedOrigin(origin, allowed)) return {};
  return { 'access-control-allow-origin': origin, 'access-control-expose-headers': EXPOSED_HEADERS, vary: 'Origin' };
}

export function preflightHeaders(
  origin: string | null,
  allowed: readonly string[],
  methods: readonly string[],
): Record<string, string> | undefined {
  if (!isAllowedOrigin(origin, allowed)) return undefined;
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': methods.join(', '),
    'access-control-allow-headers': ALLOWED_HEADERS,
    'access-control-max-age': '600',
    vary: 'Origin',
  };
}
