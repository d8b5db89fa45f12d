import { z } from 'zod';
import type { AnyEndpoint, ResponseSpec } from './endpoint';
import { MAX_BODY_BYTES } from './pipeline';
import { PROBLEM_BASE, PROBLEMS, problemBody, type ProblemType } from './problem';

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

/**
 * Path parameters carry an example (the one given for their name, else the first value of their
 * enum): "Try it" starts from it. Optional query parameters carry none, so that a request tried
 * as it is filters nothing.
 */
function parameters(
  schema: z.ZodType | undefined,
  location: 'path' | 'query',
  pathExamples: Readonly<Record<string, string>> = {},
): unknown[] {
  if (!schema) return [];
  const s = jsonSchema(schema, 'input');
  const properties = (s.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((s.required ?? []) as string[]);
  return Object.entries(properties).map(([name, propSchema]) => {
    const example = location !== 'path' ? undefined : Array.isArray(propSchema.enum) ? propSchema.enum[0] : pathExamples[name];
    return {
      name,
      in: location,
      required: location === 'path' || required.has(name),
      ...(propSchema.description ? { description: propSchema.description } : {}),
      schema: propSchema,
      ...(example !== undefined ? { example } : {}),
    };
  });
}

/** A problem type's component schema name: `validation-error` → `ValidationErrorProblem`. */
export function problemSchemaName(type: ProblemType): string {
  return `${type.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase())}Problem`;
}

const PROBLEM_TYPES = Object.keys(PROBLEMS) as ProblemType[];

/** One schema per problem type: its `type`, `title` and `status` are constants, so a client can tell them apart. */
function problemSchemas(): Record<string, JsonSchema> {
  const fieldErrors = {
    type: 'array',
    description: 'one entry per refused field',
    items: {
      type: 'object',
      required: ['pointer', 'detail'],
      properties: {
        pointer: { type: 'string', description: 'JSON pointer into the request: /body/title, /query/limit, /params/orderId' },
        detail: { type: 'string' },
      },
    },
  };
  return Object.fromEntries(
    PROBLEM_TYPES.map((type) => {
      const { status, title } = PROBLEMS[type];
      return [
        problemSchemaName(type),
        {
          type: 'object',
          description: `RFC 9457 problem \`${type}\` (${status}). Other members are extensions of this problem (RFC 9457 §3.2).`,
          required: ['type', 'title', 'status'],
          properties: {
            type: { const: PROBLEM_BASE + type },
            title: { const: title },
            status: { const: status },
            detail: { type: 'string', description: 'what happened in this case' },
            correlationId: {
              type: 'string',
              description: 'the x-correlation-id of the request; every log line of it carries the same',
            },
            ...(type === 'validation-error' || type === 'unprocessable-entity' || type === 'invoice-rules-failed'
              ? { errors: fieldErrors }
              : {}),
            ...(type === 'invoice-rules-failed'
              ? {
                  failedRules: {
                    type: 'array',
                    description: 'every invoice rule that failed, hard and soft (docs/orders.md, Invoice rules)',
                    items: {
                      type: 'object',
                      required: ['rule', 'verdict', 'severity', 'message'],
                      properties: {
                        rule: { type: 'string' },
                        verdict: { const: 'fail' },
                        severity: { enum: ['hard', 'soft'] },
                        message: { type: 'string' },
                        details: { type: 'object', additionalProperties: true },
                      },
                    },
                  },
                }
              : {}),
          },
        },
      ];
    }),
  );
}

const EXAMPLE_CORRELATION_ID = '01JBX4S7Y8Q2M3N4P5R6S7T8V9';

/** Details of the problem examples where the API's detail is the same whatever the endpoint. */
const EXAMPLE_DETAIL: Record<ProblemType, string> = {
  'not-found': 'order ord_01JBX4S7Y8Q2M3N4P5R6S7T8V9 not found',
  'method-not-allowed': 'DELETE is not allowed here; allowed: GET, POST',
  'malformed-json': 'the body is not valid JSON',
  'validation-error': 'one or more fields are invalid',
  'payload-too-large': `the body may not exceed ${1024 * 1024} bytes`,
  'unsupported-media-type': 'send the body as application/json',
  unauthorized: 'the token has expired',
  forbidden: 'role client may not triage orders',
  'approval-limit-exceeded': 'the amount exceeds your approval limit; an operator can approve it',
  conflict: 'the order is SUBMITTED; this action needs TRIAGED',
  'precondition-failed': 'If-Match does not match the current ETag',
  'idempotency-key-reused': 'this Idempotency-Key was used with a different request',
  'idempotency-in-progress': 'a request with this Idempotency-Key is in progress',
  'unprocessable-entity': 'the site does not belong to the client',
  'invoice-rules-failed': 'the invoice breaks 1 hard rule(s): amount-within-nte',
  'service-unavailable': 'Cosmos DB is unavailable; retry later',
  'internal-error': 'an unexpected error occurred; quote the correlation id when reporting it',
};

function problemExample(e: AnyEndpoint, type: ProblemType): unknown {
  const { status } = PROBLEMS[type];
  // A webhook's own texts are the details it answers (a signature's 401, its body limit).
  const detail =
    status === 401 && e.auth === 'signature' && e.problems?.[401]
      ? e.problems[401]
      : status === 413 && e.maxBodyBytes !== undefined
        ? `the body may not exceed ${e.maxBodyBytes} bytes`
        : EXAMPLE_DETAIL[type];
  const errors =
    type === 'validation-error'
      ? [{ pointer: invalidFieldPointer(e), detail: 'Invalid input' }]
      : type === 'unprocessable-entity'
        ? [{ pointer: '/body/siteId', detail: 'unknown site' }]
        : type === 'invoice-rules-failed'
          ? [{ pointer: '/body/amount', detail: 'amount-within-nte: the invoice exceeds the approved amount (NTE)' }]
          : [];
  const extensions =
    type === 'invoice-rules-failed'
      ? {
          failedRules: [
            {
              rule: 'amount-within-nte',
              verdict: 'fail',
              severity: 'hard',
              message: 'the invoice exceeds the approved amount (NTE)',
              details: {
                approvedAmount: { amount: 800_000_00, currency: 'COP' },
                amount: { amount: 900_000_00, currency: 'COP' },
              },
            },
          ],
        }
      : undefined;
  return problemBody(type, { detail, errors, correlationId: EXAMPLE_CORRELATION_ID, ...(extensions ? { extensions } : {}) });
}

/** Where a validation error of this endpoint could point: its body, else a query or path field. */
function invalidFieldPointer(e: AnyEndpoint): string {
  if (e.body || e.documentedBody) return '/body';
  const first = (schema: z.ZodType | undefined) => (schema instanceof z.ZodObject ? Object.keys(schema.shape)[0] : undefined);
  const query = first(e.query);
  if (query) return `/query/${query}`;
  return `/params/${first(e.params) ?? ''}`;
}

function errorStatuses(e: AnyEndpoint): number[] {
  const statuses = new Set<number>([500]);
  if (e.params || e.query || e.body || e.documentedBody) statuses.add(400);
  if (e.auth === 'bearer') [401, 403, 404, 503].forEach((s) => statuses.add(s));
  if (e.auth === 'signature') [401, 413].forEach((s) => statuses.add(s));
  if (e.body) [413, 415].forEach((s) => statuses.add(s));
  if (e.conditional) statuses.add(412);
  // A reused key with another body; a concurrent duplicate is answered like a retry, never 409.
  if (e.idempotent) statuses.add(422);
  (e.errors ?? []).forEach((s) => statuses.add(s));
  (e.problemTypes ?? []).forEach((t) => statuses.add(PROBLEMS[t].status));
  return [...statuses].sort();
}

/** The problem types an endpoint can answer with one status: what the pipeline and its handler send. */
export function problemTypesFor(e: AnyEndpoint, status: number): ProblemType[] {
  const types = new Set<ProblemType>();
  const declared = (e.errors ?? []).includes(status);
  switch (status) {
    case 400:
      types.add('validation-error');
      // Only a body the pipeline parses as JSON can be malformed; a webhook refuses its own bytes as invalid.
      if (e.body) types.add('malformed-json');
      break;
    case 403:
      types.add('forbidden');
      break;
    case 422:
      if (e.idempotent) types.add('idempotency-key-reused');
      if (declared) types.add('unprocessable-entity');
      break;
    default:
      for (const t of PROBLEM_TYPES)
        if (PROBLEMS[t].status === status && t !== 'idempotency-in-progress' && t !== 'approval-limit-exceeded') types.add(t);
  }
  for (const t of e.problemTypes ?? []) if (PROBLEMS[t].status === status) types.add(t);
  return [...types];
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

function problemResponse(e: AnyEndpoint, status: number): Record<string, unknown> {
  const types = problemTypesFor(e, status);
  const refs = types.map((t) => ({ $ref: `#/components/schemas/${problemSchemaName(t)}` }));
  const schema =
    refs.length === 1
      ? refs[0]
      : {
          oneOf: refs,
          discriminator: {
            propertyName: 'type',
            mapping: Object.fromEntries(types.map((t) => [PROBLEM_BASE + t, `#/components/schemas/${problemSchemaName(t)}`])),
          },
        };
  return {
    description: statusText(e, status),
    content: {
      'application/problem+json': {
        schema,
        examples: Object.fromEntries(types.map((t) => [t, { summary: PROBLEMS[t].title, value: problemExample(e, t) }])),
      },
    },
  };
}

function successResponse(spec: ResponseSpec): Record<string, unknown> {
  if (spec.mediaTypes) {
    return {
      description: spec.description,
      content: Object.fromEntries(
        Object.entries(spec.mediaTypes).map(([type, example]) => [
          type,
          {
            schema: example === undefined ? { type: 'string', contentMediaType: type } : { type: 'string' },
            ...(example !== undefined ? { example } : {}),
          },
        ]),
      ),
    };
  }
  return {
    description: spec.description,
    ...(spec.schema
      ? {
          content: {
            'application/json': {
              schema: jsonSchema(spec.schema, 'output'),
              ...(spec.example !== undefined ? { example: spec.example } : {}),
            },
          },
        }
      : {}),
  };
}

function describeWebhook(e: AnyEndpoint): string | undefined {
  if (e.auth !== 'signature') return undefined;
  const headers = (e.signatureHeaders ?? []).map((h) => `\`${h.name}\``).join(', ');
  const limit = e.maxBodyBytes ?? MAX_BODY_BYTES;
  return [
    `Signed by the partner: ${headers || 'a signature header'}, checked over the raw body before anything else is read (a missing or wrong signature is a 401 without \`WWW-Authenticate\`).`,
    `Body limit: ${limit} bytes (413 beyond).`,
    ...(e.replayWindow ? [`Replay window: ${e.replayWindow}`] : []),
  ].join('\n\n');
}

function operation(e: AnyEndpoint, pathExamples: Readonly<Record<string, string>>): Record<string, unknown> {
  const headerParams: unknown[] = [];
  if (e.idempotent)
    headerParams.push({ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 } });
  if (e.conditional) headerParams.push({ name: 'If-Match', in: 'header', required: false, schema: { type: 'string' } });
  for (const h of e.signatureHeaders ?? [])
    headerParams.push({
      name: h.name,
      in: 'header',
      required: h.required,
      description: h.description,
      schema: { type: 'string', pattern: h.pattern },
      example: h.example,
    });
  const responses: Record<string, unknown> = {};
  for (const [status, spec] of Object.entries(e.responses)) responses[status] = successResponse(spec);
  for (const status of errorStatuses(e)) responses[String(status)] ??= problemResponse(e, status);
  const bodySchema = e.body ?? e.documentedBody;
  const description = describeWebhook(e);
  return {
    operationId: e.name,
    summary: e.summary,
    ...(description ? { description } : {}),
    tags: [...e.tags],
    parameters: [...parameters(e.params, 'path', pathExamples), ...parameters(e.query, 'query'), ...headerParams],
    ...(bodySchema
      ? {
          requestBody: {
            // An action without a body (approve, verify…) may be sent empty.
            required: !bodySchema.safeParse(undefined).success,
            content: {
              'application/json': {
                schema: jsonSchema(bodySchema, 'input'),
                ...(e.requestExample !== undefined ? { example: e.requestExample } : {}),
              },
            },
            ...(e.auth === 'signature' ? { 'x-max-body-bytes': e.maxBodyBytes ?? MAX_BODY_BYTES } : {}),
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
      endpoint: {
        ...e,
        name,
        summary: spec.summary,
        params,
        body: spec.body.meta({ title }),
        requestExample: spec.example,
        problemTypes: [...(e.problemTypes ?? []), ...(spec.problemTypes ?? [])],
        operationsPer: undefined,
      },
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
  info: {
    title: string;
    version: string;
    serverUrl?: string;
    /** An example value per path parameter name (`orderId`, `clientId`…). */
    pathExamples?: Readonly<Record<string, string>>;
  },
) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const e of endpoints) {
    for (const { route, endpoint } of documentedOperations(e)) {
      const path = openApiPath(route);
      paths[path] ??= {};
      paths[path][endpoint.method.toLowerCase()] = operation(endpoint, info.pathExamples ?? {});
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
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Microsoft Entra ID access token; locally one printed by `npm start` or made by `npm run token`',
        },
      },
      schemas: {
        // Any problem, whatever its type: what a client that does not branch on the type reads.
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status'],
          properties: {
            type: { type: 'string', enum: PROBLEM_TYPES.map((k) => PROBLEM_BASE + k) },
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
        ...problemSchemas(),
      },
    },
  };
}
