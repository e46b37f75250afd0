// Two tiers, as STYLE.md says: pure unit specs beside the code, and integration specs against the real
// local stack (Kafka, Postgres, Redis), which run in band so that fault-injecting specs never overlap.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];
const moduleNameMapper = {
  '^@sp/(auth|contracts|domain|messaging|persistence|platform|testing)$': '<rootDir>/libs/$1/src/index.ts',
  '^@sp/infra$': '<rootDir>/infra/src/index.ts',
};
const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper,
  modulePathIgnorePatterns: ['<rootDir>/.cache/', '<rootDir>/dist/'],
};
module.exports = {
  // Integration specs wait on real brokers and databases; unit specs finish long before this.
  testTimeout: 180000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{libs,services,infra,scripts,e2e,deploy}/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{libs,services,infra,scripts,e2e}/**/*.int-spec.ts'],
      // The chaos suite breaks whole platforms for minutes: it runs on its own (npm run test:chaos).
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/e2e/chaos/'],
      globalSetup: '<rootDir>/libs/testing/src/jest-global-setup.ts',
      setupFilesAfterEnv: ['<rootDir>/libs/testing/src/jest-direct-console.ts'],
      slowTestThreshold: 30,
    },
    {
      ...common,
      displayName: 'chaos',
      testMatch: ['<rootDir>/e2e/chaos/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/jest-global-setup.ts',
      setupFilesAfterEnv: ['<rootDir>/libs/testing/src/jest-direct-console.ts'],
      slowTestThreshold: 600,
    },
  ],
};
