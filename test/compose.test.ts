// docker-compose.yml and the Dockerfile, checked without Docker: the compose file is read as
// compose reads it and each of our services' environment is loaded through that service's own
// config schema, as it would be at start in production.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { ConfigError, loadConfig, secretDefaults, type Env } from '@chat4all/common';
import { configSchema as gatewaySchema } from '../gateway/src/config';
import { configSchema as usersSchema } from '../subgraphs/users/src/config';
import { configSchema as messagesSchema } from '../subgraphs/messages/src/config';
import { configSchema as filesSchema } from '../subgraphs/files/src/config';
import { configSchema as routerSchema } from '../workers/router/src/config';
import { configSchema as whatsappSchema } from '../connectors/whatsapp/src/config';
import { configSchema as instagramSchema } from '../connectors/instagram/src/config';
import { configSchema as migrateSchema } from '../infra/src/migrate-config';
import {
  dependenciesOf,
  dependencyProblems,
  environmentOf,
  healthzPort,
  interpolate,
  ourEntryScript,
  parseCompose,
  secretsWithoutRequiredVariable,
  unknownEnvKeys,
  type ComposeFile,
} from './compose-checks';

const root = join(__dirname, '..');
const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');

/** What an operator must export before `docker compose up`; test values stand in for the real secrets. */
const composeVars: Env = {
  JWT_SECRET: 'test-jwt-secret-at-least-32-bytes-long!',
  IDENTITY_SIGNING_KEY: 'test-identity-signing-key-32-bytes-long',
  S3_ACCESS_KEY: 'test-s3-access-key',
  S3_SECRET_KEY: 'test-s3-secret-key',
  WHATSAPP_TOKEN: 'test-whatsapp-token',
  WHATSAPP_APP_SECRET: 'test-whatsapp-app-secret',
  INSTAGRAM_TOKEN: 'test-instagram-token',
  INSTAGRAM_APP_SECRET: 'test-instagram-app-secret',
  // Not secrets, but the real platform's: the connectors' defaults name the simulators' accounts.
  WHATSAPP_PHONE_NUMBER_ID: '123456789012345',
  WHATSAPP_VERIFY_TOKEN: 'test-whatsapp-verify-token',
  INSTAGRAM_ACCOUNT_ID: '17841400000000042',
  INSTAGRAM_VERIFY_TOKEN: 'test-instagram-verify-token',
};

const ours: Record<string, { workspace: string; schema: z.ZodObject }> = {
  gateway: { workspace: 'gateway', schema: gatewaySchema },
  users: { workspace: 'subgraphs/users', schema: usersSchema },
  messages: { workspace: 'subgraphs/messages', schema: messagesSchema },
  files: { workspace: 'subgraphs/files', schema: filesSchema },
  router: { workspace: 'workers/router', schema: routerSchema },
  whatsapp: { workspace: 'connectors/whatsapp', schema: whatsappSchema },
  instagram: { workspace: 'connectors/instagram', schema: instagramSchema },
};
const ourNames = Object.keys(ours);
/** Every config schema compose's environments are loaded through: our services', and the migrate job's. */
const schemas: Record<string, z.ZodObject> = { ...Object.fromEntries(ourNames.map((name) => [name, ours[name]!.schema])), migrate: migrateSchema };
const engines = ['kafka', 'cassandra', 'cockroach', 'minio'];

const compose = parseCompose(composeText, composeVars);
const uninterpolated = parseCompose(composeText);

