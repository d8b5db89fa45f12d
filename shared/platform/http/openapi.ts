import { z } from 'zod';
import type { AnyEndpoint } from './endpoint';
import { PROBLEM_BASE, PROBLEMS } from './problem';

/**
 * The OpenAPI 3.1 document, derived from the endpoint definitions: the same zod schemas that
 * validate requests describe them, so the document cannot drift from the code.
 */
type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    target: 'draft-2020-12',
  }) as JsonSchema;
  return rest;
}

function parameters(schema: z.ZodType | undefined, location: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const s = jsonSchema(schema, 'input');
  const properties = (s.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((s.required ?? []) as string[]);
  return Object.entries(properties).map(([name, propSchema]) => ({
    name,
    in: location,
    required: location === 'path' || required.has(name),
    ...(propSchema.description ? { description: propSchema.description } : {}),
    schema: propSchema,
  }));
}

const problemRef = { $ref: '#/components/schemas/Problem' };
const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemRef } },
});

function errorStatuses(e: AnyEndpoint): number[] {
  const statuses = new Set<number>([500]);
  if (e.params || e.query || e.body) statuses.add(400);
  if (e.auth === 'bearer') [401, 403, 404, 503].forEach((s) => statuses.add(s));
  if (e.auth === 'signature') [401, 413].forEach((s) => statuses.add(s));
  if (e.body) [413, 415].forEach((s) => statuses.add(s));
  if (e.conditional) statuses.add(412);
  // A reused key with another body; a concurrent duplicate is answered like a retry, never 409.
  if (e.idempotent) statuses.add(422);
  (e.errors ?? []).forEach((s) => statuses.add(s));
  return [...statuses].sort();
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid request (problem type validation-error or malformed-json)',
  401: 'Missing or invalid bearer token',
  403: 'The caller’s role may not do this',
  404: 'Not found, or outside the caller’s scope',
  409: 'Conflict with the current state',
  412: 'If-Match does not match the current ETag',
  413: 'Body larger than 1 MB',
  415: 'Body is not application/json',
  422: 'Idempotency-Key reused with another body, or a business rule refused the input',
  500: 'Unexpected error (problem carries the correlation id)',
  503: 'A dependency is unavailable; retry after Retry-After seconds',
};

/** The endpoint's own text, else what fits its kind (a signature is no bearer token), else the API's. */
function statusText(e: AnyEndpoint, status: number): string {
  const own = e.problems?.[status];
  if (own) return own;
  if (status === 401 && e.auth === 'signature') return 'Missing or invalid signature';
  if (status === 413 && e.maxBodyBytes !== undefined) return `Body larger than ${e.maxBodyBytes} bytes`;
  return STATUS_TEXT[status] ?? 'Error';
}

function operation(e: AnyEndpoint): Record<string, unknown> {
  const headerParams: unknown[] = [];
  if (e.idempotent)
    headerParams.push({ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 } });
  if (e.conditional) headerParams.push({ name: 'If-Match', in: 'header', required: false, schema: { type: 'string' } });
  const responses: Record<string, unknown> = {};
  for (const [status, spec] of Object.entries(e.responses)) {
    responses[status] = {
      description: spec.description,
      ...(spec.schema ? { content: { 'application/json': { schema: jsonSchema(spec.schema, 'output') } } } : {}),
    };
  }
  for (const status of errorStatuses(e)) responses[String(status)] ??= problemResponse(statusText(e, status));
  return {
    operationId: e.name,
    summary: e.summary,
    tags: [...e.tags],
    parameters: [...parameters(e.params, 'path'), ...parameters(e.query, 'query'), ...headerParams],
    ...(e.body
      ? {
          requestBody: {
            // An action without a body (approve, verify…) may be sent empty.
            required: !e.body.safeParse(undefined).success,
            content: { 'application/json': { schema: jsonSchema(e.body, 'input') } },
          },
        }
      : {}),
    responses,
    security: e.auth === 'bearer' ? [{ bearer: [] }] : [],
  };
}

/**
 * The operations an endpoint is documented as: itself, or one per value of its `operationsPer`
 * parameter — the value in the path, the parameter gone, that value's summary and body (titled
 * `<Name><Value>Body`, the name a generator gives its type).
 */
function documentedOperations(e: AnyEndpoint): { route: string; endpoint: AnyEndpoint }[] {
  const per = e.operationsPer;
  if (!per) return [{ route: e.route, endpoint: e }];
  const params = e.params instanceof z.ZodObject ? e.params.omit({ [per.param]: true } as never) : e.params;
  return Object.entries(per.values).map(([value, spec]) => {
    const name = `${e.name}-${value}`;
    const title = `${name.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_m, _sep, c: string) => c.toUpperCase())}Body`;
    return {
      route: e.route.replace(`{${per.param}}`, value),
      endpoint: { ...e, name, summary: spec.summary, params, body: spec.body.meta({ title }), operationsPer: undefined },
    };
  });
}

/** Function routes (`v1/orders/{orderId}`, `{id?}`, `{id:int}`) as OpenAPI paths. */
export function openApiPath(route: string, routePrefix = 'api'): string {
  const path = route.replace(/\{\*?([A-Za-z0-9_]+)(?::[^}]*)?\??\}/g, '{$1}');
  return `/${routePrefix}/${path}`;
}

export function buildOpenApiDocument(
  endpoints: readonly AnyEndpoint[],
  info: { title: string; version: string; serverUrl?: string },
) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const e of endpoints) {
    for (const { route, endpoint } of documentedOperations(e)) {
      const path = openApiPath(route);
      paths[path] ??= {};
      paths[path][endpoint.method.toLowerCase()] = operation(endpoint);
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: info.title,
      version: info.version,
      description: `Errors are RFC 9457 problem details; their types start with ${PROBLEM_BASE}.`,
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status'],
          properties: {
            type: { type: 'string', enum: Object.keys(PROBLEMS).map((k) => PROBLEM_BASE + k) },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            correlationId: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                required: ['pointer', 'detail'],
                properties: { pointer: { type: 'string' }, detail: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  };
}
