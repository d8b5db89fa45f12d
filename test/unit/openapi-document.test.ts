import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import { registeredEndpoints } from '../../functions/http/register';
import { installFunctionsCore } from '../../local/functions-core';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../shared/adapters/email/sendgrid-webhook';
import { signJelouBody, verifyJelouSignature } from '../../shared/adapters/whatsapp/jelou-webhook';
import { verifyConnectSignature } from '../../shared/adapters/partners/docusign-connect';
import { WEBHOOK_WINDOWS } from '../../shared/application/webhook-events';
import type { AnyEndpoint } from '../../shared/platform/http/endpoint';
import { problemSchemaName } from '../../shared/platform/http/openapi';
import { PROBLEM_BASE, PROBLEMS, type ProblemType } from '../../shared/platform/http/problem';

/**
 * Issue 19: the OpenAPI document is exact. This walks the whole document, as the API serves it, and
 * fails for an operation without examples, a problem response without its problem type's schema,
 * a webhook without the signature header its verifier reads, or an example its schema refuses.
 */
type Json = Record<string, any>;
let doc: Json;
let endpoints: readonly AnyEndpoint[];
const operations: { path: string; method: string; op: Json }[] = [];

beforeAll(async () => {
  // Registrations land in the local core shim (not the library's "test mode"), as under the host.
  installFunctionsCore();
  await import('../../functions/index');
  const { openApiDocument } = await import('../../functions/http/openapi');
  endpoints = registeredEndpoints();
  // As served: JSON, so what a client reads (no undefined members, no functions).
  doc = JSON.parse(JSON.stringify(openApiDocument())) as Json;
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>))
    for (const [method, op] of Object.entries(item)) operations.push({ path, method, op: op as Json });
});

