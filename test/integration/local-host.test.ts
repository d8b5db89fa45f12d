import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installFunctionsCore, type FunctionsCoreShim } from '../../local/functions-core';
import { runAppStartHooks, startHttpHost, type HttpHost } from '../../local/host/http-host';

/**
 * The local host over real HTTP, with a fixture app that registers through `@azure/functions`
 * exactly like the real entry: the host sees it only through the `@azure/functions-core` shim.
 */
type Fixture = typeof import('../fixtures/sample-functions');

let core: FunctionsCoreShim;
let fixture: Fixture;
let host: HttpHost;
const lines: string[] = [];

beforeAll(async () => {
  // Before the app is imported: the library asks for its core API once and keeps the answer.
  core = installFunctionsCore();
  fixture = await import('../fixtures/sample-functions');
  await runAppStartHooks();
  host = await startHttpHost({ registrations: core.registrations(), port: 0, routePrefix: 'api', log: (l) => lines.push(l) });
});

afterAll(async () => {
  await host?.close();
});

const api = (path: string) => `${host.url}/api${path}`;

describe('registrations through the programming model', () => {
  it('reach the shim in this (vitest) process: the library is not in test mode', () => {
    expect(core.registrations().map((r) => r.name)).toContain('orders-get');
    expect(core.registrations().find((r) => r.name === 'nightly')?.trigger.type).toBe('timerTrigger');
    expect(core.programmingModel()?.name).toBe('@azure/functions');
    expect(installFunctionsCore()).toBe(core);
  });

  it('reach the shim under plain tsx too, and the host serves them', async () => {
    const script = `
      const { installFunctionsCore } = await import('./local/functions-core');
      const { startHttpHost } = await import('./local/host/http-host');
      const core = installFunctionsCore();
      await import('./test/fixtures/sample-functions');
      const host = await startHttpHost({ registrations: core.registrations(), port: 0, routePrefix: 'api', log: () => {} });
      const res = await fetch(host.url + '/api/by-name');
      const out = { names: core.registrations().map((r) => r.name), status: res.status, body: await res.text() };
      await host.close();
      console.log(JSON.stringify(out));
    `;
    const tsx = resolve('node_modules/tsx/dist/cli.mjs');
    const { stdout } = await promisify(execFile)(process.execPath, [tsx, '--input-type=module', '-e', script], {
      cwd: resolve('.'),
      timeout: 60_000,
    });
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as { names: string[]; status: number; body: string };
    expect(out.names).toEqual(core.registrations().map((r) => r.name));
    expect(out).toMatchObject({ status: 200, body: 'served by name' });
  });

  it('the host lists exactly the HTTP functions, timer left out', () => {
    expect(host.routes).toEqual([
      { name: 'orders-get', route: 'v1/orders/{id:int}', methods: ['GET'] },
      { name: 'orders-export', route: 'v1/orders/export', methods: ['GET'] },
      { name: 'v1-catch-all', route: 'v1/{*rest}', methods: ['GET', 'DELETE'] },
      { name: 'echo-bytes', route: 'echo', methods: ['POST'] },
      { name: 'json-echo', route: 'json/{name?}', methods: ['POST'] },
      { name: 'stream', route: 'stream', methods: ['GET'] },
      { name: 'web-stream', route: 'web-stream', methods: ['GET'] },
      { name: 'cookies', route: 'cookies', methods: ['GET'] },
      { name: 'text-direct', route: 'text/direct', methods: ['GET', 'HEAD'] },
      { name: 'text-library', route: 'text/library', methods: ['GET', 'HEAD'] },
      { name: 'boom', route: 'boom', methods: ['GET'] },
      { name: 'slow', route: 'slow', methods: ['GET'] },
      { name: 'hooked', route: 'hooked', methods: ['GET'] },
      { name: 'nothing', route: 'nothing', methods: ['GET'] },
      { name: 'by-name', route: 'by-name', methods: ['GET'] },
    ]);
  });
});

