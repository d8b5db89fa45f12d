// @ts-check
import tseslint from 'typescript-eslint';

const SDKS = ['@azure/*', '@sendgrid/*', 'jose', 'zod', 'node:*', 'fs', 'http', 'https', 'crypto'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.local/**', 'coverage/**', 'bench/results.json'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The boundary rule: the domain is pure. No SDK, no I/O, no platform, nothing from the edges.
    files: ['shared/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: SDKS, message: 'domain/ is pure: no SDKs, no I/O.' },
            {
              group: ['**/application/**', '**/adapters/**', '**/platform/**', '**/functions/**', '**/local/**'],
              message: 'domain/ depends on nothing outside domain/.',
            },
          ],
        },
      ],
    },
  },
  {
    // Use cases declare ports; adapters implement them. The application never reaches outward.
    files: ['shared/application/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@azure/*', '@sendgrid/*', 'jose'], message: 'application/ talks to the world through ports.' },
            {
              group: ['**/adapters/**', '**/platform/**', '**/functions/**', '**/local/**'],
              message: 'application/ depends only on domain/ and its own ports.',
            },
          ],
        },
      ],
    },
  },
  {
    // Shared code never depends on the entry points or the local runtime.
    files: ['shared/**/*.ts'],
    ignores: ['shared/domain/**', 'shared/application/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['**/functions/**', '**/local/**'], message: 'shared/ must not depend on functions/ or local/.' }],
        },
      ],
    },
  },
  {
    // Function files are thin: they read the trigger, call a ready use case (functions/wiring.ts) and
    // shape the answer. Domain objects and events are built by the domain's decisions and factories,
    // reached through the use cases — never in a function file. Precisely, under functions/:
    // - from domain/, only types and the domain's vocabularies and tables (SCREAMING_CASE constants:
    //   statuses, roles, the state table the OpenAPI document describes) may be imported; a function
    //   or class (factory, decision, constructor) may not. Every runtime export of domain/ that
    //   builds something is camelCase or PascalCase, so the name pattern is exact;
    // - the application's event and message builders may not be imported;
    // - no object literal may carry an event envelope's fields: `dataVersion`, or `type` set to a
    //   dotted event type ('order.submitted'). HTTP bodies, problems and trigger options have neither.
    files: ['functions/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/domain/**'],
              allowImportNamePattern: '^[A-Z][A-Z0-9_]*$',
              allowTypeImports: true,
              message:
                'functions/ builds no domain objects: call a use case (functions/wiring.ts); only types and SCREAMING_CASE vocabularies come from domain/.',
            },
            {
              group: ['**/application/context', '**/application/messaging', '**/application/events/retry'],
              importNames: ['toEvents', 'messageFor', 'retryMessage'],
              message: 'functions/ builds no events or messages: the use cases do.',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "Property[key.name='dataVersion']",
          message: 'functions/ builds no events: the envelope is built by a use case.',
        },
        {
          selector: "Property[key.name='type'][value.type='Literal'][value.value=/^[a-z]+\\.[a-z-]+$/]",
          message: 'functions/ builds no events: the envelope is built by a use case.',
        },
      ],
    },
  },
);
