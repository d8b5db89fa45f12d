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
);
