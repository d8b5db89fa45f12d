import { Validator } from '@seriousme/openapi-schema-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import { registeredEndpoints } from '../../functions/http/register';
import { installFunctionsCore } from '../../local/functions-core';
import { API_ACTIONS } from '../../shared/domain/orders/lifecycle';
import { buildOpenApiDocument } from '../../shared/platform/http/openapi';

/**
 * Issue 14, item 7: the order actions in the OpenAPI document. One function serves
 * `orders/{orderId}/actions/{action}`; the document lists one operation per action, each with its own
 * typed body, so that a client generator gets one method and one body type per action instead of an
 * unlabelled union and a free `action` string.
 */
type Operation = {
  operationId: string;
  summary: string;
  parameters: { name: string; in: string }[];
  requestBody?: { required: boolean; content: { 'application/json': { schema: Record<string, any> } } };
  responses: Record<string, unknown>;
};
let doc: { paths: Record<string, Record<string, Operation>> };
const ACTIONS_PATH = '/api/v1/orders/{orderId}/actions/';

beforeAll(async () => {
  // Registrations land in the local core shim (not the library's "test mode"), as under the host.
  installFunctionsCore();
  await import('../../functions/http/orders');
  doc = buildOpenApiDocument(registeredEndpoints(), { title: 'Algesta API', version: '1.0.0' }) as typeof doc;
});

const op = (action: string) => doc.paths[`${ACTIONS_PATH}${action}`]?.post;
const body = (action: string) => op(action)?.requestBody?.content['application/json'].schema;

describe('the order actions in the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(structuredClone(doc) as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists one operation per action, each at its own path, with its own operation id and no `action` parameter', () => {
    const actionPaths = Object.keys(doc.paths).filter((p) => p.startsWith(ACTIONS_PATH));
    expect(actionPaths.sort()).toEqual(API_ACTIONS.map((a) => `${ACTIONS_PATH}${a}`).sort());
    expect(doc.paths[`${ACTIONS_PATH}{action}`]).toBeUndefined();
    for (const a of API_ACTIONS) {
      expect(op(a)?.operationId, a).toBe(`orders-action-${a}`);
      expect(op(a)!.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(['path:orderId', 'header:If-Match']);
      expect(Object.keys(op(a)!.responses)).toEqual(expect.arrayContaining(['200', '400', '403', '404', '409', '412', '422']));
    }
    // Still one function: the document's operations are not registrations.
    expect(registeredEndpoints().filter((e) => e.route.startsWith('v1/orders/{orderId}/actions'))).toHaveLength(1);
  });

  it('gives each action its own titled body schema: no union, no shared schema', () => {
    const seen = new Map<string, string>();
    for (const a of API_ACTIONS) {
      const schema = body(a);
      expect(schema, a).toBeDefined();
      expect(schema).not.toHaveProperty('anyOf');
      expect(schema).not.toHaveProperty('oneOf');
      expect(schema).toMatchObject({ type: 'object', additionalProperties: false });
      const pascal = a.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
      expect(schema!.title).toBe(`OrdersAction${pascal}Body`);
      seen.set(a, schema!.title);
    }
    expect(new Set(seen.values()).size).toBe(API_ACTIONS.length);
  });

  it('describes the bodies as the API validates them (written out by hand for a few)', () => {
    expect(body('reject')).toMatchObject({ required: ['reason'], properties: { reason: { type: 'string', minLength: 3 } } });
    expect(body('assign')!.required).toEqual(['providerId', 'amount']);
    expect(body('assign')!.properties.amount.required).toEqual(['amount']);
    expect(body('schedule')!.required).toEqual(['visitAt']);
    expect(body('complete')!.required).toEqual(['report', 'attachmentIds']);
    expect(body('rate')!.properties.score).toMatchObject({ type: 'integer', minimum: 1, maximum: 5 });
    expect(body('invoice')!.required).toEqual(['invoiceNumber', 'amount']);
    expect(body('request-quotes')!.required).toEqual(['quoteDeadline']);
    expect(Object.keys(body('triage')!.properties).sort()).toEqual(['category', 'checklist', 'priority']);
    // No body to send: approve, check-in, verify, close (and triage, whose fields are optional).
    for (const a of ['approve', 'check-in', 'verify', 'close'])
      expect(body(a), a).toMatchObject({ properties: {}, additionalProperties: false });
    for (const a of ['approve', 'check-in', 'verify', 'close', 'triage']) expect(op(a)!.requestBody!.required, a).toBe(false);
    for (const a of ['reject', 'assign', 'invoice', 'cancel']) expect(op(a)!.requestBody!.required, a).toBe(true);
  });

  it('summarises each action with its row of the state table', () => {
    // With an approval chain a partial approval keeps the order waiting (the rule's alternative).
    expect(op('approve')!.summary).toBe('approve: AWAITING_APPROVAL → CONTRACTING or the same state (client, admin, operator)');
    expect(op('close')!.summary).toBe('close: INVOICED → CLOSED (admin, operator)');
    expect(op('rate')!.summary).toBe('rate: VERIFIED → the same state (client)');
  });
});
