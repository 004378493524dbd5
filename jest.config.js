// One jest run covers every workspace. Suites that need the real engines live in
// `*.int.test.ts` files; `npm test` brings the engines up before running them.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] };
const roots = ['<rootDir>/common', '<rootDir>/gateway', '<rootDir>/subgraphs', '<rootDir>/workers', '<rootDir>/connectors', '<rootDir>/infra', '<rootDir>/test'];
const shared = { transform, roots, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'] };

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', '\\.int\\.test\\.ts$'] },
    { ...shared, displayName: 'integration', testMatch: ['**/*.int.test.ts'], testPathIgnorePatterns: ['/node_modules/'] },
  ],
};

// jose 6 ships only ES modules, which jest's CommonJS runtime cannot require on Node 20: compile it with swc too.
for (const project of module.exports.projects) {
  project.transform = { ...project.transform, '^.+/node_modules/jose/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
  project.transformIgnorePatterns = ['/node_modules/(?!jose/)'];
}
