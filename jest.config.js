// Three projects so each layer can run alone: `npm run test:unit`, `test:integration`, `test:e2e`.
// `testTimeout` is a global option (jest ignores it inside a project): 2 minutes covers the integration
// tests that upload synthetic models; e2e files raise it for themselves with jest.setTimeout.
// Tests are transpiled file by file (isolatedModules: fast); `npm test` typechecks the whole tree with tsc first.
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.jest.json', diagnostics: false }];
// Scratch directories are not part of the module map: an installed plugin there (the plugin:pack e2e test)
// carries a package.json named pulumi-ark, which would collide with the repository's own.
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': tsJest },
  moduleFileExtensions: ['ts', 'js', 'json'],
  modulePathIgnorePatterns: ['<rootDir>/tmp/', '<rootDir>/dist-plugin/'],
};
module.exports = {
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{provider,emulator,scripts}/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/tests/integration/**/*.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/tests/e2e/**/*.test.ts'] },
  ],
};
