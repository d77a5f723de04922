import { Type } from 'typebox';
import type { AppServices } from '../../../services/app-services.js';
import { CONSTRAINT_TYPES, type TablePath as ServiceTablePath } from '../../../services/lakecat/constraint-service.js';
import { type Operation, operation } from '../../operation.js';
import { DatabaseName } from '../../schemas/lakecat.js';
import { TableName, TablePath } from './tables.js';

const GROUP = 'LakeCat/Table Constraint';
const ConstraintType = Type.Union(CONSTRAINT_TYPES.map((v) => Type.Literal(v)));
const ConstraintName = Type.String({ minLength: 1, maxLength: 256, pattern: '^[a-zA-Z0-9\\u4e00-\\u9fa5_]+$' });
const ColumnName = Type.String({
  minLength: 1,
  maxLength: 256,
  pattern: '^[a-zA-Z0-9_\\-+*\\\\(), \\u4e00-\\u9fa5]+$',
});
const KeySequence = Type.Integer({ minimum: 0, maximum: 10000 });
const Rule = Type.Integer({ minimum: 0, maximum: 255 });
const flags = {
  enable_constraint: Type.Boolean(),
  validate_constraint: Type.Boolean(),
  rely_constraint: Type.Boolean(),
};
const Batch = { maxItems: 1000 };

const PrimaryKey = Type.Object({
  column_name: ColumnName,
  primary_key_name: ConstraintName,
  key_sequence: Type.Optional(KeySequence),
  ...flags,
});
const ForeignKey = Type.Object({
  parent_key_database_name: DatabaseName,
  parent_key_table_name: TableName,
  parent_key_column_name: ColumnName,
  // Which key of the parent is referenced; empty: the one over exactly these columns.
  parent_key_name: Type.String({ maxLength: 256, pattern: '^[a-zA-Z0-9\\u4e00-\\u9fa5_]*$' }),
  foreign_key_column_name: ColumnName,
  foreign_key_name: ConstraintName,
  key_sequence: KeySequence,
  update_rule: Rule,
  delete_rule: Rule,
  ...flags,
});
const NotNull = Type.Object({ column_name: ColumnName, constraint_name: ConstraintName, ...flags });
const Unique = Type.Object({
  column_name: ColumnName,
  constraint_name: ConstraintName,
  key_sequence: Type.Optional(KeySequence),
  ...flags,
});
const Check = Type.Object({
  column_name: ColumnName,
  constraint_name: ConstraintName,
  check_expression: Type.Optional(Type.String({ maxLength: 4000 })),
  ...flags,
});
const Default = Type.Object({
  column_name: ColumnName,
  constraint_name: ConstraintName,
  default_value: Type.Optional(Type.String({ maxLength: 4000 })),
  ...flags,
});

const TableConstraintsInput = Type.Object({
  constraint_type: Type.Optional(ConstraintType),
  primary_keys: Type.Optional(Type.Array(PrimaryKey, Batch)),
  foreign_keys: Type.Optional(Type.Array(ForeignKey, Batch)),
  not_null_constraints: Type.Optional(Type.Array(NotNull, Batch)),
  unique_constraints: Type.Optional(Type.Array(Unique, Batch)),
  check_constraints: Type.Optional(Type.Array(Check, Batch)),
  default_constraints: Type.Optional(Type.Array(Default, Batch)),
});

// As listed: each entry names its table (a foreign key its own database and table too).
const shown = {
  enable_constraint: Type.Boolean(),
  validate_constraint: Type.Boolean(),
  rely_constraint: Type.Boolean(),
};
const OfTable = { table_name: Type.String(), column_name: Type.String() };
const TableConstraints = Type.Object({
  constraint_type: Type.String(),
  primary_keys: Type.Array(
    Type.Object({ ...OfTable, primary_key_name: Type.String(), key_sequence: Type.Integer(), ...shown }),
  ),
  foreign_keys: Type.Array(
    Type.Object({
      foreign_key_database_name: Type.String(),
      foreign_key_table_name: Type.String(),
      foreign_key_column_name: Type.String(),
      foreign_key_name: Type.String(),
      parent_key_database_name: Type.String(),
      parent_key_table_name: Type.String(),
      parent_key_column_name: Type.String(),
      parent_key_name: Type.String(),
      key_sequence: Type.Integer(),
      update_rule: Type.Integer(),
      delete_rule: Type.Integer(),
      ...shown,
    }),
  ),
  not_null_constraints: Type.Array(Type.Object({ ...OfTable, constraint_name: Type.String(), ...shown })),
  unique_constraints: Type.Array(
    Type.Object({ ...OfTable, constraint_name: Type.String(), key_sequence: Type.Integer(), ...shown }),
  ),
  check_constraints: Type.Array(
    Type.Object({ ...OfTable, constraint_name: Type.String(), check_expression: Type.String(), ...shown }),
  ),
  default_constraints: Type.Array(
    Type.Object({ ...OfTable, constraint_name: Type.String(), default_value: Type.String(), ...shown }),
  ),
});
const ConstraintPath = Type.Object({ ...TablePath.properties, constraint_name: ConstraintName });

type PathParams = {
  project_id: string;
  instance_id: string;
  catalog_name: string;
  database_name: string;
  table_name: string;
};
const at = (p: PathParams): ServiceTablePath => ({
  projectId: p.project_id,
  instanceRef: p.instance_id,
  catalogName: p.catalog_name,
  databaseName: p.database_name,
  tableName: p.table_name,
});

export function constraintOperations(s: AppServices): Operation[] {
  const c = s.constraints;
  const base =
    '/v1/{project_id}/instances/{instance_id}/catalogs/{catalog_name}' +
    '/databases/{database_name}/tables/{table_name}/constraints';
  return [
    operation({
      name: 'BatchCreateConstraint',
      action: 'constraint.create',
      group: GROUP,
      method: 'POST',
      path: base,
      status: 200,
      params: TablePath,
      body: TableConstraintsInput,
      rateLimited: true,
      handler: async ({ principal, params, body }) => {
        await c.create(principal, at(params), body);
      },
    }),
    operation({
      name: 'ListConstraints',
      action: 'constraint.list',
      group: GROUP,
      method: 'GET',
      path: base,
      status: 200,
      params: TablePath,
      rateLimited: true,
      // parent_db and parent_tbl narrow the foreign keys to those referencing that database or table.
      query: Type.Object({
        type: ConstraintType,
        parent_db: Type.Optional(Type.String({ maxLength: 128 })),
        parent_tbl: Type.Optional(Type.String({ maxLength: 256 })),
      }),
      response: TableConstraints,
      handler: ({ principal, params, query }) =>
        c.list(principal, at(params), {
          type: query.type,
          parentDatabase: query.parent_db || undefined,
          parentTable: query.parent_tbl || undefined,
        }),
    }),
    operation({
      name: 'DeleteConstraint',
      action: 'constraint.drop',
      group: GROUP,
      method: 'DELETE',
      path: `${base}/{constraint_name}`,
      status: 200,
      params: ConstraintPath,
      rateLimited: true,
      handler: async ({ principal, params }) => {
        await c.delete(principal, at(params), params.constraint_name);
      },
    }),
  ];
}
