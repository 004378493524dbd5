import { randomUUID } from 'node:crypto';
import {
  DefaultLogger,
  ForeignKeyConstraintViolationException,
  QueryOrder,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import type { FilterQuery, LogContext, LoggerOptions, MikroORM as AnyMikroORM, Options } from '@mikro-orm/core';
import type { Options as PostgresOptions } from '@mikro-orm/postgresql';
import { MikroORM } from '@mikro-orm/postgresql';
import type { AbstractSqlDriver, SqlEntityManager } from '@mikro-orm/postgresql';
import { isUuid, type Logger, type PostgresConfig } from '@chat4all/common';
import { decodeConversationCursor, encodeConversationCursor } from './cursor';
import { ConversationMemberSchema, ConversationSchema, UserSchema, userStoreEntities } from './entities';
import type { ConversationMemberRow, ConversationRow, UserRow } from './entities';
import { userStoreMigrations } from './migrations';
import {
  ConversationNotFoundError,
  MAX_PAGE_SIZE,
  normalizeUsername,
  memberOfKey,
  UsernameTakenError,
  UserNotFoundError,
} from './port';
import type { Conversation, ConversationPage, ConversationTouch, MemberOf, NewConversation, NewUser, PageRequest, User, UserRepository } from './port';

export interface OrmHooks {
  /** Where MikroORM's own messages go (debug level); silent when absent. */
  log?: Logger;
  /** Called with every SQL statement sent, e.g. to count round trips in tests. */
  onQuery?: (sql: string) => void;
}

/** Passes each statement to a hook before MikroORM's usual (normally silent) query logging. */
class HookedLogger extends DefaultLogger {
  constructor(
    options: LoggerOptions,
    private readonly onQuery: ((sql: string) => void) | undefined,
  ) {
    super(options);
  }

  override logQuery(context: { query: string } & LogContext): void {
    this.onQuery?.(context.query);
    super.logQuery(context);
  }
}

export type SharedOrmOptions = Pick<Options, 'entities' | 'discovery' | 'metadataCache' | 'migrations' | 'logger' | 'loggerFactory'>;

/**
 * Options every SQL driver shares (PostgreSQL here, PGlite in `./pglite.ts`; CockroachDB later): the entity schemas,
 * the migration classes listed explicitly, and no file-system discovery or metadata cache.
 */
export function userStoreOrmOptions(hooks: OrmHooks = {}): SharedOrmOptions {
  const { log, onQuery } = hooks;
  return {
    entities: userStoreEntities,
    discovery: { disableDynamicFileAccess: true },
    metadataCache: { enabled: false },
    migrations: {
      migrationsList: userStoreMigrations,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
    },
    logger: (message: string) => log?.debug({ component: 'mikro-orm' }, message),
    loggerFactory: (options: LoggerOptions) => new HookedLogger(options, onQuery),
  };
}

export function postgresOrmOptions(config: PostgresConfig, hooks: OrmHooks = {}): PostgresOptions {
  return {
    ...userStoreOrmOptions(hooks),
    clientUrl: config.DATABASE_URL,
    pool: { min: 0, max: 5 },
    // Creating the database is the infrastructure's job; skip the existence check on every start.
    ensureDatabase: false,
  };
}

/** Opens the PostgreSQL-backed repository (the schema must have been migrated). */
export async function createPostgresUserRepository(config: PostgresConfig, hooks: OrmHooks = {}): Promise<MikroOrmUserRepository> {
  const orm = await MikroORM.init(postgresOrmOptions(config, hooks));
  return new MikroOrmUserRepository(orm);
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    passwordHash: row.passwordHash,
    createdAt: row.createdAt,
  };
}

function toConversation(row: Pick<ConversationRow, 'id' | 'title' | 'createdAt' | 'lastActivityAt'>): Conversation {
  return { id: row.id, title: row.title, createdAt: row.createdAt, lastActivityAt: row.lastActivityAt };
}

/** `?, ?, ?` for a statement's `in (…)` list. */
function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}

/** A timestamptz column as the driver returns it (a Date from pg and PGlite; a string from a driver that does not parse). */
function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

// The hot read paths (every federated page asks for users, conversations and members by id) go as plain statements:
// entity hydration, the identity map and the query builder were half of this service's CPU per request.
const SELECT_USERS = 'select "id", "username", "display_name", "password_hash", "created_at" from "users" where "id" in';
const SELECT_CONVERSATIONS = 'select "id", "title", "created_at", "last_activity_at" from "conversations" where "id" in';

