// Lint: typed rules for promises and exhaustive switches, Prettier for format, and Nx module
// boundaries so that the folders keep telling the architecture (STYLE.md, "Boundaries").
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const services = [
  'gateway',
  'referral-intake',
  'consent',
  'matching',
  'vcso-capacity',
  'commissioning-metrics',
];
const io = [
  'typeorm',
  'pg',
  'kafkajs',
  'ioredis',
  'bullmq',
  'fs',
  'node:fs',
  'http',
  'node:http',
  'net',
  'node:net',
];

/** Who may import whom. Specs and test fixtures may also use the test harness, the stack and persistence. */
function constraints(forTests) {
  const testDeps = forTests ? ['type:testing', 'type:infra', 'type:persistence', 'type:messaging'] : [];
  const list = [
    { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
    // A service imports shared libs and itself, never another service.
    ...services.map((s) => ({
      sourceTag: `scope:${s}`,
      onlyDependOnLibsWithTags: ['scope:shared', `scope:${s}`],
    })),
    {
      sourceTag: 'type:service',
      onlyDependOnLibsWithTags: [
        'type:platform',
        'type:messaging',
        'type:persistence',
        'type:auth',
        'type:contracts',
        'type:domain',
        'type:testing',
      ],
    },
    {
      sourceTag: 'type:platform',
      onlyDependOnLibsWithTags: [
        'type:messaging',
        'type:persistence',
        'type:auth',
        'type:contracts',
        'type:domain',
      ],
    },
    { sourceTag: 'type:messaging', onlyDependOnLibsWithTags: ['type:contracts', 'type:domain'] },
    { sourceTag: 'type:persistence', onlyDependOnLibsWithTags: ['type:domain'] },
    { sourceTag: 'type:auth', onlyDependOnLibsWithTags: ['type:domain'] },
    {
      sourceTag: 'type:contracts',
      onlyDependOnLibsWithTags: ['type:domain'],
      bannedExternalImports: ['@nestjs/*', ...io],
    },
    {
      sourceTag: 'type:domain',
      onlyDependOnLibsWithTags: [],
      bannedExternalImports: ['@nestjs/*', 'class-validator', 'class-transformer', ...io],
    },
    {
      sourceTag: 'type:infra',
      onlyDependOnLibsWithTags: ['type:contracts', 'type:persistence', 'type:domain'],
    },
    {
      sourceTag: 'type:testing',
      onlyDependOnLibsWithTags: [
        'type:infra',
        'type:platform',
        'type:messaging',
        'type:persistence',
        'type:auth',
        'type:contracts',
        'type:domain',
      ],
    },
  ];
  return list.map((c) =>
    c.onlyDependOnLibsWithTags && c.sourceTag.startsWith('type:')
      ? { ...c, onlyDependOnLibsWithTags: [...new Set([...c.onlyDependOnLibsWithTags, ...testDeps])] }
      : c,
  );
}

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      '.cache/**',
      '.nx/**',
      'coverage/**',
      'test-artifacts/**',
      '**/*.js',
      '**/*.mjs',
      // The console's browser modules are linted (block below); every other .js is generated or vendored.
      '!services/gateway/console/**/*.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { plugins: { '@nx': nx } },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'kafkajs', message: 'kafkajs stays inside libs/messaging: use @sp/messaging.' }] },
      ],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          // The service list is data shared by the stack script and the services' bootstrap.
          allow: ['../../../infra/services.json'],
          depConstraints: constraints(false),
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/test/**/*.ts', 'e2e/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        { allow: ['../../../infra/services.json'], depConstraints: constraints(true) },
      ],
    },
  },
  {
    // The messaging layer owns kafkajs; the stack script runs the broker itself; the benchmark's
    // baseline is raw kafkajs by definition.
    files: ['libs/messaging/**/*.ts', 'infra/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // The web console: plain ES modules run by the browser, no build step and no Node globals.
    files: ['services/gateway/console/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      ecmaVersion: 2022,
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'history',
          'sessionStorage',
          'fetch',
          'console',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'clearInterval',
          'URLSearchParams',
          'AbortController',
          'TextDecoderStream',
          'Node',
          'CSS',
          'Intl',
        ].map((name) => [name, 'readonly']),
      ),
    },
    rules: { 'no-undef': 'error', 'no-console': ['error', { allow: ['warn', 'error'] }] },
  },
  {
    // The AsyncAPI generator is the one place in contracts allowed to write a file.
    files: ['libs/contracts/src/generate-asyncapi.ts', 'libs/contracts/src/**/*.spec.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  prettier,
);