describe('requests', () => {
  it('carry route params, query, headers and the full URL; answers jsonBody as JSON', async () => {
    const res = await fetch(api('/v1/orders/42?q=x&tag=a&tag=b'), { headers: { 'x-test': 'hello' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('connection')).toBe('keep-alive');
    const body = (await res.json()) as Record<string, string>;
    expect(body).toMatchObject({
      id: '42',
      q: 'x',
      // Like the host: a repeated query key arrives once, its values joined by ",".
      tags: 'a,b',
      header: 'hello',
      url: `${host.url}/api/v1/orders/42?q=x&tag=a&tag=b`,
      functionName: 'orders-get',
      triggerType: 'httpTrigger',
    });
    expect(body.invocationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.traceParent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);
  });

  it('route by precedence: literal, then constrained parameter, then catch-all', async () => {
    expect(await (await fetch(api('/v1/orders/export'))).text()).toBe('export');
    expect(((await (await fetch(api('/v1/orders/7'))).json()) as { id: string }).id).toBe('7');
    expect(await (await fetch(api('/v1/orders/not-a-number'))).json()).toEqual({
      function: 'v1-catch-all',
      rest: 'orders/not-a-number',
    });
  });

  it('decode route values', async () => {
    const res = await fetch(api('/v1/caf%C3%A9/a%20b'));
    expect(await res.json()).toEqual({ function: 'v1-catch-all', rest: 'café/a b' });
  });

  it('round-trip a binary body byte for byte', async () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const res = await fetch(api('/echo'), { method: 'POST', body: bytes, headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-length')).toBe('256');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
  });

  it('read a JSON body; an optional route parameter may be left out', async () => {
    const sent = { title: 'Leak', priority: 2, tags: ['água', '漏水'] };
    const res = await fetch(api('/json/alice'), {
      method: 'POST',
      body: JSON.stringify(sent),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ received: sent, name: 'alice', contentType: 'application/json' });
    const unnamed = await fetch(api('/json'), { method: 'POST', body: '[1]' });
    expect(await unnamed.json()).toMatchObject({ received: [1], name: null });
  });

  it('send a streamed body whole, once the stream has ended, as the host does without HTTP streaming', async () => {
    // The model's `toRpcHttp` reads the whole body (`response.arrayBuffer()`) into the RPC response:
    // nothing reaches the client while the fixture holds the second chunk back.
    let answered = false;
    const pending = fetch(api('/stream')).then((res) => {
      answered = true;
      return res;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answered).toBe(false);
    fixture.streamGate.open();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String('first\nsecond\n'.length));
    expect(await res.text()).toBe('first\nsecond\n');
  });

  it('send a web ReadableStream from an HttpResponse whole, with its length', async () => {
    const res = await fetch(api('/web-stream'));
    expect(res.headers.get('transfer-encoding')).toBeNull();
    expect(res.headers.get('content-length')).toBe(String('one two three'.length));
    expect(await res.text()).toBe('one two three');
  });

  it('set status, headers and cookies; hop-by-hop headers of the function are dropped', async () => {
    const res = await fetch(api('/cookies'));
    expect(res.status).toBe(202);
    expect(res.headers.get('x-custom')).toBe('yes');
    expect(res.headers.get('content-type')).toBe('text/plain;charset=UTF-8');
    expect(res.headers.get('connection')).toBe('keep-alive');
    expect(res.headers.getSetCookie()).toEqual(['session=abc%20123; Max-Age=60; Path=/; HttpOnly; SameSite=Lax', 'theme=dark']);
    expect(await res.text()).toBe('accepted');
  });

  it('write a plain init and an HttpResponse of the same answer with the same status, headers and bytes', async () => {
    const direct = await fetch(api('/text/direct'));
    const library = await fetch(api('/text/library'));
    const comparable = (h: Headers) => [...h].filter(([name]) => !['date', 'content-length', 'transfer-encoding'].includes(name));
    expect(direct.status).toBe(201);
    expect(comparable(direct.headers)).toEqual(comparable(library.headers));
    expect(direct.headers.get('connection')).toBe('keep-alive');
    const bytes = Buffer.from(await direct.arrayBuffer());
    expect(bytes.equals(Buffer.from(await library.arrayBuffer()))).toBe(true);
    expect(direct.headers.get('content-length')).toBe(String(bytes.length));
    expect(JSON.parse(bytes.toString('utf8'))).toEqual({ name: 'ñandú', note: 'é✓' });
    const head = await fetch(api('/text/direct'), { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(bytes.length));
    expect(await head.text()).toBe('');
  });

  it('answer 200 with no body when the function returns nothing', async () => {
    const res = await fetch(api('/nothing'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it('serve a function without a route at its name', async () => {
    expect(await (await fetch(api('/by-name'))).text()).toBe('served by name');
  });
});

describe('what is not served', () => {
  it('an unknown route is 404 with no body', async () => {
    const res = await fetch(api('/nowhere/at/all'));
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('');
  });

  it('a route without the prefix is 404', async () => {
    expect((await fetch(`${host.url}/by-name`)).status).toBe(404);
  });

  it('a wrong method is 404, after the other routes had their chance', async () => {
    expect((await fetch(api('/v1/orders/42'), { method: 'POST' })).status).toBe(404);
    expect((await fetch(api('/echo'))).status).toBe(404);
    // DELETE does not fit orders-get, but the catch-all takes it.
    expect(await (await fetch(api('/v1/orders/42'), { method: 'DELETE' })).json()).toMatchObject({ function: 'v1-catch-all' });
  });

  it('the timer function has no HTTP route', async () => {
    expect((await fetch(api('/nightly'))).status).toBe(404);
  });

  it('a throwing function is 500 with no body, and the error is logged', async () => {
    const res = await fetch(api('/boom'));
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('');
    expect(lines.some((l) => l.includes("Function 'boom' failed") && l.includes('kaboom'))).toBe(true);
    expect(lines).toContainEqual(expect.stringMatching(/^Executed 'Functions\.boom' \(Failed, Id=/));
  });

  it('a body over the limit is 413', async () => {
    const small = await startHttpHost({
      registrations: core.registrations(),
      port: 0,
      routePrefix: 'api',
      maxBodyBytes: 10,
      log: () => undefined,
    });
    try {
      const res = await fetch(`${small.url}/api/echo`, { method: 'POST', body: new Uint8Array(11) });
      expect(res.status).toBe(413);
    } finally {
      await small.close();
    }
  });
});

describe('hooks and logs', () => {
  it('run preInvocation and postInvocation around each invocation, sharing hookData', async () => {
    await fetch(api('/v1/orders/5'));
    await fetch(api('/boom'));
    const calls = fixture.hookCalls;
    const at = calls.lastIndexOf('preInvocation:orders-get');
    expect(calls[at + 1]).toBe('postInvocation:orders-get:ok:true');
    expect(calls).toContain('postInvocation:boom:error:true');
    expect(calls[0]).toBe('appStart');
  });

  it('let a preInvocation hook wrap the handler and a postInvocation hook replace the result', async () => {
    const res = await fetch(api('/hooked'));
    expect(res.status).toBe(203);
    expect(res.headers.get('x-post-hook')).toBe('yes');
    expect(await res.text()).toBe('hooked');
  });

  it('write context.log through the log hooks to the host log', async () => {
    await fetch(api('/v1/orders/99'));
    expect(lines).toContain('[information] orders-get: reading order 99 with ***');
  });
});

describe('close', () => {
  it('waits for requests in flight, then runs the appTerminate hooks', async () => {
    const second = await startHttpHost({
      registrations: core.registrations(),
      port: 0,
      routePrefix: 'api',
      log: () => undefined,
    });
    const pending = fetch(`${second.url}/api/slow`);
    await waitFor(() => fixture.hookCalls.includes('preInvocation:slow'));
    let closed = false;
    const closing = second.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(false);
    fixture.slowGate.open();
    const res = await pending;
    expect(await res.text()).toBe('finally');
    await closing;
    expect(fixture.hookCalls.at(-1)).toBe('appTerminate:appStart');
    await expect(fetch(`${second.url}/api/by-name`)).rejects.toThrow();
  });
});

async function waitFor(condition: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
