import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../local/seed';
import { apiClient, startTestStack } from '../support/stack';

/**
 * The client feed in production settings (WEBHOOK_ALLOW_PRIVATE_TARGETS unset, as Azure's
 * configuration validation forces): no endpoint on loopback, the metadata service or any other
 * non-public address, in any spelling; nothing is written. The resolution-time check (a public-looking
 * name that resolves inside) is proven on a real socket by test/unit/feed-sender.test.ts.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let raw: ReturnType<typeof apiClient>;

beforeAll(async () => {
  stack = await startTestStack();
  raw = apiClient(`${stack.url}/api`);
}, 120_000);
afterAll(async () => {
  await stack?.dispose();
});

describe('client feed: outbound calls only to public HTTPS addresses', () => {
  it.each([
    'http://127.0.0.1:8080/hook',
    'https://127.0.0.1/hook',
    'https://169.254.169.254/metadata/instance?api-version=2021-02-01',
    'https://[::ffff:169.254.169.254]/',
    'https://[::1]/hook',
    'https://10.0.0.4/hook',
    'https://localhost/hook',
    'https://metadata/computeMetadata',
    'https://user:pass@hooks.example.com/hook',
  ])('refuses %s with 422 on the url field, and registers nothing', async (url) => {
    const r = await raw('POST', `/v1/clients/${DEMO.clientId}/webhooks`, { token: stack.tokens.client, body: { url } });
    expect(r.status, r.text).toBe(422);
    expect(r.body.errors).toEqual([expect.objectContaining({ pointer: '/body/url' })]);
    const listed = await raw('GET', `/v1/clients/${DEMO.clientId}/webhooks`, { token: stack.tokens.client });
    expect(listed.body.items).toEqual([]);
  });

  it('refuses moving an endpoint onto such an address too', async () => {
    const ok = await raw('POST', `/v1/clients/${DEMO.clientId}/webhooks`, {
      token: stack.tokens.admin,
      body: { url: 'https://hooks.example.invalid/algesta' },
    });
    expect(ok.status, ok.text).toBe(201);
    const moved = await raw('PATCH', `/v1/clients/${DEMO.clientId}/webhooks/${ok.body.id}`, {
      token: stack.tokens.client,
      body: { url: 'https://169.254.169.254/latest/meta-data/' },
    });
    expect(moved.status, moved.text).toBe(422);
    const still = await raw('GET', `/v1/clients/${DEMO.clientId}/webhooks/${ok.body.id}`, { token: stack.tokens.client });
    expect(still.body.url).toBe('https://hooks.example.invalid/algesta');
  });
});
