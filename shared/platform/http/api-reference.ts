import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { INIT_SCRIPT, RENDERER_FILES, type ApiReferenceAsset } from './api-reference-assets';

/**
 * The API reference page: Swagger UI (the `swagger-ui-dist` package, a production dependency)
 * rendering the served OpenAPI document. Its files are read from the installed package on first
 * request and kept in memory; nothing is fetched from a CDN, and the page runs without inline
 * script or style (its configuration is a script of ours, served like the renderer's files), so
 * its Content-Security-Policy allows only this origin. docs/api.md describes the page, and
 * docs/decisions.md why Swagger UI.
 *
 * Loaded by the docs functions with `import()`: none of this is on the entry's import path.
 */

/**
 * No inline script or style, nothing from another origin: the renderer's scripts, styles and
 * images are ours, "try it" calls this API (`connect-src 'self'`), and Swagger UI's own icons are
 * `data:` URIs in its stylesheet. The page may not be framed (its Authorize dialog takes tokens).
 */
export const API_REFERENCE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': API_REFERENCE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

export interface ApiReferenceOptions {
  /** Where the page and its assets are served: `/api/docs`. */
  readonly basePath: string;
  /** The OpenAPI document the page renders: `/api/v1/openapi.json`. */
  readonly openApiUrl: string;
}

export interface StaticAnswer {
  readonly status: 200 | 304;
  readonly headers: Record<string, string>;
  readonly content?: Uint8Array | string;
}

interface Asset {
  readonly bytes: Uint8Array;
  readonly contentType: string;
  /** What `?v=` must be for the answer to be cacheable for a year: the file cannot change under it. */
  readonly version: string;
  readonly etag: string;
}

const etagOf = (bytes: Uint8Array | string) => `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`;

/** The installed package's folder, resolved as Node resolves it from this (bundled) file. */
function packageDir(): string {
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

export class ApiReference {
  private readonly assets = new Map<ApiReferenceAsset, Promise<Asset>>();
  private packageVersion: Promise<string> | undefined;

  constructor(private readonly options: ApiReferenceOptions) {}

  /** Swagger UI's configuration; the page's only script of ours. */
  initScript(): string {
    const config = {
      url: this.options.openApiUrl,
      dom_id: '#swagger-ui',
      deepLinking: true,
      displayRequestDuration: true,
      // Swagger UI would otherwise send the document to validator.swagger.io for a badge.
      validatorUrl: null,
    };
    return [
      "'use strict';",
      '// The API reference page: Swagger UI, configured by the backend (shared/platform/http/api-reference.ts).',
      `window.ui = SwaggerUIBundle(${JSON.stringify(config)});`,
      '',
    ].join('\n');
  }

  async page(): Promise<StaticAnswer> {
    const href = async (name: ApiReferenceAsset) =>
      `${this.options.basePath}/${name}?v=${encodeURIComponent((await this.asset(name)).version)}`;
    const html = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Algesta API reference</title>
    <link rel="icon" type="image/png" sizes="32x32" href="${await href('favicon-32x32.png')}" />
    <link rel="icon" type="image/png" sizes="16x16" href="${await href('favicon-16x16.png')}" />
    <link rel="stylesheet" href="${await href('swagger-ui.css')}" />
  </head>
  <body>
    <main id="swagger-ui" data-openapi-url="${this.options.openApiUrl}"></main>
    <noscript>The API reference needs JavaScript. The OpenAPI document is at <a href="${this.options.openApiUrl}">${this.options.openApiUrl}</a>.</noscript>
    <script src="${await href('swagger-ui-bundle.js')}"></script>
    <script src="${await href(INIT_SCRIPT)}"></script>
  </body>
</html>
`;
    return {
      status: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        // Small, and it names the assets' versions: always revalidated, so a deployment shows at once.
        'cache-control': 'no-cache',
        etag: etagOf(html),
        ...SECURITY_HEADERS,
      },
      content: html,
    };
  }

  /**
   * One allowed asset. Asked for with the version the page names, it may be cached for a year
   * (another version of the package is another URL); without it, for five minutes. Either way an
   * `If-None-Match` with its ETag answers 304.
   */
  async serve(name: ApiReferenceAsset, version: string | undefined, ifNoneMatch: string | null): Promise<StaticAnswer> {
    const asset = await this.asset(name);
    const headers = {
      'content-type': asset.contentType,
      'cache-control': version === asset.version ? 'public, max-age=31536000, immutable' : 'public, max-age=300',
      etag: asset.etag,
      ...SECURITY_HEADERS,
    };
    const tags = (ifNoneMatch ?? '').split(',').map((t) => t.trim().replace(/^W\//, ''));
    if (tags.includes(asset.etag) || tags.includes('*')) return { status: 304, headers };
    return { status: 200, headers, content: asset.bytes };
  }

  private asset(name: ApiReferenceAsset): Promise<Asset> {
    let loaded = this.assets.get(name);
    if (!loaded) {
      loaded = this.load(name);
      // A failed read (a broken install) is tried again by the next request, not remembered.
      loaded.catch(() => this.assets.delete(name));
      this.assets.set(name, loaded);
    }
    return loaded;
  }

  private async load(name: ApiReferenceAsset): Promise<Asset> {
    if (name === INIT_SCRIPT) {
      const bytes = new TextEncoder().encode(this.initScript());
      const etag = etagOf(bytes);
      return { bytes, contentType: 'text/javascript; charset=utf-8', version: etag.slice(1, 13), etag };
    }
    const dir = packageDir();
    const bytes = new Uint8Array(await readFile(join(dir, name)));
    return { bytes, contentType: RENDERER_FILES[name], version: await this.version(dir), etag: etagOf(bytes) };
  }

  private version(dir: string): Promise<string> {
    this.packageVersion ??= readFile(join(dir, 'package.json'), 'utf8').then(
      (text) => (JSON.parse(text) as { version: string }).version,
    );
    return this.packageVersion;
  }
}
