import { Type } from 'typebox';
import { ProjectId } from './common.js';

// Path and body pieces shared by the LakeCat operations, with the reference's constraints.

/** LakeCat paths also accept `default` for the project's default instance. */
export const InstanceRef = Type.String({ pattern: '^([a-zA-Z0-9-]{36}|default)$' });
export const CatalogName = Type.String({ minLength: 1, maxLength: 256, pattern: '^[a-zA-Z0-9_]+$' });
export const DatabaseName = Type.String({ minLength: 1, maxLength: 128, pattern: '^[a-zA-Z0-9\\u4e00-\\u9fa5_-]+$' });

export const InstanceScope = Type.Object({ project_id: ProjectId, instance_id: InstanceRef });
export const CatalogPath = Type.Object({ project_id: ProjectId, instance_id: InstanceRef, catalog_name: CatalogName });
/** A database named in a path: also a nested Iceberg namespace, whose levels are joined with '.'. */
export const DatabaseRef = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[a-zA-Z0-9\\u4e00-\\u9fa5_-]+(\\.[a-zA-Z0-9\\u4e00-\\u9fa5_-]+)*$',
});
/** A table named in a path: also an Iceberg table, whose name may hold '.' and '-'. */
export const TableRef = Type.String({ minLength: 1, maxLength: 256, pattern: '^(?!\\.)[\\p{L}\\p{N}_.-]+$' });
export const DatabasePath = Type.Object({
  project_id: ProjectId,
  instance_id: InstanceRef,
  catalog_name: CatalogName,
  database_name: DatabaseRef,
});

export const OwnerType = Type.Union([Type.Literal('USER'), Type.Literal('GROUP'), Type.Literal('ROLE')]);
export const OwnerSource = Type.Union(
  ['IAM', 'SAML', 'LDAP', 'LOCAL', 'AGENTTENANT', 'OTHER'].map((v) => Type.Literal(v)),
);

/** `page_info` of keyset-paged listings: markers are present only when such a page exists. */
export const PageInfo = Type.Object({
  current_count: Type.Integer(),
  next_marker: Type.Optional(Type.String()),
  previous_marker: Type.Optional(Type.String()),
});
