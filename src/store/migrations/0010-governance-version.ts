import { type Kysely, sql } from 'kysely';

// A counter per instance that every change to who holds which grant moves (grants, role
// members, IAM group members): a cached grant set stays valid while it holds, on every replica.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('instances')
    .addColumn('governance_version', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE instances DROP COLUMN governance_version`.execute(db);
}
