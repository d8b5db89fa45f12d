import type { IncomingHttpHeaders } from 'node:http';

/**
 * The console has no authentication: it is local tooling, and it shows tokens and can sign
 * contracts and replay messages. Two checks keep other web pages out of it:
 *
 * - **Host** must name this machine (`localhost`, `*.localhost`, `127.0.0.1`, `[::1]`, any port).
 *   A page of another site that rebinds its DNS name to 127.0.0.1 still sends its own name as
 *   `Host`, so it cannot read the console (and its tokens) through the browser.
 * - **POST** must come from the console's own origin: `Origin` (every current browser sends it with
 *   a form POST), or `Referer` when a privacy setting dropped `Origin`, equal to `http://<Host>`. A
 *   form on any other site, or `Origin: null` (a sandboxed frame), is refused: this is the CSRF
 *   guard. A request with neither header is refused too; `curl` can send `-H 'Origin: http://localhost:7071'`.
 */
const LOCAL_HOST = /^(?:localhost|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/i;

export type Refusal = { readonly status: 403; readonly reason: string };

export function refuseForeignHost(headers: IncomingHttpHeaders): Refusal | undefined {
  const host = headers.host ?? '';
  return LOCAL_HOST.test(host)
    ? undefined
    : { status: 403, reason: `the console answers only requests addressed to this machine (Host "${host}" is not local)` };
}

export function refuseCrossOrigin(headers: IncomingHttpHeaders): Refusal | undefined {
  const own = `http://${(headers.host ?? '').toLowerCase()}`;
  const origin = headers.origin ?? originOf(headers.referer);
  if (origin === undefined)
    return { status: 403, reason: 'a console form must say where it comes from (Origin or Referer): none was sent' };
  if (origin.toLowerCase() !== own)
    return { status: 403, reason: `a console form may be posted only from the console (${own}), not from "${origin}"` };
  return undefined;
}

function originOf(referer: string | undefined): string | undefined {
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return 'null';
  }
}
