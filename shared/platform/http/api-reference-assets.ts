/**
 * The files the API reference page is made of, by the name each is served under at
 * `/api/docs/{asset}`: a strict allow-list (anything else is refused before a file is touched).
 * Apart from shared/platform/http/api-reference.ts, which reads them, so that the function that
 * registers the route imports no more than this list.
 */
export const RENDERER_FILES = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
} as const;

/** Our own script: Swagger UI's configuration (an inline script would need a CSP hole). */
export const INIT_SCRIPT = 'init.js';

export const API_REFERENCE_ASSETS = [...(Object.keys(RENDERER_FILES) as (keyof typeof RENDERER_FILES)[]), INIT_SCRIPT] as const;
export type ApiReferenceAsset = (typeof API_REFERENCE_ASSETS)[number];
