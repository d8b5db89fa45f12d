import { join } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { ROOT, generateClientFiles, servedOpenApiDocument } from '../../scripts/client';
import type { ApiAction } from '../../shared/domain/orders/lifecycle';
import type { OrderAction, orderActions } from '../support/stack';

/**
 * Issue 19, item 2: "a contract break fails the build". The end-to-end tests call the API through the
 * typed client, so a change of the OpenAPI document that they do not follow must be a type error in
 * them. This is the experiment, run every time: the document with an action renamed, a request field
 * renamed and a response field renamed is turned into client types in memory, and the e2e files are
 * typechecked against those types instead of the checked-in ones. The unchanged document typechecks
 * clean (the same check `npm run typecheck` makes); the changed one fails exactly where the tests use
 * what changed.
 */
type Json = Record<string, any>;

const FILES = [
  'test/e2e/order-lifecycle.test.ts',
  'test/e2e/api.test.ts',
  'test/e2e/remote/orders.test.ts',
  'test/support/stack.ts',
].map((f) => join(ROOT, f));
const SCHEMA = join(ROOT, 'client/schema.d.ts');

/** Renames a property (and its `required` entry) everywhere under `node`, following `$ref`s into the document. */
function renameProperty(doc: Json, node: unknown, from: string, to: string, seen = new Set<unknown>()): void {
  if (!node || typeof node !== 'object' || seen.has(node)) return;
  seen.add(node);
  const n = node as Json;
  if (typeof n.$ref === 'string' && n.$ref.startsWith('#/')) {
    const target = n.$ref
      .slice(2)
      .split('/')
      .reduce((at: Json | undefined, key: string) => at?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
    renameProperty(doc, target, from, to, seen);
  }
  if (n.properties && typeof n.properties === 'object' && from in n.properties) {
    n.properties[to] = n.properties[from];
    delete n.properties[from];
    if (Array.isArray(n.required)) n.required = n.required.map((r: string) => (r === from ? to : r));
  }
  for (const value of Object.values(n)) renameProperty(doc, value, from, to, seen);
}

/** The three changes a careless endpoint edit could make. */
function breakContract(original: Json): Json {
  const doc = structuredClone(original);
  const actions = '/api/v1/orders/{orderId}/actions/';
  // 1. An action renamed: select-quote → choose-quote.
  doc.paths[`${actions}choose-quote`] = doc.paths[`${actions}select-quote`];
  delete doc.paths[`${actions}select-quote`];
  // 2. A request field renamed: request-quotes' quoteDeadline → deadline.
  renameProperty(doc, doc.paths[`${actions}request-quotes`].post.requestBody, 'quoteDeadline', 'deadline');
  // 3. A response field renamed: the order list's continuationToken → nextPageToken.
  renameProperty(doc, doc.paths['/api/v1/orders'].get.responses['200'], 'continuationToken', 'nextPageToken');
  return doc;
}

function compilerOptions(): ts.CompilerOptions {
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  return ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT).options;
}

/** Type errors in FILES when client/schema.d.ts reads `schema`, as `file:line: message` (line text included). */
function typeErrors(schema: string, options: ts.CompilerOptions, oldProgram?: ts.Program) {
  const host = ts.createCompilerHost(options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, language, onError, createNew) =>
    fileName === SCHEMA
      ? ts.createSourceFile(fileName, schema, language, true)
      : getSourceFile(fileName, language, onError, createNew);
  const program = ts.createProgram({ rootNames: FILES, options, host, ...(oldProgram ? { oldProgram } : {}) });
  const errors = FILES.flatMap((file) =>
    program.getSemanticDiagnostics(program.getSourceFile(file)).map((d) => {
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start!);
      const text = d.file!.text.split('\n')[line]!.trim();
      return {
        file: file.slice(ROOT.length + 1),
        line: line + 1,
        text,
        message: ts.flattenDiagnosticMessageText(d.messageText, ' '),
      };
    }),
  );
  return { program, errors };
}

let original: Json;
let options: ts.CompilerOptions;
let baseline: ReturnType<typeof typeErrors>;

beforeAll(async () => {
  original = await servedOpenApiDocument();
  options = compilerOptions();
  baseline = typeErrors((await generateClientFiles(original))['schema.d.ts']!, options);
}, 180_000);

describe('a contract break is a type error in the end-to-end tests', () => {
  it('the current document: the e2e files typecheck clean against the client generated from it', () => {
    expect(baseline.program.getSourceFile(SCHEMA)).toBeDefined();
    expect(baseline.errors).toEqual([]);
  });

  it('the client has one operation per action of the domain, no more, no fewer (a type-level check)', () => {
    // Table-driven tests (orders-matrix) iterate the domain's API_ACTIONS: they and the client agree.
    expectTypeOf<OrderAction>().toEqualTypeOf<ApiAction>();
    expect(Object.keys(original.paths).filter((p) => p.startsWith('/api/v1/orders/{orderId}/actions/')).length).toBeGreaterThan(
      10,
    );
  });

  it('an action, a request field and a response field renamed: each use in the tests is an error', async () => {
    const broken = (await generateClientFiles(breakContract(original)))['schema.d.ts']!;
    expect(broken).toContain('"/api/v1/orders/{orderId}/actions/choose-quote"');
    const { errors } = typeErrors(broken, options, baseline.program);
    const where = (file: string, needle: string) => errors.filter((e) => e.file === file && e.text.includes(needle));

    // The renamed action: every `act(…, 'select-quote', …)` of the lifecycle test and of the shared helper.
    expect(where('test/e2e/order-lifecycle.test.ts', "'select-quote'").length).toBeGreaterThanOrEqual(2);
    expect(where('test/support/stack.ts', "'select-quote'")).toHaveLength(1);
    // The renamed request field: the bodies that still send quoteDeadline.
    expect(where('test/e2e/order-lifecycle.test.ts', 'quoteDeadline').length).toBeGreaterThanOrEqual(2);
    expect(where('test/support/stack.ts', 'quoteDeadline')).toHaveLength(1);
    // The renamed response field: the paging loop that reads continuationToken (moved from api.test.ts
    // to the files that also run against a deployment).
    expect(where('test/e2e/remote/orders.test.ts', '.continuationToken').length).toBeGreaterThanOrEqual(2);
    // Nothing else broke: every error is on a line that uses what changed.
    for (const e of errors)
      expect(e.text, `${e.file}:${e.line} ${e.message}`).toMatch(/select-quote|quoteDeadline|continuationToken/);
  });
});

/**
 * The same for single calls, checked by `npm run typecheck` (which includes test/): each line below
 * must be an error, or the typecheck fails with "Unused '@ts-expect-error' directive". Never called.
 */
export function _callsTheDocumentDoesNotAllow(act: ReturnType<typeof orderActions>) {
  // @ts-expect-error an action the document does not list
  void act('ord_x', 'teleport', 'token');
  // @ts-expect-error reject requires a body with its reason
  void act('ord_x', 'reject', 'token');
  // @ts-expect-error a field the reject body does not have
  void act('ord_x', 'reject', 'token', { reason: 'Duplicada', because: 'x' });
  // @ts-expect-error rate's score is a number
  void act('ord_x', 'rate', 'token', { score: 'five' });
}
