import { type Kysely, sql } from 'kysely';

// Tables a role owns are found by the role's name in any case (identity credentials): a condition
// lower(owner) = ? searches this index on both databases; the owner index cannot serve it, as
// PostgreSQL's byte-wise range over it is in another collation than the index. Partial: only
// role-owned tables, so other tables' writes do not pay for it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX tables_role_owner_idx ON tables (instance_id, lower(owner)) WHERE owner_type = 'ROLE'`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('tables_role_owner_idx').ifExists().execute();
}
