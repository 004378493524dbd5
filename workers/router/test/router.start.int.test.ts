import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { cassandraEnv, createLogger, loadConfig } from '@chat4all/common';
import { migrateCassandra } from '@chat4all/messages';
import { runRouterToExit } from './support/router-process';

jest.setTimeout(120_000);

// The router checks its dependencies before consuming anything and stops with one line naming what is missing.
const base = { CHAT4ALL_PROFILE: 'local', PORT: '0', LOG_LEVEL: 'warn' };
const KEYSPACE = 'chat4all_router_test';

beforeAll(async () => {
  await migrateCassandra({ ...loadConfig(z.object(cassandraEnv)), CASSANDRA_KEYSPACE: KEYSPACE }, createLogger('router-start-test', 'warn'));
});

test('refuses to start on a keyspace that is not migrated', async () => {
  const { code, stderr } = await runRouterToExit({ ...base, CASSANDRA_KEYSPACE: 'chat4all_router_never_migrated' });
  expect(code).toBe(1);
  expect(stderr).toMatch(/^router: failed to start: cassandra is not migrated: missing Cassandra keyspace chat4all_router_never_migrated.*npm run migrate/m);
});

test('refuses to start when its Kafka topics do not exist', async () => {
  const prefix = `test-missing-${randomUUID().slice(0, 8)}.`;
  const { code, stderr } = await runRouterToExit({ ...base, KAFKA_TOPIC_PREFIX: prefix, CASSANDRA_KEYSPACE: KEYSPACE });
  expect(code).toBe(1);
  expect(stderr).toContain(`router: failed to start: event bus is not migrated: missing Kafka topic ${prefix}messages.accepted`);
});

test('refuses to start with an unusable rule table, naming ROUTING_RULES', async () => {
  const { code, stderr } = await runRouterToExit({ ...base, ROUTING_RULES: '[{"prefix":"@","channel":"INSTAGRAM"}]' });
  expect(code).toBe(1);
  expect(stderr).toMatch(/^router: invalid configuration: ROUTING_RULES: exactly one \{"default": CHANNEL\} rule/);
});