const refName = (ref: string) => ref.replace('#/components/schemas/', '');
const hasExample = (media: Json) => media.example !== undefined || Object.keys(media.examples ?? {}).length > 0;
const examplesOf = (media: Json): unknown[] =>
  media.example !== undefined ? [media.example] : Object.values(media.examples ?? {}).map((e: any) => e.value);

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document with every registered endpoint in it', async () => {
    const result = await new Validator().validate(structuredClone(doc) as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(operations.length).toBeGreaterThan(50);
    const ids = operations.map((o) => o.op.operationId as string);
    for (const e of endpoints) {
      const expected = e.operationsPer ? Object.keys(e.operationsPer.values).map((v) => `${e.name}-${v}`) : [e.name];
      for (const id of expected) expect(ids, id).toContain(id);
    }
  });

  it('has a schema for every problem type: its type, title and status are constants', () => {
    for (const [type, { status, title }] of Object.entries(PROBLEMS)) {
      const schema = doc.components.schemas[problemSchemaName(type as ProblemType)];
      expect(schema, type).toBeDefined();
      expect(schema.properties.type).toEqual({ const: PROBLEM_BASE + type });
      expect(schema.properties.status).toEqual({ const: status });
      expect(schema.properties.title).toEqual({ const: title });
      expect(schema.required).toEqual(['type', 'title', 'status']);
    }
  });

  it('gives every operation examples: each request body and each answer that has a body (images aside)', () => {
    const missing: string[] = [];
    for (const { path, method, op } of operations) {
      const where = `${method.toUpperCase()} ${path}`;
      for (const [type, media] of Object.entries((op.requestBody?.content ?? {}) as Record<string, Json>))
        if (!hasExample(media)) missing.push(`${where} request ${type}`);
      let examples = 0;
      for (const [status, response] of Object.entries(op.responses as Record<string, Json>))
        for (const [type, media] of Object.entries((response.content ?? {}) as Record<string, Json>)) {
          if (hasExample(media)) examples++;
          else if (!media.schema?.contentMediaType?.startsWith('image/')) missing.push(`${where} ${status} ${type}`);
        }
      if (examples === 0) missing.push(`${where}: no example at all`);
      for (const p of (op.parameters ?? []) as Json[])
        if (p.in === 'path' && p.example === undefined) missing.push(`${where} path parameter ${p.name}`);
    }
    expect(missing).toEqual([]);
  });

  it('describes every problem response by the schemas of the problem types it can be, with an example of each', () => {
    const wrong: string[] = [];
    for (const { path, method, op } of operations) {
      for (const [status, response] of Object.entries(op.responses as Record<string, Json>)) {
        if (Number(status) < 400) continue;
        const where = `${method.toUpperCase()} ${path} ${status}`;
        const media = response.content?.['application/problem+json'] as Json | undefined;
        if (!media?.schema) {
          wrong.push(`${where}: no application/problem+json schema`);
          continue;
        }
        const refs: string[] = media.schema.$ref ? [media.schema.$ref] : (media.schema.oneOf ?? []).map((s: Json) => s.$ref);
        if (refs.length === 0 || refs.some((r) => !r)) wrong.push(`${where}: not a problem type's schema`);
        for (const ref of refs) {
          const schema = doc.components.schemas[refName(ref)];
          if (!schema) wrong.push(`${where}: ${ref} does not exist`);
          else if (schema.properties.status.const !== Number(status))
            wrong.push(`${where}: ${ref} is a ${schema.properties.status.const}`);
        }
        // One example per type, which is that type.
        const types = refs.map((r) => doc.components.schemas[refName(r)]?.properties.type.const as string);
        const exampleTypes = examplesOf(media).map((e: any) => e.type as string);
        if (exampleTypes.sort().join() !== [...types].sort().join())
          wrong.push(`${where}: examples ${exampleTypes} for ${types}`);
        for (const e of examplesOf(media) as Json[])
          if (e.status !== Number(status) || typeof e.title !== 'string')
            wrong.push(`${where}: example ${e.type} is not a ${status}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('lists per status the problem types the API really answers there', () => {
    const typesAt = (path: string, method: string, status: number) => {
      const media = doc.paths[path][method].responses[status].content['application/problem+json'];
      return examplesOf(media)
        .map((e: any) => (e.type as string).replace(PROBLEM_BASE, ''))
        .sort();
    };
    // A create: the idempotency key reused, and a business rule (unknown site).
    expect(typesAt('/api/v1/orders', 'post', 422)).toEqual(['idempotency-key-reused', 'unprocessable-entity']);
    expect(typesAt('/api/v1/orders', 'post', 400)).toEqual(['malformed-json', 'validation-error']);
    // An action refused by a business rule; only `approve` can exceed an approval limit.
    expect(typesAt('/api/v1/orders/{orderId}/actions/complete', 'post', 422)).toEqual(['unprocessable-entity']);
    expect(typesAt('/api/v1/orders/{orderId}/actions/approve', 'post', 403)).toEqual(['approval-limit-exceeded', 'forbidden']);
    expect(typesAt('/api/v1/orders/{orderId}/actions/triage', 'post', 403)).toEqual(['forbidden']);
    // No body: nothing to be malformed.
    expect(typesAt('/api/v1/orders', 'get', 400)).toEqual(['validation-error']);
    // A webhook parses its own bytes: a refused body is a validation error, never malformed-json.
    expect(typesAt('/api/webhooks/jelou', 'post', 400)).toEqual(['validation-error']);
  });

  it('validates every example against the schema the API validates or answers with', () => {
    const refused: string[] = [];
    const check = (
      where: string,
      schema: { safeParse(v: unknown): { success: boolean; error?: unknown } } | undefined,
      example: unknown,
    ) => {
      if (!schema || example === undefined) return;
      const r = schema.safeParse(example);
      if (!r.success) refused.push(`${where}: ${String(r.error)}`);
    };
    for (const { op } of operations) {
      const e =
        endpoints.find((x) => op.operationId === x.name) ??
        endpoints.find((x) => x.operationsPer && (op.operationId as string).startsWith(`${x.name}-`))!;
      if (!e.params) continue;
      const path = Object.fromEntries(
        ((op.parameters ?? []) as Json[]).filter((p) => p.in === 'path').map((p) => [p.name, p.example]),
      );
      if (e.operationsPer) path[e.operationsPer.param] = (op.operationId as string).slice(e.name.length + 1);
      check(`${op.operationId} path parameters`, e.params, path);
    }
    for (const e of endpoints) {
      if (e.operationsPer) {
        for (const [value, spec] of Object.entries(e.operationsPer.values))
          check(`${e.name}-${value} request`, spec.body, spec.example);
      } else {
        const body = e.body ?? e.documentedBody;
        if (body) expect(e.requestExample, `${e.name}: a request example`).toBeDefined();
        check(`${e.name} request`, body, e.requestExample);
      }
      for (const [status, spec] of Object.entries(e.responses)) {
        if (spec.schema) expect(spec.example, `${e.name} ${status}: an example`).toBeDefined();
        check(`${e.name} ${status}`, spec.schema, spec.example);
      }
    }
    expect(refused).toEqual([]);
  });
});

describe('the webhooks in the OpenAPI document', () => {
  const webhook = (name: string) => operations.find((o) => o.op.operationId === `webhooks-${name}`)!.op;
  const headers = (op: Json) => (op.parameters as Json[]).filter((p) => p.in === 'header');
  const endpoint = (name: string) => endpoints.find((e) => e.name === `webhooks-${name}`)!;

  it('lists each webhook with a required signature header, its limits and its replay window', () => {
    const webhooks = operations.filter((o) => o.path.startsWith('/api/webhooks/'));
    expect(webhooks.map((o) => o.op.operationId).sort()).toEqual(['webhooks-docusign', 'webhooks-jelou', 'webhooks-sendgrid']);
    for (const { op } of webhooks) {
      const e = endpoints.find((x) => x.name === op.operationId)!;
      const required = headers(op).filter((h) => h.required);
      expect(required.length, op.operationId).toBeGreaterThan(0);
      for (const h of headers(op)) expect(h.example, h.name).toMatch(new RegExp(h.schema.pattern));
      expect(op.security).toEqual([]);
      expect(op.description).toContain(`Body limit: ${e.maxBodyBytes} bytes`);
      expect(op.description).toMatch(/Replay window: .+/);
      expect(op.requestBody['x-max-body-bytes']).toBe(e.maxBodyBytes);
      expect(op.responses['401'].content['application/problem+json'].schema.$ref).toBe(
        '#/components/schemas/UnauthorizedProblem',
      );
      expect(op.responses['413'].description).toBe(e.problems?.[413]);
    }
  });

  it('SendGrid: the two headers its verifier reads; a real ECDSA signature fits the documented format', () => {
    const op = webhook('sendgrid');
    expect(headers(op).map((h) => [h.name.toLowerCase(), h.required])).toEqual([
      [SIGNATURE_HEADER, true],
      [TIMESTAMP_HEADER, true],
    ]);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const body = JSON.stringify(endpoint('sendgrid').requestExample);
    const timestamp = '1796220314';
    const signature = sign('sha256', Buffer.from(timestamp + body), privateKey).toString('base64');
    const [sig, ts] = headers(op);
    expect(signature).toMatch(new RegExp(sig!.schema.pattern));
    expect(timestamp).toMatch(new RegExp(ts!.schema.pattern));
    expect(op.description).toContain('within 15 minutes');
  });

  it('Jelou: X-Jelou-Signature; the signature of the example body fits the format and passes the verifier', () => {
    const op = webhook('jelou');
    const [h] = headers(op);
    expect(headers(op)).toHaveLength(1);
    expect(h!.name.toLowerCase()).toBe('x-jelou-signature');
    expect(h!.required).toBe(true);
    const body = JSON.stringify(endpoint('jelou').requestExample);
    const signature = signJelouBody(body, 'a-signing-secret');
    expect(signature).toMatch(new RegExp(h!.schema.pattern));
    expect(verifyJelouSignature(new TextEncoder().encode(body), signature, 'a-signing-secret')).toBe(true);
    expect(op.description).toContain(`${WEBHOOK_WINDOWS.jelou.maxAgeSeconds / 3600} hours`);
    expect(op.requestBody.content['application/json'].schema.properties.object).toEqual({
      type: 'string',
      const: 'message_event',
    });
  });

  it('DocuSign: X-DocuSign-Signature-1 (and -2 while keys rotate); an HMAC of the example body fits and passes the verifier', () => {
    const op = webhook('docusign');
    expect(headers(op).map((h) => [h.name, h.required])).toEqual([
      ['X-DocuSign-Signature-1', true],
      ['X-DocuSign-Signature-2', false],
    ]);
    const body = JSON.stringify(endpoint('docusign').requestExample);
    const signature = createHmac('sha256', 'connect-key').update(body).digest('base64');
    expect(signature).toMatch(new RegExp(headers(op)[0]!.schema.pattern));
    expect(verifyConnectSignature(new TextEncoder().encode(body), { 'x-docusign-signature-1': signature }, ['connect-key'])).toBe(
      true,
    );
    expect(op.description).toContain(`${WEBHOOK_WINDOWS.docusign.maxAgeSeconds / 86_400} days`);
  });
});
