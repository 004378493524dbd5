// One jest run covers every workspace. Suites that need the real engines live in
// `*.int.test.ts` files; `npm test` brings the engines up before running them.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] };
const roots = ['<rootDir>/common', '<rootDir>/gateway', '<rootDir>/subgraphs', '<rootDir>/workers', '<rootDir>/connectors', '<rootDir>/infra', '<rootDir>/test', '<rootDir>/bench'];
const shared = { transform, roots, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'] };

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', '\\.int\\.test\\.ts$'] },
    { ...shared, displayName: 'integration', testMatch: ['**/*.int.test.ts'], testPathIgnorePatterns: ['/node_modules/'] },
  ],
};

// Packages jest's CommonJS runtime cannot load as shipped, compiled with swc too: jose 6 ships only ES modules; PGlite
// and knex-pglite call dynamic import(), which jest's VM refuses without --experimental-vm-modules (swc turns it into
// require, so every project runs without that flag, in band or in workers).
const compiled = ['jose', '@electric-sql/pglite', '@harryplusplus/knex-pglite'].join('|');
for (const project of module.exports.projects) {
  project.transform = { ...project.transform, [`^.+/node_modules/(${compiled})/.+\\.c?js$`]: ['@swc/jest', { jsc: { target: 'es2022' } }] };
  project.transformIgnorePatterns = [`/node_modules/(?!(${compiled})/)`];
}
