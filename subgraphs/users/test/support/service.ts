import { randomBytes } from 'node:crypto';
import { createLogger, signIdentity, startService, type IdentityClaims, type RunningService } from '@chat4all/common';
import { configSchema, loadServiceConfig, type Config } from '../../src/config';
import { startUsersService, type UsersDependencies } from '../../src/server';
import { createPostgresUserRepository, type MikroOrmUserRepository } from '../../src/store/mikro-orm';
import { migrateDatabase } from '../../src/store/migrate';
import { ensureDatabase } from './postgres';

export interface GraphQLResult<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; field?: string } }[];
}

export interface UsersHarness {
  config: Config;
  repository: MikroOrmUserRepository;
  /** Every SQL statement the service's repository sent, in order. */
  statements: string[];
  url: string;
  /** POSTs a GraphQL operation as the gateway would: with `as` signed into identity headers (none: anonymous). */
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, as?: IdentityClaims, headers?: Record<string, string>): Promise<GraphQLResult<T>>;
  close(): Promise<void>;
}

/**
 * The users service as `main.ts` builds it, on a test database and a free port, with fresh secrets, and a repository
 * that records its SQL. With `bus`, the activity consumer runs too.
 */
export async function startUsersHarness(
  options: Pick<UsersDependencies, 'bus' | 'activity' | 'announcements'> & { env?: Record<string, string> } = {},
): Promise<UsersHarness> {
  const database = await ensureDatabase('chat4all_test');
  const log = createLogger('users-test', process.env.TEST_LOG_LEVEL ?? 'silent');
  await migrateDatabase(database, log);
  const env = {
    ...database,
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    JWT_SECRET: randomBytes(32).toString('base64url'),
    IDENTITY_SIGNING_KEY: randomBytes(32).toString('base64url'),
    ...options.env,
  };
  const config = loadServiceConfig(env);
  const statements: string[] = [];
  const repository = await createPostgresUserRepository(config, { onQuery: (sql) => statements.push(sql) });
  let service: RunningService;
  try {
    service = await startService(
      {
        name: 'users-test',
        configSchema,
        start: (context) =>
          startUsersService(context, { bus: options.bus, activity: options.activity, announcements: options.announcements, repository, checkDatabase: () => repository.checkConnection() }),
      },
      { env, host: '127.0.0.1' },
    );
  } catch (error) {
    await repository.close();
    throw error;
  }
  const url = `http://127.0.0.1:${service.port}/graphql`;

  return {
    config,
    repository,
    statements,
    url,
    async gql<T>(query: string, variables: Record<string, unknown> = {}, as?: IdentityClaims, headers: Record<string, string> = {}) {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(as ? signIdentity(as, config.IDENTITY_SIGNING_KEY) : {}),
          ...headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as Omit<GraphQLResult<T>, 'status'>;
      return { status: response.status, ...body };
    },
    async close() {
      await service.stop('test finished');
      await repository.close();
    },
  };
}
