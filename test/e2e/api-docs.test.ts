import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startTestStack } from '../support/stack';

/**
 * The API reference page through the real local stack: `/api/docs` (Swagger UI from the
 * swagger-ui-dist package) and its files under `/api/docs/{asset}`. The page may load nothing but
 * its own files and the OpenAPI document; the browser check at the end renders it in Chromium.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let api: ReturnType<typeof apiClient>;
let page: { status: number; headers: Headers; text: string };

beforeAll(async () => {
  stack = await startTestStack();
  api = apiClient(`${stack.url}/api`);
  page = await api('GET', '/docs');
}, 120_000);
afterAll(async () => {
  await stack?.dispose();
});

/** Every URL the page's HTML names (src, href), as written. */
const referencedUrls = (html: string) => [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1]!);
const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
};
const extension = (path: string) => /\.[a-z]+$/.exec(new URL(path, 'http://x').pathname)![0];
const installedPackage = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

describe('GET /api/docs', () => {
  it('answers an HTML page, with no inline script or style and a CSP that allows only this origin', () => {
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    // Every script has a src; no <style> element or style attribute.
    const scripts = [...page.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBe(2);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\ssrc="/);
      expect(body!.trim()).toBe('');
    }
    expect(page.text).not.toMatch(/<style|\sstyle=/);
  });

  it('references only its own asset routes and this API’s OpenAPI document: no external URL', () => {
    const urls = referencedUrls(page.text);
    expect(urls.length).toBeGreaterThanOrEqual(5);
    for (const url of urls) expect(url, url).toMatch(/^\/api\/(docs\/[a-z0-9.-]+\?v=[A-Za-z0-9._-]+|v1\/openapi\.json)$/);
    expect(page.text).not.toMatch(/https?:\/\/|["'(]\/\//);
  });

  it('points its configuration at /api/v1/openapi.json', async () => {
    expect(page.text).toContain('data-openapi-url="/api/v1/openapi.json"');
    const init = referencedUrls(page.text).find((u) => u.startsWith('/api/docs/init.js'))!;
    const script = await fetch(stack.url + init).then((r) => r.text());
    expect(script).toMatch(/SwaggerUIBundle\(\{"url":"\/api\/v1\/openapi\.json","dom_id":"#swagger-ui"/);
    expect(script).toContain('"validatorUrl":null');
    const doc = await api('GET', '/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    // The page and its files are operations of the document like any other.
    expect(doc.body.paths['/api/docs'].get.operationId).toBe('docs');
    expect(doc.body.paths['/api/docs/{asset}'].get.operationId).toBe('docs-asset');
  });
});

describe('GET /api/docs/{asset}', () => {
  it('answers every file the page references: 200, its content type, cacheable for a year under its version, and 304 on revalidation', async () => {
    const assets = referencedUrls(page.text).filter((u) => u.startsWith('/api/docs/'));
    expect(assets.map((u) => new URL(u, stack.url).pathname).sort()).toEqual(
      [
        '/api/docs/favicon-16x16.png',
        '/api/docs/favicon-32x32.png',
        '/api/docs/init.js',
        '/api/docs/swagger-ui-bundle.js',
        '/api/docs/swagger-ui.css',
      ].sort(),
    );
    for (const url of assets) {
      const r = await fetch(stack.url + url);
      const body = new Uint8Array(await r.arrayBuffer());
      expect(r.status, url).toBe(200);
      expect(r.headers.get('content-type'), url).toBe(CONTENT_TYPES[extension(url)]);
      expect(r.headers.get('cache-control'), url).toBe('public, max-age=31536000, immutable');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(body.byteLength, url).toBeGreaterThan(100);
      const etag = r.headers.get('etag')!;
      expect(etag, url).toMatch(/^"[A-Za-z0-9_-]+"$/);
      const again = await fetch(stack.url + url, { headers: { 'if-none-match': etag } });
      expect(again.status, url).toBe(304);
      expect((await again.arrayBuffer()).byteLength).toBe(0);
      // The renderer's files are the installed package's, byte for byte.
      const name = new URL(url, stack.url).pathname.split('/').pop()!;
      if (name !== 'init.js') expect(Buffer.from(body).equals(readFileSync(join(installedPackage, name))), name).toBe(true);
    }
  });

  it('without the page’s version, is cached for five minutes only', async () => {
    const r = await fetch(`${stack.url}/api/docs/swagger-ui.css`);
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('public, max-age=300');
  });

  it('serves nothing outside its allow-list: other files of the package, paths out of it', async () => {
    // Files the package has but the page does not use, and an attempt to leave the folder.
    for (const name of ['package.json', 'index.html', 'swagger-ui.js', 'swagger-initializer.js'])
      expect(existsSync(join(installedPackage, name)), name).toBe(true);
    for (const name of ['package.json', 'index.html', 'swagger-ui.js', 'swagger-initializer.js', '..%2F..%2Fpackage.json']) {
      const r = await api('GET', `/docs/${name}`);
      expect(r.status, name).toBe(400);
      expect(r.headers.get('content-type'), name).toContain('application/problem+json');
      expect(r.body.type).toBe('https://api.algesta.co/problems/validation-error');
      expect(r.body.errors[0].pointer).toBe('/params/asset');
    }
    // Deeper paths belong to no docs route: the catch-all's problem 404.
    const deeper = await api('GET', '/docs/swagger-ui-bundle.js/x');
    expect(deeper.status).toBe(404);
    expect(deeper.body.type).toBe('https://api.algesta.co/problems/not-found');
  });

  it('answers other methods 405 with Allow, like every route of the API', async () => {
    for (const path of ['/docs', '/docs/swagger-ui.css']) {
      const r = await api('POST', path, { body: {} });
      expect(r.status, path).toBe(405);
      expect(r.headers.get('allow')).toBe('GET');
    }
  });
});

/**
 * Headless Chromium (Debian's `chromium`, driven by playwright-core) opens the page: it renders an
 * operation block per operation of the document, loads nothing from another origin, reports no
 * CSP violation, and "try it" with a bearer token entered under Authorize calls the API.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const browserSkip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;

describe.skipIf(browserSkip !== false)(`in a browser${browserSkip ? ` — skipped: ${browserSkip}` : ''}`, () => {
  it('renders every operation, stays on this origin without CSP violations, and tries GET /api/v1/me with a bearer token', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const tab = await browser.newPage();
      const origins = new Set<string>();
      const problems: string[] = [];
      tab.on('request', (r) => {
        if (!r.url().startsWith('data:')) origins.add(new URL(r.url()).origin);
      });
      tab.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      tab.on('pageerror', (e) => problems.push(String(e)));
      const response = await tab.goto(`${stack.url}/api/docs`);
      expect(response?.status()).toBe(200);
      await tab.locator('.opblock').first().waitFor({ timeout: 90_000 });

      const doc = (await api('GET', '/v1/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
      const operations = Object.values(doc.paths).reduce((n, p) => n + Object.keys(p).length, 0);
      expect(await tab.locator('.opblock').count()).toBe(operations);
      await expect(tab.locator('.opblock-summary-path', { hasText: '/api/webhooks/jelou' }).count()).resolves.toBe(1);

      // Authorize with a bearer token, then "Try it out" → Execute on GET /api/v1/me.
      await tab.locator('button.authorize').first().click();
      await tab.locator('.auth-container input').fill(stack.tokens.client);
      await tab.locator('.auth-btn-wrapper button.authorize').click();
      await tab.locator('.auth-btn-wrapper button.btn-done').click();
      const me = tab.locator('#operations-users-me-get');
      await me.locator('.opblock-summary').click();
      await me.locator('button.try-out__btn').click();
      const [call] = await Promise.all([
        tab.waitForRequest((r) => r.url() === `${stack.url}/api/v1/me`),
        me.locator('button.execute').click(),
      ]);
      expect(call.headers()['authorization']).toBe(`Bearer ${stack.tokens.client}`);
      await expect(me.locator('.live-responses-table tbody .response-col_status').first().innerText()).resolves.toContain('200');

      expect([...origins]).toEqual([stack.url]);
      // No error at all in the console: a CSP violation ("Refused to …") would be one.
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
    // Generous: Chromium's start and Swagger UI's first render take 15–25 s on a loaded two-core machine.
  }, 240_000);
});