interface UserSqlRow {
  id: string;
  username: string;
  display_name: string;
  password_hash: string;
  created_at: Date | string;
}

interface ConversationSqlRow {
  id: string;
  title: string | null;
  created_at: Date | string;
  last_activity_at: Date | string;
}

/** A conversation from a plain statement's snake_case row. */
function conversationFromSql(row: ConversationSqlRow): Conversation {
  return { id: row.id, title: row.title, createdAt: toDate(row.created_at), lastActivityAt: toDate(row.last_activity_at) };
}

/** The UserRepository on any MikroORM SQL driver. */
export class MikroOrmUserRepository implements UserRepository {
  private closing: Promise<void> | undefined;

  /** `afterClose` releases what the adapter opened beside the ORM (PGlite's database and its folder lock). */
  constructor(
    private readonly orm: AnyMikroORM<AbstractSqlDriver>,
    private readonly afterClose?: () => Promise<void>,
  ) {}

  /** A fresh fork per operation: the identity map never carries entities from one request to the next. */
  private em(): SqlEntityManager {
    return this.orm.em.fork() as SqlEntityManager;
  }

  /** One plain statement's rows (MikroORM binds the values, escaped; the statement hooks still see it). */
  private rows<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    return this.orm.em.getConnection().execute<T[]>(sql, [...params], 'all');
  }

  async createUser({ username, displayName, passwordHash }: NewUser): Promise<User> {
    const row: UserRow = {
      id: randomUUID(),
      username,
      usernameNormalized: normalizeUsername(username),
      displayName,
      passwordHash,
      createdAt: new Date(),
    };
    try {
      await this.em().insert(UserSchema, row);
    } catch (error) {
      // The id is a fresh random uuid, so the only unique index that can clash is the username's.
      if (error instanceof UniqueConstraintViolationException) throw new UsernameTakenError(username);
      throw error;
    }
    return toUser(row);
  }

  async findUserById(id: string): Promise<User | null> {
    if (!isUuid(id)) return null;
    const row = await this.em().findOne(UserSchema, { id });
    return row ? toUser(row) : null;
  }

  async findUsersByIds(ids: readonly string[]): Promise<(User | null)[]> {
    const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
    const rows = wanted.length === 0 ? [] : await this.rows<UserSqlRow>(`${SELECT_USERS} (${placeholders(wanted.length)})`, wanted);
    const byId = new Map(
      rows.map((row) => [
        row.id,
        { id: row.id, username: row.username, displayName: row.display_name, passwordHash: row.password_hash, createdAt: toDate(row.created_at) },
      ]),
    );
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
  }

  async findUserByUsername(username: string): Promise<User | null> {
    const row = await this.em().findOne(UserSchema, { usernameNormalized: normalizeUsername(username) });
    return row ? toUser(row) : null;
  }

  async createConversation({ title, memberIds }: NewConversation): Promise<Conversation> {
    const members = [...new Set(memberIds.map((id) => id.toLowerCase()))];
    const invalid = members.filter((id) => !isUuid(id));
    if (invalid.length > 0) throw new UserNotFoundError(invalid);
    const now = new Date();
    const conversation = { id: randomUUID(), title, createdAt: now, lastActivityAt: now };

    // The connection's transaction, not `em.transactional`: that one runs in an AsyncLocalStorage, and on Node 20 the
    // first `run` of any AsyncLocalStorage turns on promise hooks for the whole process, for good (they were ~10% of
    // this service's CPU under read load, long after the last conversation was created).
    const em = this.em();
    await em.getConnection().transactional(async (ctx) => {
      if (members.length > 0) {
        const found = await em.find(UserSchema, { id: { $in: members } }, { fields: ['id'], ctx });
        const known = new Set(found.map((user) => user.id));
        const missing = members.filter((id) => !known.has(id));
        if (missing.length > 0) throw new UserNotFoundError(missing);
      }
      await em.insert(ConversationSchema, conversation, { ctx });
      if (members.length > 0) {
        await em.insertMany(
          ConversationMemberSchema,
          members.map((user) => ({ conversation: conversation.id, user, joinedAt: now })),
          { ctx },
        );
      }
    });
    return { ...conversation };
  }

  async addMember(conversationId: string, userId: string): Promise<boolean> {
    if (!isUuid(conversationId)) throw new ConversationNotFoundError(conversationId);
    if (!isUuid(userId)) throw new UserNotFoundError([userId]);
    const em = this.em();
    try {
      // ON CONFLICT DO NOTHING: PostgreSQL, CockroachDB and PGlite all have it, and it makes the
      // call idempotent without a read-then-write race.
      const result = await em
        .createQueryBuilder(ConversationMemberSchema)
        .insert({ conversation: conversationId, user: userId, joinedAt: new Date() })
        .onConflict(['conversation', 'user'])
        .ignore()
        .execute('run');
      return result.affectedRows > 0;
    } catch (error) {
      // The query builder hands back the driver's own error; map it like the entity manager does.
      const converted = error instanceof Error ? em.getDriver().convertException(error) : error;
      if (!(converted instanceof ForeignKeyConstraintViolationException)) throw error;
      const conversation = await em.findOne(ConversationSchema, { id: conversationId }, { fields: ['id'] });
      if (!conversation) throw new ConversationNotFoundError(conversationId);
      throw new UserNotFoundError([userId]);
    }
  }

  async removeMember(conversationId: string, userId: string): Promise<boolean> {
    if (!isUuid(conversationId)) throw new ConversationNotFoundError(conversationId);
    const em = this.em();
    // A malformed user id cannot be a member: nothing to delete, but a missing conversation is still reported.
    if (isUuid(userId) && (await em.nativeDelete(ConversationMemberSchema, { conversation: conversationId, user: userId })) > 0) return true;
    const conversation = await em.findOne(ConversationSchema, { id: conversationId }, { fields: ['id'] });
    if (!conversation) throw new ConversationNotFoundError(conversationId);
    return false;
  }

  async isMember(conversationId: string, userId: string): Promise<boolean> {
    if (!isUuid(conversationId) || !isUuid(userId)) return false;
    const count = await this.em().count(ConversationMemberSchema, { conversation: conversationId, user: userId });
    return count > 0;
  }

  async memberIds(conversationId: string): Promise<string[]> {
    if (!isUuid(conversationId)) return [];
    const rows = await this.em().find(
      ConversationMemberSchema,
      { conversation: conversationId },
      { orderBy: [{ joinedAt: QueryOrder.ASC }, { user: QueryOrder.ASC }] },
    );
    // Unpopulated relations are references that still carry their primary key.
    return rows.map((row) => row.user.id);
  }

  async findConversationsByIds(ids: readonly string[]): Promise<(Conversation | null)[]> {
    const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
    const rows = wanted.length === 0 ? [] : await this.rows<ConversationSqlRow>(`${SELECT_CONVERSATIONS} (${placeholders(wanted.length)})`, wanted);
    const byId = new Map(rows.map((row): [string, Conversation] => [row.id, conversationFromSql(row)]));
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
  }

  async findConversationsForMembers(pairs: readonly MemberOf[]): Promise<(Conversation | null)[]> {
    const wanted = new Map<string, MemberOf>();
    for (const pair of pairs) {
      if (isUuid(pair.conversationId) && isUuid(pair.userId)) wanted.set(memberOfKey(pair), pair);
    }
    const params = [...wanted.values()].flatMap(({ conversationId, userId }) => [conversationId.toLowerCase(), userId.toLowerCase()]);
    const rows =
      wanted.size === 0
        ? []
        : await this.rows<ConversationSqlRow & { user_id: string }>(
            // The member table's primary key answers each pair; the join drops pairs that are not members.
            `select c."id", c."title", c."created_at", c."last_activity_at", m."user_id" from "conversation_members" m join "conversations" c on c."id" = m."conversation_id" where (m."conversation_id", m."user_id") in (${Array.from({ length: wanted.size }, () => '(?, ?)').join(', ')})`,
            params,
          );
    const found = new Map(rows.map((row): [string, Conversation] => [memberOfKey({ conversationId: row.id, userId: row.user_id }), conversationFromSql(row)]));
    return pairs.map((pair) => found.get(memberOfKey(pair)) ?? null);
  }

  async memberIdsOf(conversationIds: readonly string[]): Promise<string[][]> {
    const wanted = [...new Set(conversationIds.filter(isUuid).map((id) => id.toLowerCase()))];
    const rows =
      wanted.length === 0
        ? []
        : await this.rows<{ conversation_id: string; user_id: string }>(
            `select "conversation_id", "user_id" from "conversation_members" where "conversation_id" in (${placeholders(wanted.length)}) order by "joined_at" asc, "user_id" asc`,
            wanted,
          );
    const byConversation = new Map<string, string[]>();
    for (const row of rows) {
      const members = byConversation.get(row.conversation_id) ?? [];
      members.push(row.user_id);
      byConversation.set(row.conversation_id, members);
    }
    // Fresh arrays per entry: callers may hold on to (or change) one without affecting another.
    return conversationIds.map((id) => [...(byConversation.get(id.toLowerCase()) ?? [])]);
  }

  async conversationIdsOf(userIds: readonly string[]): Promise<string[][]> {
    const wanted = [...new Set(userIds.filter(isUuid).map((id) => id.toLowerCase()))];
    const rows =
      wanted.length === 0
        ? []
        : await this.rows<{ conversation_id: string; user_id: string }>(
            `select "conversation_id", "user_id" from "conversation_members" where "user_id" in (${placeholders(wanted.length)}) order by "user_id" asc, "conversation_id" asc`,
            wanted,
          );
    const byUser = new Map<string, string[]>();
    for (const row of rows) {
      const conversations = byUser.get(row.user_id) ?? [];
      conversations.push(row.conversation_id);
      byUser.set(row.user_id, conversations);
    }
    return userIds.map((id) => [...(byUser.get(id.toLowerCase()) ?? [])]);
  }

  async listConversationsForUser(userId: string, { first, after }: PageRequest): Promise<ConversationPage> {
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
      throw new RangeError(`first must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    }
    const cursor = after ? decodeConversationCursor(after) : null;
    if (!isUuid(userId)) return { items: [], endCursor: null, hasNextPage: false };

    // Starting from the membership row keeps the join to-one: one plain query, no pagination wrapper.
    const where: FilterQuery<ConversationMemberRow> = cursor
      ? {
          user: userId,
          conversation: {
            $or: [
              { lastActivityAt: { $lt: cursor.lastActivityAt } },
              { lastActivityAt: cursor.lastActivityAt, id: { $lt: cursor.id } },
            ],
          },
        }
      : { user: userId };
    // One row more than asked tells whether another page follows.
    const memberships = await this.em().find(ConversationMemberSchema, where, {
      populate: ['conversation'],
      strategy: 'joined',
      orderBy: [{ conversation: { lastActivityAt: QueryOrder.DESC } }, { conversation: { id: QueryOrder.DESC } }],
      limit: first + 1,
    });
    const rows = memberships.map((membership) => membership.conversation);
    const items = rows.slice(0, first).map(toConversation);
    const last = items.at(-1);
    return {
      items,
      endCursor: last ? encodeConversationCursor(last) : null,
      hasNextPage: rows.length > first,
    };
  }

  async touchConversation(conversationId: string, at: Date): Promise<boolean> {
    return (await this.touchConversations([{ conversationId, at }])) > 0;
  }

  async touchConversations(touches: readonly ConversationTouch[]): Promise<number> {
    // One row per conversation, its latest time: an UPDATE … FROM that joins a target row twice picks either. The
    // condition makes the forward-only rule hold under concurrent touches too; a plain statement (the query builder's
    // cost per call showed in the pipeline's CPU).
    const latest = new Map<string, Date>();
    for (const { conversationId, at } of touches) {
      if (!isUuid(conversationId)) continue;
      const id = conversationId.toLowerCase();
      const known = latest.get(id);
      if (known === undefined || at > known) latest.set(id, at);
    }
    if (latest.size === 0) return 0;
    const rows = [...latest].map(() => '(?::uuid, ?::timestamptz)').join(', ');
    const params = [...latest].flatMap(([id, at]) => [id, at.toISOString()]);
    const result = await this.orm.em
      .getConnection()
      .execute<{ affectedRows: number }>(
        `update "conversations" as c set "last_activity_at" = v.at from (values ${rows}) as v(id, at) where c."id" = v.id and c."last_activity_at" < v.at`,
        params,
        'run',
      );
    return result.affectedRows;
  }

  /** For readiness probes: empty when the database answers, else why not. */
  async checkConnection(): Promise<string[]> {
    const result = await this.orm.checkConnection();
    return result.ok ? [] : [`database: ${result.reason}`];
  }

  /** Closing twice closes once (the service and its owner may both call it). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.orm.close();
      await this.afterClose?.();
    })();
    return this.closing;
  }
}