function service(file: ComposeFile, name: string) {
  const found = file.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

describe('docker-compose.yml', () => {
  it('declares the four engines, the migrate job and our seven services', () => {
    expect(Object.keys(compose.services).sort()).toEqual([...engines, 'migrate', ...ourNames].sort());
  });

  it('refuses to start without the secrets, naming the variable', () => {
    const { S3_SECRET_KEY: _omitted, ...partial } = composeVars;
    expect(() => parseCompose(composeText, partial)).toThrow(/S3_SECRET_KEY/);
  });

  // Each of our services, and the migrate job, loaded as it would be at start in production.
  describe.each(Object.keys(schemas))('%s environment', (name) => {
    const schema = schemas[name]!;
    const env = environmentOf(service(compose, name));
    const schemaKeys = Object.keys(schema.shape);

    it('loads through its config schema in production', () => {
      expect(env.CHAT4ALL_PROFILE).toBe('production');
      const config = loadConfig(schema, env) as Record<string, unknown>;
      expect(config.CHAT4ALL_PROFILE).toBe('production');
      // Every value compose sets reaches the config (none is dropped or defaulted over).
      for (const key of Object.keys(env)) expect(config[key]).toBeDefined();
    });

    it('sets only variables its schema knows', () => {
      expect(unknownEnvKeys(schemaKeys, env)).toEqual([]);
    });

    it('points at the engines inside the compose network, not at 127.0.0.1', () => {
      for (const [key, value] of Object.entries(env)) {
        // *_PUBLIC_* addresses are what clients outside the network use (presigned URLs), so they may be localhost.
        if (/BROKERS|CONTACT_POINTS|ENDPOINT|DATABASE_URL|_URL$/.test(key) && !/PUBLIC/.test(key)) expect(`${key}=${value}`).not.toMatch(/127\.0\.0\.1|localhost/);
      }
    });

    it('takes each secret from the caller, without a default, and fails without it', () => {
      const secrets = Object.keys(secretDefaults(schema));
      expect(secretsWithoutRequiredVariable(environmentOf(service(uninterpolated, name)), secrets)).toEqual([]);
      for (const secret of secrets) {
        const { [secret]: _omitted, ...withoutIt } = env;
        const attempt = () => loadConfig(schema, withoutIt);
        expect(attempt).toThrow(ConfigError);
        expect(attempt).toThrow(new RegExp(`^invalid configuration: ${secret}: required when CHAT4ALL_PROFILE=production`));
      }
    });

  });

  describe.each(ourNames)('service %s', (name) => {
    const { workspace, schema } = ours[name]!;
    const env = environmentOf(service(compose, name));

    it('runs its own main.ts from the shared image', () => {
      expect(ourEntryScript(service(compose, name))).toBe(`${workspace}/src/main.ts`);
      expect(service(compose, name).image).toBe(service(compose, 'migrate').image);
    });

    it('has a healthcheck on its own PORT /healthz', () => {
      const port = (loadConfig(schema, env) as { PORT: number }).PORT;
      expect(healthzPort(service(compose, name))).toBe(port);
    });

    it(name === 'gateway' ? 'publishes port 4000' : 'publishes no port', () => {
      expect(service(compose, name).ports ?? []).toEqual(name === 'gateway' ? ['4000:4000'] : []);
    });

    it('waits for the migrate job', () => {
      expect(dependenciesOf(service(compose, name)).migrate).toBe('service_completed_successfully');
    });
  });

  it("has the connectors, which talk to the real Graph API, take its account ids and verify tokens from the caller", () => {
    // Not secrets, so production would start on the simulators' defaults and every send would name the wrong account.
    expect(secretsWithoutRequiredVariable(environmentOf(service(uninterpolated, 'whatsapp')), ['WHATSAPP_PHONE_NUMBER_ID', 'WHATSAPP_VERIFY_TOKEN'])).toEqual([]);
    expect(secretsWithoutRequiredVariable(environmentOf(service(uninterpolated, 'instagram')), ['INSTAGRAM_ACCOUNT_ID', 'INSTAGRAM_VERIFY_TOKEN'])).toEqual([]);
  });

  it('uses a condition on every dependency, and a healthcheck on every service waited for', () => {
    expect(dependencyProblems(compose)).toEqual([]);
  });

  it('runs migrate from the shared image after all four engines are healthy', () => {
    const migrate = service(compose, 'migrate');
    expect(ourEntryScript(migrate)).toBe('infra/src/migrate.ts');
    expect(dependenciesOf(migrate)).toEqual(Object.fromEntries(engines.map((engine) => [engine, 'service_healthy'])));
    expect(migrate.restart).toBe('no');
  });

  it('gives every engine a healthcheck and publishes engine ports on 127.0.0.1 only', () => {
    for (const engine of engines) {
      expect(service(compose, engine).healthcheck?.test).toBeDefined();
      for (const port of service(compose, engine).ports ?? []) expect(String(port)).toMatch(/^127\.0\.0\.1:/);
    }
  });
});

describe('compose checks catch real mistakes', () => {
  const broken = parseCompose(`
services:
  db:
    image: postgres
  job:
    image: app
    restart: "no"
  worker:
    image: app
    healthcheck: { test: ["CMD", "true"] }
    depends_on: [db]
  api:
    image: app
    depends_on:
      db: { condition: service_healthy }
      worker: { condition: service_started }
      job: { condition: service_completed_successfully }
      ghost: { condition: service_healthy }
  late:
    image: app
    depends_on:
      worker: { condition: service_completed_successfully }
`);

  it('flags missing conditions, missing healthchecks, unknown services and misused conditions', () => {
    expect(dependencyProblems(broken)).toEqual([
      'worker → db: condition (none); use service_healthy or service_completed_successfully',
      'api → db: service_healthy, but db has no healthcheck',
      'api → worker: condition service_started; use service_healthy or service_completed_successfully',
      'api → ghost: no such service',
      'late → worker: service_completed_successfully, but worker is not a one-shot job (restart "no", no healthcheck)',
    ]);
  });

  it('flags an environment key the schema does not know', () => {
    const env = { KAFKA_BROKER: 'kafka:9092', PORT: '4010' };
    expect(unknownEnvKeys(Object.keys(routerSchema.shape), env)).toEqual(['KAFKA_BROKER']);
  });

  it('fails to load a service whose compose environment is wrong', () => {
    expect(() => loadConfig(usersSchema, { CHAT4ALL_PROFILE: 'production', PORT: 'http' })).toThrow(/^invalid configuration: PORT:/);
    expect(() => loadConfig(whatsappSchema, { CHAT4ALL_PROFILE: 'production', WHATSAPP_TOKEN: 't' })).toThrow(/WHATSAPP_APP_SECRET/);
  });

  it('flags a secret given a default in the compose file', () => {
    expect(secretsWithoutRequiredVariable({ TOKEN: '${TOKEN:-dev}', OTHER: '${OTHER:?set OTHER}' }, ['TOKEN', 'OTHER', 'ABSENT'])).toEqual([
      'TOKEN',
      'ABSENT',
    ]);
  });

  it('does not take a healthcheck on another port or path for /healthz on PORT', () => {
    const probe = (url: string) => healthzPort({ healthcheck: { test: ['CMD', 'node', '-e', `fetch('${url}')`] } });
    expect(probe('http://127.0.0.1:4001/healthz')).toBe(4001);
    expect(probe('http://127.0.0.1:4001/readyz')).toBeUndefined();
    expect(probe('http://users:4001/healthz')).toBeUndefined();
  });

  it('does not take a service from another image or runner for one of ours', () => {
    expect(ourEntryScript({ build: '.', command: ['node', '--import', 'tsx', 'gateway/src/main.ts'] })).toBe('gateway/src/main.ts');
    expect(ourEntryScript({ image: 'node:20', command: ['node', '--import', 'tsx', 'gateway/src/main.ts'] })).toBeUndefined();
    expect(ourEntryScript({ build: { context: '.', dockerfile: 'Other.Dockerfile' }, command: ['node', '--import', 'tsx', 'x.ts'] })).toBeUndefined();
  });

  it('interpolates like compose', () => {
    const vars: Env = { SET: 'v', EMPTY: '' };
    expect(interpolate('a=${SET} b=$SET c=${UNSET:-d} e=${EMPTY:-f} g=${EMPTY-h} $$SET', vars)).toBe('a=v b=v c=d e=f g= $SET');
    expect(() => interpolate('${EMPTY:?set EMPTY}', vars)).toThrow('required variable EMPTY is missing: set EMPTY');
    expect(interpolate('${EMPTY?set EMPTY}', vars)).toBe('');
  });

  it('reads both environment forms', () => {
    expect(environmentOf({ environment: ['A=1', 'B=x=y', 'C'] })).toEqual({ A: '1', B: 'x=y', C: undefined });
    expect(environmentOf({ environment: { A: 1, B: true, C: null } })).toEqual({ A: '1', B: 'true', C: undefined });
  });
});

describe('Dockerfile', () => {
  const lines = readFileSync(join(root, 'Dockerfile'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stageStarts = lines.flatMap((line, index) => (line.startsWith('FROM ') ? [index] : []));
  const depsStage = lines.slice(stageStarts[0], stageStarts[1]);
  const runtimeStage = lines.slice(stageStarts[1]);
  const workspaces = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;

  it('builds on node:20-bookworm-slim in a deps and a runtime stage', () => {
    expect(stageStarts).toHaveLength(2);
    expect(lines[stageStarts[0]!]).toBe('FROM node:20-bookworm-slim AS deps');
    expect(lines[stageStarts[1]!]).toBe('FROM node:20-bookworm-slim AS runtime');
  });

  it('installs from the lockfile and every workspace manifest before copying sources', () => {
    const npmCi = depsStage.findIndex((line) => /^RUN npm ci\b/.test(line));
    expect(npmCi).toBeGreaterThan(0);
    const copiedBefore = depsStage.slice(0, npmCi).filter((line) => line.startsWith('COPY '));
    expect(copiedBefore).toContain('COPY package.json package-lock.json ./');
    for (const workspace of workspaces) expect(copiedBefore).toContain(`COPY ${workspace}/package.json ${workspace}/`);
    expect(depsStage).not.toContain('COPY . .');
  });

  it('runs the production profile unless told otherwise (no development secrets)', () => {
    expect(runtimeStage).toContain('ENV CHAT4ALL_PROFILE=production');
  });

  it('runs as the node user with the installed modules and the sources', () => {
    expect(runtimeStage).toContain('COPY --from=deps /app ./');
    expect(runtimeStage).toContain('COPY . .');
    expect(runtimeStage).toContain('USER node');
  });

  it('keeps local state out of the build context', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim());
    for (const entry of ['node_modules', '.local', '.git', 'bench/results']) expect(ignored).toContain(entry);
  });
});
