import { Migration } from '@mikro-orm/migrations';

/**
 * Users, conversations and memberships. Generated from the entity schemas by MikroORM's migrator, then
 * committed; the SQL sticks to what PostgreSQL, CockroachDB and PGlite all accept.
 */
export class Migration20261126000000Initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "conversations" ("id" uuid not null, "title" varchar(200) null, "created_at" timestamptz not null, "last_activity_at" timestamptz not null, constraint "conversations_pkey" primary key ("id"));`,
    );

    this.addSql(
      `create table "users" ("id" uuid not null, "username" varchar(64) not null, "username_normalized" varchar(64) not null, "display_name" varchar(128) not null, "password_hash" text not null, "created_at" timestamptz not null, constraint "users_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "users" add constraint "users_username_normalized_unique" unique ("username_normalized");`);

    this.addSql(
      `create table "conversation_members" ("conversation_id" uuid not null, "user_id" uuid not null, "joined_at" timestamptz not null, constraint "conversation_members_pkey" primary key ("conversation_id", "user_id"));`,
    );
    this.addSql(`create index "conversation_members_user_id_index" on "conversation_members" ("user_id");`);

    this.addSql(
      `alter table "conversation_members" add constraint "conversation_members_conversation_id_foreign" foreign key ("conversation_id") references "conversations" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "conversation_members" add constraint "conversation_members_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "conversation_members" cascade;`);
    this.addSql(`drop table if exists "users" cascade;`);
    this.addSql(`drop table if exists "conversations" cascade;`);
  }
}
