import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpsWebhookSender } from '../../shared/adapters/feed/https-webhook-sender';

/**
 * The feed's outbound adapter against a real socket on 127.0.0.1: a name is resolved once and
 * refused when ANY of its addresses is not public; the connection goes to the vetted address with
 * the name kept in Host; no redirect is followed. The resolver is a fake (no network in tests).
 */
let server: Server;
let port: number;
const seen: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
let answer = 200;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(answer, answer === 302 ? { location: `http://127.0.0.1:${port}/elsewhere` } : {}).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const request = (url: string) => ({ url, headers: { 'content-type': 'application/json' }, body: '{"id":"evt_1"}' });
const resolver = (addresses: string[]) => {
  const asked: string[] = [];
  return {
    asked,
    resolve: async (host: string) => {
      asked.push(host);
      return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    },
  };
};

describe('outbound webhook sender (production settings)', () => {
  it.each([
    [['127.0.0.1'], 'loopback'],
    [['169.254.169.254'], 'link-local'],
    [['93.184.216.34', '10.0.0.7'], 'private'],
    [['::ffff:127.0.0.1'], 'loopback'],
    [['fd00::1'], 'unique-local'],
  ])('a name resolving to %j is refused (%s) and nothing is sent', async (addresses, cls) => {
    const before = seen.length;
    const dns = resolver(addresses);
    const sender = new HttpsWebhookSender({ resolve: dns.resolve });
    const result = await sender.post(request(`https://hooks.example.com:${port}/x`));
    expect(result.status).toBeUndefined();
    expect(result.error).toContain(cls);
    expect(dns.asked).toEqual(['hooks.example.com']);
    expect(seen.length).toBe(before);
  });

  it('refuses IP literals of the metadata service and loopback without resolving, and plain http', async () => {
    const dns = resolver(['93.184.216.34']);
    const sender = new HttpsWebhookSender({ resolve: dns.resolve });
    expect((await sender.post(request('https://169.254.169.254/metadata/instance'))).error).toContain('link-local');
    expect((await sender.post(request(`https://127.0.0.1:${port}/x`))).error).toContain('loopback');
    expect((await sender.post(request('https://[::ffff:a9fe:a9fe]/'))).error).toContain('link-local');
    expect((await sender.post(request('http://hooks.example.com/x'))).error).toContain('not https');
    expect(dns.asked).toEqual([]);
  });
});

describe('outbound webhook sender (embedded stack: private targets allowed)', () => {
  it('connects to the address it vetted, keeps the name in Host, and does not follow a redirect', async () => {
    const dns = resolver(['127.0.0.1']);
    const sender = new HttpsWebhookSender({ resolve: dns.resolve, allowPrivateTargets: true });
    answer = 200;
    const ok = await sender.post(request(`http://receiver.test:${port}/hook`));
    expect(ok.status).toBe(200);
    expect(seen.at(-1)).toMatchObject({ url: '/hook', body: '{"id":"evt_1"}' });
    expect(seen.at(-1)!.headers.host).toBe(`receiver.test:${port}`);
    expect(dns.asked).toEqual(['receiver.test']);

    answer = 302;
    const before = seen.length;
    const redirected = await sender.post(request(`http://receiver.test:${port}/moved`));
    expect(redirected.status).toBe(302);
    expect(seen.length).toBe(before + 1);
    answer = 200;
  });

  it('a connection that fails is an answer-less attempt with the reason', async () => {
    const sender = new HttpsWebhookSender({ allowPrivateTargets: true, timeoutMs: 2_000 });
    const closed = await new Promise<number>((r) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => r(p));
      });
    });
    const result = await sender.post(request(`http://127.0.0.1:${closed}/x`));
    expect(result.status).toBeUndefined();
    expect(result.error).toMatch(/ECONNREFUSED/);
  });
});
