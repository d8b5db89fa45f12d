import { loadBuildInfo } from '../../shared/platform/build-info';
import { describe, expect, it } from 'vitest';
import { startHttpHost } from '../../local/host/http-host';
import { registeredFunctions } from '../support/registrations';

/**
 * The entry registers exactly these functions, through the v4 programming model, and the local host
 * serves exactly the registered routes. Settings are valid but point nowhere: importing the entry
 * must not touch any service (adapters are created lazily).
 */
const EXPECTED = [
  ['health', 'GET', 'health'],
  ['health-ready', 'GET', 'health/ready'],
  ['openapi', 'GET', 'v1/openapi.json'],
  ['docs', 'GET', 'docs'],
  ['docs-asset', 'GET', 'docs/{asset}'],
  ['clients-create', 'POST', 'v1/clients'],
  ['clients-get', 'GET', 'v1/clients/{clientId}'],
  ['sites-create', 'POST', 'v1/clients/{clientId}/sites'],
  ['sites-list', 'GET', 'v1/clients/{clientId}/sites'],
  ['sites-location-put', 'PUT', 'v1/clients/{clientId}/sites/{siteId}/location'],
  ['clients-field-policy-put', 'PUT', 'v1/clients/{clientId}/field-policy'],
  ['clients-approval-chain-put', 'PUT', 'v1/clients/{clientId}/approval-chain'],
  ['me-get', 'GET', 'v1/me'],
  ['me-preferences-put', 'PUT', 'v1/me/preferences'],
  ['users-put', 'PUT', 'v1/users/{userId}'],
  ['orders-create', 'POST', 'v1/orders'],
  ['orders-list', 'GET', 'v1/orders'],
  ['orders-get', 'GET', 'v1/orders/{orderId}'],
  ['orders-history', 'GET', 'v1/orders/{orderId}/history'],
  ['orders-action', 'POST', 'v1/orders/{orderId}/actions/{action}'],
  ['quotes-submit', 'POST', 'v1/orders/{orderId}/quotes'],
  ['quotes-list', 'GET', 'v1/orders/{orderId}/quotes'],
  ['orders-price-guidance', 'GET', 'v1/orders/{orderId}/price-guidance'],
  ['attachments-request', 'POST', 'v1/orders/{orderId}/attachments'],
  ['attachments-list', 'GET', 'v1/orders/{orderId}/attachments'],
  ['attachments-confirm', 'POST', 'v1/orders/{orderId}/attachments/{attachmentId}/confirm'],
  ['notifications-list', 'GET', 'v1/notifications'],
  ['providers-create', 'POST', 'v1/providers'],
  ['providers-list', 'GET', 'v1/providers'],
  ['providers-get', 'GET', 'v1/providers/{providerId}'],
  ['provider-documents-request', 'POST', 'v1/providers/{providerId}/documents'],
  ['provider-documents-list', 'GET', 'v1/providers/{providerId}/documents'],
  ['provider-documents-confirm', 'POST', 'v1/providers/{providerId}/documents/{documentId}/confirm'],
  ['provider-documents-review', 'POST', 'v1/providers/{providerId}/documents/{documentId}/review'],
  ['providers-action', 'POST', 'v1/providers/{providerId}/actions/{action}'],
  ['providers-scorecard', 'GET', 'v1/providers/{providerId}/scorecard'],
  ['providers-invitations', 'GET', 'v1/providers/{providerId}/invitations'],
  ['client-webhooks-create', 'POST', 'v1/clients/{clientId}/webhooks'],
  ['client-webhooks-list', 'GET', 'v1/clients/{clientId}/webhooks'],
  ['client-webhooks-get', 'GET', 'v1/clients/{clientId}/webhooks/{endpointId}'],
  ['client-webhooks-update', 'PATCH', 'v1/clients/{clientId}/webhooks/{endpointId}'],
  ['client-webhooks-rotate-secret', 'POST', 'v1/clients/{clientId}/webhooks/{endpointId}/rotate-secret'],
  ['client-webhooks-delete', 'DELETE', 'v1/clients/{clientId}/webhooks/{endpointId}'],
  ['client-webhooks-deliveries', 'GET', 'v1/clients/{clientId}/webhooks/{endpointId}/deliveries'],
  ['client-webhooks-replay', 'POST', 'v1/clients/{clientId}/webhooks/{endpointId}/deliveries/{eventId}/replay'],
  ['plans-create', 'POST', 'v1/clients/{clientId}/plans'],
  ['plans-list', 'GET', 'v1/clients/{clientId}/plans'],
  ['plans-get', 'GET', 'v1/clients/{clientId}/plans/{planId}'],
  ['plans-update', 'PUT', 'v1/clients/{clientId}/plans/{planId}'],
  ['plans-action', 'POST', 'v1/clients/{clientId}/plans/{planId}/actions/{action}'],
  ['plans-occurrences', 'GET', 'v1/clients/{clientId}/plans/{planId}/occurrences'],
  ['orders-follow-up', 'POST', 'v1/orders/{orderId}/checklist/{itemId}/follow-up'],
  ['webhooks-sendgrid', 'POST', 'webhooks/sendgrid'],
  ['webhooks-jelou', 'POST', 'webhooks/jelou'],
  ['webhooks-docusign', 'POST', 'webhooks/docusign'],
] as const;

