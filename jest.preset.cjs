// Shared jest settings: TypeScript sources are compiled by SWC to CommonJS for the tests,
// and workspace packages resolve to their sources, so a test never runs stale builds.
const path = require('node:path');

const root = __dirname;

module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': [
      '@swc/jest',
      {
        jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleNameMapper: {
    '^@titok/(core|io|tokenizer|generator|cli)$': path.join(root, 'packages/$1/src/index.ts'),
    '^@titok/(core|io|tokenizer|generator|cli)/(.*)$': path.join(root, 'packages/$1/src/$2'),
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testTimeout: 300000,
  maxWorkers: 1,
};
