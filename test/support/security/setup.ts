import { join } from 'node:path';
import { expect } from 'vitest';
import { loadOrCreateDevIssuer } from '../../../local/dev-issuer';
import { DEMO } from '../../../local/seed';
import { registeredEndpoints } from '../../../functions/http/register';
import type { AnyEndpoint } from '../../../shared/platform/http/endpoint';
import { apiClient, startTestStack } from '../stack';
import type { Caller, Fixtures } from '../../../test/security/policy';

export const OTHER_PROVIDER = DEMO.providerIds[1];

export type SecurityStack = Awaited<ReturnType<typeof startSecurityStack>>;

/** The stack, a token per caller (DEMO tenant and another tenant) and the fixtures of the matrix. */
export async function startSecurityStack() {
  const stack = await startTestStack();
  const api = apiClient(`${stack.url}/api`);
  const tokens = { ...stack.tokens } as Record<Caller, string>;
  const issuer = await loadOrCreateDevIssuer(join(stack.dataDir, 'dev-issuer'));
  const mintOpts = { issuer: process.env.AUTH_ISSUER!, audience: process.env.AUTH_AUDIENCE!, expiresIn: '1h' };

  // Another client with a site, and an order of it created by an operator with `clientId`.
  const other = await api('POST', '/v1/clients', { token: tokens.admin, body: { name: 'Otro Cliente S.A.S.' } });
  expect(other.status, other.text).toBe(201);
  const otherClientId: string = other.body.id;
  const otherSite = await api('POST', `/v1/clients/${otherClientId}/sites`, {
    token: tokens.operator,
    body: { name: 'Sede Otra', address: 'Calle 9 # 9-9', city: 'Bogotá' },
  });
  expect(otherSite.status, otherSite.text).toBe(201);
  tokens.otherClient = await issuer.mint(
    { sub: 'u-sec-other-client', role: 'client', clientId: otherClientId, name: 'X' },
    mintOpts,
  );
  tokens.otherProvider = await issuer.mint(
    { sub: 'u-sec-other-provider', role: 'provider', providerId: OTHER_PROVIDER, name: 'Y' },
    mintOpts,
  );
  const otherOrder = await api('POST', '/v1/orders', {
    token: tokens.operator,
    body: {
      siteId: otherSite.body.id,
      category: 'hvac',
      priority: 'P3',
      title: 'Otra',
      description: 'x',
      clientId: otherClientId,
    },
  });
  expect(otherOrder.status, otherOrder.text).toBe(201);

  const newOrder = async () => {
    const r = await api('POST', '/v1/orders', {
      token: tokens.client,
      body: { siteId: DEMO.siteIds[0], category: 'hvac', priority: 'P3', title: 'Seguridad', description: 'x' },
    });
    expect(r.status, r.text).toBe(201);
    return r.body.id as string;
  };
  const orderId = await newOrder();
  const att = await api('POST', `/v1/orders/${orderId}/attachments`, {
    token: tokens.client,
    body: { kind: 'photo', fileName: 'f.png', contentType: 'image/png', size: 10 },
  });
  expect(att.status, att.text).toBe(201);
  const doc = await api('POST', `/v1/providers/${DEMO.providerIds[0]}/documents`, {
    token: tokens.provider,
    body: { type: 'rut', fileName: 'rut.pdf', contentType: 'application/pdf', size: 10 },
  });
  expect(doc.status, doc.text).toBe(201);

  // A webhook endpoint of the DEMO client on a name that never resolves (`.invalid`): its deliveries fail harmlessly.
  const newWebhookEndpoint = async () => {
    const r = await api('POST', `/v1/clients/${DEMO.clientId}/webhooks`, {
      token: tokens.client,
      body: { url: 'https://hooks.example.invalid/algesta', eventTypes: ['order.rated'] },
    });
    expect(r.status, r.text).toBe(201);
    return r.body.id as string;
  };
  const webhookEndpointId = await newWebhookEndpoint();

  const fixtures: Fixtures = {
    orderId,
    otherOrderId: otherOrder.body.id,
    otherClientId,
    attachmentId: att.body.attachment.id,
    documentId: doc.body.document.id,
    newOrder,
    webhookEndpointId,
    newWebhookEndpoint,
  };
  const endpoints: readonly AnyEndpoint[] = registeredEndpoints();
  return { stack, api, tokens, issuer, fixtures, endpoints };
}

/** Cheap "nothing changed" signal: order and provider counts, and the fixture order's history. */
export async function writeSignal(s: SecurityStack) {
  const count = async (path: string) => {
    let n = 0;
    let token: string | undefined;
    do {
      const r = await s.api(
        'GET',
        `${path}${path.includes('?') ? '&' : '?'}limit=100${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`,
        {
          token: s.tokens.admin,
        },
      );
      expect(r.status, r.text).toBe(200);
      n += r.body.items.length;
      token = r.body.continuationToken;
    } while (token);
    return n;
  };
  return {
    orders: await count('/v1/orders'),
    providers: await count('/v1/providers'),
    history: await count(`/v1/orders/${s.fixtures.orderId}/history`),
    docs: await count(`/v1/providers/${DEMO.providerIds[0]}/documents`),
  };
}
