// Lint rules for the whole package: the recommended sets, type-aware where it pays.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { partRules } from './eslint.parts.js';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'console/dist/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', fetch: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // lib/text-order.ts: byText orders the same on every host and loads no ICU collator
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', { selector: "CallExpression[callee.property.name='localeCompare']", message: 'Sort by byText (src/lib/text-order.ts): localeCompare loads an ICU collator and depends on the locale.' }],
    },
  },
  ...partRules,
);