/** Non-HTTP triggers: name → trigger type and its key settings. */
const EXPECTED_TRIGGERS = {
  'orders-outbox-relay': {
    type: 'cosmosDBTrigger',
    connection: 'COSMOS',
    databaseName: 'orders',
    containerName: 'orders',
    leaseContainerName: 'leases',
  },
  'providers-outbox-relay': {
    type: 'cosmosDBTrigger',
    connection: 'COSMOS',
    databaseName: 'providers',
    containerName: 'providers',
    leaseContainerName: 'leases',
    leaseContainerPrefix: 'providers-outbox-',
  },
  'outbox-sweep': { type: 'timerTrigger', schedule: '0 */2 * * * *' },
  'compliance-watch': { type: 'timerTrigger', schedule: '0 0 11 * * *' },
  'sla-watch': { type: 'timerTrigger', schedule: '0 */5 * * * *' },
  'plan-generation': { type: 'timerTrigger', schedule: '0 5 * * * *' },
  'orders-workflow-consumer': {
    type: 'serviceBusTrigger',
    connection: 'SERVICEBUS',
    topicName: 'domain-events',
    subscriptionName: 'orders-workflow',
  },
  'providers-workflow-consumer': {
    type: 'serviceBusTrigger',
    connection: 'SERVICEBUS',
    topicName: 'domain-events',
    subscriptionName: 'providers-workflow',
  },
  'notifications-consumer': {
    type: 'serviceBusTrigger',
    connection: 'SERVICEBUS',
    topicName: 'domain-events',
    subscriptionName: 'notifications',
  },
  'client-feed-consumer': {
    type: 'serviceBusTrigger',
    connection: 'SERVICEBUS',
    topicName: 'domain-events',
    subscriptionName: 'client-feed',
  },
} as const;

describe('function registrations', () => {
  it('the entry registers every function with its trigger, route, methods and auth level', async () => {
    const regs = await registeredFunctions();

    const http = regs.filter((r) => r.trigger.type === 'httpTrigger');
    const others = Object.fromEntries(regs.filter((r) => r.trigger.type !== 'httpTrigger').map((r) => [r.name, r.trigger]));
    expect(Object.keys(others).sort()).toEqual(Object.keys(EXPECTED_TRIGGERS).sort());
    for (const [name, expected] of Object.entries(EXPECTED_TRIGGERS)) expect(others[name]).toMatchObject(expected);
    const table = http
      .filter((r) => r.name !== 'z_fallback')
      .map((r) => [r.name, (r.trigger.methods as string[]).join(','), r.trigger.route]);
    expect(table).toEqual(EXPECTED.map(([n, m, r]) => [n, m, r]));
    for (const r of http) expect(r.trigger.authLevel).toBe('anonymous');

    const fallback = http.find((r) => r.name === 'z_fallback');
    expect(fallback?.trigger.route).toBe('{*path}');
    expect(fallback?.trigger.methods).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']));

    // Importing the entry did not load an SDK client: adapters come on first use.
    const { getRoot } = await import('../../functions/composition-root');
    expect(getRoot().settings.APP_ENV).toBe('local');

    const host = await startHttpHost({ registrations: regs, port: 0 });
    try {
      expect(host.routes.map((r) => r.name).sort()).toEqual(http.map((r) => r.name).sort());
      for (const r of host.routes) {
        const reg = http.find((h) => h.name === r.name)!;
        expect(r.route).toBe(reg.trigger.route);
        expect([...r.methods].sort()).toEqual([...(reg.trigger.methods as string[])].sort());
      }
      // And it serves them: an anonymous route answers through the real pipeline.
      const res = await fetch(`${host.url}/api/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok', ...loadBuildInfo() });
    } finally {
      await host.close();
    }
  });
});
